#pragma once

#include "store/exchange_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// ExchangeStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteExchangeStore final : public ExchangeStore {
 public:
  explicit SqliteExchangeStore(SqliteDb& db) : db_(db) {}

  Status BeginExchange(const domain::PendingExchange& pending) override;
  Result<domain::PendingExchange> FindExchange(const std::string& public_token_hash) override;
  Status ReopenExchange(const std::string& exchange_id, TimePoint now) override;
  Status CompleteExchange(const std::string& exchange_id, const domain::LinkedAccount& account,
                          TimePoint now) override;
  Status FailExchange(const std::string& exchange_id, const std::string& failure,
                      TimePoint now) override;
  Result<std::vector<domain::PendingExchange>> ListPendingExchanges() override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
