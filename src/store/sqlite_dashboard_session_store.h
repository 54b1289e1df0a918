#pragma once

#include "store/dashboard_session_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// DashboardSessionStore on SQLite. REQUIRES: the database is migrated (see Migrate).
// Thread-safe.
class SqliteDashboardSessionStore final : public DashboardSessionStore {
 public:
  explicit SqliteDashboardSessionStore(SqliteDb& db) : db_(db) {}

  Status CreateDashboardSession(const domain::DashboardSession& session) override;
  Result<domain::DashboardSession> FindDashboardSession(const std::string& id_hash) override;
  Status TouchDashboardSession(const std::string& id_hash, TimePoint now) override;
  Status DeleteDashboardSession(const std::string& id_hash) override;
  Result<int64_t> DeleteExpiredDashboardSessions(TimePoint now, TimePoint idle_before) override;

 private:
  SqliteDb& db_;
};

}  // namespace linkhub::store
