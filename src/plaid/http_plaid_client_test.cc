// Tests of the Plaid client's two transports (http_plaid_client.cc): what a request carries, how
// Plaid's answers are read, and that both transports read every answer — success, Plaid error,
// no answer — the same way.
#include "plaid/http_plaid_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "core/clock.h"
#include "fakes/scripted_async_http.h"
#include "fakes/scripted_http_client.h"

namespace linkhub::plaid {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

PlaidConfig Config() {
  PlaidConfig config;
  config.base_url = "http://127.0.0.1:9";
  config.client_id = "client-1";
  config.secret = "secret-1";
  return config;
}

class HttpPlaidClientTest : public ::testing::Test {
 protected:
  // Sends one call on each transport with the same scripted outcome and returns both answers.
  std::pair<RawAnswer, RawAnswer> Both(const std::function<void(fakes::ScriptedHttpClient&)>& a,
                                       const std::function<void(fakes::ScriptedAsyncHttp&)>& b,
                                       std::string_view endpoint = "/accounts/get") {
    fakes::ScriptedHttpClient http;
    fakes::ScriptedAsyncHttp async_http;
    a(http);
    b(async_http);
    HttpPlaidClient blocking(http, clock_, Config());
    AsyncPlaidClient async(async_http, clock_, Config());
    RawAnswer first =
        blocking.Send(endpoint, R"({"access_token":"access-sandbox-x"})", nullptr, nullptr);
    std::optional<RawAnswer> second;
    async.Send(endpoint, R"({"access_token":"access-sandbox-x"})",
               [&second](RawAnswer r) { second = std::move(r); });
    EXPECT_TRUE(second.has_value());
    requests_ = http.requests();
    return {std::move(first), second ? std::move(*second) : RawAnswer{}};
  }

  FakeClock clock_;
  std::vector<http::ClientRequest> requests_;
};

TEST_F(HttpPlaidClientTest, ARequestCarriesTheCredentialsInHeadersAndTheBodyAsGiven) {
  Both([](auto& h) { h.Answer(200, R"({"request_id":"r"})"); },
       [](auto& h) { h.Answer(200, R"({"request_id":"r"})"); });
  ASSERT_EQ(requests_.size(), 1u);
  const auto& r = requests_[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:9/accounts/get");
  EXPECT_EQ(r.body, R"({"access_token":"access-sandbox-x"})");
  EXPECT_EQ(r.headers.Get("PLAID-CLIENT-ID").value_or(""), "client-1");
  EXPECT_EQ(r.headers.Get("PLAID-SECRET").value_or(""), "secret-1");
  EXPECT_EQ(r.headers.Get("Plaid-Version").value_or(""), "2020-09-14");
  EXPECT_FALSE(r.fresh_connection);
}

TEST_F(HttpPlaidClientTest, TheTokenExchangeIsNeverSentOnAPooledConnection) {
  Both([](auto& h) { h.Answer(200, "{}"); }, [](auto& h) { h.Answer(200, "{}"); },
       "/item/public_token/exchange");
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_TRUE(requests_[0].fresh_connection);
}

TEST_F(HttpPlaidClientTest, ASuccessIsPassedOnByteForByteWithItsRequestId) {
  // Spacing and number forms a re-serialisation would change.
  const std::string answer =
      R"({"accounts":[{"balances":{"current":110.50}}], "request_id":"r-1"})";
  auto [blocking, async] =
      Both([&](auto& h) { h.Answer(200, answer); }, [&](auto& h) { h.Answer(200, answer); });
  for (const RawAnswer* a : {&blocking, &async}) {
    ASSERT_TRUE(a->body) << a->body.error().message;
    EXPECT_EQ(*a->body, answer);
    EXPECT_EQ(a->attempt.http_status, 200);
    EXPECT_EQ(a->attempt.request_id, "r-1");
  }
}

TEST_F(HttpPlaidClientTest, InvalidUtf8IsRefusedAndValidUtf8PassesOn) {
  const std::string valid = "{\"name\":\"Caf\xc3\xa9 Bank\",\"request_id\":\"r-3\"}";
  auto [ok_blocking, ok_async] =
      Both([&](auto& h) { h.Answer(200, valid); }, [&](auto& h) { h.Answer(200, valid); });
  ASSERT_TRUE(ok_blocking.body);
  EXPECT_EQ(*ok_blocking.body, valid);
  ASSERT_TRUE(ok_async.body);
  for (const std::string& bad :
       {std::string("{\"name\":\"\xff\"}"), std::string("{\"name\":\"\xc3\"}"),
        std::string("{\"name\":\"a\xed\xa0\x80\"}")}) {
    auto [blocking, async] =
        Both([&](auto& h) { h.Answer(200, bad); }, [&](auto& h) { h.Answer(200, bad); });
    for (const RawAnswer* a : {&blocking, &async}) {
      ASSERT_FALSE(a->body);
      EXPECT_EQ(a->body.error().code, ErrorCode::kUpstream);
    }
  }
}

TEST_F(HttpPlaidClientTest, APlaidErrorIsReadAlikeByBothTransports) {
  const std::string error =
      R"({"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED","error_message":)"
      R"("the login for access-sandbox-abc123 expired","request_id":"r-2"})";
  auto [blocking, async] =
      Both([&](auto& h) { h.Answer(400, error); }, [&](auto& h) { h.Answer(400, error); });
  for (const RawAnswer* a : {&blocking, &async}) {
    ASSERT_FALSE(a->body);
    const Error& e = a->body.error();
    EXPECT_EQ(e.code, ErrorCode::kFailedPrecondition);
    ASSERT_TRUE(e.provider.has_value());
    EXPECT_EQ(e.provider->error_code, "ITEM_LOGIN_REQUIRED");
    EXPECT_EQ(e.provider->request_id, "r-2");
    EXPECT_THAT(e.provider->error_message, Not(HasSubstr("abc123")));  // Plaid's echo redacted
    EXPECT_EQ(a->attempt.http_status, 400);
    EXPECT_EQ(a->attempt.error_code, "ITEM_LOGIN_REQUIRED");
  }
  EXPECT_EQ(blocking.body.error().message, async.body.error().message);
}

TEST_F(HttpPlaidClientTest, AnAnswerThatIsNotAnObjectIsAnUpstreamError) {
  for (const char* body : {"[1,2]", "not json", "", R"({"a":1} trailing)"}) {
    SCOPED_TRACE(body);
    auto [blocking, async] =
        Both([&](auto& h) { h.Answer(200, body); }, [&](auto& h) { h.Answer(200, body); });
    for (const RawAnswer* a : {&blocking, &async}) {
      ASSERT_FALSE(a->body);
      EXPECT_EQ(a->body.error().code, ErrorCode::kUpstream);
    }
    EXPECT_EQ(blocking.body.error().message, async.body.error().message);
  }
}

TEST_F(HttpPlaidClientTest, NoAnswerSaysSoWithoutTheAddressOrTheTransportsWords) {
  struct Case {
    Error transport;
    ErrorCode code = ErrorCode::kUnavailable;
    const char* says = "";
  };
  for (const Case& c :
       {Case{MakeError(ErrorCode::kUnavailable,
                       "request to http://127.0.0.1:9/accounts/get failed: Connection refused"),
             ErrorCode::kUnavailable, "Plaid did not answer /accounts/get: the connection failed"},
        Case{MakeError(ErrorCode::kDeadlineExceeded, "cannot connect: Operation timed out"),
             ErrorCode::kDeadlineExceeded, "Plaid did not answer /accounts/get in time"},
        Case{MakeError(ErrorCode::kResourceExhausted, "body limit exceeded"),
             ErrorCode::kResourceExhausted, "larger than linkhub accepts"}}) {
    SCOPED_TRACE(c.says);
    auto [blocking, async] =
        Both([&](auto& h) { h.Fail(c.transport); }, [&](auto& h) { h.Fail(c.transport); });
    for (const RawAnswer* a : {&blocking, &async}) {
      ASSERT_FALSE(a->body);
      EXPECT_EQ(a->body.error().code, c.code);
      EXPECT_THAT(a->body.error().message, HasSubstr(c.says));
      EXPECT_THAT(a->body.error().message, Not(HasSubstr("127.0.0.1")));
      EXPECT_FALSE(a->body.error().provider.has_value());
      EXPECT_EQ(a->attempt.http_status, 0);
    }
    EXPECT_EQ(blocking.body.error().message, async.body.error().message);
  }
}

TEST(ScanPageTest, CountsTheTopLevelItemsAndReadsTheTotal) {
  auto page = ScanPage(R"({"accounts":[{"x":[1,2,3]}],"transactions":[{"a":[1,2]},{"b":{}},3],)"
                       R"("total_transactions":10,"nested":{"transactions":[1,1,1,1]}})",
                       "transactions", "total_transactions");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->items, 3);
  EXPECT_EQ(page->total, 10);
}

TEST(ScanPageTest, AbsentKeysCountZeroAndOnlyAnObjectIsAPage) {
  auto empty = ScanPage(R"({"transactions":[]})", "transactions", "total_transactions");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->items, 0);
  EXPECT_EQ(empty->total, 0);
  EXPECT_FALSE(ScanPage("[]", "transactions", "total_transactions").has_value());
  EXPECT_FALSE(ScanPage(R"({"transactions":[)", "transactions", "total_transactions").has_value());
}

}  // namespace
}  // namespace linkhub::plaid
