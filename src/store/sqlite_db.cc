#include "store/sqlite_db.h"

#include <sqlite3.h>

#include "core/metric_families.h"

namespace linkhub::store {

namespace {

Error SqlError(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  ErrorCode ec = ErrorCode::kInternal;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    ec = ErrorCode::kAlreadyExists;
  } else if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    ec = ErrorCode::kUnavailable;
  }
  return MakeError(ec, std::string("sqlite: ") + std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, SqliteDb* owner, std::string sql)
    : db_(db), stmt_(stmt), owner_(owner), sql_(std::move(sql)) {}
Statement::Statement(Statement&& o) noexcept
    : db_(o.db_),
      stmt_(o.stmt_),
      owner_(o.owner_),
      sql_(std::move(o.sql_)),
      bind_error_(std::move(o.bind_error_)) {
  o.stmt_ = nullptr;
}
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    Release();
    db_ = o.db_;
    stmt_ = o.stmt_;
    owner_ = o.owner_;
    sql_ = std::move(o.sql_);
    bind_error_ = std::move(o.bind_error_);
    o.stmt_ = nullptr;
  }
  return *this;
}
Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) {
    return;
  }
  if (owner_ != nullptr) {
    owner_->Recycle(std::move(sql_), stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    bind_error_ = "bind " + std::to_string(index);
  }
  return *this;
}
Statement& Statement::Bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) {
    bind_error_ = "bind " + std::to_string(index);
  }
  return *this;
}
Statement& Statement::BindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) {
    bind_error_ = "bind " + std::to_string(index);
  }
  return *this;
}
Statement& Statement::BindOptional(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (!bind_error_.empty()) {
    return Unexpected(MakeError(ErrorCode::kInternal, "sqlite: " + bind_error_));
  }
  int rc = sqlite3_step(stmt_);
  if (owner_ != nullptr && sqlite3_stmt_readonly(stmt_) == 0) {
    // After the write, so that whoever reads the counter before reading rows never pairs a new
    // count with old rows (see SqliteDb::WriteCount).
    owner_->writes_.fetch_add(1, std::memory_order_release);
  }
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return Unexpected(SqlError(db_, "step"));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.clear();
}

Status Statement::Run() {
  LINKHUB_ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return OkStatus();
}

std::string Statement::ColumnText(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}
std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) {
    return std::nullopt;
  }
  return ColumnText(column);
}
int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    return Unexpected(
        MakeError(ErrorCode::kUnavailable, "cannot open database " + path + ": " + msg));
  }
  sqlite3_busy_timeout(raw, 5000);
  auto lock = db->Lock();
  // WAL lets readers run beside the writer. FULL sync makes every commit survive an OS crash or
  // a power loss too: a linked account's row holds the only copy of its access token, and
  // linkhub writes little.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    LINKHUB_RETURN_IF_ERROR(db->Exec(pragma));
  }
  return db;
}

Status SqliteDb::CopyTo(SqliteDb& target) {
  auto lock = Lock();
  auto target_lock = target.Lock();
  sqlite3_backup* backup = sqlite3_backup_init(target.db_, "main", db_, "main");
  if (backup == nullptr) {
    return Unexpected(MakeError(ErrorCode::kUnavailable, std::string("cannot start the copy: ") +
                                                             sqlite3_errmsg(target.db_)));
  }
  int rc = sqlite3_backup_step(backup, -1);
  int finished = sqlite3_backup_finish(backup);  // its code is also the step's error, if any
  target.writes_.fetch_add(1, std::memory_order_release);
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    return Unexpected(MakeError(ErrorCode::kUnavailable,
                                std::string("the copy failed: ") + sqlite3_errmsg(target.db_)));
  }
  return OkStatus();
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmts] : idle_) {
    for (sqlite3_stmt* stmt : stmts) {
      sqlite3_finalize(stmt);
    }
  }
  sqlite3_close_v2(db_);
}

void SqliteDb::Recycle(std::string sql, sqlite3_stmt* stmt) {
  auto lock = Lock();
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  auto& stmts = idle_[std::move(sql)];
  if (stmts.size() >= 4) {  // more copies are only needed while statements nest
    sqlite3_finalize(stmt);
    return;
  }
  stmts.push_back(stmt);
}

Status SqliteDb::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  writes_.fetch_add(1, std::memory_order_release);  // COMMIT and DDL come this way
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Unexpected(MakeError(ErrorCode::kInternal, "sqlite: exec: " + msg));
  }
  return OkStatus();
}

Result<Statement> SqliteDb::Prepare(std::string_view sql) {
  auto lock = Lock();
  std::string key(sql);
  if (auto it = idle_.find(key); it != idle_.end() && !it->second.empty()) {
    sqlite3_stmt* stmt = it->second.back();
    it->second.pop_back();
    return Statement(db_, stmt, this, std::move(key));
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return Unexpected(SqlError(db_, "prepare"));
  }
  return Statement(db_, stmt, this, std::move(key));
}

std::unique_lock<std::recursive_mutex> SqliteDb::Lock() {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    static metrics::Histogram& waits = metrics::Linkhub().db_lock_wait;
    auto start = std::chrono::steady_clock::now();
    lock.lock();
    waits.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return lock;
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

Transaction::Transaction(SqliteDb& db, std::unique_lock<std::recursive_mutex> lock)
    : db_(&db), lock_(std::move(lock)), began_(std::chrono::steady_clock::now()) {}
Transaction::Transaction(Transaction&& o) noexcept
    : db_(o.db_), lock_(std::move(o.lock_)), open_(o.open_), began_(o.began_) {
  o.open_ = false;
}

namespace {

void CountTransaction(std::chrono::steady_clock::time_point began) {
  static metrics::Histogram& durations = metrics::Linkhub().db_transaction;
  durations.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
}

}  // namespace

Result<Transaction> Transaction::Begin(SqliteDb& db) {
  auto lock = db.Lock();
  LINKHUB_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(db, std::move(lock));
}

Status Transaction::Commit() {
  LINKHUB_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  open_ = false;
  CountTransaction(began_);
  return OkStatus();
}

Transaction::~Transaction() {
  if (open_ && db_ != nullptr) {
    (void)db_->Exec("ROLLBACK");
    CountTransaction(began_);
  }
}

}  // namespace linkhub::store
