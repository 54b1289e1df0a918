#include "store/sqlite_project_store.h"

#include <boost/json.hpp>

#include "core/json.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

constexpr std::string_view kProjectColumns =
    "id, numeric_id, name, created_at, allowed_origins_json";

domain::Project ReadProject(const Statement& s) {
  domain::Project p{
      s.ColumnText(0), s.ColumnInt(1), s.ColumnText(2), FromSeconds(s.ColumnInt(3)), {}};
  auto origins = ParseJson(s.ColumnText(4));
  if (origins && origins->is_array()) {
    for (const auto& o : origins->get_array()) {
      if (o.is_string()) {
        p.allowed_origins.emplace_back(o.get_string());
      }
    }
  }
  return p;
}

}  // namespace

Result<domain::Project> SqliteProjectStore::CreateProject(const std::string& id,
                                                          const std::string& name, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO projects(id, numeric_id, name, created_at) "
                  "VALUES (?, (SELECT COALESCE(MAX(numeric_id), 0) + 1 FROM projects), ?, ?)"));
  LINKHUB_RETURN_IF_ERROR(ins.Bind(1, id).Bind(2, name).Bind(3, Seconds(now)).Run());
  LINKHUB_ASSIGN_OR_RETURN(domain::Project p, GetProject(id));
  LINKHUB_RETURN_IF_ERROR(tx.Commit());
  return p;
}

Result<domain::Project> SqliteProjectStore::GetProject(const std::string& id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kProjectColumns) +
                                                    " FROM projects WHERE id = ?"));
  q.Bind(1, id);
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "project " + id + " not found"));
  }
  return ReadProject(q);
}

Result<std::vector<domain::Project>> SqliteProjectStore::ListProjects() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kProjectColumns) +
                                                    " FROM projects ORDER BY numeric_id"));
  return CollectRows(q, ReadProject);
}

Status SqliteProjectStore::SetAllowedOrigins(const std::string& project_id,
                                             const std::vector<std::string>& origins) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare("UPDATE projects SET allowed_origins_json = ? WHERE id = ?"));
  return RunUpdate(db_, upd.Bind(1, ToJson(ToJsonArray(origins))).Bind(2, project_id),
                   ErrorCode::kNotFound, "project " + project_id + " not found");
}

}  // namespace linkhub::store
