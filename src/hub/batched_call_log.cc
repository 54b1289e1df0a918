#include "hub/batched_call_log.h"

#include <spdlog/spdlog.h>

namespace linkhub::hub {

BatchedCallLog::BatchedCallLog(store::CallLogStore& store, std::chrono::milliseconds flush_every)
    : store_(store), flush_every_(flush_every), thread_([this] { Loop(); }) {}

BatchedCallLog::~BatchedCallLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (auto s = Flush(); !s) {
    spdlog::warn("Plaid call log not written at shutdown: {}", s.error().message);
  }
}

void BatchedCallLog::Record(domain::PlaidCallRecord record) {
  std::lock_guard lock(mu_);
  if (queued_.size() >= kMaxQueued) {
    queued_.pop_front();
    ++dropped_;
  }
  queued_.push_back(std::move(record));
}

Status BatchedCallLog::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<domain::PlaidCallRecord> batch;
  size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    batch.assign(std::make_move_iterator(queued_.begin()), std::make_move_iterator(queued_.end()));
    queued_.clear();
    std::swap(dropped, dropped_);
  }
  if (dropped > 0) {
    spdlog::warn("Plaid call log: {} records dropped (the database fell behind)", dropped);
  }
  return store_.AddPlaidCalls(batch);
}

Result<std::vector<domain::PlaidCallRecord>> BatchedCallLog::List(const std::string& project_id,
                                                                  const std::string& account_id,
                                                                  int limit) {
  LINKHUB_RETURN_IF_ERROR(Flush());
  return store_.ListPlaidCalls(project_id, account_id, limit);
}

void BatchedCallLog::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, flush_every_, [this] { return stopping_; });
    if (stopping_ || queued_.empty()) {
      continue;
    }
    lock.unlock();
    if (auto s = Flush(); !s) {
      spdlog::warn("Plaid call log not written: {}", s.error().message);
    }
    lock.lock();
  }
}

}  // namespace linkhub::hub
