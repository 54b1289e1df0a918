#include "store/sqlite_session_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

constexpr std::string_view kSessionColumns =
    "id, project_id, token_hash, origin_owner_id, origin_owner_name, origin_username, provider, "
    "account_id, label, categories_json, metadata_json, multiple, type, created_at, expires_at";

domain::ConnectSession ReadSession(const Statement& s) {
  domain::ConnectSession c;
  c.id = s.ColumnInt(0);
  c.project_id = s.ColumnText(1);
  c.token_hash = s.ColumnText(2);
  c.origin_owner_id = s.ColumnText(3);
  c.origin_owner_name = s.ColumnText(4);
  c.origin_username = s.ColumnOptionalText(5);
  c.provider = s.ColumnOptionalText(6);
  c.account_id = s.ColumnOptionalText(7);
  c.label = s.ColumnOptionalText(8);
  c.categories_json = s.ColumnText(9);
  c.metadata_json = s.ColumnText(10);
  c.multiple = s.ColumnInt(11) != 0;
  c.type = s.ColumnText(12);
  c.created_at = FromSeconds(s.ColumnInt(13));
  c.expires_at = FromSeconds(s.ColumnInt(14));
  return c;
}

}  // namespace

Result<domain::ConnectSession> SqliteSessionStore::CreateConnectSession(
    domain::ConnectSession session) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO connect_sessions(project_id, token_hash, origin_owner_id, "
                  "origin_owner_name, origin_username, provider, account_id, label, "
                  "categories_json, metadata_json, multiple, type, created_at, expires_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
  ins.Bind(1, session.project_id)
      .Bind(2, session.token_hash)
      .Bind(3, session.origin_owner_id)
      .Bind(4, session.origin_owner_name)
      .BindOptional(5, session.origin_username)
      .BindOptional(6, session.provider)
      .BindOptional(7, session.account_id)
      .BindOptional(8, session.label)
      .Bind(9, session.categories_json)
      .Bind(10, session.metadata_json)
      .Bind(11, int64_t{session.multiple ? 1 : 0})
      .Bind(12, session.type)
      .Bind(13, Seconds(session.created_at))
      .Bind(14, Seconds(session.expires_at));
  LINKHUB_ASSIGN_OR_RETURN(bool row, ins.Step());
  if (!row) {
    return Unexpected(MakeError(ErrorCode::kInternal, "connect session insert returned no id"));
  }
  session.id = ins.ColumnInt(0);
  return session;
}

Result<domain::ConnectSession> SqliteSessionStore::FindConnectSession(
    const std::string& token_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kSessionColumns) +
                                                    " FROM connect_sessions WHERE token_hash = ?"));
  q.Bind(1, token_hash);
  return FirstRow(q, ReadSession, "connect session");
}

}  // namespace linkhub::store
