#pragma once

#include "store/data_key_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// DataKeyStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteDataKeyStore final : public DataKeyStore {
 public:
  explicit SqliteDataKeyStore(SqliteDb& db) : db_(db) {}

  Status AddActiveDataKey(const domain::StoredDataKey& key) override;
  Result<std::vector<domain::StoredDataKey>> ListDataKeys() override;
  Result<std::string> ActiveDataKeyId() override;
  Status RetireDataKey(const std::string& key_id, TimePoint now) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
