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

// What one call came to. On success `body` is Plaid's JSON object exactly as Plaid sent it
// (checked to be one object, not parsed or rewritten), so a caller can pass it on byte for byte;
// on failure it is the Error (see ErrorForPlaid, and PlaidClient for what no answer looks like).
// `attempt` describes the last request made.
struct RawAnswer {
  Result<std::string> body = Unexpected(MakeError(ErrorCode::kInternal, "no answer"));
  Attempt attempt;
};

// A typed gateway to Plaid's API: one POST per request, credentials in headers, Plaid-Version
// 2020-09-14. A Plaid error comes back as an Error whose `provider` carries error_type,
// error_code, error_message and request_id, with the code chosen by ErrorForPlaid(). No answer
// at all is kUnavailable (connection failed), kDeadlineExceeded (timeout) or kResourceExhausted
// (answer too large), with a message that names the endpoint but neither Plaid's address nor the
// transport's own words, so every transport fails alike. Implementations are thread-safe and
// never log or return an access token, public token or secret.
class PlaidClient {
 public:
  virtual ~PlaidClient() = default;
  // Calls `endpoint` (e.g. "/accounts/get") with `body_json`, and reports every request it makes
  // to Plaid (retries included) to `observer`, asking `may_retry` before each retry. Either may
  // be empty. REQUIRES: body_json is a JSON object without client_id or secret (they travel in
  // headers).
  virtual RawAnswer Send(std::string_view endpoint, std::string body_json,
                         const AttemptObserver& observer, const RetryGate& may_retry) = 0;

  // Send() with `body` serialised and Plaid's answer parsed: for callers that read the answer.
  Result<boost::json::object> Call(std::string_view endpoint, const boost::json::object& body);
};

// The attempt a failed call describes: Plaid's status, error_code and request_id when Plaid
// answered, status 0 otherwise.
Attempt AttemptOfError(const Error& error, std::chrono::microseconds latency);

// Whether `endpoint` changes nothing at Plaid, so that sending it twice does no harm: the one list
// both the transports (which send anything else on a connection of its own, never again on a new
// one) and the retry policy (which retries nothing else) follow.
bool IsSafeToRepeat(std::string_view endpoint);

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
