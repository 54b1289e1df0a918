#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/backend.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// linkhub's embedded default: one SQLite file (WAL), migrated on open. The Plaid call log writes
// through a second connection of its own, so that its batches never wait for the main
// connection's lock and never count as changes to the accounts that caches keep (see
// AccountStore::WriteCount). ":memory:" opens a private in-memory database on one connection,
// for tests.
//
// Errors: kUnavailable (the file cannot be opened), kFailedPrecondition (written by a newer
// linkhub), kInternal (a migration failed).
Result<std::unique_ptr<Backend>> OpenSqliteBackend(const std::string& path);

// Backend::CheckReady for one SQLite connection: the schema version, then a committed write of
// the readiness row.
Status CheckSqliteReady(SqliteDb& db, TimePoint now);

}  // namespace linkhub::store
