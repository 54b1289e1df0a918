#pragma once

#include "store/project_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// ProjectStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteProjectStore final : public ProjectStore {
 public:
  explicit SqliteProjectStore(SqliteDb& db) : db_(db) {}

  Result<domain::Project> CreateProject(const std::string& id, const std::string& name,
                                        TimePoint now) override;
  Result<domain::Project> GetProject(const std::string& id) override;
  Result<std::vector<domain::Project>> ListProjects() override;
  Status SetAllowedOrigins(const std::string& project_id,
                           const std::vector<std::string>& origins) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
