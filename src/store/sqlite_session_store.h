#pragma once

#include "store/session_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// SessionStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(SqliteDb& db) : db_(db) {}

  Result<domain::ConnectSession> CreateConnectSession(domain::ConnectSession session) override;
  Result<domain::ConnectSession> FindConnectSession(const std::string& token_hash) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
