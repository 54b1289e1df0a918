#include "hub/projects_impl.h"

#include <algorithm>

#include "core/ids.h"
#include "core/metric_families.h"
#include "domain/origins.h"
#include "plaid/catalogue.h"

namespace linkhub::hub {

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxApiKeyBytes = 200;

// Limits a key may be created with: an allow-list of the catalogue's actions, none twice, and
// no write action on a read-only key (which could never run it).
Status CheckLimits(const domain::KeyLimits& limits) {
  if (!limits.actions) {
    return OkStatus();
  }
  const auto& actions = *limits.actions;
  if (actions.empty()) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "an API key's allowed actions must name at least one action"));
  }
  for (size_t i = 0; i < actions.size(); ++i) {
    const plaid::Action* action = plaid::FindAction(actions[i]);
    if (action == nullptr) {
      return Unexpected(MakeError(
          ErrorCode::kInvalidArgument,
          "no action is called '" + actions[i].substr(0, 64) + "' (GET /actions lists them)"));
    }
    if (std::find(actions.begin(), actions.begin() + static_cast<std::ptrdiff_t>(i), actions[i]) !=
        actions.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Unexpected(
          MakeError(ErrorCode::kInvalidArgument, "action " + actions[i] + " is listed twice"));
    }
    if (limits.read_only && !action->read_only) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  actions[i] + " changes data at Plaid: a read-only key could "
                                               "never run it"));
    }
  }
  return OkStatus();
}

}  // namespace

Result<NewProject> ProjectsImpl::Create(std::string_view name,
                                        const std::vector<std::string>& allowed_origins) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "a project name must be 1 to 200 bytes long"));
  }
  LINKHUB_ASSIGN_OR_RETURN(auto origins, domain::NormalizeOrigins(allowed_origins));
  LINKHUB_ASSIGN_OR_RETURN(
      domain::Project project,
      projects_.CreateProject("proj_" + NewBase62(random_, 20), std::string(name), clock_.Now()));
  if (!origins.empty()) {
    LINKHUB_RETURN_IF_ERROR(projects_.SetAllowedOrigins(project.id, origins));
    project.allowed_origins = origins;
  }
  LINKHUB_ASSIGN_OR_RETURN(NewApiKey key, CreateApiKey(project.id, "initial", {}));
  return NewProject{std::move(project), std::move(key)};
}

Result<domain::Project> ProjectsImpl::Get(const std::string& project_id) {
  return projects_.GetProject(project_id);
}

Result<std::vector<domain::Project>> ProjectsImpl::List() { return projects_.ListProjects(); }

Result<domain::Project> ProjectsImpl::SetAllowedOrigins(const std::string& project_id,
                                                        const std::vector<std::string>& origins) {
  LINKHUB_ASSIGN_OR_RETURN(auto normal, domain::NormalizeOrigins(origins));
  LINKHUB_RETURN_IF_ERROR(projects_.SetAllowedOrigins(project_id, normal));
  return projects_.GetProject(project_id);
}

Result<NewApiKey> ProjectsImpl::CreateApiKey(const std::string& project_id, std::string_view label,
                                             const domain::KeyLimits& limits) {
  LINKHUB_RETURN_IF_ERROR(projects_.GetProject(project_id));
  if (label.size() > kMaxNameBytes) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "a key label is at most 200 bytes"));
  }
  LINKHUB_RETURN_IF_ERROR(CheckLimits(limits));
  NewApiKey out;
  out.key = "lh_live_" + NewBase62(random_, 40);
  out.stored.id = "key_" + NewBase62(random_, 16);
  out.stored.project_id = project_id;
  out.stored.key_hash = keys_.Hash(out.key);
  out.stored.prefix = out.key.substr(0, 12);
  out.stored.label = std::string(label);
  out.stored.created_at = clock_.Now();
  out.stored.limits = limits;
  LINKHUB_RETURN_IF_ERROR(api_keys_.AddApiKey(out.stored));
  return out;
}

Result<std::vector<domain::ApiKey>> ProjectsImpl::ListApiKeys(const std::string& project_id) {
  LINKHUB_RETURN_IF_ERROR(projects_.GetProject(project_id));
  return api_keys_.ListApiKeys(project_id);
}

Status ProjectsImpl::RevokeApiKey(const std::string& project_id, const std::string& key_id) {
  return api_keys_.RevokeApiKey(project_id, key_id, clock_.Now());
}

Result<CallerPtr> ProjectsImpl::Authenticate(std::string_view api_key) {
  if (api_key.empty() || api_key.size() > kMaxApiKeyBytes) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid API key"));
  }
  std::string hash = keys_.Hash(api_key);
  auto found = api_keys_.FindActiveApiKey(hash);
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      std::lock_guard lock(accepted_mu_);
      accepted_.erase(hash);
      return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid or revoked API key"));
    }
    return Unexpected(std::move(found).error());
  }
  auto now = clock_.MonotonicNow();
  std::lock_guard lock(accepted_mu_);
  if (accepted_.size() >= 10'000) {
    accepted_.clear();  // a bound, not an eviction policy: the cache only saves look-ups
  }
  auto caller = std::make_shared<const Caller>(
      Caller{std::move(found->project_id), std::move(found->id), std::move(found->limits)});
  accepted_[std::move(hash)] = Accepted{caller, now};
  return caller;
}

CallerPtr ProjectsImpl::RecentlyAuthenticated(std::string_view api_key) {
  static metrics::Counter& hits = metrics::Linkhub().cache_lookups.With({"api_key", "hit"});
  static metrics::Counter& misses = metrics::Linkhub().cache_lookups.With({"api_key", "miss"});
  CallerPtr found = FindAccepted(api_key);
  (found ? hits : misses).Add();
  return found;
}

CallerPtr ProjectsImpl::FindAccepted(std::string_view api_key) {
  if (api_key.empty() || api_key.size() > kMaxApiKeyBytes) {
    return nullptr;
  }
  std::string hash = keys_.Hash(api_key);
  auto now = clock_.MonotonicNow();
  std::lock_guard lock(accepted_mu_);
  auto it = accepted_.find(hash);
  if (it == accepted_.end()) {
    return nullptr;
  }
  auto age = now - it->second.at;
  if (age >= kAuthCacheTtl) {
    return nullptr;
  }
  if (age >= kAuthCacheTtl / 2 && !it->second.refreshing) {
    it->second.refreshing = true;
    return nullptr;
  }
  return it->second.caller;
}

}  // namespace linkhub::hub
