#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time_format.h"

namespace linkhub::store {

struct Project {
  std::string id;          // "proj_..." text id
  int64_t numeric_id = 0;  // StackOne's organization_id is numeric
  std::string name;
  TimePoint created_at;
  // Browser origins ("https://app.example.com") allowed to use this project's connect sessions
  // from the Hub API (CORS) and to embed the Hub page; empty: any origin.
  std::vector<std::string> allowed_origins;
};

// An API key as stored: only its keyed hash (see vault::SecretHasher) and a short prefix that
// helps a person tell keys apart. The key itself is shown once and never stored.
struct ApiKey {
  std::string id;
  std::string project_id;
  std::string key_hash;
  std::string prefix;
  std::string label;
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;
};

// A data key sealed under the master key (see vault::KeyRing).
struct StoredDataKey {
  std::string key_id;
  std::string wrapped;
  bool active = false;
  TimePoint created_at;
  std::optional<TimePoint> retired_at;
};

// Projects (tenants), their API keys, and the wrapped data keys. Implementations are
// thread-safe. Errors: kNotFound, kAlreadyExists (duplicate id or hash), kInternal/kUnavailable
// for the database itself.
class ProjectStore {
 public:
  virtual ~ProjectStore() = default;

  // Creates a project; its numeric_id is the next free number.
  virtual Result<Project> CreateProject(const std::string& id, const std::string& name,
                                        TimePoint now) = 0;
  virtual Result<Project> GetProject(const std::string& id) = 0;
  virtual Result<std::vector<Project>> ListProjects() = 0;
  // Replaces a project's allowed origins (already validated). kNotFound for an unknown project.
  virtual Status SetAllowedOrigins(const std::string& project_id,
                                   const std::vector<std::string>& origins) = 0;

  virtual Status AddApiKey(const ApiKey& key) = 0;
  // The unrevoked key with this hash; kNotFound otherwise (revoked keys never authenticate).
  virtual Result<ApiKey> FindActiveApiKey(const std::string& key_hash) = 0;
  virtual Result<std::vector<ApiKey>> ListApiKeys(const std::string& project_id) = 0;
  // kNotFound unless the key exists in that project and is not yet revoked.
  virtual Status RevokeApiKey(const std::string& project_id, const std::string& key_id,
                              TimePoint now) = 0;

  // Stores a new data key and, in the same transaction, makes it the only active one.
  virtual Status AddActiveDataKey(const StoredDataKey& key) = 0;
  virtual Result<std::vector<StoredDataKey>> ListDataKeys() = 0;
  // Marks an inactive data key retired (no longer loaded). kNotFound unless it exists and is
  // neither active nor retired.
  virtual Status RetireDataKey(const std::string& key_id, TimePoint now) = 0;
};

}  // namespace linkhub::store
