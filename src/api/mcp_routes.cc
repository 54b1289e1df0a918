// /mcp: the Model Context Protocol's Streamable HTTP transport (JSON answers only, no server
// stream) in front of mcp::Server. This file does the HTTP side: Origin, credentials, Accept and
// Content-Type, and a Reply turned into a response; docs/mcp.md describes the whole.
#include <optional>
#include <string>
#include <variant>

#include "api/errors.h"
#include "api/routes_internal.h"
#include "mcp/server.h"

namespace linkhub::api {

namespace {

using http::Request;
using http::Response;

constexpr size_t kMaxHeaderId = 100;

// RFC 6750 §3: a challenge on every 401, with error="invalid_token" when a key was sent.
Response Unauthorized(ApiContext& ctx, const Error& error, bool key_sent) {
  Response res = ErrorResponse(error, ctx.clock);
  res.headers.Set("WWW-Authenticate", key_sent ? R"(Bearer realm="linkhub", error="invalid_token")"
                                               : R"(Bearer realm="linkhub")");
  return res;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (http::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

// What every POST and DELETE must pass before credentials matter: a browser page of another
// origin never reaches a session (DNS rebinding), and the headers that name a session or an
// account are bounded. The refusal, if any.
std::optional<Response> CheckRequest(ApiContext& ctx, const Request& r, bool post) {
  if (auto origin = r.headers.Get("Origin"); origin && !IsOwnOrigin(ctx, r, *origin)) {
    return ErrorResponse(403,
                         "Origin " + std::string(origin->substr(0, 100)) +
                             " may not use /mcp: only linkhub's own origin and "
                             "non-browser clients may",
                         ctx.clock);
  }
  for (std::string_view name : {"Mcp-Session-Id", "x-account-id", "MCP-Protocol-Version"}) {
    if (auto v = r.headers.Get(name); v && v->size() > kMaxHeaderId) {
      return ErrorResponse(400, std::string(name) + " is too long", ctx.clock);
    }
  }
  if (!post) {
    return std::nullopt;
  }
  auto accept = r.headers.Get("Accept");
  if (accept && !ContainsIgnoreCase(*accept, "application/json") &&
      !ContainsIgnoreCase(*accept, "*/*")) {
    return ErrorResponse(406,
                         "Accept must include application/json: linkhub answers MCP "
                         "requests with JSON",
                         ctx.clock);
  }
  auto type = r.headers.Get("Content-Type");
  if (!type || !ContainsIgnoreCase(*type, "application/json")) {
    return ErrorResponse(415, "Content-Type must be application/json", ctx.clock);
  }
  return std::nullopt;
}

std::optional<std::string> HeaderValue(const Request& r, std::string_view name) {
  auto v = r.headers.Get(name);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

mcp::Exchange ExchangeOf(Request& r, hub::CallerPtr caller) {
  return mcp::Exchange{std::move(caller),
                       std::string(r.headers.Get("x-account-id").value_or("")),
                       HeaderValue(r, "Mcp-Session-Id"),
                       HeaderValue(r, "MCP-Protocol-Version"),
                       r.QueryParam("tool-mode") == "search_execute",
                       std::move(r.body),
                       r.request_id};
}

Response ToResponse(mcp::Reply reply) {
  Response res = reply.body.empty() ? Response::Text(reply.http_status, "")
                                    : Response::Json(reply.http_status, std::move(reply.body));
  if (reply.session_id) {
    res.headers.Set("Mcp-Session-Id", *reply.session_id);
  }
  return res;
}

// The caller of a POST or DELETE on the handler pool, or the 401 to answer.
// The caller of a POST or DELETE on the handler pool once CheckRequest passed, or the response
// to answer instead (401 with a challenge for a missing or wrong key).
std::variant<hub::CallerPtr, Response> Admit(ApiContext& ctx, const Request& r, bool post) {
  if (auto refused = CheckRequest(ctx, r, post)) {
    return std::move(*refused);
  }
  auto key = RequestApiKey(r);
  auto caller = key ? ctx.projects.Authenticate(*key) : Unexpected(std::move(key).error());
  if (!caller) {
    return caller.error().code == ErrorCode::kUnauthenticated
               ? Unauthorized(ctx, caller.error(), r.headers.Get("Authorization").has_value())
               : ErrorResponse(caller.error(), ctx.clock);
  }
  if (auto charged = ChargeKey(ctx, **caller); !charged) {
    return ErrorResponse(charged.error(), ctx.clock);
  }
  return std::move(*caller);
}

Response Post(ApiContext& ctx, Request& r) {
  auto admitted = Admit(ctx, r, /*post=*/true);
  if (auto* refused = std::get_if<Response>(&admitted)) {
    return std::move(*refused);
  }
  hub::CallerPtr caller = std::move(std::get<hub::CallerPtr>(admitted));
  // A session carries its account; a request that opens one must name it.
  if (!r.headers.Get("Mcp-Session-Id") && r.headers.Get("x-account-id").value_or("").empty()) {
    return Unauthorized(ctx,
                        MakeError(ErrorCode::kUnauthenticated,
                                  "the x-account-id header is required: the linked account the "
                                  "session's tools run on"),
                        false);
  }
  auto reply = ctx.mcp->Handle(ExchangeOf(r, std::move(caller)));
  return reply ? ToResponse(std::move(*reply)) : ErrorResponse(reply.error(), ctx.clock);
}

// A tools/call on a live session, started on the I/O thread (see mcp::Server::TryStart).
// Declines whatever needs more: an unknown key, a request to refuse, a session to open.
bool PostFast(ApiContext& ctx, Request& r, http::Reply reply) {
  if (!r.headers.Get("Mcp-Session-Id") || CheckRequest(ctx, r, /*post=*/true)) {
    return false;
  }
  // Counted here; a request TryStart declines (one that is not a tools call) is counted again on
  // the handler pool.
  auto recent = RecentCaller(ctx, r);
  if (!recent) {
    reply(ErrorResponse(recent.error(), ctx.clock));
    return true;
  }
  if (*recent == nullptr) {
    return false;
  }
  hub::CallerPtr caller = std::move(*recent);
  // TryStart only reads the body when it declines, so the handler-pool route still has it.
  mcp::Exchange exchange = ExchangeOf(r, std::move(caller));
  bool started = ctx.mcp->TryStart(exchange, [reply = std::move(reply)](mcp::Reply answer) {
    reply(ToResponse(std::move(answer)));
  });
  if (!started) {
    r.body = std::move(exchange.body);
  }
  return started;
}

Response Delete(ApiContext& ctx, Request& r) {
  auto admitted = Admit(ctx, r, /*post=*/false);
  if (auto* refused = std::get_if<Response>(&admitted)) {
    return std::move(*refused);
  }
  const hub::CallerPtr& caller = std::get<hub::CallerPtr>(admitted);
  auto session = r.headers.Get("Mcp-Session-Id");
  if (!session || session->empty()) {
    return ErrorResponse(400, "the Mcp-Session-Id header names the session to end", ctx.clock);
  }
  return ToResponse(ctx.mcp->End(std::string(*session), *caller));
}

}  // namespace

void RegisterMcpRoutes(http::Router& router, ApiContext& ctx) {
  if (ctx.mcp == nullptr) {
    return;
  }
  // GET (a server-to-client stream) is not offered: the server answers 405 with Allow.
  router.Add(
      "POST", "/mcp", [&ctx](Request& r) { return Post(ctx, r); },
      [&ctx](Request& r, http::Reply reply) { return PostFast(ctx, r, std::move(reply)); },
      http::Lane::kUpstream);
  router.Add("DELETE", "/mcp", [&ctx](Request& r) { return Delete(ctx, r); });
}

}  // namespace linkhub::api
