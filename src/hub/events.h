#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/event.h"

namespace linkhub::hub {

// An endpoint with its secret in the clear: only right after it was made or rotated.
struct EndpointWithSecret {
  domain::WebhookEndpoint endpoint;
  std::string secret;
};

struct DeliveryView {
  domain::Delivery delivery;
  std::vector<domain::DeliveryAttempt> attempts;  // oldest first
};

// One line of an account's timeline: a Plaid webhook it got, or an event sent about it.
struct TimelineEntry {
  TimePoint at;
  std::string kind;    // "plaid_webhook" or "event"
  std::string name;    // "ITEM ERROR", "account.updated", ...
  std::string detail;  // what the webhook did; the event's id
};

// The customer's side of events: a project's webhook endpoints, the deliveries of events to
// them, and an account's timeline. Events themselves are written by the stores with the changes
// they report; EventDelivery sends them. Blocking (database; DNS when an endpoint is made);
// thread-safe. Errors: kInvalidArgument (a bad URL or event name), kPermissionDenied (a URL to a
// loopback or private address while those are not allowed), kNotFound (another project's or an
// unknown id).
class Events {
 public:
  virtual ~Events() = default;

  // A new endpoint for `url` taking `events` (empty: every event), with a new secret.
  virtual Result<EndpointWithSecret> CreateEndpoint(const std::string& project_id,
                                                    const std::string& url,
                                                    const std::vector<std::string>& events) = 0;
  virtual Result<std::vector<domain::WebhookEndpoint>> ListEndpoints(
      const std::string& project_id) = 0;
  virtual Result<domain::WebhookEndpoint> GetEndpoint(const std::string& project_id,
                                                      const std::string& endpoint_id) = 0;
  virtual Status DeleteEndpoint(const std::string& project_id, const std::string& endpoint_id) = 0;
  // A new secret; the old one keeps signing beside it for kRotationOverlap.
  virtual Result<EndpointWithSecret> RotateSecret(const std::string& project_id,
                                                  const std::string& endpoint_id) = 0;
  // The endpoint's deliveries, newest first, with their attempts.
  virtual Result<std::vector<DeliveryView>> ListDeliveries(const std::string& project_id,
                                                           const std::string& endpoint_id,
                                                           size_t limit) = 0;
  // Sends a delivery again as soon as the worker can (kept in order behind the account's
  // earlier pending events).
  virtual Result<DeliveryView> RetryDelivery(const std::string& project_id,
                                             const std::string& endpoint_id,
                                             const std::string& delivery_id) = 0;
  // Plaid's webhooks about an account and the events sent about it, newest first.
  virtual Result<std::vector<TimelineEntry>> Timeline(const std::string& project_id,
                                                      const std::string& account_id,
                                                      size_t limit) = 0;

  static constexpr std::chrono::hours kRotationOverlap{24};
};

}  // namespace linkhub::hub
