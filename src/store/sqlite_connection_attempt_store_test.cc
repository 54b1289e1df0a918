// Project allowed origins and Hub connection attempts on SQLite (migration 5).
#include <gtest/gtest.h>

#include "store/sqlite_project_store.h"
#include "store/test_db.h"

namespace linkhub::store {
namespace {

using domain::AttemptStatus;
using domain::ConnectionAttempt;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

class HubPageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "A", kNow));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "B", kNow));
  }

  ConnectionAttempt Attempt(std::string id, std::string project = "proj_a", int64_t session = 1) {
    ConnectionAttempt a;
    a.id = std::move(id);
    a.project_id = std::move(project);
    a.session_id = session;
    a.created_at = a.updated_at = kNow;
    return a;
  }

  MemoryStores m_;
};

TEST_F(HubPageStoreTest, AllowedOriginsStartEmptyAndAreReplacedWhole) {
  EXPECT_TRUE(m_.projects.GetProject("proj_a")->allowed_origins.empty());
  ASSERT_TRUE(
      m_.projects.SetAllowedOrigins("proj_a", {"https://a.example", "http://127.0.0.1:3000"}));
  EXPECT_EQ(m_.projects.GetProject("proj_a")->allowed_origins,
            (std::vector<std::string>{"https://a.example", "http://127.0.0.1:3000"}));
  EXPECT_TRUE(m_.projects.GetProject("proj_b")->allowed_origins.empty()) << "per project";
  auto listed = m_.projects.ListProjects();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->at(0).allowed_origins.size(), 2u);
  ASSERT_TRUE(m_.projects.SetAllowedOrigins("proj_a", {}));
  EXPECT_TRUE(m_.projects.GetProject("proj_a")->allowed_origins.empty());
  auto missing = m_.projects.SetAllowedOrigins("proj_zz", {"https://a.example"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(HubPageStoreTest, AttemptsAreScopedToTheirProjectAndSession) {
  ASSERT_TRUE(m_.attempts.CreateConnectionAttempt(Attempt("ca_1")));
  auto got = m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, AttemptStatus::kPending);
  EXPECT_EQ(got->created_at, kNow);
  for (auto [project, session] : {std::pair{"proj_b", 1}, std::pair{"proj_a", 2}}) {
    auto other = m_.attempts.GetConnectionAttempt(project, session, "ca_1");
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
    auto cancel = m_.attempts.CancelConnectionAttempt(project, session, "ca_1", kNow);
    ASSERT_FALSE(cancel);
    EXPECT_EQ(cancel.error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(m_.attempts.CompleteConnectionAttempts(project, session, "acc_x", kNow));
  }
  EXPECT_EQ(m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_1")->status, AttemptStatus::kPending)
      << "another project's or session's link completes nothing here";
}

TEST_F(HubPageStoreTest, PendingAttemptsCompleteOrCancelOnce) {
  ASSERT_TRUE(m_.attempts.CreateConnectionAttempt(Attempt("ca_1")));
  ASSERT_TRUE(m_.attempts.CreateConnectionAttempt(Attempt("ca_2")));
  const TimePoint later = kNow + std::chrono::seconds(5);
  ASSERT_TRUE(m_.attempts.CancelConnectionAttempt("proj_a", 1, "ca_2", later));
  ASSERT_TRUE(m_.attempts.CompleteConnectionAttempts("proj_a", 1, "acc_1", later));
  auto one = m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_1");
  EXPECT_EQ(one->status, AttemptStatus::kAuthenticated);
  EXPECT_EQ(one->account_id, "acc_1");
  EXPECT_EQ(one->updated_at, later);
  auto two = m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_2");
  EXPECT_EQ(two->status, AttemptStatus::kCancelled);
  EXPECT_EQ(two->account_id, std::nullopt);
  // Neither changes again: a later link or cancel leaves them as they are.
  ASSERT_TRUE(m_.attempts.CompleteConnectionAttempts("proj_a", 1, "acc_2", later));
  ASSERT_TRUE(m_.attempts.CancelConnectionAttempt("proj_a", 1, "ca_1", later));
  EXPECT_EQ(m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_1")->account_id, "acc_1");
  EXPECT_EQ(m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_1")->status,
            AttemptStatus::kAuthenticated);
  EXPECT_EQ(m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_2")->status,
            AttemptStatus::kCancelled);
}

TEST_F(HubPageStoreTest, ASessionMakesABoundedNumberOfAttempts) {
  for (int i = 0; i < domain::kConnectionAttemptsPerSession; ++i) {
    ASSERT_TRUE(m_.attempts.CreateConnectionAttempt(Attempt("ca_" + std::to_string(i))));
  }
  auto over = m_.attempts.CreateConnectionAttempt(Attempt("ca_over"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(m_.attempts.GetConnectionAttempt("proj_a", 1, "ca_over"));
  // Another session of the project has its own allowance.
  EXPECT_TRUE(m_.attempts.CreateConnectionAttempt(Attempt("ca_s2", "proj_a", 2)));
}

}  // namespace
}  // namespace linkhub::store
