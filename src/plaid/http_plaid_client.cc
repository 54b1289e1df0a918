#include "plaid/http_plaid_client.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "core/json.h"

namespace linkhub::plaid {

Result<std::string> BaseUrlForEnvironment(std::string_view env) {
  if (env == "sandbox") {
    return std::string("https://sandbox.plaid.com");
  }
  if (env == "production") {
    return std::string("https://production.plaid.com");
  }
  return Unexpected(
      MakeError(ErrorCode::kInvalidArgument,
                "Plaid environment must be sandbox or production, got '" + std::string(env) + "'"));
}

std::string RedactTokens(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t dash = std::string_view::npos;
    for (std::string_view prefix : {"access-", "public-", "link-"}) {
      if (text.substr(i).starts_with(prefix)) {
        dash = i + prefix.size();
        break;
      }
    }
    // "<kind>-<environment>-<id>": keep "<kind>-<environment>-", drop the id.
    size_t env_end = dash == std::string_view::npos ? dash : text.find('-', dash);
    bool token = env_end != std::string_view::npos && env_end > dash && env_end - dash <= 12;
    for (size_t k = dash; token && k < env_end; ++k) {
      token = std::islower(static_cast<unsigned char>(text[k])) != 0;
    }
    if (!token) {
      out.push_back(text[i++]);
      continue;
    }
    out.append(text.substr(i, env_end + 1 - i));
    out.append("[redacted]");
    i = env_end + 1;
    while (i < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '-')) {
      ++i;
    }
  }
  return out;
}

Error ErrorForPlaid(int http_status, const boost::json::object& body) {
  ProviderError p;
  p.http_status = http_status;
  p.error_type = std::string(GetString(body, "error_type").value_or(""));
  p.error_code = std::string(GetString(body, "error_code").value_or(""));
  // Plaid's messages may name the tokens of the request ("... for the following access tokens:
  // access-sandbox-…"); they go to logs, API errors and browsers, so the tokens go first.
  p.error_message = RedactTokens(GetString(body, "error_message").value_or(""));
  p.request_id = std::string(GetString(body, "request_id").value_or(""));
  ErrorCode code = ErrorCode::kUpstream;
  const std::string& t = p.error_type;
  if (p.error_code == "INVALID_API_KEYS" || p.error_code == "UNAUTHORIZED_ENVIRONMENT") {
    code = ErrorCode::kInternal;
  } else if (t == "INVALID_REQUEST" || t == "INVALID_INPUT") {
    code = ErrorCode::kInvalidArgument;
  } else if (t == "ITEM_ERROR" || t == "TRANSACTIONS_ERROR" || t == "OAUTH_ERROR") {
    code = ErrorCode::kFailedPrecondition;
  } else if (t == "RATE_LIMIT_EXCEEDED" || http_status == 429) {
    code = ErrorCode::kResourceExhausted;
  } else if (t == "INSTITUTION_ERROR" || p.error_code == "PLANNED_MAINTENANCE") {
    code = ErrorCode::kUnavailable;
  }
  std::string message = "Plaid answered " + std::to_string(http_status);
  if (!p.error_code.empty()) {
    message += " " + p.error_type + "/" + p.error_code;
  }
  if (!p.error_message.empty()) {
    message += ": " + p.error_message;
  }
  if (code == ErrorCode::kInternal) {
    message = "Plaid refused linkhub's own credentials (" + message +
              "): the operator must check --plaid-client-id, --plaid-secret and --plaid-env";
  }
  return Error{code, std::move(message), std::move(p), {}};
}

HttpPlaidClient::HttpPlaidClient(http::HttpClient& http, Clock& clock, PlaidConfig config)
    : http_(http), clock_(clock), config_(std::move(config)) {}

Result<boost::json::object> HttpPlaidClient::Call(std::string_view endpoint,
                                                  const boost::json::object& body) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = config_.base_url + std::string(endpoint);
  req.body = ToJson(body);
  req.timeout = config_.timeout;
  // A public token is single-use: a silent re-send on a stale pooled connection would make the
  // second attempt fail with INVALID_PUBLIC_TOKEN and hide the Item the first one created.
  req.fresh_connection = endpoint == "/item/public_token/exchange";
  req.headers.Set("Content-Type", "application/json");
  req.headers.Set("PLAID-CLIENT-ID", config_.client_id);
  req.headers.Set("PLAID-SECRET", config_.secret);
  req.headers.Set("Plaid-Version", "2020-09-14");
  auto started = clock_.MonotonicNow();
  auto res = http_.Send(req);
  double ms = std::chrono::duration<double, std::milli>(clock_.MonotonicNow() - started).count();
  if (!res) {
    spdlog::warn("plaid {} failed after {:.0f}ms: {}", endpoint, ms, res.error().message);
    Error e = std::move(res).error();
    e.message = "Plaid " + std::string(endpoint) + " could not be reached: " + e.message;
    return Unexpected(std::move(e));
  }
  auto parsed = ParseJson(res->body);
  const boost::json::object* obj = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
  std::string_view request_id = obj ? GetString(*obj, "request_id").value_or("") : "";
  std::string_view item_id = obj ? GetString(*obj, "item_id").value_or("") : "";
  if (obj && item_id.empty()) {
    if (const auto* item = GetObject(*obj, "item")) {
      item_id = GetString(*item, "item_id").value_or("");
    }
  }
  std::string_view error_code = obj ? GetString(*obj, "error_code").value_or("") : "";
  spdlog::info("plaid {} {} error_code={} request_id={} item_id={} {:.0f}ms", endpoint, res->status,
               error_code.empty() ? "-" : error_code, request_id.empty() ? "-" : request_id,
               item_id.empty() ? "-" : item_id, ms);
  if (obj == nullptr) {
    return Unexpected(MakeError(ErrorCode::kUpstream,
                                "Plaid " + std::string(endpoint) + " answered " +
                                    std::to_string(res->status) + " without a JSON object"));
  }
  if (res->status < 200 || res->status >= 300) {
    return Unexpected(ErrorForPlaid(res->status, *obj));
  }
  return std::move(parsed->get_object());
}

}  // namespace linkhub::plaid
