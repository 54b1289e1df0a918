// Orphaned Items on SQLite (migration 8).
#include <gtest/gtest.h>

#include <algorithm>

#include "store/test_db.h"

namespace linkhub::store {
namespace {

using domain::OrphanCertainty;
using domain::OrphanItem;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

class OrphanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "A", kNow));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "B", kNow));
  }

  static OrphanItem Orphan(const std::string& exchange, OrphanCertainty certainty,
                           const std::string& project = "proj_a") {
    OrphanItem o;
    o.id = domain::OrphanIdForExchange(exchange);
    o.project_id = project;
    o.certainty = certainty;
    o.exchange_id = exchange;
    o.reason = "why";
    o.created_at = kNow;
    return o;
  }

  MemoryStores m_;
};

TEST_F(OrphanStoreTest, APossibleOrphanBecomesDefiniteInPlaceAndKeepsWhatWasKnown) {
  OrphanItem first = Orphan("exch_1", OrphanCertainty::kPossible);
  first.link_session_id = "lsid-1";
  first.access_token_sealed = "sealed-token";
  ASSERT_TRUE(m_.orphans.RecordOrphan(first));
  OrphanItem later = Orphan("exch_1", OrphanCertainty::kDefinite);
  later.reason = "INVALID_PUBLIC_TOKEN on a retry";
  ASSERT_TRUE(m_.orphans.RecordOrphan(later));

  auto listed = m_.orphans.ListOrphans("proj_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  const OrphanItem& o = listed->front();
  EXPECT_EQ(o.id, "orph_1");
  EXPECT_EQ(o.certainty, OrphanCertainty::kDefinite);
  EXPECT_EQ(o.reason, "INVALID_PUBLIC_TOKEN on a retry");
  EXPECT_EQ(o.link_session_id, "lsid-1");
  EXPECT_EQ(o.access_token_sealed, "sealed-token");
  EXPECT_EQ(o.created_at, kNow);
}

TEST_F(OrphanStoreTest, AnExchangeThatLinksForgetsItsPossibleOrphanOnly) {
  // InsertAccount links through the exchange "exch_<account id>".
  ASSERT_TRUE(m_.orphans.RecordOrphan(Orphan("exch_acc_p", OrphanCertainty::kPossible)));
  ASSERT_TRUE(m_.orphans.RecordOrphan(Orphan("exch_acc_d", OrphanCertainty::kDefinite)));
  ASSERT_TRUE(m_.orphans.RecordOrphan(Orphan("exch_other", OrphanCertainty::kPossible)));
  for (const char* id : {"acc_p", "acc_d"}) {
    domain::LinkedAccount a;
    a.id = id;
    a.project_id = "proj_a";
    a.origin_owner_id = "owner";
    a.created_at = a.updated_at = kNow;
    ASSERT_TRUE(InsertAccount(m_.exchanges, a));
  }
  auto listed = m_.orphans.ListOrphans("");
  ASSERT_TRUE(listed);
  std::vector<std::string> left;
  for (const auto& o : *listed) {
    left.push_back(o.exchange_id.value_or(""));
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"exch_acc_d", "exch_other"}));
}

TEST_F(OrphanStoreTest, ListsArePerProjectAndRemovedOrphansLeaveThem) {
  ASSERT_TRUE(m_.orphans.RecordOrphan(Orphan("exch_a", OrphanCertainty::kDefinite)));
  ASSERT_TRUE(m_.orphans.RecordOrphan(Orphan("exch_b", OrphanCertainty::kDefinite, "proj_b")));
  EXPECT_EQ(m_.orphans.ListOrphans("proj_a")->size(), 1u);
  EXPECT_EQ(m_.orphans.ListOrphans("")->size(), 2u);
  // Another project's orphan is not found, and a row of one project is never overwritten by
  // another's record with the same id.
  EXPECT_EQ(m_.orphans.MarkOrphanRemoved("proj_a", "orph_b", kNow).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(m_.orphans.RecordOrphan(Orphan("exch_b", OrphanCertainty::kPossible, "proj_a")));
  EXPECT_EQ(m_.orphans.ListOrphans("proj_b")->front().certainty, OrphanCertainty::kDefinite);
  ASSERT_TRUE(m_.orphans.MarkOrphanRemoved("proj_a", "orph_a", kNow));
  EXPECT_TRUE(m_.orphans.ListOrphans("proj_a")->empty());
  EXPECT_EQ(m_.orphans.MarkOrphanRemoved("proj_a", "orph_a", kNow).error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace linkhub::store
