#include "store/sqlite_project_store.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/test_db.h"

namespace linkhub::store {
namespace {

using domain::ApiKey;
using domain::StoredDataKey;

class SqliteProjectStoreTest : public ::testing::Test {
 protected:
  TimePoint now_ = TimePoint(std::chrono::seconds(1767225600));
  MemoryStores m_;
};

TEST_F(SqliteProjectStoreTest, ProjectsGetIncreasingNumericIds) {
  auto a = m_.projects.CreateProject("proj_a", "Acme", now_);
  auto b = m_.projects.CreateProject("proj_b", "Beta", now_);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->numeric_id, 1);
  EXPECT_EQ(b->numeric_id, 2);
  EXPECT_EQ(m_.projects.GetProject("proj_b")->name, "Beta");
  EXPECT_EQ(m_.projects.GetProject("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(m_.projects.CreateProject("proj_a", "Again", now_).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(m_.projects.ListProjects()->size(), 2u);
}

TEST_F(SqliteProjectStoreTest, ApiKeysAuthenticateUntilRevokedAndStayInTheirProject) {
  ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", now_));
  ASSERT_TRUE(m_.projects.CreateProject("proj_b", "Beta", now_));
  ASSERT_TRUE(m_.api_keys.AddApiKey(ApiKey{
      "key_1", "proj_a", "hash1", "lh_ab12", "ci", now_, std::nullopt,
      domain::KeyLimits{std::vector<std::string>{"plaid_list_accounts", "plaid_get_item"}, true}}));
  auto found = m_.api_keys.FindActiveApiKey("hash1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->project_id, "proj_a");
  ASSERT_TRUE(found->limits.actions);
  EXPECT_EQ(*found->limits.actions,
            (std::vector<std::string>{"plaid_list_accounts", "plaid_get_item"}));
  EXPECT_TRUE(found->limits.read_only);
  EXPECT_EQ(
      m_.api_keys.AddApiKey(ApiKey{"key_2", "proj_b", "hash1", "x", "dup", now_, std::nullopt, {}})
          .error()
          .code,
      ErrorCode::kAlreadyExists);
  // Another project cannot revoke it.
  EXPECT_EQ(m_.api_keys.RevokeApiKey("proj_b", "key_1", now_).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(m_.api_keys.RevokeApiKey("proj_a", "key_1", now_));
  EXPECT_EQ(m_.api_keys.FindActiveApiKey("hash1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(m_.api_keys.RevokeApiKey("proj_a", "key_1", now_).error().code, ErrorCode::kNotFound);
  auto listed = m_.api_keys.ListApiKeys("proj_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->at(0).revoked_at.has_value());
  EXPECT_TRUE(m_.api_keys.ListApiKeys("proj_b")->empty());
}

TEST_F(SqliteProjectStoreTest, ExactlyOneDataKeyIsActive) {
  ASSERT_TRUE(m_.data_keys.AddActiveDataKey(
      StoredDataKey{"dk_1", "lh1:master:AAA", true, now_, std::nullopt}));
  ASSERT_TRUE(m_.data_keys.AddActiveDataKey(
      StoredDataKey{"dk_2", "lh1:master:BBB", true, now_, std::nullopt}));
  auto keys = m_.data_keys.ListDataKeys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_FALSE(keys->at(0).active);
  EXPECT_TRUE(keys->at(1).active);
  EXPECT_EQ(keys->at(1).wrapped, "lh1:master:BBB");
}

}  // namespace
}  // namespace linkhub::store
