#include "emulator/transactions.h"

#include <gtest/gtest.h>

#include <set>

namespace linkhub::emulator {
namespace {

using namespace std::chrono;

class TransactionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = Fixtures::LoadEmbedded();
    ASSERT_TRUE(f) << f.error().message;
    fixtures_ = std::make_unique<Fixtures>(std::move(*f));
    const auto& profile = fixtures_->Profile("us_standard");
    ASSERT_FALSE(profile.empty());
    p_.item_id = "item_abc";
    p_.seed = 42;
    p_.created_at = sys_days(year(2026) / 3 / 10) + 9h;
    p_.initial_delay = 5s;
    p_.historical_delay = 20s;
    p_.update_interval = 6h;
    for (size_t i = 0; i < profile.size(); ++i) {
      p_.accounts.push_back(TxAccount{"acct" + std::to_string(i), &profile[i]});
    }
  }
  std::unique_ptr<Fixtures> fixtures_;
  TxParams p_;
};

TEST_F(TransactionsTest, NothingBeforeTheFirstPullThenThirtyDaysThenHistory) {
  EXPECT_TRUE(Extractions(p_, p_.created_at + 4s).empty());
  EXPECT_EQ(StatusAt(p_, p_.created_at), UpdateStatus::kNotReady);
  EXPECT_TRUE(StateAt(p_, *fixtures_, p_.created_at).empty());

  auto initial = StateAt(p_, *fixtures_, p_.created_at + 5s);
  ASSERT_FALSE(initial.empty());
  auto created_day = floor<days>(p_.created_at);
  for (const auto& t : initial) {
    EXPECT_GE(t.date, created_day - days(30));
  }
  EXPECT_EQ(StatusAt(p_, p_.created_at + 5s), UpdateStatus::kInitialComplete);

  auto historical = StateAt(p_, *fixtures_, p_.created_at + 20s);
  EXPECT_GT(historical.size(), initial.size());
  EXPECT_LT(historical.front().date, created_day - days(60));
  EXPECT_EQ(StatusAt(p_, p_.created_at + 20s), UpdateStatus::kHistoricalComplete);
}

TEST_F(TransactionsTest, StatesAreDeterministicAndIdsUnique) {
  auto a = StateAt(p_, *fixtures_, p_.created_at + 1h);
  auto b = StateAt(p_, *fixtures_, p_.created_at + 1h);
  ASSERT_EQ(a.size(), b.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].transaction_id, b[i].transaction_id);
    EXPECT_EQ(a[i].amount, b[i].amount);
    EXPECT_TRUE(ids.insert(a[i].transaction_id).second) << a[i].transaction_id;
  }
  TxParams other = p_;
  other.item_id = "item_xyz";
  EXPECT_NE(StateAt(other, *fixtures_, p_.created_at + 1h).front().transaction_id,
            a.front().transaction_id);
}

TEST_F(TransactionsTest, TimePassingAddsPostsRevisesAndRemoves) {
  auto day0 = StateAt(p_, *fixtures_, p_.created_at + 1h);
  auto day10 = StateAt(p_, *fixtures_, p_.created_at + days(10));
  TxDiff d = Diff(day0, day10);
  EXPECT_FALSE(d.added.empty());
  EXPECT_FALSE(d.removed.empty());  // pending transactions replaced by their posted versions
  // Revisions show up as "modified" between pulls: count them over a month of daily pulls.
  size_t modified = 0;
  auto prev = day0;
  for (int day = 1; day <= 30; ++day) {
    auto next = StateAt(p_, *fixtures_, p_.created_at + days(day));
    modified += Diff(prev, next).modified.size();
    prev = std::move(next);
  }
  EXPECT_GT(modified, 0u);
  size_t posted_from_pending = 0;
  for (const Txn* t : d.added) {
    if (!t->pending_transaction_id.empty()) {
      ++posted_from_pending;
    }
  }
  EXPECT_GT(posted_from_pending, 0u);
  EXPECT_EQ(Diff(day10, day10).size(), 0u);
}

TEST_F(TransactionsTest, ExtractionsIncludeScheduledPullsAndRefreshes) {
  auto ex = Extractions(p_, p_.created_at + 13h);
  ASSERT_EQ(ex.size(), 4u);  // initial, historical, +6h, +12h
  p_.refreshes.push_back(p_.created_at + 1h);
  EXPECT_EQ(Extractions(p_, p_.created_at + 13h).size(), 5u);
}

TEST_F(TransactionsTest, CursorsRoundTripAndAreBoundToTheirItem) {
  SyncCursor c{3, 7, 200, CursorFilter("acct1")};
  std::string text = EncodeCursor("item_abc", c);
  auto back = DecodeCursor("item_abc", text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->from, 3u);
  EXPECT_EQ(back->to, 7u);
  EXPECT_EQ(back->offset, 200u);
  EXPECT_EQ(back->filter, CursorFilter("acct1"));
  EXPECT_NE(CursorFilter("acct1"), CursorFilter("acct2"));
  EXPECT_EQ(CursorFilter(""), 0u);
  EXPECT_FALSE(DecodeCursor("item_other", text));
  EXPECT_FALSE(DecodeCursor("item_abc", "garbage!"));
  EXPECT_LE(text.size(), 256u);
}

TEST_F(TransactionsTest, AccountsAddedLaterOnlyAppearInLaterPulls) {
  auto t0 = p_.created_at + days(2);
  auto before = StateAt(p_, *fixtures_, t0);
  p_.accounts[0].added_at = t0 + 1h;  // checking joins the Item after t0
  auto past = StateAt(p_, *fixtures_, t0);
  auto later = StateAt(p_, *fixtures_, t0 + 2h);
  EXPECT_LT(past.size(), before.size());  // the past pull no longer saw checking
  EXPECT_EQ(later.size(), before.size());
  for (const auto& t : past) {
    EXPECT_NE(t.account_id, "acct0");
  }
}

TEST_F(TransactionsTest, TransactionJsonHasPlaidRequiredFields) {
  auto state = StateAt(p_, *fixtures_, p_.created_at + 1h);
  auto o = TransactionJson(state.front(), *fixtures_, false);
  for (const char* k :
       {"transaction_id", "account_id", "amount", "iso_currency_code", "unofficial_currency_code",
        "date", "pending", "payment_meta", "location", "name", "authorized_date",
        "authorized_datetime", "datetime", "transaction_code", "pending_transaction_id",
        "account_owner", "payment_channel", "counterparties"}) {
    EXPECT_TRUE(o.contains(k)) << k;
  }
}

}  // namespace
}  // namespace linkhub::emulator
