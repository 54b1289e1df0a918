#pragma once

#include <string_view>

namespace linkhub::hub {

// Named points in the public-token exchange where a test build can inject a crash, to prove that
// a process killed at any of them loses nothing. Production builds pass no hook.
//   exchange.after_pending   the pending exchange is durable; Plaid not called yet
//   exchange.after_exchange  Plaid answered with the access token; nothing stored yet
//   exchange.after_commit    the account is stored and active; display fields not fetched
//   exchange.after_details   display fields stored; the answer not sent yet
class FaultHook {
 public:
  virtual ~FaultHook() = default;
  virtual void At(std::string_view point) = 0;
};

}  // namespace linkhub::hub
