#include "emulator/webhook_dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/json.h"

namespace linkhub::emulator {

WebhookDispatcher::WebhookDispatcher(http::HttpClient& http, WebhookSigner& signer, Clock& clock,
                                     Random& random, WebhookOptions options)
    : http_(http), signer_(signer), clock_(clock), random_(random), options_(options) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) {
    t.join();
  }
}

int64_t WebhookDispatcher::Enqueue(const std::string& url, const std::string& item_id,
                                   const boost::json::object& payload) {
  WebhookRecord r;
  r.url = url;
  r.item_id = item_id;
  r.webhook_type = std::string(GetString(payload, "webhook_type").value_or(""));
  r.webhook_code = std::string(GetString(payload, "webhook_code").value_or(""));
  // Pretty-printed, as Plaid sends them: receivers must hash the bytes they got, not a
  // re-serialisation, and this makes that mistake show.
  r.body = ToPrettyJson(payload);
  r.fired_at = clock_.Now();
  std::lock_guard lock(mu_);
  r.id = next_id_++;
  records_.push_back(std::move(r));
  while (records_.size() > options_.history) {
    records_.pop_front();
  }
  jobs_.push_back(Job{records_.back().id, clock_.MonotonicNow(), 1});
  cv_.notify_one();
  return records_.back().id;
}

std::vector<WebhookRecord> WebhookDispatcher::Records() {
  std::lock_guard lock(mu_);
  return {records_.begin(), records_.end()};
}

std::vector<WebhookRecord> WebhookDispatcher::WaitFor(
    const std::function<bool(const std::vector<WebhookRecord>&)>& done,
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::vector<WebhookRecord> now;
  attempted_.wait_for(lock, timeout, [&] {
    now.assign(records_.begin(), records_.end());
    return done(now);
  });
  return now;
}

void WebhookDispatcher::Clear() {
  std::lock_guard lock(mu_);
  records_.clear();
  jobs_.clear();
}

WebhookRecord* WebhookDispatcher::FindLocked(int64_t id) {
  for (auto& r : records_) {
    if (r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

void WebhookDispatcher::Work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (jobs_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = std::min_element(jobs_.begin(), jobs_.end(),
                                 [](const Job& a, const Job& b) { return a.due < b.due; });
    // Due times are the Clock's; the wait is handed the time left, as timers run on real time.
    auto now = clock_.MonotonicNow();
    if (next->due > now) {
      cv_.wait_for(lock, next->due - now);
      continue;
    }
    Job job = *next;
    jobs_.erase(next);
    WebhookRecord* rec = FindLocked(job.id);
    if (rec == nullptr) {
      continue;
    }
    std::string url = rec->url;
    std::string body = rec->body;
    lock.unlock();

    WebhookAttempt attempt;
    attempt.at = clock_.Now();
    auto signature = signer_.Sign(body);
    if (!signature) {
      attempt.error = signature.error().message;
    } else {
      http::ClientRequest req;
      req.method = "POST";
      req.url = url;
      req.body = body;
      req.timeout = options_.timeout;
      req.connect_timeout = std::min(options_.timeout, std::chrono::milliseconds(5000));
      req.headers.Set("Content-Type", "application/json");
      req.headers.Set("Plaid-Verification", *signature);
      req.headers.Set("User-Agent", "Plaid Verifier");
      auto res = http_.Send(req);
      if (res) {
        attempt.status = res->status;
      } else {
        attempt.error = res.error().message;
      }
    }
    bool ok = attempt.status >= 200 && attempt.status < 300;

    lock.lock();
    rec = FindLocked(job.id);
    if (rec == nullptr) {
      continue;
    }
    rec->attempts.push_back(attempt);
    attempted_.notify_all();
    if (ok) {
      rec->delivered = true;
      spdlog::info("webhook {} {}/{} delivered (attempt {})", rec->id, rec->webhook_type,
                   rec->webhook_code, job.attempt);
    } else if (job.attempt >= options_.max_attempts) {
      rec->gave_up = true;
      spdlog::warn("webhook {} {}/{} gave up after {} attempts", rec->id, rec->webhook_type,
                   rec->webhook_code, job.attempt);
    } else {
      std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
          options_.base_delay * (int64_t{1} << std::min(job.attempt - 1, 20)), options_.max_delay);
      // +/-20% jitter so that many failing receivers do not retry in lockstep.
      auto jitter_range = delay.count() / 5;
      auto jitter =
          jitter_range > 0
              ? static_cast<int64_t>(random_.Uniform(0, static_cast<uint64_t>(2 * jitter_range))) -
                    jitter_range
              : 0;
      jobs_.push_back(Job{job.id, clock_.MonotonicNow() + delay + std::chrono::milliseconds(jitter),
                          job.attempt + 1});
      spdlog::info("webhook {} {}/{} attempt {} failed ({}), retrying", rec->id, rec->webhook_type,
                   rec->webhook_code, job.attempt,
                   attempt.status != 0 ? std::to_string(attempt.status) : attempt.error);
    }
  }
}

}  // namespace linkhub::emulator
