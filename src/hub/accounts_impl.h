#pragma once

#include "core/clock.h"
#include "hub/accounts.h"
#include "hub/call_log.h"
#include "hub/keys.h"
#include "hub/link_settings.h"
#include "plaid/plaid_client.h"
#include "store/account_store.h"

namespace linkhub::hub {

// Accounts on the account store, Plaid (to remove an Item on delete) and the call log.
// Thread-safe.
class AccountsImpl final : public Accounts {
 public:
  AccountsImpl(store::AccountStore& accounts, Keys& keys, plaid::PlaidClient& plaid,
               CallLog& call_log, Clock& clock, const LinkSettings& settings)
      : accounts_(accounts),
        keys_(keys),
        plaid_(plaid),
        call_log_(call_log),
        clock_(clock),
        settings_(settings) {}

  Result<std::vector<domain::LinkedAccount>> List(const domain::AccountFilter& filter) override;
  Result<domain::LinkedAccount> Get(const std::string& project_id,
                                    const std::string& account_id) override;
  Result<domain::LinkedAccount> Patch(const std::string& project_id, const std::string& account_id,
                                      const AccountPatch& patch) override;
  Result<domain::LinkedAccount> Delete(const std::string& project_id,
                                       const std::string& account_id) override;
  Result<domain::LinkedAccount> Suspend(const std::string& project_id,
                                        const std::string& account_id) override;
  Result<domain::LinkedAccount> Resume(const std::string& project_id,
                                       const std::string& account_id) override;
  Result<std::string> ItemId(const domain::LinkedAccount& account) override;
  Result<std::vector<domain::PlaidCallRecord>> PlaidCalls(const std::string& project_id,
                                                          const std::string& account_id,
                                                          int limit) override;

 private:
  store::AccountStore& accounts_;
  Keys& keys_;
  plaid::PlaidClient& plaid_;
  CallLog& call_log_;
  Clock& clock_;
  const LinkSettings& settings_;
};

}  // namespace linkhub::hub
