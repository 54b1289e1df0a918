#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace linkhub::emulator {

// An error in Plaid's envelope, with the HTTP status Plaid answers it with.
struct PlaidError {
  int status = 400;
  std::string type;
  std::string code;
  std::string message;
  std::optional<std::string> display_message;
  std::optional<std::string> error_code_reason;
};

// The error Plaid gives for `code` (type, status, message and display message from the
// catalogue). An unknown code becomes an ITEM_ERROR with status 400. `message`, when non-empty,
// replaces the catalogue's developer message.
PlaidError PlaidErrorFor(std::string_view code, std::string message = "");

// True if `code` is in the catalogue.
bool IsKnownPlaidErrorCode(std::string_view code);

// The rate-limit error Plaid gives for `endpoint`, e.g. ACCOUNTS_LIMIT for /accounts/get.
PlaidError RateLimitErrorFor(std::string_view endpoint);

// The full error object as Plaid returns it from the API (with request_id).
boost::json::object ToJson(const PlaidError& error, std::string_view request_id);
// The error object as embedded in a webhook: with `status`, without request_id.
boost::json::object ToWebhookJson(const PlaidError& error);
// An HTTP response carrying the error.
http::Response ToResponse(const PlaidError& error, std::string_view request_id);

}  // namespace linkhub::emulator
