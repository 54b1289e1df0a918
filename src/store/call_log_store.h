#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "domain/plaid_call.h"

namespace linkhub::store {

// The per-account log of Plaid calls. Implementations are thread-safe. Errors:
// kInternal/kUnavailable for the database itself.
class CallLogStore {
 public:
  virtual ~CallLogStore() = default;

  // Appends call records (in one transaction) and drops all but the newest
  // domain::kPlaidCallsKept of each account they name.
  virtual Status AddPlaidCalls(const std::vector<domain::PlaidCallRecord>& calls) = 0;
  // The newest `limit` call records of an account, newest first.
  virtual Result<std::vector<domain::PlaidCallRecord>> ListPlaidCalls(const std::string& project_id,
                                                                      const std::string& account_id,
                                                                      int limit) = 0;
};

}  // namespace linkhub::store
