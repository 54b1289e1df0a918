#include "http/keyed_limiter.h"

#include <algorithm>
#include <utility>

namespace linkhub::http {

KeyedLimiter::KeyedLimiter(size_t per_key, size_t queue_per_key)
    : per_key_(per_key), queue_per_key_(queue_per_key) {}

KeyedLimiter::Entry KeyedLimiter::Enter(std::string_view key, std::function<void()> wake) {
  if (per_key_ == 0) {
    return {Outcome::kAdmitted};
  }
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    it = keys_.emplace(std::string(key), State{}).first;
  }
  State& s = it->second;
  if (s.running < per_key_) {
    ++s.running;
    return {Outcome::kAdmitted};
  }
  if (s.waiters.size() >= queue_per_key_) {
    return {Outcome::kFull};
  }
  uint64_t ticket = next_ticket_++;
  s.waiters.push_back(Waiter{ticket, std::move(wake)});
  return {Outcome::kQueued, ticket};
}

bool KeyedLimiter::Cancel(std::string_view key, uint64_t ticket) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    return false;
  }
  auto& waiters = it->second.waiters;
  auto w = std::find_if(waiters.begin(), waiters.end(),
                        [ticket](const Waiter& x) { return x.ticket == ticket; });
  if (w == waiters.end()) {
    return false;  // already handed its slot
  }
  waiters.erase(w);
  if (it->second.running == 0 && waiters.empty() && keys_.size() > kIdleKeysKept) {
    keys_.erase(it);
  }
  return true;
}

void KeyedLimiter::Leave(std::string_view key) {
  if (per_key_ == 0) {
    return;
  }
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      return;
    }
    State& s = it->second;
    if (!s.waiters.empty()) {
      // The slot passes straight to the first waiter: `running` stays the same.
      wake = std::move(s.waiters.front().wake);
      s.waiters.pop_front();
    } else if (--s.running == 0 && keys_.size() > kIdleKeysKept) {
      keys_.erase(it);
    }
  }
  if (wake) {
    wake();
  }
}

size_t KeyedLimiter::Running(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? 0 : it->second.running;
}

size_t KeyedLimiter::Waiting(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? 0 : it->second.waiters.size();
}

size_t KeyedLimiter::KeysHeld() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace linkhub::http
