// The emulator's webhook dispatcher delivering to a real receiver over loopback: signed bodies,
// retries with backoff after failures, and giving up after the last attempt.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/json.h"
#include "emulator/webhook_dispatcher.h"
#include "emulator/webhook_signer.h"
#include "http/curl_http_client.h"
#include "http/server.h"

namespace linkhub {
namespace {

using namespace std::chrono_literals;

struct Received {
  std::string body;
  std::string signature;
};

class WebhookDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/hook", [this](http::Request& r) {
      std::lock_guard lock(mu_);
      received_.push_back({r.body, std::string(r.headers.Get("Plaid-Verification").value_or(""))});
      int status = failures_left_ > 0 ? 500 : 200;
      if (failures_left_ > 0) {
        --failures_left_;
      }
      return http::Response::Text(status, "ok");
    });
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{}, router_,
        [](const http::Request&, int s, const std::string& m) {
          return http::Response::Text(s, m);
        },
        clock_);
    ASSERT_TRUE(server_->Start());
    thread_ = std::thread([this] { server_->Run(); });
    auto signer = emulator::WebhookSigner::Create(clock_, random_);
    ASSERT_TRUE(signer);
    signer_ = std::move(*signer);
  }
  void TearDown() override {
    server_->Stop();
    thread_.join();
  }
  // Waits (bounded) until `pred` holds for the dispatcher's records.
  template <class Pred>
  std::vector<emulator::WebhookRecord> WaitFor(emulator::WebhookDispatcher& d, Pred pred) {
    return d.WaitFor(pred, 10s);
  }

  SystemClock clock_;
  SecureRandom random_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::unique_ptr<emulator::WebhookSigner> signer_;
  http::CurlHttpClient client_;
  std::mutex mu_;
  std::vector<Received> received_;
  int failures_left_ = 0;
};

TEST_F(WebhookDeliveryTest, RetriesUntilTheReceiverAcceptsAndSignsEveryAttempt) {
  failures_left_ = 2;
  emulator::WebhookOptions options;
  options.base_delay = 20ms;
  options.max_attempts = 5;
  emulator::WebhookDispatcher dispatcher(client_, *signer_, clock_, random_, options);
  boost::json::object payload{
      {"webhook_type", "ITEM"}, {"webhook_code", "LOGIN_REPAIRED"}, {"item_id", "it_1"}};
  dispatcher.Enqueue(server_->url() + "/hook", "it_1", payload);
  auto records = WaitFor(dispatcher, [](auto& r) { return !r.empty() && r[0].delivered; });
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].delivered);
  ASSERT_EQ(records[0].attempts.size(), 3u);
  EXPECT_EQ(records[0].attempts[0].status, 500);
  EXPECT_EQ(records[0].attempts[2].status, 200);
  std::lock_guard lock(mu_);
  ASSERT_EQ(received_.size(), 3u);
  for (const auto& r : received_) {
    EXPECT_EQ(r.body, records[0].body);  // the same bytes every time
    EXPECT_EQ(std::count(r.signature.begin(), r.signature.end(), '.'), 2);
  }
  EXPECT_NE(received_[0].body.find("\n  \"webhook_code\": \"LOGIN_REPAIRED\""), std::string::npos);
}

TEST_F(WebhookDeliveryTest, GivesUpAfterTheLastAttempt) {
  failures_left_ = 100;
  emulator::WebhookOptions options;
  options.base_delay = 5ms;
  options.max_attempts = 3;
  emulator::WebhookDispatcher dispatcher(client_, *signer_, clock_, random_, options);
  dispatcher.Enqueue(server_->url() + "/hook", "it_1",
                     {{"webhook_type", "ITEM"}, {"webhook_code", "ERROR"}});
  auto records = WaitFor(dispatcher, [](auto& r) { return !r.empty() && r[0].gave_up; });
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].gave_up);
  EXPECT_FALSE(records[0].delivered);
  EXPECT_EQ(records[0].attempts.size(), 3u);
}

TEST_F(WebhookDeliveryTest, UnreachableReceiverRecordsTheTransportError) {
  emulator::WebhookOptions options;
  options.base_delay = 5ms;
  options.max_attempts = 2;
  emulator::WebhookDispatcher dispatcher(client_, *signer_, clock_, random_, options);
  dispatcher.Enqueue("http://127.0.0.1:1/hook", "it_1",
                     {{"webhook_type", "ITEM"}, {"webhook_code", "ERROR"}});
  auto records = WaitFor(dispatcher, [](auto& r) { return !r.empty() && r[0].gave_up; });
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].attempts.size(), 2u);
  EXPECT_EQ(records[0].attempts[0].status, 0);
  EXPECT_FALSE(records[0].attempts[0].error.empty());
}

}  // namespace
}  // namespace linkhub
