// The asynchronous client against the server over loopback on port 0, and the server's fast
// (I/O-thread) handlers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "http/async_http_client.h"
#include "http/curl_http_client.h"
#include "http/server.h"

namespace linkhub::http {
namespace {

using namespace std::chrono_literals;

Response PlainError(const Request&, int status, const std::string& message) {
  return Response::Json(status, "{\"error\":\"" + message + "\"}");
}

class BeastHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/echo", [](Request& r) {
      Response res = Response::Text(200, r.body);
      res.headers.Set("X-Seen-Content-Type",
                      std::string(r.headers.Get("Content-Type").value_or("")));
      return res;
    });
    router_.Add("GET", "/slow", [](Request&) {
      Response r = Response::Text(200, "late");
      r.delay = 1s;
      return r;
    });
    router_.Add("GET", "/big",
                [](Request&) { return Response::Text(200, std::string(4096, 'x')); });
    router_.Add("GET", "/count",
                [this](Request&) { return Response::Text(200, std::to_string(++served_)); });
    ServerOptions options;
    options.handler_threads = 2;
    server_ = std::make_unique<Server>(options, router_, PlainError, clock_);
    ASSERT_TRUE(server_->Start());
    server_thread_ = std::thread([this] { server_->Run(); });
    client_thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    server_->Stop();
    server_thread_.join();
    client_.reset();
    guard_.reset();
    client_thread_.join();
  }

  Result<ClientResponse> Send(ClientRequest req) {
    std::promise<Result<ClientResponse>> p;
    auto f = p.get_future();
    client_->SendAsync(std::move(req),
                       [&p](Result<ClientResponse> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  ClientRequest Get(const std::string& path) {
    ClientRequest req;
    req.method = "GET";
    req.url = server_->url() + path;
    req.timeout = 5s;
    return req;
  }

  SystemClock clock_;
  Router router_;
  std::atomic<int> served_{0};
  std::unique_ptr<Server> server_;
  std::thread server_thread_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(ioc_);
  std::thread client_thread_;
  std::unique_ptr<BeastHttpClient> client_ =
      std::make_unique<BeastHttpClient>(ioc_, BeastClientOptions{}, clock_);
};

TEST_F(BeastHttpClientTest, PostsBodyAndHeadersAndReadsTheAnswer) {
  ClientRequest req;
  req.url = server_->url() + "/echo";
  req.body = R"({"a":1})";
  req.headers.Set("Content-Type", "application/json");
  auto r = Send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":1})");
  EXPECT_EQ(r->headers.Get("X-Seen-Content-Type").value_or(""), "application/json");
  EXPECT_GT(r->elapsed.count(), 0);
}

TEST_F(BeastHttpClientTest, SequentialRequestsAndFreshConnectionsAnswer) {
  auto a = Send(Get("/count"));
  auto b = Send(Get("/count"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, "1");
  EXPECT_EQ(b->body, "2");
  // Sequential requests go over the pooled connection; one that asks for its own still works.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Send(Get("/count")));
  }
  ClientRequest fresh = Get("/count");
  fresh.fresh_connection = true;
  auto c = Send(fresh);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->body, "23");
}

TEST_F(BeastHttpClientTest, ResendsOnceWhenThePooledConnectionWasClosed) {
  ASSERT_TRUE(Send(Get("/count")));
  // The server closes every idle connection when it restarts; the pooled one is now dead.
  server_->Stop();
  server_thread_.join();
  ServerOptions options;
  options.port = server_->port();
  auto url = server_->url();
  server_ = std::make_unique<Server>(options, router_, PlainError, clock_);
  ASSERT_TRUE(server_->Start());
  server_thread_ = std::thread([this] { server_->Run(); });
  ClientRequest req;
  req.method = "GET";
  req.url = url + "/count";
  auto r = Send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "2");
}

TEST_F(BeastHttpClientTest, TimesOutAsDeadlineExceeded) {
  ClientRequest req = Get("/slow");
  req.timeout = 200ms;
  auto r = Send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded) << r.error().message;
}

TEST_F(BeastHttpClientTest, RefusesAnswersLargerThanTheLimit) {
  BeastClientOptions options;
  options.max_response_bytes = 1000;
  client_ = std::make_unique<BeastHttpClient>(ioc_, options, clock_);
  auto r = Send(Get("/big"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().message;
}

TEST_F(BeastHttpClientTest, BadUrlsAndRefusedConnections) {
  ClientRequest req;
  req.url = "file:///etc/passwd";
  auto r = Send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);

  req.url = "http://user:hunter2@127.0.0.1:1/x";
  r = Send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;

  req.url = "http://127.0.0.1:1/hooks/hunter2?secret=hunter2";  // nothing listens on port 1
  r = Send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("http://127.0.0.1:1"), std::string::npos) << r.error().message;
}

TEST_F(BeastHttpClientTest, RefusesFieldsAndUrlsThatWouldSplitTheRequest) {
  // Nothing is sent: the server would count a request that reached it.
  ClientRequest evil = Get("/count");
  evil.headers.Add("X-Note", "a\r\nX-Injected: 1");
  auto r = Send(evil);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ClientRequest bad_name = Get("/count");
  bad_name.headers.Add("Bad Name", "x");
  EXPECT_FALSE(Send(bad_name));
  ClientRequest bad_url = Get("/count HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /count");
  r = Send(bad_url);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(served_.load(), 0);
  // The client writes Host, Content-Length and Connection itself.
  ClientRequest framed;
  framed.url = server_->url() + "/echo";
  framed.body = "four";
  framed.headers.Add("Content-Length", "999");
  framed.headers.Add("Host", "elsewhere.example");
  auto ok = Send(framed);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->body, "four");
}

// Fast handlers: taken requests are answered from another thread; declined ones fall through
// to the blocking handler.
TEST(ServerFastHandlerTest, TakenRepliesLaterAndDeclinedFallsThrough) {
  Router router;
  std::atomic<int> blocking_calls{0};
  std::vector<std::thread> repliers;
  std::mutex repliers_mu;
  router.Add(
      "POST", "/x",
      [&](Request& r) {
        ++blocking_calls;
        return Response::Text(200, "blocking " + r.body);
      },
      [&](Request& r, Reply reply) {
        if (r.body == "decline") {
          return false;
        }
        std::lock_guard lock(repliers_mu);
        repliers.emplace_back([reply = std::move(reply), body = r.body] {
          std::this_thread::sleep_for(10ms);  // an answer that comes later, from elsewhere
          reply(Response::Text(201, "fast " + body));
          reply(Response::Text(500, "a second reply is ignored"));
        });
        return true;
      });
  router.Add(
      "GET", "/throws", [](Request&) { return Response::Text(200, "blocking after a throw"); },
      [](Request&, const Reply&) -> bool { throw std::runtime_error("boom"); });
  ServerOptions options;
  options.handler_threads = 1;
  SystemClock clock;
  Server server(options, router, PlainError, clock);
  ASSERT_TRUE(server.Start());
  std::thread t([&] { server.Run(); });

  CurlHttpClient client;
  ClientRequest req;
  req.url = server.url() + "/x";
  req.body = "one";
  auto a = client.Send(req);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 201);
  EXPECT_EQ(a->body, "fast one");
  req.body = "decline";
  auto b = client.Send(req);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(b->body, "blocking decline");
  EXPECT_EQ(blocking_calls.load(), 1);
  req.method = "GET";
  req.url = server.url() + "/throws";
  auto c = client.Send(req);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->body, "blocking after a throw");

  // RunBlocking runs on the handler pool, not on the caller's thread.
  std::promise<std::thread::id> ran_on;
  server.RunBlocking([&] { ran_on.set_value(std::this_thread::get_id()); });
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());

  server.Stop();
  t.join();
  for (auto& r : repliers) {
    r.join();
  }
}

// TLS against `openssl s_server`: a certificate for "localhost" only, trusted through ca_file.
class BeastHttpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("linkhub-tls-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost -keyout '" +
        (dir_ / "key.pem").string() + "' -out '" + (dir_ / "cert.pem").string() +
        "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      GTEST_SKIP() << "the openssl command is not available";
    }
    port_ = FreePort();
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::string port = std::to_string(port_);
      std::string cert = (dir_ / "cert.pem").string();
      std::string key = (dir_ / "key.pem").string();
      ::execlp("openssl", "openssl", "s_server", "-www", "-accept", port.c_str(), "-cert",
               cert.c_str(), "-key", key.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0);
    ::close(out[1]);
    server_out_ = out[0];
    // s_server prints ACCEPT once it listens (and keeps writing to the pipe, which stays open
    // until TearDown).
    std::string said;
    char buf[256];
    while (said.find("ACCEPT") == std::string::npos) {
      ssize_t n = ::read(server_out_, buf, sizeof buf);
      ASSERT_GT(n, 0) << "openssl s_server ended before listening: " << said;
      said.append(buf, static_cast<size_t>(n));
    }
    ASSERT_TRUE(Listening());
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (server_out_ >= 0) {
      ::close(server_out_);
    }
    guard_.reset();
    if (thread_.joinable()) {
      thread_.join();
    }
    std::filesystem::remove_all(dir_);
  }

  static uint16_t FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                 ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    return bound ? ntohs(addr.sin_port) : 0;
  }
  bool Listening() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }
  Result<ClientResponse> Get(const std::string& host, bool trust) {
    BeastClientOptions options;
    if (trust) {
      options.ca_file = (dir_ / "cert.pem").string();
    }
    BeastHttpClient client(ioc_, options, clock_);
    ClientRequest req;
    req.method = "GET";
    req.url = "https://" + host + ":" + std::to_string(port_) + "/";
    req.timeout = 5s;
    std::promise<Result<ClientResponse>> p;
    auto f = p.get_future();
    client.SendAsync(req, [&p](Result<ClientResponse> r) { p.set_value(std::move(r)); });
    return f.get();
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int server_out_ = -1;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(ioc_);
  std::thread thread_;
};

TEST_F(BeastHttpClientTlsTest, TalksToATrustedPeerAndRefusesUntrustedOrMisnamedOnes) {
  auto ok = Get("localhost", /*trust=*/true);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("s_server"), std::string::npos);

  auto untrusted = Get("localhost", /*trust=*/false);
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(untrusted.error().message.find("TLS"), std::string::npos) << untrusted.error().message;

  // The certificate names localhost only: reaching it as 127.0.0.1 must fail verification.
  auto misnamed = Get("127.0.0.1", /*trust=*/true);
  ASSERT_FALSE(misnamed);
  EXPECT_EQ(misnamed.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace linkhub::http
