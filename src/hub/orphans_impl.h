#pragma once

#include "core/clock.h"
#include "hub/keys.h"
#include "hub/orphans.h"
#include "plaid/plaid_client.h"
#include "store/orphan_store.h"

namespace linkhub::hub {

// Orphans on the orphan store, the keys that open what it seals, and Plaid (null: Remove is
// refused, for callers that only list). Thread-safe.
class OrphansImpl final : public Orphans {
 public:
  OrphansImpl(store::OrphanStore& orphans, Keys& keys, plaid::PlaidClient* plaid, Clock& clock)
      : orphans_(orphans), keys_(keys), plaid_(plaid), clock_(clock) {}

  Result<std::vector<OrphanView>> List(const std::string& project_id) override;
  Result<OrphanView> Remove(const std::string& project_id, const std::string& id) override;

 private:
  OrphanView View(const domain::OrphanItem& orphan);

  store::OrphanStore& orphans_;
  Keys& keys_;
  plaid::PlaidClient* plaid_;
  Clock& clock_;
};

}  // namespace linkhub::hub
