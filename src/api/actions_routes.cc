// GET /actions, POST /actions/rpc, POST /actions/search and POST /unified/proxy in StackOne's
// shapes.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "api/errors.h"
#include "api/input.h"
#include "api/routes_internal.h"
#include "core/json.h"
#include "core/strings.h"
#include "mcp/search.h"
#include "plaid/catalogue.h"

namespace linkhub::api {

namespace {

using boost::json::object;
using http::Request;
using http::Response;

std::vector<std::string> CommaList(const std::optional<std::string>& v) {
  return v ? SplitCommaList(*v) : std::vector<std::string>{};
}

object ActionJson(const plaid::Action& a, bool details) {
  object out{{"id", a.id},
             {"label", a.label},
             {"description", a.description},
             {"schema_type", "native"},
             {"tags", ToJsonArray(a.tags)}};
  if (details) {
    out["operation_details"] =
        object{{"plaid_endpoint", a.endpoint},
               {"product",
                a.product.empty() ? boost::json::value(nullptr) : boost::json::value(a.product)},
               {"read_only", a.read_only},
               {"paging", a.paging == plaid::Paging::kSync     ? "sync_cursor"
                          : a.paging == plaid::Paging::kOffset ? "next"
                                                               : "none"},
               {"input_schema", a.input_schema},
               {"output", a.output}};
  }
  return out;
}

Result<Response> ListActions(ApiContext& ctx, Request& r, const std::string& project_id) {
  auto connectors = CommaList(r.QueryParam("filter[connectors]"));
  auto account_ids = CommaList(r.QueryParam("filter[account_ids]"));
  auto action_key = r.QueryParam("filter[action_key]");
  auto include = CommaList(r.QueryParam("include"));
  bool details = std::find(include.begin(), include.end(), "operation_details") != include.end();
  LINKHUB_ASSIGN_OR_RETURN(int64_t page_size, IntParam(r, "page_size", 25, 1, 100));
  int64_t offset = 0;
  if (auto next = r.QueryParam("next"); next && !next->empty()) {
    auto parsed = ParsePrefixedInt64(*next, "a:");
    if (!parsed) {
      return Unexpected(
          MakeError(ErrorCode::kInvalidArgument, "next is not a cursor of this list"));
    }
    offset = *parsed;
  }
  if (account_ids.size() > 100) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "filter[account_ids] lists too many"));
  }
  std::vector<domain::LinkedAccount> accounts;
  for (const auto& id : account_ids) {
    auto a = ctx.accounts.Get(project_id, id);
    if (a) {
      accounts.push_back(std::move(*a));
    } else if (a.error().code != ErrorCode::kNotFound) {
      return Unexpected(std::move(a).error());
    }
  }
  bool plaid_wanted = connectors.empty() ||
                      std::find(connectors.begin(), connectors.end(), "plaid") != connectors.end();
  std::vector<const plaid::Action*> matching;
  if (plaid_wanted) {
    for (const auto& a : plaid::Catalogue()) {
      if (action_key && a.id != *action_key) {
        continue;
      }
      if (!account_ids.empty() &&
          std::none_of(accounts.begin(), accounts.end(), [&](const domain::LinkedAccount& acc) {
            return plaid::Supports(acc.products, a);
          })) {
        continue;
      }
      matching.push_back(&a);
    }
  }
  boost::json::array actions;
  for (int64_t i = offset; i < static_cast<int64_t>(matching.size()) && i < offset + page_size;
       ++i) {
    actions.push_back(ActionJson(*matching[static_cast<size_t>(i)], details));
  }
  boost::json::array data;
  if (!actions.empty()) {
    data.push_back(object{{"key", "plaid"},
                          {"name", "Plaid"},
                          {"description",
                           "Bank accounts, balances, transactions, identity, investments and "
                           "liabilities through Plaid"},
                          {"version", "2020-09-14"},
                          {"authentication", boost::json::array{object{{"key", "public_token"},
                                                                       {"label", "Plaid Link"},
                                                                       {"type", "custom"}}}},
                          {"actions", std::move(actions)}});
  }
  int64_t end = offset + page_size;
  object out{{"data", std::move(data)},
             {"next", end < static_cast<int64_t>(matching.size())
                          ? boost::json::value("a:" + std::to_string(end))
                          : boost::json::value(nullptr)}};
  return JsonResponse(200, out);
}

Result<std::string> AccountHeader(const Request& r) {
  auto id = r.headers.Get("x-account-id");
  if (!id || id->empty()) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument,
                  "the x-account-id header is required: the linked account to run on"));
  }
  if (id->size() > 100) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "x-account-id is too long"));
  }
  return std::string(*id);
}

// A query value (always a string from a URL, or any JSON from an RPC body) as the type the
// action's schema wants, so that {"query": {"count": "5"}} works like {"body": {"count": 5}}.
boost::json::value Coerce(const boost::json::value& v, const boost::json::value* property) {
  if (!v.is_string() || property == nullptr || !property->is_object()) {
    return v;
  }
  std::string_view s = v.get_string();
  auto type = GetString(property->get_object(), "type").value_or("");
  if (type == "integer") {
    bool negative = s.starts_with('-');
    if (auto n = ParseInt64(negative ? s.substr(1) : s)) {
      return negative ? -*n : *n;
    }
  } else if (type == "boolean" && (s == "true" || s == "false")) {
    return s == "true";
  } else if (type == "array") {
    return ToJsonArray(SplitCommaList(s));
  }
  return v;
}

// The RPC door's parse step: the account from x-account-id, the action, and its input from the
// body's `body` and `query` (query values coerced to the schema's types).
Result<hub::ActionRequest> ParseRpc(Request& r, const hub::CallerPtr& caller) {
  hub::ActionRequest call;
  call.project_id = caller->project_id;
  call.limits = hub::LimitsOf(caller);
  call.request_id = r.request_id;
  LINKHUB_ASSIGN_OR_RETURN(call.account_id, AccountHeader(r));
  LINKHUB_ASSIGN_OR_RETURN(object request, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(call.action_id, RequiredString(request, "action", 100));
  LINKHUB_ASSIGN_OR_RETURN(const object* body, OptionalObject(request, "body"));
  LINKHUB_ASSIGN_OR_RETURN(const object* query, OptionalObject(request, "query"));
  if (query != nullptr) {
    const plaid::Action* action = plaid::FindAction(call.action_id);
    const object* properties = action && action->input_schema.is_object()
                                   ? GetObject(action->input_schema.get_object(), "properties")
                                   : nullptr;
    for (const auto& [key, value] : *query) {
      call.input[key] = Coerce(value, properties ? Find(*properties, key) : nullptr);
    }
  }
  if (body != nullptr) {
    for (const auto& [key, value] : *body) {
      call.input[key] = value;
    }
  }
  return call;
}

Response Envelope(hub::ActionOutcome&& outcome) {
  return Response::Json(200, hub::WriteEnvelope(std::move(outcome)));
}

// POST /actions/rpc on the handler pool: the API key read from the store.
Result<Response> Rpc(ApiContext& ctx, Request& r, const hub::CallerPtr& caller) {
  LINKHUB_ASSIGN_OR_RETURN(hub::ActionRequest call, ParseRpc(r, caller));
  LINKHUB_ASSIGN_OR_RETURN(hub::ActionOutcome outcome, ctx.actions.Run(std::move(call)));
  return Envelope(std::move(outcome));
}

// POST /actions/rpc on the I/O thread, for a key accepted within the last second (no database
// read): the same door into the same pipeline, started without blocking (Actions::Start).
// Declines only when the key is not known in memory; Rpc() then authenticates it.
bool RpcFast(ApiContext& ctx, Request& r, http::Reply reply) {
  auto recent = RecentCaller(ctx, r);
  if (!recent) {
    reply(ErrorResponse(recent.error(), ctx.clock));
    return true;
  }
  if (*recent == nullptr) {
    return false;
  }
  auto call = ParseRpc(r, *recent);
  if (!call) {
    reply(ErrorResponse(call.error(), ctx.clock));
    return true;
  }
  ctx.actions.Start(
      std::move(*call), [&ctx, reply = std::move(reply)](Result<hub::ActionOutcome> outcome) {
        reply(outcome ? Envelope(std::move(*outcome)) : ErrorResponse(outcome.error(), ctx.clock));
      });
  return true;
}

// POST /actions/search {query, top_k, connector}: the actions matching a query, best first, in
// the shape StackOne's SDKs read ({results: [{action_name, connector_key, similarity_score,
// label, description}], total_count, query}). Only actions the key may run; with x-account-id,
// only those that account's products allow.
Result<Response> SearchActions(ApiContext& ctx, Request& r, const hub::CallerPtr& caller) {
  LINKHUB_ASSIGN_OR_RETURN(object request, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(std::string query, RequiredString(request, "query", 1000));
  LINKHUB_ASSIGN_OR_RETURN(auto top_k, OptionalInt(request, "top_k"));
  if (top_k && (*top_k < 1 || *top_k > 500)) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "top_k must be from 1 to 500"));
  }
  LINKHUB_ASSIGN_OR_RETURN(auto connector, OptionalString(request, "connector", 100));
  std::optional<std::vector<std::string>> products;
  if (auto account_id = r.headers.Get("x-account-id"); account_id && !account_id->empty()) {
    LINKHUB_ASSIGN_OR_RETURN(std::string id, AccountHeader(r));
    LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                             ctx.accounts.Get(caller->project_id, id));
    products = std::move(account.products);
  }
  std::vector<mcp::SearchHit> hits;
  if (!connector || *connector == "plaid") {
    hits = mcp::SearchActions(query, static_cast<size_t>(top_k.value_or(10)),
                              [&](const plaid::Action& a) {
                                return (!products || plaid::Supports(*products, a)) &&
                                       hub::CheckKeyAllows(caller->limits, a).has_value();
                              });
  }
  boost::json::array results;
  for (const auto& hit : hits) {
    results.push_back(object{{"action_name", hit.action->id},
                             {"connector_key", "plaid"},
                             {"similarity_score", std::round(hit.score * 1000) / 1000},
                             {"label", hit.action->label},
                             {"description", hit.action->description}});
  }
  size_t total = results.size();
  return JsonResponse(
      200,
      object{{"results", std::move(results)}, {"total_count", total}, {"query", std::move(query)}});
}

Result<Response> Proxy(ApiContext& ctx, Request& r, const hub::CallerPtr& caller) {
  LINKHUB_ASSIGN_OR_RETURN(std::string account_id, AccountHeader(r));
  LINKHUB_ASSIGN_OR_RETURN(object request, ParseBody(r));
  LINKHUB_ASSIGN_OR_RETURN(auto method, OptionalString(request, "method", 16));
  if (method && !http::EqualsIgnoreCase(*method, "post")) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "method must be post: Plaid's API takes only POST requests"));
  }
  LINKHUB_ASSIGN_OR_RETURN(auto url, OptionalString(request, "url", 2048));
  LINKHUB_ASSIGN_OR_RETURN(auto path, OptionalString(request, "path", 200));
  if (url) {
    // The target host is always the configured Plaid host; a url may only name a path on it.
    const std::string& base = ctx.plaid_base_url;
    if (!url->starts_with(base + "/")) {
      return Unexpected(
          MakeError(ErrorCode::kInvalidArgument,
                    "url must be on the configured Plaid host " + base + "; prefer path"));
    }
    std::string from_url = url->substr(base.size());
    if (path && *path != from_url) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument, "url and path disagree"));
    }
    path = from_url;
  }
  if (!path) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "path is required, e.g. \"/accounts/get\""));
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* headers, OptionalObject(request, "headers"));
  if (headers != nullptr) {
    for (const auto& [key, value] : *headers) {
      bool allowed = http::EqualsIgnoreCase(key, "content-type") ||
                     (http::EqualsIgnoreCase(key, "plaid-version") && value.is_string() &&
                      value.get_string() == "2020-09-14");
      if (!allowed) {
        return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                    "header " + std::string(key).substr(0, 64) +
                                        " is not forwarded to Plaid (allowed: Content-Type, "
                                        "Plaid-Version 2020-09-14)"));
      }
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(const object* body, OptionalObject(request, "body"));
  // Plaid's answer as Plaid sent it.
  LINKHUB_ASSIGN_OR_RETURN(
      std::string answer, ctx.actions.Proxy(caller->project_id, account_id, *path,
                                            body ? *body : object{}, caller->limits, r.request_id));
  return Response::Json(200, std::move(answer));
}

}  // namespace

void RegisterActionRoutes(http::Router& router, ApiContext& ctx) {
  router.Add("GET", "/actions", Managed(ctx, [&ctx](Request& r, const std::string& p) {
               return ListActions(ctx, r, p);
             }));
  router.Add(
      "POST", "/actions/rpc",
      ManagedCaller(ctx, [&ctx](Request& r, const hub::CallerPtr& c) { return Rpc(ctx, r, c); }),
      [&ctx](Request& r, http::Reply reply) { return RpcFast(ctx, r, std::move(reply)); },
      http::Lane::kUpstream);
  router.Add("POST", "/actions/search",
             ManagedCaller(ctx, [&ctx](Request& r, const hub::CallerPtr& c) {
               return SearchActions(ctx, r, c);
             }));
  router.Add(
      "POST", "/unified/proxy",
      ManagedCaller(ctx, [&ctx](Request& r, const hub::CallerPtr& c) { return Proxy(ctx, r, c); }),
      http::Lane::kUpstream);
}

}  // namespace linkhub::api
