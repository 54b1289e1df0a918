#pragma once

#include "store/event_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// EventStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteEventStore final : public EventStore {
 public:
  explicit SqliteEventStore(SqliteDb& db) : db_(db) {}

  Result<std::vector<domain::Event>> ListAccountEvents(const std::string& project_id,
                                                       const std::string& account_id,
                                                       size_t limit) override;
  Status CreateEndpoint(const domain::WebhookEndpoint& endpoint) override;
  Result<std::vector<domain::WebhookEndpoint>> ListEndpoints(
      const std::string& project_id) override;
  Result<domain::WebhookEndpoint> GetEndpoint(const std::string& project_id,
                                              const std::string& endpoint_id) override;
  Status DeleteEndpoint(const std::string& project_id, const std::string& endpoint_id,
                        TimePoint now) override;
  Status RotateSecret(const std::string& project_id, const std::string& endpoint_id,
                      const std::string& new_secret_sealed,
                      const std::string& previous_secret_sealed, TimePoint previous_until) override;
  Result<std::vector<DueDelivery>> ListDueDeliveries(TimePoint now, size_t limit) override;
  Result<std::optional<TimePoint>> NextDueAt() override;
  Status RecordAttempts(const std::vector<AttemptRecord>& attempts,
                        std::chrono::milliseconds failing_after) override;
  Result<std::vector<domain::Delivery>> ListDeliveries(const std::string& project_id,
                                                       const std::string& endpoint_id,
                                                       size_t limit) override;
  Result<domain::Delivery> GetDelivery(const std::string& project_id,
                                       const std::string& endpoint_id,
                                       const std::string& delivery_id) override;
  Result<std::vector<domain::DeliveryAttempt>> ListAttempts(
      const std::string& delivery_id) override;
  Status RetryDelivery(const std::string& project_id, const std::string& endpoint_id,
                       const std::string& delivery_id, TimePoint now) override;
  Result<int64_t> PruneSettled(TimePoint before) override;
  std::optional<uint64_t> WriteCount() const override { return db_.WriteCount(); }

 private:
  // One attempt. REQUIRES: inside a Transaction.
  Status RecordAttemptLocked(const AttemptRecord& record, std::chrono::milliseconds failing_after);
  Result<std::vector<domain::Delivery>> QueryDeliveries(const std::string& where,
                                                        const std::vector<std::string>& params,
                                                        const std::string& tail);
  SqliteDb& db_;
};

}  // namespace linkhub::store
