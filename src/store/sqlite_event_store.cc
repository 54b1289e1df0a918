#include "store/sqlite_event_store.h"

#include "store/sqlite_rows.h"

namespace linkhub::store {

namespace {

using domain::Delivery;
using domain::DeliveryAttempt;
using domain::DeliveryState;
using domain::Event;
using domain::WebhookEndpoint;

constexpr std::string_view kEventColumns =
    "seq, id, project_id, account_id, type, payload_json, created_at";
// The same of events joined as `e`.
constexpr std::string_view kJoinedEventColumns =
    "e.seq, e.id, e.project_id, e.account_id, e.type, e.payload_json, e.created_at";
constexpr std::string_view kEndpointColumns =
    "id, project_id, url, events_csv, secret_sealed, previous_secret_sealed, "
    "previous_secret_until, status, failing_since, created_at";
// Deliveries as `d` joined with their event as `e`.
constexpr std::string_view kDeliveryColumns =
    "d.id, d.endpoint_id, d.project_id, d.account_id, d.event_seq, e.id, e.type, d.state, "
    "d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_latency_ms, "
    "d.last_error, d.delivered_at, d.created_at";
constexpr int kDeliveryColumnCount = 16;

// ",a,b," for a subscription list, "" for every event.
std::string EventsCsv(const std::vector<domain::EventType>& events) {
  if (events.empty()) {
    return "";
  }
  std::string out = ",";
  for (auto e : events) {
    out += std::string(domain::ToString(e)) + ",";
  }
  return out;
}

std::vector<domain::EventType> EventsFromCsv(std::string_view csv) {
  std::vector<domain::EventType> out;
  size_t start = 0;
  while (start < csv.size()) {
    size_t end = csv.find(',', start);
    if (end == std::string_view::npos) {
      end = csv.size();
    }
    if (auto t = domain::ParseEventType(csv.substr(start, end - start))) {
      out.push_back(*t);
    }
    start = end + 1;
  }
  return out;
}

Event ReadEvent(const Statement& s, int first = 0) {
  Event e;
  e.seq = s.ColumnInt(first);
  e.id = s.ColumnText(first + 1);
  e.project_id = s.ColumnText(first + 2);
  e.account_id = s.ColumnText(first + 3);
  e.type =
      domain::ParseEventType(s.ColumnText(first + 4)).value_or(domain::EventType::kAccountUpdated);
  e.payload_json = s.ColumnText(first + 5);
  e.created_at = FromMillis(s.ColumnInt(first + 6));
  return e;
}

WebhookEndpoint ReadEndpoint(const Statement& s, int first = 0) {
  WebhookEndpoint w;
  w.id = s.ColumnText(first);
  w.project_id = s.ColumnText(first + 1);
  w.url = s.ColumnText(first + 2);
  w.events = EventsFromCsv(s.ColumnText(first + 3));
  w.secret_sealed = s.ColumnText(first + 4);
  w.previous_secret_sealed = s.ColumnText(first + 5);
  w.previous_secret_until = OptionalMillis(s, first + 6);
  w.status = domain::ParseEndpointStatus(s.ColumnText(first + 7))
                 .value_or(domain::EndpointStatus::kActive);
  w.failing_since = OptionalMillis(s, first + 8);
  w.created_at = FromMillis(s.ColumnInt(first + 9));
  return w;
}

Delivery ReadDelivery(const Statement& s) {
  Delivery d;
  d.id = s.ColumnText(0);
  d.endpoint_id = s.ColumnText(1);
  d.project_id = s.ColumnText(2);
  d.account_id = s.ColumnText(3);
  d.event_seq = s.ColumnInt(4);
  d.event_id = s.ColumnText(5);
  d.event_type =
      domain::ParseEventType(s.ColumnText(6)).value_or(domain::EventType::kAccountUpdated);
  d.state = domain::ParseDeliveryState(s.ColumnText(7)).value_or(DeliveryState::kPending);
  d.attempts = static_cast<int>(s.ColumnInt(8));
  d.next_attempt_at = FromMillis(s.ColumnInt(9));
  if (!s.ColumnIsNull(10)) {
    d.last_attempt = DeliveryAttempt{FromMillis(s.ColumnInt(10)), static_cast<int>(s.ColumnInt(11)),
                                     s.ColumnInt(12), s.ColumnOptionalText(13).value_or("")};
  }
  d.delivered_at = OptionalMillis(s, 14);
  d.created_at = FromMillis(s.ColumnInt(15));
  return d;
}

}  // namespace

Result<std::vector<Event>> SqliteEventStore::ListAccountEvents(const std::string& project_id,
                                                               const std::string& account_id,
                                                               size_t limit) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(Statement q,
                           db_.Prepare("SELECT " + std::string(kEventColumns) +
                                       " FROM events WHERE project_id = ? AND account_id = ? "
                                       "ORDER BY seq DESC LIMIT ?"));
  q.Bind(1, project_id).Bind(2, account_id).Bind(3, static_cast<int64_t>(limit));
  return CollectRows(q, [](const Statement& s) { return ReadEvent(s); });
}

Status SqliteEventStore::CreateEndpoint(const WebhookEndpoint& w) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins, db_.Prepare("INSERT INTO webhook_endpoints(" + std::string(kEndpointColumns) +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins.Bind(1, w.id)
      .Bind(2, w.project_id)
      .Bind(3, w.url)
      .Bind(4, EventsCsv(w.events))
      .Bind(5, w.secret_sealed)
      .Bind(6, w.previous_secret_sealed);
  if (w.previous_secret_until) {
    ins.Bind(7, Millis(*w.previous_secret_until));
  } else {
    ins.BindNull(7);
  }
  ins.Bind(8, domain::ToString(w.status)).BindNull(9).Bind(10, Millis(w.created_at));
  return ins.Run();
}

Result<std::vector<WebhookEndpoint>> SqliteEventStore::ListEndpoints(
    const std::string& project_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT " + std::string(kEndpointColumns) +
                               " FROM webhook_endpoints WHERE project_id = ? AND deleted_at IS "
                               "NULL ORDER BY created_at, id"));
  q.Bind(1, project_id);
  return CollectRows(q, [](const Statement& s) { return ReadEndpoint(s); });
}

Result<WebhookEndpoint> SqliteEventStore::GetEndpoint(const std::string& project_id,
                                                      const std::string& endpoint_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT " + std::string(kEndpointColumns) +
                               " FROM webhook_endpoints WHERE project_id = ? AND id = ? AND "
                               "deleted_at IS NULL"));
  q.Bind(1, project_id).Bind(2, endpoint_id);
  return FirstRow(
      q, [](const Statement& s) { return ReadEndpoint(s); }, "webhook " + endpoint_id);
}

Status SqliteEventStore::DeleteEndpoint(const std::string& project_id,
                                        const std::string& endpoint_id, TimePoint now) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  // The secrets go at once: a deleted endpoint signs nothing again.
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd, db_.Prepare("UPDATE webhook_endpoints SET deleted_at = ?, secret_sealed = '', "
                                 "previous_secret_sealed = '' WHERE project_id = ? AND id = ? AND "
                                 "deleted_at IS NULL"));
  LINKHUB_RETURN_IF_ERROR(
      RunUpdate(db_, upd.Bind(1, Millis(now)).Bind(2, project_id).Bind(3, endpoint_id),
                ErrorCode::kNotFound, "webhook " + endpoint_id + " not found"));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement drop,
      db_.Prepare("UPDATE webhook_deliveries SET state = 'failed', last_error = 'the webhook "
                  "was deleted' WHERE endpoint_id = ? AND state = 'pending'"));
  LINKHUB_RETURN_IF_ERROR(drop.Bind(1, endpoint_id).Run());
  return tx.Commit();
}

Status SqliteEventStore::RotateSecret(const std::string& project_id, const std::string& endpoint_id,
                                      const std::string& new_secret_sealed,
                                      const std::string& previous_secret_sealed,
                                      TimePoint previous_until) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE webhook_endpoints SET previous_secret_sealed = ?, "
                  "previous_secret_until = ?, secret_sealed = ? WHERE project_id = ? AND id = ? "
                  "AND deleted_at IS NULL"));
  return RunUpdate(db_,
                   upd.Bind(1, previous_secret_sealed)
                       .Bind(2, Millis(previous_until))
                       .Bind(3, new_secret_sealed)
                       .Bind(4, project_id)
                       .Bind(5, endpoint_id),
                   ErrorCode::kNotFound, "webhook " + endpoint_id + " not found");
}

Result<std::vector<DueDelivery>> SqliteEventStore::ListDueDeliveries(TimePoint now, size_t limit) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare(
          "SELECT " + std::string(kDeliveryColumns) + ", " + std::string(kJoinedEventColumns) +
          ", w.id, w.project_id, w.url, w.events_csv, w.secret_sealed, "
          "w.previous_secret_sealed, w.previous_secret_until, w.status, w.failing_since, "
          "w.created_at FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq "
          "JOIN webhook_endpoints w ON w.id = d.endpoint_id "
          "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND w.deleted_at IS NULL "
          "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.state = 'pending' AND "
          "p.endpoint_id = d.endpoint_id AND p.account_id = d.account_id AND "
          "p.event_seq < d.event_seq) ORDER BY d.event_seq LIMIT ?"));
  q.Bind(1, Millis(now)).Bind(2, static_cast<int64_t>(limit));
  return CollectRows(q, [](const Statement& s) {
    DueDelivery due;
    due.delivery = ReadDelivery(s);
    due.event = ReadEvent(s, kDeliveryColumnCount);
    due.endpoint = ReadEndpoint(s, kDeliveryColumnCount + 7);
    return due;
  });
}

Result<std::optional<TimePoint>> SqliteEventStore::NextDueAt() {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'"));
  LINKHUB_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.ColumnIsNull(0)) {
    return std::optional<TimePoint>();
  }
  return std::optional<TimePoint>(FromMillis(q.ColumnInt(0)));
}

Status SqliteEventStore::RecordAttempts(const std::vector<AttemptRecord>& attempts,
                                        std::chrono::milliseconds failing_after) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  for (const AttemptRecord& record : attempts) {
    LINKHUB_RETURN_IF_ERROR(RecordAttemptLocked(record, failing_after));
  }
  return tx.Commit();
}

Status SqliteEventStore::RecordAttemptLocked(const AttemptRecord& record,
                                             std::chrono::milliseconds failing_after) {
  const std::string& delivery_id = record.delivery_id;
  const DeliveryAttempt& a = record.attempt;
  const DeliveryState next_state = record.next_state;
  const TimePoint next_attempt_at = record.next_attempt_at;
  LINKHUB_ASSIGN_OR_RETURN(
      Statement ins,
      db_.Prepare("INSERT INTO webhook_attempts(delivery_id, at, status_code, latency_ms, error) "
                  "VALUES (?, ?, ?, ?, ?)"));
  LINKHUB_RETURN_IF_ERROR(ins.Bind(1, delivery_id)
                              .Bind(2, Millis(a.at))
                              .Bind(3, int64_t{a.status_code})
                              .Bind(4, a.latency_ms)
                              .Bind(5, a.error)
                              .Run());
  const bool delivered = next_state == DeliveryState::kDelivered;
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, "
                  "next_attempt_at = ?, last_attempt_at = ?, last_status = ?, "
                  "last_latency_ms = ?, last_error = ?, "
                  "delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END WHERE id = ?"));
  LINKHUB_RETURN_IF_ERROR(RunUpdate(db_,
                                    upd.Bind(1, domain::ToString(next_state))
                                        .Bind(2, Millis(next_attempt_at))
                                        .Bind(3, Millis(a.at))
                                        .Bind(4, int64_t{a.status_code})
                                        .Bind(5, a.latency_ms)
                                        .Bind(6, a.error)
                                        .Bind(7, int64_t{delivered ? 1 : 0})
                                        .Bind(8, Millis(a.at))
                                        .Bind(9, delivery_id),
                                    ErrorCode::kNotFound, "delivery not found"));
  LINKHUB_ASSIGN_OR_RETURN(
      Statement health,
      delivered ? db_.Prepare("UPDATE webhook_endpoints SET status = 'active', failing_since = "
                              "NULL WHERE id = (SELECT endpoint_id FROM webhook_deliveries "
                              "WHERE id = ?1)")
                : db_.Prepare("UPDATE webhook_endpoints SET "
                              "failing_since = COALESCE(failing_since, ?2), "
                              "status = CASE WHEN ?4 OR ?2 - COALESCE(failing_since, ?2) >= ?3 "
                              "THEN 'failing' ELSE status END "
                              "WHERE id = (SELECT endpoint_id FROM webhook_deliveries "
                              "WHERE id = ?1)"));
  health.Bind(1, delivery_id);
  if (!delivered) {
    health.Bind(2, Millis(a.at))
        .Bind(3, static_cast<int64_t>(failing_after.count()))
        .Bind(4, int64_t{next_state == DeliveryState::kFailed ? 1 : 0});
  }
  return health.Run();
}

Result<std::vector<Delivery>> SqliteEventStore::QueryDeliveries(
    const std::string& where, const std::vector<std::string>& params, const std::string& tail) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q,
      db_.Prepare("SELECT " + std::string(kDeliveryColumns) +
                  " FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq WHERE " + where +
                  tail));
  for (size_t i = 0; i < params.size(); ++i) {
    q.Bind(static_cast<int>(i + 1), params[i]);
  }
  return CollectRows(q, ReadDelivery);
}

Result<std::vector<Delivery>> SqliteEventStore::ListDeliveries(const std::string& project_id,
                                                               const std::string& endpoint_id,
                                                               size_t limit) {
  return QueryDeliveries("d.project_id = ? AND d.endpoint_id = ?", {project_id, endpoint_id},
                         " ORDER BY d.event_seq DESC, d.id LIMIT " + std::to_string(limit));
}

Result<Delivery> SqliteEventStore::GetDelivery(const std::string& project_id,
                                               const std::string& endpoint_id,
                                               const std::string& delivery_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto rows,
                           QueryDeliveries("d.project_id = ? AND d.endpoint_id = ? AND d.id = ?",
                                           {project_id, endpoint_id, delivery_id}, ""));
  if (rows.empty()) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "delivery " + delivery_id + " not found"));
  }
  return std::move(rows.front());
}

Result<std::vector<DeliveryAttempt>> SqliteEventStore::ListAttempts(
    const std::string& delivery_id) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement q, db_.Prepare("SELECT at, status_code, latency_ms, error FROM webhook_attempts "
                               "WHERE delivery_id = ? ORDER BY id"));
  q.Bind(1, delivery_id);
  return CollectRows(q, [](const Statement& s) {
    return DeliveryAttempt{FromMillis(s.ColumnInt(0)), static_cast<int>(s.ColumnInt(1)),
                           s.ColumnInt(2), s.ColumnText(3)};
  });
}

Status SqliteEventStore::RetryDelivery(const std::string& project_id,
                                       const std::string& endpoint_id,
                                       const std::string& delivery_id, TimePoint now) {
  auto lock = db_.Lock();
  LINKHUB_ASSIGN_OR_RETURN(
      Statement upd,
      db_.Prepare("UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ? "
                  "WHERE project_id = ? AND endpoint_id = ? AND id = ? AND endpoint_id IN "
                  "(SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL)"));
  return RunUpdate(
      db_, upd.Bind(1, Millis(now)).Bind(2, project_id).Bind(3, endpoint_id).Bind(4, delivery_id),
      ErrorCode::kNotFound, "delivery " + delivery_id + " not found");
}

Result<int64_t> SqliteEventStore::PruneSettled(TimePoint before) {
  LINKHUB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  const int64_t cutoff = Millis(before);
  for (const char* sql :
       {"DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries "
        "WHERE state != 'pending' AND created_at < ?1)",
        "DELETE FROM webhook_deliveries WHERE state != 'pending' AND created_at < ?1"}) {
    LINKHUB_ASSIGN_OR_RETURN(Statement del, db_.Prepare(sql));
    LINKHUB_RETURN_IF_ERROR(del.Bind(1, cutoff).Run());
  }
  LINKHUB_ASSIGN_OR_RETURN(
      Statement events,
      db_.Prepare("DELETE FROM events WHERE created_at < ?1 AND NOT EXISTS (SELECT 1 FROM "
                  "webhook_deliveries d WHERE d.event_seq = events.seq)"));
  LINKHUB_RETURN_IF_ERROR(events.Bind(1, cutoff).Run());
  const int64_t pruned = db_.Changes();
  LINKHUB_RETURN_IF_ERROR(tx.Commit());
  return pruned;
}

}  // namespace linkhub::store
