#include "store/sqlite_exchange_store.h"

#include "store/sqlite_account_rows.h"
#include "store/sqlite_event_rows.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

using domain::PendingExchange;

constexpr std::string_view kExchangeColumns =
    "id, project_id, session_id, public_token_hash, account_id, origin_owner_id, "
    "institution_id, link_session_id, state, failure, created_at, closed_at, journaled";

domain::PendingExchange ReadExchange(const Statement& s) {
  domain::PendingExchange p;
  p.id = s.ColumnText(0);
  p.project_id = s.ColumnText(1);
  p.session_id = s.ColumnInt(2);
  p.public_token_hash = s.ColumnText(3);
  p.account_id = s.ColumnText(4);
  p.origin_owner_id = s.ColumnText(5);
  p.institution_id = s.ColumnOptionalText(6);
  p.link_session_id = s.ColumnOptionalText(7);
  p.state = domain::ParseExchangeState(s.ColumnText(8)).value_or(domain::ExchangeState::kFailed);
  p.failure = s.ColumnOptionalText(9);
  p.created_at = FromSeconds(s.ColumnInt(10));
  p.closed_at = OptionalTime(s, 11);
  p.journaled = s.ColumnInt(12) != 0;
  return p;
}

}  // namespace

Status SqliteExchangeStore::BeginExchange(const PendingExchange& p) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO pending_exchanges(id, project_id, session_id, public_token_hash, "
                  "account_id, origin_owner_id, institution_id, link_session_id, state, failure, "
                  "created_at, closed_at, journaled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', "
                  "NULL, ?, NULL, 1)"));
  return ins.Bind(1, p.id)
      .Bind(2, p.project_id)
      .Bind(3, p.session_id)
      .Bind(4, p.public_token_hash)
      .Bind(5, p.account_id)
      .Bind(6, p.origin_owner_id)
      .BindOptional(7, p.institution_id)
      .BindOptional(8, p.link_session_id)
      .Bind(9, Seconds(p.created_at))
      .Run();
}

Result<PendingExchange> SqliteExchangeStore::FindExchange(const std::string& public_token_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT " + std::string(kExchangeColumns) +
                                       " FROM pending_exchanges WHERE public_token_hash = ?"));
  q.Bind(1, public_token_hash);
  return FirstRow(q, ReadExchange, "exchange");
}

Status SqliteExchangeStore::ReopenExchange(const std::string& exchange_id, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare(
          "UPDATE pending_exchanges SET state = 'pending', failure = NULL, "
          "closed_at = NULL, created_at = ?, journaled = 1 WHERE id = ? AND state = 'failed'"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, exchange_id),
                   ErrorCode::kFailedPrecondition, "exchange is not failed");
}

Status SqliteExchangeStore::CompleteExchange(const std::string& exchange_id,
                                             const domain::LinkedAccount& a, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement close, db_.Prepare("UPDATE pending_exchanges SET state = 'linked', closed_at = ? "
                                   "WHERE id = ? AND state = 'pending'"));
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_, close.Bind(1, Seconds(now)).Bind(2, exchange_id),
                                    ErrorCode::kFailedPrecondition,
                                    "exchange is no longer pending"));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO accounts(" + std::string(internal::kAccountColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "NULL)"));
  internal::BindAccount(ins, a);
  LINKHUB_RETURN_IF_ERROR(ins.Run());
  // An exchange that links made no Item before: Plaid takes a public token once, so an earlier
  // attempt that had reached it would have made this one fail. Its possible orphan is no more.
  LINKHUB_ASSIGN_OR_RETURN(Statement forget,
                           db_.Prepare("DELETE FROM orphan_items WHERE exchange_id = ? AND "
                                       "certainty = 'possible'"));
  LINKHUB_RETURN_IF_ERROR(forget.Bind(1, exchange_id).Run());
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountEvent(db_, domain::EventType::kAccountCreated,
                                                       a.project_id, a.id, now));
  return tx.Commit();
}

Status SqliteExchangeStore::FailExchange(const std::string& exchange_id, const std::string& failure,
                                         TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare("UPDATE pending_exchanges SET state = 'failed', failure = ?, "
                                 "closed_at = ? WHERE id = ? AND state = 'pending'"));
  return RunUpdate(db_, upd.Bind(1, failure).Bind(2, Seconds(now)).Bind(3, exchange_id),
                   ErrorCode::kFailedPrecondition, "exchange is no longer pending");
}

Result<std::vector<PendingExchange>> SqliteExchangeStore::ListPendingExchanges() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT " + std::string(kExchangeColumns) +
                                       " FROM pending_exchanges WHERE state = 'pending' ORDER BY "
                                       "created_at, id"));
  return CollectRows(q, ReadExchange);
}

}  // namespace linkhub::store
