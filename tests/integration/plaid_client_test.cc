// HttpPlaidClient against the real emulator over loopback: Plaid's answers, its errors mapped to
// linkhub's codes with provider details, transport failures, and logs free of tokens.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "core/clock.h"
#include "core/json.h"
#include "emulator_process.h"
#include "http/curl_http_client.h"
#include "plaid/http_plaid_client.h"

namespace linkhub {
namespace {

using plaid::HttpPlaidClient;
using plaid::PlaidConfig;

class PlaidClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(emulator_.ok()) << "plaid-emulator did not start";
    config_.base_url = emulator_.url();
    config_.client_id = "linkhub-demo-client";
    config_.secret = "linkhub-demo-secret";
    log_ = std::make_shared<std::ostringstream>();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_);
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  }
  void TearDown() override {
    spdlog::set_default_logger(previous_);
    EXPECT_EQ(emulator_.Stop(), 0);
  }
  // Links a First Platypus Bank Item and returns its access token.
  std::string Link(HttpPlaidClient& client) {
    auto pub = client.Call("/sandbox/public_token/create",
                           {{"institution_id", "ins_109508"},
                            {"initial_products", boost::json::array{"transactions"}}});
    EXPECT_TRUE(pub) << pub.error().message;
    auto ex =
        client.Call("/item/public_token/exchange", {{"public_token", pub->at("public_token")}});
    EXPECT_TRUE(ex) << ex.error().message;
    return std::string(ex->at("access_token").as_string());
  }
  void Control(const std::string& path, const boost::json::object& body) {
    http::ClientRequest req;
    req.url = emulator_.url() + path;
    req.body = ToJson(body);
    req.headers.Set("Content-Type", "application/json");
    auto r = http_.Send(req);
    ASSERT_TRUE(r && r->status == 200) << path;
  }

  testing::EmulatorProcess emulator_{{"--rate-limits", "off"}};
  http::CurlHttpClient http_;
  SystemClock clock_;
  PlaidConfig config_;
  std::shared_ptr<std::ostringstream> log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(PlaidClientTest, LinksAndReadsAccountsWithoutLoggingTokens) {
  HttpPlaidClient client(http_, clock_, config_);
  std::string access = Link(client);
  auto accounts = client.Call("/accounts/get", {{"access_token", access}});
  ASSERT_TRUE(accounts) << accounts.error().message;
  const auto& first = accounts->at("accounts").as_array().at(0).as_object();
  EXPECT_EQ(first.at("mask").as_string(), "0000");
  EXPECT_EQ(first.at("balances").as_object().at("current").to_number<double>(), 110.0);
  std::string logs = log_->str();
  EXPECT_NE(logs.find("plaid endpoint=/accounts/get status=200"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(access), std::string::npos);
  EXPECT_EQ(logs.find("linkhub-demo-secret"), std::string::npos);
  EXPECT_EQ(logs.find("public-sandbox-"), std::string::npos);
}

TEST_F(PlaidClientTest, PlaidErrorsKeepTheirDetails) {
  HttpPlaidClient client(http_, clock_, config_);
  std::string access = Link(client);
  ASSERT_TRUE(client.Call("/item/remove", {{"access_token", access}}));
  auto after = client.Call("/accounts/get", {{"access_token", access}});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(after.error().provider);
  EXPECT_EQ(after.error().provider->error_code, "INVALID_ACCESS_TOKEN");
  EXPECT_FALSE(after.error().provider->request_id.empty());
  EXPECT_EQ(after.error().message.find(access), std::string::npos);

  PlaidConfig wrong = config_;
  wrong.secret = "not-the-secret";
  HttpPlaidClient bad(http_, clock_, wrong);
  auto denied = bad.Call("/institutions/get_by_id", {{"institution_id", "ins_109508"},
                                                     {"country_codes", boost::json::array{"US"}}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kInternal);
  EXPECT_EQ(denied.error().provider->error_code, "INVALID_API_KEYS");
  EXPECT_EQ(denied.error().message.find("not-the-secret"), std::string::npos);
}

TEST_F(PlaidClientTest, OutagesTimeoutsAndDroppedConnections) {
  HttpPlaidClient client(http_, clock_, config_);
  std::string access = Link(client);
  Control("/emulator/faults",
          {{"endpoint", "/accounts/get"}, {"error_code", "INTERNAL_SERVER_ERROR"}});
  auto outage = client.Call("/accounts/get", {{"access_token", access}});
  ASSERT_FALSE(outage);
  EXPECT_EQ(outage.error().code, ErrorCode::kUpstream);
  EXPECT_EQ(outage.error().provider->http_status, 500);

  Control("/emulator/faults", {{"endpoint", "/accounts/get"}, {"error_code", "ACCOUNTS_LIMIT"}});
  auto limited = client.Call("/accounts/get", {{"access_token", access}});
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, ErrorCode::kResourceExhausted);

  // libcurl re-sends a request whose reused connection dies unanswered, on the next pooled
  // connection or a new one; only a drop on a new connection reaches the caller. The pool may
  // hold several connections, so drop more times than it can hold, then clear the rest.
  Control("/emulator/faults",
          {{"endpoint", "/accounts/get"}, {"drop_connection", true}, {"count", 20}});
  auto dropped = client.Call("/accounts/get", {{"access_token", access}});
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, ErrorCode::kUnavailable);
  http::ClientRequest clear;
  clear.method = "DELETE";
  clear.url = emulator_.url() + "/emulator/faults";
  ASSERT_TRUE(http_.Send(clear));

  PlaidConfig quick = config_;
  quick.timeout = std::chrono::milliseconds(200);
  HttpPlaidClient impatient(http_, clock_, quick);
  Control("/emulator/faults", {{"endpoint", "/accounts/get"}, {"delay_ms", 3000}});
  auto slow = impatient.Call("/accounts/get", {{"access_token", access}});
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kDeadlineExceeded);

  EXPECT_TRUE(client.Call("/accounts/get", {{"access_token", access}}));  // and back to normal
}

}  // namespace
}  // namespace linkhub
