#include "store/sqlite_data_key_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

domain::StoredDataKey ReadDataKey(const Statement& s) {
  return domain::StoredDataKey{s.ColumnText(0), s.ColumnText(1), s.ColumnInt(2) != 0,
                               FromSeconds(s.ColumnInt(3)), OptionalTime(s, 4)};
}

}  // namespace

Status SqliteDataKeyStore::AddActiveDataKey(const domain::StoredDataKey& key) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_RETURN_IF_ERROR(db_.Exec("UPDATE data_keys SET active = 0 WHERE active = 1"));
  LINKHUB_ASSIGN_OR_RETURN(Statement ins,
                           db_.Prepare("INSERT INTO data_keys(key_id, wrapped, active, created_at, "
                                       "retired_at) VALUES (?, ?, 1, ?, NULL)"));
  LINKHUB_RETURN_IF_ERROR(
      ins.Bind(1, key.key_id).Bind(2, key.wrapped).Bind(3, Seconds(key.created_at)).Run());
  return tx.Commit();
}

Result<std::vector<domain::StoredDataKey>> SqliteDataKeyStore::ListDataKeys() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT key_id, wrapped, active, created_at, retired_at "
                                       "FROM data_keys ORDER BY created_at, key_id"));
  return CollectRows(q, ReadDataKey);
}

Result<std::string> SqliteDataKeyStore::ActiveDataKeyId() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT key_id FROM data_keys WHERE active = 1 LIMIT 1"));
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnText(0) : std::string();
}

Status SqliteDataKeyStore::RetireDataKey(const std::string& key_id, TimePoint now) {
  // BEGIN IMMEDIATE holds the write lock: a value sealed under the key was either committed
  // before (and is counted here) or is written after, when the triggers of migration 12 refuse
  // it.
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement count,
      db_.Prepare("SELECT count(*) FROM (" + std::string(kSealedValuesSql) +
                  ") WHERE substr(sealed, 1, length(?1) + 5) = 'lh1:' || ?1 || ':'"));
  LINKHUB_ASSIGN_OR_RETURN(bool row, count.Bind(1, key_id).Step());
  int64_t in_use = row ? count.ColumnInt(0) : 0;
  if (in_use > 0) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "data key " + key_id + " still seals " + std::to_string(in_use) +
                                    " stored values; run `linkhub keys rotate` first"));
  }
  LINKHUB_ASSIGN_OR_RETURN(Statement upd,
                           db_.Prepare("UPDATE data_keys SET retired_at = ? WHERE key_id = ? AND "
                                       "active = 0 AND retired_at IS NULL"));
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, key_id),
                                    ErrorCode::kNotFound,
                                    "data key " + key_id + " is not an inactive, unretired key"));
  return tx.Commit();
}

}  // namespace linkhub::store
