#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace linkhub::plaid {

// Plaid's per-Item limits, kept on linkhub's side: a call that Plaid would refuse with
// RATE_LIMIT_EXCEEDED is refused here first, without spending a request, and the caller learns
// when to retry. A sliding 60-second window per (Item, endpoint), so no fixed minute of Plaid's
// can see more than the limit either. In-process: with several instances each keeps its own
// (documented). Thread-safe.
class RateBudget {
 public:
  explicit RateBudget(Clock& clock) : clock_(clock) {}

  // Takes one request of `endpoint` for the Item `item_key` (any stable key; the item id's hash
  // will do). kResourceExhausted with details {"retry_after_seconds", N} when the window is full.
  Status Acquire(std::string_view item_key, std::string_view endpoint);

 private:
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>, std::less<>> windows_;
  int acquisitions_ = 0;  // for occasional pruning of idle windows
};

}  // namespace linkhub::plaid
