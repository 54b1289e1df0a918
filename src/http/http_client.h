#pragma once

#include <chrono>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace linkhub::http {

struct ClientRequest {
  std::string method = "POST";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};  // the whole exchange
  // Use a new connection. A request on a pooled connection that the server closes before
  // answering is sent once more on a new one (libcurl does this); a request on a fresh
  // connection never is, so set this for one that must not reach the server twice (the Plaid
  // client does for every endpoint that is not plaid::IsSafeToRepeat).
  bool fresh_connection = false;
  // Connect only to public addresses (http::IsPublicAddress), checked on the address actually
  // connected to, after DNS, so a name that resolves to a private address is refused too
  // (kPermissionDenied). For URLs a customer chooses. A configured proxy is connected to as is.
  // A pooled connection is reused as it was opened: send such requests on a client of their own.
  bool public_addresses_only = false;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::chrono::microseconds elapsed{0};
};

// Outbound HTTP. Send() blocks the calling thread until the exchange ends, so it must never be
// called on a server I/O thread: call it from a handler pool thread or a worker.
//
// Errors: kInvalidArgument (bad URL or scheme), kUnavailable (DNS, connect, TLS failure, reset),
// kDeadlineExceeded (timeout), kResourceExhausted (response larger than the client's limit).
// A non-2xx answer is not an error: it is returned with its status.
//
// Implementations must be thread-safe, and must never log header values or bodies (they carry
// Plaid secrets and access tokens).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<ClientResponse> Send(const ClientRequest& request) = 0;
};

}  // namespace linkhub::http
