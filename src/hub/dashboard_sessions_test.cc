#include <gtest/gtest.h>

#include "hub/dashboard_sessions_impl.h"
#include "hub/projects_impl.h"
#include "store/test_db.h"

namespace linkhub::hub {
namespace {

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";  // 32 bytes

class DashboardSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    projects_ = std::make_unique<ProjectsImpl>(m_.projects, m_.api_keys, *keys_, clock_, random_);
    auto a = projects_->Create("Acme", {});
    ASSERT_TRUE(a);
    project_a_ = a->project.id;
    key_a_ = a->api_key;
    sessions_ = std::make_unique<DashboardSessionsImpl>(
        m_.dashboard_sessions, m_.api_keys, *keys_, clock_, random_, DashboardSessions::Limits{});
  }

  // How many session rows the database holds, and whether any holds `text` in a column.
  int64_t Rows(std::string_view text = "") {
    auto lock = m_.db->Lock();
    auto q = m_.db->Prepare(
        "SELECT COUNT(*) FROM dashboard_sessions WHERE ?1 = '' OR id_hash = ?1 OR project_id = "
        "?1 OR api_key_hash = ?1");
    EXPECT_TRUE(q);
    q->Bind(1, text);
    auto row = q->Step();
    EXPECT_TRUE(row && *row);
    return q->ColumnInt(0);
  }

  FakeClock clock_;
  SeededRandom random_{7};
  store::MemoryStores m_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<ProjectsImpl> projects_;
  std::unique_ptr<DashboardSessionsImpl> sessions_;
  std::string project_a_;
  NewApiKey key_a_;
};

TEST_F(DashboardSessionsTest, SignInOpensASessionStoredOnlyAsAHash) {
  auto opened = sessions_->SignIn(key_a_.key);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->project_id, project_a_);
  EXPECT_TRUE(opened->session_id.starts_with("lhds_"));
  EXPECT_GE(opened->session_id.size(), 40u);
  EXPECT_EQ(opened->expires_at, clock_.Now() + std::chrono::hours(12));
  EXPECT_EQ(Rows(), 1);
  EXPECT_EQ(Rows(opened->session_id), 0);  // never the id itself
  EXPECT_EQ(Rows(key_a_.key), 0);          // nor the API key

  auto live = sessions_->Authenticate(opened->session_id);
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_EQ(live->project_id, project_a_);
  EXPECT_EQ(live->csrf_token, opened->csrf_token);
  EXPECT_EQ(live->idle_expires_at, clock_.Now() + std::chrono::minutes(30));
}

TEST_F(DashboardSessionsTest, BadKeysAndUnknownSessionsAreRefused) {
  for (const std::string& key :
       {std::string(), std::string("lh_live_nope"), key_a_.key.substr(1)}) {
    auto s = sessions_->SignIn(key);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(sessions_->Authenticate("lhds_unknown").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(sessions_->Authenticate("").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(sessions_->Authenticate(std::string(300, 'x')).error().code,
            ErrorCode::kUnauthenticated);
}

TEST_F(DashboardSessionsTest, IdleLimitIsRefreshedByUse) {
  auto opened = sessions_->SignIn(key_a_.key);
  ASSERT_TRUE(opened);
  for (int i = 0; i < 6; ++i) {  // 2.5 hours of activity, 25 minutes apart
    clock_.Advance(std::chrono::minutes(25));
    ASSERT_TRUE(sessions_->Authenticate(opened->session_id)) << i;
  }
  clock_.Advance(std::chrono::minutes(31));
  EXPECT_EQ(sessions_->Authenticate(opened->session_id).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(Rows(), 0);  // an expired session is deleted
}

TEST_F(DashboardSessionsTest, AbsoluteLimitHoldsWhateverTheActivity) {
  auto opened = sessions_->SignIn(key_a_.key);
  ASSERT_TRUE(opened);
  for (int i = 0; i < 12 * 3 - 1; ++i) {
    clock_.Advance(std::chrono::minutes(20));
    ASSERT_TRUE(sessions_->Authenticate(opened->session_id)) << i;
  }
  clock_.Advance(std::chrono::minutes(20));  // 12 hours after signing in
  EXPECT_EQ(sessions_->Authenticate(opened->session_id).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(DashboardSessionsTest, SignOutAndKeyRevocationEndTheSession) {
  auto first = sessions_->SignIn(key_a_.key);
  auto second = sessions_->SignIn(key_a_.key);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->session_id, second->session_id);
  EXPECT_NE(first->csrf_token, second->csrf_token);

  ASSERT_TRUE(sessions_->SignOut(first->session_id));
  EXPECT_FALSE(sessions_->Authenticate(first->session_id));
  EXPECT_TRUE(sessions_->Authenticate(second->session_id));
  EXPECT_TRUE(sessions_->SignOut("lhds_unknown"));

  ASSERT_TRUE(projects_->RevokeApiKey(project_a_, key_a_.stored.id));
  EXPECT_EQ(sessions_->Authenticate(second->session_id).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(sessions_->SignIn(key_a_.key).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(DashboardSessionsTest, CsrfTokenBelongsToItsSession) {
  auto a = sessions_->SignIn(key_a_.key);
  auto b = sessions_->SignIn(key_a_.key);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(sessions_->CheckCsrf(a->session_id, a->csrf_token));
  EXPECT_FALSE(sessions_->CheckCsrf(a->session_id, b->csrf_token));
  EXPECT_FALSE(sessions_->CheckCsrf(a->session_id, ""));
  EXPECT_FALSE(sessions_->CheckCsrf(a->session_id, a->csrf_token.substr(1)));
  EXPECT_FALSE(sessions_->CheckCsrf("", a->csrf_token));
}

TEST_F(DashboardSessionsTest, SignInClearsExpiredSessions) {
  ASSERT_TRUE(sessions_->SignIn(key_a_.key));
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(sessions_->SignIn(key_a_.key));
  EXPECT_EQ(Rows(), 1);
}

}  // namespace
}  // namespace linkhub::hub
