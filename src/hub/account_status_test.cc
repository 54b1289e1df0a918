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
    EXPECT_EQ(change->reasons[0].code,
              std::string_view(code) == "ITEM_LOGIN_REQUIRED" ? "login_required" : code);
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
  EXPECT_FALSE(StatusAfterCall(Account(AccountStatus::kError, "login_required"), &login, kNow));
  // Another reason for the same status is a change (the reason shown must be the latest).
  Error expiring = fakes::PlaidError(400, "ITEM_ERROR", "PENDING_EXPIRATION");
  EXPECT_TRUE(
      StatusAfterCall(Account(AccountStatus::kError, "ITEM_LOGIN_REQUIRED"), &expiring, kNow));
}

PlaidWebhookNews Item(std::string code) { return PlaidWebhookNews{"ITEM", std::move(code)}; }

TEST(StatusAfterWebhookTest, EachRowOfTheTable) {
  struct Row {
    PlaidWebhookNews news;
    AccountStatus from;
    AccountStatus to;
    std::string reason;  // the last reason's code; "" for none
  };
  PlaidWebhookNews login = Item("ERROR");
  login.error_code = "ITEM_LOGIN_REQUIRED";
  PlaidWebhookNews other = Item("ERROR");
  other.error_code = "INSTITUTION_NOT_RESPONDING";
  PlaidWebhookNews expiring = Item("PENDING_EXPIRATION");
  expiring.consent_expiration_time = kNow + std::chrono::hours(24 * 7);
  const Row rows[] = {
      {login, AccountStatus::kActive, AccountStatus::kError, "login_required"},
      {Item("LOGIN_REPAIRED"), AccountStatus::kError, AccountStatus::kActive, ""},
      {expiring, AccountStatus::kActive, AccountStatus::kActive, "consent_expiring"},
      {Item("PENDING_DISCONNECT"), AccountStatus::kActive, AccountStatus::kActive,
       "pending_disconnect"},
      {Item("USER_PERMISSION_REVOKED"), AccountStatus::kActive, AccountStatus::kInactive,
       "revoked"},
      {Item("USER_ACCOUNT_REVOKED"), AccountStatus::kError, AccountStatus::kInactive, "revoked"},
      {Item("NEW_ACCOUNTS_AVAILABLE"), AccountStatus::kActive, AccountStatus::kActive,
       "new_accounts_available"},
      {other, AccountStatus::kActive, AccountStatus::kError, "INSTITUTION_NOT_RESPONDING"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.news.webhook_code + " " + row.news.error_code.value_or(""));
    auto verdict = StatusAfterWebhook(
        Account(row.from, row.from == AccountStatus::kError ? "login_required" : ""), row.news,
        kNow);
    ASSERT_TRUE(verdict.change.has_value()) << verdict.outcome;
    EXPECT_EQ(verdict.change->status, row.to);
    EXPECT_EQ(verdict.change->reasons.empty() ? "" : verdict.change->reasons.back().code,
              row.reason);
    EXPECT_FALSE(verdict.transactions_updates);
  }
}

TEST(StatusAfterWebhookTest, ConsentExpiringCarriesTheDate) {
  PlaidWebhookNews expiring = Item("PENDING_EXPIRATION");
  expiring.consent_expiration_time = kNow + std::chrono::hours(48);
  auto verdict = StatusAfterWebhook(Account(AccountStatus::kActive), expiring, kNow);
  ASSERT_TRUE(verdict.change.has_value());
  ASSERT_EQ(verdict.change->reasons.size(), 1u);
  EXPECT_EQ(verdict.change->reasons[0].expires_at, expiring.consent_expiration_time);
  EXPECT_NE(verdict.change->reasons[0].description.find(
                FormatRfc3339(*expiring.consent_expiration_time).substr(0, 10)),
            std::string::npos);
  // The same news again is no change; a later date is.
  domain::LinkedAccount warned = Account(AccountStatus::kActive);
  warned.status_reasons = verdict.change->reasons;
  EXPECT_FALSE(StatusAfterWebhook(warned, expiring, kNow).change.has_value());
  expiring.consent_expiration_time = kNow + std::chrono::hours(96);
  EXPECT_TRUE(StatusAfterWebhook(warned, expiring, kNow).change.has_value());
}

TEST(StatusAfterWebhookTest, AWarningOnAnAccountInErrorKeepsTheError) {
  auto verdict = StatusAfterWebhook(Account(AccountStatus::kError, "login_required"),
                                    Item("PENDING_DISCONNECT"), kNow);
  ASSERT_TRUE(verdict.change.has_value());
  EXPECT_EQ(verdict.change->status, AccountStatus::kError);
  ASSERT_EQ(verdict.change->reasons.size(), 2u);
  EXPECT_EQ(verdict.change->reasons[0].code, "login_required");
  EXPECT_EQ(verdict.change->reasons[1].code, "pending_disconnect");
}

TEST(StatusAfterWebhookTest, NewTransactionsAreNewsNotAChange) {
  PlaidWebhookNews sync{"TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"};
  auto verdict = StatusAfterWebhook(Account(AccountStatus::kActive), sync, kNow);
  EXPECT_FALSE(verdict.change.has_value());
  EXPECT_TRUE(verdict.transactions_updates);
  EXPECT_FALSE(
      StatusAfterWebhook(Account(AccountStatus::kInactive), sync, kNow).transactions_updates);
}

TEST(StatusAfterWebhookTest, AGoneOrDeletedAccountChangesNoMore) {
  PlaidWebhookNews login = Item("ERROR");
  login.error_code = "ITEM_LOGIN_REQUIRED";
  EXPECT_FALSE(StatusAfterWebhook(Account(AccountStatus::kInactive), login, kNow).change);
  domain::LinkedAccount deleted = Account(AccountStatus::kActive);
  deleted.deleted_at = kNow;
  EXPECT_FALSE(StatusAfterWebhook(deleted, login, kNow).change);
  EXPECT_FALSE(
      StatusAfterWebhook(Account(AccountStatus::kActive), Item("WEBHOOK_UPDATE_ACKNOWLEDGED"), kNow)
          .change);
}

TEST(RelinkModeTest, TheRightUpdateModeForEachReason) {
  EXPECT_EQ(RelinkModeFor("login_required"), "update");
  EXPECT_EQ(RelinkModeFor("consent_expiring"), "update");
  EXPECT_EQ(RelinkModeFor("new_accounts_available"), "update_accounts");
  EXPECT_EQ(RelinkModeFor("revoked"), "link_again");
  EXPECT_EQ(RelinkModeFor(""), "");
}

}  // namespace
}  // namespace linkhub::hub
