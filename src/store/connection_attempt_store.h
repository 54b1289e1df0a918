#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "domain/session.h"

namespace linkhub::store {

// Hub connection attempts; each read and write names the attempt's project and session.
// Implementations are thread-safe. Errors: kNotFound, kFailedPrecondition (a session past
// domain::kConnectionAttemptsPerSession), kInternal/kUnavailable for the database itself.
class ConnectionAttemptStore {
 public:
  virtual ~ConnectionAttemptStore() = default;

  virtual Status CreateConnectionAttempt(const domain::ConnectionAttempt& attempt) = 0;
  virtual Result<domain::ConnectionAttempt> GetConnectionAttempt(const std::string& project_id,
                                                                 int64_t session_id,
                                                                 const std::string& id) = 0;
  // Cancels the attempt if it is still pending (else leaves it); kNotFound for no such attempt.
  virtual Status CancelConnectionAttempt(const std::string& project_id, int64_t session_id,
                                         const std::string& id, TimePoint now) = 0;
  // Marks every pending attempt of a session authenticated by `account_id`.
  virtual Status CompleteConnectionAttempts(const std::string& project_id, int64_t session_id,
                                            const std::string& account_id, TimePoint now) = 0;
};

}  // namespace linkhub::store
