#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "http/async_http_client.h"
#include "http/http_client.h"
#include "plaid/plaid_client.h"

namespace linkhub::plaid {

// PlaidClient over a blocking HttpClient: one request per Send() (retries belong to
// RetryingPlaidClient). Logs one line per request: endpoint, HTTP status, error_code,
// request_id, item_id (when Plaid returned one) and latency; never a body or a header. Blocking
// (see HttpClient): call it from a worker thread. Thread-safe.
class HttpPlaidClient final : public PlaidClient {
 public:
  HttpPlaidClient(http::HttpClient& http, Clock& clock, PlaidConfig config);
  RawAnswer Send(std::string_view endpoint, std::string body_json, const AttemptObserver& observer,
                 const RetryGate& may_retry) override;

 private:
  http::HttpClient& http_;
  Clock& clock_;
  const PlaidConfig config_;
};

using RawDone = std::function<void(RawAnswer)>;

// The same request on an AsyncHttpClient, for the hub's I/O threads: no thread waits for Plaid.
// Answers, errors and log lines are exactly HttpPlaidClient's (both read Plaid's answer with
// InterpretAnswer), so a caller may use either transport for the same call. Thread-safe.
class AsyncPlaidClient {
 public:
  AsyncPlaidClient(http::AsyncHttpClient& http, Clock& clock, PlaidConfig config);
  // REQUIRES: `body_json` is a JSON object without client_id or secret. `done` runs once, on one
  // of the HTTP client's I/O threads.
  void Send(std::string_view endpoint, std::string body_json, RawDone done);

 private:
  http::AsyncHttpClient& http_;
  Clock& clock_;
  const PlaidConfig config_;
};

// What an HTTP exchange with Plaid came to (see RawAnswer), with its log line written: the one
// reading of Plaid's answers, shared by both transports.
RawAnswer InterpretAnswer(std::string_view endpoint, Result<http::ClientResponse> response,
                          std::chrono::microseconds latency);

// The counts a page of an offset-paged answer holds: the length of the top-level array
// `items_key` and the top-level integer `total_key` (0 when absent). nullopt when `json` is not
// one JSON object. Reads the text without building a DOM.
struct PageFacts {
  int64_t items = 0;
  int64_t total = 0;
};
std::optional<PageFacts> ScanPage(std::string_view json, std::string_view items_key,
                                  std::string_view total_key);

}  // namespace linkhub::plaid
