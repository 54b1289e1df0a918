#include "store/sqlite_account_store.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "core/json.h"
#include "store/sqlite_account_rows.h"
#include "store/sqlite_event_rows.h"
#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

using domain::AccountStatus;
using domain::LinkedAccount;
using internal::kAccountColumns;
using internal::ReadAccount;
using internal::ReasonsToJson;

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

std::vector<std::string> Names(const std::vector<AccountStatus>& statuses) {
  std::vector<std::string> out;
  out.reserve(statuses.size());
  for (AccountStatus s : statuses) {
    out.emplace_back(domain::ToString(s));
  }
  return out;
}

}  // namespace

Result<std::vector<LinkedAccount>> SqliteAccountStore::QueryAccounts(
    const std::string& where, const std::vector<std::string>& params, const std::string& tail) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q, db_.Prepare("SELECT " + std::string(kAccountColumns) +
                                                    " FROM accounts WHERE " + where + tail));
  for (size_t i = 0; i < params.size(); ++i) {
    q.Bind(static_cast<int>(i + 1), params[i]);
  }
  return CollectRows(q, ReadAccount);
}

Result<std::vector<LinkedAccount>> SqliteAccountStore::ListAccounts(
    const domain::AccountFilter& filter) {
  std::string where = "project_id = ? AND deleted_at IS NULL";
  std::vector<std::string> params{filter.project_id};
  AddInFilter(where, params, "provider", filter.providers);
  AddInFilter(where, params, "origin_owner_id", filter.origin_owner_ids);
  AddInFilter(where, params, "status", Names(filter.statuses));
  AddInFilter(where, params, "id", filter.account_ids);
  // Newest first; rowid breaks ties between accounts created in the same second.
  return QueryAccounts(where, params,
                       " ORDER BY created_at DESC, rowid DESC LIMIT " +
                           std::to_string(filter.limit) + " OFFSET " +
                           std::to_string(filter.offset));
}

Result<LinkedAccount> SqliteAccountStore::GetAccount(const std::string& project_id,
                                                     const std::string& account_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto rows,
                           QueryAccounts("project_id = ? AND id = ? AND deleted_at IS NULL",
                                         {project_id, account_id}, ""));
  if (rows.empty()) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "account " + account_id + " not found"));
  }
  return std::move(rows.front());
}

Result<std::vector<LinkedAccount>> SqliteAccountStore::ListOwnerAccounts(
    const std::string& project_id, const std::string& origin_owner_id, const std::string& provider,
    const std::vector<AccountStatus>& statuses) {
  std::string where =
      "project_id = ? AND origin_owner_id = ? AND provider = ? AND deleted_at IS NULL";
  std::vector<std::string> params{project_id, origin_owner_id, provider};
  AddInFilter(where, params, "status", Names(statuses));
  return QueryAccounts(where, params, " ORDER BY created_at, rowid");
}

Result<std::optional<LinkedAccount>> SqliteAccountStore::FindAccountByItem(
    const std::string& project_id, const std::string& item_id_hash) {
  // Newest first: a re-linked bank login keeps its Item, so one Item is one account.
  LINKHUB_ASSIGN_OR_RETURN(
      auto rows, QueryAccounts("project_id = ? AND item_id_hash = ?", {project_id, item_id_hash},
                               " ORDER BY deleted_at IS NULL DESC, created_at DESC LIMIT 1"));
  if (rows.empty()) {
    return std::optional<LinkedAccount>();
  }
  return std::optional<LinkedAccount>(std::move(rows.front()));
}

Status SqliteAccountStore::UpdateAccount(const LinkedAccount& a) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(LinkedAccount before, internal::ReadAnyAccount(db_, a.project_id, a.id));
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
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_,
                                    upd.Bind(1, a.origin_owner_id)
                                        .Bind(2, a.origin_owner_name)
                                        .BindOptional(3, a.origin_username)
                                        .BindOptional(4, a.label)
                                        .Bind(5, domain::ToString(a.status))
                                        .Bind(6, ReasonsToJson(a.status_reasons))
                                        .Bind(7, ToJson(ToJsonArray(a.products)))
                                        .BindOptional(8, a.institution_id)
                                        .BindOptional(9, a.institution_name)
                                        .Bind(10, a.accounts_json)
                                        .Bind(11, int64_t{a.details_pending ? 1 : 0})
                                        .Bind(12, Seconds(a.updated_at))
                                        .Bind(13, a.project_id)
                                        .Bind(14, a.id),
                                    ErrorCode::kNotFound, "account " + a.id + " not found"));
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountUpdateIfVisible(db_, before, a.updated_at));
  return tx.Commit();
}

Result<LinkedAccount> SqliteAccountStore::EditAccount(const std::string& project_id,
                                                      const std::string& account_id,
                                                      const domain::AccountEdit& edit,
                                                      TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(LinkedAccount before,
                           internal::ReadAnyAccount(db_, project_id, account_id));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE accounts SET origin_owner_id = COALESCE(?1, origin_owner_id), "
                  "origin_owner_name = COALESCE(?2, origin_owner_name), "
                  "origin_username = COALESCE(?3, origin_username), "
                  "label = COALESCE(?4, label), updated_at = ?5 "
                  "WHERE project_id = ?6 AND id = ?7 AND deleted_at IS NULL"));
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_,
                                    upd.BindOptional(1, edit.origin_owner_id)
                                        .BindOptional(2, edit.origin_owner_name)
                                        .BindOptional(3, edit.origin_username)
                                        .BindOptional(4, edit.label)
                                        .Bind(5, Seconds(now))
                                        .Bind(6, project_id)
                                        .Bind(7, account_id),
                                    ErrorCode::kNotFound, "account " + account_id + " not found"));
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountUpdateIfVisible(db_, before, now));
  LINKHUB_ASSIGN_OR_RETURN(LinkedAccount after,
                           internal::ReadAnyAccount(db_, project_id, account_id));
  LINKHUB_RETURN_IF_ERROR(tx.Commit());
  return after;
}

Status SqliteAccountStore::UpdateAccountDetails(const LinkedAccount& a) {
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

Status SqliteAccountStore::SetAccountStatus(const std::string& project_id,
                                            const std::string& account_id, AccountStatus status,
                                            const std::vector<domain::StatusReason>& reasons,
                                            TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(LinkedAccount before,
                           internal::ReadAnyAccount(db_, project_id, account_id));
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
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_,
                                    upd.Bind(1, domain::ToString(status))
                                        .Bind(2, ReasonsToJson(reasons))
                                        .Bind(3, Seconds(now))
                                        .Bind(4, project_id)
                                        .Bind(5, account_id),
                                    ErrorCode::kNotFound, "account " + account_id + " not found"));
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountUpdateIfVisible(db_, before, now));
  return tx.Commit();
}

Status SqliteAccountStore::SuspendAccount(const std::string& project_id,
                                          const std::string& account_id,
                                          const domain::StatusReason& reason, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(LinkedAccount before,
                           internal::ReadAnyAccount(db_, project_id, account_id));
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
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_,
                                    upd.Bind(1, ReasonsToJson({reason}))
                                        .Bind(2, Seconds(now))
                                        .Bind(3, project_id)
                                        .Bind(4, account_id),
                                    ErrorCode::kNotFound, "account " + account_id + " not found"));
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountUpdateIfVisible(db_, before, now));
  return tx.Commit();
}

Status SqliteAccountStore::ResumeAccount(const std::string& project_id,
                                         const std::string& account_id, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(LinkedAccount before,
                           internal::ReadAnyAccount(db_, project_id, account_id));
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
  LINKHUB_RETURN_IF_ERROR(
      RunUpdate(db_, upd.Bind(1, Seconds(now)).Bind(2, project_id).Bind(3, account_id),
                ErrorCode::kNotFound, "account " + account_id + " not found"));
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountUpdateIfVisible(db_, before, now));
  return tx.Commit();
}

Status SqliteAccountStore::SoftDeleteAccount(const std::string& project_id,
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
  LINKHUB_RETURN_IF_ERROR(internal::RecordAccountEvent(db_, domain::EventType::kAccountDeleted,
                                                       project_id, account_id, now));
  return tx.Commit();
}

Result<std::vector<LinkedAccount>> SqliteAccountStore::ListAccountsWithPendingDetails() {
  return QueryAccounts("details_pending = 1 AND deleted_at IS NULL", {},
                       " ORDER BY created_at, rowid");
}

Result<std::vector<domain::SealedField>> SqliteAccountStore::ListSealedFields() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare(std::string(kSealedValuesSql) + " ORDER BY 1, 3"));
  return CollectRows(q, [](const Statement& s) {
    return domain::SealedField{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnText(3)};
  });
}

Status SqliteAccountStore::ReplaceSealedField(const domain::SealedField& expected,
                                              const std::string& new_sealed) {
  // Orphaned Items, webhook endpoints and Plaid's webhooks keep their sealed values beside the
  // accounts' (see ListSealedFields); the id's prefix names the table.
  const char* table = "accounts";
  if (expected.account_id.starts_with("orph_")) {
    table = "orphan_items";
  } else if (expected.account_id.starts_with("whk_")) {
    table = "webhook_endpoints";
  } else if (expected.account_id.starts_with("pwh_")) {
    table = "plaid_webhooks";
  }
  static constexpr std::string_view kFields[] = {"access_token", "item_id", "secret",
                                                 "previous_secret", "body"};
  if (std::find(std::begin(kFields), std::end(kFields), expected.field) == std::end(kFields)) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "unknown sealed field"));
  }
  std::string column = expected.field + "_sealed";
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare(std::string("UPDATE ") + table + " SET " + column +
                                 " = ? WHERE id = ? AND project_id = ? AND " + column + " = ?"));
  return RunUpdate(db_,
                   upd.Bind(1, new_sealed)
                       .Bind(2, expected.account_id)
                       .Bind(3, expected.project_id)
                       .Bind(4, expected.sealed),
                   ErrorCode::kFailedPrecondition, "the sealed value changed concurrently");
}

}  // namespace linkhub::store
