#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// linkhub's SQLite schema, oldest first. Append, never edit: a released migration is history.
const std::vector<Migration>& SqliteMigrations();

// Applies the migrations newer than the database's version, each in its own transaction, and
// returns the resulting version. kFailedPrecondition when the database was written by a newer
// linkhub (it refuses to run against a schema it does not know).
Result<int> Migrate(SqliteDb& db, const std::vector<Migration>& migrations);

// The highest migration applied to `db` (0 when its schema_migrations table is empty). An error
// (kInternal) for a database without the table: not one linkhub wrote. Takes the lock.
Result<int> SchemaVersion(SqliteDb& db);

}  // namespace linkhub::store
