#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace linkhub::plaid {

// Where Plaid is and who we are to it.
struct PlaidConfig {
  std::string base_url;  // https://sandbox.plaid.com, https://production.plaid.com, or an emulator
  std::string client_id;
  std::string secret;
  std::chrono::milliseconds timeout{30'000};  // /accounts/balance/get can take 30 s
};

// The base URL of a Plaid environment name ("sandbox", "production"); kInvalidArgument otherwise.
Result<std::string> BaseUrlForEnvironment(std::string_view env);

// One request that reached (or tried to reach) Plaid, as the per-account log shows it.
struct Attempt {
  int http_status = 0;  // 0: no answer
  std::string error_code;
  std::string request_id;
  std::chrono::microseconds latency{0};
};
using AttemptObserver = std::function<void(const Attempt&)>;
// Asked before a retry is sent; false ends the call with the last answer (e.g. a per-Item budget
// that a retry would overspend). An empty gate lets every retry go.
using RetryGate = std::function<bool()>;

// The Attempt a finished call describes (status 200 for a success, Plaid's details otherwise).
Attempt AttemptOf(const Result<boost::json::object>& result, std::chrono::microseconds latency);

// A typed gateway to Plaid's API: one POST per call, credentials in headers, Plaid-Version
// 2020-09-14. A Plaid error comes back as an Error whose `provider` carries error_type,
// error_code, error_message and request_id, with the code chosen by ErrorForPlaid().
// Implementations are thread-safe and never log or return an access token, public token or
// secret.
class PlaidClient {
 public:
  virtual ~PlaidClient() = default;
  // Calls `endpoint` (e.g. "/accounts/get") with `body` and returns Plaid's JSON answer.
  // REQUIRES: body holds no client_id or secret (they travel in headers).
  virtual Result<boost::json::object> Call(std::string_view endpoint,
                                           const boost::json::object& body) = 0;
  // Call() that reports every request it makes to Plaid (retries included) to `observer`, and
  // asks `may_retry` before each retry. The default makes one Call() (no retries) and reports
  // it as AttemptOf() its result.
  virtual Result<boost::json::object> ObservedCall(std::string_view endpoint,
                                                   const boost::json::object& body,
                                                   const AttemptObserver& observer,
                                                   const RetryGate& may_retry);
};

// Maps a Plaid error to linkhub's vocabulary:
//   INVALID_REQUEST, INVALID_INPUT (but INVALID_API_KEYS) -> kInvalidArgument
//   INVALID_API_KEYS, UNAUTHORIZED_ENVIRONMENT           -> kInternal (our configuration is wrong)
//   ITEM_ERROR, TRANSACTIONS_ERROR, OAUTH_ERROR          -> kFailedPrecondition
//   RATE_LIMIT_EXCEEDED                                  -> kResourceExhausted
//   INSTITUTION_ERROR, API_ERROR/PLANNED_MAINTENANCE     -> kUnavailable
//   other API_ERROR and anything else                    -> kUpstream
// Plaid's error_message is passed through RedactTokens.
Error ErrorForPlaid(int http_status, const boost::json::object& body);

// `text` with the id part of every Plaid token ("access-sandbox-<id>", public-, link-) replaced by
// "[redacted]".
std::string RedactTokens(std::string_view text);

}  // namespace linkhub::plaid
