#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "http/async_http_client.h"
#include "http/http_client.h"
#include "plaid/plaid_client.h"

namespace linkhub::plaid {

// PlaidClient over an HttpClient. Logs one line per call: endpoint, HTTP status, error_code,
// request_id, item_id (when Plaid returned one) and latency; never a body or a header.
// Blocking (see HttpClient): call it from a worker thread. Thread-safe.
class HttpPlaidClient final : public PlaidClient {
 public:
  HttpPlaidClient(http::HttpClient& http, Clock& clock, PlaidConfig config);
  Result<boost::json::object> Call(std::string_view endpoint,
                                   const boost::json::object& body) override;

 private:
  http::HttpClient& http_;
  Clock& clock_;
  const PlaidConfig config_;
};

// A call's outcome without a parsed body: Plaid's JSON object as sent on success (checked to be
// one object, not parsed), or the Error that PlaidClient::Call would have returned.
struct RawAnswer {
  Result<std::string> body = Unexpected(MakeError(ErrorCode::kInternal, "no answer"));
  Attempt attempt;
};
using RawDone = std::function<void(RawAnswer)>;

// Plaid calls for the hub's hot path, on an AsyncHttpClient: no thread waits for Plaid, and a
// successful answer is handed on as bytes rather than parsed and written again. Logs exactly as
// HttpPlaidClient does. Thread-safe.
class AsyncPlaidClient {
 public:
  AsyncPlaidClient(http::AsyncHttpClient& http, PlaidConfig config);
  // REQUIRES: `body` is a JSON object without client_id or secret. `done` runs once, on one of
  // the HTTP client's I/O threads.
  void CallRaw(std::string_view endpoint, std::string body, RawDone done);

 private:
  http::AsyncHttpClient& http_;
  const PlaidConfig config_;
};

}  // namespace linkhub::plaid
