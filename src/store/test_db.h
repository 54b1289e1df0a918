#pragma once

// For tests: a migrated in-memory SQLite database.

#include <memory>

#include "core/result.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

inline std::unique_ptr<SqliteDb> MigratedMemoryDb() {
  auto db = SqliteDb::Open(":memory:");
  LINKHUB_CHECK(db.has_value());
  LINKHUB_CHECK(Migrate(**db, SqliteMigrations()).has_value());
  return std::move(*db);
}

}  // namespace linkhub::store
