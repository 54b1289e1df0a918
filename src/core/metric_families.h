#pragma once

#include "core/metrics.h"

namespace linkhub::metrics {

// Every metric linkhub exports, in one place, registered in the process's registry (Default())
// on first use: the HTTP server, the Plaid client, the linker, the caches and the stores record
// into these, and docs/operations.md lists them. Thread-safe; the families live for the process.
struct Families {
  // The HTTP server's answers. `route` is the matched pattern ("/accounts/{id}"; "unmatched" for
  // none), so that ids never become series.
  Family<Counter>& http_requests;     // route, method, status
  Family<Histogram>& http_duration;   // route, method
  Gauge& http_open_connections;       //
  Counter& http_refused_connections;  // past the server's max_connections
  Family<Gauge>& http_queued;         // pool: requests waiting for a handler thread
  Gauge& upstream_waiting;            // requests queued for a per-project Plaid slot
  Family<Counter>& plaid_requests;    // endpoint, status ("none": no answer), error_code
  Family<Histogram>& plaid_duration;  // endpoint
  Family<Counter>& exchanges;         // outcome
  Family<Counter>& cache_lookups;     // cache, result ("hit" or "miss")
  Family<Counter>& rate_limited;      // limit ("key" or "address")
  Histogram& db_lock_wait;            // waits for the connection another thread held
  Histogram& db_transaction;          // a write transaction, begin to commit or rollback
};

// The families, registered (with the process_* metrics) on the first call.
const Families& Linkhub();

}  // namespace linkhub::metrics
