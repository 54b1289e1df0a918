#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace linkhub::http {

namespace {

using Seconds = std::chrono::duration<double>;

}  // namespace

RateLimiter::RateLimiter(Clock& clock, int64_t per_minute, size_t max_keys)
    : clock_(clock), per_minute_(per_minute), max_keys_(std::max<size_t>(max_keys, 1)) {}

std::optional<std::chrono::seconds> RateLimiter::Take(std::string_view key) {
  if (per_minute_ <= 0) {
    return std::nullopt;
  }
  const double capacity = static_cast<double>(per_minute_);
  const double per_second = capacity / 60.0;
  auto now = clock_.MonotonicNow();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      EvictLocked(now);
    }
    it = buckets_.emplace(std::string(key), Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::chrono::duration_cast<Seconds>(now - b.at).count();
  b.tokens = std::min(capacity, b.tokens + std::max(0.0, elapsed) * per_second);
  b.at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  // Rounded up, less a hair, so that a refill due in exactly 20 s says 20 and not 21.
  double wait = (1.0 - b.tokens) / per_second;
  return std::chrono::seconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait - 1e-6))));
}

size_t RateLimiter::Size() {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

void RateLimiter::EvictLocked(std::chrono::steady_clock::time_point now) {
  // A key idle for a minute has a full bucket again: forgetting it changes nothing.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = now - it->second.at >= std::chrono::minutes(1) ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_keys_) {
    auto oldest =
        std::min_element(buckets_.begin(), buckets_.end(),
                         [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    buckets_.erase(oldest);
  }
}

}  // namespace linkhub::http
