#include "hub/event_delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "http/address.h"
#include "hub/event_signing.h"
#include "vault/hashing.h"

namespace linkhub::hub {

namespace {

// The delivery's body: the event's payload with this attempt's sent_at.
std::string BodyFor(const domain::Event& event, TimePoint now) {
  std::string body = event.payload_json;
  if (!body.empty() && body.back() == '}') {
    body.pop_back();
    body += ",\"sent_at\":\"" + FormatRfc3339(now) + "\"}";
  }
  return body;
}

}  // namespace

std::chrono::milliseconds RetryDelay(const DeliveryOptions& o, int failures, double unit) {
  double full =
      static_cast<double>(o.first_retry.count()) * std::pow(2.0, std::max(0, failures - 1));
  full = std::min(full, static_cast<double>(o.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(full * (0.5 + 0.5 * unit)));
}

EventDelivery::EventDelivery(store::EventStore& events, Keys& keys, http::HttpClient& http,
                             Clock& clock, Random& random, DeliveryOptions options)
    : events_(events),
      keys_(keys),
      http_(http),
      clock_(clock),
      random_(random),
      options_(options) {}

EventDelivery::~EventDelivery() { Stop(); }

Result<store::AttemptRecord> EventDelivery::Deliver(const store::DueDelivery& due) {
  const auto& endpoint = due.endpoint;
  const TimePoint now = clock_.Now();
  std::vector<std::string> secrets;
  LINKHUB_ASSIGN_OR_RETURN(std::string secret, keys_.Open(endpoint.project_id, endpoint.id,
                                                          "secret", endpoint.secret_sealed));
  secrets.push_back(std::move(secret));
  if (!endpoint.previous_secret_sealed.empty() && endpoint.previous_secret_until &&
      now < *endpoint.previous_secret_until) {
    LINKHUB_ASSIGN_OR_RETURN(std::string previous,
                             keys_.Open(endpoint.project_id, endpoint.id, "previous_secret",
                                        endpoint.previous_secret_sealed));
    secrets.push_back(std::move(previous));
  }
  const std::string body = BodyFor(due.event, now);
  const int64_t timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  EventSignature signature = SignEvent(secrets, due.event.id, timestamp, body);
  for (auto& s : secrets) {
    vault::Wipe(s);
  }

  http::ClientRequest request;
  request.method = "POST";
  request.url = endpoint.url;
  request.body = body;
  request.timeout = options_.timeout;
  request.connect_timeout = std::min(options_.timeout, request.connect_timeout);
  request.public_addresses_only = options_.public_addresses_only;
  request.headers.Add("Content-Type", "application/json");
  request.headers.Add("User-Agent", "linkhub-webhooks");
  request.headers.Add("x-stackone-signature", signature.stackone);
  request.headers.Add("webhook-id", due.event.id);
  request.headers.Add("webhook-timestamp", std::to_string(timestamp));
  request.headers.Add("webhook-signature", signature.standard);

  const auto started = std::chrono::steady_clock::now();
  auto answer = http_.Send(request);
  domain::DeliveryAttempt attempt;
  attempt.at = now;
  attempt.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  if (answer) {
    attempt.status_code = answer->status;
    if (answer->status < 200 || answer->status > 299) {
      attempt.error = "the endpoint answered HTTP " + std::to_string(answer->status);
    }
  } else {
    attempt.error = answer.error().message;  // names scheme, host and port only
  }
  domain::DeliveryState next = domain::DeliveryState::kDelivered;
  TimePoint next_at = now;
  if (!attempt.error.empty()) {
    const int failures = due.delivery.attempts + 1;
    next_at = now + RetryDelay(options_, failures,
                               static_cast<double>(random_.Uniform(0, 999'999)) / 1e6);
    const bool out_of_time = next_at - due.event.created_at >= options_.give_up_after;
    next = out_of_time ? domain::DeliveryState::kFailed : domain::DeliveryState::kPending;
    spdlog::warn("webhook {} delivery {} of {} failed (attempt {}): {}{}", endpoint.id,
                 due.delivery.id, due.event.id, failures, attempt.error,
                 out_of_time ? "; giving up" : "");
  } else {
    spdlog::info("webhook {} delivery {} of {} ({}) delivered in {} ms", endpoint.id,
                 due.delivery.id, due.event.id, domain::ToString(due.event.type),
                 attempt.latency_ms);
  }
  return store::AttemptRecord{due.delivery.id, std::move(attempt), next, next_at};
}

Result<std::vector<store::DueDelivery>> EventDelivery::Claim() {
  LINKHUB_ASSIGN_OR_RETURN(auto due, events_.ListDueDeliveries(clock_.Now(), 200));
  std::lock_guard lock(mu_);
  std::vector<store::DueDelivery> mine;
  for (auto& d : due) {
    if (mine.empty()) {
      if (busy_endpoints_.count(d.endpoint.id) != 0) {
        continue;
      }
      busy_endpoints_.insert(d.endpoint.id);
    } else if (d.endpoint.id != mine.front().endpoint.id) {
      continue;
    }
    mine.push_back(std::move(d));
  }
  return mine;
}

void EventDelivery::Release(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  busy_endpoints_.erase(endpoint_id);
}

Result<size_t> EventDelivery::DeliverDue() {
  size_t attempts = 0;
  while (true) {
    LINKHUB_ASSIGN_OR_RETURN(auto mine, Claim());
    if (mine.empty()) {
      return attempts;
    }
    const std::string endpoint_id = mine.front().endpoint.id;
    // Attempts are recorded in batches (one flush to the disk each), at most kBatchTime after
    // the first of a batch was made. A crash before a batch is recorded sends its deliveries
    // again: at least once, never lost.
    constexpr size_t kBatch = 64;
    constexpr auto kBatchTime = std::chrono::milliseconds(100);
    std::vector<store::AttemptRecord> batch;
    auto batch_started = std::chrono::steady_clock::now();
    Status failed = OkStatus();
    auto flush = [&] {
      if (batch.empty()) {
        return;
      }
      if (auto s = events_.RecordAttempts(batch, options_.give_up_after); !s) {
        if (failed) {
          failed = std::move(s);
        }
      } else {
        attempts += batch.size();
      }
      batch.clear();
    };
    for (const auto& d : mine) {
      auto record = Deliver(d);
      if (!record) {
        failed = Unexpected(std::move(record).error());
        break;
      }
      if (batch.empty()) {
        batch_started = std::chrono::steady_clock::now();
      }
      batch.push_back(std::move(*record));
      if (batch.size() >= kBatch ||
          std::chrono::steady_clock::now() - batch_started >= kBatchTime) {
        flush();
      }
    }
    flush();
    Release(endpoint_id);
    if (!failed) {
      return Unexpected(std::move(failed).error());
    }
  }
}

void EventDelivery::PruneHourly() {
  const auto now = std::chrono::steady_clock::now();
  if (last_prune_ != std::chrono::steady_clock::time_point{} &&
      now - last_prune_ < std::chrono::hours(1)) {
    return;
  }
  last_prune_ = now;
  if (auto pruned = events_.PruneSettled(clock_.Now() - options_.keep); !pruned) {
    spdlog::warn("pruning settled events failed: {}", pruned.error().message);
  } else if (*pruned > 0) {
    spdlog::info("pruned {} settled events older than {} days", *pruned,
                 options_.keep.count() / 24);
  }
}

void EventDelivery::WatchStore() {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<uint64_t> seen_writes = events_.WriteCount();
  std::unique_lock lock(mu_);
  const uint64_t seen_wakes = wakes_;
  while (!stopping_ && wakes_ == seen_wakes &&
         std::chrono::steady_clock::now() - start < options_.poll) {
    wake_.wait_for(lock, seen_writes ? options_.watch : options_.poll,
                   [&] { return stopping_ || wakes_ != seen_wakes; });
    if (seen_writes && events_.WriteCount() != seen_writes) {
      ++wakes_;  // the others look too
      lock.unlock();
      wake_.notify_all();
      return;
    }
  }
}

void EventDelivery::WorkerLoop() {
  const bool watcher = [&] {
    std::lock_guard lock(mu_);
    return watcher_taken_ ? false : (watcher_taken_ = true);
  }();
  while (true) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        return;
      }
      seen = wakes_;
    }
    auto delivered = DeliverDue();
    if (!delivered) {
      spdlog::error("delivering events failed: {}", delivered.error().message);
    }
    if (delivered && *delivered > 0) {
      continue;  // more may have come due meanwhile
    }
    if (watcher) {
      PruneHourly();
      WatchStore();
      continue;
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, options_.poll, [&] { return stopping_ || wakes_ != seen; });
  }
}

void EventDelivery::Start() {
  for (size_t i = 0; i < std::max<size_t>(1, options_.workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

void EventDelivery::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) {
      t.join();
    }
  }
  workers_.clear();
}

void EventDelivery::Wake() {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  wake_.notify_all();
}

}  // namespace linkhub::hub
