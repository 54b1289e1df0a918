#include "store/sqlite_event_rows.h"

#include "core/json.h"
#include "store/sqlite_account_rows.h"
#include "store/sqlite_rows.h"

namespace linkhub::store::internal {

Result<domain::LinkedAccount> ReadAnyAccount(SqliteDb& db, const std::string& project_id,
                                             const std::string& account_id) {
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db.Prepare("SELECT " + std::string(kAccountColumns) +
                                      " FROM accounts WHERE project_id = ? AND id = ?"));
  q.Bind(1, project_id).Bind(2, account_id);
  return FirstRow(q, ReadAccount, "account " + account_id);
}

bool VisiblyDifferent(const domain::LinkedAccount& before, const domain::LinkedAccount& after) {
  return before.status != after.status ||
         ReasonsToJson(before.status_reasons) != ReasonsToJson(after.status_reasons) ||
         before.origin_owner_id != after.origin_owner_id ||
         before.origin_owner_name != after.origin_owner_name ||
         before.origin_username != after.origin_username || before.label != after.label;
}

std::string EventPayloadJson(const domain::LinkedAccount& a, domain::EventType type,
                             const std::string& event_id, TimePoint at) {
  boost::json::array reasons;
  for (const auto& r : a.status_reasons) {
    boost::json::object reason{{"code", r.code},
                               {"description", r.description},
                               {"timestamp", FormatRfc3339(r.timestamp)}};
    if (r.expires_at) {
      reason["expires_at"] = FormatRfc3339(*r.expires_at);
    }
    reasons.push_back(std::move(reason));
  }
  auto or_null = [](const std::optional<std::string>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
  };
  boost::json::object body{{"event", domain::ToString(type)},
                           {"event_id", event_id},
                           {"project_id", a.project_id},
                           {"account_id", a.id},
                           {"provider", a.provider},
                           {"origin_owner_id", a.origin_owner_id},
                           {"origin_owner_name", a.origin_owner_name},
                           {"origin_username", or_null(a.origin_username)},
                           {"label", or_null(a.label)},
                           {"status", domain::ToString(a.status)},
                           {"status_reasons", std::move(reasons)},
                           {"event_date", FormatRfc3339(at)}};
  return ToJson(body);
}

Status RecordAccountEvent(SqliteDb& db, domain::EventType type, const std::string& project_id,
                          const std::string& account_id, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                           ReadAnyAccount(db, project_id, account_id));
  return RecordEventAbout(db, type, account, now);
}

Status RecordEventAbout(SqliteDb& db, domain::EventType type, const domain::LinkedAccount& account,
                        TimePoint now) {
  const std::string& project_id = account.project_id;
  const std::string& account_id = account.id;
  // Event and delivery ids come from SQLite's generator (seeded from the system's entropy):
  // they are names, not secrets.
  LINKHUB_ASSIGN_OR_RETURN(Statement id, db.Prepare("SELECT 'evt_' || lower(hex(randomblob(12)))"));
  LINKHUB_ASSIGN_OR_RETURN(std::string event_id,
                           FirstRow(
                               id, [](const Statement& s) { return s.ColumnText(0); }, "id"));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db.Prepare("INSERT INTO events(id, project_id, account_id, type, payload_json, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq"));
  ins.Bind(1, event_id)
      .Bind(2, project_id)
      .Bind(3, account_id)
      .Bind(4, domain::ToString(type))
      .Bind(5, EventPayloadJson(account, type, event_id, now))
      .Bind(6, Millis(now));
  LINKHUB_ASSIGN_OR_RETURN(int64_t seq,
                           FirstRow(
                               ins, [](const Statement& s) { return s.ColumnInt(0); }, "event"));
  ins.Reset();  // done before the next statement of the transaction
  // One delivery per endpoint that takes this type (events_csv is ",a,b," or "" for all).
  LINKHUB_ASSIGN_OR_RETURN(
      Statement fan,
      db.Prepare("INSERT INTO webhook_deliveries(id, endpoint_id, project_id, account_id, "
                 "event_seq, state, next_attempt_at, created_at) "
                 "SELECT 'dlv_' || lower(hex(randomblob(12))), id, project_id, ?1, "
                 "?5, 'pending', ?2, ?2 FROM webhook_endpoints "
                 "WHERE project_id = ?3 AND deleted_at IS NULL AND "
                 "(events_csv = '' OR instr(events_csv, ',' || ?4 || ',') > 0)"));
  return fan.Bind(1, account_id)
      .Bind(2, Millis(now))
      .Bind(3, project_id)
      .Bind(4, domain::ToString(type))
      .Bind(5, seq)
      .Run();
}

Status RecordAccountUpdateIfVisible(SqliteDb& db, const domain::LinkedAccount& before,
                                    TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount after,
                           ReadAnyAccount(db, before.project_id, before.id));
  if (!VisiblyDifferent(before, after)) {
    return OkStatus();
  }
  return RecordEventAbout(db, domain::EventType::kAccountUpdated, after, now);
}

}  // namespace linkhub::store::internal
