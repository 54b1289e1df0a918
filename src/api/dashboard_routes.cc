// The operator dashboard (/dashboard): its page and assets, and the JSON routes under
// /dashboard/api that the page calls. An API key signs in once; after that a server-side session
// travels in an HttpOnly, SameSite=Strict cookie scoped to /dashboard, and every state-changing
// request must carry the session's CSRF token in x-csrf-token and come from linkhub's own origin.
// The routes call the same hub classes and action pipeline as the management API, always with the
// session's project. See docs/dashboard.md.
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/input.h"
#include "api/routes_internal.h"
#include "core/json.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "plaid/catalogue.h"

namespace linkhub::api {

namespace dashboard_web {
std::string_view Find(std::string_view name);  // generated from web/dashboard/*
}

namespace {

using boost::json::object;
using http::Request;
using http::Response;

constexpr std::string_view kCookie = "linkhub_dashboard";
constexpr std::string_view kCsrfHeader = "x-csrf-token";
// "Send a link": the end user has 5 days unless the operator says otherwise.
constexpr int64_t kLinkLifetimeSeconds = int64_t{5} * 24 * 3600;
constexpr int64_t kMaxLogs = 1000;

struct Signed {
  std::string session_id;
  std::string project_id;
};

void AddSecurityHeaders(Response& res) {
  res.headers.Set("X-Content-Type-Options", "nosniff");
  res.headers.Set("Referrer-Policy", "no-referrer");
  res.headers.Set("X-Frame-Options", "DENY");
  if (!res.headers.Get("Cache-Control")) {
    res.headers.Set("Cache-Control", "no-store");
  }
}

// The value of cookie `name` in the request's Cookie header(s); empty when absent.
std::string CookieValue(const Request& r, std::string_view name) {
  for (const auto& [field, value] : r.headers.fields()) {
    if (!http::EqualsIgnoreCase(field, "Cookie")) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') {
        pair.remove_prefix(1);
      }
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
    }
  }
  return "";
}

// The dashboard's own URL: --dashboard-public-url, or the public URL.
const std::string& DashboardUrl(const ApiContext& ctx) {
  return ctx.dashboard_url.empty() ? ctx.public_url : ctx.dashboard_url;
}

bool Secure(const ApiContext& ctx) { return DashboardUrl(ctx).starts_with("https://"); }

std::string SessionCookie(const ApiContext& ctx, std::string_view value, int64_t max_age) {
  return std::string(kCookie) + "=" + std::string(value) +
         "; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (Secure(ctx) ? "; Secure" : "");
}

// A state-changing request must come from a page of linkhub itself: its Origin is linkhub's
// public origin, or the origin the browser used to reach this server (its Host); with a
// dashboard origin of its own, that origin only. Browsers send Origin on every POST, PATCH and
// DELETE, and a page on another site cannot forge it.
Status CheckOrigin(const ApiContext& ctx, const Request& r) {
  auto origin = r.headers.Get("Origin");
  if (!origin || origin->empty()) {
    return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                "this request has no Origin header: the dashboard accepts "
                                "changes only from its own pages"));
  }
  bool own = ctx.dashboard_url.empty() ? IsOwnOrigin(ctx, r, *origin)
                                       : SameOrigin(*origin, ctx.dashboard_url);
  if (own) {
    return OkStatus();
  }
  return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                              "cross-origin request refused: the dashboard accepts changes only "
                              "from its own pages"));
}

using DashHandler = std::function<Result<Response>(Request&, const Signed&)>;

// A dashboard API route: authenticates the session cookie, and for a state-changing route the
// Origin and the CSRF token (403 when either is wrong, 401 when not signed in).
http::Handler DashRoute(ApiContext& ctx, bool changes_state, DashHandler f) {
  return [&ctx, changes_state, f = std::move(f)](Request& r) -> Response {
    Result<Response> res = [&]() -> Result<Response> {
      if (changes_state) {
        LINKHUB_RETURN_IF_ERROR(CheckOrigin(ctx, r));
      }
      std::string session_id = CookieValue(r, kCookie);
      LINKHUB_ASSIGN_OR_RETURN(hub::DashboardSessions::Live live,
                               ctx.dashboard->Authenticate(session_id));
      if (changes_state &&
          !ctx.dashboard->CheckCsrf(session_id, r.headers.Get(kCsrfHeader).value_or(""))) {
        return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                    "missing or wrong CSRF token (x-csrf-token): reload the "
                                    "dashboard and try again"));
      }
      return f(r, Signed{std::move(session_id), std::move(live.project_id)});
    }();
    Response out = res ? std::move(*res) : ErrorResponse(res.error(), ctx.clock);
    AddSecurityHeaders(out);
    return out;
  };
}

std::string AccountParam(const Request& r) { return std::string(r.PathParam("id")); }

object ProjectJson(ApiContext& ctx, const std::string& project_id) {
  auto project = ctx.projects.Get(project_id);
  return object{{"id", project_id}, {"name", project ? project->name : project_id}};
}

// ---------------------------------------------------------------- session

Result<Response> SignIn(ApiContext& ctx, Request& r) {
  LINKHUB_RETURN_IF_ERROR(CheckOrigin(ctx, r));
  LINKHUB_RETURN_IF_ERROR(ChargeAddress(ctx, r));
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(std::string key, RequiredString(body, "api_key", 200));
  LINKHUB_ASSIGN_OR_RETURN(hub::DashboardSessions::Opened opened, ctx.dashboard->SignIn(key));
  Response res = JsonResponse(200, object{{"project", ProjectJson(ctx, opened.project_id)},
                                          {"csrf_token", opened.csrf_token},
                                          {"expires_at", FormatRfc3339(opened.expires_at)}});
  res.headers.Set("Set-Cookie",
                  SessionCookie(ctx, opened.session_id, ctx.dashboard->limits().absolute.count()));
  return res;
}

Result<Response> SessionInfo(ApiContext& ctx, Request& r) {
  LINKHUB_ASSIGN_OR_RETURN(hub::DashboardSessions::Live live,
                           ctx.dashboard->Authenticate(CookieValue(r, kCookie)));
  return JsonResponse(200, object{{"project", ProjectJson(ctx, live.project_id)},
                                  {"csrf_token", live.csrf_token},
                                  {"expires_at", FormatRfc3339(live.expires_at)},
                                  {"idle_expires_at", FormatRfc3339(live.idle_expires_at)}});
}

// ---------------------------------------------------------------- accounts

Result<Response> ListAccounts(ApiContext& ctx, Request& r, const Signed& s) {
  domain::AccountFilter f;
  f.project_id = s.project_id;
  auto one = [&](std::string_view key, std::vector<std::string>& into) -> Status {
    auto v = r.QueryParam(key);
    if (v && !v->empty()) {
      if (v->size() > 255) {
        return Unexpected(
            MakeError(ErrorCode::kInvalidArgument, std::string(key) + " is too long"));
      }
      into.push_back(*v);
    }
    return OkStatus();
  };
  std::vector<std::string> statuses;
  LINKHUB_RETURN_IF_ERROR(one("status", statuses));
  LINKHUB_ASSIGN_OR_RETURN(f.statuses, ParseStatuses(statuses));
  LINKHUB_RETURN_IF_ERROR(one("origin_owner_id", f.origin_owner_ids));
  LINKHUB_RETURN_IF_ERROR(one("provider", f.providers));
  LINKHUB_ASSIGN_OR_RETURN(int64_t page, IntParam(r, "page", 1, 1, 1'000'000));
  LINKHUB_ASSIGN_OR_RETURN(int64_t page_size, IntParam(r, "page_size", 25, 1, 100));
  f.offset = (page - 1) * page_size;
  f.limit = page_size + 1;  // one more tells whether a next page exists
  LINKHUB_ASSIGN_OR_RETURN(auto accounts, ctx.accounts.List(f));
  bool has_more = static_cast<int64_t>(accounts.size()) > page_size;
  if (has_more) {
    accounts.pop_back();
  }
  boost::json::array data;
  for (const auto& a : accounts) {
    data.push_back(LinkedAccountJson(ctx.accounts, a));
  }
  return JsonResponse(200, object{{"data", std::move(data)},
                                  {"page", page},
                                  {"page_size", page_size},
                                  {"has_more", has_more}});
}

Result<Response> AccountAnswer(ApiContext& ctx, Result<domain::LinkedAccount> account) {
  if (!account) {
    return Unexpected(std::move(account).error());
  }
  return JsonResponse(200, LinkedAccountJson(ctx.accounts, *account));
}

// A connect session and the Hub page link that opens it.
Result<Response> NewLink(ApiContext& ctx, const std::string& project_id,
                         hub::CreateSessionInput in) {
  LINKHUB_ASSIGN_OR_RETURN(hub::NewSession created, ctx.sessions.Create(project_id, std::move(in)));
  return JsonResponse(
      201,
      object{{"id", created.session.id},
             {"origin_owner_id", created.session.origin_owner_id},
             {"account_id", created.session.account_id
                                ? boost::json::value(*created.session.account_id)
                                : boost::json::value(nullptr)},
             {"expires_at", FormatRfc3339(created.session.expires_at)},
             {"auth_link_url", ctx.public_url + "/embedded/integrations?token=" + created.token}});
}

Result<Response> CreateLink(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  hub::CreateSessionInput in;
  LINKHUB_ASSIGN_OR_RETURN(in.origin_owner_id, RequiredString(body, "origin_owner_id"));
  LINKHUB_ASSIGN_OR_RETURN(in.origin_owner_name, RequiredString(body, "origin_owner_name"));
  LINKHUB_ASSIGN_OR_RETURN(in.label, OptionalString(body, "label"));
  LINKHUB_ASSIGN_OR_RETURN(auto multiple, OptionalBool(body, "multiple"));
  in.multiple = multiple.value_or(false);
  LINKHUB_ASSIGN_OR_RETURN(auto type, OptionalString(body, "type"));
  in.type = type.value_or("production");
  LINKHUB_ASSIGN_OR_RETURN(auto expires_in, OptionalInt(body, "expires_in"));
  in.expires_in = std::chrono::seconds(expires_in.value_or(kLinkLifetimeSeconds));
  return NewLink(ctx, s.project_id, std::move(in));
}

Result<Response> Relink(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r, /*allow_empty=*/true));
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                           ctx.accounts.Get(s.project_id, AccountParam(r)));
  hub::CreateSessionInput in;
  in.origin_owner_id = account.origin_owner_id;
  in.origin_owner_name = account.origin_owner_name;
  in.origin_username = account.origin_username;
  in.account_id = account.id;
  in.type = account.type;
  LINKHUB_ASSIGN_OR_RETURN(auto expires_in, OptionalInt(body, "expires_in"));
  in.expires_in = std::chrono::seconds(expires_in.value_or(kLinkLifetimeSeconds));
  return NewLink(ctx, s.project_id, std::move(in));
}

// Items Plaid may bill that no account holds: what an operator must know of (see
// domain::OrphanItem). The CLI removes them (`linkhub items remove-orphan`).
Result<Response> Orphans(ApiContext& ctx, Request&, const Signed& s) {
  boost::json::array data;
  int64_t definite = 0;
  int64_t possible = 0;
  if (ctx.orphans != nullptr) {
    LINKHUB_ASSIGN_OR_RETURN(auto listed, ctx.orphans->List(s.project_id));
    for (const auto& v : listed) {
      (v.orphan.certainty == domain::OrphanCertainty::kDefinite ? definite : possible)++;
      data.push_back(OrphanJson(v));
    }
  }
  return JsonResponse(
      200, object{{"data", std::move(data)}, {"definite", definite}, {"possible", possible}});
}

// ---------------------------------------------------------------- events and webhooks

// These routes exist when the server sends events (ctx.events set): see RegisterDashboardRoutes.

std::string WebhookParam(const Request& r) { return std::string(r.PathParam("webhook_id")); }

// An account's timeline: Plaid's webhooks about it and the events sent about it.
Result<Response> Timeline(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(int64_t limit, IntParam(r, "limit", 50, 1, 500));
  // 404 for an account of another project, like every other route.
  LINKHUB_RETURN_IF_ERROR(ctx.accounts.Get(s.project_id, AccountParam(r)));
  LINKHUB_ASSIGN_OR_RETURN(auto entries, ctx.events->Timeline(s.project_id, AccountParam(r),
                                                              static_cast<size_t>(limit)));
  boost::json::array data;
  for (const auto& e : entries) {
    data.push_back(TimelineJson(e));
  }
  return JsonResponse(200, object{{"data", std::move(data)}});
}

Result<Response> ListWebhooks(ApiContext& ctx, Request&, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(auto endpoints, ctx.events->ListEndpoints(s.project_id));
  int64_t failing = 0;
  for (const auto& e : endpoints) {
    failing += e.status == domain::EndpointStatus::kFailing ? 1 : 0;
  }
  return JsonResponse(200, object{{"data", EndpointsJson(endpoints)}, {"failing", failing}});
}

Result<Response> CreateWebhook(ApiContext& ctx, Request& r, const Signed& s) {
  return WebhookCreated(ctx, r, s.project_id);
}

Result<Response> DeleteWebhook(ApiContext& ctx, Request& r, const Signed& s) {
  return WebhookDeleted(ctx, s.project_id, WebhookParam(r));
}

Result<Response> RotateWebhookSecret(ApiContext& ctx, Request& r, const Signed& s) {
  return WebhookRotated(ctx, s.project_id, WebhookParam(r));
}

Result<Response> WebhookDeliveries(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(boost::json::array data,
                           WebhookDeliveriesJson(ctx, r, s.project_id, WebhookParam(r), 25));
  return JsonResponse(200, object{{"data", std::move(data)}});
}

Result<Response> RetryWebhookDelivery(ApiContext& ctx, Request& r, const Signed& s) {
  return WebhookRetried(ctx, s.project_id, WebhookParam(r),
                        std::string(r.PathParam("delivery_id")));
}

Result<Response> Logs(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(int64_t limit, IntParam(r, "limit", 100, 1, kMaxLogs));
  // 404 for an account of another project, like every other route.
  LINKHUB_ASSIGN_OR_RETURN(
      auto calls, ctx.accounts.PlaidCalls(s.project_id, AccountParam(r), static_cast<int>(limit)));
  boost::json::array data;
  for (const auto& c : calls) {
    data.push_back(object{
        {"at", FormatRfc3339Millis(c.at)},
        {"endpoint", c.endpoint},
        {"http_status", c.http_status},
        {"error_code",
         c.error_code.empty() ? boost::json::value(nullptr) : boost::json::value(c.error_code)},
        {"request_id",
         c.request_id.empty() ? boost::json::value(nullptr) : boost::json::value(c.request_id)},
        {"latency_ms", static_cast<double>(c.latency_us) / 1000.0},
        {"via", c.via.empty() ? boost::json::value(nullptr) : boost::json::value(c.via)},
        {"linkhub_request_id", c.linkhub_request_id.empty()
                                   ? boost::json::value(nullptr)
                                   : boost::json::value(c.linkhub_request_id)}});
  }
  return JsonResponse(200, object{{"data", std::move(data)}, {"kept", domain::kPlaidCallsKept}});
}

// The catalogue for the action tester: every action with its input schema, and whether this
// account was linked with what it needs (others answer 409 when run).
Result<Response> Actions(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                           ctx.accounts.Get(s.project_id, AccountParam(r)));
  boost::json::array data;
  for (const auto& a : plaid::Catalogue()) {
    data.push_back(object{{"id", a.id},
                          {"label", a.label},
                          {"description", a.description},
                          {"product", a.product.empty() ? boost::json::value(nullptr)
                                                        : boost::json::value(a.product)},
                          {"plaid_endpoint", a.endpoint},
                          {"read_only", a.read_only},
                          {"supported", plaid::Supports(account.products, a)},
                          {"input_schema", a.input_schema}});
  }
  return JsonResponse(200, object{{"data", std::move(data)}});
}

Result<Response> Rpc(ApiContext& ctx, Request& r, const Signed& s) {
  LINKHUB_ASSIGN_OR_RETURN(object request, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(std::string action, RequiredString(request, "action", 100));
  LINKHUB_ASSIGN_OR_RETURN(const object* body, OptionalObject(request, "body"));
  // The tester is a door to the same pipeline as POST /actions/rpc.
  LINKHUB_ASSIGN_OR_RETURN(
      hub::ActionOutcome outcome,
      ctx.actions.Run(hub::ActionRequest{s.project_id, AccountParam(r), std::move(action),
                                         body ? *body : object{}, nullptr, hub::door::kDashboard,
                                         r.request_id}));
  return Response::Json(200, hub::WriteEnvelope(std::move(outcome)));
}

// ---------------------------------------------------------------- page and assets

http::Handler Page() {
  return [](Request&) {
    Response res = Response::Text(200, std::string(dashboard_web::Find("index.html")),
                                  "text/html; charset=utf-8");
    // No inline script or style anywhere; the Hub page opens in a frame of linkhub's own origin.
    res.headers.Set("Content-Security-Policy",
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "
                    "data:; connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri "
                    "'none'; object-src 'none'; frame-ancestors 'none'");
    AddSecurityHeaders(res);
    return res;
  };
}

http::Handler Asset(std::string file, std::string type) {
  return [file = std::move(file), type = std::move(type)](Request&) {
    Response res = Response::Text(200, std::string(dashboard_web::Find(file)), type);
    res.headers.Set("Cache-Control", "no-cache");
    res.headers.Set("Content-Security-Policy", "default-src 'none'");
    AddSecurityHeaders(res);
    return res;
  };
}

}  // namespace

// With a dashboard origin of its own, the dashboard answers only there: its page elsewhere
// redirects to it, and the rest is 404, so that no page on the public origin (the Hub page, with
// Plaid's Link script) shares an origin with a signed-in operator.
http::Handler OnItsOwnHost(ApiContext& ctx, http::Handler handler) {
  return [&ctx, handler = std::move(handler)](Request& r) -> Response {
    if (ctx.dashboard_url.empty() || OnDashboardHost(ctx, r)) {
      return handler(r);
    }
    if (r.method == "GET" && r.path == "/dashboard") {
      Response res = Response::Text(308, "");
      res.headers.Set("Location", ctx.dashboard_url + "/dashboard");
      return res;
    }
    Response res = ErrorResponse(
        404, "the dashboard is served at " + ctx.dashboard_url + "/dashboard", ctx.clock);
    AddSecurityHeaders(res);
    return res;
  };
}

void RegisterDashboardRoutes(http::Router& router, ApiContext& ctx) {
  if (ctx.dashboard == nullptr) {
    return;
  }
  auto add = [&](const char* method, std::string_view path, http::Handler handler,
                 http::Lane lane = http::Lane::kLocal) {
    router.Add(method, path, OnItsOwnHost(ctx, std::move(handler)), lane);
  };
  add("GET", "/dashboard", Page());
  add("GET", "/dashboard/assets/dashboard.js",
      Asset("dashboard.js", "text/javascript; charset=utf-8"));
  add("GET", "/dashboard/assets/dashboard.css", Asset("dashboard.css", "text/css; charset=utf-8"));
  add("GET", "/dashboard/assets/icon.svg", Asset("icon.svg", "image/svg+xml"));

  auto plain = [&](const char* method, std::string_view path,
                   Result<Response> (*fn)(ApiContext&, Request&)) {
    add(method, path, [&ctx, fn](Request& r) {
      Result<Response> res = fn(ctx, r);
      Response out = res ? std::move(*res) : ErrorResponse(res.error(), ctx.clock);
      AddSecurityHeaders(out);
      return out;
    });
  };
  plain("POST", "/dashboard/api/sign_in", SignIn);
  plain("GET", "/dashboard/api/session", SessionInfo);

  auto route = [&](const char* method, std::string_view path,
                   Result<Response> (*fn)(ApiContext&, Request&, const Signed&),
                   http::Lane lane = http::Lane::kLocal) {
    bool changes_state = std::string_view(method) != "GET";
    add(method, path,
        DashRoute(ctx, changes_state,
                  [&ctx, fn](Request& r, const Signed& s) { return fn(ctx, r, s); }),
        lane);
  };
  constexpr auto kPlaid = http::Lane::kUpstream;  // may call Plaid
  route("POST", "/dashboard/api/sign_out",
        [](ApiContext& c, Request&, const Signed& s) -> Result<Response> {
          LINKHUB_RETURN_IF_ERROR(c.dashboard->SignOut(s.session_id));
          Response res = JsonResponse(200, object{{"signed_out", true}});
          res.headers.Set("Set-Cookie", SessionCookie(c, "", 0));
          return res;
        });
  route("GET", "/dashboard/api/accounts", ListAccounts);
  route("GET", "/dashboard/api/accounts/{id}", [](ApiContext& c, Request& r, const Signed& s) {
    return AccountAnswer(c, c.accounts.Get(s.project_id, AccountParam(r)));
  });
  route(
      "DELETE", "/dashboard/api/accounts/{id}",
      [](ApiContext& c, Request& r, const Signed& s) {
        return AccountAnswer(c, c.accounts.Delete(s.project_id, AccountParam(r)));
      },
      kPlaid);
  route("POST", "/dashboard/api/accounts/{id}/suspend",
        [](ApiContext& c, Request& r, const Signed& s) {
          return AccountAnswer(c, c.accounts.Suspend(s.project_id, AccountParam(r)));
        });
  route("POST", "/dashboard/api/accounts/{id}/resume",
        [](ApiContext& c, Request& r, const Signed& s) {
          return AccountAnswer(c, c.accounts.Resume(s.project_id, AccountParam(r)));
        });
  route("POST", "/dashboard/api/accounts/{id}/relink", Relink);
  route("GET", "/dashboard/api/accounts/{id}/logs", Logs);
  route("GET", "/dashboard/api/accounts/{id}/actions", Actions);
  route("POST", "/dashboard/api/accounts/{id}/rpc", Rpc, kPlaid);
  route("POST", "/dashboard/api/connect_sessions", CreateLink);
  route("GET", "/dashboard/api/orphans", Orphans);
  if (ctx.events != nullptr) {  // a server that sends no events has none of these: 404
    route("GET", "/dashboard/api/accounts/{id}/timeline", Timeline);
    route("GET", "/dashboard/api/webhooks", ListWebhooks);
    route("POST", "/dashboard/api/webhooks", CreateWebhook);
    route("DELETE", "/dashboard/api/webhooks/{webhook_id}", DeleteWebhook);
    route("POST", "/dashboard/api/webhooks/{webhook_id}/rotate_secret", RotateWebhookSecret);
    route("GET", "/dashboard/api/webhooks/{webhook_id}/deliveries", WebhookDeliveries);
    route("POST", "/dashboard/api/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
          RetryWebhookDelivery);
  }
}

boost::json::object OrphanJson(const hub::OrphanView& v) {
  const domain::OrphanItem& o = v.orphan;
  return object{{"id", o.id},
                {"project_id", o.project_id},
                {"certainty", domain::ToString(o.certainty)},
                {"item_id", OrNull(v.item_id)},
                {"link_session_id", OrNull(o.link_session_id)},
                {"exchange_id", OrNull(o.exchange_id)},
                {"removable", v.removable},
                {"reason", o.reason},
                {"created_at", FormatRfc3339(o.created_at)},
                {"removed_at", OrNull(o.removed_at)}};
}

}  // namespace linkhub::api
