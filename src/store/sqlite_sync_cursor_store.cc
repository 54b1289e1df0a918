#include "store/sqlite_sync_cursor_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

Result<std::optional<std::string>> SqliteSyncCursorStore::GetSyncCursor(
    const std::string& project_id, const std::string& account_id, const std::string& consumer) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT cursor FROM sync_cursors WHERE "
                                                    "project_id = ? AND account_id = ? AND "
                                                    "consumer = ?"));
  q.Bind(1, project_id).Bind(2, account_id).Bind(3, consumer);
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(q.ColumnText(0));
}

Status SqliteSyncCursorStore::PutSyncCursor(const std::string& project_id,
                                            const std::string& account_id,
                                            const std::string& consumer, const std::string& cursor,
                                            TimePoint now) {
  auto lock = db_.Lock();
  if (cursor.empty()) {
    LINKHUB_ASSIGN_OR_RETURN(Statement del,
                             db_.Prepare("DELETE FROM sync_cursors WHERE project_id = ? AND "
                                         "account_id = ? AND consumer = ?"));
    return del.Bind(1, project_id).Bind(2, account_id).Bind(3, consumer).Run();
  }
  LINKHUB_ASSIGN_OR_RETURN(
      Statement up,
      db_.Prepare("INSERT INTO sync_cursors(project_id, account_id, consumer, cursor, updated_at) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT(project_id, account_id, consumer) DO "
                  "UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at"));
  return up.Bind(1, project_id)
      .Bind(2, account_id)
      .Bind(3, consumer)
      .Bind(4, cursor)
      .Bind(5, Seconds(now))
      .Run();
}

}  // namespace linkhub::store
