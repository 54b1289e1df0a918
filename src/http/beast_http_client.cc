#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "http/address.h"
#include "http/async_http_client.h"
#include "http/beast_parse.h"
#include "http/io_affinity.h"

namespace linkhub::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

namespace {

constexpr size_t kReadBufferBytes = 16 << 10;
constexpr size_t kBodyHeadroomBytes = 64;

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // path and query
  std::string origin;
  std::string host_header;  // host, bracketed when IPv6, with the port unless the default
};

Result<Target> ParseUrl(const std::string& url) {
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  "URL must not contain spaces or control characters"));
    }
  }
  Target t;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    t.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "URL must be http or https"));
  }
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "/" : rest.substr(end);
  path = path.substr(0, path.find('#'));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "URL must name a host, without user info"));
  }
  uint16_t port = t.tls ? 443 : 80;
  bool has_port = authority.back() != ']' && authority.find(':') != std::string_view::npos &&
                  authority.find(':') == authority.rfind(':');
  if (authority.starts_with('[')) {
    has_port = authority.find("]:") != std::string_view::npos;
  }
  if (has_port) {
    if (!SplitHostPort(std::string(authority), t.host, port)) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument, "URL has a malformed port"));
    }
  } else {
    t.host = authority;
    if (t.host.size() >= 2 && t.host.front() == '[' && t.host.back() == ']') {
      t.host = t.host.substr(1, t.host.size() - 2);
    }
  }
  t.port = std::to_string(port);
  t.path = path.starts_with('?') ? "/" + std::string(path) : std::string(path);
  t.origin = (t.tls ? "https://" : "http://") + t.host + ":" + t.port;
  t.host_header = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  if (port != (t.tls ? 443 : 80)) {
    t.host_header += ":" + t.port;
  }
  return t;
}

ErrorCode CodeFor(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return ErrorCode::kDeadlineExceeded;
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
    return ErrorCode::kResourceExhausted;
  }
  return ErrorCode::kUnavailable;
}

// One connection to an origin, plain or TLS.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

using ConnectionPtr = std::unique_ptr<Connection>;

// The parsed form of the last URL this thread sent to: callers send to one base URL over and
// over, and parsing it allocates.
Result<std::shared_ptr<const Target>> CachedTarget(const std::string& url) {
  thread_local std::string last_url;
  thread_local std::shared_ptr<const Target> last;
  if (last && url == last_url) {
    return last;
  }
  auto parsed = ParseUrl(url);
  if (!parsed) {
    return Unexpected(std::move(parsed).error());
  }
  last = std::make_shared<const Target>(std::move(*parsed));
  last_url = url;
  return last;
}

// The request line and header block, written by hand: Beast's serializer allocates per field
// and walks long buffer sequences, which showed in the fast path's profile.
Result<std::string> RequestHead(const ClientRequest& request, const Target& target, bool with_body,
                                std::string_view user_agent) {
  if (!IsWritableField(request.method, "")) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "request method is not a token"));
  }
  std::string out;
  out.reserve(256);
  out += request.method;
  out += ' ';
  out += target.path;
  out += " HTTP/1.1\r\nHost: ";
  out += target.host_header;
  out += "\r\n";
  bool has_user_agent = false;
  for (const auto& [k, v] : request.headers.fields()) {
    if (IsFramingField(k) || EqualsIgnoreCase(k, "Host")) {
      continue;  // the client writes these itself
    }
    if (!IsWritableField(k, v)) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  "request header field is not valid: " + k.substr(0, 64)));
    }
    has_user_agent = has_user_agent || EqualsIgnoreCase(k, "User-Agent");
    AppendField(out, k, v);
  }
  if (!has_user_agent) {
    AppendField(out, "User-Agent", user_agent);
  }
  if (with_body) {
    AppendField(out, "Content-Length", std::to_string(request.body.size()));
  }
  out += "\r\n";
  return out;
}

}  // namespace

struct BeastHttpClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& i, BeastClientOptions o, Clock& c)
      : ioc(i), options(std::move(o)), clock(c) {
    tls_context.set_verify_mode(ssl::verify_peer);
    tls_context.set_default_verify_paths();
    tls_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    if (!options.ca_file.empty()) {
      boost::system::error_code ec;
      tls_context.load_verify_file(options.ca_file, ec);
      if (ec) {
        spdlog::warn("cannot load CA file {}: {}", options.ca_file, ec.message());
      }
    }
  }

  asio::io_context& ioc;
  const BeastClientOptions options;
  Clock& clock;
  ssl::context tls_context{ssl::context::tls_client};
  // Idle connections by the execution context their sockets belong to and by origin: a
  // connection is only handed to an exchange running on its own context (its own thread).
  using Pool = std::map<std::string, std::vector<ConnectionPtr>, std::less<>>;
  std::mutex mu;
  std::map<const asio::execution_context*, Pool> idle;  // guarded by mu

  ConnectionPtr TakeIdle(const asio::execution_context* context, std::string_view origin) {
    std::lock_guard lock(mu);
    auto pool = idle.find(context);
    if (pool == idle.end()) {
      return nullptr;
    }
    auto it = pool->second.find(origin);
    auto now = clock.MonotonicNow();
    while (it != pool->second.end() && !it->second.empty()) {
      ConnectionPtr c = std::move(it->second.back());
      it->second.pop_back();
      if (now - c->idle_since < options.max_idle_time) {
        return c;
      }
    }
    return nullptr;
  }

  void GiveIdle(const asio::execution_context* context, const std::string& origin,
                ConnectionPtr c) {
    c->idle_since = clock.MonotonicNow();
    std::lock_guard lock(mu);
    auto& pool = idle[context];
    auto it = pool.find(origin);
    if (it == pool.end()) {
      it = pool.emplace(origin, std::vector<ConnectionPtr>()).first;
    }
    auto& list = it->second;
    if (list.size() < options.max_idle_per_origin) {
      list.push_back(std::move(c));
    }
  }

  // Time left of `budget` since `since` (the Clock's time), for a timer: timers run on real time,
  // so a deadline is handed to them as a duration.
  std::chrono::steady_clock::duration Left(std::chrono::steady_clock::time_point since,
                                           std::chrono::steady_clock::duration budget) {
    auto spent = clock.MonotonicNow() - since;
    return spent >= budget ? std::chrono::steady_clock::duration::zero() : budget - spent;
  }

  // Resolves and connects within `budget` from `since`.
  asio::awaitable<Result<ConnectionPtr>> Connect(const Target& t,
                                                 std::chrono::steady_clock::time_point since,
                                                 std::chrono::steady_clock::duration budget) {
    auto ex = co_await asio::this_coro::executor;
    auto conn = std::make_unique<Connection>();
    conn->plain.emplace(ex);
    // Beast reads as much as the buffer's free capacity, but at least 512 bytes, and an empty
    // buffer never grows: without room up front, a 4 KB answer would take nine reads.
    conn->buffer.reserve(kReadBufferBytes);
    // The deadline covers the name look-up too: a timer cancels it. Both live on the heap,
    // because the timer's handler may run after this frame is gone.
    auto resolver = std::make_shared<tcp::resolver>(ex);
    auto timer = std::make_shared<asio::steady_timer>(ex);
    timer->expires_after(Left(since, budget));
    timer->async_wait([resolver](const boost::system::error_code& ec) {
      if (!ec) {
        resolver->cancel();
      }
    });
    auto [rec, endpoints] = co_await resolver->async_resolve(t.host, t.port, kTuple);
    timer->cancel();
    if (rec == asio::error::operation_aborted) {
      co_return Unexpected(
          MakeError(ErrorCode::kDeadlineExceeded, "resolving " + t.host + " timed out"));
    }
    if (rec) {
      co_return Unexpected(
          MakeError(ErrorCode::kUnavailable, "cannot resolve " + t.host + ": " + rec.message()));
    }
    conn->plain->expires_after(Left(since, budget));
    auto [cec, ep] = co_await conn->plain->async_connect(endpoints, kTuple);
    if (cec) {
      co_return Unexpected(MakeError(CodeFor(cec), "cannot connect: " + cec.message()));
    }
    boost::system::error_code ignored;
    conn->plain->socket().set_option(tcp::no_delay(true), ignored);
    if (t.tls) {
      conn->tls.emplace(std::move(*conn->plain), tls_context);
      conn->plain.reset();
      if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), t.host.c_str())) {
        co_return Unexpected(MakeError(ErrorCode::kUnavailable, "cannot set TLS server name"));
      }
      conn->tls->set_verify_callback(ssl::host_name_verification(t.host));
      auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
      if (hec) {
        co_return Unexpected(MakeError(CodeFor(hec), "TLS handshake failed: " + hec.message()));
      }
    }
    co_return std::move(conn);
  }

  // One request on one connection. `answered`: some of the response arrived (so a failure is
  // not a stale pooled connection).
  template <class Stream>
  asio::awaitable<Result<ClientResponse>> Exchange(Stream& stream, Connection& conn,
                                                   const std::string& head, const std::string& body,
                                                   bool& answered, bool& keep_alive) {
    std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};
    auto [wec, wn] = co_await asio::async_write(stream, request, kTuple);
    if (wec) {
      co_return Unexpected(MakeError(CodeFor(wec), "sending failed: " + wec.message()));
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(64 << 10);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, conn.buffer, parser, kTuple);
    answered = hn > 0 || conn.buffer.size() > 0;
    if (!hec) {
      answered = true;
      if (auto length = parser.content_length(); length && *length <= options.max_response_bytes) {
        // A little room past the body, so that a caller wrapping the answer in an envelope
        // (the action fast path) does not copy it into a new string.
        parser.get().body().reserve(static_cast<size_t>(*length) + kBodyHeadroomBytes);
      }
      if (!internal::ParseBuffered(conn.buffer, parser, hec) && !hec) {
        auto [rec, rn] = co_await bhttp::async_read(stream, conn.buffer, parser, kTuple);
        hec = rec;
      }
    }
    if (hec) {
      co_return Unexpected(MakeError(CodeFor(hec), "reading the answer failed: " + hec.message()));
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.headers.Reserve(static_cast<size_t>(std::distance(res.begin(), res.end())));
    for (const auto& f : res) {
      out.headers.Add(std::string(f.name_string()), std::string(f.value()));
    }
    out.body = std::move(res.body());
    keep_alive = res.keep_alive();
    co_return out;
  }

  asio::awaitable<void> Send(ClientRequest request, SendDone done) {
    auto self = shared_from_this();
    auto started = clock.MonotonicNow();
    auto target = CachedTarget(request.url);
    if (!target) {
      done(Unexpected(std::move(target).error()));
      co_return;
    }
    bool with_body = request.method != "GET" && request.method != "HEAD";
    auto head = RequestHead(request, **target, with_body, options.user_agent);
    if (!head) {
      done(Unexpected(std::move(head).error()));
      co_return;
    }
    if (!with_body) {
      request.body.clear();
    }
    const asio::execution_context* context =
        &asio::query(co_await asio::this_coro::executor, asio::execution::context);
    Result<ClientResponse> result = Unexpected(MakeError(ErrorCode::kUnavailable, "not sent"));
    for (int attempt = 0; attempt < 2; ++attempt) {
      ConnectionPtr conn =
          request.fresh_connection ? nullptr : TakeIdle(context, (*target)->origin);
      bool reused = conn != nullptr;
      if (!conn) {
        auto c = co_await Connect(**target, started,
                                  std::min<std::chrono::steady_clock::duration>(
                                      request.connect_timeout, request.timeout));
        if (!c) {
          result = Unexpected(std::move(c).error());
          break;
        }
        conn = std::move(*c);
      }
      conn->tcp().expires_after(Left(started, request.timeout));
      bool answered = false;
      bool keep_alive = false;
      // An if, not ?: — GCC 12 miscompiles co_await in both arms of a conditional operator.
      if (conn->tls) {
        result = co_await Exchange(*conn->tls, *conn, *head, request.body, answered, keep_alive);
      } else {
        result = co_await Exchange(*conn->plain, *conn, *head, request.body, answered, keep_alive);
      }
      if (result) {
        if (keep_alive && !request.fresh_connection) {
          conn->tcp().expires_never();
          GiveIdle(context, (*target)->origin, std::move(conn));
        }
        break;
      }
      // A pooled connection the server had closed: send once more on a new one.
      if (!(reused && !answered && result.error().code == ErrorCode::kUnavailable)) {
        break;
      }
    }
    if (result) {
      result->elapsed =
          std::chrono::duration_cast<std::chrono::microseconds>(clock.MonotonicNow() - started);
    } else {
      spdlog::debug("http client {} {} failed: {}", request.method, UrlForLog(request.url),
                    result.error().message);
      Error e = std::move(result).error();
      e.message = "request to " + UrlForLog(request.url) + " failed: " + e.message;
      result = Unexpected(std::move(e));
    }
    done(std::move(result));
  }
};

BeastHttpClient::BeastHttpClient(asio::io_context& ioc, BeastClientOptions options, Clock& clock)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), clock)) {}

BeastHttpClient::~BeastHttpClient() = default;

void BeastHttpClient::SendAsync(ClientRequest request, SendDone done) {
  // One coroutine per exchange; a connection belongs to one exchange at a time (the pool hands
  // it over under a lock). Started from a server handler, it runs on that handler's executor
  // (its connection's I/O thread): no other thread is woken for it.
  if (const auto* ex = internal::current_handler_executor; ex != nullptr) {
    asio::co_spawn(*ex, impl_->Send(std::move(request), std::move(done)), asio::detached);
    return;
  }
  // Elsewhere, a strand of its own: a stream's timer and its I/O must not complete at once on
  // two threads.
  asio::co_spawn(asio::make_strand(impl_->ioc), impl_->Send(std::move(request), std::move(done)),
                 asio::detached);
}

bool BeastHttpClient::ProxyConfigured() {
  for (const char* name :
       {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') {
      return true;
    }
  }
  return false;
}

}  // namespace linkhub::http
