#include "store/sqlite_dashboard_session_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

using domain::DashboardSession;

Status SqliteDashboardSessionStore::CreateDashboardSession(const DashboardSession& s) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO dashboard_sessions(id_hash, project_id, api_key_hash, created_at, "
                  "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"));
  return ins.Bind(1, s.id_hash)
      .Bind(2, s.project_id)
      .Bind(3, s.api_key_hash)
      .Bind(4, Seconds(s.created_at))
      .Bind(5, Seconds(s.last_seen_at))
      .Bind(6, Seconds(s.expires_at))
      .Run();
}

Result<DashboardSession> SqliteDashboardSessionStore::FindDashboardSession(
    const std::string& id_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare("SELECT id_hash, project_id, api_key_hash, created_at, "
                  "last_seen_at, expires_at FROM dashboard_sessions WHERE id_hash = ?"));
  q.Bind(1, id_hash);
  return FirstRow(
      q,
      [](const Statement& r) {
        DashboardSession s;
        s.id_hash = r.ColumnText(0);
        s.project_id = r.ColumnText(1);
        s.api_key_hash = r.ColumnText(2);
        s.created_at = FromSeconds(r.ColumnInt(3));
        s.last_seen_at = FromSeconds(r.ColumnInt(4));
        s.expires_at = FromSeconds(r.ColumnInt(5));
        return s;
      },
      "dashboard session");
}

Status SqliteDashboardSessionStore::TouchDashboardSession(const std::string& id_hash,
                                                          TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare("UPDATE dashboard_sessions SET last_seen_at = MAX(last_seen_at, "
                                 "?) WHERE id_hash = ?"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, id_hash), ErrorCode::kNotFound,
                   "dashboard session not found");
}

Status SqliteDashboardSessionStore::DeleteDashboardSession(const std::string& id_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement del,
                           db_.Prepare("DELETE FROM dashboard_sessions WHERE id_hash = ?"));
  return del.Bind(1, id_hash).Run();
}

Result<int64_t> SqliteDashboardSessionStore::DeleteExpiredDashboardSessions(TimePoint now,
                                                                            TimePoint idle_before) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement del,
                           db_.Prepare("DELETE FROM dashboard_sessions WHERE expires_at <= ? OR "
                                       "last_seen_at <= ?"));
  LINKHUB_RETURN_IF_ERROR(del.Bind(1, Seconds(now)).Bind(2, Seconds(idle_before)).Run());
  return db_.Changes();
}

}  // namespace linkhub::store
