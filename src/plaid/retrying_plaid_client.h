#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

#include "core/clock.h"
#include "core/random.h"
#include "plaid/plaid_client.h"

namespace linkhub::plaid {

struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds base_delay{250};  // doubles per attempt, ±50% jitter
  std::chrono::milliseconds max_delay{2000};
  std::chrono::milliseconds deadline{10'000};  // no retry starts after this much time
};

// Retries reads that failed for a passing reason — RATE_LIMIT_EXCEEDED, INSTITUTION_DOWN or
// INSTITUTION_NOT_RESPONDING, Plaid 5xx, no answer (connection failure, timeout) — with
// exponential backoff and jitter, within a deadline. Only endpoints that change nothing at Plaid
// are retried (IsSafeToRepeat); anything else gets exactly one attempt. Thread-safe.
class RetryingPlaidClient final : public PlaidClient {
 public:
  RetryingPlaidClient(PlaidClient& inner, Clock& clock, Random& random, RetryPolicy policy,
                      Sleeper sleep);

  RawAnswer Send(std::string_view endpoint, std::string body_json, const AttemptObserver& observer,
                 const RetryGate& may_retry) override;
  // Goes on with a call whose first attempt was made elsewhere (an asynchronous client), took
  // `first_took` and gave `first`: retries exactly as Send would have after that attempt, within
  // the same deadline counted from the first attempt's start.
  RawAnswer Continue(std::string_view endpoint, const std::string& body_json,
                     const AttemptObserver& observer, const RetryGate& may_retry, RawAnswer first,
                     std::chrono::microseconds first_took);

 private:
  RawAnswer Attempts(std::string_view endpoint, const std::string& body_json,
                     const AttemptObserver& observer, const RetryGate& may_retry,
                     std::optional<RawAnswer> first, std::chrono::steady_clock::time_point started);
  PlaidClient& inner_;
  Clock& clock_;
  Random& random_;
  std::mutex random_mu_;
  const RetryPolicy policy_;
  Sleeper sleep_;
};

// Whether `error` is worth another attempt (see RetryingPlaidClient).
bool IsTransient(const Error& error);

}  // namespace linkhub::plaid
