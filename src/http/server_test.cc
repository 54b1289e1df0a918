// The server and the curl client against each other over loopback on port 0.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "http/curl_http_client.h"

namespace linkhub::http {
namespace {

using namespace std::chrono_literals;

Response PlainError(const Request&, int status, const std::string& message) {
  return Response::Json(status, "{\"error\":\"" + message + "\"}");
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(const ServerOptions& options = {}) {
    router_.Add("GET", "/hello/{name}", [](Request& r) {
      return Response::Text(
          200, "hello " + std::string(r.PathParam("name")) + " " + r.QueryParam("q").value_or("-"));
    });
    router_.Add("POST", "/echo", [](Request& r) { return Response::Text(200, r.body); });
    router_.Add("GET", "/slow", [](Request&) {
      Response r = Response::Text(200, "late");
      r.delay = 300ms;
      return r;
    });
    router_.Add("GET", "/drop", [](Request&) {
      Response r;
      r.drop_connection = true;
      return r;
    });
    router_.Add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/rid", [](Request& r) { return Response::Text(200, r.request_id); });
    server_ = std::make_unique<Server>(options, router_, PlainError, clock_);
    ASSERT_TRUE(server_->Start());
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }
  Result<ClientResponse> Call(std::string method, const std::string& path, std::string body = "",
                              std::chrono::milliseconds timeout = 5s) {
    ClientRequest req;
    req.method = std::move(method);
    req.url = server_->url() + path;
    req.body = std::move(body);
    req.timeout = timeout;
    return client_.Send(req);
  }

  Router router_;
  SystemClock clock_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  CurlHttpClient client_;
};

TEST_F(ServerTest, RoutesWithPathAndQueryParameters) {
  StartServer();
  EXPECT_NE(server_->port(), 0);
  auto r = Call("GET", "/hello/world?q=a%20b");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world a b");
  EXPECT_TRUE(r->headers.Get("X-Request-Id").has_value());
}

TEST_F(ServerTest, AnswersUnknownRoutesAndMethodsThroughTheErrorResponder) {
  StartServer();
  auto r = Call("GET", "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "{\"error\":\"no route for GET /nope\"}");
  r = Call("DELETE", "/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(*r->headers.Get("Allow"), "POST");
}

TEST_F(ServerTest, EnforcesBodyLimit) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  auto ok = Call("POST", "/echo", std::string(1024, 'a'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body.size(), 1024u);
  auto big = Call("POST", "/echo", std::string(1025, 'a'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST_F(ServerTest, EnforcesHeaderLimit) {
  ServerOptions options;
  options.max_header_bytes = 2048;
  StartServer(options);
  ClientRequest req;
  req.method = "GET";
  req.url = server_->url() + "/hello/x";
  req.headers.Add("X-Big", std::string(4096, 'b'));
  auto r = client_.Send(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST_F(ServerTest, HandlerExceptionBecomes500AndServerStaysUp) {
  StartServer();
  auto r = Call("GET", "/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  auto again = Call("GET", "/hello/x");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(ServerTest, ClientTimesOutOnSlowResponseAndSeesDroppedConnections) {
  StartServer();
  auto slow = Call("GET", "/slow", "", 100ms);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kDeadlineExceeded);
  auto dropped = Call("GET", "/drop");
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, ErrorCode::kUnavailable);
}

TEST_F(ServerTest, KeepsValidRequestIdAndReplacesInvalidOnes) {
  StartServer();
  ClientRequest req;
  req.method = "GET";
  req.url = server_->url() + "/rid";
  req.headers.Add("X-Request-Id", "abc-123");
  auto r = client_.Send(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "abc-123");
  req.headers.Set("X-Request-Id", "bad id with spaces");
  r = client_.Send(req);
  ASSERT_TRUE(r);
  EXPECT_NE(r->body, "bad id with spaces");
  EXPECT_EQ(r->body.size(), 15u);
}

TEST_F(ServerTest, HandlerPoolServesConcurrentRequests) {
  ServerOptions options;
  options.io_threads = 2;
  options.handler_threads = 4;
  StartServer(options);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 20; ++j) {
        std::string body = std::to_string(i) + ":" + std::to_string(j);
        auto r = Call("POST", "/echo", body);
        if (r && r->status == 200 && r->body == body) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 160);
}

// Sends `request` on a new connection and reads until the server closes it. With
// `end_sending`, the sending side is shut after the request: a server that kept the connection
// open would answer whatever followed the first request, and it would show.
std::string RawExchange(uint16_t port, const std::string& request, bool end_sending = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return "";
  }
  if (end_sending) {
    ::shutdown(fd, SHUT_WR);
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string SendAllAndRead(uint16_t port, const std::string& request) {
  return RawExchange(port, request, /*end_sending=*/true);
}

// A connected loopback socket (-1 on failure).
int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Writes `request` and reads until `until` appears or the peer closes; what was read.
std::string WriteAndRead(int fd, const std::string& request, std::string_view until) {
  if (!request.empty() &&
      ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "";
  }
  std::string out;
  char buf[4096];
  while (out.find(until) == std::string::npos) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST_F(ServerTest, ConnectionsPastTheCapAre503WithRetryAfterAndTheCapFreesOnClose) {
  ServerOptions options;
  options.max_connections = 1;
  StartServer(options);
  int first = Connect(server_->port());
  ASSERT_GE(first, 0);
  const std::string get = "GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_NE(WriteAndRead(first, get, "hello a -").find("200 OK"), std::string::npos);
  // The first is open (kept alive): the next one is refused, whatever it asks.
  std::string refused = SendAllAndRead(server_->port(), get);
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
  ::close(first);
  // Once the server has seen the first one go, a new connection is served.
  std::string served;
  for (int attempt = 0; attempt < 200 && served.find("200 OK") == std::string::npos; ++attempt) {
    served = SendAllAndRead(server_->port(), get);
  }
  EXPECT_NE(served.find("200 OK"), std::string::npos) << served;
}

TEST_F(ServerTest, AHeaderSentSlowlyIsCutOffWhileAnIdleConnectionWaits) {
  ServerOptions options;
  options.header_timeout = 200ms;
  options.idle_timeout = 60s;
  StartServer(options);
  int idle = Connect(server_->port());
  ASSERT_GE(idle, 0);
  int slow = Connect(server_->port());
  ASSERT_GE(slow, 0);
  // Half a header, then nothing: the server closes the connection without an answer.
  std::string got = WriteAndRead(slow, "GET /hello/a HTTP/1.1\r\nHost:", "\r\n\r\n");
  EXPECT_EQ(got, "");
  ::close(slow);
  // The idle connection, open longer than the header timeout, sent nothing and is still served.
  std::string answer = WriteAndRead(idle, "GET /hello/b HTTP/1.1\r\nHost: x\r\n\r\n", "hello b -");
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  ::close(idle);
}

TEST_F(ServerTest, ConnectionsAreSpreadOverTheIoThreadsAndStopEndsThemAll) {
  std::mutex mu;
  std::set<std::thread::id> seen;
  router_.Add("GET", "/where", [&](Request&) {
    std::lock_guard lock(mu);
    seen.insert(std::this_thread::get_id());
    return Response::Text(200, "here");
  });
  ServerOptions options;
  options.io_threads = 3;
  options.handler_threads = 0;  // handlers run on the connection's own I/O thread
  StartServer(options);
  // Six connections, each kept open afterwards (a client keeps its connection alive).
  std::vector<std::unique_ptr<CurlHttpClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<CurlHttpClient>());
    ClientRequest req;
    req.method = "GET";
    req.url = server_->url() + "/where";
    auto r = clients.back()->Send(req);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "here");
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 3u);  // round-robin over the three threads
  // TearDown's Stop() must end Run() with idle connections open on every thread.
}

TEST_F(ServerTest, TheServerOwnsFramingAndDropsFieldsThatCouldSplitTheAnswer) {
  router_.Add("GET", "/fields", [](Request&) {
    Response r = Response::Text(200, "body");
    r.headers.Add("X-Fine", "yes");
    r.headers.Add("X-Evil", "a\r\nSet-Cookie: stolen=1");
    r.headers.Add("Bad Name", "x");
    r.headers.Add("Content-Length", "999");
    r.headers.Add("Connection", "keep-alive");
    r.headers.Add("X-Request-Id", "forged");
    return r;
  });
  router_.Add("GET", "/none", [](Request&) { return Response::Text(204, ""); });
  router_.Add("GET", "/sized", [](Request&) { return Response::Text(200, "twelve bytes"); });
  StartServer();
  std::string out = RawExchange(server_->port(),
                                "GET /fields HTTP/1.1\r\nHost: x\r\nX-Request-Id: rid-1\r\n"
                                "Connection: close\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_NE(out.find("\r\nX-Fine: yes\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("stolen"), std::string::npos) << out;
  EXPECT_EQ(out.find("Bad Name"), std::string::npos) << out;
  EXPECT_EQ(out.find("999"), std::string::npos) << out;
  EXPECT_EQ(out.find("forged"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nX-Request-Id: rid-1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nServer: linkhub\r\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\nContent-Length: 4\r\n\r\nbody")) << out;

  // HEAD is answered by the GET route: the length of the body GET would send, and no body.
  std::string head =
      RawExchange(server_->port(), "HEAD /sized HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_TRUE(head.ends_with("\r\nContent-Length: 12\r\n\r\n")) << head;
  std::string none =
      RawExchange(server_->port(), "GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(none.starts_with("HTTP/1.1 204 No Content\r\n")) << none;
  EXPECT_EQ(none.find("Content-Length"), std::string::npos) << none;
  EXPECT_TRUE(none.ends_with("\r\n\r\n")) << none;
}

size_t CountAnswers(const std::string& out) {
  size_t count = 0;
  for (size_t at = out.find("HTTP/1.1 "); at != std::string::npos;
       at = out.find("HTTP/1.1 ", at + 1)) {
    ++count;
  }
  return count;
}

TEST_F(ServerTest, AmbiguousFramingIs400AndTheConnectionCloses) {
  StartServer();
  // RFC 9112 §6.3: a Transfer-Encoding whose last coding is not chunked cannot frame a request,
  // and one with Content-Length beside it is how requests are smuggled past a proxy.
  const std::string smuggled = "GET /hello/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::string te : {"chunked,chunked", "chunked, identity", "xchunked", "identity", "gzip",
                         "chunked", "gzip, chunked"}) {
    SCOPED_TRACE(te);
    std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ";
    request.append(te).append("\r\nContent-Length: 10\r\n\r\n5\r\nhello\r\n").append(smuggled);
    std::string out = SendAllAndRead(server_->port(), request);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 ")) << out;
    EXPECT_EQ(CountAnswers(out), 1u) << out;
    EXPECT_EQ(out.find("smuggled"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
  }
  for (std::string te : {"gzip", "chunked, gzip", "identity"}) {
    SCOPED_TRACE(te + " without Content-Length");
    std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ";
    request.append(te).append("\r\n\r\n5\r\nhello\r\n0\r\n\r\n").append(smuggled);
    std::string out = SendAllAndRead(server_->port(), request);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 ")) << out;
    EXPECT_EQ(CountAnswers(out), 1u) << out;
  }
  // Plain chunked alone is the one Transfer-Encoding taken, and the connection stays usable.
  std::string ok = SendAllAndRead(server_->port(),
                                  "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                  "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
                                      smuggled);
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200 OK\r\n")) << ok;
  EXPECT_EQ(CountAnswers(ok), 2u) << ok;
  EXPECT_NE(ok.find("hello smuggled"), std::string::npos) << ok;
}

TEST_F(ServerTest, MalformedChunkedBodyIs400ThenClose) {
  StartServer();
  const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::string body : {
           "zz\r\nhello\r\n0\r\n\r\n",                 // not hex
           "-5\r\nhello\r\n0\r\n\r\n",                 // negative
           "10000000000000000\r\nhello\r\n0\r\n\r\n",  // overflows 64 bits
           "3\r\nhello\r\n0\r\n\r\n",                  // size too small
           "5\r\nhello0\r\n\r\n",                      // no CRLF after the data
           "5;=\r\nhello\r\n0\r\n\r\n",                // an extension without a name
           "5\r\nhello\r\n0\r\nbad trailer\r\n\r\n",   // a trailer that is no field
       }) {
    SCOPED_TRACE(body);
    std::string out = SendAllAndRead(server_->port(), head + body);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 ")) << out;
    EXPECT_EQ(CountAnswers(out), 1u) << out;
    EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
  }
}

TEST_F(ServerTest, HeadIsAnsweredByTheGetRouteAndListedAsAllowed) {
  StartServer();
  std::string head =
      SendAllAndRead(server_->port(), "HEAD /hello/world?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_TRUE(head.ends_with("\r\nContent-Length: 13\r\n\r\n")) << head;  // "hello world 1"
  std::string post = SendAllAndRead(server_->port(), "HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405 ")) << post;
  auto wrong = Call("DELETE", "/hello/world");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers.Get("Allow").value_or(""), "GET, HEAD");
}

TEST_F(ServerTest, MalformedRequestGets400) {
  StartServer();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string junk = "GARBAGE\r\n\r\n";
  ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(std::string(buf, n).starts_with("HTTP/1.1 400"));
}

TEST(ServerStartTest, RefusesANonIpHostAndABusyPort) {
  Router router;
  SystemClock clock;
  ServerOptions options;
  options.host = "localhost.invalid";
  Server bad(options, router, PlainError, clock);
  auto s = bad.Start();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);

  Server first(ServerOptions{}, router, PlainError, clock);
  ASSERT_TRUE(first.Start());
  ServerOptions same;
  same.port = first.port();
  Server second(same, router, PlainError, clock);
  auto busy = second.Start();
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
}

TEST(ServerStopTest, StopReturnsFromRunWithIdleKeepAliveConnections) {
  Router router;
  router.Add("GET", "/", [](Request&) { return Response::Text(200, "ok"); });
  SystemClock clock;
  Server server(ServerOptions{}, router, PlainError, clock);
  ASSERT_TRUE(server.Start());
  std::thread t([&] { server.Run(); });
  CurlHttpClient client;  // keeps its connection open after the call
  ClientRequest req;
  req.method = "GET";
  req.url = server.url() + "/";
  auto r = client.Send(req);
  ASSERT_TRUE(r);
  server.Stop();
  t.join();  // would hang if the idle connection kept Run() alive for the idle timeout
  SUCCEED();
}

}  // namespace
}  // namespace linkhub::http

namespace linkhub::http {
namespace {

TEST(ServerStopTest, InFlightRequestFinishesAndNewConnectionsAreRefused) {
  Router router;
  std::promise<void> entered;
  router.Add("GET", "/slow", [&entered](Request&) {
    entered.set_value();
    Response r = Response::Text(200, "finished");
    r.delay = std::chrono::milliseconds(300);  // the server holds the answer this long
    return r;
  });
  SystemClock clock;
  Server server(ServerOptions{}, router, PlainError, clock);
  ASSERT_TRUE(server.Start());
  std::string url = server.url();
  std::thread t([&] { server.Run(); });
  Result<ClientResponse> slow = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread client([&] {
    CurlHttpClient c;
    ClientRequest req;
    req.method = "GET";
    req.url = url + "/slow";
    slow = c.Send(req);
  });
  // The request is in flight once its handler runs.
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  server.Stop();
  client.join();
  t.join();
  ASSERT_TRUE(slow) << slow.error().message;
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(slow->body, "finished");
  EXPECT_EQ(*slow->headers.Get("Connection"), "close");
  CurlHttpClient after;
  ClientRequest req;
  req.method = "GET";
  req.url = url + "/slow";
  auto refused = after.Send(req);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace linkhub::http

namespace linkhub::http {
namespace {

TEST(CurlReuseTest, FreshConnectionIsNeverSilentlyResent) {
  Router router;
  std::atomic<int> calls{0};
  router.Add("POST", "/once", [&calls](Request&) {
    Response r;
    r.drop_connection = ++calls <= 1;  // the first call dies without an answer
    if (!r.drop_connection) {
      r = Response::Text(200, "ok");
    }
    return r;
  });
  SystemClock clock;
  Server server(ServerOptions{}, router, PlainError, clock);
  ASSERT_TRUE(server.Start());
  std::thread t([&] { server.Run(); });
  CurlHttpClient client;
  ClientRequest warm;
  warm.method = "GET";
  warm.url = server.url() + "/missing";  // opens a pooled connection
  ASSERT_TRUE(client.Send(warm));
  ClientRequest req;
  req.url = server.url() + "/once";
  req.fresh_connection = true;
  auto r = client.Send(req);
  EXPECT_FALSE(r);  // the drop is reported, not retried behind the caller's back
  EXPECT_EQ(calls.load(), 1);
  server.Stop();
  t.join();
}

}  // namespace
}  // namespace linkhub::http

namespace linkhub::http {
namespace {

// Upstream handlers that wait until the test lets them go, counting how many have started.
class Gate {
 public:
  void Enter() {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void WaitForEntered(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  int entered() {
    std::lock_guard lock(mu_);
    return entered_;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

class LaneTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    router_.Add(
        "GET", "/upstream",
        [this](Request&) {
          gate_.Enter();
          return Response::Text(200, "upstream");
        },
        Lane::kUpstream);
    router_.Add("GET", "/local", [](Request&) { return Response::Text(200, "local"); });
    options.upstream_key = [](const Request& r) {
      return std::string(r.headers.Get("X-Tenant").value_or(""));
    };
    server_ = std::make_unique<Server>(options, router_, PlainError, clock_);
    ASSERT_TRUE(server_->Start());
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    gate_.Open();
    for (auto& c : calls_) {
      c.wait();
    }
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }
  std::shared_future<Result<ClientResponse>> Async(const std::string& path,
                                                   const std::string& tenant) {
    auto f = std::async(std::launch::async, [this, path, tenant] {
               CurlHttpClient client;
               ClientRequest req;
               req.method = "GET";
               req.url = server_->url() + path;
               if (!tenant.empty()) {
                 req.headers.Add("X-Tenant", tenant);
               }
               req.timeout = std::chrono::seconds(120);
               return client.Send(req);
             }).share();
    calls_.push_back(f);
    return f;
  }

  Router router_;
  SystemClock clock_;
  Gate gate_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::vector<std::shared_future<Result<ClientResponse>>> calls_;
};

TEST_F(LaneTest, AStalledUpstreamHoldsNeitherLocalRoutesNorOtherTenants) {
  ServerOptions o;
  o.handler_threads = 1;
  o.upstream_threads = 6;
  o.upstream_per_key = 2;
  o.upstream_queue_per_key = 1;
  o.upstream_queue_timeout = std::chrono::minutes(2);
  o.upstream_busy_message = "busy";
  o.upstream_retry_after_seconds = 3;
  Start(o);
  // Tenant a takes its two slots; tenant b still gets two of its own.
  auto a1 = Async("/upstream", "a");
  auto a2 = Async("/upstream", "a");
  auto b1 = Async("/upstream", "b");
  auto b2 = Async("/upstream", "b");
  gate_.WaitForEntered(4);

  // Local routes answer while every upstream call waits.
  for (int i = 0; i < 5; ++i) {
    auto local = Async("/local", "a").get();
    ASSERT_TRUE(local) << local.error().message;
    EXPECT_EQ(local->body, "local");
  }
  EXPECT_EQ(gate_.entered(), 4);

  // Two more for a: one waits in a's queue, the other finds it full and is told so at once.
  auto a3 = Async("/upstream", "a");
  auto a4 = Async("/upstream", "a");
  std::shared_future<Result<ClientResponse>> refused;
  std::shared_future<Result<ClientResponse>> queued;
  while (!refused.valid()) {
    if (a3.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready) {
      refused = a3;
      queued = a4;
    } else if (a4.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready) {
      refused = a4;
      queued = a3;
    }
  }
  ASSERT_TRUE(refused.get());
  EXPECT_EQ(refused.get()->status, 503);
  EXPECT_EQ(refused.get()->headers.Get("Retry-After").value_or(""), "3");
  EXPECT_EQ(refused.get()->body, R"({"error":"busy"})");
  EXPECT_EQ(gate_.entered(), 4);  // the queued one has not started

  // A request without a key is not limited by any tenant's slots.
  auto anonymous = Async("/upstream", "");
  gate_.WaitForEntered(5);

  gate_.Open();
  for (auto* f : {&a1, &a2, &b1, &b2, &queued, &anonymous}) {
    auto r = f->get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "upstream");
  }
  EXPECT_EQ(gate_.entered(), 6);
}

TEST_F(LaneTest, AWaitThatRunsOutIsA503) {
  ServerOptions o;
  o.handler_threads = 1;
  o.upstream_threads = 2;
  o.upstream_per_key = 1;
  o.upstream_queue_per_key = 4;
  o.upstream_queue_timeout = std::chrono::milliseconds(50);
  Start(o);
  auto first = Async("/upstream", "a");
  gate_.WaitForEntered(1);
  auto waited = Async("/upstream", "a").get();
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->status, 503);
  EXPECT_EQ(waited->headers.Get("Retry-After").value_or(""), "1");
  gate_.Open();
  ASSERT_TRUE(first.get());
  EXPECT_EQ(first.get()->status, 200);
  // The slot is free again.
  auto again = Async("/upstream", "a").get();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

}  // namespace
}  // namespace linkhub::http
