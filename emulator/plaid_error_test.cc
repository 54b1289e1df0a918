#include "emulator/plaid_error.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace linkhub::emulator {
namespace {

TEST(PlaidErrorTest, CatalogueGivesPlaidTypesAndStatuses) {
  auto e = PlaidErrorFor("ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(e.type, "ITEM_ERROR");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(PlaidErrorFor("INTERNAL_SERVER_ERROR").status, 500);
  EXPECT_EQ(PlaidErrorFor("PLANNED_MAINTENANCE").status, 503);
  EXPECT_EQ(PlaidErrorFor("INVALID_PUBLIC_TOKEN").type, "INVALID_INPUT");
  EXPECT_EQ(PlaidErrorFor("MISSING_FIELDS", "custom").message, "custom");
  auto unknown = PlaidErrorFor("SOMETHING_NEW");
  EXPECT_EQ(unknown.type, "ITEM_ERROR");
  EXPECT_EQ(unknown.code, "SOMETHING_NEW");
}

TEST(PlaidErrorTest, RateLimitCodesFollowTheEndpoint) {
  auto e = RateLimitErrorFor("/accounts/get");
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.type, "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(e.code, "ACCOUNTS_LIMIT");
  EXPECT_EQ(RateLimitErrorFor("/unknown").code, "RATE_LIMIT");
}

TEST(PlaidErrorTest, EnvelopeHasAllSevenFieldsAndWebhookFormHasStatus) {
  auto o = ToJson(PlaidErrorFor("INSTITUTION_DOWN"), "rid123");
  for (const char* k : {"error_type", "error_code", "error_message", "display_message",
                        "request_id", "documentation_url", "suggested_action"}) {
    EXPECT_TRUE(o.contains(k)) << k;
  }
  EXPECT_EQ(o.at("documentation_url").as_string(),
            "https://plaid.com/docs/errors/institution/#institution_down");
  EXPECT_FALSE(o.contains("status"));
  auto w = ToWebhookJson(PlaidErrorFor("ITEM_LOGIN_REQUIRED"));
  EXPECT_EQ(w.at("status").as_int64(), 400);
  EXPECT_FALSE(w.contains("request_id"));
}

}  // namespace
}  // namespace linkhub::emulator
