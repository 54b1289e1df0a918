#include <gtest/gtest.h>

#include "domain/account.h"
#include "domain/exchange.h"
#include "domain/orphan.h"
#include "domain/session.h"

namespace linkhub::domain {
namespace {

TEST(AccountStatusTest, EverySpellingRoundTrips) {
  for (auto s : {AccountStatus::kActive, AccountStatus::kInactive, AccountStatus::kError,
                 AccountStatus::kSuspended}) {
    EXPECT_EQ(ParseAccountStatus(ToString(s)), s);
  }
  EXPECT_EQ(ToString(AccountStatus::kSuspended), "suspended");
}

TEST(AccountStatusTest, OtherSpellingsAreRefused) {
  EXPECT_EQ(ParseAccountStatus("Active"), std::nullopt);
  EXPECT_EQ(ParseAccountStatus(""), std::nullopt);
  EXPECT_EQ(ParseAccountStatus("deleted"), std::nullopt);
}

TEST(AccountStatusTest, OnlyInactiveAccountsHoldNoItem) {
  EXPECT_TRUE(HoldsLiveItem(AccountStatus::kActive));
  EXPECT_TRUE(HoldsLiveItem(AccountStatus::kError));
  EXPECT_TRUE(HoldsLiveItem(AccountStatus::kSuspended));
  EXPECT_FALSE(HoldsLiveItem(AccountStatus::kInactive));
}

TEST(OrphanCertaintyTest, EverySpellingRoundTrips) {
  for (auto c : {OrphanCertainty::kDefinite, OrphanCertainty::kPossible}) {
    EXPECT_EQ(ParseOrphanCertainty(ToString(c)), c);
  }
  EXPECT_EQ(ParseOrphanCertainty("maybe"), std::nullopt);
}

TEST(ExchangeStateTest, EverySpellingRoundTrips) {
  for (auto s : {ExchangeState::kPending, ExchangeState::kLinked, ExchangeState::kFailed}) {
    EXPECT_EQ(ParseExchangeState(ToString(s)), s);
  }
  EXPECT_EQ(ParseExchangeState("done"), std::nullopt);
}

TEST(AttemptStatusTest, EverySpellingRoundTrips) {
  for (auto s :
       {AttemptStatus::kPending, AttemptStatus::kAuthenticated, AttemptStatus::kCancelled}) {
    EXPECT_EQ(ParseAttemptStatus(ToString(s)), s);
  }
  EXPECT_EQ(ParseAttemptStatus("canceled"), std::nullopt);
}

}  // namespace
}  // namespace linkhub::domain
