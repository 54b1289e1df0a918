#pragma once

#include "store/sqlite_db.h"
#include "store/sync_cursor_store.h"

namespace linkhub::store {

// SyncCursorStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteSyncCursorStore final : public SyncCursorStore {
 public:
  explicit SqliteSyncCursorStore(SqliteDb& db) : db_(db) {}

  Result<std::optional<std::string>> GetSyncCursor(const std::string& project_id,
                                                   const std::string& account_id,
                                                   const std::string& consumer) override;
  Status PutSyncCursor(const std::string& project_id, const std::string& account_id,
                       const std::string& consumer, const std::string& cursor,
                       TimePoint now) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
