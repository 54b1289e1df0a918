#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "core/result.h"
#include "http/message.h"
#include "http/router.h"

namespace boost::asio {
class io_context;
}

namespace linkhub::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port; see Server::port()
  // Each I/O thread runs its own io_context; new connections go to them in turn and stay there.
  int io_threads = 1;
  // Handlers run on a separate pool of this many threads so that blocking work (databases,
  // outbound HTTP) never stalls the I/O threads. 0 runs handlers inline on the I/O thread, for
  // handlers that never block.
  int handler_threads = 0;
  // Routes on Lane::kUpstream (those that may wait on an upstream) run on a pool of their own,
  // so that however long the upstream takes, every other route keeps its threads. 0: they
  // share the handler pool.
  int upstream_threads = 0;
  // Admission to Lane::kUpstream routes, per key (`upstream_key` of the request: a tenant, say;
  // "" is not limited): at most `upstream_per_key` at once (0: no limit), then up to
  // `upstream_queue_per_key` waiting in order, for at most `upstream_queue_timeout`. Past the
  // queue, or after the wait, the answer is the error responder's 503 with `upstream_busy_message`
  // and `Retry-After: upstream_retry_after_seconds`. The key function runs on an I/O thread and
  // must not block. A fast handler on such a route is admitted the same way.
  std::function<std::string(const Request&)> upstream_key;
  size_t upstream_per_key = 0;
  size_t upstream_queue_per_key = 0;
  std::chrono::milliseconds upstream_queue_timeout{30'000};
  int upstream_retry_after_seconds = 1;
  std::string upstream_busy_message =
      "too many requests are waiting on the upstream; retry shortly";
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  // Connections open at once (0: no cap). Past it a new connection is answered the error
  // responder's 503 with `Retry-After: 1` and closed, so that a flood of connections cannot
  // take the descriptors and memory the open ones need.
  size_t max_connections = 0;
  // Time a request's header may take once its first byte arrived: a client sending it a byte at
  // a time is cut off.
  std::chrono::milliseconds header_timeout{10'000};
  // Time allowed to read a request's body once its header arrived, and to write an answer.
  std::chrono::milliseconds read_timeout{30'000};
  // Time a keep-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // On Stop(), in-flight requests get this long to finish before connections are cut.
  std::chrono::milliseconds shutdown_grace{10'000};
  std::string server_header = "linkhub";
};

// Builds the body for errors the server answers itself (unknown route 404, 405, 413, 431,
// malformed request 400, handler failure 500), so each product keeps its own error shape.
using ErrorResponder =
    std::function<Response(const Request&, int status, const std::string& message)>;

// An HTTP/1.1 server on Boost.Beast/Asio: keep-alive, size limits, read and idle timeouts, a log
// line per request (method, path without query, status, bytes, latency, request id — never
// headers, query strings or bodies, which may carry secrets), graceful shutdown.
//
// Thread-safety: Start() and Run() once, from one thread; Stop() from any thread, any number of
// times. The router must outlive the server and not change after Start().
class Server {
 public:
  // Latencies in the request log are read from `clock`, which must outlive the server.
  Server(ServerOptions options, const Router& router, ErrorResponder error_responder, Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. kUnavailable if the address cannot be bound, kInvalidArgument if the host
  // is not an IP address.
  Status Start();
  // The bound port. REQUIRES: Start() succeeded.
  uint16_t port() const;
  // "http://HOST:PORT". REQUIRES: Start() succeeded.
  std::string url() const;
  // Serves until Stop(); returns once every connection is closed (or the grace period ran out).
  // Uses the calling thread plus io_threads - 1 more.
  void Run();
  // Stops accepting, closes idle connections, lets in-flight requests finish within the grace
  // period, then returns from Run(). Safe from any thread and from a signal-handling context
  // that is an Asio handler.
  void Stop();
  // Makes SIGINT and SIGTERM call Stop(). Call before Run().
  void StopOnSignals();
  // The first I/O thread's context, for asynchronous clients used outside handlers. (A client
  // call started from a handler runs on that handler's own context; see io_affinity.h.)
  boost::asio::io_context& io_context();
  // Runs `work` on the upstream pool (or the handler pool when there is none), for a fast
  // handler that finds it must block after all (on the calling thread when there is no pool). An
  // exception escaping `work` is logged and swallowed, as a handler's is: it never ends the
  // process.
  void RunBlocking(std::function<void()> work);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace linkhub::http
