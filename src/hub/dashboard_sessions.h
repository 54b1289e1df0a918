#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time_format.h"

namespace linkhub::hub {

// Sign-ins to the operator dashboard: an API key opens a server-side session named by a random
// id that travels only in an HttpOnly cookie. A session ends when it has been idle for `idle`,
// after `absolute` in any case, when its API key is revoked, or on sign-out. Each session has a
// CSRF token. Blocking (database); thread-safe.
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

  virtual ~DashboardSessions() = default;

  // Opens a session for the holder of `api_key`. kUnauthenticated for an unknown or revoked
  // key (the message never repeats the key).
  virtual Result<Opened> SignIn(std::string_view api_key) = 0;
  // The live session a cookie value names, refreshing its idle limit. kUnauthenticated when
  // unknown, expired or its API key revoked.
  virtual Result<Live> Authenticate(std::string_view session_id) = 0;
  // Whether `token` is the CSRF token of `session_id` (compared in constant time).
  virtual bool CheckCsrf(std::string_view session_id, std::string_view token) const = 0;
  // Deletes the session (a missing one is not an error).
  virtual Status SignOut(std::string_view session_id) = 0;
  virtual const Limits& limits() const = 0;
};

}  // namespace linkhub::hub
