#include "store/sqlite_backup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace linkhub::store {
namespace {

namespace fs = std::filesystem;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("linkhub-backup-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = SqliteDb::Open(Path("linkhub.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(Migrate(*db_, SqliteMigrations()));
    auto lock = db_->Lock();
    ASSERT_TRUE(
        db_->Exec("INSERT INTO projects(id, numeric_id, name, created_at) "
                  "VALUES ('proj_a', 1, 'A', 1)"));
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  int64_t Count(SqliteDb& db, const std::string& sql) {
    auto lock = db.Lock();
    auto q = db.Prepare(sql);
    EXPECT_TRUE(q);
    EXPECT_TRUE(q && *q->Step());
    return q ? q->ColumnInt(0) : -1;
  }

  fs::path dir_;
  std::unique_ptr<SqliteDb> db_;
};

TEST_F(BackupTest, CopiesALiveDatabaseWithItsSchemaVersion) {
  auto report = BackupSqliteDatabase(Path("linkhub.db"), Path("copy.db"));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->schema_version, SqliteMigrations().back().version);
  EXPECT_EQ(report->bytes, static_cast<int64_t>(fs::file_size(Path("copy.db"))));
  EXPECT_FALSE(fs::exists(Path("copy.db.partial")));
  struct stat st {};
  ASSERT_EQ(::stat(Path("copy.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // sealed secrets and key hashes: the owner's alone

  auto copy = SqliteDb::Open(Path("copy.db"));
  ASSERT_TRUE(copy);
  EXPECT_EQ(Count(**copy, "SELECT COUNT(*) FROM projects WHERE id = 'proj_a'"), 1);
  // The copy is a database linkhub opens as it is: migrating it again changes nothing.
  auto version = Migrate(**copy, SqliteMigrations());
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, report->schema_version);
}

TEST_F(BackupTest, NeverReplacesAFile) {
  { std::ofstream(Path("copy.db")) << "precious"; }
  auto report = BackupSqliteDatabase(Path("linkhub.db"), Path("copy.db"));
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(fs::file_size(Path("copy.db")), 8u);
}

TEST_F(BackupTest, RefusesWhatIsNotALinkhubDatabase) {
  auto missing = BackupSqliteDatabase(Path("nothing.db"), Path("copy.db"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto other = SqliteDb::Open(Path("other.db"));
  ASSERT_TRUE(other);
  {
    auto lock = (*other)->Lock();
    ASSERT_TRUE((*other)->Exec("CREATE TABLE t(x)"));
  }
  auto refused = BackupSqliteDatabase(Path("other.db"), Path("copy.db"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(Path("copy.db")));
  EXPECT_FALSE(fs::exists(Path("copy.db.partial")));
}

// Writes go on while the backup runs (another connection, as a running server's): the copy is
// one moment of the database, whole and consistent, and no write fails.
TEST_F(BackupTest, IsOneConsistentMomentWhileWritesGoOn) {
  for (int i = 0; i < 2000; ++i) {
    auto lock = db_->Lock();
    ASSERT_TRUE(db_->Exec("INSERT INTO projects(id, numeric_id, name, created_at) VALUES ('p" +
                          std::to_string(i) + "', " + std::to_string(i + 2) + ", 'x', 1)"));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::atomic<int> failed{0};
  std::thread writer([&] {
    auto db = SqliteDb::Open(Path("linkhub.db"));
    ASSERT_TRUE(db);
    for (int i = 0; !stop.load(); ++i) {
      auto lock = (*db)->Lock();
      // Each write moves one row's name and adds one row in one transaction: a torn copy would
      // show the rows of two moments.
      bool ok = static_cast<bool>((*db)->Exec(
          "BEGIN IMMEDIATE; UPDATE projects SET created_at = created_at + 1 WHERE id = 'proj_a'; "
          "INSERT INTO projects(id, numeric_id, name, created_at) VALUES ('w" +
          std::to_string(i) + "', " + std::to_string(100000 + i) + ", 'w', 1); COMMIT"));
      (ok ? written : failed)++;
    }
  });
  while (written.load() < 5) {
    std::this_thread::yield();
  }
  auto report = BackupSqliteDatabase(Path("linkhub.db"), Path("copy.db"));
  stop = true;
  writer.join();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(failed.load(), 0);
  auto copy = SqliteDb::Open(Path("copy.db"));
  ASSERT_TRUE(copy);
  int64_t added = Count(**copy, "SELECT COUNT(*) FROM projects WHERE name = 'w'");
  EXPECT_GE(added, 5);
  EXPECT_EQ(Count(**copy, "SELECT created_at - 1 FROM projects WHERE id = 'proj_a'"), added);
  EXPECT_EQ(Count(**copy, "SELECT COUNT(*) FROM projects WHERE name = 'x'"), 2000);
}

}  // namespace
}  // namespace linkhub::store
