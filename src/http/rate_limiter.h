#pragma once

// Requests per minute per key (an API key's id, a client address): a token bucket per key that
// holds at most a minute's allowance and refills continuously, so a key may burst up to its
// limit and then goes at the limit's pace. In memory, per process: with several instances each
// counts its own share. Thread-safe; never blocks on I/O, so an I/O thread may use it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/strings.h"

namespace linkhub::http {

class RateLimiter {
 public:
  // `per_minute` 0 turns the limit off. `max_keys` bounds memory: past it, keys whose bucket is
  // full again (idle for a minute) are forgotten, and if none is, the oldest.
  RateLimiter(Clock& clock, int64_t per_minute, size_t max_keys = 100'000);

  // Spends one request of `key`. nullopt when allowed; otherwise how long until one is (at least
  // one second, what Retry-After says), and nothing is spent.
  std::optional<std::chrono::seconds> Take(std::string_view key);

  int64_t per_minute() const { return per_minute_; }
  size_t Size();

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  // Makes room for a new key. REQUIRES: mu_ held.
  void EvictLocked(std::chrono::steady_clock::time_point now);

  Clock& clock_;
  const int64_t per_minute_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket, StringHash, std::equal_to<>> buckets_;  // guarded by mu_
};

}  // namespace linkhub::http
