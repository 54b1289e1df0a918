// Tests of RateBudget: Plaid's per-Item limits (limits.cc) kept in a sliding 60-second window per
// (Item, endpoint), on a FakeClock.
#include "plaid/rate_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "plaid/limits.h"

namespace linkhub::plaid {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kAccounts = "/accounts/get";

std::string Detail(const Error& e, const std::string& key) { return DetailText(e, key); }

int RetryAfter(const Status& s) {
  if (s) {
    return -1;
  }
  std::string v = Detail(s.error(), "retry_after_seconds");
  return v.empty() ? -1 : std::stoi(v);
}

class RateBudgetTest : public ::testing::Test {
 protected:
  // Takes `n` requests and expects each to be granted.
  void TakeOk(std::string_view item, std::string_view endpoint, int n) {
    for (int i = 0; i < n; ++i) {
      Status s = budget_.Acquire(item, endpoint);
      ASSERT_TRUE(s) << endpoint << " call " << i + 1 << ": " << s.error().message;
    }
  }

  FakeClock clock_;
  RateBudget budget_{clock_};
};

TEST_F(RateBudgetTest, AccountsGetAllowsFifteenPerMinuteThenRefusesWithRetryAfter) {
  TakeOk("item-a", kAccounts, 15);
  Status s = budget_.Acquire("item-a", kAccounts);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
  EXPECT_THAT(s.error().message, HasSubstr("/accounts/get"));
  EXPECT_THAT(s.error().message, HasSubstr("15"));
  EXPECT_FALSE(s.error().provider.has_value());
  int retry_after = RetryAfter(s);
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(retry_after, 60);  // all fifteen were taken just now
  EXPECT_THAT(s.error().message, HasSubstr(std::to_string(retry_after) + " s"));
}

TEST_F(RateBudgetTest, ARefusedRequestDoesNotTakeAPlace) {
  TakeOk("item-a", kAccounts, 15);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(budget_.Acquire("item-a", kAccounts));
  }
  clock_.Advance(std::chrono::seconds(60));
  TakeOk("item-a", kAccounts, 15);  // the refusals above did not fill the new window
  EXPECT_FALSE(budget_.Acquire("item-a", kAccounts));
}

TEST_F(RateBudgetTest, OtherItemsAndOtherEndpointsAreIndependent) {
  TakeOk("item-a", kAccounts, 15);
  ASSERT_FALSE(budget_.Acquire("item-a", kAccounts));
  TakeOk("item-b", kAccounts, 15);
  EXPECT_FALSE(budget_.Acquire("item-b", kAccounts));
  TakeOk("item-a", "/item/get", 15);
  TakeOk("item-a", "/transactions/get", 30);
  EXPECT_FALSE(budget_.Acquire("item-a", "/item/get"));
  EXPECT_FALSE(budget_.Acquire("item-a", "/transactions/get"));
}

TEST_F(RateBudgetTest, KeysThatLookAlikeAreStillDistinct) {
  // The window key joins endpoint and item: neither may leak into the other.
  TakeOk("a", kAccounts, 15);
  ASSERT_FALSE(budget_.Acquire("a", kAccounts));
  TakeOk("|a", kAccounts, 15);
  TakeOk("a|", kAccounts, 15);
  TakeOk("get|a", kAccounts, 15);
}

TEST_F(RateBudgetTest, TheWindowSlides) {
  TakeOk("item-a", kAccounts, 1);  // t = 0
  clock_.Advance(std::chrono::seconds(10));
  TakeOk("item-a", kAccounts, 14);  // t = 10
  ASSERT_FALSE(budget_.Acquire("item-a", kAccounts));

  clock_.Advance(std::chrono::seconds(20));  // t = 30: all fifteen still within the last minute
  Status half = budget_.Acquire("item-a", kAccounts);
  ASSERT_FALSE(half);
  EXPECT_EQ(RetryAfter(half), 30);  // the first call leaves the window at t = 60

  clock_.Advance(std::chrono::seconds(29));  // t = 59: not yet
  Status almost = budget_.Acquire("item-a", kAccounts);
  ASSERT_FALSE(almost);
  EXPECT_EQ(RetryAfter(almost), 1);

  clock_.Advance(std::chrono::seconds(1));  // t = 60: the first call's minute has passed
  EXPECT_TRUE(budget_.Acquire("item-a", kAccounts));
  Status again = budget_.Acquire("item-a", kAccounts);  // only one place was freed
  ASSERT_FALSE(again);
  EXPECT_EQ(RetryAfter(again), 10);  // the fourteen leave at t = 70

  clock_.Advance(std::chrono::seconds(10));  // t = 70
  TakeOk("item-a", kAccounts, 14);
  EXPECT_FALSE(budget_.Acquire("item-a", kAccounts));
}

TEST_F(RateBudgetTest, RetryAfterIsRoundedUpAndAtLeastOneSecond) {
  TakeOk("item-a", kAccounts, 15);
  clock_.Advance(std::chrono::milliseconds(59'500));
  Status s = budget_.Acquire("item-a", kAccounts);
  ASSERT_FALSE(s);
  EXPECT_EQ(RetryAfter(s), 1);  // 0.5 s left: never "retry in 0 s"
  clock_.Advance(std::chrono::milliseconds(499));
  s = budget_.Acquire("item-a", kAccounts);
  ASSERT_FALSE(s);
  EXPECT_EQ(RetryAfter(s), 1);
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(budget_.Acquire("item-a", kAccounts));
}

TEST_F(RateBudgetTest, EveryPerItemLimitOfTheTableIsEnforced) {
  int checked = 0;
  for (const PlaidLimit& limit : PlaidRateLimits()) {
    if (limit.per_item <= 0) {
      continue;
    }
    SCOPED_TRACE(std::string(limit.endpoint));
    TakeOk("item-table", limit.endpoint, limit.per_item);
    Status s = budget_.Acquire("item-table", limit.endpoint);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
    EXPECT_THAT(s.error().message, HasSubstr(std::string(limit.endpoint)));
    EXPECT_THAT(s.error().message, HasSubstr(std::to_string(limit.per_item)));
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST_F(RateBudgetTest, PublishedLimitsOfTheEndpointsLinkhubCalls) {
  auto per_item = [](std::string_view endpoint) {
    const PlaidLimit* l = LimitFor(endpoint);
    return l == nullptr ? -1 : l->per_item;
  };
  EXPECT_EQ(per_item("/accounts/get"), 15);
  EXPECT_EQ(per_item("/accounts/balance/get"), 5);
  EXPECT_EQ(per_item("/transactions/get"), 30);
  EXPECT_EQ(per_item("/transactions/sync"), 50);
  EXPECT_EQ(per_item("/transactions/refresh"), 2);
  EXPECT_EQ(per_item("/institutions/search"), 0);
  EXPECT_EQ(per_item("/institutions/get_by_id"), 0);
  EXPECT_EQ(LimitFor("/link/token/create"), nullptr);
}

TEST_F(RateBudgetTest, EndpointsWithoutAPerItemLimitNeverBlock) {
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(budget_.Acquire("item-a", "/institutions/search"));
    ASSERT_TRUE(budget_.Acquire("item-a", "/institutions/get_by_id"));
    ASSERT_TRUE(budget_.Acquire("item-a", "/link/token/create"));  // not in the table at all
  }
}

TEST_F(RateBudgetTest, AnEmptyItemKeyNeverBlocks) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(budget_.Acquire("", kAccounts));
  }
  // ...and does not count against a real Item.
  TakeOk("item-a", kAccounts, 15);
}

TEST_F(RateBudgetTest, PruningIdleWindowsKeepsFullOnes) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(budget_.Acquire("idle-" + std::to_string(i), "/transactions/sync"));
  }
  clock_.Advance(std::chrono::seconds(30));
  TakeOk("item-full", kAccounts, 15);
  clock_.Advance(std::chrono::seconds(31));  // the idle windows are now more than a minute old
  // Enough acquisitions on other Items to run the occasional pruning of idle windows twice.
  for (int i = 0; i < 9000; ++i) {
    ASSERT_TRUE(budget_.Acquire("other-" + std::to_string(i), "/transactions/sync"));
  }
  Status s = budget_.Acquire("item-full", kAccounts);
  ASSERT_FALSE(s);
  EXPECT_EQ(RetryAfter(s), 29);
  TakeOk("idle-0", "/transactions/sync", 50);
  clock_.Advance(std::chrono::seconds(29));
  TakeOk("item-full", kAccounts, 15);
}

TEST_F(RateBudgetTest, ConcurrentCallersNeverExceedTheLimit) {
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (budget_.Acquire("item-a", "/transactions/get")) {
          ++granted;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(granted.load(), 30);
}

}  // namespace
}  // namespace linkhub::plaid
