#include "hub/account_status.h"

#include <gtest/gtest.h>

#include "fakes/fake_plaid.h"

namespace linkhub::hub {
namespace {

using domain::AccountStatus;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

domain::LinkedAccount Account(AccountStatus status, std::string first_reason = "") {
  domain::LinkedAccount a;
  a.id = "acc_1";
  a.status = status;
  if (!first_reason.empty()) {
    a.status_reasons = {domain::StatusReason{std::move(first_reason), "why", kNow}};
  }
  return a;
}

TEST(StatusAfterCallTest, LoginProblemsPutTheAccountInError) {
  for (const char* code : {"ITEM_LOGIN_REQUIRED", "PENDING_EXPIRATION", "ACCESS_NOT_GRANTED"}) {
    SCOPED_TRACE(code);
    Error e = fakes::PlaidError(400, "ITEM_ERROR", code);
    auto change = StatusAfterCall(Account(AccountStatus::kActive), &e, kNow);
    ASSERT_TRUE(change.has_value());
    EXPECT_EQ(change->status, AccountStatus::kError);
    ASSERT_EQ(change->reasons.size(), 1u);
    EXPECT_EQ(change->reasons[0].code, code);
    EXPECT_NE(change->reasons[0].description.find("re-link"), std::string::npos);
    EXPECT_EQ(change->reasons[0].timestamp, kNow);
  }
}

TEST(StatusAfterCallTest, AGoneItemMakesTheAccountInactive) {
  for (const char* code : {"INVALID_ACCESS_TOKEN", "ITEM_NOT_FOUND"}) {
    SCOPED_TRACE(code);
    Error e = fakes::PlaidError(400, "INVALID_INPUT", code);
    auto change = StatusAfterCall(Account(AccountStatus::kError, "ITEM_LOGIN_REQUIRED"), &e, kNow);
    ASSERT_TRUE(change.has_value());
    EXPECT_EQ(change->status, AccountStatus::kInactive);
    EXPECT_EQ(change->reasons.at(0).code, code);
  }
}

TEST(StatusAfterCallTest, ASuccessHealsOnlyAnAccountInError) {
  auto healed =
      StatusAfterCall(Account(AccountStatus::kError, "ITEM_LOGIN_REQUIRED"), nullptr, kNow);
  ASSERT_TRUE(healed.has_value());
  EXPECT_EQ(healed->status, AccountStatus::kActive);
  EXPECT_TRUE(healed->reasons.empty());
  EXPECT_FALSE(StatusAfterCall(Account(AccountStatus::kActive), nullptr, kNow).has_value());
}

TEST(StatusAfterCallTest, OutcomesThatSayNothingOfTheItemChangeNothing) {
  for (const Error& e :
       {fakes::PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR"),
        fakes::PlaidError(429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT"),
        fakes::PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"), fakes::NoAnswer()}) {
    SCOPED_TRACE(e.message);
    EXPECT_FALSE(StatusAfterCall(Account(AccountStatus::kActive), &e, kNow).has_value());
    EXPECT_FALSE(StatusAfterCall(Account(AccountStatus::kError, "ITEM_LOGIN_REQUIRED"), &e, kNow)
                     .has_value());
  }
}

TEST(StatusAfterCallTest, TheSameStatusForTheSameReasonIsNoChange) {
  Error login = fakes::PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED");
  EXPECT_FALSE(
      StatusAfterCall(Account(AccountStatus::kError, "ITEM_LOGIN_REQUIRED"), &login, kNow));
  // Another reason for the same status is a change (the reason shown must be the latest).
  Error expiring = fakes::PlaidError(400, "ITEM_ERROR", "PENDING_EXPIRATION");
  EXPECT_TRUE(
      StatusAfterCall(Account(AccountStatus::kError, "ITEM_LOGIN_REQUIRED"), &expiring, kNow));
}

}  // namespace
}  // namespace linkhub::hub
