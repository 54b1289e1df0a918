#pragma once

#include "store/call_log_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// CallLogStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteCallLogStore final : public CallLogStore {
 public:
  explicit SqliteCallLogStore(SqliteDb& db) : db_(db) {}

  Status AddPlaidCalls(const std::vector<domain::PlaidCallRecord>& calls) override;
  Result<std::vector<domain::PlaidCallRecord>> ListPlaidCalls(const std::string& project_id,
                                                              const std::string& account_id,
                                                              int limit) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
