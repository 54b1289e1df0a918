// Webhooks both ways: Plaid's in (POST /webhooks/plaid/{project_id}, authenticated by Plaid's
// signature alone) and the customer's endpoints for linkhub's events (/webhooks, API key).
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/input.h"
#include "api/routes_internal.h"
#include "core/json.h"

namespace linkhub::api {

namespace {

using boost::json::array;
using boost::json::object;
using http::Request;
using http::Response;

array EventNames(const std::vector<domain::EventType>& events) {
  array out;
  for (auto e : events) {
    out.emplace_back(domain::ToString(e));
  }
  return out;
}

object AttemptJson(const domain::DeliveryAttempt& a) {
  return object{
      {"at", FormatRfc3339(a.at)},
      {"status_code",
       a.status_code == 0 ? boost::json::value(nullptr) : boost::json::value(a.status_code)},
      {"latency_ms", a.latency_ms},
      {"error", a.error.empty() ? boost::json::value(nullptr) : boost::json::value(a.error)}};
}

std::string EndpointParam(const Request& r) { return std::string(r.PathParam("id")); }

// An endpoint with its secret: the one answer that shows it, never cached.
Response WithSecret(int status, const hub::EndpointWithSecret& e) {
  object out = EndpointJson(e.endpoint);
  out["secret"] = e.secret;
  Response res = JsonResponse(status, out);
  res.headers.Set("Cache-Control", "no-store");
  return res;
}

Result<Response> ReceivePlaidWebhook(ApiContext& ctx, Request& r) {
  auto header = r.headers.Get("Plaid-Verification");
  LINKHUB_ASSIGN_OR_RETURN(
      hub::WebhookReceipt receipt,
      ctx.plaid_webhooks->Receive(std::string(r.PathParam("project_id")),
                                  header ? *header : std::string_view(), r.body));
  return JsonResponse(200, object{{"received", true}, {"duplicate", receipt.duplicate}});
}

Result<Response> CreateEndpoint(ApiContext& ctx, Request& r, const std::string& project_id) {
  return WebhookCreated(ctx, r, project_id);
}

Result<Response> ListEndpoints(ApiContext& ctx, Request&, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto endpoints, ctx.events->ListEndpoints(project_id));
  return JsonResponse(200, EndpointsJson(endpoints));
}

Result<Response> GetEndpoint(ApiContext& ctx, Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto e, ctx.events->GetEndpoint(project_id, EndpointParam(r)));
  return JsonResponse(200, EndpointJson(e));
}

Result<Response> DeleteEndpoint(ApiContext& ctx, Request& r, const std::string& project_id) {
  return WebhookDeleted(ctx, project_id, EndpointParam(r));
}

Result<Response> RotateSecret(ApiContext& ctx, Request& r, const std::string& project_id) {
  return WebhookRotated(ctx, project_id, EndpointParam(r));
}

Result<Response> ListDeliveries(ApiContext& ctx, Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(array deliveries,
                           WebhookDeliveriesJson(ctx, r, project_id, EndpointParam(r), 50));
  return JsonResponse(200, deliveries);
}

Result<Response> RetryDelivery(ApiContext& ctx, Request& r, const std::string& project_id) {
  return WebhookRetried(ctx, project_id, EndpointParam(r), std::string(r.PathParam("delivery_id")));
}

}  // namespace

object EndpointJson(const domain::WebhookEndpoint& e) {
  return object{{"id", e.id},
                {"url", e.url},
                {"events", EventNames(e.events)},
                {"status", domain::ToString(e.status)},
                {"failing_since", OrNull(e.failing_since)},
                {"previous_secret_expires_at", OrNull(e.previous_secret_until)},
                {"created_at", FormatRfc3339(e.created_at)}};
}

object DeliveryJson(const hub::DeliveryView& v) {
  const domain::Delivery& d = v.delivery;
  array attempts;
  for (const auto& a : v.attempts) {
    attempts.push_back(AttemptJson(a));
  }
  return object{{"id", d.id},
                {"webhook_id", d.endpoint_id},
                {"event_id", d.event_id},
                {"event", domain::ToString(d.event_type)},
                {"account_id", d.account_id},
                {"state", domain::ToString(d.state)},
                {"attempt_count", d.attempts},
                {"next_attempt_at", d.state == domain::DeliveryState::kPending
                                        ? boost::json::value(FormatRfc3339(d.next_attempt_at))
                                        : boost::json::value(nullptr)},
                {"delivered_at", OrNull(d.delivered_at)},
                {"created_at", FormatRfc3339(d.created_at)},
                {"attempts", std::move(attempts)}};
}

object TimelineJson(const hub::TimelineEntry& t) {
  return object{
      {"at", FormatRfc3339(t.at)}, {"kind", t.kind}, {"name", t.name}, {"detail", t.detail}};
}

array EndpointsJson(const std::vector<domain::WebhookEndpoint>& endpoints) {
  array out;
  for (const auto& e : endpoints) {
    out.push_back(EndpointJson(e));
  }
  return out;
}

Result<Response> WebhookCreated(ApiContext& ctx, const Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(std::string url, RequiredString(body, "url", 2048));
  LINKHUB_ASSIGN_OR_RETURN(auto events, OptionalStringList(body, "events", 16));
  LINKHUB_ASSIGN_OR_RETURN(
      hub::EndpointWithSecret made,
      ctx.events->CreateEndpoint(project_id, url, events.value_or(std::vector<std::string>{})));
  return WithSecret(201, made);
}

Result<Response> WebhookDeleted(ApiContext& ctx, const std::string& project_id,
                                const std::string& endpoint_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto e, ctx.events->GetEndpoint(project_id, endpoint_id));
  LINKHUB_RETURN_IF_ERROR(ctx.events->DeleteEndpoint(project_id, e.id));
  object out = EndpointJson(e);
  out["deleted"] = true;
  return JsonResponse(200, out);
}

Result<Response> WebhookRotated(ApiContext& ctx, const std::string& project_id,
                                const std::string& endpoint_id) {
  LINKHUB_ASSIGN_OR_RETURN(hub::EndpointWithSecret rotated,
                           ctx.events->RotateSecret(project_id, endpoint_id));
  return WithSecret(200, rotated);
}

Result<array> WebhookDeliveriesJson(ApiContext& ctx, const Request& r,
                                    const std::string& project_id, const std::string& endpoint_id,
                                    int64_t default_limit) {
  LINKHUB_ASSIGN_OR_RETURN(int64_t limit, IntParam(r, "limit", default_limit, 1, 500));
  LINKHUB_ASSIGN_OR_RETURN(auto deliveries, ctx.events->ListDeliveries(project_id, endpoint_id,
                                                                       static_cast<size_t>(limit)));
  array out;
  for (const auto& d : deliveries) {
    out.push_back(DeliveryJson(d));
  }
  return out;
}

Result<Response> WebhookRetried(ApiContext& ctx, const std::string& project_id,
                                const std::string& endpoint_id, const std::string& delivery_id) {
  LINKHUB_ASSIGN_OR_RETURN(hub::DeliveryView d,
                           ctx.events->RetryDelivery(project_id, endpoint_id, delivery_id));
  return JsonResponse(202, DeliveryJson(d));
}

void RegisterWebhookRoutes(http::Router& router, ApiContext& ctx) {
  if (ctx.plaid_webhooks != nullptr) {
    // On the upstream lane: verifying may fetch Plaid's key.
    router.Add(
        "POST", "/webhooks/plaid/{project_id}",
        [&ctx](Request& r) -> Response {
          Result<Response> res = ReceivePlaidWebhook(ctx, r);
          return res ? std::move(*res) : ErrorResponse(res.error(), ctx.clock);
        },
        http::Lane::kUpstream);
  }
  if (ctx.events == nullptr) {
    return;
  }
  auto managed = [&](const char* method, std::string_view pattern,
                     Result<Response> (*fn)(ApiContext&, Request&, const std::string&)) {
    router.Add(method, pattern, Managed(ctx, [&ctx, fn](Request& r, const std::string& p) {
                 return fn(ctx, r, p);
               }));
  };
  managed("POST", "/webhooks", CreateEndpoint);
  managed("GET", "/webhooks", ListEndpoints);
  managed("GET", "/webhooks/{id}", GetEndpoint);
  managed("DELETE", "/webhooks/{id}", DeleteEndpoint);
  managed("POST", "/webhooks/{id}/rotate_secret", RotateSecret);
  managed("GET", "/webhooks/{id}/deliveries", ListDeliveries);
  managed("POST", "/webhooks/{id}/deliveries/{delivery_id}/retry", RetryDelivery);
}

}  // namespace linkhub::api
