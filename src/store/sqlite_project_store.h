#pragma once

#include "store/project_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// ProjectStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteProjectStore final : public ProjectStore {
 public:
  explicit SqliteProjectStore(SqliteDb& db) : db_(db) {}

  Result<Project> CreateProject(const std::string& id, const std::string& name,
                                TimePoint now) override;
  Result<Project> GetProject(const std::string& id) override;
  Result<std::vector<Project>> ListProjects() override;
  Status SetAllowedOrigins(const std::string& project_id,
                           const std::vector<std::string>& origins) override;
  Status AddApiKey(const ApiKey& key) override;
  Result<ApiKey> FindActiveApiKey(const std::string& key_hash) override;
  Result<std::vector<ApiKey>> ListApiKeys(const std::string& project_id) override;
  Status RevokeApiKey(const std::string& project_id, const std::string& key_id,
                      TimePoint now) override;
  Status AddActiveDataKey(const StoredDataKey& key) override;
  Result<std::vector<StoredDataKey>> ListDataKeys() override;
  Status RetireDataKey(const std::string& key_id, TimePoint now) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
