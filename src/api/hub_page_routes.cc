// The Hub page (/embedded/integrations, the connect session's auth_link_url), its assets, and the
// parts of the Hub API that StackOne's Hub component and the page read: settings, connectors,
// the session's accounts and connection attempts. Also the CORS and origin policy of every
// /hub/* route. See docs/hub.md.
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/input.h"
#include "api/routes_internal.h"
#include "core/json.h"
#include "core/time_format.h"
#include "domain/origins.h"

namespace linkhub::api {

namespace hub_web {
std::string_view Find(std::string_view name);  // web/hub/*, compiled in by cmake/embed.cmake
}

namespace {

using boost::json::object;
using http::Request;
using http::Response;

constexpr std::string_view kLogoPath = "/hub/logos/plaid.svg";

boost::json::value AccountsOf(const domain::LinkedAccount& a) {
  auto v = ParseJson(a.accounts_json);
  return v && v->is_array() ? std::move(*v) : boost::json::value(boost::json::array{});
}

// An account as the session's browser may see it: display fields, never the Item or a token.
object HubAccountJson(const domain::LinkedAccount& a) {
  return object{{"id", a.id},
                {"provider", a.provider},
                {"status", domain::ToString(a.status)},
                {"institution",
                 object{{"id", OrNull(a.institution_id)}, {"name", OrNull(a.institution_name)}}},
                {"accounts", AccountsOf(a)},
                {"created_at", FormatRfc3339(a.created_at)},
                {"updated_at", FormatRfc3339(a.updated_at)}};
}

// A URL as a CSP source expression: without query or fragment, and nothing that could end the
// directive. Empty when it cannot be one.
std::string CspSource(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  if (url.empty() || OriginOf(url).empty()) {
    return "";
  }
  for (char c : url) {
    if (c <= ' ' || c == ';' || c == ',' || c == '\'' || c == '"' || c == 0x7f) {
      return "";
    }
  }
  return std::string(url);
}

object IntegrationJson(const ApiContext& ctx) {
  return object{{"integration_id", "plaid"},
                {"provider", "plaid"},
                {"name", "Plaid"},
                {"logo_url", ctx.public_url + std::string(kLogoPath)},
                {"active", true},
                {"type", "banking"},
                {"version", "1.0.0"},
                {"authentication_config_key", "public_token"},
                {"environment", "production"}};
}

// Plaid as a form with one secret field (StackOne's own Plaid connector is this form); the
// Hub page runs Plaid Link in place as well.
object ConnectorConfigJson(const ApiContext& ctx) {
  object field{
      {"key", "public_token"},
      {"label", "Public Token"},
      {"type", "password"},
      {"required", true},
      {"secret", true},
      {"readOnly", false},
      {"placeholder", "public-sandbox-…"},
      {"guide", object{{"tooltip", "The public_token Plaid Link's onSuccess returns"},
                       {"description",
                        "Run Plaid Link with a link_token from your backend (POST "
                        "/plaid/link_token on this hub is the easy way), then paste the "
                        "public_token its onSuccess returns. It works once and expires 30 minutes "
                        "after Link issues it."}}}};
  object form{
      {"type", "custom"},
      {"fields", boost::json::array{std::move(field)}},
      {"guide", object{{"supportLink", "https://plaid.com/docs/link/web/"},
                       {"description",
                        "1. Mint a link_token from your backend: POST /plaid/link_token on this "
                        "hub (with your API key) is the easy way. 2. Open Plaid Link with it and "
                        "finish with your bank. 3. Paste the public_token from onSuccess here and "
                        "press Connect."}}}};
  return object{
      {"config", object{{"key", "plaid"},
                        {"name", "Plaid"},
                        {"assets", object{{"icon", ctx.public_url + std::string(kLogoPath)}}},
                        {"authentication",
                         object{{"public_token", object{{"production", std::move(form)}}}}}}}};
}

object AttemptJson(const hub::AttemptState& s) {
  boost::json::value account = nullptr;
  if (s.account) {
    account = object{{"id", s.account->id}, {"provider", s.account->provider}};
  }
  return object{{"id", s.attempt.id},
                {"status", domain::ToString(s.attempt.status)},
                {"created_at", FormatRfc3339(s.attempt.created_at)},
                {"updated_at", FormatRfc3339(s.attempt.updated_at)},
                {"account", std::move(account)}};
}

// GET /hub/session: what the Hub page needs to start (linkhub's own; the component never calls
// it).
Result<Response> SessionInfo(ApiContext& ctx, const domain::ConnectSession& s) {
  LINKHUB_ASSIGN_OR_RETURN(domain::Project project, ctx.projects.Get(s.project_id));
  boost::json::value account = nullptr;
  if (s.account_id) {
    LINKHUB_ASSIGN_OR_RETURN(auto a, ctx.hub_view.SessionAccount(s, *s.account_id));
    account = HubAccountJson(a);
  }
  return JsonResponse(200, object{{"provider", "plaid"},
                                  {"client_name", ctx.link.client_name},
                                  {"update_mode", s.account_id.has_value()},
                                  {"multiple", s.multiple},
                                  {"expires_at", FormatRfc3339(s.expires_at)},
                                  {"link_script_url", ctx.link_script_url},
                                  {"allowed_origins", ToJsonArray(project.allowed_origins)},
                                  {"account", std::move(account)}});
}

// PATCH /hub/accounts/{id}: the component's re-link submit. Only a re-link session for that
// account may use it; update mode makes no new Item, so nothing is exchanged.
Result<Response> RelinkAccount(ApiContext& ctx, Request& r, const domain::ConnectSession& s) {
  std::string id(r.PathParam("id"));
  if (!s.account_id || *s.account_id != id) {
    return Unexpected(MakeError(ErrorCode::kNotFound,
                                "this connect session does not re-link that account; ask for a "
                                "re-link session for it"));
  }
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r, true));
  LINKHUB_ASSIGN_OR_RETURN(auto integration, OptionalString(body, "integration_id"));
  if (integration && *integration != "plaid") {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "integration_id must be 'plaid' (the only integration here)"));
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* credentials, OptionalObject(body, "credentials"));
  if (credentials != nullptr) {
    // Read (and so bounded) but unused: update mode repairs the existing Item.
    LINKHUB_ASSIGN_OR_RETURN(auto ignored, OptionalString(*credentials, "public_token", 512));
    (void)ignored;
  }
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount a, ctx.linker.LinkAccount(s, "", {}));
  ctx.hub_view.CompleteConnectionAttempts(s, a.id);
  return JsonResponse(200, HubAccountJson(a));
}

// The page, with the state the server already knows: "ready", "expired", "unknown", "missing"
// (no token), or "oauth" (back from an OAuth bank: the token is in the tab's sessionStorage).
Response HubPage(ApiContext& ctx, Request& r) {
  std::string state = "ready";
  int status = 200;
  std::vector<std::string> ancestors;
  auto token = r.QueryParam("token");
  if (token && !token->empty()) {
    auto session = ctx.sessions.Find(*token);
    if (!session && session.error().code != ErrorCode::kNotFound) {
      return ErrorResponse(session.error(), ctx.clock);
    }
    if (!session) {
      state = "unknown";
      status = 404;
    } else if (!ctx.sessions.CheckUnexpired(*session)) {
      state = "expired";
      status = 410;
    } else if (auto project = ctx.projects.Get(session->project_id); project) {
      ancestors = project->allowed_origins;
    } else {
      return ErrorResponse(project.error(), ctx.clock);
    }
  } else if (r.QueryParam("oauth_state_id")) {
    state = "oauth";
  } else {
    state = "missing";
    status = 404;
  }
  std::string html(hub_web::Find("hub.html"));
  if (auto at = html.find("{{STATE}}"); at != std::string::npos) {
    html.replace(at, 9, state);
  }
  // Embedding: anywhere by default (the token is the secret); only the project's origins (and
  // linkhub's own pages) once it lists some.
  std::string frame_ancestors = "*";
  if (!ancestors.empty()) {
    frame_ancestors = "'self'";
    for (const auto& o : ancestors) {
      frame_ancestors += " " + o;
    }
  }
  std::string link_script = CspSource(ctx.link_script_url);
  std::string link_origin = OriginOf(link_script);
  // Plaid's Link documentation also asks for its API host in connect-src.
  std::string plaid_origin = OriginOf(CspSource(ctx.plaid_base_url + "/"));
  if (plaid_origin == link_origin) {
    plaid_origin.clear();
  }
  std::string csp = "default-src 'none'; script-src 'self'" +
                    (link_script.empty() ? "" : " " + link_script) +
                    "; style-src 'self'; img-src 'self' data:; connect-src 'self'" +
                    (link_origin.empty() ? "" : " " + link_origin) +
                    (plaid_origin.empty() ? "" : " " + plaid_origin) + "; frame-src" +
                    (link_origin.empty() ? " 'none'" : " " + link_origin) + "; frame-ancestors " +
                    frame_ancestors + "; base-uri 'none'; form-action 'none'; object-src 'none'";
  Response res = Response::Text(status, std::move(html), "text/html; charset=utf-8");
  res.headers.Set("Content-Security-Policy", csp);
  res.headers.Set("Cache-Control", "no-store");
  res.headers.Set("X-Content-Type-Options", "nosniff");
  // Other origins (Plaid's script among them) learn at most linkhub's origin, never the token.
  res.headers.Set("Referrer-Policy", "strict-origin-when-cross-origin");
  return res;
}

http::Handler Asset(std::string file, std::string type, std::string cache) {
  return [file = std::move(file), type = std::move(type), cache = std::move(cache)](Request&) {
    Response res = Response::Text(200, std::string(hub_web::Find(file)), type);
    res.headers.Set("Cache-Control", cache);
    res.headers.Set("X-Content-Type-Options", "nosniff");
    if (type.starts_with("image/svg")) {
      // Opened on its own, an SVG is a document: it may draw, nothing else.
      res.headers.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
      res.headers.Set("Cross-Origin-Resource-Policy", "cross-origin");
    }
    return res;
  };
}

}  // namespace

void AddCors(const Request& r, Response& res, bool allow_origin) {
  if (allow_origin) {
    res.headers.Set("Access-Control-Allow-Origin",
                    std::string(r.headers.Get("Origin").value_or("*")));
  }
  res.headers.Set("Vary", "Origin");
  res.headers.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
  res.headers.Set("Access-Control-Allow-Headers",
                  "Content-Type, x-hub-session-token, x-hub-version");
  res.headers.Set("Access-Control-Max-Age", "600");
}

http::Handler HubRoute(ApiContext& ctx, HubHandler f) {
  return [&ctx, f = std::move(f)](Request& r) -> Response {
    bool allow_origin = true;
    Result<Response> res = [&]() -> Result<Response> {
      LINKHUB_RETURN_IF_ERROR(ChargeAddress(ctx, r));
      auto token = r.headers.Get("x-hub-session-token");
      LINKHUB_ASSIGN_OR_RETURN(domain::ConnectSession session,
                               ctx.sessions.Authenticate(token.value_or("")));
      // A project that lists origins gets requests from those (and linkhub's own pages) only;
      // requests without Origin come from no browser page, and CORS does not concern them.
      auto origin = r.headers.Get("Origin");
      if (origin && !IsOwnOrigin(ctx, r, *origin)) {
        LINKHUB_ASSIGN_OR_RETURN(domain::Project project, ctx.projects.Get(session.project_id));
        if (!domain::OriginAllowed(project.allowed_origins, *origin)) {
          allow_origin = false;
          return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                      "this connect session's project does not allow the origin " +
                                          std::string(origin->substr(0, 100))));
        }
      }
      return f(r, session);
    }();
    Response out = res ? std::move(*res) : ErrorResponse(res.error(), ctx.clock);
    AddCors(r, out, allow_origin);
    return out;
  };
}

http::Handler Preflight() {
  // A preflight carries no session token, so it cannot know the project: it is answered for any
  // origin, and the request itself is refused (without CORS headers) when the origin is not
  // allowed.
  return [](Request& r) {
    Response res = Response::Text(204, "");
    AddCors(r, res);
    return res;
  };
}

void RegisterHubRoutes(http::Router& router, ApiContext& ctx) {
  router.Add("GET", "/embedded/integrations", [&ctx](Request& r) {
    // Plaid's Link script never runs on the dashboard's origin.
    if (OnDashboardHost(ctx, r)) {
      return ErrorResponse(404, "the Hub page is served at " + ctx.public_url, ctx.clock);
    }
    return HubPage(ctx, r);
  });
  router.Add("GET", "/embedded/assets/hub.js",
             Asset("hub.js", "text/javascript; charset=utf-8", "no-cache"));
  router.Add("GET", "/embedded/assets/hub.css",
             Asset("hub.css", "text/css; charset=utf-8", "no-cache"));
  router.Add("GET", kLogoPath, Asset("plaid.svg", "image/svg+xml", "public, max-age=86400"));

  auto hub = [&](const char* method, std::string_view pattern, HubHandler f,
                 http::Lane lane = http::Lane::kLocal) {
    router.Add(method, pattern, HubRoute(ctx, std::move(f)), lane);
  };
  hub("GET", "/hub/session",
      [&ctx](Request&, const domain::ConnectSession& s) { return SessionInfo(ctx, s); });
  hub("GET", "/hub/settings", [](Request&, const domain::ConnectSession& s) -> Result<Response> {
    object out{{"enabled_features", boost::json::array{}}};
    if (s.account_id) {
      out["existing_account_id"] = *s.account_id;  // the component's re-link mode
    }
    return JsonResponse(200, out);
  });
  hub("GET", "/hub/connectors", [&ctx](Request& r, const domain::ConnectSession&) {
    boost::json::array list;
    auto provider = r.QueryParam("provider");
    if (!provider || provider->empty() || *provider == "plaid") {
      list.push_back(IntegrationJson(ctx));
    }
    return Result<Response>(JsonResponse(200, object{{"integrations", std::move(list)}}));
  });
  hub("GET", "/hub/connectors/{id}",
      [&ctx](Request& r, const domain::ConnectSession&) -> Result<Response> {
        if (r.PathParam("id") != "plaid") {
          return Unexpected(
              MakeError(ErrorCode::kNotFound, "connector not found; the only one is plaid"));
        }
        return JsonResponse(200, ConnectorConfigJson(ctx));
      });
  hub("GET", "/hub/accounts",
      [&ctx](Request&, const domain::ConnectSession& s) -> Result<Response> {
        LINKHUB_ASSIGN_OR_RETURN(auto accounts, ctx.hub_view.SessionAccounts(s));
        boost::json::array out;
        for (const auto& a : accounts) {
          out.push_back(HubAccountJson(a));
        }
        return JsonResponse(200, out);
      });
  hub("GET", "/hub/accounts/{id}",
      [&ctx](Request& r, const domain::ConnectSession& s) -> Result<Response> {
        LINKHUB_ASSIGN_OR_RETURN(auto a,
                                 ctx.hub_view.SessionAccount(s, std::string(r.PathParam("id"))));
        object out = HubAccountJson(a);
        // The component's re-link form reads these (camelCase, as StackOne answers them). A
        // Plaid account has no setup information, and secrets never reach a browser.
        out["integrationId"] = "plaid";
        out["authConfigKey"] = "public_token";
        out["environment"] = "production";
        out["setupInformation"] = object{};
        out["secrets"] = object{};
        return JsonResponse(200, out);
      });
  hub(
      "PATCH", "/hub/accounts/{id}",
      [&ctx](Request& r, const domain::ConnectSession& s) { return RelinkAccount(ctx, r, s); },
      http::Lane::kUpstream);  // exchanges a public token
  hub("POST", "/hub/connection_attempts",
      [&ctx](Request& r, const domain::ConnectSession& s) -> Result<Response> {
        // The component sends {token}; the header already authenticated it.
        LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r, true));
        (void)body;
        LINKHUB_ASSIGN_OR_RETURN(auto a, ctx.hub_view.CreateConnectionAttempt(s));
        return JsonResponse(201, AttemptJson({a, std::nullopt}));
      });
  hub("GET", "/hub/connection_attempts/{id}",
      [&ctx](Request& r, const domain::ConnectSession& s) -> Result<Response> {
        LINKHUB_ASSIGN_OR_RETURN(
            auto state, ctx.hub_view.GetConnectionAttempt(s, std::string(r.PathParam("id"))));
        return JsonResponse(200, AttemptJson(state));
      });
  hub("DELETE", "/hub/connection_attempts/{id}",
      [&ctx](Request& r, const domain::ConnectSession& s) -> Result<Response> {
        LINKHUB_ASSIGN_OR_RETURN(
            auto state, ctx.hub_view.CancelConnectionAttempt(s, std::string(r.PathParam("id"))));
        return JsonResponse(200, AttemptJson(state));
      });

  for (std::string_view path :
       {"/hub/plaid/link_token", "/hub/session", "/hub/settings", "/hub/connectors",
        "/hub/connectors/{id}", "/hub/accounts", "/hub/accounts/{id}", "/hub/connection_attempts",
        "/hub/connection_attempts/{id}"}) {
    router.Add("OPTIONS", path, Preflight());
  }
}

}  // namespace linkhub::api
