#pragma once

// Helpers shared by the SQLite stores: time columns (whole seconds since the epoch) and reading
// every row of a statement.

#include <optional>
#include <string_view>
#include <vector>

#include "core/time_format.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

inline int64_t Seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline TimePoint FromSeconds(int64_t s) { return TimePoint(std::chrono::seconds(s)); }
// Milliseconds, for the tables whose order within a second matters (events, deliveries).
inline int64_t Millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }
inline std::optional<TimePoint> OptionalMillis(const Statement& s, int column) {
  if (s.ColumnIsNull(column)) {
    return std::nullopt;
  }
  return FromMillis(s.ColumnInt(column));
}
inline std::optional<TimePoint> OptionalTime(const Statement& s, int column) {
  if (s.ColumnIsNull(column)) {
    return std::nullopt;
  }
  return FromSeconds(s.ColumnInt(column));
}

// Steps `q` to the end and returns read(q) for every row.
template <class Read>
auto CollectRows(Statement& q, Read read) -> Result<std::vector<decltype(read(q))>> {
  std::vector<decltype(read(q))> out;
  while (true) {
    LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) {
      return out;
    }
    out.push_back(read(q));
  }
}

// Steps `q` once and returns read(q), or kNotFound with `what` when there is no row.
template <class Read>
auto FirstRow(Statement& q, Read read, const std::string& what) -> Result<decltype(read(q))> {
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return Unexpected(MakeError(ErrorCode::kNotFound, what + " not found"));
  }
  return read(q);
}

// Runs an UPDATE that must change a row: an error with `code` and `message` when it changed none
// (the row is missing, or a condition of its WHERE no longer holds).
inline Status RunUpdate(SqliteDb& db, Statement& update, ErrorCode code, std::string message) {
  LINKHUB_RETURN_IF_ERROR(update.Run());
  if (db.Changes() == 0) {
    return Unexpected(MakeError(code, std::move(message)));
  }
  return OkStatus();
}

// Every sealed value stored, one row each: (id, project_id, field, sealed), the id being an
// account's, an orphaned Item's, a webhook endpoint's or a Plaid webhook's. The one list of the
// sealed columns, for key rotation (ListSealedFields) and retirement (RetireDataKey).
inline constexpr std::string_view kSealedValuesSql =
    "SELECT id, project_id, 'access_token' AS field, access_token_sealed AS sealed FROM accounts "
    "WHERE access_token_sealed != '' UNION ALL "
    "SELECT id, project_id, 'item_id', item_id_sealed FROM accounts "
    "WHERE item_id_sealed != '' UNION ALL "
    "SELECT id, project_id, 'access_token', access_token_sealed FROM orphan_items "
    "WHERE access_token_sealed != '' UNION ALL "
    "SELECT id, project_id, 'item_id', item_id_sealed FROM orphan_items "
    "WHERE item_id_sealed != '' UNION ALL "
    "SELECT id, project_id, 'secret', secret_sealed FROM webhook_endpoints "
    "WHERE secret_sealed != '' UNION ALL "
    "SELECT id, project_id, 'previous_secret', previous_secret_sealed FROM "
    "webhook_endpoints WHERE previous_secret_sealed != '' UNION ALL "
    "SELECT id, project_id, 'body', body_sealed FROM plaid_webhooks "
    "WHERE body_sealed != ''";

}  // namespace linkhub::store
