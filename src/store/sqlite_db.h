#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace linkhub::store {

class SqliteDb;

// One prepared statement. Bind parameters by 1-based index, then Step() through the rows.
// Not thread-safe: use it under the connection's lock (see SqliteDb::Lock).
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);
  Statement& BindOptional(int index, const std::optional<std::string>& text);
  // true: a row is ready; false: done. kInternal (kAlreadyExists for a UNIQUE violation) on error.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  // Makes the statement ready to run again, with no values bound.
  void Reset();

  std::string ColumnText(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  int64_t ColumnInt(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class SqliteDb;
  Statement(sqlite3* db, sqlite3_stmt* stmt, SqliteDb* owner, std::string sql);
  // Gives the statement back to its connection's cache (or finalizes it).
  void Release();
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  SqliteDb* owner_ = nullptr;
  std::string sql_;
  std::string bind_error_;
};

// A SQLite connection: WAL journal, foreign keys on, a busy timeout so that concurrent processes
// wait instead of failing. The connection is shared by all threads behind one mutex: take Lock()
// for a statement or a transaction. Errors never include bound values (they may be secrets).
class SqliteDb {
 public:
  // Opens `path` (creating it unless `create` is false); ":memory:" for tests. kUnavailable if
  // it cannot be opened.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create = true);
  ~SqliteDb();

  // A wait for a lock another thread holds is counted in linkhub_db_lock_contended_wait_seconds.
  std::unique_lock<std::recursive_mutex> Lock();
  // REQUIRES: Lock() held.
  Status Exec(std::string_view sql);
  // Prepared statements are cached by their SQL text and reused once released, so a query run
  // on every request is parsed once.
  Result<Statement> Prepare(std::string_view sql);
  // Replaces `target`'s content with this database's, with SQLite's online backup API, every
  // page in one step: one read transaction here, so the copy is one moment's database however
  // other connections write meanwhile, and a write never makes it start over. Takes both locks.
  // kUnavailable when SQLite fails.
  Status CopyTo(SqliteDb& target);
  int64_t Changes() const;
  // Grows after every statement of this connection that may have written (and after every
  // COMMIT). Read it before reading rows: if it has not moved since, this process has not
  // changed them. Writes by other processes or connections are not counted. Lock-free.
  uint64_t WriteCount() const { return writes_.load(std::memory_order_acquire); }

 private:
  friend class Statement;
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  void Recycle(std::string sql, sqlite3_stmt* stmt);
  sqlite3* db_;
  std::recursive_mutex mu_;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;  // guarded by mu_
  std::atomic<uint64_t> writes_{0};
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless Commit() succeeds. Holds the connection's lock
// for its lifetime, so a transaction is all-or-nothing for every thread of the process too.
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb& db);
  Transaction(Transaction&&) noexcept;
  ~Transaction();
  Status Commit();

 private:
  Transaction(SqliteDb& db, std::unique_lock<std::recursive_mutex> lock);
  SqliteDb* db_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool open_ = true;
  std::chrono::steady_clock::time_point began_;  // for linkhub_db_transaction_duration_seconds
};

}  // namespace linkhub::store
