#pragma once

// An asynchronous HTTP client that answers from a script, for tests of code that sends through
// http::AsyncHttpClient (the action pipeline's asynchronous transport).

#include <deque>
#include <mutex>
#include <vector>

#include "http/async_http_client.h"

namespace linkhub::fakes {

// Answers each request at once, inside SendAsync, with the next scripted response (or
// kUnavailable when none is left), and records every request. Thread-safe.
class ScriptedAsyncHttp final : public http::AsyncHttpClient {
 public:
  void SendAsync(http::ClientRequest request, http::SendDone done) override {
    Result<http::ClientResponse> answer =
        Unexpected(MakeError(ErrorCode::kUnavailable, "no answer scripted"));
    {
      std::lock_guard lock(mu_);
      requests_.push_back(std::move(request));
      if (!answers_.empty()) {
        answer = std::move(answers_.front());
        answers_.pop_front();
      }
    }
    done(std::move(answer));
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
