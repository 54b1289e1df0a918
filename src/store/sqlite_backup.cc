#include "store/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace linkhub::store {

namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

Error SqliteError(sqlite3* db, const std::string& what) {
  return MakeError(ErrorCode::kUnavailable,
                   what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

Result<DbHandle> OpenDb(const std::string& path, int flags, const std::string& what) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return Unexpected(SqliteError(raw, "cannot open " + what + " " + path));
  }
  sqlite3_busy_timeout(raw, 5000);  // a writer committing now delays the snapshot, never fails it
  return db;
}

// The first column of the first row of `sql`, as text ("" when there is none).
Result<std::string> QueryText(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return Unexpected(SqliteError(db, "cannot read the copy"));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) {
    return std::string();
  }
  if (rc != SQLITE_ROW) {
    return Unexpected(SqliteError(db, "cannot read the copy"));
  }
  const unsigned char* text = sqlite3_column_text(raw, 0);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0) {
      ::close(fd);
    }
    return Unexpected(MakeError(ErrorCode::kUnavailable, "cannot sync " + path + ": " + why));
  }
  ::close(fd);
  return OkStatus();
}

Result<BackupReport> CopyInto(const std::string& from, const std::string& partial) {
  // READWRITE without CREATE: a mistyped path is an error, not a new empty database. (A reader
  // of a WAL database needs its -shm file, which a read-only open cannot make.)
  LINKHUB_ASSIGN_OR_RETURN(DbHandle source, OpenDb(from, SQLITE_OPEN_READWRITE, "the database"));
  LINKHUB_ASSIGN_OR_RETURN(std::string tables,
                           QueryText(source.get(),
                                     "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                     "AND name = 'schema_migrations'"));
  if (tables != "1") {
    return Unexpected(MakeError(ErrorCode::kNotFound,
                                from + " is not a linkhub database (no schema_migrations)"));
  }
  LINKHUB_ASSIGN_OR_RETURN(DbHandle target,
                           OpenDb(partial, SQLITE_OPEN_READWRITE, "the backup file"));
  sqlite3_backup* backup = sqlite3_backup_init(target.get(), "main", source.get(), "main");
  if (backup == nullptr) {
    return Unexpected(SqliteError(target.get(), "cannot start the backup"));
  }
  // Every page in one step: one read transaction, so the copy is one moment's database and a
  // concurrent write can never make the backup start over.
  int rc = sqlite3_backup_step(backup, -1);
  int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    return Unexpected(SqliteError(target.get(), "the backup failed"));
  }
  source.reset();
  // The copy is read by `linkhub` only after a restore; a rollback journal leaves one file.
  if (auto mode = QueryText(target.get(), "PRAGMA journal_mode=DELETE"); !mode) {
    return Unexpected(std::move(mode).error());
  }
  auto check = QueryText(target.get(), "PRAGMA integrity_check");
  if (!check) {
    return Unexpected(std::move(check).error());
  }
  if (check->compare("ok") != 0) {
    return Unexpected(MakeError(ErrorCode::kInternal, "the copy failed SQLite's integrity check: " +
                                                          check->substr(0, 200)));
  }
  LINKHUB_ASSIGN_OR_RETURN(std::string version,
                           QueryText(target.get(), "SELECT MAX(version) FROM schema_migrations"));
  target.reset();
  BackupReport report;
  report.schema_version = std::atoll(version.c_str());
  std::error_code ec;
  report.bytes = static_cast<int64_t>(std::filesystem::file_size(partial, ec));
  return report;
}

}  // namespace

Result<BackupReport> BackupSqliteDatabase(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "no database at " + from));
  }
  if (fs::exists(to, ec)) {
    return Unexpected(
        MakeError(ErrorCode::kAlreadyExists, to + " exists: a backup never replaces a file"));
  }
  const std::string partial = to + ".partial";
  fs::remove(partial, ec);  // a previous attempt's leftover
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unexpected(MakeError(ErrorCode::kUnavailable,
                                "cannot create " + partial + ": " + std::strerror(errno)));
  }
  ::close(fd);
  auto report = CopyInto(from, partial);
  if (report) {
    if (auto synced = SyncPath(partial, O_RDONLY); !synced) {
      report = Unexpected(std::move(synced).error());
    }
  }
  if (!report) {
    fs::remove(partial, ec);
    return report;
  }
  // link() refuses an existing name, so a file made at `to` meanwhile is never replaced.
  if (::link(partial.c_str(), to.c_str()) != 0) {
    std::string why = std::strerror(errno);
    fs::remove(partial, ec);
    return Unexpected(
        MakeError(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kUnavailable,
                  "cannot create " + to + ": " + why));
  }
  fs::remove(partial, ec);
  fs::path dir = fs::absolute(to, ec).parent_path();
  LINKHUB_RETURN_IF_ERROR(SyncPath(dir.string(), O_RDONLY | O_DIRECTORY));
  return report;
}

}  // namespace linkhub::store
