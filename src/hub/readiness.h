#pragma once

#include <string>
#include <vector>

namespace linkhub::hub {

// One check of /readyz: its name and, when it fails, why (safe to show: never a secret).
struct ReadinessCheck {
  std::string name;  // "database", "migrations", "master_key"
  bool ok = true;
  std::string reason;
};

// Whether this server can do its work: its database takes a flushed write and has the schema it
// knows, and its master key opens what it seals. Blocking (database); thread-safe.
class Readiness {
 public:
  virtual ~Readiness() = default;
  virtual std::vector<ReadinessCheck> Check() = 0;
};

}  // namespace linkhub::hub
