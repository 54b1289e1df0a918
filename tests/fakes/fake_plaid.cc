#include "fakes/fake_plaid.h"

#include "core/json.h"

namespace linkhub::fakes {

Error PlaidError(int status, const std::string& type, const std::string& code) {
  return plaid::ErrorForPlaid(status, boost::json::object{{"error_type", type},
                                                          {"error_code", code},
                                                          {"error_message", "scripted " + code},
                                                          {"request_id", "req-" + code}});
}

Error NoAnswer() {
  return MakeError(ErrorCode::kUnavailable, "Plaid did not answer: the connection failed");
}

plaid::RawAnswer FakePlaid::Send(std::string_view endpoint_view, std::string body_json,
                                 const plaid::AttemptObserver& observer,
                                 const plaid::RetryGate& /*may_retry*/) {
  std::string endpoint(endpoint_view);
  auto parsed = ParseJson(body_json);
  boost::json::object body =
      parsed && parsed->is_object() ? std::move(parsed->get_object()) : boost::json::object{};
  std::function<void(std::string_view)> hook;
  std::chrono::milliseconds took{0};
  {
    std::unique_lock lock(mu_);
    auto started =
        clock_ != nullptr ? clock_->MonotonicNow() : std::chrono::steady_clock::time_point{};
    calls_.push_back({endpoint, body, started});
    cv_.notify_all();
    cv_.wait(lock, [&] { return !blocked_.contains(endpoint); });
    hook = on_call_;
    took = call_time_;
  }
  if (hook) {
    hook(endpoint);
  }
  if (took.count() > 0) {
    clock_->Advance(took);
  }
  Responder responder;
  Result<boost::json::object> result = [&] {
    std::lock_guard lock(mu_);
    return AnswerLocked(endpoint, body, &responder);
  }();
  if (responder) {
    result = responder(body);  // outside the lock: a responder may call back into the fake
  }
  plaid::RawAnswer answer;
  auto latency = std::chrono::duration_cast<std::chrono::microseconds>(took);
  if (result) {
    answer.attempt = plaid::Attempt{
        200, "", std::string(GetString(*result, "request_id").value_or("")), latency};
    answer.body = ToJson(*result);
  } else {
    answer.attempt = plaid::AttemptOfError(result.error(), latency);
    answer.body = Unexpected(std::move(result).error());
  }
  if (observer) {
    observer(answer.attempt);
  }
  return answer;
}

Result<boost::json::object> FakePlaid::AnswerLocked(const std::string& endpoint,
                                                    const boost::json::object& /*body*/,
                                                    Responder* responder) {
  if (!then_.empty()) {
    Result<boost::json::object> r = std::move(then_.front());
    then_.pop_front();
    return r;
  }
  if (auto q = queues_.find(endpoint); q != queues_.end() && !q->second.empty()) {
    Result<boost::json::object> r = std::move(q->second.front());
    q->second.pop_front();
    return r;
  }
  if (auto it = failures_.find(endpoint); it != failures_.end()) {
    return Unexpected(it->second);
  }
  if (auto it = responders_.find(endpoint); it != responders_.end()) {
    *responder = it->second;
    return boost::json::object{};
  }
  if (auto it = answers_.find(endpoint); it != answers_.end()) {
    return it->second;
  }
  if (fallback_) {
    return *fallback_;
  }
  return Unexpected(
      MakeError(ErrorCode::kInternal, "fake Plaid: no answer scripted for " + endpoint));
}

void FakePlaid::Then(Result<boost::json::object> answer) {
  std::lock_guard lock(mu_);
  then_.push_back(std::move(answer));
}
void FakePlaid::Queue(const std::string& endpoint, Result<boost::json::object> answer) {
  std::lock_guard lock(mu_);
  queues_[endpoint].push_back(std::move(answer));
}
void FakePlaid::Respond(const std::string& endpoint, Responder responder) {
  std::lock_guard lock(mu_);
  responders_[endpoint] = std::move(responder);
}
void FakePlaid::Fail(const std::string& endpoint, Error e) {
  std::lock_guard lock(mu_);
  failures_[endpoint] = std::move(e);
}
void FakePlaid::Succeed(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  failures_.erase(endpoint);
}
void FakePlaid::SetAnswer(const std::string& endpoint, boost::json::object answer) {
  std::lock_guard lock(mu_);
  answers_[endpoint] = std::move(answer);
}
void FakePlaid::SetFallback(Result<boost::json::object> answer) {
  std::lock_guard lock(mu_);
  fallback_ = std::move(answer);
}
void FakePlaid::Block(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  blocked_.insert(endpoint);
}
void FakePlaid::Release(const std::string& endpoint) {
  {
    std::lock_guard lock(mu_);
    blocked_.erase(endpoint);
  }
  cv_.notify_all();
}
void FakePlaid::OnCall(std::function<void(std::string_view)> hook) {
  std::lock_guard lock(mu_);
  on_call_ = std::move(hook);
}
void FakePlaid::TakeTime(std::chrono::milliseconds d) {
  LINKHUB_CHECK(clock_ != nullptr);
  std::lock_guard lock(mu_);
  call_time_ = d;
}

size_t FakePlaid::CountLocked(std::string_view endpoint) {
  if (endpoint.empty()) {
    return calls_.size();
  }
  size_t n = 0;
  for (const auto& c : calls_) {
    n += c.endpoint == endpoint ? 1 : 0;
  }
  return n;
}

bool FakePlaid::WaitForCalls(size_t n, std::string_view endpoint,
                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return CountLocked(endpoint) >= n; });
}

std::vector<FakePlaid::Recorded> FakePlaid::Calls() {
  std::lock_guard lock(mu_);
  return calls_;
}
std::vector<FakePlaid::Recorded> FakePlaid::CallsTo(std::string_view endpoint) {
  std::vector<Recorded> out;
  for (auto& c : Calls()) {
    if (c.endpoint == endpoint) {
      out.push_back(std::move(c));
    }
  }
  return out;
}
std::vector<std::string> FakePlaid::Endpoints() {
  std::vector<std::string> out;
  for (auto& c : Calls()) {
    out.push_back(std::move(c.endpoint));
  }
  return out;
}
int FakePlaid::Count() {
  std::lock_guard lock(mu_);
  return static_cast<int>(calls_.size());
}
int FakePlaid::Count(std::string_view endpoint) {
  std::lock_guard lock(mu_);
  return static_cast<int>(CountLocked(endpoint));
}

}  // namespace linkhub::fakes
