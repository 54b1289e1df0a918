#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace linkhub::hub {

struct WebhookReceipt {
  std::string id;          // the inbox row
  bool duplicate = false;  // the same body had been received before: it is applied once
};

// Plaid's webhooks in: each verified before anything else, kept in the inbox and answered at
// once; a worker (PlaidWebhooksImpl::ApplyPending) applies them through the account status
// machine. Blocking (database; Plaid when a verification key is not cached); thread-safe.
class PlaidWebhooks {
 public:
  virtual ~PlaidWebhooks() = default;

  // The largest body accepted (Plaid's webhooks are a few hundred bytes).
  static constexpr size_t kMaxBodyBytes = 1 << 20;
  // A body the project received within this long before is Plaid retrying it: kept once. Plaid's
  // bodies carry no id, so two notices of the same news (new transactions twice for one Item)
  // are the same bytes too: after this long the second is news again. A retry later than this is
  // applied again, which changes no status twice (the machine's verdict on a state it made is "no
  // change") and at most tells the customer once more to sync, which finds nothing new.
  static constexpr std::chrono::minutes kDuplicateWindow{10};

  // Verifies `raw_body` against its Plaid-Verification header and keeps it for `project_id`.
  // Errors (each counted by its code, and logged without the body):
  //   kUnauthenticated   not Plaid's signature of exactly this body (forged, tampered, stale,
  //                      another alg, an unknown kid); the message is safe to log and show
  //   kInvalidArgument   verified, but not one JSON object with webhook_type and webhook_code,
  //                      or larger than kMaxBodyBytes
  //   kNotFound          verified, for a project that does not exist
  //   kUnavailable       Plaid's key could not be fetched (Plaid retries the webhook)
  virtual Result<WebhookReceipt> Receive(const std::string& project_id,
                                         std::string_view verification_header,
                                         std::string_view raw_body) = 0;
  // How many webhooks were refused since start, by reason ("unauthenticated", "invalid", ...).
  virtual std::map<std::string, uint64_t> Refusals() const = 0;
};

}  // namespace linkhub::hub
