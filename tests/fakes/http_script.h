#pragma once

// The script both scripted HTTP clients answer from (scripted_http_client.h,
// scripted_async_http.h).

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "http/http_client.h"

namespace linkhub::fakes {

// Scripted answers, taken in order, and the requests they answered. Thread-safe.
class HttpScript {
 public:
  // Queues an answer with `status` and `body`.
  void Answer(int status, std::string body) {
    http::ClientResponse r;
    r.status = status;
    r.body = std::move(body);
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(r));
  }
  // Queues a failure to send (no answer at all).
  void Fail(Error e) {
    std::lock_guard lock(mu_);
    answers_.push_back(Unexpected(std::move(e)));
  }
  std::vector<http::ClientRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 protected:
  // Records `request` and takes the next answer (kUnavailable when none is left).
  Result<http::ClientResponse> Next(http::ClientRequest request) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(request));
    if (answers_.empty()) {
      return Unexpected(MakeError(ErrorCode::kUnavailable, "no answer scripted"));
    }
    Result<http::ClientResponse> answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

 private:
  std::mutex mu_;
  std::deque<Result<http::ClientResponse>> answers_;
  std::vector<http::ClientRequest> requests_;
};

}  // namespace linkhub::fakes
