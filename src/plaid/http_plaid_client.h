#pragma once

#include "core/clock.h"
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

}  // namespace linkhub::plaid
