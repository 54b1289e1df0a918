// The action pipeline's two transports against the real emulator: every read-only catalogue action
// that is one Plaid call is run through the blocking transport (libcurl) and through the
// asynchronous one (Beast), and the hub's two answers are compared byte for byte, successes and
// errors alike. Between the hub and the emulator sits a replaying proxy: the first transport's
// request goes on to the emulator and its answer is kept; the second transport gets the same
// bytes, so any difference is the hub's. Error answers carry the same timestamp because the
// hub's clock is a FakeClock.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/errors.h"
#include "core/json.h"
#include "emulator_process.h"
#include "fakes/memory_journal.h"
#include "http/async_http_client.h"
#include "http/curl_http_client.h"
#include "http/server.h"
#include "hub/action_pipeline.h"
#include "hub/linker_impl.h"
#include "hub/sessions_impl.h"
#include "plaid/catalogue.h"
#include "plaid/http_plaid_client.h"
#include "plaid/retrying_plaid_client.h"
#include "store/test_db.h"

namespace linkhub {
namespace {

namespace json = boost::json;

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";

// Passes Plaid requests on to the emulator, once per (path, body): a repeated request gets the
// first answer's bytes. Answers are pretty-printed on the way, as Plaid's own are, so that a
// transport that rewrote them would show. A path can be made to drop the connection or to answer
// late.
class ReplayingProxy {
 public:
  explicit ReplayingProxy(std::string upstream) : upstream_(std::move(upstream)) {
    for (const auto& a : plaid::Catalogue()) {
      paths_.insert(a.endpoint);
    }
    for (const char* p : {"/item/public_token/exchange", "/item/remove"}) {
      paths_.insert(p);
    }
    for (const auto& p : paths_) {
      router_.Add("POST", p, [this](http::Request& r) { return Answer(r); });
    }
    http::ServerOptions options;
    options.handler_threads = 4;
    server_ = std::make_unique<http::Server>(
        options, router_,
        [](const http::Request&, int s, const std::string& m) {
          return http::Response::Text(s, m);
        },
        clock_);
  }
  ~ReplayingProxy() {
    server_->Stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  Status Start() {
    LINKHUB_RETURN_IF_ERROR(server_->Start());
    thread_ = std::thread([this] { server_->Run(); });
    return OkStatus();
  }
  std::string url() const { return server_->url(); }
  void Drop(const std::string& path) {
    std::lock_guard lock(mu_);
    drop_.insert(path);
  }
  void Delay(const std::string& path, std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    delay_[path] = d;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    drop_.clear();
    delay_.clear();
    kept_.clear();
  }
  // Requests that reached the proxy, and the emulator behind it.
  int received() const { return received_; }
  int forwarded() const { return forwarded_; }

 private:
  http::Response Answer(http::Request& r) {
    ++received_;
    std::string key = r.path + "\n" + r.body;
    http::Response res;
    {
      std::lock_guard lock(mu_);
      if (drop_.contains(r.path)) {
        res.drop_connection = true;
        return res;
      }
      if (auto it = kept_.find(key); it != kept_.end()) {
        res = it->second;
      }
    }
    if (res.body.empty()) {
      http::ClientRequest up;
      up.url = upstream_ + r.path;
      up.body = r.body;
      for (const char* h : {"Content-Type", "PLAID-CLIENT-ID", "PLAID-SECRET", "Plaid-Version"}) {
        if (auto v = r.headers.Get(h)) {
          up.headers.Set(h, std::string(*v));
        }
      }
      auto answer = client_.Send(up);
      ++forwarded_;
      if (!answer) {
        return http::Response::Text(599, answer.error().message);
      }
      auto parsed = ParseJson(answer->body);
      res = http::Response::Json(answer->status, parsed ? ToPrettyJson(*parsed) : answer->body);
      std::lock_guard lock(mu_);
      kept_.emplace(key, res);
    }
    std::lock_guard lock(mu_);
    if (auto it = delay_.find(r.path); it != delay_.end()) {
      res.delay = it->second;
    }
    return res;
  }

  const std::string upstream_;
  SystemClock clock_;
  http::CurlHttpClient client_;
  http::Router router_;
  std::set<std::string> paths_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::set<std::string> drop_;
  std::map<std::string, std::chrono::milliseconds> delay_;
  std::map<std::string, http::Response> kept_;
  std::atomic<int> received_{0};
  std::atomic<int> forwarded_{0};
};

// Counts the requests each transport sent.
class CountingHttpClient final : public http::HttpClient {
 public:
  explicit CountingHttpClient(http::HttpClient& inner) : inner_(inner) {}
  Result<http::ClientResponse> Send(const http::ClientRequest& r) override {
    ++sent;
    return inner_.Send(r);
  }
  std::atomic<int> sent{0};

 private:
  http::HttpClient& inner_;
};

class CountingAsyncHttp final : public http::AsyncHttpClient {
 public:
  explicit CountingAsyncHttp(http::AsyncHttpClient& inner) : inner_(inner) {}
  void SendAsync(http::ClientRequest r, http::SendDone done) override {
    ++sent;
    inner_.SendAsync(std::move(r), std::move(done));
  }
  std::atomic<int> sent{0};

 private:
  http::AsyncHttpClient& inner_;
};

class ActionTransportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(emulator_.ok()) << "plaid-emulator did not start";
    proxy_ = std::make_unique<ReplayingProxy>(emulator_.url());
    ASSERT_TRUE(proxy_->Start());
    config_.base_url = proxy_->url();
    config_.client_id = "linkhub-demo-client";
    config_.secret = "linkhub-demo-secret";
    config_.timeout = std::chrono::milliseconds(1000);

    direct_ = std::make_unique<plaid::HttpPlaidClient>(counting_curl_, clock_, config_);
    plaid::RetryPolicy once;
    once.max_attempts = 1;  // every answer is the first one, on either transport
    retrying_ = std::make_unique<plaid::RetryingPlaidClient>(*direct_, clock_, random_, once,
                                                             [](std::chrono::milliseconds) {});
    beast_ = std::make_unique<http::BeastHttpClient>(ioc_, http::BeastClientOptions{}, clock_);
    counting_beast_ = std::make_unique<CountingAsyncHttp>(*beast_);
    async_ = std::make_unique<plaid::AsyncPlaidClient>(*counting_beast_, clock_, config_);
    io_thread_ = std::thread([this] { ioc_.run(); });

    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", clock_.Now()));
    auto keys = hub::Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    settings_.products = {"transactions", "auth", "identity", "investments", "liabilities"};
    pipeline_ =
        std::make_unique<hub::ActionPipeline>(m_.accounts, m_.sync_cursors, *keys_, *retrying_,
                                              nullptr, nullptr, clock_, settings_, nullptr);
    pipeline_->EnableAsync(*async_, *retrying_);
    account_id_ = Link();
  }
  void TearDown() override {
    pipeline_.reset();
    guard_.reset();
    async_.reset();
    counting_beast_.reset();
    beast_.reset();
    if (io_thread_.joinable()) {
      io_thread_.join();
    }
    proxy_.reset();
    EXPECT_EQ(emulator_.Stop(), 0);
  }

  // Links an Item with every product, through the proxy, and returns the account's id.
  std::string Link() {
    http::ClientRequest req;
    req.url = emulator_.url() + "/sandbox/public_token/create";
    req.headers.Set("Content-Type", "application/json");
    req.headers.Set("PLAID-CLIENT-ID", config_.client_id);
    req.headers.Set("PLAID-SECRET", config_.secret);
    req.body = ToJson(json::object{{"institution_id", "ins_109508"},
                                   {"initial_products", ToJsonArray(settings_.products)}});
    auto pub = curl_.Send(req);
    EXPECT_TRUE(pub && pub->status == 200);
    auto parsed = ParseJson(pub ? pub->body : "");
    std::string token(parsed && parsed->is_object()
                          ? GetString(parsed->get_object(), "public_token").value_or("")
                          : "");
    hub::SessionsImpl sessions(m_.sessions, m_.accounts, *keys_, clock_, random_);
    fakes::MemoryJournal journal;
    hub::LinkerImpl linker(
        hub::LinkerStores{m_.accounts, m_.exchanges, journal, m_.orphans}, *keys_, *retrying_,
        clock_, random_, [](std::chrono::milliseconds) {}, settings_);
    hub::CreateSessionInput in;
    in.origin_owner_id = "owner-1";
    in.origin_owner_name = "Owner One";
    auto session = sessions.Create("proj_a", in);
    EXPECT_TRUE(session);
    auto linked = linker.LinkAccount(session->session, token, {});
    EXPECT_TRUE(linked) << linked.error().message;
    return linked ? linked->id : "";
  }

  // The hub's answer as a door writes it: the envelope, or StackOne's error body.
  std::string Written(Result<hub::ActionOutcome> outcome) {
    if (!outcome) {
      return api::ErrorResponse(outcome.error(), clock_).body;
    }
    return hub::WriteEnvelope(std::move(*outcome));
  }

  std::string Blocking(const std::string& action, const json::object& input) {
    return Written(pipeline_->Run(hub::ActionRequest{"proj_a", account_id_, action, input}));
  }

  std::string Asynchronous(const std::string& action, const json::object& input) {
    std::promise<Result<hub::ActionOutcome>> p;
    auto f = p.get_future();
    pipeline_->Start(hub::ActionRequest{"proj_a", account_id_, action, input},
                     [&p](Result<hub::ActionOutcome> r) { p.set_value(std::move(r)); });
    return Written(f.get());
  }

  // Runs `action` on both transports (blocking first, which also reads the account into the
  // cache) and expects the same bytes, the second sent by Beast.
  std::string Same(const std::string& action, const json::object& input) {
    int curl_before = counting_curl_.sent;
    int beast_before = counting_beast_->sent;
    std::string blocking = Blocking(action, input);
    EXPECT_EQ(counting_curl_.sent - curl_before, 1) << action << " on the blocking transport";
    std::string async = Asynchronous(action, input);
    EXPECT_EQ(counting_beast_->sent - beast_before, 1) << action << " on Beast";
    EXPECT_EQ(counting_curl_.sent - curl_before, 1) << action << " went to libcurl twice";
    EXPECT_EQ(blocking, async) << action;
    return blocking;
  }

  // Read-only actions that are one Plaid call, each with an input that makes Plaid answer.
  static std::vector<std::pair<std::string, json::object>> OneCallReads() {
    json::object dates{{"start_date", "2000-01-01"}, {"end_date", "2030-12-31"}};
    std::vector<std::pair<std::string, json::object>> out;
    for (const auto& a : plaid::Catalogue()) {
      if (!a.read_only || a.paging == plaid::Paging::kSync) {
        continue;
      }
      json::object input;
      if (a.paging == plaid::Paging::kOffset) {
        input = dates;
        input["count"] = 3;
      }
      if (a.id == "plaid_search_institutions") {
        input["query"] = "Platypus";
      }
      out.emplace_back(a.id, std::move(input));
    }
    return out;
  }

  testing::EmulatorProcess emulator_{{"--rate-limits", "off", "--transactions-initial-delay", "0",
                                      "--transactions-historical-delay", "0"}};
  std::unique_ptr<ReplayingProxy> proxy_;
  FakeClock clock_;
  SeededRandom random_{3};
  http::CurlHttpClient curl_;
  CountingHttpClient counting_curl_{curl_};
  plaid::PlaidConfig config_;
  std::unique_ptr<plaid::HttpPlaidClient> direct_;
  std::unique_ptr<plaid::RetryingPlaidClient> retrying_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_{
      boost::asio::make_work_guard(ioc_)};
  std::unique_ptr<http::BeastHttpClient> beast_;
  std::unique_ptr<CountingAsyncHttp> counting_beast_;
  std::unique_ptr<plaid::AsyncPlaidClient> async_;
  std::thread io_thread_;
  store::MemoryStores m_;
  std::unique_ptr<hub::Keys> keys_;
  hub::LinkSettings settings_;
  std::unique_ptr<hub::ActionPipeline> pipeline_;
  std::string account_id_;
};

TEST_F(ActionTransportsTest, EveryOneCallReadAnswersTheSameBytesOnBothTransports) {
  auto reads = OneCallReads();
  ASSERT_EQ(reads.size(), 11u);  // the 13 actions but the sync and the refresh
  for (const auto& [action, input] : reads) {
    SCOPED_TRACE(action);
    std::string answer = Same(action, input);
    EXPECT_TRUE(answer.starts_with(R"({"data":{)")) << answer.substr(0, 300);
  }
  // A page with more to come carries its `next` on both.
  auto [action, input] = reads[0];
  json::object paged{{"start_date", "2000-01-01"}, {"end_date", "2030-12-31"}, {"count", 2}};
  std::string page = Same("plaid_list_transactions", paged);
  EXPECT_NE(page.find(R"("next":"o:2")"), std::string::npos) << page.substr(page.size() - 100);
}

TEST_F(ActionTransportsTest, PlaidsErrorsAnswerTheSameBytesOnBothTransports) {
  struct Fault {
    const char* action;
    const char* error_code;
  };
  for (const Fault& f : {Fault{"plaid_list_accounts", "INTERNAL_SERVER_ERROR"},
                         Fault{"plaid_get_balances", "RATE_LIMIT_EXCEEDED"},
                         Fault{"plaid_get_auth", "INSTITUTION_DOWN"},
                         Fault{"plaid_get_identity", "PLANNED_MAINTENANCE"},
                         Fault{"plaid_get_item", "INVALID_FIELD"}}) {
    SCOPED_TRACE(f.action);
    proxy_->Clear();
    http::ClientRequest req;
    req.url = emulator_.url() + "/emulator/faults";
    req.headers.Set("Content-Type", "application/json");
    req.body = ToJson(json::object{{"endpoint", plaid::FindAction(f.action)->endpoint},
                                   {"error_code", f.error_code},
                                   {"count", 1}});
    auto added = curl_.Send(req);
    ASSERT_TRUE(added && added->status == 200) << (added ? added->body : added.error().message);
    std::string answer = Same(f.action, {});
    EXPECT_NE(answer.find(f.error_code), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"provider_errors\""), std::string::npos) << answer;
  }
}

TEST_F(ActionTransportsTest, NoAnswerAndALateAnswerSayTheSameOnBothTransports) {
  proxy_->Drop("/accounts/get");
  std::string dropped = Same("plaid_list_accounts", {});
  EXPECT_NE(dropped.find("Plaid did not answer /accounts/get: the connection failed"),
            std::string::npos)
      << dropped;
  EXPECT_EQ(dropped.find("127.0.0.1"), std::string::npos) << dropped;
  proxy_->Clear();
  proxy_->Delay("/item/get", std::chrono::milliseconds(1500));  // past the 1 s timeout
  std::string late = Same("plaid_get_item", {});
  EXPECT_NE(late.find("Plaid did not answer /item/get in time"), std::string::npos) << late;
}

}  // namespace
}  // namespace linkhub
