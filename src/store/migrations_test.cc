#include "store/migrations.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/sqlite_backend.h"
#include "store/test_db.h"

namespace linkhub::store {
namespace {

TEST(MigrationsTest, AppliesOnceAndRecordsTheVersion) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db);
  auto v = Migrate(**db, SqliteMigrations());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, SqliteMigrations().back().version);
  auto again = Migrate(**db, SqliteMigrations());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *v);
}

TEST(MigrationsTest, AFailingMigrationLeavesNothingBehind) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db);
  std::vector<Migration> bad = {
      {1, "ok", "CREATE TABLE a(x INTEGER);"},
      {2, "broken", "CREATE TABLE b(y INTEGER); INSERT INTO nowhere VALUES (1);"}};
  auto v = Migrate(**db, bad);
  ASSERT_FALSE(v);
  auto lock = (*db)->Lock();
  auto q = (*db)->Prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'");
  ASSERT_TRUE(q);
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnInt(0), 0);  // migration 2 rolled back as a whole
  auto version = (*db)->Prepare("SELECT MAX(version) FROM schema_migrations");
  ASSERT_TRUE(version);
  ASSERT_TRUE(*version->Step());
  EXPECT_EQ(version->ColumnInt(0), 1);
}

TEST(MigrationsTest, RefusesADatabaseFromANewerLinkhub) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(Migrate(**db, SqliteMigrations()));
  std::vector<Migration> older(SqliteMigrations().begin(), SqliteMigrations().end() - 1);
  auto v = Migrate(**db, older);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kFailedPrecondition);
}

TEST(MigrationsTest, AnAccountsTypeComesToFollowItsEnvironment) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db);
  std::vector<Migration> before(SqliteMigrations().begin(), SqliteMigrations().begin() + 6);
  ASSERT_EQ(before.back().version, 6);
  ASSERT_TRUE(Migrate(**db, before));
  {
    auto lock = (*db)->Lock();
    ASSERT_TRUE(
        (*db)
            ->Exec(
                "INSERT INTO projects (id, numeric_id, name, created_at) VALUES ('p', 1, 'P', 0)")
            .has_value());
    for (const char* row : {"('a1', 'sandbox')", "('a2', 'production')"}) {
      ASSERT_TRUE((*db)
                      ->Exec(std::string("INSERT INTO accounts (id, environment, project_id, "
                                         "provider, origin_owner_id, origin_owner_name, status, "
                                         "status_reasons_json, type, products_json, "
                                         "accounts_json, details_pending, access_token_sealed, "
                                         "item_id_sealed, item_id_hash, created_at, updated_at) "
                                         "SELECT column1, column2, 'p', 'plaid', 'o', 'O', "
                                         "'active', '[]', 'production', '[]', '[]', 0, 's', 's', "
                                         "'h', 0, 0 FROM (VALUES ") +
                             row + ")")
                      .has_value());
    }
  }
  ASSERT_TRUE(Migrate(**db, SqliteMigrations()));
  auto lock = (*db)->Lock();
  auto q = (*db)->Prepare("SELECT id, type FROM accounts ORDER BY id");
  ASSERT_TRUE(q);
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnText(1), "test");  // a sandbox Item
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnText(1), "production");
}

TEST(MigrationsTest, FileDatabasesUseWal) {
  auto dir =
      std::filesystem::temp_directory_path() / ("linkhub-store-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto db = SqliteDb::Open((dir / "linkhub.db").string());
    ASSERT_TRUE(db);
    auto lock = (*db)->Lock();
    auto q = (*db)->Prepare("PRAGMA journal_mode");
    ASSERT_TRUE(q);
    ASSERT_TRUE(*q->Step());
    EXPECT_EQ(q->ColumnText(0), "wal");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace linkhub::store

namespace linkhub::store {
namespace {

TEST(CheckSqliteReadyTest, ACurrentWritableDatabaseIsReady) {
  auto db = MigratedMemoryDb();
  const TimePoint now = TimePoint(std::chrono::seconds(1'800'000'000));
  EXPECT_TRUE(CheckSqliteReady(*db, now));
  EXPECT_TRUE(CheckSqliteReady(*db, now));  // the one row, rewritten
  auto lock = db->Lock();
  auto q = db->Prepare("SELECT COUNT(*), MAX(checked_at) FROM readiness");
  ASSERT_TRUE(q);
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnInt(0), 1);
  EXPECT_EQ(q->ColumnInt(1), 1'800'000'000);
}

TEST(CheckSqliteReadyTest, AReadOnlyDatabaseIsNotReady) {
  auto db = MigratedMemoryDb();
  {
    auto lock = db->Lock();
    ASSERT_TRUE(db->Exec("PRAGMA query_only = ON"));
  }
  auto s = CheckSqliteReady(*db, TimePoint(std::chrono::seconds(1)));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("readonly"), std::string::npos) << s.error().message;
}

TEST(CheckSqliteReadyTest, ADatabaseANewerLinkhubMigratedIsNotReady) {
  auto db = MigratedMemoryDb();
  {
    auto lock = db->Lock();
    ASSERT_TRUE(db->Exec("INSERT INTO schema_migrations(version, name) VALUES (999, 'later')"));
  }
  auto s = CheckSqliteReady(*db, TimePoint(std::chrono::seconds(1)));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("999"), std::string::npos);
}

}  // namespace
}  // namespace linkhub::store
