#pragma once

// An ExchangeJournal in memory, for tests: what a journal file would hold survives as long as
// the object, so a test can build a second LinkerImpl over it as a restarted process would.
// Writes can be made to fail. Thread-safe.

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "store/exchange_journal.h"

namespace linkhub::fakes {

class MemoryJournal final : public store::ExchangeJournal {
 public:
  Status RecordSending(std::string_view exchange_id) override {
    std::lock_guard lock(mu_);
    LINKHUB_RETURN_IF_ERROR(Check());
    entries_[std::string(exchange_id)].sent = true;
    return OkStatus();
  }
  Status RecordAnswer(std::string_view exchange_id, const domain::LinkedAccount& account) override {
    std::lock_guard lock(mu_);
    LINKHUB_RETURN_IF_ERROR(Check());
    auto& e = entries_[std::string(exchange_id)];
    e.sent = true;
    e.answer = account;
    return OkStatus();
  }
  Status RecordRemoved(std::string_view exchange_id) override {
    std::lock_guard lock(mu_);
    LINKHUB_RETURN_IF_ERROR(Check());
    entries_[std::string(exchange_id)].removed = true;
    return OkStatus();
  }
  void Forget(std::string_view exchange_id) override {
    std::lock_guard lock(mu_);
    forgotten_.insert(std::string(exchange_id));
  }
  Result<std::map<std::string, store::JournalEntry>> Read() override {
    std::lock_guard lock(mu_);
    return entries_;
  }
  Status Compact() override {
    std::lock_guard lock(mu_);
    for (const auto& id : forgotten_) {
      entries_.erase(id);
    }
    forgotten_.clear();
    return OkStatus();
  }

  // Every Record* fails from now on (a full disk).
  void FailWrites() {
    std::lock_guard lock(mu_);
    fail_ = true;
  }
  // What is held, forgotten or not.
  std::map<std::string, store::JournalEntry> Entries() {
    std::lock_guard lock(mu_);
    return entries_;
  }

 private:
  Status Check() const {
    if (fail_) {
      return Unexpected(MakeError(ErrorCode::kInternal, "exchange journal: write: disk full"));
    }
    return OkStatus();
  }
  std::mutex mu_;
  std::map<std::string, store::JournalEntry> entries_;  // guarded by mu_
  std::set<std::string> forgotten_;                     // guarded by mu_
  bool fail_ = false;                                   // guarded by mu_
};

}  // namespace linkhub::fakes
