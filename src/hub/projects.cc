#include "hub/projects.h"

#include "core/ids.h"

namespace linkhub::hub {

namespace {
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxApiKeyBytes = 200;
}  // namespace

Result<NewProject> Projects::Create(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "a project name must be 1 to 200 bytes long"));
  }
  LINKHUB_ASSIGN_OR_RETURN(
      store::Project project,
      store_.CreateProject("proj_" + NewBase62(random_, 20), std::string(name), clock_.Now()));
  LINKHUB_ASSIGN_OR_RETURN(NewApiKey key, CreateApiKey(project.id, "initial"));
  return NewProject{std::move(project), std::move(key)};
}

Result<NewApiKey> Projects::CreateApiKey(const std::string& project_id, std::string_view label) {
  LINKHUB_RETURN_IF_ERROR(store_.GetProject(project_id));
  if (label.size() > kMaxNameBytes) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "a key label is at most 200 bytes"));
  }
  NewApiKey out;
  out.key = "lh_live_" + NewBase62(random_, 40);
  out.stored.id = "key_" + NewBase62(random_, 16);
  out.stored.project_id = project_id;
  out.stored.key_hash = keys_.Hash(out.key);
  out.stored.prefix = out.key.substr(0, 12);
  out.stored.label = std::string(label);
  out.stored.created_at = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(store_.AddApiKey(out.stored));
  return out;
}

Result<std::string> Projects::Authenticate(std::string_view api_key) {
  if (api_key.empty() || api_key.size() > kMaxApiKeyBytes) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid API key"));
  }
  auto found = store_.FindActiveApiKey(keys_.Hash(api_key));
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Unexpected(MakeError(ErrorCode::kUnauthenticated, "invalid or revoked API key"));
    }
    return Unexpected(std::move(found).error());
  }
  return found->project_id;
}

}  // namespace linkhub::hub
