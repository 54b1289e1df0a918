#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "domain/plaid_call.h"

namespace linkhub::hub {

// The per-account log of Plaid calls that the dashboard shows (time, endpoint, HTTP status,
// error_code, request_id, latency; never a body or a token). Thread-safe.
class CallLog {
 public:
  virtual ~CallLog() = default;
  // Never blocks on the database.
  virtual void Record(domain::PlaidCallRecord record) = 0;
  // The account's newest `limit` records, newest first, including any not yet written.
  virtual Result<std::vector<domain::PlaidCallRecord>> List(const std::string& project_id,
                                                            const std::string& account_id,
                                                            int limit) = 0;
};

}  // namespace linkhub::hub
