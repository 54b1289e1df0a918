#pragma once

#include <boost/json/fwd.hpp>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "http/message.h"
#include "http/router.h"
#include "hub/accounts.h"
#include "hub/actions.h"
#include "hub/dashboard_sessions.h"
#include "hub/events.h"
#include "hub/hub_view.h"
#include "hub/link_settings.h"
#include "hub/linker.h"
#include "hub/orphans.h"
#include "hub/plaid_webhooks.h"
#include "hub/projects.h"
#include "hub/readiness.h"
#include "hub/sessions.h"

namespace linkhub::mcp {
class Server;
}  // namespace linkhub::mcp
namespace linkhub::http {
class RateLimiter;
}  // namespace linkhub::http

namespace linkhub::api {

// What the HTTP API needs from the rest of the server: the hub's interfaces, never their
// implementations. Everything referred to must outlive the routes.
struct ApiContext {
  hub::Sessions& sessions;
  hub::Linker& linker;
  hub::Accounts& accounts;
  hub::HubView& hub_view;
  hub::Projects& projects;
  hub::Actions& actions;
  const hub::LinkSettings& link;
  Clock& clock;                 // error timestamps
  std::string public_url;       // where browsers reach linkhub, for auth_link_url; no trailing /
  std::string link_script_url;  // Plaid Link's script (Plaid's CDN, or the emulator's stand-in)
  std::string plaid_base_url;   // the only host the proxy reaches
  hub::DashboardSessions* dashboard = nullptr;   // null: no /dashboard
  hub::Orphans* orphans = nullptr;               // null: the dashboard lists none
  hub::PlaidWebhooks* plaid_webhooks = nullptr;  // null: no /webhooks/plaid/{project_id}
  hub::Events* events = nullptr;                 // null: no /webhooks
  hub::Readiness* readiness = nullptr;           // null: /readyz answers as /healthz
  mcp::Server* mcp = nullptr;                    // null: no /mcp
  // Requests per minute per API key (every management door), and per client address on the Hub
  // API and the dashboard's sign-in; null: no limit. 429 with Retry-After past them.
  http::RateLimiter* key_limiter = nullptr;
  http::RateLimiter* address_limiter = nullptr;
  // The header a reverse proxy puts the client's address in (its last entry counts); "": the
  // TCP peer's address.
  std::string client_address_header = {};
  // What GET /metrics renders (Prometheus' text format); null: no /metrics. With a token, the
  // scrape must send `Authorization: Bearer <token>`.
  const metrics::Registry* metrics = nullptr;
  std::string metrics_token = {};
  // Where operators reach the dashboard when it has an origin of its own (--dashboard-public-url),
  // no trailing /: the dashboard then answers only on that host, and the Hub page never does.
  // "": the dashboard is at public_url.
  std::string dashboard_url = {};
};

// Registers the management API (API key as HTTP Basic user name) and the Hub API (connect
// session token in x-hub-session-token), all answering in StackOne's shapes.
void RegisterRoutes(http::Router& router, ApiContext& context);

// The admission key (http::ServerOptions::upstream_key) of a request to a route that may call
// Plaid: kProjectUpstreamKey + its project when its API key or session token is known in memory,
// otherwise a hash of its credential, or "" for a request without one. Never blocks. A key it
// did not find in memory (a hashed admission key) is not looked for again by the fast doors,
// so that the renewal Projects::RecentlyAuthenticated() asked for happens on the handler pool.
std::string UpstreamKey(ApiContext& ctx, const http::Request& r);
inline constexpr std::string_view kProjectUpstreamKey = "project:";

// An orphaned Item as the dashboard and `linkhub items` show it: {id, project_id, certainty,
// item_id, link_session_id, exchange_id, removable, reason, created_at, removed_at}.
boost::json::object OrphanJson(const hub::OrphanView& orphan);

// Whether two http(s) URLs have one origin: scheme, host (case aside) and port (a scheme's
// default port written or not).
bool SameOrigin(std::string_view a, std::string_view b);

// StackOne's error body for errors the HTTP server answers itself (unknown route, 405, 413...).
http::Response ServerError(Clock& clock, const http::Request& request, int status,
                           const std::string& message);

}  // namespace linkhub::api
