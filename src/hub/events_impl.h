#pragma once

#include <functional>

#include "core/clock.h"
#include "core/random.h"
#include "hub/events.h"
#include "hub/keys.h"
#include "store/event_store.h"
#include "store/plaid_webhook_store.h"

namespace linkhub::hub {

struct EventsOptions {
  // Endpoints may point at loopback and private addresses (tests, demos, a receiver beside
  // linkhub). Off: such URLs are refused when made, and such addresses when connected to.
  bool allow_private_urls = false;
  // Checks that a host resolves only to public addresses (http::CheckPublicHost); injectable so
  // tests need no DNS.
  std::function<Status(const std::string& host)> check_public_host;
  // Called after a delivery was made due again (EventDelivery::Wake), so it goes out at once.
  std::function<void()> wake_delivery;
};

// Events over the event store. Secrets are sealed under the project, the endpoint's id and
// "secret" / "previous_secret". Keys, stores and clock must outlive it. Thread-safe.
class EventsImpl final : public Events {
 public:
  EventsImpl(store::EventStore& events, store::PlaidWebhookStore& plaid_webhooks, Keys& keys,
             Clock& clock, Random& random, EventsOptions options);

  Result<EndpointWithSecret> CreateEndpoint(const std::string& project_id, const std::string& url,
                                            const std::vector<std::string>& events) override;
  Result<std::vector<domain::WebhookEndpoint>> ListEndpoints(
      const std::string& project_id) override;
  Result<domain::WebhookEndpoint> GetEndpoint(const std::string& project_id,
                                              const std::string& endpoint_id) override;
  Status DeleteEndpoint(const std::string& project_id, const std::string& endpoint_id) override;
  Result<EndpointWithSecret> RotateSecret(const std::string& project_id,
                                          const std::string& endpoint_id) override;
  Result<std::vector<DeliveryView>> ListDeliveries(const std::string& project_id,
                                                   const std::string& endpoint_id,
                                                   size_t limit) override;
  Result<DeliveryView> RetryDelivery(const std::string& project_id, const std::string& endpoint_id,
                                     const std::string& delivery_id) override;
  Result<std::vector<TimelineEntry>> Timeline(const std::string& project_id,
                                              const std::string& account_id, size_t limit) override;

  // How many endpoints a project may have.
  static constexpr size_t kMaxEndpoints = 20;

 private:
  Result<DeliveryView> View(domain::Delivery delivery);

  store::EventStore& events_;
  store::PlaidWebhookStore& plaid_webhooks_;
  Keys& keys_;
  Clock& clock_;
  Random& random_;
  EventsOptions options_;
};

}  // namespace linkhub::hub
