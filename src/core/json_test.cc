#include "core/json.h"

#include <gtest/gtest.h>

namespace linkhub {
namespace {

TEST(JsonTest, ParsesAndRejectsWithoutThrowing) {
  auto v = ParseJson(R"({"a":1,"b":"x","c":true,"d":[1],"e":{}})");
  ASSERT_TRUE(v);
  const auto& o = v->as_object();
  EXPECT_EQ(*GetInt(o, "a"), 1);
  EXPECT_EQ(*GetString(o, "b"), "x");
  EXPECT_EQ(*GetBool(o, "c"), true);
  EXPECT_NE(GetArray(o, "d"), nullptr);
  EXPECT_NE(GetObject(o, "e"), nullptr);
  EXPECT_FALSE(GetString(o, "a").has_value());
  EXPECT_FALSE(GetInt(o, "missing").has_value());

  EXPECT_FALSE(ParseJson("{").has_value());
  EXPECT_FALSE(ParseJson("").has_value());
  EXPECT_EQ(ParseJson("nope").error().code, ErrorCode::kInvalidArgument);
}

TEST(JsonTest, DepthIsBounded) {
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  EXPECT_FALSE(ParseJson(deep).has_value());
  EXPECT_TRUE(ParseJson("[[[]]]").has_value());
}

}  // namespace
}  // namespace linkhub

namespace linkhub {
namespace {

TEST(JsonTest, WritesShortestDoublesAndEscapes) {
  boost::json::object o{{"a", 6.56},
                        {"b", 110.0},
                        {"c", -0.25},
                        {"s", "x\"y\n"},
                        {"n", nullptr},
                        {"i", 3},
                        {"arr", boost::json::array{1, 2.5}}};
  EXPECT_EQ(ToJson(o), R"({"a":6.56,"b":110,"c":-0.25,"s":"x\"y\n","n":null,"i":3,"arr":[1,2.5]})");
  EXPECT_EQ(ToJson(boost::json::value("\x01\\\t")), "\"\\u0001\\\\\\t\"");
  auto back = ParseJson(ToJson(o));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->as_object().at("a").as_double(), 6.56);
}

TEST(JsonTest, PrettyPrintsWithTwoSpaces) {
  boost::json::object o{{"a", 1}, {"b", boost::json::array{true}}, {"c", boost::json::object()}};
  EXPECT_EQ(ToPrettyJson(o), "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ],\n  \"c\": {}\n}");
}

}  // namespace
}  // namespace linkhub
