#include "core/json_schema.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace linkhub {
namespace {

boost::json::value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : boost::json::value();
}

std::string Why(std::string_view schema, std::string_view value) {
  auto s = ValidateJson(J(schema), J(value));
  return s ? "" : s.error().message;
}

constexpr std::string_view kSchema = R"({
  "type": "object", "additionalProperties": false, "required": ["start_date"],
  "properties": {
    "start_date": {"type": "string", "format": "date"},
    "count": {"type": "integer", "minimum": 1, "maximum": 500},
    "ids": {"type": "array", "maxItems": 2, "items": {"type": "string", "minLength": 1}},
    "mode": {"type": "string", "enum": ["a", "b"]},
    "options": {"type": "object", "properties": {"flag": {"type": "boolean"}}}
  }})";

TEST(JsonSchemaTest, AcceptsValidInput) {
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "count": 500, "ids": ["x"],
                             "mode": "b", "options": {"flag": true}})"),
            "");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "count": 3.0})"), "");
}

TEST(JsonSchemaTest, NamesTheFieldThatIsWrong) {
  EXPECT_EQ(Why(kSchema, "[]"), "the input must be an object");
  EXPECT_EQ(Why(kSchema, "{}"), "start_date is required");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "31/01/2026"})"),
            "start_date must be a date like 2026-01-31");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "count": 0})"),
            "count must be at least 1");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "count": 501})"),
            "count must be at most 500");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "count": 1.5})"),
            "count must be an integer");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "ids": ["a", ""]})"),
            "ids[1] must not be empty");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "ids": ["a", "b", "c"]})"),
            "ids must hold at most 2 items");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "mode": "c"})"),
            "mode must be one of \"a\", \"b\"");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "options": {"flag": 1}})"),
            "options.flag must be true or false");
  EXPECT_EQ(Why(kSchema, R"({"start_date": "2026-01-31", "access_token": "x"})"),
            "access_token is not a known field");
}

}  // namespace
}  // namespace linkhub
