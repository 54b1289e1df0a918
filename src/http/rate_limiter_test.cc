#include "http/rate_limiter.h"

#include <gtest/gtest.h>

namespace linkhub::http {
namespace {

TEST(RateLimiterTest, BurstsToTheLimitThenGoesAtItsPace) {
  FakeClock clock;
  RateLimiter limiter(clock, 60);  // one a second
  for (int i = 0; i < 60; ++i) {
    EXPECT_FALSE(limiter.Take("key_a")) << i;
  }
  auto refused = limiter.Take("key_a");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->count(), 1);
  EXPECT_FALSE(limiter.Take("key_b"));  // another key has its own bucket
  clock.Advance(std::chrono::milliseconds(999));
  EXPECT_TRUE(limiter.Take("key_a"));
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(limiter.Take("key_a"));
  EXPECT_TRUE(limiter.Take("key_a"));
}

TEST(RateLimiterTest, RetryAfterSaysWhenOneIsAllowed) {
  FakeClock clock;
  RateLimiter limiter(clock, 2);  // one every 30 s
  EXPECT_FALSE(limiter.Take("k"));
  EXPECT_FALSE(limiter.Take("k"));
  EXPECT_EQ(limiter.Take("k")->count(), 30);
  clock.Advance(std::chrono::seconds(10));
  EXPECT_EQ(limiter.Take("k")->count(), 20);  // a refusal spends nothing
  clock.Advance(std::chrono::seconds(20));
  EXPECT_FALSE(limiter.Take("k"));
}

TEST(RateLimiterTest, ZeroIsOffAndMemoryIsBounded) {
  FakeClock clock;
  RateLimiter off(clock, 0);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(off.Take("k"));
  }
  EXPECT_EQ(off.Size(), 0u);
  RateLimiter small(clock, 10, 3);
  for (std::string k : {"a", "b", "c", "d", "e"}) {
    EXPECT_FALSE(small.Take(k));
    clock.Advance(std::chrono::seconds(1));
  }
  EXPECT_LE(small.Size(), 3u);
}

}  // namespace
}  // namespace linkhub::http
