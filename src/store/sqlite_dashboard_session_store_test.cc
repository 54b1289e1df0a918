// What the dashboard needs from the store: sign-ins (SqliteDashboardSessionStore) and account
// suspension (SqliteAccountStore::SuspendAccount / ResumeAccount).
#include "store/sqlite_dashboard_session_store.h"

#include <gtest/gtest.h>

#include "store/sqlite_project_store.h"
#include "store/test_db.h"

namespace linkhub::store {
namespace {

using domain::AccountStatus;
using domain::DashboardSession;
using domain::LinkedAccount;
using domain::StatusReason;

constexpr auto kNow = TimePoint(std::chrono::seconds(1767225600));

class DashboardStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", kNow));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "Beta", kNow));
  }

  DashboardSession Session(const std::string& id_hash, TimePoint created) {
    DashboardSession s;
    s.id_hash = id_hash;
    s.project_id = "proj_a";
    s.api_key_hash = "keyhash";
    s.created_at = s.last_seen_at = created;
    s.expires_at = created + std::chrono::hours(12);
    return s;
  }

  // Stores an account through a completed exchange (the only way the store allows).
  void InsertAccount(const std::string& id, const std::string& project_id = "proj_a") {
    LinkedAccount a;
    a.id = id;
    a.project_id = project_id;
    a.origin_owner_id = "owner-1";
    a.origin_owner_name = "Owner";
    a.environment = "sandbox";
    a.access_token_sealed = "sealed";
    a.item_id_sealed = "sealed";
    a.item_id_hash = "itemhash-" + id;
    a.created_at = a.updated_at = kNow;
    ASSERT_TRUE(store::InsertAccount(m_.exchanges, a));
  }

  LinkedAccount Get(const std::string& id) {
    auto a = m_.accounts.GetAccount("proj_a", id);
    EXPECT_TRUE(a);
    return a ? *a : LinkedAccount{};
  }

  MemoryStores m_;
};

TEST_F(DashboardStoreTest, SessionsRoundTripAndAreFoundOnlyByTheirHash) {
  ASSERT_TRUE(m_.dashboard_sessions.CreateDashboardSession(Session("h1", kNow)));
  EXPECT_EQ(m_.dashboard_sessions.CreateDashboardSession(Session("h1", kNow)).error().code,
            ErrorCode::kAlreadyExists);
  auto found = m_.dashboard_sessions.FindDashboardSession("h1");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->project_id, "proj_a");
  EXPECT_EQ(found->api_key_hash, "keyhash");
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(found->last_seen_at, kNow);
  EXPECT_EQ(found->expires_at, kNow + std::chrono::hours(12));
  EXPECT_EQ(m_.dashboard_sessions.FindDashboardSession("h2").error().code, ErrorCode::kNotFound);
}

TEST_F(DashboardStoreTest, TouchOnlyMovesForward) {
  ASSERT_TRUE(m_.dashboard_sessions.CreateDashboardSession(Session("h1", kNow)));
  ASSERT_TRUE(m_.dashboard_sessions.TouchDashboardSession("h1", kNow + std::chrono::minutes(5)));
  ASSERT_TRUE(m_.dashboard_sessions.TouchDashboardSession("h1", kNow + std::chrono::minutes(1)));
  EXPECT_EQ(m_.dashboard_sessions.FindDashboardSession("h1")->last_seen_at,
            kNow + std::chrono::minutes(5));
  EXPECT_EQ(m_.dashboard_sessions.TouchDashboardSession("gone", kNow).error().code,
            ErrorCode::kNotFound);
}

TEST_F(DashboardStoreTest, DeleteAndExpiry) {
  ASSERT_TRUE(
      m_.dashboard_sessions.CreateDashboardSession(Session("old", kNow - std::chrono::hours(13))));
  ASSERT_TRUE(
      m_.dashboard_sessions.CreateDashboardSession(Session("idle", kNow - std::chrono::hours(1))));
  ASSERT_TRUE(
      m_.dashboard_sessions.CreateDashboardSession(Session("live", kNow - std::chrono::hours(1))));
  ASSERT_TRUE(m_.dashboard_sessions.TouchDashboardSession("live", kNow - std::chrono::minutes(2)));
  ASSERT_TRUE(m_.dashboard_sessions.CreateDashboardSession(Session("bye", kNow)));

  ASSERT_TRUE(m_.dashboard_sessions.DeleteDashboardSession("bye"));
  ASSERT_TRUE(m_.dashboard_sessions.DeleteDashboardSession("bye"));  // already gone: fine
  EXPECT_EQ(m_.dashboard_sessions.FindDashboardSession("bye").error().code, ErrorCode::kNotFound);

  auto n =
      m_.dashboard_sessions.DeleteExpiredDashboardSessions(kNow, kNow - std::chrono::minutes(30));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_FALSE(m_.dashboard_sessions.FindDashboardSession("old"));
  EXPECT_FALSE(m_.dashboard_sessions.FindDashboardSession("idle"));
  EXPECT_TRUE(m_.dashboard_sessions.FindDashboardSession("live"));
}

TEST_F(DashboardStoreTest, SuspendKeepsTheStatusForResume) {
  InsertAccount("acc_1");
  std::vector<StatusReason> login{{"ITEM_LOGIN_REQUIRED", "log in again", kNow}};
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError, login, kNow));

  TimePoint t1 = kNow + std::chrono::minutes(1);
  ASSERT_TRUE(
      m_.accounts.SuspendAccount("proj_a", "acc_1", {"SUSPENDED", "by the operator", t1}, t1));
  LinkedAccount a = Get("acc_1");
  EXPECT_EQ(a.status, AccountStatus::kSuspended);
  ASSERT_EQ(a.status_reasons.size(), 1u);
  EXPECT_EQ(a.status_reasons[0].code, "SUSPENDED");
  EXPECT_EQ(a.updated_at, t1);

  // Suspending again changes nothing (the first reason and time stay).
  TimePoint t2 = kNow + std::chrono::minutes(2);
  ASSERT_TRUE(m_.accounts.SuspendAccount("proj_a", "acc_1", {"SUSPENDED", "again", t2}, t2));
  a = Get("acc_1");
  EXPECT_EQ(a.status_reasons[0].description, "by the operator");
  EXPECT_EQ(a.updated_at, t1);

  ASSERT_TRUE(m_.accounts.ResumeAccount("proj_a", "acc_1", t2));
  a = Get("acc_1");
  EXPECT_EQ(a.status, AccountStatus::kError);
  ASSERT_EQ(a.status_reasons.size(), 1u);
  EXPECT_EQ(a.status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(a.updated_at, t2);

  // Resuming an account that is not suspended changes nothing.
  ASSERT_TRUE(m_.accounts.ResumeAccount("proj_a", "acc_1", t2 + std::chrono::minutes(1)));
  EXPECT_EQ(Get("acc_1").status, AccountStatus::kError);
  EXPECT_EQ(Get("acc_1").updated_at, t2);
}

TEST_F(DashboardStoreTest, StatusChangesDuringASuspensionApplyOnResume) {
  InsertAccount("acc_1");
  ASSERT_TRUE(m_.accounts.SuspendAccount("proj_a", "acc_1", {"SUSPENDED", "x", kNow}, kNow));
  // A Plaid call that finished after the suspension reports the Item's health.
  std::vector<StatusReason> login{{"ITEM_LOGIN_REQUIRED", "log in again", kNow}};
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError, login, kNow));
  EXPECT_EQ(Get("acc_1").status, AccountStatus::kSuspended);
  // An edit read before the suspension does not lift it either.
  LinkedAccount stale = Get("acc_1");
  stale.status = AccountStatus::kActive;
  stale.status_reasons.clear();
  stale.label = "edited";
  ASSERT_TRUE(m_.accounts.UpdateAccount(stale));
  EXPECT_EQ(Get("acc_1").status, AccountStatus::kSuspended);
  EXPECT_EQ(Get("acc_1").label, "edited");

  ASSERT_TRUE(m_.accounts.ResumeAccount("proj_a", "acc_1", kNow));
  LinkedAccount a = Get("acc_1");
  EXPECT_EQ(a.status, AccountStatus::kError);
  ASSERT_EQ(a.status_reasons.size(), 1u);
  EXPECT_EQ(a.status_reasons[0].code, "ITEM_LOGIN_REQUIRED");

  // An edit read while suspended does not re-suspend a resumed account.
  ASSERT_TRUE(m_.accounts.SuspendAccount("proj_a", "acc_1", {"SUSPENDED", "x", kNow}, kNow));
  LinkedAccount during = Get("acc_1");
  ASSERT_TRUE(m_.accounts.ResumeAccount("proj_a", "acc_1", kNow));
  ASSERT_TRUE(m_.accounts.UpdateAccount(during));
  EXPECT_EQ(Get("acc_1").status, AccountStatus::kError);
}

TEST_F(DashboardStoreTest, SuspensionIsScopedByProject) {
  InsertAccount("acc_1");
  EXPECT_EQ(
      m_.accounts.SuspendAccount("proj_b", "acc_1", {"SUSPENDED", "x", kNow}, kNow).error().code,
      ErrorCode::kNotFound);
  EXPECT_EQ(m_.accounts.ResumeAccount("proj_b", "acc_1", kNow).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Get("acc_1").status, AccountStatus::kActive);
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", kNow));
  EXPECT_EQ(
      m_.accounts.SuspendAccount("proj_a", "acc_1", {"SUSPENDED", "x", kNow}, kNow).error().code,
      ErrorCode::kNotFound);
}

}  // namespace
}  // namespace linkhub::store
