#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace linkhub {

// The one seam for time. Nothing outside app/ and the emulator's main reads the real clock:
// everything gets a Clock& so that tests can move time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time: token expiry, webhook windows, timestamps shown to people.
  virtual std::chrono::system_clock::time_point Now() = 0;
  // Monotonic time: timeouts, backoff, latency.
  virtual std::chrono::steady_clock::time_point MonotonicNow() = 0;
};

// Waits for a while: the seam for code that backs off between attempts (the composition root
// passes std::this_thread::sleep_for; tests pass one that advances a FakeClock, or records).
using Sleeper = std::function<void(std::chrono::milliseconds)>;

// The real clock.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point MonotonicNow() override;
};

// A clock that stands still until told to move. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point MonotonicNow() override;
  void Advance(std::chrono::nanoseconds d);
  void SetNow(std::chrono::system_clock::time_point t);

 private:
  std::mutex mu_;
  std::chrono::system_clock::time_point now_;
  std::chrono::steady_clock::time_point mono_;
};

// Real time plus an offset that only grows: the emulator's clock, which tests push forward to
// expire tokens and to make transactions appear without waiting. Now() never goes backwards, even
// when the wall clock is stepped back. Thread-safe.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(Clock& base) : base_(base) {}
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point MonotonicNow() override;
  // REQUIRES: d >= 0. Time never goes backwards.
  void Advance(std::chrono::nanoseconds d);
  std::chrono::nanoseconds offset();

 private:
  Clock& base_;
  std::mutex mu_;
  std::chrono::nanoseconds offset_{0};
  std::chrono::system_clock::time_point last_{};
};

}  // namespace linkhub
