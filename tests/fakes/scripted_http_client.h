#pragma once

// A blocking HTTP client that answers from a script, for tests of code that sends through
// http::HttpClient (the Plaid client's blocking transport).

#include <deque>
#include <mutex>
#include <vector>

#include "http/http_client.h"

namespace linkhub::fakes {

// Answers each request with the next scripted response (or kUnavailable when none is left), and
// records every request. Thread-safe.
class ScriptedHttpClient final : public http::HttpClient {
 public:
  Result<http::ClientResponse> Send(const http::ClientRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (answers_.empty()) {
      return Unexpected(MakeError(ErrorCode::kUnavailable, "no answer scripted"));
    }
    Result<http::ClientResponse> answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

  void Answer(int status, std::string body) {
    http::ClientResponse r;
    r.status = status;
    r.body = std::move(body);
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(r));
  }
  void Fail(Error e) {
    std::lock_guard lock(mu_);
    answers_.push_back(Unexpected(std::move(e)));
  }
  std::vector<http::ClientRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::deque<Result<http::ClientResponse>> answers_;
  std::vector<http::ClientRequest> requests_;
};

}  // namespace linkhub::fakes
