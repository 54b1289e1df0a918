#pragma once

#include "store/plaid_webhook_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// PlaidWebhookStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqlitePlaidWebhookStore final : public PlaidWebhookStore {
 public:
  explicit SqlitePlaidWebhookStore(SqliteDb& db) : db_(db) {}

  Status ReceiveWebhook(const domain::PlaidWebhook& webhook, TimePoint duplicates_since) override;
  Result<std::vector<domain::PlaidWebhook>> ListUnapplied(size_t limit) override;
  Status FinishWebhook(const std::string& webhook_id, const std::optional<std::string>& account_id,
                       const std::string& outcome, std::optional<domain::EventType> event,
                       TimePoint now) override;
  Result<std::vector<domain::PlaidWebhook>> ListAccountWebhooks(const std::string& project_id,
                                                                const std::string& account_id,
                                                                size_t limit) override;
  Status PruneApplied(TimePoint before) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
