#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "store/account_store.h"
#include "store/api_key_store.h"
#include "store/call_log_store.h"
#include "store/connection_attempt_store.h"
#include "store/dashboard_session_store.h"
#include "store/data_key_store.h"
#include "store/event_store.h"
#include "store/exchange_store.h"
#include "store/orphan_store.h"
#include "store/plaid_webhook_store.h"
#include "store/project_store.h"
#include "store/session_store.h"
#include "store/sync_cursor_store.h"

namespace linkhub::store {

// Every narrow store of one database, by reference. The Backend that made them owns them.
struct Stores {
  ProjectStore& projects;
  ApiKeyStore& api_keys;
  DataKeyStore& data_keys;
  SessionStore& sessions;
  AccountStore& accounts;
  ExchangeStore& exchanges;
  SyncCursorStore& sync_cursors;
  CallLogStore& call_log;
  ConnectionAttemptStore& attempts;
  DashboardSessionStore& dashboard_sessions;
  OrphanStore& orphans;
  EventStore& events;
  PlaidWebhookStore& plaid_webhooks;
};

// One opened, migrated database and the stores on it: the composition root opens one and hands
// its stores to the hub. Thread-safe (so are the stores). Destroying it closes the database;
// the stores must not be used after that.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const Stores& stores() const = 0;
  // Where the data is, for a log line ("sqlite:/var/lib/linkhub/linkhub.db"); never a password.
  virtual std::string Describe() const = 0;
  // OK when the database takes a write that reaches the disk (one row rewritten and committed)
  // and its schema is the one this linkhub knows. kFailedPrecondition naming the versions when
  // another linkhub migrated it since; the database's error otherwise (read-only, busy past the
  // busy timeout, the disk failing). Blocks on the database.
  virtual Status CheckReady(TimePoint now) = 0;
};

}  // namespace linkhub::store
