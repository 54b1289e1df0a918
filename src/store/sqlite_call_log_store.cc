#include "store/sqlite_call_log_store.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

#include "store/sqlite_rows.h"

namespace linkhub::store {

Status SqliteCallLogStore::AddPlaidCalls(const std::vector<domain::PlaidCallRecord>& calls) {
  if (calls.empty()) {
    return OkStatus();
  }
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO plaid_calls(project_id, account_id, at_ms, endpoint, "
                  "http_status, error_code, request_id, latency_us, via, linkhub_request_id) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  // Records past the newest domain::kPlaidCallsKept of their account in this batch would be trimmed
  // below in the same transaction: under load a batch holds thousands per account, so they are
  // never written at all.
  std::map<std::pair<std::string_view, std::string_view>, int64_t> to_skip;
  for (const auto& c : calls) {
    ++to_skip[{c.project_id, c.account_id}];
  }
  for (auto& [key, n] : to_skip) {
    n = std::max<int64_t>(0, n - domain::kPlaidCallsKept);
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
            .Bind(9, c.via)
            .Bind(10, c.linkhub_request_id)
            .Run());
  }
  // Every account of the batch (the keys of to_skip) keeps its newest domain::kPlaidCallsKept.
  LINKHUB_ASSIGN_OR_RETURN(
      Statement trim,
      db_.Prepare("DELETE FROM plaid_calls WHERE project_id = ?1 AND account_id = ?2 AND id <= "
                  "(SELECT id FROM plaid_calls WHERE project_id = ?1 AND account_id = ?2 "
                  "ORDER BY id DESC LIMIT 1 OFFSET ?3)"));
  for (const auto& [key, unused] : to_skip) {
    trim.Reset();
    LINKHUB_RETURN_IF_ERROR(trim.Bind(1, key.first)
                                .Bind(2, key.second)
                                .Bind(3, int64_t{domain::kPlaidCallsKept})
                                .Run());
  }
  return tx.Commit();
}

Result<std::vector<domain::PlaidCallRecord>> SqliteCallLogStore::ListPlaidCalls(
    const std::string& project_id, const std::string& account_id, int limit) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare(
          "SELECT project_id, account_id, at_ms, endpoint, http_status, "
          "error_code, request_id, latency_us, via, linkhub_request_id FROM plaid_calls WHERE "
          "project_id = ? AND account_id = ? ORDER BY id DESC LIMIT ?"));
  q.Bind(1, project_id).Bind(2, account_id).Bind(3, int64_t{limit});
  return CollectRows(q, [](const Statement& r) {
    domain::PlaidCallRecord c;
    c.project_id = r.ColumnText(0);
    c.account_id = r.ColumnText(1);
    c.at = TimePoint(std::chrono::milliseconds(r.ColumnInt(2)));
    c.endpoint = r.ColumnText(3);
    c.http_status = static_cast<int>(r.ColumnInt(4));
    c.error_code = r.ColumnText(5);
    c.request_id = r.ColumnText(6);
    c.latency_us = r.ColumnInt(7);
    c.via = r.ColumnText(8);
    c.linkhub_request_id = r.ColumnText(9);
    return c;
  });
}

}  // namespace linkhub::store
