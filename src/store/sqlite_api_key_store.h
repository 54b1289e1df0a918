#pragma once

#include "store/api_key_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// ApiKeyStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteApiKeyStore final : public ApiKeyStore {
 public:
  explicit SqliteApiKeyStore(SqliteDb& db) : db_(db) {}

  Status AddApiKey(const domain::ApiKey& key) override;
  Result<domain::ApiKey> FindActiveApiKey(const std::string& key_hash) override;
  Result<std::vector<domain::ApiKey>> ListApiKeys(const std::string& project_id) override;
  Status RevokeApiKey(const std::string& project_id, const std::string& key_id,
                      TimePoint now) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
