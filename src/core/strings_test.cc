#include "core/strings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace linkhub {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(StringsTest, SplitsCommaListsTrimmingAndDroppingEmptyParts) {
  EXPECT_THAT(SplitCommaList("a, b,,c ,"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitCommaList(""), IsEmpty());
  EXPECT_THAT(SplitCommaList(" , "), IsEmpty());
  EXPECT_THAT(SplitCommaList("transactions"), ElementsAre("transactions"));
}

TEST(StringsTest, ParsesWholeNonNegativeIntegersOnly) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(ParseInt64(""));
  EXPECT_FALSE(ParseInt64("-1"));
  EXPECT_FALSE(ParseInt64("+1"));
  EXPECT_FALSE(ParseInt64("12x"));
  EXPECT_FALSE(ParseInt64(" 12"));
  EXPECT_FALSE(ParseInt64("9223372036854775808"));
  EXPECT_EQ(ParsePrefixedInt64("o:40", "o:"), 40);
  EXPECT_FALSE(ParsePrefixedInt64("a:40", "o:"));
  EXPECT_FALSE(ParsePrefixedInt64("o:", "o:"));
}

}  // namespace
}  // namespace linkhub
