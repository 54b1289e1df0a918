#include "store/sqlite_project_store.h"

#include <boost/json.hpp>

#include "core/json.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

constexpr std::string_view kProjectColumns =
    "id, numeric_id, name, created_at, allowed_origins_json";

Project ReadProject(const Statement& s) {
  Project p{s.ColumnText(0), s.ColumnInt(1), s.ColumnText(2), FromSeconds(s.ColumnInt(3)), {}};
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

ApiKey ReadApiKey(const Statement& s) {
  return ApiKey{s.ColumnText(0),   s.ColumnText(1), s.ColumnText(2),
                s.ColumnText(3),   s.ColumnText(4), FromSeconds(s.ColumnInt(5)),
                OptionalTime(s, 6)};
}

StoredDataKey ReadDataKey(const Statement& s) {
  return StoredDataKey{s.ColumnText(0), s.ColumnText(1), s.ColumnInt(2) != 0,
                       FromSeconds(s.ColumnInt(3)), OptionalTime(s, 4)};
}

constexpr std::string_view kApiKeyColumns =
    "id, project_id, key_hash, prefix, label, created_at, revoked_at";

}  // namespace

Result<Project> SqliteProjectStore::CreateProject(const std::string& id, const std::string& name,
                                                  TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO projects(id, numeric_id, name, created_at) "
                  "VALUES (?, (SELECT COALESCE(MAX(numeric_id), 0) + 1 FROM projects), ?, ?)"));
  LINKHUB_RETURN_IF_ERROR(ins.Bind(1, id).Bind(2, name).Bind(3, Seconds(now)).Run());
  LINKHUB_ASSIGN_OR_RETURN(Project p, GetProject(id));
  LINKHUB_RETURN_IF_ERROR(tx.Commit());
  return p;
}

Result<Project> SqliteProjectStore::GetProject(const std::string& id) {
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

Result<std::vector<Project>> SqliteProjectStore::ListProjects() {
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

Status SqliteProjectStore::AddApiKey(const ApiKey& key) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO api_keys(id, project_id, key_hash, prefix, label, created_at, "
                  "revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)"));
  return ins.Bind(1, key.id)
      .Bind(2, key.project_id)
      .Bind(3, key.key_hash)
      .Bind(4, key.prefix)
      .Bind(5, key.label)
      .Bind(6, Seconds(key.created_at))
      .Run();
}

Result<ApiKey> SqliteProjectStore::FindActiveApiKey(const std::string& key_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT " + std::string(kApiKeyColumns) +
                                       " FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL"));
  q.Bind(1, key_hash);
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "no active API key matches"));
  }
  return ReadApiKey(q);
}

Result<std::vector<ApiKey>> SqliteProjectStore::ListApiKeys(const std::string& project_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT " + std::string(kApiKeyColumns) +
                               " FROM api_keys WHERE project_id = ? ORDER BY created_at, id"));
  q.Bind(1, project_id);
  return CollectRows(q, ReadApiKey);
}

Status SqliteProjectStore::RevokeApiKey(const std::string& project_id, const std::string& key_id,
                                        TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement upd,
                           db_.Prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND "
                                       "project_id = ? AND revoked_at IS NULL"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, key_id).Bind(3, project_id),
                   ErrorCode::kNotFound, "API key " + key_id + " not found in this project");
}

Status SqliteProjectStore::AddActiveDataKey(const StoredDataKey& key) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_RETURN_IF_ERROR(db_.Exec("UPDATE data_keys SET active = 0 WHERE active = 1"));
  LINKHUB_ASSIGN_OR_RETURN(Statement ins,
                           db_.Prepare("INSERT INTO data_keys(key_id, wrapped, active, created_at, "
                                       "retired_at) VALUES (?, ?, 1, ?, NULL)"));
  LINKHUB_RETURN_IF_ERROR(
      ins.Bind(1, key.key_id).Bind(2, key.wrapped).Bind(3, Seconds(key.created_at)).Run());
  return tx.Commit();
}

Result<std::vector<StoredDataKey>> SqliteProjectStore::ListDataKeys() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT key_id, wrapped, active, created_at, retired_at "
                                       "FROM data_keys ORDER BY created_at, key_id"));
  return CollectRows(q, ReadDataKey);
}

Status SqliteProjectStore::RetireDataKey(const std::string& key_id, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement upd,
                           db_.Prepare("UPDATE data_keys SET retired_at = ? WHERE key_id = ? AND "
                                       "active = 0 AND retired_at IS NULL"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, key_id), ErrorCode::kNotFound,
                   "data key " + key_id + " is not an inactive, unretired key");
}

}  // namespace linkhub::store
