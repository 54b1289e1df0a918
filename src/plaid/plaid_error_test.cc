#include <gtest/gtest.h>

#include "core/json.h"
#include "plaid/plaid_client.h"

namespace linkhub::plaid {
namespace {

Error Map(int status, std::string_view type, std::string_view code) {
  boost::json::object body{{"error_type", type},
                           {"error_code", code},
                           {"error_message", "msg"},
                           {"display_message", nullptr},
                           {"request_id", "rid1"}};
  return ErrorForPlaid(status, body);
}

TEST(ErrorForPlaidTest, MapsPlaidFamiliesToLinkhubCodes) {
  EXPECT_EQ(Map(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Map(400, "INVALID_REQUEST", "MISSING_FIELDS").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Map(400, "INVALID_INPUT", "INVALID_API_KEYS").code, ErrorCode::kInternal);
  EXPECT_EQ(Map(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED").code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Map(429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT").code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(Map(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN").code, ErrorCode::kUnavailable);
  EXPECT_EQ(Map(503, "API_ERROR", "PLANNED_MAINTENANCE").code, ErrorCode::kUnavailable);
  EXPECT_EQ(Map(500, "API_ERROR", "INTERNAL_SERVER_ERROR").code, ErrorCode::kUpstream);
}

TEST(ErrorForPlaidTest, CarriesPlaidsDetailsForProviderErrors) {
  Error e = Map(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED");
  ASSERT_TRUE(e.provider.has_value());
  EXPECT_EQ(e.provider->http_status, 400);
  EXPECT_EQ(e.provider->error_type, "ITEM_ERROR");
  EXPECT_EQ(e.provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(e.provider->request_id, "rid1");
  EXPECT_NE(e.message.find("ITEM_LOGIN_REQUIRED"), std::string::npos);
}

TEST(ErrorForPlaidTest, TokensPlaidEchoesInItsMessageAreRedacted) {
  boost::json::object body{
      {"error_type", "INVALID_INPUT"},
      {"error_code", "PRODUCT_NOT_ENABLED"},
      {"error_message",
       "the 'assets' product is not enabled for the following access tokens: "
       "access-sandbox-fb88b20c-7b74-4197-8d01-0ab122dad0bc. please ensure that ..."},
      {"request_id", "rid2"}};
  Error e = ErrorForPlaid(400, body);
  EXPECT_EQ(e.message.find("fb88b20c"), std::string::npos);
  EXPECT_EQ(e.provider->error_message.find("fb88b20c"), std::string::npos);
  EXPECT_NE(e.provider->error_message.find("access-sandbox-[redacted]. please"), std::string::npos);
  EXPECT_EQ(RedactTokens("public-production-1234-ab and link-sandbox-x, no public-key-x here"),
            "public-production-[redacted] and link-sandbox-[redacted], no public-key-[redacted] "
            "here");
  EXPECT_EQ(RedactTokens("hyper-link and access-"), "hyper-link and access-");
}

TEST(ErrorForPlaidTest, EnvironmentsHavePlaidsHosts) {
  EXPECT_EQ(*BaseUrlForEnvironment("sandbox"), "https://sandbox.plaid.com");
  EXPECT_EQ(*BaseUrlForEnvironment("production"), "https://production.plaid.com");
  EXPECT_FALSE(BaseUrlForEnvironment("development"));  // decommissioned by Plaid
}

}  // namespace
}  // namespace linkhub::plaid
