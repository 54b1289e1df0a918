#include "hub/events_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/ids.h"
#include "core/url.h"
#include "hub/event_signing.h"
#include "vault/hashing.h"

namespace linkhub::hub {

EventsImpl::EventsImpl(store::EventStore& events, store::PlaidWebhookStore& plaid_webhooks,
                       Keys& keys, Clock& clock, Random& random, EventsOptions options)
    : events_(events),
      plaid_webhooks_(plaid_webhooks),
      keys_(keys),
      clock_(clock),
      random_(random),
      options_(std::move(options)) {}

Result<EndpointWithSecret> EventsImpl::CreateEndpoint(const std::string& project_id,
                                                      const std::string& url,
                                                      const std::vector<std::string>& events) {
  auto parsed = ParseHttpUrl(url);
  if (!parsed) {
    return Unexpected(Invalid("url: " + parsed.error().message));
  }
  if (!options_.allow_private_urls) {
    Status public_host =
        options_.check_public_host ? options_.check_public_host(parsed->host) : OkStatus();
    if (!public_host) {
      Error e = std::move(public_host).error();
      e.message = "url: " + e.message +
                  (e.code == ErrorCode::kPermissionDenied
                       ? "; webhooks go to public addresses only (the server's "
                         "--allow-private-webhook-urls allows others)"
                       : "");
      return Unexpected(std::move(e));
    }
  }
  domain::WebhookEndpoint w;
  for (const auto& name : events) {
    auto type = domain::ParseEventType(name);
    if (!type) {
      std::string message = "events: '" + name + "' is not an event; they are ";
      for (auto t : domain::AllEventTypes()) {
        message += t == domain::AllEventTypes().front() ? "" : ", ";
        message += domain::ToString(t);
      }
      return Unexpected(Invalid(std::move(message)));
    }
    if (std::find(w.events.begin(), w.events.end(), *type) == w.events.end()) {
      w.events.push_back(*type);
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(auto existing, events_.ListEndpoints(project_id));
  if (existing.size() >= kMaxEndpoints) {
    return Unexpected(MakeError(
        ErrorCode::kFailedPrecondition,
        "a project has at most " + std::to_string(kMaxEndpoints) + " webhooks; delete one first"));
  }
  w.id = "whk_" + NewBase62(random_, 22);
  w.project_id = project_id;
  w.url = url;
  w.created_at = clock_.Now();
  std::string secret = NewEndpointSecret(random_);
  LINKHUB_ASSIGN_OR_RETURN(w.secret_sealed, keys_.Seal(project_id, w.id, "secret", secret));
  LINKHUB_RETURN_IF_ERROR(events_.CreateEndpoint(w));
  spdlog::info("webhook {} made for project {}", w.id, project_id);
  return EndpointWithSecret{std::move(w), std::move(secret)};
}

Result<std::vector<domain::WebhookEndpoint>> EventsImpl::ListEndpoints(
    const std::string& project_id) {
  return events_.ListEndpoints(project_id);
}

Result<domain::WebhookEndpoint> EventsImpl::GetEndpoint(const std::string& project_id,
                                                        const std::string& endpoint_id) {
  return events_.GetEndpoint(project_id, endpoint_id);
}

Status EventsImpl::DeleteEndpoint(const std::string& project_id, const std::string& endpoint_id) {
  LINKHUB_RETURN_IF_ERROR(events_.DeleteEndpoint(project_id, endpoint_id, clock_.Now()));
  spdlog::info("webhook {} of project {} deleted", endpoint_id, project_id);
  return OkStatus();
}

Result<EndpointWithSecret> EventsImpl::RotateSecret(const std::string& project_id,
                                                    const std::string& endpoint_id) {
  LINKHUB_ASSIGN_OR_RETURN(domain::WebhookEndpoint w, events_.GetEndpoint(project_id, endpoint_id));
  std::string secret = NewEndpointSecret(random_);
  LINKHUB_ASSIGN_OR_RETURN(std::string sealed,
                           keys_.Seal(project_id, endpoint_id, "secret", secret));
  // The old secret moves to previous_secret: sealed again under that field's binding.
  LINKHUB_ASSIGN_OR_RETURN(std::string old,
                           keys_.Open(project_id, endpoint_id, "secret", w.secret_sealed));
  LINKHUB_ASSIGN_OR_RETURN(std::string old_sealed,
                           keys_.Seal(project_id, endpoint_id, "previous_secret", old));
  vault::Wipe(old);
  const TimePoint until = clock_.Now() + kRotationOverlap;
  LINKHUB_RETURN_IF_ERROR(events_.RotateSecret(project_id, endpoint_id, sealed, old_sealed, until));
  LINKHUB_ASSIGN_OR_RETURN(w, events_.GetEndpoint(project_id, endpoint_id));
  spdlog::info("webhook {} of project {}: secret rotated; the old one signs until {}", endpoint_id,
               project_id, FormatRfc3339(until));
  return EndpointWithSecret{std::move(w), std::move(secret)};
}

Result<DeliveryView> EventsImpl::View(domain::Delivery delivery) {
  DeliveryView v;
  LINKHUB_ASSIGN_OR_RETURN(v.attempts, events_.ListAttempts(delivery.id));
  v.delivery = std::move(delivery);
  return v;
}

Result<std::vector<DeliveryView>> EventsImpl::ListDeliveries(const std::string& project_id,
                                                             const std::string& endpoint_id,
                                                             size_t limit) {
  LINKHUB_RETURN_IF_ERROR(events_.GetEndpoint(project_id, endpoint_id));
  LINKHUB_ASSIGN_OR_RETURN(auto deliveries, events_.ListDeliveries(project_id, endpoint_id, limit));
  std::vector<DeliveryView> out;
  out.reserve(deliveries.size());
  for (auto& d : deliveries) {
    LINKHUB_ASSIGN_OR_RETURN(DeliveryView v, View(std::move(d)));
    out.push_back(std::move(v));
  }
  return out;
}

Result<DeliveryView> EventsImpl::RetryDelivery(const std::string& project_id,
                                               const std::string& endpoint_id,
                                               const std::string& delivery_id) {
  LINKHUB_RETURN_IF_ERROR(
      events_.RetryDelivery(project_id, endpoint_id, delivery_id, clock_.Now()));
  if (options_.wake_delivery) {
    options_.wake_delivery();
  }
  LINKHUB_ASSIGN_OR_RETURN(domain::Delivery d,
                           events_.GetDelivery(project_id, endpoint_id, delivery_id));
  return View(std::move(d));
}

Result<std::vector<TimelineEntry>> EventsImpl::Timeline(const std::string& project_id,
                                                        const std::string& account_id,
                                                        size_t limit) {
  std::vector<TimelineEntry> out;
  LINKHUB_ASSIGN_OR_RETURN(auto webhooks,
                           plaid_webhooks_.ListAccountWebhooks(project_id, account_id, limit));
  out.reserve(2 * limit);
  for (const auto& w : webhooks) {
    out.push_back(TimelineEntry{w.received_at, "plaid_webhook",
                                w.webhook_type + " " + w.webhook_code, w.outcome});
  }
  LINKHUB_ASSIGN_OR_RETURN(auto events, events_.ListAccountEvents(project_id, account_id, limit));
  for (const auto& e : events) {
    out.push_back(
        TimelineEntry{e.created_at, "event", std::string(domain::ToString(e.type)), e.id});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return a.at > b.at; });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

}  // namespace linkhub::hub
