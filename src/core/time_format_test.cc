#include "core/time_format.h"

#include <gtest/gtest.h>

namespace linkhub {
namespace {

using namespace std::chrono;

TEST(TimeFormatTest, FormatsUtc) {
  TimePoint t = sys_days(year(2024) / 2 / 29) + 13h + 5min + 9s + 250ms;
  EXPECT_EQ(FormatRfc3339(t), "2024-02-29T13:05:09Z");
  EXPECT_EQ(FormatRfc3339Millis(t), "2024-02-29T13:05:09.250Z");
  EXPECT_EQ(FormatDate(t), "2024-02-29");
}

TEST(TimeFormatTest, ParsesDatesStrictly) {
  EXPECT_TRUE(ParseDate("2024-02-29").has_value());
  EXPECT_FALSE(ParseDate("2023-02-29").has_value());
  EXPECT_FALSE(ParseDate("2024-2-29").has_value());
  EXPECT_FALSE(ParseDate("2024-02-29x").has_value());
}

TEST(TimeFormatTest, ParsesRfc3339WithOffsets) {
  auto a = ParseRfc3339("2024-05-01T12:00:00Z");
  auto b = ParseRfc3339("2024-05-01T14:00:00+02:00");
  auto c = ParseRfc3339("2024-05-01T12:00:00.5Z");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*c - *a, 500ms);
  EXPECT_FALSE(ParseRfc3339("2024-05-01 12:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2024-05-01T12:00:00").has_value());
}

}  // namespace
}  // namespace linkhub
