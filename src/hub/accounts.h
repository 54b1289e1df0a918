#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/account.h"
#include "domain/plaid_call.h"

namespace linkhub::hub {

using AccountPatch = domain::AccountEdit;

// Linked accounts as a project's backend and operator see them. Every method takes the caller's
// project and sees only that project's accounts (another project's account is kNotFound).
// Blocking (database, and Plaid for Delete); thread-safe.
class Accounts {
 public:
  virtual ~Accounts() = default;

  virtual Result<std::vector<domain::LinkedAccount>> List(const domain::AccountFilter& filter) = 0;
  virtual Result<domain::LinkedAccount> Get(const std::string& project_id,
                                            const std::string& account_id) = 0;
  // kInvalidArgument naming the field for bad input.
  virtual Result<domain::LinkedAccount> Patch(const std::string& project_id,
                                              const std::string& account_id,
                                              const AccountPatch& patch) = 0;
  // Removes the Item at Plaid (an Item Plaid no longer knows counts as removed), then deletes
  // the account. Returns the account as it ends up (inactive). kFailedPrecondition for an
  // account of another Plaid environment; Plaid's error when the Item could not be removed
  // (the account is kept).
  virtual Result<domain::LinkedAccount> Delete(const std::string& project_id,
                                               const std::string& account_id) = 0;
  // Suspends an account: every action and proxy call on it is refused until Resume, which gives
  // back the status it had, or got meanwhile from Plaid. Idempotent. Returns the account as it
  // is now.
  virtual Result<domain::LinkedAccount> Suspend(const std::string& project_id,
                                                const std::string& account_id) = 0;
  virtual Result<domain::LinkedAccount> Resume(const std::string& project_id,
                                               const std::string& account_id) = 0;
  // The account's Plaid item id (display-safe, unlike the access token); empty when it has none.
  virtual Result<std::string> ItemId(const domain::LinkedAccount& account) = 0;
  // The account's newest `limit` Plaid calls, newest first.
  virtual Result<std::vector<domain::PlaidCallRecord>> PlaidCalls(const std::string& project_id,
                                                                  const std::string& account_id,
                                                                  int limit) = 0;
};

}  // namespace linkhub::hub
