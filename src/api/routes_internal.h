#pragma once

// Pieces shared by the API's route files (not part of the module's interface).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/api.h"
#include "core/result.h"
#include "core/time_format.h"
#include "http/message.h"
#include "http/router.h"

namespace linkhub::api {

http::Response JsonResponse(int status, const boost::json::value& v);

// A management-API handler: runs `f` with the caller's project once the API key checks out,
// and turns an error into StackOne's error body.
using ManagedHandler =
    std::function<Result<http::Response>(http::Request&, const std::string& project_id)>;
http::Handler Managed(ApiContext& ctx, ManagedHandler f);
// The same, for a handler that needs the key's limits too (the doors that run actions).
using CallerHandler = std::function<Result<http::Response>(http::Request&, const hub::CallerPtr&)>;
http::Handler ManagedCaller(ApiContext& ctx, CallerHandler f);
// The caller of a request whose API key was accepted recently, from memory only (see
// Projects::RecentlyAuthenticated), for a door that starts on the I/O thread, with the request
// charged to the key as ManagedCaller charges it (ChargeKey: kResourceExhausted past the limit).
// Null sends the request to its handler-pool route, which authenticates it.
Result<hub::CallerPtr> RecentCaller(ApiContext& ctx, const http::Request& r);
// Spends one of the caller's key's requests of the minute (ctx.key_limiter); kResourceExhausted
// with retry_after_seconds past the limit.
Status ChargeKey(ApiContext& ctx, const hub::Caller& caller);
// The same for the request's client address (ctx.address_limiter), on the Hub API and the
// dashboard's sign-in, where a guessed token or key would be tried.
Status ChargeAddress(ApiContext& ctx, const http::Request& r);
// The API key a request carries (HTTP Basic user name, or a Bearer token); kUnauthenticated
// when there is none.
Result<std::string> RequestApiKey(const http::Request& r);

// Account statuses as a query names them; kInvalidArgument naming one that is not a status.
Result<std::vector<domain::AccountStatus>> ParseStatuses(const std::vector<std::string>& names);

// A JSON string, or null.
boost::json::value OrNull(const std::optional<std::string>& s);
// An RFC 3339 time, or null.
boost::json::value OrNull(const std::optional<TimePoint>& t);

// "scheme://host[:port]" of an absolute URL; empty when it has none.
std::string OriginOf(std::string_view url);

// Whether `origin` (a browser's Origin header) is linkhub's own: the public URL's origin, or the
// origin the browser used to reach this server (the public URL's scheme and the Host header).
bool IsOwnOrigin(const ApiContext& ctx, const http::Request& r, std::string_view origin);
// "host[:port]" of an http(s) URL, lower-case, without the scheme's default port.
std::string AuthorityOf(std::string_view url);
// With ctx.dashboard_url: whether `r` came to the dashboard's own host (its Host header, compared
// as AuthorityOf compares). Always false without it.
bool OnDashboardHost(const ApiContext& ctx, const http::Request& r);

// An integer query parameter within [min, max]; `fallback` when absent.
Result<int64_t> IntParam(const http::Request& r, std::string_view key, int64_t fallback,
                         int64_t min, int64_t max);

void RegisterActionRoutes(http::Router& router, ApiContext& ctx);
// POST and DELETE /mcp, when ctx.mcp is set. See mcp_routes.cc.
void RegisterMcpRoutes(http::Router& router, ApiContext& ctx);
// Plaid's webhooks in (POST /webhooks/plaid/{project_id}) and the customer's endpoints for
// events (/webhooks...), when ctx.plaid_webhooks and ctx.events are set. See webhook_routes.cc.
void RegisterWebhookRoutes(http::Router& router, ApiContext& ctx);
// The shapes of /webhooks, shared with the dashboard.
boost::json::object EndpointJson(const domain::WebhookEndpoint& endpoint);
boost::json::object DeliveryJson(const hub::DeliveryView& delivery);
boost::json::object TimelineJson(const hub::TimelineEntry& entry);
boost::json::array EndpointsJson(const std::vector<domain::WebhookEndpoint>& endpoints);
// What /webhooks and the dashboard's webhooks routes answer alike (ctx.events must be set):
// POST {"url": ..., "events": [...]} -> 201 with the secret (never cached); DELETE -> 200 with
// "deleted"; rotate_secret -> 200 with the new secret; deliveries (?limit=) as an array; a retry
// -> 202 with the delivery.
Result<http::Response> WebhookCreated(ApiContext& ctx, const http::Request& r,
                                      const std::string& project_id);
Result<http::Response> WebhookDeleted(ApiContext& ctx, const std::string& project_id,
                                      const std::string& endpoint_id);
Result<http::Response> WebhookRotated(ApiContext& ctx, const std::string& project_id,
                                      const std::string& endpoint_id);
Result<boost::json::array> WebhookDeliveriesJson(ApiContext& ctx, const http::Request& r,
                                                 const std::string& project_id,
                                                 const std::string& endpoint_id,
                                                 int64_t default_limit);
Result<http::Response> WebhookRetried(ApiContext& ctx, const std::string& project_id,
                                      const std::string& endpoint_id,
                                      const std::string& delivery_id);

// A linked account in StackOne's LinkedAccount shape (with linkhub's `plaid` details).
boost::json::object LinkedAccountJson(hub::Accounts& accounts,
                                      const domain::LinkedAccount& account);
// The operator dashboard (/dashboard and /dashboard/api/*) when ctx.dashboard is set. See
// dashboard_routes.cc.
void RegisterDashboardRoutes(http::Router& router, ApiContext& ctx);

// A Hub API handler: runs `f` with the connect session named by x-hub-session-token once it
// checks out (and the request's Origin is one the session's project allows), and adds CORS
// headers to whatever it answers. See hub_page_routes.cc.
using HubHandler =
    std::function<Result<http::Response>(http::Request&, const domain::ConnectSession&)>;
http::Handler HubRoute(ApiContext& ctx, HubHandler f);
// CORS headers of /hub/*: `allow_origin` false leaves out Access-Control-Allow-Origin, so that
// the browser keeps the answer from the page.
void AddCors(const http::Request& r, http::Response& res, bool allow_origin = true);
// The Hub page (/embedded/integrations), its assets, the Hub API's read routes and connection
// attempts, and the OPTIONS preflights of every /hub/* route.
void RegisterHubRoutes(http::Router& router, ApiContext& ctx);

}  // namespace linkhub::api
