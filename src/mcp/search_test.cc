#include "mcp/search.h"

#include <gtest/gtest.h>

namespace linkhub::mcp {
namespace {

std::vector<std::string> Names(const std::vector<SearchHit>& hits) {
  std::vector<std::string> out;
  out.reserve(hits.size());
  for (const auto& h : hits) {
    out.push_back(h.action->id);
  }
  return out;
}

TEST(SearchTest, BestMatchFirst) {
  auto hits = SearchActions("transactions since the last sync", 5, nullptr);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits.front().action->id, "plaid_sync_transactions");
  EXPECT_EQ(SearchActions("routing number", 3, nullptr).front().action->id, "plaid_get_auth");
  EXPECT_EQ(SearchActions("account holder names and addresses", 3, nullptr).front().action->id,
            "plaid_get_identity");
  auto balances = Names(SearchActions("account balances", 5, nullptr));
  EXPECT_NE(std::find(balances.begin(), balances.end(), "plaid_get_balances"), balances.end());
}

TEST(SearchTest, ScoresAreDescendingFractions) {
  auto hits = SearchActions("investment holdings", 13, nullptr);
  ASSERT_GE(hits.size(), 2u);
  EXPECT_EQ(hits.front().action->id, "plaid_list_holdings");
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_GT(hits[i].score, 0);
    EXPECT_LE(hits[i].score, 1);
    if (i > 0) {
      EXPECT_LE(hits[i].score, hits[i - 1].score);
    }
  }
}

TEST(SearchTest, LimitEligibilityAndNoMatch) {
  EXPECT_EQ(SearchActions("transactions", 2, nullptr).size(), 2u);
  auto only_reads =
      SearchActions("refresh transactions", 13, [](const plaid::Action& a) { return a.read_only; });
  for (const auto& h : only_reads) {
    EXPECT_TRUE(h.action->read_only) << h.action->id;
  }
  EXPECT_TRUE(SearchActions("zebra xylophone", 5, nullptr).empty());
  EXPECT_TRUE(SearchActions("", 5, nullptr).empty());
  EXPECT_TRUE(SearchActions("the and of", 5, nullptr).empty());
}

}  // namespace
}  // namespace linkhub::mcp
