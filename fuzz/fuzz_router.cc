// The router (http/router.h) over the server's route table, the query-string parsing handlers
// use (Request::QueryParams, QueryParam; the comma lists and integers of core/strings.h), and
// ParseHttpUrl (core/url.h) for the webhook endpoint URLs customers give.
//
// Input: a method, a newline, a request target (path and query, as on the request line), a
// newline, then a URL.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/strings.h"
#include "core/url.h"
#include "http/message.h"
#include "http/request_reader.h"
#include "http/router.h"

namespace linkhub::http {
namespace {

// The patterns api::RegisterRoutes (and the routes it calls) registers, with their methods; the
// OPTIONS preflights of the Hub API are among them.
struct RouteSpec {
  const char* method;
  const char* pattern;
};
constexpr RouteSpec kRoutes[] = {
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"POST", "/connect_sessions"},
    {"POST", "/connect_sessions/authenticate"},
    {"GET", "/accounts"},
    {"GET", "/accounts/{id}"},
    {"PATCH", "/accounts/{id}"},
    {"DELETE", "/accounts/{id}"},
    {"POST", "/accounts/{id}/suspend"},
    {"POST", "/accounts/{id}/resume"},
    {"GET", "/accounts/{id}/meta"},
    {"GET", "/connectors/meta"},
    {"GET", "/connectors/meta/{provider}"},
    {"POST", "/plaid/link_token"},
    {"GET", "/actions"},
    {"POST", "/actions/rpc"},
    {"POST", "/actions/search"},
    {"POST", "/unified/proxy"},
    {"POST", "/mcp"},
    {"DELETE", "/mcp"},
    {"POST", "/hub/plaid/link_token"},
    {"POST", "/hub/accounts"},
    {"GET", "/embedded/integrations"},
    {"GET", "/embedded/assets/hub.js"},
    {"GET", "/embedded/assets/hub.css"},
    {"GET", "/hub/logos/plaid.svg"},
    {"GET", "/hub/session"},
    {"GET", "/hub/settings"},
    {"GET", "/hub/connectors"},
    {"GET", "/hub/connectors/{id}"},
    {"GET", "/hub/accounts"},
    {"GET", "/hub/accounts/{id}"},
    {"PATCH", "/hub/accounts/{id}"},
    {"POST", "/hub/connection_attempts"},
    {"GET", "/hub/connection_attempts/{id}"},
    {"DELETE", "/hub/connection_attempts/{id}"},
    {"OPTIONS", "/hub/plaid/link_token"},
    {"OPTIONS", "/hub/session"},
    {"OPTIONS", "/hub/settings"},
    {"OPTIONS", "/hub/connectors"},
    {"OPTIONS", "/hub/connectors/{id}"},
    {"OPTIONS", "/hub/accounts"},
    {"OPTIONS", "/hub/accounts/{id}"},
    {"OPTIONS", "/hub/connection_attempts"},
    {"OPTIONS", "/hub/connection_attempts/{id}"},
    {"GET", "/dashboard"},
    {"GET", "/dashboard/assets/dashboard.js"},
    {"GET", "/dashboard/assets/dashboard.css"},
    {"GET", "/dashboard/assets/icon.svg"},
    {"POST", "/dashboard/api/sign_in"},
    {"GET", "/dashboard/api/session"},
    {"POST", "/dashboard/api/sign_out"},
    {"GET", "/dashboard/api/accounts"},
    {"GET", "/dashboard/api/accounts/{id}"},
    {"DELETE", "/dashboard/api/accounts/{id}"},
    {"POST", "/dashboard/api/accounts/{id}/suspend"},
    {"POST", "/dashboard/api/accounts/{id}/resume"},
    {"POST", "/dashboard/api/accounts/{id}/relink"},
    {"GET", "/dashboard/api/accounts/{id}/logs"},
    {"GET", "/dashboard/api/accounts/{id}/actions"},
    {"POST", "/dashboard/api/accounts/{id}/rpc"},
    {"POST", "/dashboard/api/connect_sessions"},
    {"GET", "/dashboard/api/orphans"},
    {"GET", "/dashboard/api/accounts/{id}/timeline"},
    {"GET", "/dashboard/api/webhooks"},
    {"POST", "/dashboard/api/webhooks"},
    {"DELETE", "/dashboard/api/webhooks/{webhook_id}"},
    {"POST", "/dashboard/api/webhooks/{webhook_id}/rotate_secret"},
    {"GET", "/dashboard/api/webhooks/{webhook_id}/deliveries"},
    {"POST", "/dashboard/api/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"},
    {"POST", "/webhooks/plaid/{project_id}"},
    {"POST", "/webhooks"},
    {"GET", "/webhooks"},
    {"GET", "/webhooks/{id}"},
    {"DELETE", "/webhooks/{id}"},
    {"POST", "/webhooks/{id}/rotate_secret"},
    {"GET", "/webhooks/{id}/deliveries"},
    {"POST", "/webhooks/{id}/deliveries/{delivery_id}/retry"},
};

// Each route's handler answers with its index in kRoutes, so the fuzzer knows which one won.
const Router& TheRouter() {
  static const Router* router = [] {
    auto* r = new Router;
    for (size_t i = 0; i < std::size(kRoutes); ++i) {
      r->Add(kRoutes[i].method, kRoutes[i].pattern,
             [i](Request&) { return Response::Text(200, std::to_string(i)); });
    }
    return r;
  }();
  return *router;
}

void CheckRoute(Request& req) {
  Router::Match m = TheRouter().Find(req);
  if (m.handler == nullptr) {
    LINKHUB_CHECK(!m.path_matched || !m.allowed_methods.empty());
    return;
  }
  size_t index = std::stoul((*m.handler)(req).body);
  LINKHUB_CHECK(index < std::size(kRoutes));
  std::string_view method = kRoutes[index].method;
  LINKHUB_CHECK(method == req.method || (req.method == "HEAD" && method == "GET"));
  // The path is the pattern with each parameter replaced by its (non-empty) value.
  auto pattern = SplitPath(kRoutes[index].pattern);
  auto path = SplitPath(req.path);
  LINKHUB_CHECK(pattern.size() == path.size());
  size_t params = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].size() > 2 && pattern[i].front() == '{' && pattern[i].back() == '}') {
      std::string_view name = pattern[i].substr(1, pattern[i].size() - 2);
      LINKHUB_CHECK(!path[i].empty() && req.PathParam(name) == path[i]);
      ++params;
    } else {
      LINKHUB_CHECK(pattern[i] == path[i]);
    }
  }
  LINKHUB_CHECK(req.path_params.size() == params);
}

void CheckQuery(const Request& req) {
  auto params = req.QueryParams();
  for (const auto& [name, value] : params) {
    // QueryParam finds the first of its name.
    auto first = req.QueryParam(name);
    LINKHUB_CHECK(first.has_value());
    // A list parameter as the handlers read it (key=a,b): trimmed, non-empty parts that read back.
    auto parts = SplitCommaList(value);
    for (const auto& p : parts) {
      LINKHUB_CHECK(!p.empty() && p.front() != ' ' && p.back() != ' ' && p.front() != '\t' &&
                    p.back() != '\t');
    }
    bool plain = true;
    for (const auto& p : parts) {
      plain = plain && p.find(',') == std::string::npos;
    }
    if (plain) {
      LINKHUB_CHECK(SplitCommaList(JoinCommaList(parts)) == parts);
    }
    // Integers (page, page_size) and cursors ("o:40", "a:25").
    if (auto n = ParseInt64(value)) {
      LINKHUB_CHECK(*n >= 0);
    }
    for (std::string_view prefix : {"o:", "a:"}) {
      if (auto n = ParsePrefixedInt64(value, prefix)) {
        LINKHUB_CHECK(*n >= 0 && value.starts_with(prefix));
      }
    }
  }
  for (std::string_view key : {"page", "page_size", "next", "include", "status", "provider",
                               "filter[account_ids]", "filter[connectors]", "token"}) {
    (void)req.QueryParam(key);
  }
}

void CheckUrl(std::string_view text) {
  for (size_t max_length : {size_t{2048}, size_t{16}}) {
    auto url = ParseHttpUrl(text, max_length);
    if (!url) {
      LINKHUB_CHECK(url.error().code == ErrorCode::kInvalidArgument);
      continue;
    }
    LINKHUB_CHECK(text.size() <= max_length);
    LINKHUB_CHECK(url->scheme == "http" || url->scheme == "https");
    LINKHUB_CHECK(!url->host.empty() && url->port != 0);
  }
}

}  // namespace
}  // namespace linkhub::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t first = in.find('\n');
  size_t second = first == std::string_view::npos ? first : in.find('\n', first + 1);
  linkhub::http::Request req;
  req.method = std::string(in.substr(0, first));
  if (first != std::string_view::npos) {
    // As the server splits the target (RequestReader::TakeRequest).
    req.target = std::string(in.substr(first + 1, second - first - 1));
    auto q = req.target.find('?');
    req.path =
        linkhub::http::internal::PercentDecodePath(std::string_view(req.target).substr(0, q));
    req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  }
  linkhub::http::CheckRoute(req);
  linkhub::http::CheckQuery(req);
  if (second != std::string_view::npos) {
    linkhub::http::CheckUrl(in.substr(second + 1));
  }
  return 0;
}
