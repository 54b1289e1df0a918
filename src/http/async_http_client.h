#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "http/http_client.h"

namespace boost::asio {
class io_context;
}

namespace linkhub::http {

using SendDone = std::function<void(Result<ClientResponse>)>;

// Outbound HTTP without a blocked thread: SendAsync() returns at once and `done` runs exactly
// once, later, on one of the io_context's threads. Same errors and same promises as HttpClient
// (TLS always verified, no header values or bodies in logs).
class AsyncHttpClient {
 public:
  virtual ~AsyncHttpClient() = default;
  virtual void SendAsync(ClientRequest request, SendDone done) = 0;
};

struct BeastClientOptions {
  std::string ca_file;  // extra CA bundle (PEM) to trust; empty uses the system store
  size_t max_response_bytes = 16 << 20;
  size_t max_idle_per_origin = 64;
  // A kept-alive connection unused for this long is closed rather than reused: servers close
  // idle connections on their own schedule, and a request on a half-closed one would fail.
  std::chrono::milliseconds max_idle_time{30'000};
  std::string user_agent = "linkhub";
};

// AsyncHttpClient on Boost.Beast over the given io_context: HTTP/1.1 with a keep-alive pool per
// origin, TLS (OpenSSL, peer and host name verified, SNI). A request sent on a pooled connection
// that the server closed before answering is sent once more on a new connection, as libcurl
// does — unless the request asks for a fresh connection. Proxies are not supported: with
// http_proxy/https_proxy set, use CurlHttpClient. Latencies and the age of idle connections are
// read from `clock`; timeouts run on the timers' real time. Thread-safe.
class BeastHttpClient final : public AsyncHttpClient {
 public:
  BeastHttpClient(boost::asio::io_context& ioc, BeastClientOptions options, Clock& clock);
  ~BeastHttpClient() override;
  void SendAsync(ClientRequest request, SendDone done) override;

  // Whether a proxy is configured in the environment (then this client must not be used).
  static bool ProxyConfigured();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace linkhub::http
