#include "http/keyed_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace linkhub::http {
namespace {

using Outcome = KeyedLimiter::Outcome;

TEST(KeyedLimiterTest, AdmitsUpToTheLimitQueuesBehindItAndRefusesPastTheQueue) {
  KeyedLimiter limiter(2, 1);
  int woken = 0;
  auto wake = [&woken] { ++woken; };
  EXPECT_EQ(limiter.Enter("a", wake).outcome, Outcome::kAdmitted);
  EXPECT_EQ(limiter.Enter("a", wake).outcome, Outcome::kAdmitted);
  EXPECT_EQ(limiter.Enter("a", wake).outcome, Outcome::kQueued);
  EXPECT_EQ(limiter.Enter("a", wake).outcome, Outcome::kFull);
  // Another key has its own slots.
  EXPECT_EQ(limiter.Enter("b", wake).outcome, Outcome::kAdmitted);
  EXPECT_EQ(limiter.Running("a"), 2u);
  EXPECT_EQ(limiter.Waiting("a"), 1u);

  // Leaving hands the slot to the waiter: still two running, none waiting.
  limiter.Leave("a");
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(limiter.Running("a"), 2u);
  EXPECT_EQ(limiter.Waiting("a"), 0u);
  limiter.Leave("a");
  limiter.Leave("a");
  limiter.Leave("b");
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(limiter.Running("a"), 0u);
  EXPECT_EQ(limiter.Running("b"), 0u);
}

TEST(KeyedLimiterTest, WaitersAreServedInOrderAndACancelledOneIsSkipped) {
  KeyedLimiter limiter(1, 3);
  std::vector<int> order;
  ASSERT_EQ(limiter.Enter("k", [] {}).outcome, Outcome::kAdmitted);
  auto first = limiter.Enter("k", [&] { order.push_back(1); });
  auto second = limiter.Enter("k", [&] { order.push_back(2); });
  auto third = limiter.Enter("k", [&] { order.push_back(3); });
  ASSERT_EQ(second.outcome, Outcome::kQueued);
  EXPECT_TRUE(limiter.Cancel("k", second.ticket));
  EXPECT_FALSE(limiter.Cancel("k", second.ticket));  // not twice
  limiter.Leave("k");                                // to first
  EXPECT_FALSE(limiter.Cancel("k", first.ticket));   // it holds the slot now
  limiter.Leave("k");                                // to third
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  (void)third;
  limiter.Leave("k");
  EXPECT_EQ(limiter.Running("k"), 0u);
}

TEST(KeyedLimiterTest, KeysSeenOnceAreNotKeptWithoutBound) {
  KeyedLimiter limiter(1, 1);
  for (int i = 0; i < 5000; ++i) {
    std::string key = "credential-" + std::to_string(i);
    ASSERT_EQ(limiter.Enter(key, [] {}).outcome, Outcome::kAdmitted);
    limiter.Leave(key);
  }
  EXPECT_LE(limiter.KeysHeld(), KeyedLimiter::kIdleKeysKept + 1);
  // A kept idle key starts afresh.
  EXPECT_EQ(limiter.Enter("credential-0", [] {}).outcome, Outcome::kAdmitted);
  EXPECT_EQ(limiter.Running("credential-0"), 1u);
}

TEST(KeyedLimiterTest, ZeroMeansNoLimit) {
  KeyedLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(limiter.Enter("k", [] {}).outcome, Outcome::kAdmitted);
  }
  limiter.Leave("k");
  EXPECT_EQ(limiter.Running("k"), 0u);
}

TEST(KeyedLimiterTest, ConcurrentUseNeverExceedsTheLimit) {
  KeyedLimiter limiter(3, 2000);
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  auto work = [&] {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    --running;
    ++done;
    limiter.Leave("k");
  };
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        // A queued caller's work runs when the slot reaches it, on the leaving thread.
        auto entry = limiter.Enter("k", work);
        if (entry.outcome == Outcome::kAdmitted) {
          work();
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(done.load(), 1600);
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(limiter.Running("k"), 0u);
}

}  // namespace
}  // namespace linkhub::http
