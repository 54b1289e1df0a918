#pragma once

// `linkhub backup`: a consistent copy of a live SQLite database.

#include <cstdint>
#include <string>

#include "core/result.h"

namespace linkhub::store {

struct BackupReport {
  int64_t bytes = 0;           // the copy's size
  int64_t schema_version = 0;  // the copy's highest applied migration
};

// Copies the database file `from` into the new file `to` with SQLite's online backup API, in one
// read transaction: a snapshot of one moment, taken while other connections and processes (a
// running server) go on reading and writing. The copy is written as `to` + ".partial" (mode
// 0600: it holds sealed secrets and API-key hashes), checked with PRAGMA integrity_check, made
// durable, and only then renamed to `to`, so `to` is either absent or a whole, checked copy.
// Errors: kNotFound when `from` is not a database file, kAlreadyExists when `to` exists,
// kUnavailable for I/O or SQLite failures, kInternal when the copy fails its check. Blocking.
Result<BackupReport> BackupSqliteDatabase(const std::string& from, const std::string& to);

}  // namespace linkhub::store
