#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"
#include "hub/keys.h"
#include "hub/sessions.h"
#include "store/account_store.h"
#include "store/session_store.h"

namespace linkhub::hub {

// Sessions on the session store; only the keyed hash of a session's token is stored. A re-link
// session's account is checked against the account store. Remembers the project of the sessions
// it authenticated, for KnownProject(). Thread-safe.
class SessionsImpl final : public Sessions {
 public:
  SessionsImpl(store::SessionStore& sessions, store::AccountStore& accounts, Keys& keys,
               Clock& clock, Random& random)
      : sessions_(sessions), accounts_(accounts), keys_(keys), clock_(clock), random_(random) {}

  Result<NewSession> Create(const std::string& project_id, CreateSessionInput input) override;
  Result<domain::ConnectSession> Find(std::string_view token) override;
  Status CheckUnexpired(const domain::ConnectSession& session) override;
  Result<domain::ConnectSession> Authenticate(std::string_view token) override;
  std::optional<std::string> KnownProject(std::string_view token) override;

 private:
  struct Known {
    std::string project_id;
    std::chrono::system_clock::time_point expires_at;
  };
  std::mutex known_mu_;
  // By the token's keyed hash, never the token; bounded (cleared when full).
  std::unordered_map<std::string, Known> known_;

  store::SessionStore& sessions_;
  store::AccountStore& accounts_;
  Keys& keys_;
  Clock& clock_;
  Random& random_;
};

}  // namespace linkhub::hub
