#include "store/sqlite_backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/file_sync.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

namespace {

// Runs `sql` and requires its first row's first column to be `expected`; otherwise `code`, with
// `what` and the answer.
Status ExpectAnswer(SqliteDb& db, std::string_view sql, std::string_view expected, ErrorCode code,
                    std::string_view what) {
  auto lock = db.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db.Prepare(sql));
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  std::string answer = row ? q.ColumnText(0) : std::string();
  if (answer.compare(expected) == 0) {
    return OkStatus();
  }
  answer.resize(std::min<size_t>(answer.size(), 200));
  return Unexpected(MakeError(code, std::string(what) + ": " + answer));
}

Result<BackupReport> CopyInto(const std::string& from, const std::string& partial) {
  // Never created: a mistyped path is an error, not a new empty database.
  LINKHUB_ASSIGN_OR_RETURN(auto source, SqliteDb::Open(from, /*create=*/false));
  if (auto version = SchemaVersion(*source); !version) {
    return Unexpected(MakeError(ErrorCode::kNotFound, from + " is not a linkhub database (" +
                                                          version.error().message + ")"));
  }
  LINKHUB_ASSIGN_OR_RETURN(auto target, SqliteDb::Open(partial));
  LINKHUB_RETURN_IF_ERROR(source->CopyTo(*target));
  source.reset();
  // One file, whole (and flushed: synchronous=FULL): the copy's pages leave its WAL for the file
  // itself before it is given its name, which its -wal would not follow.
  LINKHUB_RETURN_IF_ERROR(ExpectAnswer(*target, "PRAGMA journal_mode=DELETE", "delete",
                                       ErrorCode::kUnavailable,
                                       "the copy could not leave WAL mode"));
  LINKHUB_RETURN_IF_ERROR(ExpectAnswer(*target, "PRAGMA integrity_check", "ok",
                                       ErrorCode::kInternal,
                                       "the copy failed SQLite's integrity check"));
  BackupReport report;
  LINKHUB_ASSIGN_OR_RETURN(report.schema_version, SchemaVersion(*target));
  target.reset();
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
  if (!report) {
    fs::remove(partial, ec);
    return report;
  }
  // link() refuses an existing name, so a file made at `to` meanwhile is never replaced.
  if (::link(partial.c_str(), to.c_str()) != 0) {
    int err = errno;
    fs::remove(partial, ec);
    return Unexpected(MakeError(err == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kUnavailable,
                                "cannot create " + to + ": " + std::strerror(err)));
  }
  fs::remove(partial, ec);
  LINKHUB_RETURN_IF_ERROR(SyncParentDirectory(to));
  return report;
}

}  // namespace linkhub::store
