#include "store/sqlite_connection_attempt_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

domain::ConnectionAttempt ReadAttempt(const Statement& s) {
  domain::ConnectionAttempt a;
  a.id = s.ColumnText(0);
  a.project_id = s.ColumnText(1);
  a.session_id = s.ColumnInt(2);
  a.status =
      domain::ParseAttemptStatus(s.ColumnText(3)).value_or(domain::AttemptStatus::kCancelled);
  a.account_id = s.ColumnOptionalText(4);
  a.created_at = FromSeconds(s.ColumnInt(5));
  a.updated_at = FromSeconds(s.ColumnInt(6));
  return a;
}

}  // namespace

Status SqliteConnectionAttemptStore::CreateConnectionAttempt(const domain::ConnectionAttempt& a) {
  auto lock = db_.Lock();
  // The count and the insert are one statement, so concurrent requests cannot pass the bound.
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO connection_attempts(id, project_id, session_id, status, "
                  "created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE (SELECT COUNT(*) "
                  "FROM connection_attempts WHERE project_id = ?2 AND session_id = ?3) < ?7"));
  return RunUpdate(db_,
                   ins.Bind(1, a.id)
                       .Bind(2, a.project_id)
                       .Bind(3, a.session_id)
                       .Bind(4, domain::ToString(a.status))
                       .Bind(5, Seconds(a.created_at))
                       .Bind(6, Seconds(a.updated_at))
                       .Bind(7, int64_t{domain::kConnectionAttemptsPerSession}),
                   ErrorCode::kFailedPrecondition,
                   "this connect session has started too many connection attempts; ask for a new "
                   "link");
}

Result<domain::ConnectionAttempt> SqliteConnectionAttemptStore::GetConnectionAttempt(
    const std::string& project_id, int64_t session_id, const std::string& id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare("SELECT id, project_id, session_id, status, account_id, created_at, updated_at "
                  "FROM connection_attempts WHERE project_id = ? AND session_id = ? "
                  "AND id = ?"));
  q.Bind(1, project_id).Bind(2, session_id).Bind(3, id);
  return FirstRow(q, ReadAttempt, "connection attempt");
}

Status SqliteConnectionAttemptStore::CancelConnectionAttempt(const std::string& project_id,
                                                             int64_t session_id,
                                                             const std::string& id, TimePoint now) {
  LINKHUB_RETURN_IF_ERROR(GetConnectionAttempt(project_id, session_id, id));
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE connection_attempts SET status = 'cancelled', updated_at = ? WHERE "
                  "project_id = ? AND session_id = ? AND id = ? AND status = 'pending'"));
  return upd.Bind(1, Seconds(now)).Bind(2, project_id).Bind(3, session_id).Bind(4, id).Run();
}

Status SqliteConnectionAttemptStore::CompleteConnectionAttempts(const std::string& project_id,
                                                                int64_t session_id,
                                                                const std::string& account_id,
                                                                TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement upd,
                           db_.Prepare("UPDATE connection_attempts SET status = 'authenticated', "
                                       "account_id = ?, updated_at = ? WHERE project_id = ? AND "
                                       "session_id = ? AND status = 'pending'"));
  return upd.Bind(1, account_id)
      .Bind(2, Seconds(now))
      .Bind(3, project_id)
      .Bind(4, session_id)
      .Run();
}

}  // namespace linkhub::store
