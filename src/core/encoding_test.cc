#include "core/encoding.h"

#include <gtest/gtest.h>

namespace linkhub {
namespace {

TEST(EncodingTest, Base64RoundTripsRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(*Base64Decode("Zm9vYg"), "foob");
  EXPECT_FALSE(Base64Decode("Zm9v*g==").has_value());
  EXPECT_FALSE(Base64Decode("Z").has_value());
}

TEST(EncodingTest, Base64UrlUsesUrlAlphabetWithoutPadding) {
  std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(Base64UrlEncode(bytes), "-__-");
  EXPECT_EQ(Base64Encode(bytes), "+//+");
  EXPECT_EQ(*Base64UrlDecode("-__-"), bytes);
  EXPECT_FALSE(Base64UrlDecode("+//+").has_value());
}

TEST(EncodingTest, Hex) { EXPECT_EQ(HexEncode(std::string("\x00\xab\x10", 3)), "00ab10"); }

}  // namespace
}  // namespace linkhub
