#include "api/errors.h"

#include <boost/json.hpp>
#include <optional>
#include <variant>

#include "core/json.h"
#include "core/time_format.h"
#include "http/error_status.h"

namespace linkhub::api {

namespace {

boost::json::object Body(int status, const std::string& message, Clock& clock) {
  return boost::json::object{{"statusCode", status},
                             {"message", message},
                             {"timestamp", FormatRfc3339Millis(clock.Now())}};
}

}  // namespace

http::Response ErrorResponse(int status, const std::string& message, Clock& clock) {
  return http::Response::Json(status, ToJson(Body(status, message, clock)));
}

http::Response ErrorResponse(const Error& error, Clock& clock) {
  int status = http::HttpStatusFor(error.code);
  boost::json::object body = Body(status, error.message, clock);
  if (error.provider) {
    const ProviderError& p = *error.provider;
    boost::json::object raw{{"error_type", p.error_type},
                            {"error_code", p.error_code},
                            {"error_message", p.error_message},
                            {"request_id", p.request_id}};
    boost::json::object entry = raw;
    entry["status"] = p.http_status;
    entry["raw"] = raw;
    body["provider_errors"] = boost::json::array{entry};
    body["provider_response"] = ToJson(raw);
  }
  std::optional<int64_t> retry_after;
  for (const auto& detail : error.details) {
    const std::string& key = detail.first;
    std::visit([&body, &key](const auto& v) { body[key] = v; }, detail.second);
    if (key == "retry_after_seconds" && std::holds_alternative<int64_t>(detail.second)) {
      retry_after = std::get<int64_t>(detail.second);
    }
  }
  http::Response res = http::Response::Json(status, ToJson(body));
  if (retry_after && *retry_after >= 0) {
    res.headers.Set("Retry-After", std::to_string(*retry_after));  // RFC 9110 §10.2.3
  }
  return res;
}

}  // namespace linkhub::api
