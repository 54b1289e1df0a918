#include "plaid/rate_budget.h"

#include "plaid/limits.h"

namespace linkhub::plaid {

namespace {
constexpr auto kWindow = std::chrono::seconds(60);
}  // namespace

Status RateBudget::Acquire(std::string_view item_key, std::string_view endpoint) {
  const PlaidLimit* limit = LimitFor(endpoint);
  if (limit == nullptr || limit->per_item <= 0 || item_key.empty()) {
    return OkStatus();
  }
  auto now = clock_.MonotonicNow();
  std::string key = std::string(endpoint) + "|" + std::string(item_key);
  std::lock_guard lock(mu_);
  if (++acquisitions_ % 4096 == 0) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      it = !it->second.empty() && now - it->second.back() < kWindow ? std::next(it)
                                                                    : windows_.erase(it);
    }
  }
  auto& window = windows_[key];
  while (!window.empty() && now - window.front() >= kWindow) {
    window.pop_front();
  }
  if (static_cast<int>(window.size()) >= limit->per_item) {
    auto wait = std::chrono::ceil<std::chrono::seconds>(window.front() + kWindow - now);
    int64_t seconds = std::max<int64_t>(1, wait.count());
    Error e = MakeError(ErrorCode::kResourceExhausted,
                        "Plaid allows " + std::to_string(limit->per_item) + " calls of " +
                            std::string(endpoint) +
                            " per minute for one Item; linkhub held this one back. Retry in " +
                            std::to_string(seconds) + " s.");
    e.details.emplace_back("retry_after_seconds", seconds);
    return Unexpected(std::move(e));
  }
  window.push_back(now);
  return OkStatus();
}

}  // namespace linkhub::plaid
