#include "hub/sessions_impl.h"

#include "core/ids.h"
#include "core/time_format.h"

namespace linkhub::hub {

namespace {

constexpr size_t kMaxField = 255;
constexpr size_t kMaxToken = 200;

}  // namespace

Result<NewSession> SessionsImpl::Create(const std::string& project_id, CreateSessionInput in) {
  if (in.origin_owner_id.empty() || in.origin_owner_id.size() > kMaxField) {
    return Unexpected(Invalid("origin_owner_id must be a string of 1 to 255 characters"));
  }
  if (in.origin_owner_name.empty() || in.origin_owner_name.size() > kMaxField) {
    return Unexpected(Invalid("origin_owner_name must be a string of 1 to 255 characters"));
  }
  if (in.provider && *in.provider != "plaid") {
    return Unexpected(Invalid("provider '" + in.provider->substr(0, 64) +
                              "' is not available here; the only provider is 'plaid'"));
  }
  if (in.type != "production" && in.type != "test") {
    return Unexpected(Invalid("type must be 'production' or 'test'"));
  }
  constexpr auto kMaxExpiry = std::chrono::seconds(30 * 24 * 3600);
  if (in.expires_in < std::chrono::seconds(60) || in.expires_in > kMaxExpiry) {
    return Unexpected(Invalid("expires_in must be between 60 and 2592000 seconds (30 days)"));
  }
  if (in.account_id) {
    // A re-link session: the account must be this project's.
    LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                             accounts_.GetAccount(project_id, *in.account_id));
    if (account.origin_owner_id != in.origin_owner_id) {
      return Unexpected(Invalid("account " + account.id +
                                " belongs to another origin_owner_id than this session's"));
    }
    if (account.status == domain::AccountStatus::kInactive) {
      // Update mode needs a live Item; a revoked or removed one cannot be repaired.
      return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                  "account " + account.id +
                                      " is inactive (its Item is gone at Plaid): link the bank "
                                      "again with a connect session without account_id"));
    }
  }
  NewSession out;
  out.token = "lhcs_" + NewBase62(random_, 43);
  domain::ConnectSession& s = out.session;
  s.project_id = project_id;
  s.token_hash = keys_.Hash(out.token);
  s.origin_owner_id = std::move(in.origin_owner_id);
  s.origin_owner_name = std::move(in.origin_owner_name);
  s.origin_username = std::move(in.origin_username);
  s.provider = in.provider ? in.provider : std::optional<std::string>("plaid");
  s.account_id = std::move(in.account_id);
  s.label = std::move(in.label);
  s.categories_json = std::move(in.categories_json);
  s.metadata_json = std::move(in.metadata_json);
  s.multiple = in.multiple;
  s.type = std::move(in.type);
  s.created_at = clock_.Now();
  s.expires_at = s.created_at + in.expires_in;
  LINKHUB_ASSIGN_OR_RETURN(out.session, sessions_.CreateConnectSession(std::move(out.session)));
  return out;
}

Result<domain::ConnectSession> SessionsImpl::Find(std::string_view token) {
  if (token.empty() || token.size() > kMaxToken) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "connect session not found"));
  }
  return sessions_.FindConnectSession(keys_.Hash(token));
}

Status SessionsImpl::CheckUnexpired(const domain::ConnectSession& session) {
  if (clock_.Now() >= session.expires_at) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "this connect session expired at " +
                                                                 FormatRfc3339(session.expires_at) +
                                                                 "; ask for a new link"));
  }
  return OkStatus();
}

Result<domain::ConnectSession> SessionsImpl::Authenticate(std::string_view token) {
  if (token.empty() || token.size() > kMaxToken) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "missing or invalid session token"));
  }
  std::string hash = keys_.Hash(token);
  auto found = sessions_.FindConnectSession(hash);
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Unexpected(MakeError(ErrorCode::kUnauthenticated, "unknown session token"));
    }
    return Unexpected(std::move(found).error());
  }
  LINKHUB_RETURN_IF_ERROR(CheckUnexpired(*found));
  std::lock_guard lock(known_mu_);
  if (known_.size() >= 10'000) {
    known_.clear();  // a bound, not an eviction policy: it only saves look-ups
  }
  known_[std::move(hash)] = Known{found->project_id, found->expires_at};
  return found;
}

std::optional<std::string> SessionsImpl::KnownProject(std::string_view token) {
  if (token.empty() || token.size() > kMaxToken) {
    return std::nullopt;
  }
  std::string hash = keys_.Hash(token);
  std::lock_guard lock(known_mu_);
  auto it = known_.find(hash);
  if (it == known_.end() || clock_.Now() >= it->second.expires_at) {
    return std::nullopt;
  }
  return it->second.project_id;
}

}  // namespace linkhub::hub
