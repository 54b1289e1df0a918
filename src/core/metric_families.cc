#include "core/metric_families.h"

#include <array>

namespace linkhub::metrics {

namespace {

Families Register(Registry& r) {
  // Bounds for the database: a statement on SQLite takes microseconds, a contended lock or a
  // write with fsync up to milliseconds.
  static constexpr std::array<double, 12> kDbBuckets = {
      0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1};
  AddProcessMetrics(r);
  return Families{
      .http_requests = r.AddCounter("linkhub_http_requests_total",
                                    "HTTP requests answered, by route pattern, method and status.",
                                    {"route", "method", "status"}),
      .http_duration = r.AddHistogram(
          "linkhub_http_request_duration_seconds",
          "Time from a request's header to its answer being ready, by route pattern and method.",
          {"route", "method"}, LatencyBuckets()),
      .http_open_connections =
          r.AddGauge("linkhub_http_open_connections", "Client connections open now.").With({}),
      .http_refused_connections =
          r.AddCounter("linkhub_http_refused_connections_total",
                       "Connections answered 503 and closed because the server had "
                       "--max-connections open.")
              .With({}),
      .http_queued = r.AddGauge("linkhub_http_queued_requests",
                                "Requests waiting for a thread of a handler pool.", {"pool"}),
      .upstream_waiting =
          r.AddGauge("linkhub_plaid_admission_waiting",
                     "Requests queued for one of their project's concurrent Plaid slots.")
              .With({}),
      .plaid_requests = r.AddCounter(
          "linkhub_plaid_requests_total",
          "Requests sent to Plaid, by endpoint, HTTP status (\"none\" when no answer came) and "
          "Plaid's error_code (\"none\" on success; \"timeout\" or \"connection\" without an "
          "answer).",
          {"endpoint", "status", "error_code"}),
      .plaid_duration = r.AddHistogram("linkhub_plaid_request_duration_seconds",
                                       "Latency of requests to Plaid, by endpoint.", {"endpoint"},
                                       LatencyBuckets()),
      .exchanges = r.AddCounter("linkhub_exchanges_total",
                                "public_token exchanges (linkings), by outcome.", {"outcome"}),
      .cache_lookups = r.AddCounter(
          "linkhub_cache_lookups_total",
          "Look-ups in the in-memory caches of the action path (API keys, opened accounts).",
          {"cache", "result"}),
      .rate_limited =
          r.AddCounter("linkhub_rate_limited_total",
                       "Requests refused with 429 by a rate limit, by limit.", {"limit"}),
      .db_lock_wait = r.AddHistogram("linkhub_db_lock_contended_wait_seconds",
                                     "Waits for the database connection while another thread "
                                     "held it.",
                                     {}, kDbBuckets)
                          .With({}),
      .db_transaction =
          r.AddHistogram("linkhub_db_transaction_duration_seconds",
                         "Duration of write transactions, from BEGIN to COMMIT or rollback.", {},
                         kDbBuckets)
              .With({}),
  };
}

}  // namespace

const Families& Linkhub() {
  static const Families families = Register(Default());
  return families;
}

}  // namespace linkhub::metrics
