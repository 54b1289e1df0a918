// Tests of RetryingPlaidClient: which answers are retried, for which endpoints, how long it waits,
// and when it gives up. The scripted fake Plaid answers; the sleeper records each wait and moves a
// FakeClock instead of sleeping.
#include "plaid/retrying_plaid_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/random.h"
#include "fakes/fake_plaid.h"

namespace linkhub::plaid {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using std::chrono::milliseconds;

Error PlaidError(int status, const std::string& type, const std::string& code,
                 const std::string& request_id = "req-failed") {
  return ErrorForPlaid(status, boost::json::object{{"error_type", type},
                                                   {"error_code", code},
                                                   {"error_message", "scripted " + code},
                                                   {"request_id", request_id}});
}

Error RateLimited() { return PlaidError(429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT"); }
Error InstitutionDown() { return PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"); }
Error InstitutionNotResponding() {
  return PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING");
}
Error Plaid500() { return PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR"); }
Error ConnectionFailed() {
  return MakeError(ErrorCode::kUnavailable, "connection refused by sandbox.plaid.com");
}
Error TimedOut() { return MakeError(ErrorCode::kDeadlineExceeded, "no answer within 30 s"); }
Error LoginRequired() { return PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"); }
Error InvalidRequest() { return PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS"); }

// The default policy with other attempts and deadline.
RetryPolicy Policy(int max_attempts, milliseconds deadline = RetryPolicy{}.deadline) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.deadline = deadline;
  return p;
}

boost::json::object Ok(const std::string& request_id = "req-ok") {
  return boost::json::object{{"accounts", boost::json::array{}}, {"request_id", request_id}};
}

class RetryingPlaidClientTest : public ::testing::Test {
 protected:
  RetryingPlaidClientTest() : inner_(&clock_) { inner_.SetFallback(Ok("req-fallback")); }

  RetryingPlaidClient Client(RetryPolicy policy = RetryPolicy{}) {
    return RetryingPlaidClient(inner_, clock_, random_, policy, [this](milliseconds d) {
      std::lock_guard lock(sleeps_mu_);
      sleeps_.push_back(d);
      clock_.Advance(d);
    });
  }

  std::vector<milliseconds> sleeps() {
    std::lock_guard lock(sleeps_mu_);
    return sleeps_;
  }

  static const boost::json::object& Body() {
    static const boost::json::object kBody{{"access_token", "access-sandbox-1"}};
    return kBody;
  }

  FakeClock clock_;
  SeededRandom random_{42};
  fakes::FakePlaid inner_;
  std::mutex sleeps_mu_;
  std::vector<milliseconds> sleeps_;
};

struct TransientCase {
  const char* name;
  Error (*error)();
};

class RetriesTransientErrorsTest : public RetryingPlaidClientTest,
                                   public ::testing::WithParamInterface<TransientCase> {};

TEST_P(RetriesTransientErrorsTest, ARetriedReadSucceeds) {
  RetryingPlaidClient client = Client();
  inner_.Then(Unexpected(GetParam().error()));
  inner_.Then(Ok("req-second"));
  auto r = client.Call("/accounts/get", Body());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(*r, "request_id"), "req-second");
  EXPECT_EQ(inner_.Count(), 2);
  EXPECT_THAT(inner_.Endpoints(), ElementsAre("/accounts/get", "/accounts/get"));
  // The same body both times.
  ASSERT_EQ(inner_.Calls().size(), 2u);
  EXPECT_EQ(inner_.Calls()[1].body, Body());
  ASSERT_EQ(sleeps().size(), 1u);
  EXPECT_GE(sleeps()[0], milliseconds(125));
  EXPECT_LT(sleeps()[0], milliseconds(375));
}

TEST_P(RetriesTransientErrorsTest, ErrorIsTransient) {
  EXPECT_TRUE(IsTransient(GetParam().error()));
}

INSTANTIATE_TEST_SUITE_P(
    Transient, RetriesTransientErrorsTest,
    ::testing::Values(TransientCase{"RateLimit429", &RateLimited},
                      TransientCase{"InstitutionDown", &InstitutionDown},
                      TransientCase{"InstitutionNotResponding", &InstitutionNotResponding},
                      TransientCase{"Plaid500", &Plaid500},
                      TransientCase{"TransportUnavailable", &ConnectionFailed},
                      TransientCase{"TransportDeadlineExceeded", &TimedOut}),
    [](const ::testing::TestParamInfo<TransientCase>& info) { return info.param.name; });

TEST_F(RetryingPlaidClientTest, ASuccessIsReturnedAtOnce) {
  RetryingPlaidClient client = Client();
  auto r = client.Call("/accounts/get", Body());
  ASSERT_TRUE(r);
  EXPECT_EQ(inner_.Count(), 1);
  EXPECT_THAT(sleeps(), IsEmpty());
}

TEST_F(RetryingPlaidClientTest, SeveralTransientFailuresInARowAreRetriedUntilSuccess) {
  RetryingPlaidClient client = Client();
  inner_.Then(Unexpected(RateLimited()));
  inner_.Then(Unexpected(Plaid500()));
  inner_.Then(Unexpected(ConnectionFailed()));
  inner_.Then(Ok("req-fourth"));
  auto r = client.Call("/transactions/sync", Body());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(*r, "request_id"), "req-fourth");
  EXPECT_EQ(inner_.Count(), 4);
  EXPECT_EQ(sleeps().size(), 3u);
}

TEST_F(RetryingPlaidClientTest, StopsAfterMaxAttemptsAndReturnsTheLastError) {
  RetryingPlaidClient client = Client();
  for (int i = 1; i <= 6; ++i) {
    inner_.Then(Unexpected(
        PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "req-" + std::to_string(i))));
  }
  auto r = client.Call("/accounts/get", Body());
  ASSERT_FALSE(r);
  EXPECT_EQ(inner_.Count(), 4);
  EXPECT_EQ(sleeps().size(), 3u);
  EXPECT_EQ(r.error().code, ErrorCode::kUpstream);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->http_status, 500);
  EXPECT_EQ(r.error().provider->request_id, "req-4");
}

TEST_F(RetryingPlaidClientTest, ALastTransportErrorIsReturnedAsItIs) {
  RetryingPlaidClient client = Client(Policy(2));
  inner_.Then(Unexpected(RateLimited()));
  inner_.Then(Unexpected(TimedOut()));
  auto r = client.Call("/item/get", Body());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_FALSE(r.error().provider.has_value());
  EXPECT_EQ(inner_.Count(), 2);
}

TEST_F(RetryingPlaidClientTest, MaxAttemptsIsConfigurable) {
  RetryingPlaidClient once = Client(Policy(1));
  inner_.SetFallback(Unexpected(Plaid500()));
  EXPECT_FALSE(once.Call("/accounts/get", Body()));
  EXPECT_EQ(inner_.Count(), 1);
  EXPECT_THAT(sleeps(), IsEmpty());

  RetryingPlaidClient six = Client(Policy(6, milliseconds(60'000)));
  EXPECT_FALSE(six.Call("/accounts/get", Body()));
  EXPECT_EQ(inner_.Count(), 1 + 6);
  EXPECT_EQ(sleeps().size(), 5u);
}

TEST_F(RetryingPlaidClientTest, PermanentErrorsAreNotRetried) {
  RetryingPlaidClient client = Client();
  inner_.Then(Unexpected(LoginRequired()));
  auto login = client.Call("/accounts/get", Body());
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(login.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(inner_.Count(), 1);

  inner_.Then(Unexpected(InvalidRequest()));
  auto invalid = client.Call("/transactions/get", Body());
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(inner_.Count(), 2);

  inner_.Then(Unexpected(MakeError(ErrorCode::kInternal, "a bug of ours")));
  EXPECT_FALSE(client.Call("/item/get", Body()));
  EXPECT_EQ(inner_.Count(), 3);
  EXPECT_THAT(sleeps(), IsEmpty());
}

TEST_F(RetryingPlaidClientTest, EndpointsThatChangeStateAreNeverRetried) {
  RetryingPlaidClient client = Client();
  inner_.SetFallback(Unexpected(Plaid500()));
  for (const char* endpoint : {"/transactions/refresh", "/item/remove",
                               "/item/public_token/exchange", "/link/token/create"}) {
    SCOPED_TRACE(endpoint);
    int before = inner_.Count();
    for (Error (*error)() :
         {&Plaid500, &RateLimited, &InstitutionDown, &ConnectionFailed, &TimedOut}) {
      inner_.Then(Unexpected(error()));
      auto r = client.Call(endpoint, Body());
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, error().code);
    }
    EXPECT_EQ(inner_.Count(), before + 5);
  }
  EXPECT_THAT(sleeps(), IsEmpty());
}

TEST_F(RetryingPlaidClientTest, AWriteThatSucceedsIsCalledOnce) {
  RetryingPlaidClient client = Client();
  auto r = client.Call("/transactions/refresh", Body());
  ASSERT_TRUE(r);
  EXPECT_THAT(inner_.Endpoints(), ElementsAre("/transactions/refresh"));
}

TEST_F(RetryingPlaidClientTest, DelaysGrowExponentiallyWithJitterUpToTheCap) {
  RetryPolicy policy;
  policy.max_attempts = 8;
  policy.base_delay = milliseconds(250);
  policy.max_delay = milliseconds(2000);
  policy.deadline = milliseconds(600'000);
  RetryingPlaidClient client = Client(policy);
  inner_.SetFallback(Unexpected(RateLimited()));
  ASSERT_FALSE(client.Call("/accounts/get", Body()));
  EXPECT_EQ(inner_.Count(), 8);
  auto waits = sleeps();
  ASSERT_EQ(waits.size(), 7u);
  const int64_t nominal[] = {250, 500, 1000, 2000, 2000, 2000, 2000};
  for (size_t i = 0; i < waits.size(); ++i) {
    SCOPED_TRACE("wait " + std::to_string(i));
    EXPECT_GE(waits[i].count() * 2, nominal[i]);      // >= 0.5 × nominal
    EXPECT_LT(waits[i].count() * 2, nominal[i] * 3);  // < 1.5 × nominal
  }
  // The jittered ranges of the first three do not overlap: each wait is longer than the last.
  EXPECT_LT(waits[0], waits[2]);
  EXPECT_LT(waits[0], waits[3]);
  EXPECT_LT(waits[1], waits[3]);
  // The sleeper moved the clock by exactly the waits.
  std::vector<std::chrono::steady_clock::time_point> started;
  for (const auto& c : inner_.Calls()) {
    started.push_back(c.started);
  }
  ASSERT_EQ(started.size(), 8u);
  for (size_t i = 1; i < started.size(); ++i) {
    EXPECT_EQ(started[i] - started[i - 1], waits[i - 1]);
  }
}

TEST_F(RetryingPlaidClientTest, JitterSpreadsTheWaitsOfDifferentCalls) {
  RetryingPlaidClient client = Client(Policy(2));
  inner_.SetFallback(Unexpected(InstitutionDown()));
  for (int i = 0; i < 40; ++i) {
    ASSERT_FALSE(client.Call("/accounts/get", Body()));
  }
  auto waits = sleeps();
  ASSERT_EQ(waits.size(), 40u);
  std::set<int64_t> distinct;
  for (auto w : waits) {
    EXPECT_GE(w, milliseconds(125));
    EXPECT_LT(w, milliseconds(375));
    distinct.insert(w.count());
  }
  EXPECT_GT(distinct.size(), 10u);
}

TEST_F(RetryingPlaidClientTest, NoRetryStartsPastTheDeadline) {
  RetryPolicy policy;
  policy.max_attempts = 100;
  policy.base_delay = milliseconds(400);
  policy.max_delay = milliseconds(1600);
  policy.deadline = milliseconds(3000);
  RetryingPlaidClient client = Client(policy);
  inner_.SetFallback(Unexpected(InstitutionNotResponding()));
  inner_.TakeTime(milliseconds(100));
  const auto t0 = clock_.MonotonicNow();
  auto r = client.Call("/accounts/balance/get", Body());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().provider->error_code, "INSTITUTION_NOT_RESPONDING");
  std::vector<std::chrono::steady_clock::time_point> started;
  for (const auto& c : inner_.Calls()) {
    started.push_back(c.started);
  }
  ASSERT_GE(started.size(), 2u);    // it did retry...
  EXPECT_LT(started.size(), 100u);  // ...but not up to max_attempts
  for (auto s : started) {
    EXPECT_LE(s - t0, policy.deadline);  // no attempt started after the deadline
  }
  // It gave up without sleeping past the deadline either.
  EXPECT_LE(started.back() - t0, policy.deadline);
}

TEST_F(RetryingPlaidClientTest, ACallSlowerThanTheDeadlineIsNotRetried) {
  RetryingPlaidClient client = Client(Policy(4, milliseconds(10'000)));
  inner_.SetFallback(Unexpected(TimedOut()));
  inner_.TakeTime(milliseconds(10'500));
  ASSERT_FALSE(client.Call("/accounts/get", Body()));
  EXPECT_EQ(inner_.Count(), 1);
  EXPECT_THAT(sleeps(), IsEmpty());
}

TEST_F(RetryingPlaidClientTest, ARetryTheGateRefusesIsNotSentAndTheLastErrorStands) {
  RetryingPlaidClient client = Client(Policy(10));
  inner_.SetFallback(Unexpected(InstitutionDown()));
  int asked = 0;
  auto r = client.Send("/accounts/get", ToJson(Body()), nullptr, [&] { return ++asked < 3; });
  ASSERT_FALSE(r.body);
  EXPECT_EQ(r.body.error().provider->error_code, "INSTITUTION_DOWN");
  EXPECT_EQ(asked, 3);  // asked before each retry: two allowed, the third refused
  EXPECT_EQ(inner_.Count(), 3);
  EXPECT_EQ(sleeps().size(), 2u);  // no wait for a retry that is not sent
}

TEST_F(RetryingPlaidClientTest, ContinueCountsTheDeadlineFromTheFirstAttemptsStart) {
  RetryPolicy policy = Policy(4, milliseconds(1000));
  policy.base_delay = milliseconds(200);  // waits of 100..300 ms
  RetryingPlaidClient client = Client(policy);
  inner_.SetFallback(Unexpected(InstitutionDown()));
  // The first attempt, made elsewhere, took 900 ms: no retry fits in what is left.
  RawAnswer first;
  first.body = Unexpected(InstitutionDown());
  auto late = client.Continue("/accounts/get", ToJson(Body()), nullptr, nullptr, first,
                              std::chrono::milliseconds(900));
  ASSERT_FALSE(late.body);
  EXPECT_EQ(inner_.Count(), 0);
  // A quick first attempt leaves room for retries.
  auto early = client.Continue("/accounts/get", ToJson(Body()), nullptr, nullptr, first,
                               std::chrono::milliseconds(10));
  ASSERT_FALSE(early.body);
  EXPECT_GE(inner_.Count(), 1);
}

TEST_F(RetryingPlaidClientTest, ConcurrentCallersEachGetTheirOwnRetries) {
  RetryingPlaidClient client = Client(Policy(3));
  inner_.SetFallback(Unexpected(Plaid500()));
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { EXPECT_FALSE(client.Call("/accounts/get", Body())); });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(inner_.Count(), 12);
  EXPECT_EQ(sleeps().size(), 8u);
}

TEST(IsSafeToRepeatTest, ReadsAreReadOnly) {
  for (const char* endpoint :
       {"/accounts/get", "/accounts/balance/get", "/auth/get", "/identity/get",
        "/institutions/get_by_id", "/institutions/search", "/investments/holdings/get",
        "/investments/transactions/get", "/item/get", "/liabilities/get", "/transactions/get",
        "/transactions/sync", "/webhook_verification_key/get"}) {
    EXPECT_TRUE(IsSafeToRepeat(endpoint)) << endpoint;
  }
}

TEST(IsSafeToRepeatTest, WritesAndUnknownEndpointsAreNot) {
  for (const char* endpoint :
       {"/transactions/refresh", "/item/remove", "/item/public_token/exchange",
        "/link/token/create", "/sandbox/public_token/create", "/item/webhook/update", "",
        "/accounts/get/", "/ACCOUNTS/GET", "accounts/get"}) {
    EXPECT_FALSE(IsSafeToRepeat(endpoint)) << endpoint;
  }
}

TEST(IsTransientTest, TransportFailuresWithoutAnAnswer) {
  EXPECT_TRUE(IsTransient(ConnectionFailed()));
  EXPECT_TRUE(IsTransient(TimedOut()));
  EXPECT_FALSE(IsTransient(MakeError(ErrorCode::kInternal, "bug")));
  EXPECT_FALSE(IsTransient(MakeError(ErrorCode::kInvalidArgument, "bad")));
  EXPECT_FALSE(IsTransient(MakeError(ErrorCode::kUpstream, "odd answer")));
}

TEST(IsTransientTest, PlaidAnswers) {
  EXPECT_TRUE(IsTransient(RateLimited()));
  EXPECT_TRUE(IsTransient(PlaidError(429, "", "")));  // a bare 429
  EXPECT_TRUE(IsTransient(PlaidError(400, "RATE_LIMIT_EXCEEDED", "TRANSACTIONS_LIMIT")));
  EXPECT_TRUE(IsTransient(InstitutionDown()));
  EXPECT_TRUE(IsTransient(InstitutionNotResponding()));
  EXPECT_TRUE(IsTransient(Plaid500()));
  EXPECT_TRUE(IsTransient(PlaidError(502, "", "")));
  EXPECT_TRUE(IsTransient(PlaidError(503, "API_ERROR", "PLANNED_MAINTENANCE")));

  EXPECT_FALSE(IsTransient(LoginRequired()));
  EXPECT_FALSE(IsTransient(InvalidRequest()));
  EXPECT_FALSE(IsTransient(PlaidError(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")));
  EXPECT_FALSE(IsTransient(PlaidError(400, "ITEM_ERROR", "ITEM_NOT_FOUND")));
  EXPECT_FALSE(IsTransient(
      PlaidError(400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")));
  EXPECT_FALSE(IsTransient(PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_NOT_SUPPORTED")));
  // A provider error is judged by what Plaid said, not by the code it was mapped to.
  Error mapped_unavailable =
      PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_NO_LONGER_SUPPORTED");
  ASSERT_EQ(mapped_unavailable.code, ErrorCode::kUnavailable);
  EXPECT_FALSE(IsTransient(mapped_unavailable));
}

}  // namespace
}  // namespace linkhub::plaid
