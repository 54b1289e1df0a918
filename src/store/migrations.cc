#include "store/migrations.h"

namespace linkhub::store {

const std::vector<Migration>& SqliteMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "projects, api keys and data keys", R"sql(
CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  numeric_id  INTEGER NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,
  project_id  TEXT NOT NULL REFERENCES projects(id),
  key_hash    TEXT NOT NULL UNIQUE,
  prefix      TEXT NOT NULL,
  label       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX api_keys_project ON api_keys(project_id);
CREATE TABLE data_keys (
  key_id      TEXT PRIMARY KEY,
  wrapped     TEXT NOT NULL,
  active      INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER
);
)sql"},
  };
  return kMigrations;
}

Result<int> Migrate(SqliteDb& db, const std::vector<Migration>& migrations) {
  auto lock = db.Lock();
  LINKHUB_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name "
              "TEXT NOT NULL, "
              "applied_at INTEGER NOT NULL DEFAULT (strftime('%s','now')))"));
  int current = 0;
  {
    LINKHUB_ASSIGN_OR_RETURN(Statement q,
                             db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      current = static_cast<int>(q.ColumnInt(0));
    }
  }
  int known = migrations.empty() ? 0 : migrations.back().version;
  if (current > known) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "the database is at schema version " + std::to_string(current) +
                                    " but this linkhub knows only up to " + std::to_string(known) +
                                    "; run a newer linkhub"));
  }
  for (const auto& m : migrations) {
    if (m.version <= current) {
      continue;
    }
    LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
    LINKHUB_RETURN_IF_ERROR(db.Exec(m.sql));
    LINKHUB_ASSIGN_OR_RETURN(
        Statement ins, db.Prepare("INSERT INTO schema_migrations(version, name) VALUES (?, ?)"));
    LINKHUB_RETURN_IF_ERROR(ins.Bind(1, int64_t{m.version}).Bind(2, m.name).Run());
    LINKHUB_RETURN_IF_ERROR(tx.Commit());
    current = m.version;
  }
  return current;
}

}  // namespace linkhub::store
