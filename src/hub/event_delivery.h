#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "http/http_client.h"
#include "hub/keys.h"
#include "store/event_store.h"

namespace linkhub::hub {

struct DeliveryOptions {
  std::chrono::milliseconds timeout{10'000};  // per attempt
  // Retries wait first_retry, then twice as long each time (with jitter: between half and all
  // of it), at most max_backoff, until give_up_after has passed since the event: then the
  // delivery fails, and an endpoint that failed for that long is marked failing.
  std::chrono::milliseconds first_retry{2'000};
  std::chrono::milliseconds max_backoff{std::chrono::hours(1)};
  std::chrono::milliseconds give_up_after{std::chrono::hours(24)};
  bool public_addresses_only = true;  // see http::ClientRequest
  size_t workers = 4;                 // endpoints served at once
  // How often an idle worker looks for due deliveries (retries come due with time). New events
  // are noticed sooner: one worker watches the store's write count (EventStore::WriteCount)
  // every `watch`, and Wake() makes them look at once.
  std::chrono::milliseconds poll{1000};
  std::chrono::milliseconds watch{5};
  // Settled deliveries and their events are kept this long (deliveries lists, timelines).
  std::chrono::hours keep{24 * 30};
};

// The delay before retry number `failures` (1: the first retry) of a delivery: exponential with
// jitter, capped. `unit` in [0, 1) picks the point in the jitter window. Pure.
std::chrono::milliseconds RetryDelay(const DeliveryOptions& options, int failures, double unit);

// Sends the outbox's events to the projects' endpoints: each delivery signed (event_signing.h),
// 2xx is delivered, anything else (or no answer in time) is retried with backoff, and every
// attempt is recorded (time, status, latency, error; never the body). An account's events reach
// an endpoint in order: a delivery waits while an earlier one to the same endpoint for the same
// account is pending. One endpoint is served by one worker at a time, so a slow endpoint holds
// only its own deliveries. Store, keys, client and clock must outlive it. Thread-safe.
class EventDelivery {
 public:
  EventDelivery(store::EventStore& events, Keys& keys, http::HttpClient& http, Clock& clock,
                Random& random, DeliveryOptions options);
  ~EventDelivery();

  // Sends every delivery due now, on the calling thread; returns how many attempts it made.
  Result<size_t> DeliverDue();
  // Starts the workers; Stop() ends them (an attempt in flight finishes first).
  void Start();
  void Stop();
  // Makes idle workers look for due deliveries now.
  void Wake();

 private:
  // Sends one delivery; returns the attempt to record.
  Result<store::AttemptRecord> Deliver(const store::DueDelivery& due);
  // Claims the due deliveries of one endpoint no other worker serves; empty when none.
  Result<std::vector<store::DueDelivery>> Claim();
  void Release(const std::string& endpoint_id);
  void WorkerLoop();
  // The first worker's loop between rounds: waits until the store was written, Wake(), Stop()
  // or `poll` passed, and wakes the other workers when the store was written.
  void WatchStore();
  // The watcher's housekeeping: PruneSettled once an hour.
  void PruneHourly();

  store::EventStore& events_;
  Keys& keys_;
  http::HttpClient& http_;
  Clock& clock_;
  Random& random_;
  const DeliveryOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::set<std::string> busy_endpoints_;                // guarded by mu_
  bool stopping_ = false;                               // guarded by mu_
  uint64_t wakes_ = 0;                                  // guarded by mu_
  bool watcher_taken_ = false;                          // guarded by mu_
  std::chrono::steady_clock::time_point last_prune_{};  // the watcher's own
  std::vector<std::thread> workers_;
};

}  // namespace linkhub::hub
