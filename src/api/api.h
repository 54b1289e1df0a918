#pragma once

#include <string>

#include "http/message.h"
#include "http/router.h"
#include "hub/actions.h"
#include "hub/call_log.h"
#include "hub/dashboard_sessions.h"
#include "hub/hub.h"
#include "hub/projects.h"

namespace linkhub::api {

// What the HTTP API needs from the rest of the server.
struct ApiContext {
  hub::Hub& hub;
  hub::Projects& projects;
  hub::ActionRunner& actions;
  std::string public_url;       // where browsers reach linkhub, for auth_link_url; no trailing /
  std::string link_script_url;  // Plaid Link's script (Plaid's CDN, or the emulator's stand-in)
  std::string plaid_base_url;   // the only host the proxy reaches
  hub::DashboardSessions* dashboard = nullptr;  // null: no /dashboard
  hub::CallLog* call_log = nullptr;             // per-account Plaid calls for the dashboard
};

// Registers the management API (API key as HTTP Basic user name) and the Hub API (connect
// session token in x-hub-session-token), all answering in StackOne's shapes.
void RegisterRoutes(http::Router& router, ApiContext& context);

// StackOne's error body for errors the HTTP server answers itself (unknown route, 405, 413...).
http::Response ServerError(const http::Request& request, int status, const std::string& message);

}  // namespace linkhub::api
