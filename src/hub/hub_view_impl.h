#pragma once

#include "core/clock.h"
#include "core/random.h"
#include "hub/hub_view.h"
#include "store/account_store.h"
#include "store/connection_attempt_store.h"

namespace linkhub::hub {

// HubView on the account and connection-attempt stores. Thread-safe.
class HubViewImpl final : public HubView {
 public:
  HubViewImpl(store::AccountStore& accounts, store::ConnectionAttemptStore& attempts, Clock& clock,
              Random& random)
      : accounts_(accounts), attempts_(attempts), clock_(clock), random_(random) {}

  Result<std::vector<domain::LinkedAccount>> SessionAccounts(
      const domain::ConnectSession& session) override;
  Result<domain::LinkedAccount> SessionAccount(const domain::ConnectSession& session,
                                               const std::string& account_id) override;
  Result<domain::ConnectionAttempt> CreateConnectionAttempt(
      const domain::ConnectSession& session) override;
  void CompleteConnectionAttempts(const domain::ConnectSession& session,
                                  const std::string& account_id) override;
  Result<AttemptState> GetConnectionAttempt(const domain::ConnectSession& session,
                                            const std::string& id) override;
  Result<AttemptState> CancelConnectionAttempt(const domain::ConnectSession& session,
                                               const std::string& id) override;

 private:
  store::AccountStore& accounts_;
  store::ConnectionAttemptStore& attempts_;
  Clock& clock_;
  Random& random_;
};

}  // namespace linkhub::hub
