#pragma once

#include <chrono>
#include <mutex>

#include "core/clock.h"
#include "hub/keys.h"
#include "hub/readiness.h"
#include "store/backend.h"

namespace linkhub::hub {

// Readiness over the backend and the keys. A result is reused for kReuse, so that a probe flood
// on the unauthenticated /readyz costs at most one database write a second. Backend, keys and
// clock must outlive it. Thread-safe.
class ReadinessImpl final : public Readiness {
 public:
  ReadinessImpl(store::Backend& backend, Keys& keys, Clock& clock)
      : backend_(backend), keys_(keys), clock_(clock) {}

  std::vector<ReadinessCheck> Check() override;

  static constexpr std::chrono::seconds kReuse{1};

 private:
  store::Backend& backend_;
  Keys& keys_;
  Clock& clock_;
  std::mutex mu_;  // one check at a time; guards the last result
  std::chrono::steady_clock::time_point checked_at_{};
  std::vector<ReadinessCheck> last_;
};

}  // namespace linkhub::hub
