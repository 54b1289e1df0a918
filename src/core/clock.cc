#include "core/clock.h"

#include <algorithm>

namespace linkhub {

std::chrono::system_clock::time_point SystemClock::Now() {
  return std::chrono::system_clock::now();
}
std::chrono::steady_clock::time_point SystemClock::MonotonicNow() {
  return std::chrono::steady_clock::now();
}

FakeClock::FakeClock(std::chrono::system_clock::time_point start) : now_(start) {}
std::chrono::system_clock::time_point FakeClock::Now() {
  std::lock_guard lock(mu_);
  return now_;
}
std::chrono::steady_clock::time_point FakeClock::MonotonicNow() {
  std::lock_guard lock(mu_);
  return mono_;
}
void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  mono_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}
void FakeClock::SetNow(std::chrono::system_clock::time_point t) {
  std::lock_guard lock(mu_);
  now_ = t;
}

std::chrono::system_clock::time_point OffsetClock::Now() {
  auto base = base_.Now();
  std::lock_guard lock(mu_);
  // Never earlier than a time already handed out, even if the wall clock is stepped back.
  last_ = std::max(last_,
                   base + std::chrono::duration_cast<std::chrono::system_clock::duration>(offset_));
  return last_;
}
std::chrono::steady_clock::time_point OffsetClock::MonotonicNow() {
  auto base = base_.MonotonicNow();
  std::lock_guard lock(mu_);
  return base + std::chrono::duration_cast<std::chrono::steady_clock::duration>(offset_);
}
void OffsetClock::Advance(std::chrono::nanoseconds d) {
  if (d.count() <= 0) {
    return;
  }
  std::lock_guard lock(mu_);
  offset_ += d;
}
std::chrono::nanoseconds OffsetClock::offset() {
  std::lock_guard lock(mu_);
  return offset_;
}

}  // namespace linkhub
