#include "hub/dashboard_sessions_impl.h"

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

DashboardSessionsImpl::DashboardSessionsImpl(store::DashboardSessionStore& store,
                                             store::ApiKeyStore& api_keys, Keys& keys, Clock& clock,
                                             Random& random, Limits limits)
    : store_(store),
      api_keys_(api_keys),
      keys_(keys),
      clock_(clock),
      random_(random),
      limits_(limits) {}

std::string DashboardSessionsImpl::CsrfToken(std::string_view session_id) const {
  return keys_.Hash("linkhub/dashboard-csrf/" + std::string(session_id));
}

Result<DashboardSessions::Opened> DashboardSessionsImpl::SignIn(std::string_view api_key) {
  if (api_key.empty() || api_key.size() > kMaxSecretBytes) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid API key"));
  }
  std::string key_hash = keys_.Hash(api_key);
  auto key = api_keys_.FindActiveApiKey(key_hash);
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
  domain::DashboardSession s;
  s.id_hash = keys_.Hash(out.session_id);
  s.project_id = key->project_id;
  s.api_key_hash = key_hash;
  s.created_at = s.last_seen_at = now;
  s.expires_at = out.expires_at;
  LINKHUB_RETURN_IF_ERROR(store_.CreateDashboardSession(s));
  spdlog::info("dashboard sign-in to project {} with API key {}", key->project_id, key->id);
  return out;
}

Result<DashboardSessions::Live> DashboardSessionsImpl::Authenticate(std::string_view session_id) {
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
    Forget(id_hash);
    return Unexpected(SignedOut());
  }
  auto key = api_keys_.FindActiveApiKey(found->api_key_hash);
  if (!key || key->project_id != found->project_id) {
    if (key || key.error().code == ErrorCode::kNotFound) {
      // The key it was opened with was revoked: so is the sign-in.
      Forget(id_hash);
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

bool DashboardSessionsImpl::CheckCsrf(std::string_view session_id, std::string_view token) const {
  if (session_id.empty() || token.empty() || token.size() > kMaxSecretBytes) {
    return false;
  }
  return vault::ConstantTimeEquals(CsrfToken(session_id), token);
}

Status DashboardSessionsImpl::SignOut(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > kMaxSecretBytes) {
    return OkStatus();
  }
  return store_.DeleteDashboardSession(keys_.Hash(session_id));
}

void DashboardSessionsImpl::Forget(const std::string& id_hash) {
  if (auto s = store_.DeleteDashboardSession(id_hash); !s) {
    spdlog::warn("an ended dashboard sign-in was not deleted: {}", s.error().message);
  }
}

}  // namespace linkhub::hub
