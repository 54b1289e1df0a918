#pragma once

// A scripted Plaid for tests of everything above the PlaidClient seam (the retrying client, the
// exchange, the action pipeline).

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "plaid/plaid_client.h"

namespace linkhub::fakes {

// Plaid's error for `status`, `type` and `code`, as ErrorForPlaid makes it (message "scripted
// <code>", request_id "req-<code>").
Error PlaidError(int status, const std::string& type, const std::string& code);
// What no answer at all looks like (a connection failure).
Error NoAnswer();

// Answers each call from, in order: the queue shared by all endpoints (Then), the endpoint's
// queue (Queue), its standing failure (Fail), its responder (Respond), its canned answer
// (SetAnswer), the fallback (SetFallback); else kInternal "no answer scripted". Each Send() is
// one attempt, reported to its observer. Records every call; can hold calls to an endpoint until
// released, run a hook as a call arrives, and move a FakeClock forward by a set time per call.
// Thread-safe.
class FakePlaid final : public plaid::PlaidClient {
 public:
  struct Recorded {
    std::string endpoint;
    boost::json::object body;
    std::chrono::steady_clock::time_point started;  // the FakeClock's time; epoch without one
  };
  using Responder = std::function<Result<boost::json::object>(const boost::json::object& body)>;

  explicit FakePlaid(FakeClock* clock = nullptr) : clock_(clock) {}

  plaid::RawAnswer Send(std::string_view endpoint, std::string body_json,
                        const plaid::AttemptObserver& observer,
                        const plaid::RetryGate& may_retry) override;

  void Then(Result<boost::json::object> answer);
  void Queue(const std::string& endpoint, Result<boost::json::object> answer);
  void QueueError(const std::string& endpoint, Error e) {
    Queue(endpoint, Unexpected(std::move(e)));
  }
  void Respond(const std::string& endpoint, Responder responder);
  void Fail(const std::string& endpoint, Error e);
  void FailWithPlaid(const std::string& endpoint, const std::string& type, const std::string& code,
                     int status = 400) {
    Fail(endpoint, PlaidError(status, type, code));
  }
  void FailTransport(const std::string& endpoint) { Fail(endpoint, NoAnswer()); }
  void Succeed(const std::string& endpoint);
  void SetAnswer(const std::string& endpoint, boost::json::object answer);
  void SetFallback(Result<boost::json::object> answer);

  // Calls to `endpoint` wait in Send() until Release(endpoint).
  void Block(const std::string& endpoint);
  void Release(const std::string& endpoint);
  // Runs as each call arrives (before it is answered), outside the fake's lock.
  void OnCall(std::function<void(std::string_view endpoint)> hook);
  // Every call advances the FakeClock by `d` (REQUIRES: a clock was given).
  void TakeTime(std::chrono::milliseconds d);
  // Waits until `n` calls (to `endpoint`, when given) have arrived; false after `timeout`.
  bool WaitForCalls(size_t n, std::string_view endpoint = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

  std::vector<Recorded> Calls();
  std::vector<Recorded> CallsTo(std::string_view endpoint);
  std::vector<std::string> Endpoints();
  int Count();
  int Count(std::string_view endpoint);

 private:
  size_t CountLocked(std::string_view endpoint);
  Result<boost::json::object> AnswerLocked(const std::string& endpoint,
                                           const boost::json::object& body, Responder* responder);

  FakeClock* const clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Recorded> calls_;
  std::deque<Result<boost::json::object>> then_;
  std::map<std::string, std::deque<Result<boost::json::object>>> queues_;
  std::map<std::string, Responder> responders_;
  std::map<std::string, Error> failures_;
  std::map<std::string, boost::json::object> answers_;
  std::optional<Result<boost::json::object>> fallback_;
  std::set<std::string> blocked_;
  std::function<void(std::string_view)> on_call_;
  std::chrono::milliseconds call_time_{0};
};

}  // namespace linkhub::fakes
