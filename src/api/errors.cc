#include "api/errors.h"

#include <boost/json.hpp>

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
  for (const auto& detail : error.details) {
    const std::string& key = detail.first;
    std::visit([&body, &key](const auto& v) { body[key] = v; }, detail.second);
  }
  return http::Response::Json(status, ToJson(body));
}

}  // namespace linkhub::api
