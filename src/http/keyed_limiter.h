#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/strings.h"

namespace linkhub::http {

// Bounds how many operations run at once per key (a project, say), with a bounded queue of
// waiters per key behind them, so that one key cannot take all of a shared capacity.
//
// Enter() never blocks: it admits at once, queues the caller (who is told later, through the
// `wake` it gave, that a slot has passed to it), or refuses because the key's queue is full.
// Every admission, immediate or woken, is ended by exactly one Leave() for that key; a queued
// caller that gives up calls Cancel(), and owns a slot after all if Cancel() returns false.
//
// Thread-safe. `wake` is called from the thread that calls Leave(), outside the limiter's lock;
// it must not block. Idle keys are kept (a busy key then costs no allocation per operation) only
// while there are at most kIdleKeysKept keys, so many keys seen once cost little afterwards.
class KeyedLimiter {
 public:
  // A `per_key` of 0 admits everything (no limit); `queue_per_key` waiters may wait behind a key
  // at its limit.
  KeyedLimiter(size_t per_key, size_t queue_per_key);
  KeyedLimiter(const KeyedLimiter&) = delete;
  KeyedLimiter& operator=(const KeyedLimiter&) = delete;

  enum class Outcome { kAdmitted, kQueued, kFull };
  struct Entry {
    Outcome outcome = Outcome::kFull;
    uint64_t ticket = 0;  // names a queued caller, for Cancel()
  };
  Entry Enter(std::string_view key, std::function<void()> wake);
  // Removes a queued caller. False when its slot has already been passed to it (its `wake` has
  // been called or is being called): it then holds the slot and must Leave().
  bool Cancel(std::string_view key, uint64_t ticket);
  // Ends one admission: the key's first waiter, if any, takes the slot.
  void Leave(std::string_view key);

  static constexpr size_t kIdleKeysKept = 1024;

  // Operations running for `key`, for tests and metrics.
  size_t Running(std::string_view key) const;
  size_t Waiting(std::string_view key) const;
  size_t KeysHeld() const;

 private:
  struct Waiter {
    uint64_t ticket;
    std::function<void()> wake;
  };
  struct State {
    size_t running = 0;
    std::deque<Waiter> waiters;
  };

  const size_t per_key_;
  const size_t queue_per_key_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, State, StringHash, std::equal_to<>> keys_;
  uint64_t next_ticket_ = 1;
};

}  // namespace linkhub::http
