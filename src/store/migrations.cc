#include "store/migrations.h"

#include <string>
#include <utility>

namespace linkhub::store {

namespace {

// Migration 12: triggers that refuse to write a value sealed under a retired data key (its key id
// is what lies between "lh1:" and the next ':'), on every sealed column there is at version 12
// (kSealedValuesSql's list then). With the check of SqliteDataKeyStore::RetireDataKey in one
// transaction, no value can be stored under a key that is no longer loaded, whatever process sealed
// it. A sealed column added later adds its own triggers in its own migration.
std::string RetiredKeyGuards() {
  static constexpr std::pair<std::string_view, std::string_view> kColumns[] = {
      {"accounts", "access_token_sealed"},     {"accounts", "item_id_sealed"},
      {"orphan_items", "access_token_sealed"}, {"orphan_items", "item_id_sealed"},
      {"webhook_endpoints", "secret_sealed"},  {"webhook_endpoints", "previous_secret_sealed"},
      {"plaid_webhooks", "body_sealed"},
  };
  std::string sql;
  for (const auto& [table, column] : kColumns) {
    for (bool insert : {true, false}) {
      std::string value = "NEW.";
      value += column;
      sql += "CREATE TRIGGER ";
      sql += table;
      sql += '_';
      sql += column;
      sql += insert ? "_insert_key_live BEFORE INSERT" : "_update_key_live BEFORE UPDATE OF ";
      sql += insert ? std::string_view() : column;
      sql += " ON ";
      sql += table;
      sql += " WHEN ";
      sql += value;
      sql += " LIKE 'lh1:%' AND EXISTS (SELECT 1 FROM data_keys WHERE retired_at IS NOT NULL AND ";
      sql += "key_id = substr(";
      sql += value;
      sql += ", 5, instr(substr(";
      sql += value;
      sql += ", 5), ':') - 1)) BEGIN SELECT RAISE(ABORT, 'a value sealed under a retired data ";
      sql += "key'); END;\n";
    }
  }
  return sql;
}

}  // namespace

const std::vector<Migration>& SqliteMigrations() {
  static const std::string kRetiredKeyGuards = RetiredKeyGuards();
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
      {2, "connect sessions, linked accounts and pending exchanges", R"sql(
CREATE TABLE connect_sessions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id       TEXT NOT NULL REFERENCES projects(id),
  token_hash       TEXT NOT NULL UNIQUE,
  origin_owner_id  TEXT NOT NULL,
  origin_owner_name TEXT NOT NULL,
  origin_username  TEXT,
  provider         TEXT,
  account_id       TEXT,
  label            TEXT,
  categories_json  TEXT NOT NULL,
  metadata_json    TEXT NOT NULL,
  multiple         INTEGER NOT NULL,
  type             TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL
);
CREATE INDEX connect_sessions_project ON connect_sessions(project_id);
CREATE TABLE accounts (
  id                  TEXT PRIMARY KEY,
  project_id          TEXT NOT NULL REFERENCES projects(id),
  provider            TEXT NOT NULL,
  origin_owner_id     TEXT NOT NULL,
  origin_owner_name   TEXT NOT NULL,
  origin_username     TEXT,
  label               TEXT,
  status              TEXT NOT NULL,
  status_reasons_json TEXT NOT NULL,
  type                TEXT NOT NULL,
  environment         TEXT NOT NULL,
  products_json       TEXT NOT NULL,
  institution_id      TEXT,
  institution_name    TEXT,
  accounts_json       TEXT NOT NULL,
  details_pending     INTEGER NOT NULL,
  access_token_sealed TEXT NOT NULL,
  item_id_sealed      TEXT NOT NULL,
  item_id_hash        TEXT NOT NULL,
  connect_session_id  INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  deleted_at          INTEGER
);
CREATE INDEX accounts_project_owner ON accounts(project_id, origin_owner_id);
CREATE INDEX accounts_item ON accounts(item_id_hash);
CREATE TABLE pending_exchanges (
  id                TEXT PRIMARY KEY,
  project_id        TEXT NOT NULL REFERENCES projects(id),
  session_id        INTEGER NOT NULL,
  public_token_hash TEXT NOT NULL UNIQUE,
  account_id        TEXT NOT NULL,
  origin_owner_id   TEXT NOT NULL,
  institution_id    TEXT,
  link_session_id   TEXT,
  state             TEXT NOT NULL,
  failure           TEXT,
  created_at        INTEGER NOT NULL,
  closed_at         INTEGER
);
CREATE INDEX pending_exchanges_state ON pending_exchanges(state, created_at);
)sql"},
      {3, "transaction sync cursors", R"sql(
CREATE TABLE sync_cursors (
  project_id  TEXT NOT NULL,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  consumer    TEXT NOT NULL,
  cursor      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (project_id, account_id, consumer)
);
)sql"},
      {4, "per-account Plaid call log", R"sql(
CREATE TABLE plaid_calls (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id   TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  at_ms        INTEGER NOT NULL,
  endpoint     TEXT NOT NULL,
  http_status  INTEGER NOT NULL,
  error_code   TEXT NOT NULL,
  request_id   TEXT NOT NULL,
  latency_us   INTEGER NOT NULL
);
CREATE INDEX plaid_calls_account ON plaid_calls(project_id, account_id, id);
)sql"},
      {5, "project allowed origins and Hub connection attempts", R"sql(
ALTER TABLE projects ADD COLUMN allowed_origins_json TEXT NOT NULL DEFAULT '[]';
CREATE TABLE connection_attempts (
  id          TEXT PRIMARY KEY,
  project_id  TEXT NOT NULL REFERENCES projects(id),
  session_id  INTEGER NOT NULL,
  status      TEXT NOT NULL,
  account_id  TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX connection_attempts_session ON connection_attempts(project_id, session_id);
)sql"},
      {6, "dashboard sign-ins and account suspension", R"sql(
CREATE TABLE dashboard_sessions (
  id_hash       TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL REFERENCES projects(id),
  api_key_hash  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_at);
ALTER TABLE accounts ADD COLUMN resume_status TEXT;
ALTER TABLE accounts ADD COLUMN resume_reasons_json TEXT;
)sql"},
      {7, "an account's type follows its Plaid environment", R"sql(
UPDATE accounts SET type = CASE environment WHEN 'production' THEN 'production' ELSE 'test' END;
)sql"},
      // An exchange begun from now on is witnessed by the exchange journal (journaled = 1); one
      // begun by an older linkhub is not, so its outcome after a crash is unknown.
      {8, "orphaned Items and journaled exchanges", R"sql(
ALTER TABLE pending_exchanges ADD COLUMN journaled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE orphan_items (
  id                   TEXT PRIMARY KEY,
  project_id           TEXT NOT NULL REFERENCES projects(id),
  certainty            TEXT NOT NULL,
  exchange_id          TEXT UNIQUE,
  link_session_id      TEXT,
  item_id_sealed       TEXT NOT NULL,
  access_token_sealed  TEXT NOT NULL,
  reason               TEXT NOT NULL,
  created_at           INTEGER NOT NULL,
  removed_at           INTEGER
);
CREATE INDEX orphan_items_project ON orphan_items(project_id, created_at);
)sql"},
      // Times in these tables are milliseconds: deliveries are retried within seconds and kept
      // in order per account.
      {9, "Plaid webhooks in, events out", R"sql(
ALTER TABLE orphan_items ADD COLUMN item_id_hash TEXT;
CREATE UNIQUE INDEX orphan_items_item ON orphan_items(project_id, item_id_hash)
  WHERE item_id_hash IS NOT NULL;
CREATE TABLE plaid_webhooks (
  id            TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL REFERENCES projects(id),
  body_hash     TEXT NOT NULL,
  body_sealed   TEXT NOT NULL,
  webhook_type  TEXT NOT NULL,
  webhook_code  TEXT NOT NULL,
  item_id_hash  TEXT NOT NULL,
  account_id    TEXT,
  outcome       TEXT NOT NULL DEFAULT '',
  received_at   INTEGER NOT NULL,
  applied_at    INTEGER
);
CREATE INDEX plaid_webhooks_body ON plaid_webhooks(project_id, body_hash, received_at);
CREATE INDEX plaid_webhooks_unapplied ON plaid_webhooks(received_at) WHERE applied_at IS NULL;
CREATE INDEX plaid_webhooks_account ON plaid_webhooks(project_id, account_id, received_at);
CREATE TABLE events (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  project_id    TEXT NOT NULL,
  account_id    TEXT NOT NULL,
  type          TEXT NOT NULL,
  payload_json  TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE INDEX events_account ON events(project_id, account_id, seq);
CREATE TABLE webhook_endpoints (
  id                      TEXT PRIMARY KEY,
  project_id              TEXT NOT NULL REFERENCES projects(id),
  url                     TEXT NOT NULL,
  events_csv              TEXT NOT NULL,
  secret_sealed           TEXT NOT NULL,
  previous_secret_sealed  TEXT NOT NULL DEFAULT '',
  previous_secret_until   INTEGER,
  status                  TEXT NOT NULL,
  failing_since           INTEGER,
  created_at              INTEGER NOT NULL,
  deleted_at              INTEGER
);
CREATE INDEX webhook_endpoints_project ON webhook_endpoints(project_id);
CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,
  endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
  project_id       TEXT NOT NULL,
  account_id       TEXT NOT NULL,
  event_seq        INTEGER NOT NULL REFERENCES events(seq),
  state            TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER,
  last_status      INTEGER,
  last_latency_ms  INTEGER,
  last_error       TEXT,
  delivered_at     INTEGER,
  created_at       INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_chain
  ON webhook_deliveries(endpoint_id, account_id, event_seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at);
CREATE TABLE webhook_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries(id),
  at           INTEGER NOT NULL,
  status_code  INTEGER NOT NULL,
  latency_ms   INTEGER NOT NULL,
  error        TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
)sql"},
      // /readyz proves the database takes a flushed write by rewriting this one row.
      {10, "readiness probe", R"sql(
CREATE TABLE readiness (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at  INTEGER NOT NULL
);
)sql"},
      // API keys limited to some actions or to read-only ones; which door a Plaid call came
      // through (rpc, mcp, proxy, dashboard) and for which HTTP request ('' for calls logged
      // before).
      {11, "key limits and call doors", R"sql(
ALTER TABLE api_keys ADD COLUMN allowed_actions_csv TEXT;
ALTER TABLE api_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE plaid_calls ADD COLUMN via TEXT NOT NULL DEFAULT '';
ALTER TABLE plaid_calls ADD COLUMN linkhub_request_id TEXT NOT NULL DEFAULT '';
)sql"},
      {12, "no value sealed under a retired data key", kRetiredKeyGuards},
  };
  return kMigrations;
}

Result<int> SchemaVersion(SqliteDb& db) {
  auto lock = db.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? static_cast<int>(q.ColumnInt(0)) : 0;
}

Result<int> Migrate(SqliteDb& db, const std::vector<Migration>& migrations) {
  auto lock = db.Lock();
  LINKHUB_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name "
              "TEXT NOT NULL, "
              "applied_at INTEGER NOT NULL DEFAULT (strftime('%s','now')))"));
  LINKHUB_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
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
