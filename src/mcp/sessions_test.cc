#include "mcp/sessions.h"

#include <gtest/gtest.h>

namespace linkhub::mcp {
namespace {

Session For(std::string key_id) {
  return Session{"proj_a", std::move(key_id), "acc_1", "2025-11-25", false};
}

class SessionsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  SeededRandom random_{7};
};

TEST_F(SessionsTest, BoundToTheKeyThatOpenedIt) {
  SessionTable table(clock_, random_);
  auto id = table.Open(For("key_1"));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  auto found = table.Find(*id, "key_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->account_id, "acc_1");
  EXPECT_FALSE(table.Find(*id, "key_2"));
  EXPECT_FALSE(table.Close(*id, "key_2"));
  EXPECT_TRUE(table.Close(*id, "key_1"));
  EXPECT_FALSE(table.Find(*id, "key_1"));
  EXPECT_FALSE(table.Close(*id, "key_1"));
}

TEST_F(SessionsTest, IdleSessionsExpireAndUseRenewsThem) {
  SessionTable table(clock_, random_, SessionLimits{10, 10, std::chrono::seconds(60)});
  auto a = table.Open(For("key_1"));
  auto b = table.Open(For("key_1"));
  ASSERT_TRUE(a && b);
  clock_.Advance(std::chrono::seconds(40));
  EXPECT_TRUE(table.Find(*a, "key_1"));  // renewed; b is not
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_TRUE(table.Find(*a, "key_1"));
  EXPECT_FALSE(table.Find(*b, "key_1"));
}

TEST_F(SessionsTest, CapsPerKeyAndInAll) {
  SessionTable table(clock_, random_, SessionLimits{3, 2, std::chrono::seconds(60)});
  auto first = table.Open(For("key_1"));
  clock_.Advance(std::chrono::seconds(1));
  auto second = table.Open(For("key_1"));
  clock_.Advance(std::chrono::seconds(1));
  auto third = table.Open(For("key_1"));  // the key's oldest session ends
  ASSERT_TRUE(first && second && third);
  EXPECT_FALSE(table.Find(*first, "key_1"));
  EXPECT_TRUE(table.Find(*second, "key_1"));
  EXPECT_TRUE(table.Find(*third, "key_1"));
  ASSERT_TRUE(table.Open(For("key_2")));
  auto full = table.Open(For("key_3"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kResourceExhausted);
  clock_.Advance(std::chrono::seconds(61));  // all idle: swept to make room
  EXPECT_TRUE(table.Open(For("key_3")));
  EXPECT_EQ(table.Size(), 1u);
}

}  // namespace
}  // namespace linkhub::mcp
