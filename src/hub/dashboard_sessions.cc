#include "hub/dashboard_sessions.h"

#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "vault/hashing.h"

namespace linkhub::hub {

namespace {

constexpr size_t kMaxSecretBytes = 200;
// Refreshing the idle limit on every request would write on every request; a minute of
// slack on a 30-minute limit does not matter.
constexpr auto kTouchEvery = std::chrono::seconds(60);

Error SignedOut() {
  return MakeError(ErrorCode::kUnauthenticated, "not signed in, or the sign-in expired");
}

}  // namespace

DashboardSessions::DashboardSessions(store::DashboardSessionStore& store,
                                     store::ProjectStore& projects, Keys& keys, Clock& clock,
                                     Random& random, Limits limits)
    : store_(store),
      projects_(projects),
      keys_(keys),
      clock_(clock),
      random_(random),
      limits_(limits) {}

std::string DashboardSessions::CsrfToken(std::string_view session_id) const {
  return keys_.Hash("linkhub/dashboard-csrf/" + std::string(session_id));
}

Result<DashboardSessions::Opened> DashboardSessions::SignIn(std::string_view api_key) {
  if (api_key.empty() || api_key.size() > kMaxSecretBytes) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid API key"));
  }
  std::string key_hash = keys_.Hash(api_key);
  auto key = projects_.FindActiveApiKey(key_hash);
  if (!key) {
    if (key.error().code == ErrorCode::kNotFound) {
      return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid or revoked API key"));
    }
    return Unexpected(std::move(key).error());
  }
  TimePoint now = clock_.Now();
  if (auto swept = store_.DeleteExpiredDashboardSessions(now, now - limits_.idle); !swept) {
    spdlog::warn("expired dashboard sign-ins not cleared: {}", swept.error().message);
  }
  Opened out;
  out.session_id = "lhds_" + NewBase62(random_, 43);
  out.project_id = key->project_id;
  out.csrf_token = CsrfToken(out.session_id);
  out.expires_at = now + limits_.absolute;
  store::DashboardSession s;
  s.id_hash = keys_.Hash(out.session_id);
  s.project_id = key->project_id;
  s.api_key_hash = key_hash;
  s.created_at = s.last_seen_at = now;
  s.expires_at = out.expires_at;
  LINKHUB_RETURN_IF_ERROR(store_.CreateDashboardSession(s));
  spdlog::info("dashboard sign-in to project {} with API key {}", key->project_id, key->id);
  return out;
}

Result<DashboardSessions::Live> DashboardSessions::Authenticate(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > kMaxSecretBytes) {
    return Unexpected(SignedOut());
  }
  std::string id_hash = keys_.Hash(session_id);
  auto found = store_.FindDashboardSession(id_hash);
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Unexpected(SignedOut());
    }
    return Unexpected(std::move(found).error());
  }
  TimePoint now = clock_.Now();
  if (now >= found->expires_at || now >= found->last_seen_at + limits_.idle) {
    (void)store_.DeleteDashboardSession(id_hash);
    return Unexpected(SignedOut());
  }
  auto key = projects_.FindActiveApiKey(found->api_key_hash);
  if (!key || key->project_id != found->project_id) {
    if (key || key.error().code == ErrorCode::kNotFound) {
      // The key it was opened with was revoked: so is the sign-in.
      (void)store_.DeleteDashboardSession(id_hash);
      return Unexpected(SignedOut());
    }
    return Unexpected(std::move(key).error());
  }
  TimePoint seen = found->last_seen_at;
  if (now - seen >= kTouchEvery) {
    LINKHUB_RETURN_IF_ERROR(store_.TouchDashboardSession(id_hash, now));
    seen = now;
  }
  return Live{found->project_id, CsrfToken(session_id), found->expires_at,
              std::min(found->expires_at, seen + limits_.idle)};
}

bool DashboardSessions::CheckCsrf(std::string_view session_id, std::string_view token) const {
  if (session_id.empty() || token.empty() || token.size() > kMaxSecretBytes) {
    return false;
  }
  return vault::ConstantTimeEquals(CsrfToken(session_id), token);
}

Status DashboardSessions::SignOut(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > kMaxSecretBytes) {
    return OkStatus();
  }
  return store_.DeleteDashboardSession(keys_.Hash(session_id));
}

}  // namespace linkhub::hub
