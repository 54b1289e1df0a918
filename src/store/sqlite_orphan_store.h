#pragma once

#include "store/orphan_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// OrphanStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteOrphanStore final : public OrphanStore {
 public:
  explicit SqliteOrphanStore(SqliteDb& db) : db_(db) {}

  Status RecordOrphan(const domain::OrphanItem& orphan) override;
  Result<std::optional<domain::OrphanItem>> FindOrphan(const std::string& orphan_id) override;
  Status MarkOrphanRemoved(const std::string& project_id, const std::string& orphan_id,
                           TimePoint now) override;
  Result<std::vector<domain::OrphanItem>> ListOrphans(const std::string& project_id) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
