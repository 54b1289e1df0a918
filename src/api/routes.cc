#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "api/api.h"
#include "api/errors.h"
#include "api/input.h"
#include "api/routes_internal.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/metric_families.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "http/rate_limiter.h"
#include "hub/account_status.h"
#include "vault/hashing.h"

namespace linkhub::api {

namespace {

using boost::json::object;
using http::Request;
using http::Response;

boost::json::value ParsedOrNull(const std::string& json) {
  auto v = ParseJson(json);
  return v ? std::move(*v) : boost::json::value(nullptr);
}

// ---------------------------------------------------------------- shapes

object SessionJson(const domain::ConnectSession& s, int64_t organization_id) {
  return object{{"id", s.id},
                {"organization_id", organization_id},
                {"project_id", s.project_id},
                {"origin_owner_id", s.origin_owner_id},
                {"origin_owner_name", s.origin_owner_name},
                {"origin_username", OrNull(s.origin_username)},
                {"provider", OrNull(s.provider)},
                {"account_id", OrNull(s.account_id)},
                {"label", OrNull(s.label)},
                {"categories", ParsedOrNull(s.categories_json)},
                {"metadata", ParsedOrNull(s.metadata_json)},
                {"multiple", s.multiple},
                {"type", s.type},
                {"created_at", FormatRfc3339(s.created_at)},
                {"expires_at", FormatRfc3339(s.expires_at)}};
}

boost::json::object ModelsFor(const std::vector<std::string>& products) {
  object models;
  for (const auto& p : products) {
    models[p] = object{{"plaid_product", p}};
  }
  return models;
}

object AccountJson(hub::Accounts& accounts, const domain::LinkedAccount& a) {
  boost::json::array reasons;
  for (const auto& r : a.status_reasons) {
    object reason{{"code", r.code},
                  {"description", r.description},
                  {"timestamp", FormatRfc3339(r.timestamp)},
                  {"relink", hub::RelinkModeFor(r.code)}};
    if (r.expires_at) {
      reason["expires_at"] = FormatRfc3339(*r.expires_at);
    }
    reasons.push_back(std::move(reason));
  }
  auto item_id = accounts.ItemId(a);
  object plaid{{"environment", a.environment},
               {"item_id", item_id && !item_id->empty() ? boost::json::value(*item_id)
                                                        : boost::json::value(nullptr)},
               {"institution_id", OrNull(a.institution_id)},
               {"institution_name", OrNull(a.institution_name)},
               {"products", ToJsonArray(a.products)},
               {"accounts", ParsedOrNull(a.accounts_json)}};
  return object{{"id", a.id},
                {"provider", a.provider},
                {"provider_name", "Plaid"},
                {"origin_owner_id", a.origin_owner_id},
                {"origin_owner_name", a.origin_owner_name},
                {"origin_username", OrNull(a.origin_username)},
                {"label", OrNull(a.label)},
                {"status", domain::ToString(a.status)},
                {"status_reasons", std::move(reasons)},
                {"type", a.type},
                {"created_at", FormatRfc3339(a.created_at)},
                {"updated_at", FormatRfc3339(a.updated_at)},
                {"plaid", std::move(plaid)}};
}

object ConnectorJson(const ApiContext& ctx) {
  std::vector<std::string> products = ctx.link.products;
  for (const auto& p : ctx.link.optional_products) {
    if (std::find(products.begin(), products.end(), p) == products.end()) {
      products.push_back(p);
    }
  }
  return object{{"provider", "plaid"},
                {"provider_name", "Plaid"},
                {"category", "banking"},
                {"active", true},
                {"models", ModelsFor(products)}};
}

// ---------------------------------------------------------------- authentication

// The API key from "Authorization: Basic base64(key:)" (StackOne's scheme) or "Bearer key".
Result<std::string> ApiKeyOf(const Request& r) {
  auto auth = r.headers.Get("Authorization");
  auto missing = [] {
    return Unexpected(
        MakeError(ErrorCode::kUnauthenticated,
                  "missing API key: send it as the HTTP Basic user name (curl -u \"$API_KEY:\")"));
  };
  if (!auth) {
    return missing();
  }
  std::string_view v = *auth;
  if (v.size() > 6 && http::EqualsIgnoreCase(v.substr(0, 6), "Basic ")) {
    auto decoded = Base64Decode(v.substr(6));
    if (!decoded) {
      return Unexpected(MakeError(ErrorCode::kUnauthenticated, "malformed Basic credentials"));
    }
    if (auto colon = decoded->find(':'); colon != std::string::npos) {
      decoded->resize(colon);
    }
    return std::move(*decoded);
  }
  if (v.size() > 7 && http::EqualsIgnoreCase(v.substr(0, 7), "Bearer ")) {
    return std::string(v.substr(7));
  }
  return missing();
}

// ---------------------------------------------------------------- query parsing

// Values of a list parameter given as key=a&key=b, key[]=a, or key=a,b.
std::vector<std::string> ListParam(const Request& r, std::initializer_list<std::string_view> keys) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.QueryParams()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      continue;
    }
    for (auto& part : SplitCommaList(v)) {
      out.push_back(std::move(part));
    }
  }
  return out;
}

// ---------------------------------------------------------------- management API

Result<Response> CreateSession(ApiContext& ctx, Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  hub::CreateSessionInput in;
  LINKHUB_ASSIGN_OR_RETURN(in.origin_owner_id, RequiredString(body, "origin_owner_id"));
  LINKHUB_ASSIGN_OR_RETURN(in.origin_owner_name, RequiredString(body, "origin_owner_name"));
  LINKHUB_ASSIGN_OR_RETURN(in.origin_username, OptionalString(body, "origin_username"));
  LINKHUB_ASSIGN_OR_RETURN(in.provider, OptionalString(body, "provider"));
  LINKHUB_ASSIGN_OR_RETURN(in.account_id, OptionalString(body, "account_id"));
  LINKHUB_ASSIGN_OR_RETURN(in.label, OptionalString(body, "label"));
  LINKHUB_ASSIGN_OR_RETURN(auto type, OptionalString(body, "type"));
  in.type = type.value_or("production");
  LINKHUB_ASSIGN_OR_RETURN(auto multiple, OptionalBool(body, "multiple"));
  in.multiple = multiple.value_or(false);
  LINKHUB_ASSIGN_OR_RETURN(auto expires_in, OptionalInt(body, "expires_in"));
  in.expires_in = std::chrono::seconds(expires_in.value_or(1800));
  LINKHUB_ASSIGN_OR_RETURN(auto categories, OptionalStringList(body, "categories"));
  if (categories) {
    in.categories_json = ToJson(ToJsonArray(*categories));
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* metadata, OptionalObject(body, "metadata"));
  if (metadata != nullptr) {
    std::string json = ToJson(*metadata);
    if (json.size() > 8192) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument, "metadata is larger than 8 KiB"));
    }
    in.metadata_json = std::move(json);
  }
  LINKHUB_ASSIGN_OR_RETURN(hub::NewSession created, ctx.sessions.Create(project_id, std::move(in)));
  LINKHUB_ASSIGN_OR_RETURN(domain::Project project, ctx.projects.Get(project_id));
  object out = SessionJson(created.session, project.numeric_id);
  out["token"] = created.token;
  out["auth_link_url"] = ctx.public_url + "/embedded/integrations?token=" + created.token;
  return JsonResponse(201, out);
}

Result<Response> AuthenticateSession(ApiContext& ctx, Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(std::string token, RequiredString(body, "token", 200));
  auto session = ctx.sessions.Find(token);
  if (!session || session->project_id != project_id) {
    // Another project's session is indistinguishable from no session at all.
    return Unexpected(MakeError(ErrorCode::kNotFound, "connect session not found"));
  }
  if (auto live = ctx.sessions.CheckUnexpired(*session); !live) {
    return Unexpected(MakeError(ErrorCode::kNotFound, live.error().message));
  }
  LINKHUB_ASSIGN_OR_RETURN(domain::Project project, ctx.projects.Get(project_id));
  return JsonResponse(201, SessionJson(*session, project.numeric_id));
}

Result<Response> ListAccounts(ApiContext& ctx, Request& r, const std::string& project_id) {
  domain::AccountFilter f;
  f.project_id = project_id;
  f.providers = ListParam(r, {"providers", "providers[]", "provider"});
  f.origin_owner_ids = ListParam(r, {"origin_owner_id", "origin_owner_ids", "origin_owner_ids[]"});
  LINKHUB_ASSIGN_OR_RETURN(f.statuses, ParseStatuses(ListParam(r, {"status", "status[]"})));
  f.account_ids = ListParam(r, {"account_ids", "account_ids[]"});
  if (f.providers.size() + f.origin_owner_ids.size() + f.statuses.size() + f.account_ids.size() >
      500) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "too many filter values"));
  }
  // page is 1-based; 0 reads as the first page too.
  LINKHUB_ASSIGN_OR_RETURN(int64_t page, IntParam(r, "page", 1, 0, 1'000'000));
  LINKHUB_ASSIGN_OR_RETURN(int64_t page_size, IntParam(r, "page_size", 25, 1, 100));
  f.limit = page_size;
  f.offset = (std::max<int64_t>(page, 1) - 1) * page_size;
  LINKHUB_ASSIGN_OR_RETURN(auto accounts, ctx.accounts.List(f));
  boost::json::array out;
  for (const auto& a : accounts) {
    out.push_back(AccountJson(ctx.accounts, a));
  }
  return JsonResponse(200, out);
}

Result<Response> PatchAccount(ApiContext& ctx, Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  hub::AccountPatch patch;
  LINKHUB_ASSIGN_OR_RETURN(patch.origin_owner_id, OptionalString(body, "origin_owner_id"));
  LINKHUB_ASSIGN_OR_RETURN(patch.origin_owner_name, OptionalString(body, "origin_owner_name"));
  LINKHUB_ASSIGN_OR_RETURN(patch.origin_username, OptionalString(body, "origin_username"));
  // StackOne's SDK types `label` as an object and sends {}: an empty object changes nothing,
  // a string sets it, anything else is refused like any mistyped field.
  if (const auto* label = Find(body, "label");
      label == nullptr || !label->is_object() || !label->get_object().empty()) {
    LINKHUB_ASSIGN_OR_RETURN(patch.label, OptionalString(body, "label"));
  }
  LINKHUB_ASSIGN_OR_RETURN(auto provider, OptionalString(body, "provider"));
  if (provider && *provider != "plaid") {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "provider of a linked account cannot change"));
  }
  for (std::string_view key : {"credentials", "secrets"}) {
    LINKHUB_ASSIGN_OR_RETURN(const object* o, OptionalObject(body, key));
    if (o != nullptr && !o->empty()) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  std::string(key) +
                                      " of a Plaid account cannot be set: re-link it through a "
                                      "connect session with account_id instead"));
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(auto account,
                           ctx.accounts.Patch(project_id, std::string(r.PathParam("id")), patch));
  return JsonResponse(200, AccountJson(ctx.accounts, account));
}

Result<Response> ManagementLinkToken(ApiContext& ctx, Request& r, const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  hub::LinkTokenInput in;
  LINKHUB_ASSIGN_OR_RETURN(in.origin_owner_id, RequiredString(body, "origin_owner_id"));
  LINKHUB_ASSIGN_OR_RETURN(auto products, OptionalStringList(body, "products"));
  in.products = products.value_or(std::vector<std::string>{});
  LINKHUB_ASSIGN_OR_RETURN(in.redirect_uri, OptionalString(body, "redirect_uri", 2048));
  LINKHUB_ASSIGN_OR_RETURN(in.account_id, OptionalString(body, "account_id"));
  LINKHUB_ASSIGN_OR_RETURN(hub::LinkToken token, ctx.linker.CreateLinkToken(project_id, in));
  return JsonResponse(200,
                      object{{"link_token", token.link_token}, {"expiration", token.expiration}});
}

// ---------------------------------------------------------------- Hub API

Result<hub::LinkMetadata> ParseLinkMetadata(const object* md) {
  hub::LinkMetadata out;
  if (md == nullptr) {
    return out;
  }
  LINKHUB_ASSIGN_OR_RETURN(out.link_session_id, OptionalString(*md, "link_session_id", 100));
  // It ends up in log lines: letters, digits, '-', '_' and '.' only (no line breaks or quotes).
  if (out.link_session_id &&
      !std::all_of(out.link_session_id->begin(), out.link_session_id->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      })) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "metadata.link_session_id holds characters a Plaid id never has"));
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* inst, OptionalObject(*md, "institution"));
  if (inst != nullptr) {
    LINKHUB_ASSIGN_OR_RETURN(out.institution_id, OptionalString(*inst, "institution_id"));
    LINKHUB_ASSIGN_OR_RETURN(out.institution_name, OptionalString(*inst, "name"));
  }
  const auto* accounts = Find(*md, "accounts");
  if (accounts != nullptr && !accounts->is_null()) {
    if (!accounts->is_array() || accounts->get_array().size() > 100) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  "metadata.accounts must be an array of at most 100 accounts"));
    }
    for (const auto& v : accounts->get_array()) {
      if (!v.is_object()) {
        return Unexpected(
            MakeError(ErrorCode::kInvalidArgument, "metadata.accounts must hold objects"));
      }
      const object& a = v.get_object();
      hub::LinkMetadata::Account acc;
      LINKHUB_ASSIGN_OR_RETURN(auto id, OptionalString(a, "id"));
      LINKHUB_ASSIGN_OR_RETURN(auto name, OptionalString(a, "name"));
      LINKHUB_ASSIGN_OR_RETURN(auto mask, OptionalString(a, "mask"));
      LINKHUB_ASSIGN_OR_RETURN(auto type, OptionalString(a, "type"));
      LINKHUB_ASSIGN_OR_RETURN(auto subtype, OptionalString(a, "subtype"));
      acc.id = id.value_or("");
      acc.name = name.value_or("");
      acc.mask = mask.value_or("");
      acc.type = type.value_or("");
      acc.subtype = subtype.value_or("");
      out.accounts.push_back(std::move(acc));
    }
  }
  return out;
}

Result<Response> HubLinkAccount(ApiContext& ctx, Request& r, const domain::ConnectSession& s) {
  LINKHUB_ASSIGN_OR_RETURN(object body, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(auto integration, OptionalString(body, "integration_id"));
  if (integration && *integration != "plaid") {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "integration_id must be 'plaid' (the only integration here)"));
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* credentials, OptionalObject(body, "credentials"));
  std::optional<std::string> public_token;
  if (credentials != nullptr) {
    LINKHUB_ASSIGN_OR_RETURN(public_token, OptionalString(*credentials, "public_token", 512));
  }
  if (!s.account_id && (!public_token || public_token->empty())) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "credentials.public_token is required: run Plaid Link and send "
                                "the public_token its onSuccess returns"));
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* md, OptionalObject(body, "metadata"));
  LINKHUB_ASSIGN_OR_RETURN(hub::LinkMetadata metadata, ParseLinkMetadata(md));
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                           ctx.linker.LinkAccount(s, public_token.value_or(""), metadata));
  ctx.hub_view.CompleteConnectionAttempts(s, account.id);
  // The browser sees display fields only: never the access token or the item id.
  return JsonResponse(201,
                      object{{"id", account.id},
                             {"provider", "plaid"},
                             {"status", domain::ToString(account.status)},
                             {"institution", object{{"id", OrNull(account.institution_id)},
                                                    {"name", OrNull(account.institution_name)}}},
                             {"accounts", ParsedOrNull(account.accounts_json)}});
}

}  // namespace

Response JsonResponse(int status, const boost::json::value& v) {
  return Response::Json(status, ToJson(v));
}

Result<std::string> RequestApiKey(const Request& r) { return ApiKeyOf(r); }

Result<std::vector<domain::AccountStatus>> ParseStatuses(const std::vector<std::string>& names) {
  std::vector<domain::AccountStatus> out;
  for (const auto& name : names) {
    auto status = domain::ParseAccountStatus(name);
    if (!status) {
      return Unexpected(MakeError(
          ErrorCode::kInvalidArgument,
          "status must be active, inactive, error or suspended, got '" + name.substr(0, 32) + "'"));
    }
    out.push_back(*status);
  }
  return out;
}

boost::json::value OrNull(const std::optional<std::string>& s) {
  return s ? boost::json::value(*s) : boost::json::value(nullptr);
}

boost::json::value OrNull(const std::optional<TimePoint>& t) {
  return t ? boost::json::value(FormatRfc3339(*t)) : boost::json::value(nullptr);
}

std::string OriginOf(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return "";
  }
  auto end = url.find_first_of("/?#", scheme + 3);
  return std::string(url.substr(0, end));
}

bool IsOwnOrigin(const ApiContext& ctx, const Request& r, std::string_view origin) {
  if (!ctx.public_url.empty() && origin == OriginOf(ctx.public_url)) {
    return true;
  }
  auto host = r.headers.Get("Host");
  std::string_view scheme = ctx.public_url.starts_with("https://") ? "https://" : "http://";
  return host && !host->empty() && origin.size() == scheme.size() + host->size() &&
         origin.starts_with(scheme) && origin.substr(scheme.size()) == *host;
}

namespace {

// "scheme://host[:port]" of a URL, lower-case, without the scheme's default port; "" when it is
// not one.
std::string OriginKey(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return "";
  }
  std::string out(url.substr(0, url.find_first_of("/?#", sep + 3)));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if ((out.starts_with("https://") && out.ends_with(":443")) ||
      (out.starts_with("http://") && out.ends_with(":80"))) {
    out.resize(out.rfind(':'));
  }
  return out;
}

}  // namespace

std::string AuthorityOf(std::string_view url) {
  std::string key = OriginKey(url);
  return key.empty() ? key : key.substr(key.find("://") + 3);
}

bool SameOrigin(std::string_view a, std::string_view b) {
  std::string key = OriginKey(a);
  return !key.empty() && key == OriginKey(b);
}

bool OnDashboardHost(const ApiContext& ctx, const Request& r) {
  if (ctx.dashboard_url.empty()) {
    return false;
  }
  auto host = r.headers.Get("Host");
  if (!host || host->empty()) {
    return false;
  }
  std::string scheme = ctx.dashboard_url.substr(0, ctx.dashboard_url.find("://") + 3);
  return AuthorityOf(scheme + std::string(*host)) == AuthorityOf(ctx.dashboard_url);
}

boost::json::object LinkedAccountJson(hub::Accounts& accounts,
                                      const domain::LinkedAccount& account) {
  return AccountJson(accounts, account);
}

http::Handler ManagedCaller(ApiContext& ctx, CallerHandler f) {
  return [&ctx, f = std::move(f)](Request& r) -> Response {
    Result<Response> res = [&]() -> Result<Response> {
      LINKHUB_ASSIGN_OR_RETURN(std::string key, ApiKeyOf(r));
      LINKHUB_ASSIGN_OR_RETURN(hub::CallerPtr caller, ctx.projects.Authenticate(key));
      LINKHUB_RETURN_IF_ERROR(ChargeKey(ctx, *caller));
      return f(r, caller);
    }();
    return res ? std::move(*res) : ErrorResponse(res.error(), ctx.clock);
  };
}

http::Handler Managed(ApiContext& ctx, ManagedHandler f) {
  return ManagedCaller(ctx, [f = std::move(f)](Request& r, const hub::CallerPtr& caller) {
    return f(r, caller->project_id);
  });
}

namespace {

Error Limited(std::string_view what, int64_t per_minute, std::chrono::seconds wait,
              std::string_view flag) {
  Error e = MakeError(ErrorCode::kResourceExhausted,
                      std::string(what) + " sent more than " + std::to_string(per_minute) +
                          " requests in a minute (" + std::string(flag) + "); retry after " +
                          std::to_string(wait.count()) + " s");
  e.details.emplace_back("retry_after_seconds", int64_t{wait.count()});
  return e;
}

std::string ClientAddress(const ApiContext& ctx, const Request& r) {
  if (!ctx.client_address_header.empty()) {
    if (auto v = r.headers.Get(ctx.client_address_header); v && !v->empty()) {
      std::string_view last = *v;
      if (auto comma = last.rfind(','); comma != std::string_view::npos) {
        last.remove_prefix(comma + 1);
      }
      while (!last.empty() && last.front() == ' ') {
        last.remove_prefix(1);
      }
      return std::string(last.substr(0, 64));
    }
  }
  return r.remote_address;
}

}  // namespace

Status ChargeKey(ApiContext& ctx, const hub::Caller& caller) {
  if (ctx.key_limiter == nullptr) {
    return OkStatus();
  }
  if (auto wait = ctx.key_limiter->Take(caller.key_id)) {
    static metrics::Counter& limited = metrics::Linkhub().rate_limited.With({"key"});
    limited.Add();
    return Unexpected(
        Limited("this API key", ctx.key_limiter->per_minute(), *wait, "--rate-limit-per-key"));
  }
  return OkStatus();
}

Status ChargeAddress(ApiContext& ctx, const Request& r) {
  if (ctx.address_limiter == nullptr) {
    return OkStatus();
  }
  if (auto wait = ctx.address_limiter->Take(ClientAddress(ctx, r))) {
    static metrics::Counter& limited = metrics::Linkhub().rate_limited.With({"address"});
    limited.Add();
    return Unexpected(Limited("this client address", ctx.address_limiter->per_minute(), *wait,
                              "--rate-limit-per-ip"));
  }
  return OkStatus();
}

Result<hub::CallerPtr> RecentCaller(ApiContext& ctx, const Request& r) {
  // Admission (UpstreamKey) asked the cache already: a key it did not find there (a hashed
  // admission key) is not asked about again, so that the renewal it asked for happens on the
  // handler pool.
  if (!r.upstream_key.empty() && !r.upstream_key.starts_with(kProjectUpstreamKey)) {
    return nullptr;
  }
  auto key = ApiKeyOf(r);
  hub::CallerPtr caller = key ? ctx.projects.RecentlyAuthenticated(*key) : nullptr;
  if (caller) {
    LINKHUB_RETURN_IF_ERROR(ChargeKey(ctx, *caller));
  }
  return caller;
}

Result<int64_t> IntParam(const Request& r, std::string_view key, int64_t fallback, int64_t min,
                         int64_t max) {
  auto v = r.QueryParam(key);
  if (!v || v->empty()) {
    return fallback;
  }
  auto n = ParseInt64(*v);
  if (!n || *n < min || *n > max) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                std::string(key) + " must be an integer from " +
                                    std::to_string(min) + " to " + std::to_string(max)));
  }
  return *n;
}

std::string UpstreamKey(ApiContext& ctx, const Request& r) {
  // Whose capacity a request uses: its project when its credential is known in memory. A
  // credential not known yet (its first request, a wrong one) is limited on its own until then.
  auto hashed = [](std::string_view kind, std::string_view credential) {
    return std::string(kind) + std::to_string(std::hash<std::string_view>()(credential));
  };
  if (r.headers.Get("Authorization")) {
    auto key = ApiKeyOf(r);
    if (!key) {
      return "";  // refused before anything reaches Plaid
    }
    if (auto caller = ctx.projects.RecentlyAuthenticated(*key)) {
      return std::string(kProjectUpstreamKey) + caller->project_id;
    }
    return hashed("api-key:", *key);
  }
  if (auto token = r.headers.Get("x-hub-session-token")) {
    if (auto project = ctx.sessions.KnownProject(*token)) {
      return std::string(kProjectUpstreamKey) + *project;
    }
    return hashed("session:", *token);
  }
  if (auto cookie = r.headers.Get("Cookie")) {
    return hashed("dashboard:", *cookie);
  }
  return "";
}

Response ServerError(Clock& clock, const Request& request, int status, const std::string& message) {
  Response res = ErrorResponse(status, message, clock);
  if (request.path.starts_with("/hub/")) {
    AddCors(request, res);
  }
  return res;
}

// For load balancers and orchestrators, unauthenticated: /healthz says the process answers,
// /readyz that it can do its work (503 naming what fails).
void RegisterHealthRoutes(http::Router& router, ApiContext& ctx) {
  router.Add("GET", "/healthz", [](Request&) {
    Response res = Response::Json(200, R"({"status":"ok"})");
    res.headers.Set("Cache-Control", "no-store");
    return res;
  });
  router.Add("GET", "/readyz", [&ctx](Request&) {
    object checks;
    bool ready = true;
    if (ctx.readiness != nullptr) {
      for (const auto& c : ctx.readiness->Check()) {
        ready = ready && c.ok;
        checks[c.name] = c.ok ? boost::json::value("ok") : boost::json::value(c.reason);
      }
    }
    Response res = JsonResponse(ready ? 200 : 503, object{{"status", ready ? "ready" : "not_ready"},
                                                          {"checks", std::move(checks)}});
    res.headers.Set("Cache-Control", "no-store");
    return res;
  });
}

// Prometheus' scrape. Unauthenticated unless --metrics-token is set: the figures name routes and
// Plaid endpoints, never an id, a key or a path as received.
void RegisterMetricsRoute(http::Router& router, ApiContext& ctx) {
  if (ctx.metrics == nullptr) {
    return;
  }
  router.Add("GET", "/metrics", [&ctx](Request& r) {
    if (!ctx.metrics_token.empty()) {
      auto auth = r.headers.Get("Authorization");
      std::string_view given = auth && auth->starts_with("Bearer ") ? auth->substr(7) : "";
      if (!vault::ConstantTimeEquals(given, ctx.metrics_token)) {
        Response res = ErrorResponse(401,
                                     given.empty() ? "GET /metrics needs Authorization: Bearer "
                                                     "with the server's --metrics-token"
                                                   : "wrong metrics token",
                                     ctx.clock);
        res.headers.Set("WWW-Authenticate", R"(Bearer realm="linkhub-metrics")");
        return res;
      }
    }
    Response res;
    res.status = 200;
    res.body = ctx.metrics->Render();
    res.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    res.headers.Set("Cache-Control", "no-store");
    return res;
  });
}

void RegisterRoutes(http::Router& router, ApiContext& ctx) {
  RegisterHealthRoutes(router, ctx);
  RegisterMetricsRoute(router, ctx);
  auto managed = [&](const char* method, std::string_view pattern,
                     Result<Response> (*fn)(ApiContext&, Request&, const std::string&),
                     http::Lane lane = http::Lane::kLocal) {
    router.Add(method, pattern,
               Managed(ctx, [&ctx, fn](Request& r, const std::string& p) { return fn(ctx, r, p); }),
               lane);
  };
  // Routes that may call Plaid are on Lane::kUpstream: see UpstreamKey().
  constexpr auto kPlaid = http::Lane::kUpstream;
  managed("POST", "/connect_sessions", CreateSession);
  managed("POST", "/connect_sessions/authenticate", AuthenticateSession);
  managed("GET", "/accounts", ListAccounts);
  managed("GET", "/accounts/{id}",
          [](ApiContext& c, Request& r, const std::string& p) -> Result<Response> {
            LINKHUB_ASSIGN_OR_RETURN(auto a, c.accounts.Get(p, std::string(r.PathParam("id"))));
            return JsonResponse(200, AccountJson(c.accounts, a));
          });
  managed("PATCH", "/accounts/{id}", PatchAccount);
  managed(
      "DELETE", "/accounts/{id}",
      [](ApiContext& c, Request& r, const std::string& p) -> Result<Response> {
        LINKHUB_ASSIGN_OR_RETURN(auto a, c.accounts.Delete(p, std::string(r.PathParam("id"))));
        return JsonResponse(200, AccountJson(c.accounts, a));
      },
      kPlaid);
  managed("POST", "/accounts/{id}/suspend",
          [](ApiContext& c, Request& r, const std::string& p) -> Result<Response> {
            LINKHUB_ASSIGN_OR_RETURN(auto a, c.accounts.Suspend(p, std::string(r.PathParam("id"))));
            return JsonResponse(200, AccountJson(c.accounts, a));
          });
  managed("POST", "/accounts/{id}/resume",
          [](ApiContext& c, Request& r, const std::string& p) -> Result<Response> {
            LINKHUB_ASSIGN_OR_RETURN(auto a, c.accounts.Resume(p, std::string(r.PathParam("id"))));
            return JsonResponse(200, AccountJson(c.accounts, a));
          });
  managed("GET", "/accounts/{id}/meta",
          [](ApiContext& c, Request& r, const std::string& p) -> Result<Response> {
            LINKHUB_ASSIGN_OR_RETURN(auto a, c.accounts.Get(p, std::string(r.PathParam("id"))));
            return JsonResponse(200, object{{"provider", a.provider},
                                            {"category", "banking"},
                                            {"models", ModelsFor(a.products)}});
          });
  managed("GET", "/connectors/meta",
          [](ApiContext& c, Request&, const std::string&) -> Result<Response> {
            return JsonResponse(200, boost::json::array{ConnectorJson(c)});
          });
  managed("GET", "/connectors/meta/{provider}",
          [](ApiContext& c, Request& r, const std::string&) -> Result<Response> {
            if (r.PathParam("provider") != "plaid") {
              return Unexpected(
                  MakeError(ErrorCode::kNotFound, "connector not found; the only one is plaid"));
            }
            return JsonResponse(200, ConnectorJson(c));
          });
  managed("POST", "/plaid/link_token", ManagementLinkToken, kPlaid);
  RegisterActionRoutes(router, ctx);
  RegisterMcpRoutes(router, ctx);

  router.Add("POST", "/hub/plaid/link_token",
             HubRoute(ctx,
                      [&ctx](Request&, const domain::ConnectSession& s) -> Result<Response> {
                        hub::LinkTokenInput in;
                        in.origin_owner_id = s.origin_owner_id;
                        in.account_id = s.account_id;
                        LINKHUB_ASSIGN_OR_RETURN(hub::LinkToken token,
                                                 ctx.linker.CreateLinkToken(s.project_id, in));
                        return JsonResponse(200, object{{"link_token", token.link_token},
                                                        {"expiration", token.expiration},
                                                        {"update_mode", s.account_id.has_value()},
                                                        {"link_script_url", ctx.link_script_url}});
                      }),
             kPlaid);
  router.Add(
      "POST", "/hub/accounts",
      HubRoute(ctx, [&ctx](Request& r,
                           const domain::ConnectSession& s) { return HubLinkAccount(ctx, r, s); }),
      kPlaid);
  // The Hub page, the rest of the Hub API, and the preflights of every /hub/* route.
  RegisterHubRoutes(router, ctx);
  RegisterDashboardRoutes(router, ctx);
  RegisterWebhookRoutes(router, ctx);
}

}  // namespace linkhub::api
