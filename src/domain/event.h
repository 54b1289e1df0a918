#pragma once

// What linkhub hears from Plaid (webhooks kept in an inbox) and what it tells the customer
// (events kept in an outbox, delivered to the project's webhook endpoints). Plain values: no I/O,
// no Boost.JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_format.h"

namespace linkhub::domain {

// The events a project's endpoints can subscribe to: StackOne's three account events and ours.
//   kAccountCreated               an account was linked
//   kAccountUpdated               its status or reasons changed, it was re-linked or edited
//   kAccountDeleted               it was deleted (its Item removed at Plaid)
//   kTransactionsUpdatesAvailable Plaid has new transactions for it: the customer syncs
enum class EventType {
  kAccountCreated,
  kAccountUpdated,
  kAccountDeleted,
  kTransactionsUpdatesAvailable
};
// "account.created", "account.updated", "account.deleted", "transactions.updates_available".
std::string_view ToString(EventType type);
std::optional<EventType> ParseEventType(std::string_view text);
// Every event type, in the order above.
const std::vector<EventType>& AllEventTypes();

// One event of the outbox. Written in the same transaction as the change it reports; its
// payload is the account as that change left it (the flat JSON body of a delivery, without
// sent_at, which each attempt adds).
struct Event {
  int64_t seq = 0;  // the outbox's order
  std::string id;   // "evt_...": the webhook-id of every delivery of it
  std::string project_id;
  std::string account_id;
  EventType type = EventType::kAccountUpdated;
  std::string payload_json;
  TimePoint created_at;
};

// A customer's endpoint for events. Its secrets are sealed at rest (bound to the project, the
// endpoint and the field) and shown once, when made.
//   kActive   deliveries succeed, or have failed for less than a day
//   kFailing  every delivery has failed for a day; deliveries go on, and a success heals it
enum class EndpointStatus { kActive, kFailing };
std::string_view ToString(EndpointStatus status);
std::optional<EndpointStatus> ParseEndpointStatus(std::string_view text);

struct WebhookEndpoint {
  std::string id;  // "whk_..."
  std::string project_id;
  std::string url;
  std::vector<EventType> events;  // empty: every event
  std::string secret_sealed;
  // The secret before the last rotation: it keeps signing beside the new one until
  // previous_secret_until.
  std::string previous_secret_sealed;
  std::optional<TimePoint> previous_secret_until;
  EndpointStatus status = EndpointStatus::kActive;
  std::optional<TimePoint> failing_since;  // the first failure of the current streak
  TimePoint created_at;
};

// One event on its way to one endpoint.
//   kPending    not delivered yet: due at next_attempt_at
//   kDelivered  the endpoint answered 2xx
//   kFailed     retries ran out (a day of failures)
enum class DeliveryState { kPending, kDelivered, kFailed };
std::string_view ToString(DeliveryState state);
std::optional<DeliveryState> ParseDeliveryState(std::string_view text);

// One attempt to deliver: never the body or the headers.
struct DeliveryAttempt {
  TimePoint at;
  int status_code = 0;  // 0: no answer
  int64_t latency_ms = 0;
  std::string error;  // empty on success; never a secret
};

struct Delivery {
  std::string id;  // "dlv_..."
  std::string endpoint_id;
  std::string project_id;
  std::string account_id;
  int64_t event_seq = 0;
  std::string event_id;
  EventType event_type = EventType::kAccountUpdated;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  TimePoint next_attempt_at;
  std::optional<DeliveryAttempt> last_attempt;
  std::optional<TimePoint> delivered_at;
  TimePoint created_at;
};

// A verified Plaid webhook, kept until applied. The body is sealed (it names the Item);
// body_hash (a keyed hash of the exact bytes) makes a retried delivery a duplicate.
struct PlaidWebhook {
  std::string id;  // "pwh_..."
  std::string project_id;
  std::string body_hash;
  std::string body_sealed;
  std::string webhook_type;  // safe to show: "ITEM", "TRANSACTIONS", ...
  std::string webhook_code;
  std::string item_id_hash;               // the keyed hash of the item_id it names; empty when none
  std::optional<std::string> account_id;  // the account it was applied to, once applied
  std::string outcome;                    // once applied: what it did, safe to show
  TimePoint received_at;
  std::optional<TimePoint> applied_at;
};

}  // namespace linkhub::domain
