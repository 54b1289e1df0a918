#include "core/json.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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

TEST(JsonTest, WhatIsWrittenIsAlwaysValidUtf8) {
  // Well-formed sequences of every length pass as they are.
  std::string fine = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8F\xA6";
  EXPECT_EQ(ToJson(boost::json::value(fine)), "\"" + fine + "\"");
  // Stray, truncated, overlong and surrogate bytes each become U+FFFD.
  // What each input becomes, with R standing for one U+FFFD.
  auto replaced = [](std::string_view pattern) {
    std::string s;
    for (char c : pattern) {
      s.append(c == 'R' ? std::string_view("\xEF\xBF\xBD") : std::string_view(&c, 1));
    }
    return s;
  };
  for (auto [in, out] : std::vector<std::pair<std::string, std::string>>{
           {"account \xff\xfe", replaced("account RR")},
           {"\xC3", replaced("R")},                 // truncated at the end
           {"\xC3x", replaced("Rx")},               // truncated before ASCII
           {"\xC0\xAF", replaced("RR")},            // overlong '/'
           {"\xE0\x80\xAF", replaced("RRR")},       // overlong, three bytes
           {"\xED\xA0\x80", replaced("RRR")},       // a UTF-16 surrogate
           {"\xF4\x90\x80\x80", replaced("RRRR")},  // past U+10FFFF
           {"\x80", replaced("R")},                 // a continuation byte alone
       }) {
    SCOPED_TRACE(in);
    std::string written = ToJson(boost::json::value(in));
    EXPECT_EQ(written, "\"" + out + "\"");
    EXPECT_TRUE(ParseJson(written).has_value());  // Boost.JSON refuses invalid UTF-8
  }
  EXPECT_EQ(ToJson(boost::json::object{{"k\xff", 1}}), replaced("{\"kR\":1}"));
}

TEST(JsonTest, AppendJsonStringQuotesAWholeDocumentAsText) {
  // What an MCP tool's text content is: a JSON document as one string, which reads back as it was.
  std::string doc =
      R"({"accounts":[{"name":"Plaid \"Gold\" Checking","mask":"0000","note":"a\tb\u0001"}],"city":"Zürich € 😀"})";
  std::string out = "prefix:";
  AppendJsonString(out, doc);
  ASSERT_TRUE(out.starts_with("prefix:\""));
  auto back = ParseJson(std::string_view(out).substr(7));
  ASSERT_TRUE(back && back->is_string()) << out;
  EXPECT_EQ(back->get_string(), doc);
  std::string control;
  AppendJsonString(control, std::string("\x1f\"\\\b\f\n\r\t", 8));
  EXPECT_EQ(control, R"("\u001f\"\\\b\f\n\r\t")");
  std::string stray;
  AppendJsonString(stray,
                   "a\xff"
                   "b\xe2\x82");  // a stray byte, then a truncated sequence
  EXPECT_EQ(stray,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD\"");
  std::string empty;
  AppendJsonString(empty, "");
  EXPECT_EQ(empty, "\"\"");
}

TEST(JsonTest, AppendJsonStringFindsASpecialByteAtEveryOffset) {
  // The writer skips eight plain bytes at a time: a byte to escape or check must be found
  // wherever it falls in a block, and the text must read back as it was.
  const std::vector<std::string> specials = {
      "\"",       "\\",           "\n",  std::string(1, '\x01'), std::string(1, '\x1f'),
      "\xC3\xA9", "\xE2\x82\xAC", "\x7f"};
  for (const std::string& special : specials) {
    for (size_t len = 1; len <= 24; ++len) {
      for (size_t pos = 0; pos < len; ++pos) {
        std::string text(pos, 'a');
        text += special;
        text += std::string(len - pos - 1, 'b');
        std::string out;
        AppendJsonString(out, text);
        auto back = ParseJson(out);
        ASSERT_TRUE(back && back->is_string()) << out;
        EXPECT_EQ(back->get_string(), text) << "special at " << pos << " of " << len;
      }
    }
  }
}

TEST(JsonTest, UntrustedDocumentsMayNotRepeatAKey) {
  EXPECT_TRUE(ParseJsonUniqueKeys(R"({"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]})").has_value());
  for (const char* doc : {R"({"a":1,"a":"x"})", R"({"o":{"k":1,"k":2}})",
                          R"([{"x":1},{"y":{"z":1,"z":1}}])", R"({"a\u0062":1,"ab":2})"}) {
    SCOPED_TRACE(doc);
    auto parsed = ParseJsonUniqueKeys(doc);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.error().message.find("twice"), std::string::npos) << parsed.error().message;
  }
  EXPECT_EQ(ParseJsonUniqueKeys(R"({"a":1,"a":2})").error().message,
            "holds the key \"a\" twice in one object");
  EXPECT_EQ(ParseJsonUniqueKeys("{").error().message, "is not valid JSON");
  // Plain ParseJson keeps the last value, as Boost.JSON does: it reads trusted documents.
  EXPECT_TRUE(ParseJson(R"({"a":1,"a":2})").has_value());
}

TEST(JsonTest, PrettyPrintsWithTwoSpaces) {
  boost::json::object o{{"a", 1}, {"b", boost::json::array{true}}, {"c", boost::json::object()}};
  EXPECT_EQ(ToPrettyJson(o), "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ],\n  \"c\": {}\n}");
}

}  // namespace
}  // namespace linkhub
