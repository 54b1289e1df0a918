#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "domain/project.h"

namespace linkhub::store {

// Dashboard sign-ins. Implementations are thread-safe. Errors: kNotFound, kAlreadyExists,
// kInternal/kUnavailable for the database itself.
class DashboardSessionStore {
 public:
  virtual ~DashboardSessionStore() = default;

  virtual Status CreateDashboardSession(const domain::DashboardSession& session) = 0;
  // The session with this id hash, expired or not; kNotFound otherwise.
  virtual Result<domain::DashboardSession> FindDashboardSession(const std::string& id_hash) = 0;
  // Moves last_seen_at forward (never back). kNotFound when the session is gone.
  virtual Status TouchDashboardSession(const std::string& id_hash, TimePoint now) = 0;
  // Deletes one session; deleting a missing one is not an error.
  virtual Status DeleteDashboardSession(const std::string& id_hash) = 0;
  // Deletes every session past its absolute limit (expires_at <= now) or idle since
  // `idle_before` (last_seen_at <= idle_before). Returns how many went.
  virtual Result<int64_t> DeleteExpiredDashboardSessions(TimePoint now, TimePoint idle_before) = 0;
};

}  // namespace linkhub::store
