#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "hub/dashboard_sessions.h"
#include "hub/keys.h"
#include "store/api_key_store.h"
#include "store/dashboard_session_store.h"

namespace linkhub::hub {

// DashboardSessions on the dashboard-session and API-key stores. The store keeps a keyed hash of
// each session id, never the id; the CSRF token is derived from the id with the server's hashing
// key, so it needs no storage and cannot be computed from the database. Signing in also clears
// out expired sessions. Thread-safe.
class DashboardSessionsImpl final : public DashboardSessions {
 public:
  DashboardSessionsImpl(store::DashboardSessionStore& store, store::ApiKeyStore& api_keys,
                        Keys& keys, Clock& clock, Random& random, Limits limits);

  Result<Opened> SignIn(std::string_view api_key) override;
  Result<Live> Authenticate(std::string_view session_id) override;
  bool CheckCsrf(std::string_view session_id, std::string_view token) const override;
  Status SignOut(std::string_view session_id) override;
  const Limits& limits() const override { return limits_; }

 private:
  std::string CsrfToken(std::string_view session_id) const;
  // Deletes a session that ended; a failure is logged (the session is refused either way).
  void Forget(const std::string& id_hash);

  store::DashboardSessionStore& store_;
  store::ApiKeyStore& api_keys_;
  Keys& keys_;
  Clock& clock_;
  Random& random_;
  const Limits limits_;
};

}  // namespace linkhub::hub
