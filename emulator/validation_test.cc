#include "emulator/validation.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace linkhub::emulator {
namespace {

const ObjectSpec kInner = {{"count", Kind::kInteger, false, false, {}, nullptr, 1, 500}};
const ObjectSpec kSpec = {{"access_token", Kind::kNonEmptyString, true},
                          {"mode", Kind::kString, false, false, {"a", "b"}},
                          {"codes", Kind::kStringArray, true, false, {"US", "GB"}, nullptr, 1},
                          {"when", Kind::kDate},
                          {"options", Kind::kObject, false, false, {}, &kInner}};

std::optional<PlaidError> Check(std::string_view json) {
  return Validate(ParseJson(json)->as_object(), kSpec);
}

TEST(ValidationTest, AcceptsValidBodiesAndCredentials) {
  EXPECT_FALSE(Check(R"({"access_token":"x","codes":["US"],"client_id":"c","secret":"s"})"));
  EXPECT_FALSE(Check(
      R"({"access_token":"x","codes":["US","GB"],"mode":"b","when":"2024-01-31","options":{"count":500}})"));
}

TEST(ValidationTest, UnknownFieldsComeFirstWithDottedNames) {
  auto e = Check(R"({"foo":1,"options":{"bar":2}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "UNKNOWN_FIELDS");
  EXPECT_EQ(e->message,
            "the following fields are not recognized by this endpoint: foo, options.bar");
}

TEST(ValidationTest, MissingFieldsAreListedTogether) {
  auto e = Check(R"({})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "MISSING_FIELDS");
  EXPECT_EQ(e->message, "the following required fields are missing: access_token, codes");
}

TEST(ValidationTest, InvalidFieldsNameTheField) {
  auto e = Check(R"({"access_token":"","codes":["US"]})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "INVALID_FIELD");
  EXPECT_NE(e->message.find("access_token"), std::string::npos);
  e = Check(R"({"access_token":"x","codes":["XX"]})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("codes must be one of"), std::string::npos);
  e = Check(R"({"access_token":"x","codes":[]})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "INVALID_FIELD");
  e = Check(R"({"access_token":"x","codes":["US"],"options":{"count":501}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "options.count must be between 1 and 500");
  e = Check(R"({"access_token":"x","codes":["US"],"when":"2024-02-30"})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("when"), std::string::npos);
  e = Check(R"({"access_token":"x","codes":["US"],"secret":5})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("secret"), std::string::npos);
  e = Check(R"({"access_token":"x","codes":["US"],"options":{"count":1e300}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "options.count must be an integer");
  EXPECT_FALSE(Check(R"({"access_token":"x","codes":["US"],"options":{"count":50.0}})"));
  e = Check(R"({"access_token":null,"codes":["US"]})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "access_token must not be null");
}

}  // namespace
}  // namespace linkhub::emulator
