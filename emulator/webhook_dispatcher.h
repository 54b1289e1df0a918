#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/time_format.h"
#include "emulator/webhook_signer.h"
#include "http/http_client.h"

namespace linkhub::emulator {

struct WebhookAttempt {
  TimePoint at;
  int status = 0;     // HTTP status, 0 when no answer
  std::string error;  // transport error, empty otherwise
};

struct WebhookRecord {
  int64_t id = 0;
  std::string url;
  std::string item_id;
  std::string webhook_type;
  std::string webhook_code;
  std::string body;  // the exact bytes sent (and signed)
  TimePoint fired_at;
  bool delivered = false;
  bool gave_up = false;
  std::vector<WebhookAttempt> attempts;
};

struct WebhookOptions {
  int max_attempts = 6;
  std::chrono::milliseconds base_delay{1000};  // doubles after each failure
  std::chrono::milliseconds max_delay{60'000};
  std::chrono::milliseconds timeout{10'000};
  int workers = 2;
  size_t history = 1000;  // records kept for /emulator/webhooks
};

// Delivers signed webhooks on its own threads (never the server's), retrying non-2xx answers and
// transport failures with exponential backoff and jitter, and keeps a record of every delivery.
// `clock` stamps records (the emulator's clock); retry timing uses real monotonic time so that
// advancing the emulated clock does not fire retries early. Thread-safe.
class WebhookDispatcher {
 public:
  WebhookDispatcher(http::HttpClient& http, WebhookSigner& signer, Clock& clock, Random& random,
                    WebhookOptions options);
  ~WebhookDispatcher();

  // Queues `payload` for `url`; returns the record id.
  int64_t Enqueue(const std::string& url, const std::string& item_id,
                  const boost::json::object& payload);
  std::vector<WebhookRecord> Records();
  // Waits until `done` holds for the records (checked after each delivery attempt) or `timeout`
  // passes, and returns them as they are then.
  std::vector<WebhookRecord> WaitFor(
      const std::function<bool(const std::vector<WebhookRecord>&)>& done,
      std::chrono::milliseconds timeout);
  void Clear();
  // Stops the workers; queued deliveries are dropped.
  void Stop();

 private:
  struct Job {
    int64_t id = 0;
    std::chrono::steady_clock::time_point due;  // the Clock's monotonic time
    int attempt = 1;
  };
  void Work();
  WebhookRecord* FindLocked(int64_t id);

  http::HttpClient& http_;
  WebhookSigner& signer_;
  Clock& clock_;
  Random& random_;
  const WebhookOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable attempted_;  // a delivery attempt was recorded
  bool stopping_ = false;
  int64_t next_id_ = 1;
  std::deque<WebhookRecord> records_;
  std::vector<Job> jobs_;
  std::vector<std::thread> workers_;
};

}  // namespace linkhub::emulator
