#pragma once

#include "store/connection_attempt_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// ConnectionAttemptStore on SQLite. REQUIRES: the database is migrated (see Migrate).
// Thread-safe.
class SqliteConnectionAttemptStore final : public ConnectionAttemptStore {
 public:
  explicit SqliteConnectionAttemptStore(SqliteDb& db) : db_(db) {}

  Status CreateConnectionAttempt(const domain::ConnectionAttempt& attempt) override;
  Result<domain::ConnectionAttempt> GetConnectionAttempt(const std::string& project_id,
                                                         int64_t session_id,
                                                         const std::string& id) override;
  Status CancelConnectionAttempt(const std::string& project_id, int64_t session_id,
                                 const std::string& id, TimePoint now) override;
  Status CompleteConnectionAttempts(const std::string& project_id, int64_t session_id,
                                    const std::string& account_id, TimePoint now) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
