#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "hub/call_log.h"
#include "store/call_log_store.h"

namespace linkhub::hub {

// The per-account log of Plaid calls that the dashboard shows (time, endpoint, HTTP status,
// error_code, request_id, latency; never a body or a token). Record() only queues: a background
// thread writes queued records in one transaction every `flush_every`, so a request never waits
// on the database for its log line. The store keeps the newest domain::kPlaidCallsKept per
// account. Records still queued when the process is killed are lost; they are a log, not data.
// Thread-safe.
class BatchedCallLog final : public CallLog {
 public:
  // At most this many records wait for a flush; beyond it the oldest queued ones are dropped.
  static constexpr size_t kMaxQueued = 20'000;

  explicit BatchedCallLog(store::CallLogStore& store,
                          std::chrono::milliseconds flush_every = std::chrono::milliseconds(500));
  ~BatchedCallLog() override;  // flushes what is queued
  BatchedCallLog(const BatchedCallLog&) = delete;
  BatchedCallLog& operator=(const BatchedCallLog&) = delete;

  void Record(domain::PlaidCallRecord record) override;
  // Writes everything queued so far.
  Status Flush();
  // The account's newest `limit` records, newest first, including those still queued.
  Result<std::vector<domain::PlaidCallRecord>> List(const std::string& project_id,
                                                    const std::string& account_id,
                                                    int limit) override;

 private:
  void Loop();

  store::CallLogStore& store_;
  const std::chrono::milliseconds flush_every_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<domain::PlaidCallRecord> queued_;  // guarded by mu_
  size_t dropped_ = 0;                          // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  std::mutex flush_mu_;                         // one writer at a time, in queue order
  std::thread thread_;
};

}  // namespace linkhub::hub
