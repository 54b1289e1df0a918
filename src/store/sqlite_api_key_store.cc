#include "store/sqlite_api_key_store.h"

#include "core/strings.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

domain::ApiKey ReadApiKey(const Statement& s) {
  domain::ApiKey key{s.ColumnText(0),    s.ColumnText(1),
                     s.ColumnText(2),    s.ColumnText(3),
                     s.ColumnText(4),    FromSeconds(s.ColumnInt(5)),
                     OptionalTime(s, 6), {}};
  if (!s.ColumnIsNull(7)) {
    key.limits.actions = SplitCommaList(s.ColumnText(7));
  }
  key.limits.read_only = s.ColumnInt(8) != 0;
  return key;
}

constexpr std::string_view kApiKeyColumns =
    "id, project_id, key_hash, prefix, label, created_at, revoked_at, allowed_actions_csv, "
    "read_only";

}  // namespace

Status SqliteApiKeyStore::AddApiKey(const domain::ApiKey& key) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO api_keys(id, project_id, key_hash, prefix, label, created_at, "
                  "revoked_at, allowed_actions_csv, read_only) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, "
                  "?)"));
  ins.Bind(1, key.id)
      .Bind(2, key.project_id)
      .Bind(3, key.key_hash)
      .Bind(4, key.prefix)
      .Bind(5, key.label)
      .Bind(6, Seconds(key.created_at))
      .Bind(8, int64_t{key.limits.read_only ? 1 : 0});
  if (key.limits.actions) {
    ins.Bind(7, JoinCommaList(*key.limits.actions));
  } else {
    ins.BindNull(7);
  }
  return ins.Run();
}

Result<domain::ApiKey> SqliteApiKeyStore::FindActiveApiKey(const std::string& key_hash) {
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

Result<std::vector<domain::ApiKey>> SqliteApiKeyStore::ListApiKeys(const std::string& project_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT " + std::string(kApiKeyColumns) +
                               " FROM api_keys WHERE project_id = ? ORDER BY created_at, id"));
  q.Bind(1, project_id);
  return CollectRows(q, ReadApiKey);
}

Status SqliteApiKeyStore::RevokeApiKey(const std::string& project_id, const std::string& key_id,
                                       TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement upd,
                           db_.Prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND "
                                       "project_id = ? AND revoked_at IS NULL"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, key_id).Bind(3, project_id),
                   ErrorCode::kNotFound, "API key " + key_id + " not found in this project");
}

}  // namespace linkhub::store
