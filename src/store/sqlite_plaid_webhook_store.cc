#include "store/sqlite_plaid_webhook_store.h"

#include "store/sqlite_event_rows.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

constexpr std::string_view kWebhookColumns =
    "id, project_id, body_hash, body_sealed, webhook_type, webhook_code, item_id_hash, "
    "account_id, outcome, received_at, applied_at";

domain::PlaidWebhook ReadWebhook(const Statement& s) {
  domain::PlaidWebhook w;
  w.id = s.ColumnText(0);
  w.project_id = s.ColumnText(1);
  w.body_hash = s.ColumnText(2);
  w.body_sealed = s.ColumnText(3);
  w.webhook_type = s.ColumnText(4);
  w.webhook_code = s.ColumnText(5);
  w.item_id_hash = s.ColumnText(6);
  w.account_id = s.ColumnOptionalText(7);
  w.outcome = s.ColumnText(8);
  w.received_at = FromMillis(s.ColumnInt(9));
  w.applied_at = OptionalMillis(s, 10);
  return w;
}

}  // namespace

Status SqlitePlaidWebhookStore::ReceiveWebhook(const domain::PlaidWebhook& w,
                                               TimePoint duplicates_since) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(Statement seen,
                           db_.Prepare("SELECT 1 FROM plaid_webhooks WHERE project_id = ? AND "
                                       "body_hash = ? AND received_at >= ? LIMIT 1"));
  seen.Bind(1, w.project_id).Bind(2, w.body_hash).Bind(3, Millis(duplicates_since));
  LINKHUB_ASSIGN_OR_RETURN(bool duplicate, seen.Step());
  seen.Reset();
  if (duplicate) {
    return Unexpected(MakeError(ErrorCode::kAlreadyExists, "the same webhook was received"));
  }
  LINKHUB_ASSIGN_OR_RETURN(Statement ins,
                           db_.Prepare("INSERT INTO plaid_webhooks(id, project_id, body_hash, "
                                       "body_sealed, webhook_type, webhook_code, item_id_hash, "
                                       "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  LINKHUB_RETURN_IF_ERROR(ins.Bind(1, w.id)
                              .Bind(2, w.project_id)
                              .Bind(3, w.body_hash)
                              .Bind(4, w.body_sealed)
                              .Bind(5, w.webhook_type)
                              .Bind(6, w.webhook_code)
                              .Bind(7, w.item_id_hash)
                              .Bind(8, Millis(w.received_at))
                              .Run());
  return tx.Commit();
}

Result<std::vector<domain::PlaidWebhook>> SqlitePlaidWebhookStore::ListUnapplied(size_t limit) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kWebhookColumns) +
                                                    " FROM plaid_webhooks WHERE applied_at IS NULL "
                                                    "ORDER BY received_at, rowid LIMIT ?"));
  q.Bind(1, static_cast<int64_t>(limit));
  return CollectRows(q, ReadWebhook);
}

Status SqlitePlaidWebhookStore::FinishWebhook(const std::string& webhook_id,
                                              const std::optional<std::string>& account_id,
                                              const std::string& outcome,
                                              std::optional<domain::EventType> event,
                                              TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE plaid_webhooks SET applied_at = ?, account_id = ?, outcome = ? "
                  "WHERE id = ? AND applied_at IS NULL RETURNING project_id"));
  upd.Bind(1, Millis(now)).BindOptional(2, account_id).Bind(3, outcome).Bind(4, webhook_id);
  LINKHUB_ASSIGN_OR_RETURN(std::string project_id,
                           FirstRow(
                               upd, [](const Statement& s) { return s.ColumnText(0); },
                               "unapplied webhook " + webhook_id));
  upd.Reset();
  if (event && account_id) {
    LINKHUB_RETURN_IF_ERROR(
        internal::RecordAccountEvent(db_, *event, project_id, *account_id, now));
  }
  return tx.Commit();
}

Result<std::vector<domain::PlaidWebhook>> SqlitePlaidWebhookStore::ListAccountWebhooks(
    const std::string& project_id, const std::string& account_id, size_t limit) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT " + std::string(kWebhookColumns) +
                               " FROM plaid_webhooks WHERE project_id = ? AND account_id = ? "
                               "ORDER BY received_at DESC, rowid DESC LIMIT ?"));
  q.Bind(1, project_id).Bind(2, account_id).Bind(3, static_cast<int64_t>(limit));
  return CollectRows(q, ReadWebhook);
}

Status SqlitePlaidWebhookStore::PruneApplied(TimePoint before) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement del, db_.Prepare("DELETE FROM plaid_webhooks WHERE applied_at IS NOT NULL AND "
                                 "received_at < ?"));
  return del.Bind(1, Millis(before)).Run();
}

}  // namespace linkhub::store
