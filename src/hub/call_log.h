#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "store/hub_store.h"

namespace linkhub::hub {

// The per-account log of Plaid calls that the dashboard shows (time, endpoint, HTTP status,
// error_code, request_id, latency; never a body or a token). Record() only queues: a background
// thread writes queued records in one transaction every `flush_every`, so a request never waits
// on the database for its log line. The store keeps the newest store::kPlaidCallsKept per
// account. Records still queued when the process is killed are lost; they are a log, not data.
// Thread-safe.
class CallLog {
 public:
  // At most this many records wait for a flush; beyond it the oldest queued ones are dropped.
  static constexpr size_t kMaxQueued = 20'000;

  explicit CallLog(store::HubStore& store,
                   std::chrono::milliseconds flush_every = std::chrono::milliseconds(500));
  ~CallLog();  // flushes what is queued
  CallLog(const CallLog&) = delete;
  CallLog& operator=(const CallLog&) = delete;

  void Record(store::PlaidCallRecord record);
  // Writes everything queued so far.
  Status Flush();
  // The account's newest `limit` records, newest first, including those still queued.
  Result<std::vector<store::PlaidCallRecord>> List(const std::string& project_id,
                                                   const std::string& account_id, int limit);

 private:
  void Loop();

  store::HubStore& store_;
  const std::chrono::milliseconds flush_every_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<store::PlaidCallRecord> queued_;  // guarded by mu_
  size_t dropped_ = 0;                         // guarded by mu_
  bool stopping_ = false;                      // guarded by mu_
  std::mutex flush_mu_;                        // one writer at a time, in queue order
  std::thread thread_;
};

}  // namespace linkhub::hub
