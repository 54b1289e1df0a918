#pragma once

#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"

namespace linkhub::api {

// StackOne's error shape: {statusCode, message, timestamp}, plus `provider_errors` with Plaid's
// error_type, error_code, error_message and request_id where Plaid said no, and
// `provider_response` (the Hub component shows it under the message). The status comes from
// the one ErrorCode table (http::HttpStatusFor). The timestamp is the clock's. An error with the
// detail {"retry_after_seconds": N} also gets a Retry-After: N header.
http::Response ErrorResponse(const Error& error, Clock& clock);
http::Response ErrorResponse(int status, const std::string& message, Clock& clock);

}  // namespace linkhub::api
