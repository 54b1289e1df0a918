#include "core/clock.h"

#include <gtest/gtest.h>

namespace linkhub {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTest, StandsStillUntilAdvanced) {
  FakeClock clock;
  auto t0 = clock.Now();
  auto m0 = clock.MonotonicNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(90s);
  EXPECT_EQ(clock.Now() - t0, 90s);
  EXPECT_EQ(clock.MonotonicNow() - m0, 90s);
}

TEST(OffsetClockTest, AddsOffsetToBaseAndNeverGoesBack) {
  FakeClock base;
  OffsetClock clock(base);
  EXPECT_EQ(clock.Now(), base.Now());
  clock.Advance(30min);
  EXPECT_EQ(clock.Now() - base.Now(), 30min);
  clock.Advance(-10min);  // ignored: time never goes backwards
  EXPECT_EQ(clock.offset(), 30min);
  base.Advance(1s);
  EXPECT_EQ(clock.Now() - base.Now(), 30min);
}

TEST(OffsetClockTest, NeverGoesBackwardsWhenTheWallClockDoes) {
  FakeClock base;
  OffsetClock clock(base);
  auto t0 = clock.Now();
  base.SetNow(base.Now() - 1h);
  EXPECT_EQ(clock.Now(), t0);
  base.SetNow(base.Now() + 2h);
  EXPECT_EQ(clock.Now() - t0, 1h);
}

}  // namespace
}  // namespace linkhub
