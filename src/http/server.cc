#include "http/server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/metric_families.h"
#include "core/random.h"
#include "http/io_affinity.h"
#include "http/keyed_limiter.h"
#include "http/request_reader.h"

namespace linkhub::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using tuple_awaitable_t = asio::experimental::as_tuple_t<asio::use_awaitable_t<>>;
constexpr tuple_awaitable_t kTupleAwaitable{};

namespace {

constexpr size_t kInitialReadBufferBytes = 2048;

// A connection, tracked so that Stop() can close the idle ones.
struct Connection {
  Connection(tcp::socket socket, asio::io_context& context)
      : stream(std::move(socket)), ioc(context) {}
  beast::tcp_stream stream;
  asio::io_context& ioc;  // the context (thread) the connection lives on
  std::atomic<bool> busy{false};
};

// Request ids need to be unique, not secret: a per-thread generator seeded once from the
// kernel avoids a system call per request.
std::string NewRequestId() {
  static SecureRandom seed_source;
  thread_local SeededRandom generator(seed_source.Uint64());
  return NewBase62(generator, 15);
}

// A method as a metric label: the methods routes use, and "other" for anything a client invents,
// so that no request makes a series of its own.
std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) {
      return known;
    }
  }
  return method.empty() ? "none" : "other";
}

// The path as it may appear in a log line: spaces, control characters and non-ASCII bytes (which
// a client can smuggle in with percent-encoding) become '?', so one request is one line and the
// path one key=value field of it.
std::string LogSafe(std::string_view in) {
  std::string out(in.substr(0, 512));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      c = '?';
    }
  }
  return out;
}

// 1xx, 204 and 304 answers carry neither a body nor a Content-Length (RFC 9110 §8.6).
bool HasBody(int status) { return status >= 200 && status != 204 && status != 304; }

// Fields the server itself writes; a handler's own copy is ignored.
bool ServerOwnedField(std::string_view name) {
  return IsFramingField(name) || EqualsIgnoreCase(name, "X-Request-Id");
}

// The status line and header block of a response, written by hand rather than through Beast's
// serializer: on the action fast path the serializer's buffer sequences and per-field
// allocations cost more than the rest of the answer.
std::string ResponseHead(const Response& res, std::string_view server_header,
                         std::string_view request_id, bool keep_alive) {
  std::string out;
  out.reserve(256);
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(res.status)));
  out += "\r\n";
  bool has_server = false;
  for (const auto& [k, v] : res.headers.fields()) {
    if (ServerOwnedField(k)) {
      continue;
    }
    if (!IsWritableField(k, v)) {
      spdlog::error("response header field {} dropped: not a valid field", LogSafe(k));
      continue;
    }
    has_server = has_server || EqualsIgnoreCase(k, "Server");
    AppendField(out, k, v);
  }
  if (!has_server) {
    AppendField(out, "Server", server_header);
  }
  AppendField(out, "X-Request-Id", request_id);
  if (!keep_alive) {
    AppendField(out, "Connection", "close");
  }
  if (HasBody(res.status)) {
    AppendField(out, "Content-Length", std::to_string(res.body.size()));
  }
  out += "\r\n";
  return out;
}

// Reads and drops what the peer still sends, for at most two seconds and `max_bytes`, before a
// close: closing with unread data resets the connection, which can destroy an answer the peer has
// not read yet.
asio::awaitable<void> Drain(beast::tcp_stream& stream, size_t max_bytes) {
  std::array<char, 16384> scratch;  // NOLINT(cppcoreguidelines-pro-type-member-init): a sink
  size_t drained = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (drained < max_bytes) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTupleAwaitable);
    if (rec) {
      break;
    }
    drained += n;
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, const Router& r, ErrorResponder e, Clock& c)
      : options(std::move(o)),
        router(r),
        error_responder(std::move(e)),
        clock(c),
        iocs(MakeContexts(options.io_threads)),
        control(iocs.front()->get_executor()),
        acceptor(control),
        signals(control),
        grace_timer(control),
        limiter(options.upstream_per_key, options.upstream_queue_per_key),
        families(metrics::Linkhub()),
        handler_queued(families.http_queued.With({"handler"})),
        upstream_queued(families.http_queued.With({"upstream"})) {
    if (options.handler_threads > 0) {
      pool = std::make_unique<asio::thread_pool>(options.handler_threads);
    }
    if (options.upstream_threads > 0) {
      upstream_pool = std::make_unique<asio::thread_pool>(options.upstream_threads);
    }
    for (size_t i = 1; i < iocs.size(); ++i) {
      keep_running.emplace_back(iocs[i]->get_executor());
    }
  }

  // One io_context per I/O thread, each run by that thread alone: a connection stays on the
  // thread that accepted it, so a request, its outbound call and its reply never wake another
  // thread, and nothing needs a strand. (Threads sharing one io_context woke each other for
  // every completion.)
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < std::max(1, n); ++i) {
      out.push_back(std::make_unique<asio::io_context>(1));
    }
    return out;
  }

  ServerOptions options;
  const Router& router;
  ErrorResponder error_responder;
  Clock& clock;
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  // Accepting, stopping and signals run on the first context, so closing the acceptor never
  // races an accept in flight.
  asio::io_context::executor_type control;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer grace_timer;
  std::unique_ptr<asio::thread_pool> pool;
  std::unique_ptr<asio::thread_pool> upstream_pool;  // null: Lane::kUpstream uses `pool`
  KeyedLimiter limiter;
  const metrics::Families& families;
  metrics::Gauge& handler_queued;
  metrics::Gauge& upstream_queued;
  uint16_t bound_port = 0;
  // Keeps the other contexts' run() going while they have no connection; released on stop.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  size_t next_context = 0;  // round-robin for new connections; used on `control` only
  std::atomic<bool> stopping{false};
  std::atomic<size_t> open_connections{0};  // those Serve() runs, for max_connections
  std::mutex mu;
  std::list<std::weak_ptr<Connection>> connections;

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(std::shared_ptr<Connection> conn, std::string remote);
  asio::awaitable<void> RefuseConnection(tcp::socket socket);
  Response NoRoute(Request& req, const Router::Match& match);
  asio::thread_pool* PoolFor(Lane lane) {
    return lane == Lane::kUpstream && upstream_pool ? upstream_pool.get() : pool.get();
  }
  asio::awaitable<Response> RunOnPool(Request& req, const Handler& handler, Lane lane);
  struct UpstreamWaiter;
  static std::function<void()> WakeFor(asio::io_context& ioc,
                                       std::optional<UpstreamWaiter>* waiter);
  asio::awaitable<bool> WaitForSlot(const std::string& key, uint64_t ticket, asio::io_context& ioc,
                                    std::optional<UpstreamWaiter>& waiter);
  asio::awaitable<std::optional<Response>> TryFast(Request& req, const FastHandler& fast);
  Response CallHandler(Request& req, const Handler& handler);
  void BeginStop();
};

Server::Server(ServerOptions options, const Router& router, ErrorResponder error_responder,
               Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(error_responder), clock)) {
}

Server::~Server() {
  if (impl_->pool) {
    impl_->pool->join();
  }
  if (impl_->upstream_pool) {
    impl_->upstream_pool->join();
  }
}

Status Server::Start() {
  // spdlog builds its registry on first use. Building it here, before any I/O or handler thread
  // exists, orders that construction before every line those threads log; inside the
  // uninstrumented libspdlog.so the static's guard is invisible to ThreadSanitizer, which would
  // otherwise take a first log line racing a level check for a data race.
  (void)spdlog::default_logger_raw();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument,
                  "listen host must be an IP address, got '" + impl_->options.host + "'"));
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) {
    acc.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acc.bind(endpoint, ec);
  }
  if (!ec) {
    acc.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Unexpected(MakeError(ErrorCode::kUnavailable,
                                "cannot listen on " + impl_->options.host + ":" +
                                    std::to_string(impl_->options.port) + ": " + ec.message()));
  }
  impl_->bound_port = acc.local_endpoint().port();
  asio::co_spawn(impl_->control, impl_->Accept(), asio::detached);
  return OkStatus();
}

uint16_t Server::port() const { return impl_->bound_port; }

std::string Server::url() const {
  std::string host = impl_->options.host;
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return "http://" + host + ":" + std::to_string(impl_->bound_port);
}

void Server::Run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->iocs.size(); ++i) {
    threads.emplace_back([ioc = impl_->iocs[i].get()] { ioc->run(); });
  }
  impl_->iocs.front()->run();
  // The first context ran out of work: every connection is closed (or the grace period ran out
  // and every context was stopped).
  impl_->keep_running.clear();
  for (auto& t : threads) {
    t.join();
  }
}

boost::asio::io_context& Server::io_context() { return *impl_->iocs.front(); }

void Server::RunBlocking(std::function<void()> work) {
  // Work that escapes with an exception is a bug; on a pool thread it would end the process.
  auto guarded = [work = std::move(work)] {
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("blocking work threw: {}", e.what());
    } catch (...) {
      spdlog::error("blocking work threw a non-exception");
    }
  };
  asio::thread_pool* pool = impl_->PoolFor(Lane::kUpstream);
  if (pool == nullptr) {
    guarded();
    return;
  }
  asio::post(*pool, std::move(guarded));
}

void Server::Stop() {
  asio::post(impl_->control, [impl = impl_.get()] { impl->BeginStop(); });
}

void Server::StopOnSignals() {
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait([impl = impl_.get()](const boost::system::error_code& ec, int sig) {
    if (!ec) {
      spdlog::info("signal {} received, shutting down", sig);
      impl->BeginStop();
    }
  });
}

void Server::Impl::BeginStop() {
  if (stopping.exchange(true)) {
    return;
  }
  boost::system::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mu);
    for (auto& w : connections) {
      if (auto c = w.lock()) {
        live.push_back(std::move(c));
      }
    }
  }
  for (auto& c : live) {
    // Idle connections are closed now; busy ones finish their response with
    // "Connection: close" and then close themselves.
    asio::post(c->stream.get_executor(), [c] {
      if (!c->busy.load()) {
        boost::system::error_code ignored;
        c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        c->stream.socket().close(ignored);
      }
    });
  }
  grace_timer.expires_after(options.shutdown_grace);
  grace_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      spdlog::warn("shutdown grace period over; closing remaining connections");
      for (auto& ioc : iocs) {
        ioc->stop();
      }
    }
  });
  // When every connection is gone, cancel the grace timer so that run() returns at once.
  asio::co_spawn(
      control,
      [this]() -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor);
        while (true) {
          {
            std::lock_guard lock(mu);
            std::erase_if(connections, [](auto& w) { return w.expired(); });
            if (connections.empty()) {
              break;
            }
          }
          t.expires_after(std::chrono::milliseconds(20));
          co_await t.async_wait(asio::use_awaitable);
        }
        grace_timer.cancel();
        keep_running.clear();
        if (pool) {
          pool->stop();
        }
        if (upstream_pool) {
          upstream_pool->stop();
        }
      },
      asio::detached);
}

asio::awaitable<void> Server::Impl::Accept() {
  while (!stopping.load()) {
    auto& context = *iocs[next_context];
    next_context = (next_context + 1) % iocs.size();
    auto [ec, socket] = co_await acceptor.async_accept(context, kTupleAwaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping.load()) {
        break;
      }
      // Out of descriptors and the like: back off instead of spinning on the same error.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(control, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTupleAwaitable);
      continue;
    }
    if (options.max_connections > 0 && open_connections.load() >= options.max_connections) {
      asio::co_spawn(context, RefuseConnection(std::move(socket)), asio::detached);
      continue;
    }
    open_connections.fetch_add(1);
    boost::system::error_code rec;
    auto ep = socket.remote_endpoint(rec);
    std::string remote = rec ? "" : ep.address().to_string();
    auto conn = std::make_shared<Connection>(std::move(socket), context);
    {
      std::lock_guard lock(mu);
      std::erase_if(connections, [](auto& w) { return w.expired(); });
      connections.push_back(conn);
    }
    auto executor = conn->stream.get_executor();
    asio::co_spawn(executor, Serve(std::move(conn), std::move(remote)), asio::detached);
  }
}

// A connection past max_connections: the error responder's 503, then a short, bounded drain of
// what the client sends (closing at once could reset the connection before the answer is read),
// then close. It holds its socket for at most three seconds.
asio::awaitable<void> Server::Impl::RefuseConnection(tcp::socket socket) {
  families.http_refused_connections.Add();
  Request req;
  Response res = error_responder(req, 503, "too many connections; retry shortly");
  res.headers.Set("Retry-After", "1");
  std::string head = ResponseHead(res, options.server_header, NewRequestId(), false);
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(1));
  std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(res.body)};
  auto [wec, wn] = co_await asio::async_write(stream, out, kTupleAwaitable);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (!wec) {
    co_await Drain(stream, 64u << 10);
  }
  stream.socket().close(ignored);
}

Response Server::Impl::CallHandler(Request& req, const Handler& handler) {
  // Handlers report failures through their Response; an escaping exception is a bug, answered
  // as a 500 rather than crashing the server.
  try {
    return handler(req);
  } catch (const std::exception& e) {
    spdlog::error("handler for {} {} threw: {}", req.method, LogSafe(req.path), e.what());
  } catch (...) {
    spdlog::error("handler for {} {} threw a non-exception", req.method, LogSafe(req.path));
  }
  return error_responder(req, 500, "internal error");
}

// The wait of a request queued for an upstream slot. It lives in the request's coroutine frame
// and is built only when the request must queue: whoever leaves posts the wake to the
// connection's own thread, which is running that coroutine at the time, so the wake cannot run
// before the waiter exists and the coroutine waits on it.
struct Server::Impl::UpstreamWaiter {
  explicit UpstreamWaiter(asio::io_context& ioc) : timer(ioc) {}
  asio::steady_timer timer;
  bool woken = false;
};

std::function<void()> Server::Impl::WakeFor(asio::io_context& ioc,
                                            std::optional<UpstreamWaiter>* waiter) {
  // Two pointers: std::function keeps it without allocating.
  return [ioc = &ioc, waiter] {
    asio::post(*ioc, [waiter] {
      (*waiter)->woken = true;
      (*waiter)->timer.cancel();
    });
  };
}

asio::awaitable<bool> Server::Impl::WaitForSlot(const std::string& key, uint64_t ticket,
                                                asio::io_context& ioc,
                                                std::optional<UpstreamWaiter>& waiter) {
  waiter.emplace(ioc);
  waiter->timer.expires_after(options.upstream_queue_timeout);
  co_await waiter->timer.async_wait(kTupleAwaitable);
  if (waiter->woken) {
    co_return true;
  }
  if (limiter.Cancel(key, ticket)) {
    co_return false;
  }
  // The slot was handed over as the wait ran out, and its wake is on its way: wait for it, so
  // that it finds the waiter still here.
  waiter->timer.expires_at(asio::steady_timer::time_point::max());
  while (!waiter->woken) {
    co_await waiter->timer.async_wait(kTupleAwaitable);
  }
  co_return true;
}

// RunOnPool and TryFast are plain functions returning the operation's awaitable rather than
// coroutines: one coroutine frame fewer to allocate per request.
asio::awaitable<Response> Server::Impl::RunOnPool(Request& req, const Handler& handler, Lane lane) {
  // Runs the handler on the pool and resumes this coroutine on its own executor afterwards.
  return asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(
      [this, &req, &handler, lane](auto completion) {
        // The work guard keeps the I/O side alive while the handler runs on the pool.
        auto guard = asio::make_work_guard(asio::get_associated_executor(completion));
        metrics::Gauge& queued =
            lane == Lane::kUpstream && upstream_pool ? upstream_queued : handler_queued;
        queued.Add(1);
        asio::post(*PoolFor(lane), [this, &req, &handler, &queued, guard = std::move(guard),
                                    completion = std::move(completion)]() mutable {
          queued.Add(-1);
          Response r;
          try {
            r = CallHandler(req, handler);
          } catch (...) {
            r.status = 500;  // the error responder itself failed (e.g. out of memory)
          }
          auto ex = guard.get_executor();
          asio::dispatch(ex, [completion = std::move(completion), r = std::move(r)]() mutable {
            std::move(completion)(std::move(r));
          });
        });
      },
      asio::use_awaitable);
}

Response Server::Impl::NoRoute(Request& req, const Router::Match& match) {
  if (match.path_matched) {
    Response r =
        error_responder(req, 405, "method " + req.method + " is not allowed on " + req.path);
    std::string allow;
    for (auto& m : match.allowed_methods) {
      allow += (allow.empty() ? "" : ", ") + m;
    }
    r.headers.Set("Allow", allow);
    return r;
  }
  return error_responder(req, 404, "no route for " + req.method + " " + req.path);
}

asio::awaitable<std::optional<Response>> Server::Impl::TryFast(Request& req,
                                                               const FastHandler& fast) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(std::optional<Response>)>(
      [&req, &fast](auto completion) {
        // The reply may come from any thread, once; it resumes this coroutine on its own
        // executor. A work guard keeps the I/O side alive until then.
        using Completion = decltype(completion);
        struct State {
          explicit State(Completion c)
              : completion(std::move(c)),
                guard(asio::make_work_guard(asio::get_associated_executor(completion))) {}
          Completion completion;
          asio::executor_work_guard<asio::associated_executor_t<Completion>> guard;
          std::atomic<bool> done{false};
        };
        auto state = std::make_shared<State>(std::move(completion));
        auto finish = [state](std::optional<Response> r) {
          if (state->done.exchange(true)) {
            return;  // a second reply is a handler bug; the first one stands
          }
          auto ex = state->guard.get_executor();
          asio::dispatch(ex, [state, r = std::move(r)]() mutable {
            std::move(state->completion)(std::move(r));
            state->guard.reset();
          });
        };
        bool taken = false;
        try {
          asio::any_io_executor ex = state->guard.get_executor();
          internal::HandlerExecutorScope scope(ex);
          taken = fast(req, [finish](Response r) { finish(std::move(r)); });
        } catch (const std::exception& e) {
          spdlog::error("fast handler for {} {} threw: {}", req.method, LogSafe(req.path),
                        e.what());
          taken = false;
        }
        if (!taken) {
          finish(std::nullopt);
        }
      },
      asio::use_awaitable);
}

asio::awaitable<void> Server::Impl::Serve(std::shared_ptr<Connection> conn, std::string remote) {
  // Beast reads as much as the buffer's free capacity (at least 512 bytes), and a buffer that is
  // emptied after every message never grows: give it room for a whole typical request up front.
  beast::flat_buffer buffer;
  buffer.reserve(kInitialReadBufferBytes);
  auto& stream = conn->stream;
  bool linger = false;
  struct Open {
    metrics::Gauge& gauge;
    std::atomic<size_t>& count;
    Open(metrics::Gauge& g, std::atomic<size_t>& c) : gauge(g), count(c) { gauge.Add(1); }
    ~Open() {
      gauge.Add(-1);
      count.fetch_sub(1);  // counted up by Accept()
    }
    Open(const Open&) = delete;
    Open& operator=(const Open&) = delete;
  } open(families.http_open_connections, open_connections);
  while (!stopping.load()) {
    internal::RequestReader reader(options.max_header_bytes, options.max_body_bytes);
    if (buffer.size() == 0) {
      // Keep-alive: wait up to the idle timeout for the next request's first bytes (the read
      // the header read would make anyway), then give its header the header timeout.
      stream.expires_after(options.idle_timeout);
      auto [fec, fn] = co_await stream.async_read_some(
          buffer.prepare(std::max<size_t>(512, buffer.capacity() - buffer.size())),
          kTupleAwaitable);
      if (fec) {
        break;  // the peer went away, or idled out: nothing to answer
      }
      buffer.commit(fn);
    }
    stream.expires_after(options.header_timeout);
    auto [hec, hn] =
        co_await bhttp::async_read_header(stream, buffer, reader.parser(), kTupleAwaitable);
    auto started = clock.MonotonicNow();
    auto step = reader.OnHeader(hec, buffer);
    if (step == internal::RequestReader::Step::kGone) {
      break;  // the peer went away, or idled out: nothing to answer
    }
    conn->busy = true;
    if (step == internal::RequestReader::Step::kReadBody) {
      stream.expires_after(options.read_timeout);
      auto [rec, bn] = co_await bhttp::async_read(stream, buffer, reader.parser(), kTupleAwaitable);
      if (reader.OnBody(rec) == internal::RequestReader::Step::kGone) {
        break;
      }
    }
    int early_status = reader.refusal_status();
    std::string early_message = reader.refusal_message();

    bool keep_alive = false;
    Request req = reader.TakeRequest(keep_alive);
    req.remote_address = remote;
    auto rid = req.headers.Get("X-Request-Id");
    req.request_id = rid && internal::ValidRequestId(*rid) ? std::string(*rid) : NewRequestId();

    Response res;
    std::string_view route = "unmatched";  // the metric label: a pattern, never the path itself
    if (early_status != 0) {
      res = error_responder(req, early_status, early_message);
      keep_alive = false;  // the rest of the stream cannot be trusted
      linger = true;
    } else {
      auto match = router.Find(req);
      if (match.handler != nullptr) {
        route = match.pattern;
      }
      // Admission to an upstream route: `slot_key` is set while this request holds a slot.
      std::string slot_key;
      std::optional<UpstreamWaiter> waiter;
      bool refused = false;
      if (match.handler != nullptr && match.lane == Lane::kUpstream && options.upstream_key) {
        slot_key = options.upstream_key(req);
        if (!slot_key.empty()) {
          auto& ioc = conn->ioc;
          KeyedLimiter::Entry entry = limiter.Enter(slot_key, WakeFor(ioc, &waiter));
          if (entry.outcome == KeyedLimiter::Outcome::kQueued) {
            families.upstream_waiting.Add(1);
            refused = !co_await WaitForSlot(slot_key, entry.ticket, ioc, waiter);
            families.upstream_waiting.Add(-1);
          } else {
            refused = entry.outcome == KeyedLimiter::Outcome::kFull;
          }
          if (refused) {
            slot_key.clear();
          } else {
            req.upstream_key = slot_key;
          }
        }
      }
      // Every admission ends with one Leave(), whatever happens below.
      struct SlotRelease {
        KeyedLimiter& limiter;
        const std::string& key;
        ~SlotRelease() {
          if (!key.empty()) {
            limiter.Leave(key);
          }
        }
      } release{limiter, slot_key};
      // Dispatch, inline in this coroutine (a coroutine of its own would cost a frame per
      // request).
      if (match.handler == nullptr) {
        res = NoRoute(req, match);
      } else if (refused) {
        res = error_responder(req, 503, options.upstream_busy_message);
        res.headers.Set("Retry-After", std::to_string(options.upstream_retry_after_seconds));
      } else {
        std::optional<Response> fast;
        if (match.fast != nullptr) {
          fast = co_await TryFast(req, *match.fast);
        }
        if (fast) {
          res = std::move(*fast);
        } else if (PoolFor(match.lane) != nullptr) {
          res = co_await RunOnPool(req, *match.handler, match.lane);
        } else {
          res = CallHandler(req, *match.handler);
        }
      }
    }

    if (res.delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(res.delay);
      co_await t.async_wait(kTupleAwaitable);
    }
    auto elapsed = std::chrono::duration<double, std::milli>(clock.MonotonicNow() - started);
    if (res.drop_connection) {
      spdlog::info("http method={} path={} status=dropped ms={:.1f} rid={}", req.method,
                   LogSafe(req.path), elapsed.count(), req.request_id);
      break;
    }
    if (stopping.load()) {
      keep_alive = false;
    }

    bool head = req.method == "HEAD";
    size_t bytes = res.body.size();
    std::string head_block = ResponseHead(res, options.server_header, req.request_id, keep_alive);
    bool send_body = !head && HasBody(res.status);
    std::array<asio::const_buffer, 2> out{
        asio::buffer(head_block), send_body ? asio::buffer(res.body) : asio::const_buffer()};
    stream.expires_after(options.read_timeout);
    auto [wec, wn] = co_await asio::async_write(stream, out, kTupleAwaitable);
    spdlog::info("http method={} path={} status={} bytes={} ms={:.1f} rid={}",
                 req.method.empty() ? "-" : req.method, req.path.empty() ? "-" : LogSafe(req.path),
                 res.status, bytes, elapsed.count(), req.request_id);
    std::string_view method = MethodLabel(req.method);
    families.http_requests.With({route, method, std::to_string(res.status)}).Add();
    families.http_duration.With({route, method}).Observe(elapsed.count() / 1000);
    conn->busy = false;
    if (wec || !keep_alive) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (linger) {
    // After refusing a request early (body too large, bad header) the client may still be
    // sending. Closing at once would reset the connection and could destroy our answer before
    // the client read it; drain what it sends for a bounded time and size first (RFC 9112 §9.6).
    co_await Drain(stream, 16u << 20);
  }
  stream.socket().close(ignored);
}

}  // namespace linkhub::http
