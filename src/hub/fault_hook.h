#pragma once

#include <string_view>

namespace linkhub::hub {

// Named points in the public-token exchange (and in applying Plaid's webhooks) where a test build
// can inject a crash, to prove that a process killed at any of them loses nothing, and where a unit
// test learns that a concurrent link has reached a wait. Production builds pass no hook.
//   exchange.after_pending   the pending exchange is durable; nothing journaled, Plaid not called
//   exchange.after_sending   "sending" is journaled; Plaid not called yet
//   exchange.after_exchange  Plaid answered with the access token; nothing written yet
//   exchange.after_journal   the sealed answer is journaled; the account not stored yet
//   exchange.after_commit    the account is stored and active; display fields not fetched
//   exchange.after_details   display fields stored; the answer not sent yet
//   exchange.waiting_for_first_submit  a double submit is about to wait for the first
//                                      (called under a lock: a hook must not call back in)
//   exchange.waiting_for_owner         a link is about to wait for its owner's other link
//   plaid_webhook.after_status  a Plaid webhook's status change (and its event) is committed;
//                               the webhook is not marked applied yet
class FaultHook {
 public:
  virtual ~FaultHook() = default;
  virtual void At(std::string_view point) = 0;
};

}  // namespace linkhub::hub
