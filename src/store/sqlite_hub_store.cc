#include "store/sqlite_hub_store.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <string_view>
#include <utility>

#include "core/json.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

constexpr std::string_view kSessionColumns =
    "id, project_id, token_hash, origin_owner_id, origin_owner_name, origin_username, provider, "
    "account_id, label, categories_json, metadata_json, multiple, type, created_at, expires_at";

ConnectSession ReadSession(const Statement& s) {
  ConnectSession c;
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

constexpr std::string_view kAccountColumns =
    "id, project_id, provider, origin_owner_id, origin_owner_name, origin_username, label, "
    "status, status_reasons_json, type, environment, products_json, institution_id, "
    "institution_name, accounts_json, details_pending, access_token_sealed, item_id_sealed, "
    "item_id_hash, connect_session_id, created_at, updated_at, deleted_at";

std::string ReasonsToJson(const std::vector<StatusReason>& reasons) {
  boost::json::array out;
  for (const auto& r : reasons) {
    out.push_back(boost::json::object{
        {"code", r.code}, {"description", r.description}, {"timestamp", Seconds(r.timestamp)}});
  }
  return ToJson(out);
}

std::vector<StatusReason> ReasonsFromJson(const std::string& text) {
  std::vector<StatusReason> out;
  auto v = ParseJson(text);
  if (!v || !v->is_array()) {
    return out;
  }
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) {
      continue;
    }
    const auto& o = e.get_object();
    out.push_back(StatusReason{std::string(GetString(o, "code").value_or("")),
                               std::string(GetString(o, "description").value_or("")),
                               FromSeconds(GetInt(o, "timestamp").value_or(0))});
  }
  return out;
}

std::vector<std::string> StringsFromJson(const std::string& text) {
  std::vector<std::string> out;
  auto v = ParseJson(text);
  if (v && v->is_array()) {
    for (const auto& e : v->get_array()) {
      if (e.is_string()) {
        out.emplace_back(e.get_string());
      }
    }
  }
  return out;
}

LinkedAccount ReadAccount(const Statement& s) {
  LinkedAccount a;
  a.id = s.ColumnText(0);
  a.project_id = s.ColumnText(1);
  a.provider = s.ColumnText(2);
  a.origin_owner_id = s.ColumnText(3);
  a.origin_owner_name = s.ColumnText(4);
  a.origin_username = s.ColumnOptionalText(5);
  a.label = s.ColumnOptionalText(6);
  a.status = s.ColumnText(7);
  a.status_reasons = ReasonsFromJson(s.ColumnText(8));
  a.type = s.ColumnText(9);
  a.environment = s.ColumnText(10);
  a.products = StringsFromJson(s.ColumnText(11));
  a.institution_id = s.ColumnOptionalText(12);
  a.institution_name = s.ColumnOptionalText(13);
  a.accounts_json = s.ColumnText(14);
  a.details_pending = s.ColumnInt(15) != 0;
  a.access_token_sealed = s.ColumnText(16);
  a.item_id_sealed = s.ColumnText(17);
  a.item_id_hash = s.ColumnText(18);
  if (!s.ColumnIsNull(19)) {
    a.connect_session_id = s.ColumnInt(19);
  }
  a.created_at = FromSeconds(s.ColumnInt(20));
  a.updated_at = FromSeconds(s.ColumnInt(21));
  a.deleted_at = OptionalTime(s, 22);
  return a;
}

constexpr std::string_view kExchangeColumns =
    "id, project_id, session_id, public_token_hash, account_id, origin_owner_id, "
    "institution_id, link_session_id, state, failure, created_at, closed_at";

PendingExchange ReadExchange(const Statement& s) {
  PendingExchange p;
  p.id = s.ColumnText(0);
  p.project_id = s.ColumnText(1);
  p.session_id = s.ColumnInt(2);
  p.public_token_hash = s.ColumnText(3);
  p.account_id = s.ColumnText(4);
  p.origin_owner_id = s.ColumnText(5);
  p.institution_id = s.ColumnOptionalText(6);
  p.link_session_id = s.ColumnOptionalText(7);
  p.state = s.ColumnText(8);
  p.failure = s.ColumnOptionalText(9);
  p.created_at = FromSeconds(s.ColumnInt(10));
  p.closed_at = OptionalTime(s, 11);
  return p;
}

// "?, ?, ?" for n parameters.
std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += i == 0 ? "?" : ", ?";
  }
  return out;
}

// Appends "AND column IN (?, ...)" for a non-empty filter list.
void AddInFilter(std::string& where, std::vector<std::string>& params, std::string_view column,
                 const std::vector<std::string>& values) {
  if (values.empty()) {
    return;
  }
  where += " AND " + std::string(column) + " IN (" + Placeholders(values.size()) + ")";
  params.insert(params.end(), values.begin(), values.end());
}

}  // namespace

Result<ConnectSession> SqliteHubStore::CreateConnectSession(ConnectSession session) {
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

Result<ConnectSession> SqliteHubStore::FindConnectSession(const std::string& token_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kSessionColumns) +
                                                    " FROM connect_sessions WHERE token_hash = ?"));
  q.Bind(1, token_hash);
  return FirstRow(q, ReadSession, "connect session");
}

Result<std::vector<LinkedAccount>> SqliteHubStore::QueryAccounts(
    const std::string& where, const std::vector<std::string>& params, const std::string& tail) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kAccountColumns) +
                                                    " FROM accounts WHERE " + where + tail));
  for (size_t i = 0; i < params.size(); ++i) {
    q.Bind(static_cast<int>(i + 1), params[i]);
  }
  return CollectRows(q, ReadAccount);
}

Result<std::vector<LinkedAccount>> SqliteHubStore::ListAccounts(const AccountFilter& filter) {
  std::string where = "project_id = ? AND deleted_at IS NULL";
  std::vector<std::string> params{filter.project_id};
  AddInFilter(where, params, "provider", filter.providers);
  AddInFilter(where, params, "origin_owner_id", filter.origin_owner_ids);
  AddInFilter(where, params, "status", filter.statuses);
  AddInFilter(where, params, "id", filter.account_ids);
  // Newest first; rowid breaks ties between accounts created in the same second.
  return QueryAccounts(where, params,
                       " ORDER BY created_at DESC, rowid DESC LIMIT " +
                           std::to_string(filter.limit) + " OFFSET " +
                           std::to_string(filter.offset));
}

Result<LinkedAccount> SqliteHubStore::GetAccount(const std::string& project_id,
                                                 const std::string& account_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto rows,
                           QueryAccounts("project_id = ? AND id = ? AND deleted_at IS NULL",
                                         {project_id, account_id}, ""));
  if (rows.empty()) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "account " + account_id + " not found"));
  }
  return std::move(rows.front());
}

Result<std::vector<LinkedAccount>> SqliteHubStore::ListOwnerAccounts(
    const std::string& project_id, const std::string& origin_owner_id, const std::string& provider,
    const std::vector<std::string>& statuses) {
  std::string where =
      "project_id = ? AND origin_owner_id = ? AND provider = ? AND deleted_at IS NULL";
  std::vector<std::string> params{project_id, origin_owner_id, provider};
  AddInFilter(where, params, "status", statuses);
  return QueryAccounts(where, params, " ORDER BY created_at, rowid");
}

Status SqliteHubStore::UpdateAccount(const LinkedAccount& a) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      // A suspension is changed only by SuspendAccount and ResumeAccount: an edit based on a
      // read from before (or during) one leaves the status as it is now.
      db_.Prepare("UPDATE accounts SET origin_owner_id = ?1, origin_owner_name = ?2, "
                  "origin_username = ?3, label = ?4, "
                  "status = CASE WHEN status = 'suspended' OR ?5 = 'suspended' THEN status "
                  "ELSE ?5 END, "
                  "status_reasons_json = CASE WHEN status = 'suspended' OR ?5 = 'suspended' "
                  "THEN status_reasons_json ELSE ?6 END, "
                  "products_json = ?7, institution_id = ?8, institution_name = ?9, "
                  "accounts_json = ?10, details_pending = ?11, updated_at = ?12 "
                  "WHERE project_id = ?13 AND id = ?14 AND deleted_at IS NULL"));
  return RunUpdate(db_,
                   upd.Bind(1, a.origin_owner_id)
                       .Bind(2, a.origin_owner_name)
                       .BindOptional(3, a.origin_username)
                       .BindOptional(4, a.label)
                       .Bind(5, a.status)
                       .Bind(6, ReasonsToJson(a.status_reasons))
                       .Bind(7, ToJson(ToJsonArray(a.products)))
                       .BindOptional(8, a.institution_id)
                       .BindOptional(9, a.institution_name)
                       .Bind(10, a.accounts_json)
                       .Bind(11, int64_t{a.details_pending ? 1 : 0})
                       .Bind(12, Seconds(a.updated_at))
                       .Bind(13, a.project_id)
                       .Bind(14, a.id),
                   ErrorCode::kNotFound, "account " + a.id + " not found");
}

Status SqliteHubStore::UpdateAccountDetails(const LinkedAccount& a) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE accounts SET products_json = ?, institution_id = ?, "
                  "institution_name = ?, accounts_json = ?, details_pending = ?, updated_at = ? "
                  "WHERE project_id = ? AND id = ? AND deleted_at IS NULL"));
  return RunUpdate(db_,
                   upd.Bind(1, ToJson(ToJsonArray(a.products)))
                       .BindOptional(2, a.institution_id)
                       .BindOptional(3, a.institution_name)
                       .Bind(4, a.accounts_json)
                       .Bind(5, int64_t{a.details_pending ? 1 : 0})
                       .Bind(6, Seconds(a.updated_at))
                       .Bind(7, a.project_id)
                       .Bind(8, a.id),
                   ErrorCode::kNotFound, "account " + a.id + " not found");
}

Status SqliteHubStore::SetAccountStatus(const std::string& project_id,
                                        const std::string& account_id, const std::string& status,
                                        const std::vector<StatusReason>& reasons, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      // SQLite evaluates every SET expression on the row as it was, so each CASE sees the
      // status before this update.
      db_.Prepare("UPDATE accounts SET "
                  "status = CASE WHEN status = 'suspended' THEN status ELSE ?1 END, "
                  "status_reasons_json = CASE WHEN status = 'suspended' THEN "
                  "status_reasons_json ELSE ?2 END, "
                  "resume_status = CASE WHEN status = 'suspended' THEN ?1 ELSE resume_status END, "
                  "resume_reasons_json = CASE WHEN status = 'suspended' THEN ?2 ELSE "
                  "resume_reasons_json END, "
                  "updated_at = ?3 WHERE project_id = ?4 AND id = ?5 AND deleted_at IS NULL"));
  return RunUpdate(db_,
                   upd.Bind(1, status)
                       .Bind(2, ReasonsToJson(reasons))
                       .Bind(3, Seconds(now))
                       .Bind(4, project_id)
                       .Bind(5, account_id),
                   ErrorCode::kNotFound, "account " + account_id + " not found");
}

Status SqliteHubStore::SuspendAccount(const std::string& project_id, const std::string& account_id,
                                      const StatusReason& reason, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE accounts SET "
                  "resume_status = CASE WHEN status = 'suspended' THEN resume_status "
                  "ELSE status END, "
                  "resume_reasons_json = CASE WHEN status = 'suspended' THEN resume_reasons_json "
                  "ELSE status_reasons_json END, "
                  "status_reasons_json = CASE WHEN status = 'suspended' THEN "
                  "status_reasons_json ELSE ?1 END, "
                  "updated_at = CASE WHEN status = 'suspended' THEN updated_at ELSE ?2 END, "
                  "status = 'suspended' "
                  "WHERE project_id = ?3 AND id = ?4 AND deleted_at IS NULL"));
  return RunUpdate(db_,
                   upd.Bind(1, ReasonsToJson({reason}))
                       .Bind(2, Seconds(now))
                       .Bind(3, project_id)
                       .Bind(4, account_id),
                   ErrorCode::kNotFound, "account " + account_id + " not found");
}

Status SqliteHubStore::ResumeAccount(const std::string& project_id, const std::string& account_id,
                                     TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE accounts SET "
                  "status = CASE WHEN status = 'suspended' THEN COALESCE(resume_status, "
                  "'active') ELSE status END, "
                  "status_reasons_json = CASE WHEN status = 'suspended' THEN "
                  "COALESCE(resume_reasons_json, '[]') ELSE status_reasons_json END, "
                  "updated_at = CASE WHEN status = 'suspended' THEN ?1 ELSE updated_at END, "
                  "resume_status = NULL, resume_reasons_json = NULL "
                  "WHERE project_id = ?2 AND id = ?3 AND deleted_at IS NULL"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, project_id).Bind(3, account_id),
                   ErrorCode::kNotFound, "account " + account_id + " not found");
}

Status SqliteHubStore::SoftDeleteAccount(const std::string& project_id,
                                         const std::string& account_id, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE accounts SET deleted_at = ?, updated_at = ?, status = 'inactive', "
                  "access_token_sealed = '', item_id_sealed = '' "
                  "WHERE project_id = ? AND id = ? AND deleted_at IS NULL"));
  LINKHUB_RETURN_IF_ERROR(RunUpdate(
      db_, upd.Bind(1, Seconds(now)).Bind(2, Seconds(now)).Bind(3, project_id).Bind(4, account_id),
      ErrorCode::kNotFound, "account " + account_id + " not found"));
  // Its call log goes with it (the log is reachable only through the account).
  LINKHUB_ASSIGN_OR_RETURN(
      Statement purge,
      db_.Prepare("DELETE FROM plaid_calls WHERE project_id = ? AND account_id = ?"));
  LINKHUB_RETURN_IF_ERROR(purge.Bind(1, project_id).Bind(2, account_id).Run());
  return tx.Commit();
}

Status SqliteHubStore::BeginExchange(const PendingExchange& p) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO pending_exchanges(id, project_id, session_id, public_token_hash, "
                  "account_id, origin_owner_id, institution_id, link_session_id, state, failure, "
                  "created_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, ?, "
                  "NULL)"));
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

Result<PendingExchange> SqliteHubStore::FindExchange(const std::string& public_token_hash) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT " + std::string(kExchangeColumns) +
                                       " FROM pending_exchanges WHERE public_token_hash = ?"));
  q.Bind(1, public_token_hash);
  return FirstRow(q, ReadExchange, "exchange");
}

Status SqliteHubStore::ReopenExchange(const std::string& exchange_id, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE pending_exchanges SET state = 'pending', failure = NULL, "
                  "closed_at = NULL, created_at = ? WHERE id = ? AND state = 'failed'"));
  return RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, exchange_id),
                   ErrorCode::kFailedPrecondition, "exchange is not failed");
}

Status SqliteHubStore::CompleteExchange(const std::string& exchange_id, const LinkedAccount& a,
                                        TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement close, db_.Prepare("UPDATE pending_exchanges SET state = 'linked', closed_at = ? "
                                   "WHERE id = ? AND state = 'pending'"));
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_, close.Bind(1, Seconds(now)).Bind(2, exchange_id),
                                    ErrorCode::kFailedPrecondition,
                                    "exchange is no longer pending"));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO accounts(" + std::string(kAccountColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "NULL)"));
  ins.Bind(1, a.id)
      .Bind(2, a.project_id)
      .Bind(3, a.provider)
      .Bind(4, a.origin_owner_id)
      .Bind(5, a.origin_owner_name)
      .BindOptional(6, a.origin_username)
      .BindOptional(7, a.label)
      .Bind(8, a.status)
      .Bind(9, ReasonsToJson(a.status_reasons))
      .Bind(10, a.type)
      .Bind(11, a.environment)
      .Bind(12, ToJson(ToJsonArray(a.products)))
      .BindOptional(13, a.institution_id)
      .BindOptional(14, a.institution_name)
      .Bind(15, a.accounts_json)
      .Bind(16, int64_t{a.details_pending ? 1 : 0})
      .Bind(17, a.access_token_sealed)
      .Bind(18, a.item_id_sealed)
      .Bind(19, a.item_id_hash);
  if (a.connect_session_id) {
    ins.Bind(20, *a.connect_session_id);
  } else {
    ins.BindNull(20);
  }
  ins.Bind(21, Seconds(a.created_at)).Bind(22, Seconds(a.updated_at));
  LINKHUB_RETURN_IF_ERROR(ins.Run());
  return tx.Commit();
}

Status SqliteHubStore::FailExchange(const std::string& exchange_id, const std::string& failure,
                                    TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare("UPDATE pending_exchanges SET state = 'failed', failure = ?, "
                                 "closed_at = ? WHERE id = ? AND state = 'pending'"));
  return RunUpdate(db_, upd.Bind(1, failure).Bind(2, Seconds(now)).Bind(3, exchange_id),
                   ErrorCode::kFailedPrecondition, "exchange is no longer pending");
}

Result<std::vector<PendingExchange>> SqliteHubStore::ListPendingExchanges() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT " + std::string(kExchangeColumns) +
                                       " FROM pending_exchanges WHERE state = 'pending' ORDER BY "
                                       "created_at, id"));
  return CollectRows(q, ReadExchange);
}

Result<std::vector<LinkedAccount>> SqliteHubStore::ListAccountsWithPendingDetails() {
  return QueryAccounts("details_pending = 1 AND deleted_at IS NULL", {},
                       " ORDER BY created_at, rowid");
}

Result<std::optional<std::string>> SqliteHubStore::GetSyncCursor(const std::string& project_id,
                                                                 const std::string& account_id,
                                                                 const std::string& consumer) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT cursor FROM sync_cursors WHERE "
                                                    "project_id = ? AND account_id = ? AND "
                                                    "consumer = ?"));
  q.Bind(1, project_id).Bind(2, account_id).Bind(3, consumer);
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(q.ColumnText(0));
}

Status SqliteHubStore::PutSyncCursor(const std::string& project_id, const std::string& account_id,
                                     const std::string& consumer, const std::string& cursor,
                                     TimePoint now) {
  auto lock = db_.Lock();
  if (cursor.empty()) {
    LINKHUB_ASSIGN_OR_RETURN(Statement del,
                             db_.Prepare("DELETE FROM sync_cursors WHERE project_id = ? AND "
                                         "account_id = ? AND consumer = ?"));
    return del.Bind(1, project_id).Bind(2, account_id).Bind(3, consumer).Run();
  }
  LINKHUB_ASSIGN_OR_RETURN(
      Statement up,
      db_.Prepare("INSERT INTO sync_cursors(project_id, account_id, consumer, cursor, updated_at) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT(project_id, account_id, consumer) DO "
                  "UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at"));
  return up.Bind(1, project_id)
      .Bind(2, account_id)
      .Bind(3, consumer)
      .Bind(4, cursor)
      .Bind(5, Seconds(now))
      .Run();
}

Status SqliteHubStore::AddPlaidCalls(const std::vector<PlaidCallRecord>& calls) {
  if (calls.empty()) {
    return OkStatus();
  }
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO plaid_calls(project_id, account_id, at_ms, endpoint, "
                  "http_status, error_code, request_id, latency_us) VALUES (?, ?, ?, ?, ?, ?, "
                  "?, ?)"));
  // Records past the newest kPlaidCallsKept of their account in this batch would be trimmed
  // below in the same transaction: under load a batch holds thousands per account, so they are
  // never written at all.
  std::map<std::pair<std::string_view, std::string_view>, int64_t> to_skip;
  for (const auto& c : calls) {
    ++to_skip[{c.project_id, c.account_id}];
  }
  for (auto& [key, n] : to_skip) {
    n = std::max<int64_t>(0, n - kPlaidCallsKept);
  }
  for (const auto& c : calls) {
    if (int64_t& skip = to_skip[{c.project_id, c.account_id}]; skip > 0) {
      --skip;
      continue;
    }
    ins.Reset();
    LINKHUB_RETURN_IF_ERROR(
        ins.Bind(1, c.project_id)
            .Bind(2, c.account_id)
            .Bind(3, int64_t{std::chrono::duration_cast<std::chrono::milliseconds>(
                                 c.at.time_since_epoch())
                                 .count()})
            .Bind(4, c.endpoint)
            .Bind(5, int64_t{c.http_status})
            .Bind(6, c.error_code)
            .Bind(7, c.request_id)
            .Bind(8, c.latency_us)
            .Run());
  }
  // Every account of the batch (the keys of to_skip) keeps its newest kPlaidCallsKept.
  LINKHUB_ASSIGN_OR_RETURN(
      Statement trim,
      db_.Prepare("DELETE FROM plaid_calls WHERE project_id = ?1 AND account_id = ?2 AND id <= "
                  "(SELECT id FROM plaid_calls WHERE project_id = ?1 AND account_id = ?2 "
                  "ORDER BY id DESC LIMIT 1 OFFSET ?3)"));
  for (const auto& [key, unused] : to_skip) {
    trim.Reset();
    LINKHUB_RETURN_IF_ERROR(
        trim.Bind(1, key.first).Bind(2, key.second).Bind(3, int64_t{kPlaidCallsKept}).Run());
  }
  return tx.Commit();
}

Result<std::vector<PlaidCallRecord>> SqliteHubStore::ListPlaidCalls(const std::string& project_id,
                                                                    const std::string& account_id,
                                                                    int limit) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT project_id, account_id, at_ms, endpoint, http_status, "
                               "error_code, request_id, latency_us FROM plaid_calls WHERE "
                               "project_id = ? AND account_id = ? ORDER BY id DESC LIMIT ?"));
  q.Bind(1, project_id).Bind(2, account_id).Bind(3, int64_t{limit});
  return CollectRows(q, [](const Statement& r) {
    PlaidCallRecord c;
    c.project_id = r.ColumnText(0);
    c.account_id = r.ColumnText(1);
    c.at = TimePoint(std::chrono::milliseconds(r.ColumnInt(2)));
    c.endpoint = r.ColumnText(3);
    c.http_status = static_cast<int>(r.ColumnInt(4));
    c.error_code = r.ColumnText(5);
    c.request_id = r.ColumnText(6);
    c.latency_us = r.ColumnInt(7);
    return c;
  });
}

Result<std::vector<SealedField>> SqliteHubStore::ListSealedFields() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare("SELECT id, project_id, 'access_token', access_token_sealed FROM accounts "
                  "WHERE access_token_sealed != '' UNION ALL "
                  "SELECT id, project_id, 'item_id', item_id_sealed FROM accounts "
                  "WHERE item_id_sealed != '' ORDER BY 1, 3"));
  return CollectRows(q, [](const Statement& s) {
    return SealedField{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnText(3)};
  });
}

Status SqliteHubStore::ReplaceSealedField(const SealedField& expected,
                                          const std::string& new_sealed) {
  std::string column;
  if (expected.field == "access_token") {
    column = "access_token_sealed";
  } else if (expected.field == "item_id") {
    column = "item_id_sealed";
  } else {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "unknown sealed field"));
  }
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare("UPDATE accounts SET " + column +
                                 " = ? WHERE id = ? AND project_id = ? AND " + column + " = ?"));
  return RunUpdate(db_,
                   upd.Bind(1, new_sealed)
                       .Bind(2, expected.account_id)
                       .Bind(3, expected.project_id)
                       .Bind(4, expected.sealed),
                   ErrorCode::kFailedPrecondition, "the sealed value changed concurrently");
}

}  // namespace linkhub::store
