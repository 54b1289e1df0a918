#include "plaid/retrying_plaid_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace linkhub::plaid {

bool IsTransient(const Error& error) {
  if (!error.provider) {
    // No answer at all: a connection failure or a timeout.
    return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kDeadlineExceeded;
  }
  const ProviderError& p = *error.provider;
  return p.error_type == "RATE_LIMIT_EXCEEDED" || p.http_status == 429 ||
         p.error_code == "INSTITUTION_DOWN" || p.error_code == "INSTITUTION_NOT_RESPONDING" ||
         p.http_status >= 500;
}

RetryingPlaidClient::RetryingPlaidClient(PlaidClient& inner, Clock& clock, Random& random,
                                         RetryPolicy policy, Sleeper sleep)
    : inner_(inner), clock_(clock), random_(random), policy_(policy), sleep_(std::move(sleep)) {}

RawAnswer RetryingPlaidClient::Send(std::string_view endpoint, std::string body_json,
                                    const AttemptObserver& observer, const RetryGate& may_retry) {
  return Attempts(endpoint, body_json, observer, may_retry, std::nullopt, clock_.MonotonicNow());
}

RawAnswer RetryingPlaidClient::Continue(std::string_view endpoint, const std::string& body_json,
                                        const AttemptObserver& observer, const RetryGate& may_retry,
                                        RawAnswer first, std::chrono::microseconds first_took) {
  return Attempts(endpoint, body_json, observer, may_retry, std::move(first),
                  clock_.MonotonicNow() - first_took);
}

RawAnswer RetryingPlaidClient::Attempts(std::string_view endpoint, const std::string& body_json,
                                        const AttemptObserver& observer, const RetryGate& may_retry,
                                        std::optional<RawAnswer> first,
                                        std::chrono::steady_clock::time_point started) {
  const bool retryable = IsSafeToRepeat(endpoint);
  std::chrono::milliseconds delay = policy_.base_delay;
  for (int attempt = 1;; ++attempt) {
    RawAnswer answer = attempt == 1 && first ? std::move(*first)
                                             : inner_.Send(endpoint, body_json, observer, nullptr);
    if (answer.body || !retryable || attempt >= policy_.max_attempts ||
        !IsTransient(answer.body.error())) {
      return answer;
    }
    const Error& failed = answer.body.error();
    uint32_t r = 0;
    {
      std::lock_guard lock(random_mu_);
      random_.Fill(&r, sizeof r);
    }
    // Jitter in [0.5, 1.5) × delay, so that many callers do not retry in step.
    auto wait = std::chrono::milliseconds(static_cast<int64_t>(
        static_cast<double>(delay.count()) * (0.5 + static_cast<double>(r % 1000) / 1000.0)));
    if (clock_.MonotonicNow() - started + wait > policy_.deadline) {
      return answer;
    }
    if (may_retry && !may_retry()) {
      spdlog::info("plaid {}: attempt {} failed; retry refused (the Item's rate budget is spent)",
                   endpoint, attempt);
      return answer;
    }
    spdlog::info(
        "plaid {}: attempt {} failed ({}); retrying in {} ms", endpoint, attempt,
        failed.provider ? failed.provider->error_code : std::string(ErrorCodeName(failed.code)),
        wait.count());
    sleep_(wait);
    delay = std::min(delay * 2, policy_.max_delay);
  }
}

}  // namespace linkhub::plaid
