#pragma once

#include <string>

#include "core/result.h"
#include "domain/session.h"

namespace linkhub::store {

// Connect sessions. Implementations are thread-safe. Errors: kNotFound, kInternal/kUnavailable
// for the database itself.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Inserts `session` and returns it with its numeric id.
  virtual Result<domain::ConnectSession> CreateConnectSession(domain::ConnectSession session) = 0;
  // The session with this token hash, whatever its project or expiry; kNotFound otherwise.
  virtual Result<domain::ConnectSession> FindConnectSession(const std::string& token_hash) = 0;
};

}  // namespace linkhub::store
