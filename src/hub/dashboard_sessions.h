#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "hub/keys.h"
#include "store/dashboard_session_store.h"
#include "store/project_store.h"

namespace linkhub::hub {

// Sign-ins to the operator dashboard: an API key opens a server-side session named by a random
// id that travels only in an HttpOnly cookie. The store keeps a keyed hash of the id, never the
// id. A session ends when it has been idle for `idle`, after `absolute` in any case, when its API
// key is revoked, or on sign-out. Each session has a CSRF token derived from its id with the
// server's hashing key, so it needs no storage and cannot be computed from the database.
// Blocking (database); thread-safe.
class DashboardSessions {
 public:
  struct Limits {
    std::chrono::seconds idle{30 * 60};
    std::chrono::seconds absolute{12 * 3600};
  };

  struct Opened {
    std::string session_id;  // the cookie's value: shown once, never stored or logged
    std::string project_id;
    std::string csrf_token;
    TimePoint expires_at;
  };

  struct Live {
    std::string project_id;
    std::string csrf_token;
    TimePoint expires_at;       // absolute limit
    TimePoint idle_expires_at;  // if nothing happens before
  };

  DashboardSessions(store::DashboardSessionStore& store, store::ProjectStore& projects, Keys& keys,
                    Clock& clock, Random& random, Limits limits);

  // Opens a session for the holder of `api_key`. kUnauthenticated for an unknown or revoked
  // key (the message never repeats the key). Also clears out expired sessions.
  Result<Opened> SignIn(std::string_view api_key);
  // The live session a cookie value names, refreshing its idle limit. kUnauthenticated when
  // unknown, expired or its API key revoked (an expired session is deleted).
  Result<Live> Authenticate(std::string_view session_id);
  // Whether `token` is the CSRF token of `session_id` (compared in constant time).
  bool CheckCsrf(std::string_view session_id, std::string_view token) const;
  // Deletes the session (a missing one is not an error).
  Status SignOut(std::string_view session_id);

  const Limits& limits() const { return limits_; }

 private:
  std::string CsrfToken(std::string_view session_id) const;

  store::DashboardSessionStore& store_;
  store::ProjectStore& projects_;
  Keys& keys_;
  Clock& clock_;
  Random& random_;
  const Limits limits_;
};

}  // namespace linkhub::hub
