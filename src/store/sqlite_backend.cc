#include "store/sqlite_backend.h"

#include <optional>

#include "store/migrations.h"
#include "store/sqlite_account_store.h"
#include "store/sqlite_api_key_store.h"
#include "store/sqlite_call_log_store.h"
#include "store/sqlite_connection_attempt_store.h"
#include "store/sqlite_dashboard_session_store.h"
#include "store/sqlite_data_key_store.h"
#include "store/sqlite_db.h"
#include "store/sqlite_event_store.h"
#include "store/sqlite_exchange_store.h"
#include "store/sqlite_orphan_store.h"
#include "store/sqlite_plaid_webhook_store.h"
#include "store/sqlite_project_store.h"
#include "store/sqlite_rows.h"
#include "store/sqlite_session_store.h"
#include "store/sqlite_sync_cursor_store.h"

namespace linkhub::store {

namespace {

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::string path, std::unique_ptr<SqliteDb> db, std::unique_ptr<SqliteDb> log_db)
      : path_(std::move(path)),
        db_(std::move(db)),
        log_db_(std::move(log_db)),
        projects_(*db_),
        api_keys_(*db_),
        data_keys_(*db_),
        sessions_(*db_),
        accounts_(*db_),
        exchanges_(*db_),
        sync_cursors_(*db_),
        call_log_(log_db_ ? *log_db_ : *db_),
        attempts_(*db_),
        dashboard_sessions_(*db_),
        orphans_(*db_),
        events_(*db_),
        plaid_webhooks_(*db_),
        stores_{projects_,  api_keys_,     data_keys_,     sessions_, accounts_,
                exchanges_, sync_cursors_, call_log_,      attempts_, dashboard_sessions_,
                orphans_,   events_,       plaid_webhooks_} {}

  const Stores& stores() const override { return stores_; }
  std::string Describe() const override { return "sqlite:" + path_; }
  Status CheckReady(TimePoint now) override { return CheckSqliteReady(*db_, now); }

 private:
  const std::string path_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteDb> log_db_;  // null: the call log shares db_
  SqliteProjectStore projects_;
  SqliteApiKeyStore api_keys_;
  SqliteDataKeyStore data_keys_;
  SqliteSessionStore sessions_;
  SqliteAccountStore accounts_;
  SqliteExchangeStore exchanges_;
  SqliteSyncCursorStore sync_cursors_;
  SqliteCallLogStore call_log_;
  SqliteConnectionAttemptStore attempts_;
  SqliteDashboardSessionStore dashboard_sessions_;
  SqliteOrphanStore orphans_;
  SqliteEventStore events_;
  SqlitePlaidWebhookStore plaid_webhooks_;
  Stores stores_;
};

}  // namespace

Status CheckSqliteReady(SqliteDb& db, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  LINKHUB_ASSIGN_OR_RETURN(int64_t at, SchemaVersion(db));
  const int64_t known = SqliteMigrations().back().version;
  if (at != known) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "the database is at schema version " + std::to_string(at) +
                                    "; this linkhub knows version " + std::to_string(known)));
  }
  LINKHUB_ASSIGN_OR_RETURN(
      Statement write,
      db.Prepare("INSERT INTO readiness(id, checked_at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE "
                 "SET checked_at = excluded.checked_at"));
  LINKHUB_RETURN_IF_ERROR(write.Bind(1, Seconds(now)).Run());
  return tx.Commit();
}

Result<std::unique_ptr<Backend>> OpenSqliteBackend(const std::string& path) {
  LINKHUB_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  LINKHUB_RETURN_IF_ERROR(Migrate(*db, SqliteMigrations()));
  std::unique_ptr<SqliteDb> log_db;
  if (path != ":memory:") {
    auto opened = SqliteDb::Open(path);
    if (!opened) {
      Error e = std::move(opened).error();
      e.message = "cannot open the database for the call log: " + e.message;
      return Unexpected(std::move(e));
    }
    log_db = std::move(*opened);
  }
  return std::unique_ptr<Backend>(
      std::make_unique<SqliteBackend>(path, std::move(db), std::move(log_db)));
}

}  // namespace linkhub::store
