#include "store/sqlite_orphan_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

constexpr std::string_view kOrphanColumns =
    "id, project_id, certainty, exchange_id, link_session_id, item_id_sealed, "
    "access_token_sealed, reason, created_at, removed_at, item_id_hash";

domain::OrphanItem ReadOrphan(const Statement& s) {
  domain::OrphanItem o;
  o.id = s.ColumnText(0);
  o.project_id = s.ColumnText(1);
  o.certainty =
      domain::ParseOrphanCertainty(s.ColumnText(2)).value_or(domain::OrphanCertainty::kPossible);
  o.exchange_id = s.ColumnOptionalText(3);
  o.link_session_id = s.ColumnOptionalText(4);
  o.item_id_sealed = s.ColumnText(5);
  o.access_token_sealed = s.ColumnText(6);
  o.reason = s.ColumnText(7);
  o.created_at = FromSeconds(s.ColumnInt(8));
  o.removed_at = OptionalTime(s, 9);
  o.item_id_hash = s.ColumnOptionalText(10);
  return o;
}

}  // namespace

Status SqliteOrphanStore::RecordOrphan(const domain::OrphanItem& o) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO orphan_items(id, project_id, certainty, exchange_id, "
                  "link_session_id, item_id_sealed, access_token_sealed, reason, created_at, "
                  "item_id_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT(id) DO UPDATE SET certainty = excluded.certainty, "
                  "link_session_id = COALESCE(excluded.link_session_id, link_session_id), "
                  "item_id_sealed = CASE excluded.item_id_sealed WHEN '' THEN item_id_sealed "
                  "ELSE excluded.item_id_sealed END, "
                  "access_token_sealed = CASE excluded.access_token_sealed WHEN '' THEN "
                  "access_token_sealed ELSE excluded.access_token_sealed END, "
                  "reason = excluded.reason WHERE project_id = excluded.project_id"));
  return ins.Bind(1, o.id)
      .Bind(2, o.project_id)
      .Bind(3, domain::ToString(o.certainty))
      .BindOptional(4, o.exchange_id)
      .BindOptional(5, o.link_session_id)
      .Bind(6, o.item_id_sealed)
      .Bind(7, o.access_token_sealed)
      .Bind(8, o.reason)
      .Bind(9, Seconds(o.created_at))
      .BindOptional(10, o.item_id_hash)
      .Run();
}

Result<std::optional<domain::OrphanItem>> SqliteOrphanStore::FindOrphan(
    const std::string& orphan_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kOrphanColumns) +
                                                    " FROM orphan_items WHERE id = ?"));
  q.Bind(1, orphan_id);
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return std::optional<domain::OrphanItem>();
  }
  return std::optional<domain::OrphanItem>(ReadOrphan(q));
}

Status SqliteOrphanStore::MarkOrphanRemoved(const std::string& project_id,
                                            const std::string& orphan_id, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE orphan_items SET removed_at = ?, access_token_sealed = '' WHERE id = ? "
                  "AND project_id = ? AND removed_at IS NULL"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, orphan_id).Bind(3, project_id),
                   ErrorCode::kNotFound, "orphan not found");
}

Result<std::vector<domain::OrphanItem>> SqliteOrphanStore::ListOrphans(
    const std::string& project_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare("SELECT " + std::string(kOrphanColumns) +
                  " FROM orphan_items WHERE removed_at IS NULL AND (? = '' OR project_id = ?) "
                  "ORDER BY created_at DESC, id"));
  q.Bind(1, project_id).Bind(2, project_id);
  return CollectRows(q, ReadOrphan);
}

}  // namespace linkhub::store
