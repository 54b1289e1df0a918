#include "hub/readiness_impl.h"

#include <spdlog/spdlog.h>

namespace linkhub::hub {

std::vector<ReadinessCheck> ReadinessImpl::Check() {
  std::lock_guard lock(mu_);
  const auto now = clock_.MonotonicNow();
  if (!last_.empty() && now - checked_at_ < kReuse) {
    return last_;
  }
  std::vector<ReadinessCheck> checks{
      {"database", true, ""}, {"migrations", true, ""}, {"master_key", true, ""}};
  if (auto ready = backend_.CheckReady(clock_.Now()); !ready) {
    ReadinessCheck& failed =
        ready.error().code == ErrorCode::kFailedPrecondition ? checks[1] : checks[0];
    failed.ok = false;
    failed.reason = ready.error().message;
  }
  // The key ring opens what it seals: a probe value, sealed and opened under the active key.
  auto sealed = keys_.Seal("readiness", "readiness", "probe", "probe");
  auto opened = sealed ? keys_.Open("readiness", "readiness", "probe", *sealed)
                       : Result<std::string>(Unexpected(sealed.error()));
  if (!opened || *opened != "probe") {
    checks[2].ok = false;
    checks[2].reason = opened ? "the master key does not open what it seals"
                              : "the master key cannot seal: " + opened.error().message;
  }
  for (const auto& c : checks) {
    if (!c.ok) {
      spdlog::warn("not ready: {}: {}", c.name, c.reason);
    }
  }
  checked_at_ = now;
  last_ = checks;
  return checks;
}

}  // namespace linkhub::hub
