#pragma once

// For tests: a migrated in-memory SQLite database, and every SQLite store on it.

#include <memory>

#include "core/result.h"
#include "store/backend.h"
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
#include "store/sqlite_session_store.h"
#include "store/sqlite_sync_cursor_store.h"

namespace linkhub::store {

inline std::unique_ptr<SqliteDb> MigratedMemoryDb() {
  auto db = SqliteDb::Open(":memory:");
  LINKHUB_CHECK(db.has_value());
  LINKHUB_CHECK(Migrate(**db, SqliteMigrations()).has_value());
  return std::move(*db);
}

// Stores `account` the only way the stores allow: through an exchange ("exch_<account id>")
// begun and completed for it.
inline Status InsertAccount(ExchangeStore& exchanges, const domain::LinkedAccount& account) {
  domain::PendingExchange p;
  p.id = "exch_" + account.id;
  p.project_id = account.project_id;
  p.session_id = account.connect_session_id.value_or(1);
  p.public_token_hash = "hash-" + account.id;
  p.account_id = account.id;
  p.origin_owner_id = account.origin_owner_id;
  p.created_at = account.created_at;
  LINKHUB_RETURN_IF_ERROR(exchanges.BeginExchange(p));
  return exchanges.CompleteExchange(p.id, account, account.created_at);
}

// Every SQLite store on one migrated in-memory database; `db` is there for tests that look at
// rows directly. Not movable: the stores hold the database by reference.
struct MemoryStores {
  std::unique_ptr<SqliteDb> db = MigratedMemoryDb();
  SqliteProjectStore projects{*db};
  SqliteApiKeyStore api_keys{*db};
  SqliteDataKeyStore data_keys{*db};
  SqliteSessionStore sessions{*db};
  SqliteAccountStore accounts{*db};
  SqliteExchangeStore exchanges{*db};
  SqliteSyncCursorStore sync_cursors{*db};
  SqliteCallLogStore call_log{*db};
  SqliteConnectionAttemptStore attempts{*db};
  SqliteDashboardSessionStore dashboard_sessions{*db};
  SqliteOrphanStore orphans{*db};
  SqliteEventStore events{*db};
  SqlitePlaidWebhookStore plaid_webhooks{*db};
  Stores stores{projects,  api_keys,     data_keys,     sessions, accounts,
                exchanges, sync_cursors, call_log,      attempts, dashboard_sessions,
                orphans,   events,       plaid_webhooks};
};

}  // namespace linkhub::store
