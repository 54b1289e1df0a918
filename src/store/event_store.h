#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/event.h"

namespace linkhub::store {

// A delivery that is due, with what sending it needs.
struct DueDelivery {
  domain::Delivery delivery;
  domain::Event event;
  domain::WebhookEndpoint endpoint;
};

// One attempt of a delivery and what follows it.
struct AttemptRecord {
  std::string delivery_id;
  domain::DeliveryAttempt attempt;
  domain::DeliveryState next_state = domain::DeliveryState::kPending;
  TimePoint next_attempt_at;
};

// The outbox and its way out: events (written by the stores whose changes they report, see
// sqlite_event_rows.h), the projects' webhook endpoints, and each event's delivery to each
// endpoint with its attempts. Every read and write of an endpoint names its project.
// Implementations are thread-safe. Errors: kNotFound, kInternal/kUnavailable for the database.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // An account's events, newest first.
  virtual Result<std::vector<domain::Event>> ListAccountEvents(const std::string& project_id,
                                                               const std::string& account_id,
                                                               size_t limit) = 0;

  virtual Status CreateEndpoint(const domain::WebhookEndpoint& endpoint) = 0;
  // The project's endpoints not deleted, oldest first.
  virtual Result<std::vector<domain::WebhookEndpoint>> ListEndpoints(
      const std::string& project_id) = 0;
  virtual Result<domain::WebhookEndpoint> GetEndpoint(const std::string& project_id,
                                                      const std::string& endpoint_id) = 0;
  // Deletes an endpoint; its pending deliveries are dropped with it.
  virtual Status DeleteEndpoint(const std::string& project_id, const std::string& endpoint_id,
                                TimePoint now) = 0;
  // Replaces the secret; the one it replaces (sealed again for its new column) signs beside it
  // until `previous_until`.
  virtual Status RotateSecret(const std::string& project_id, const std::string& endpoint_id,
                              const std::string& new_secret_sealed,
                              const std::string& previous_secret_sealed,
                              TimePoint previous_until) = 0;

  // Pending deliveries due at `now`, each the oldest pending one of its endpoint and account (so
  // an account's events reach an endpoint in order), oldest event first; at most `limit`.
  virtual Result<std::vector<DueDelivery>> ListDueDeliveries(TimePoint now, size_t limit) = 0;
  // When the next pending delivery is due, or nullopt when none is pending.
  virtual Result<std::optional<TimePoint>> NextDueAt() = 0;
  // Records attempts of deliveries, each with what follows: kDelivered, kFailed, or kPending
  // again at `next_attempt_at`, in one transaction (one flush to the disk for a batch). The
  // endpoint's health follows in the same transaction: a success makes it active; a failure
  // starts (or continues) its failing streak, and a streak older than `failing_after`, or a
  // delivery that gives up (kFailed), marks it failing. kNotFound (nothing written) when a
  // delivery is unknown.
  virtual Status RecordAttempts(const std::vector<AttemptRecord>& attempts,
                                std::chrono::milliseconds failing_after) = 0;
  // RecordAttempts of one.
  Status RecordAttempt(const std::string& delivery_id, const domain::DeliveryAttempt& attempt,
                       domain::DeliveryState next_state, TimePoint next_attempt_at,
                       std::chrono::milliseconds failing_after) {
    return RecordAttempts({AttemptRecord{delivery_id, attempt, next_state, next_attempt_at}},
                          failing_after);
  }
  // An endpoint's deliveries, newest first, each with its last attempt.
  virtual Result<std::vector<domain::Delivery>> ListDeliveries(const std::string& project_id,
                                                               const std::string& endpoint_id,
                                                               size_t limit) = 0;
  virtual Result<domain::Delivery> GetDelivery(const std::string& project_id,
                                               const std::string& endpoint_id,
                                               const std::string& delivery_id) = 0;
  // A delivery's attempts, oldest first.
  virtual Result<std::vector<domain::DeliveryAttempt>> ListAttempts(
      const std::string& delivery_id) = 0;
  // Makes a delivery pending again, due at `now` (a delivered one is sent once more).
  virtual Status RetryDelivery(const std::string& project_id, const std::string& endpoint_id,
                               const std::string& delivery_id, TimePoint now) = 0;

  // Deletes what is older than `before` and settled: deliveries delivered or failed (with their
  // attempts) and events none of whose deliveries is pending. Returns how many events went.
  virtual Result<int64_t> PruneSettled(TimePoint before) = 0;

  // A number that grows whenever this process may have written to the database (and so maybe
  // an event), for a worker that wants to notice new events without querying; lock-free.
  // nullopt: the store cannot tell.
  virtual std::optional<uint64_t> WriteCount() const { return std::nullopt; }
};

}  // namespace linkhub::store
