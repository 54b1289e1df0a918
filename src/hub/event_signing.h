#pragma once

// How an event delivery is signed, both ways on every delivery so that receivers written for
// StackOne and receivers using the Standard Webhooks libraries both verify it:
//   x-stackone-signature  base64url(HMAC-SHA256(key = the secret exactly as shown, raw body))
//   webhook-id            the event's id (the same on every retry)
//   webhook-timestamp     seconds since the epoch of this attempt
//   webhook-signature     "v1,<base64(HMAC-SHA256(key = base64-decoded part after whsec_,
//                         id.timestamp.body))>", one per secret, space-separated
// Pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"

namespace linkhub::hub {

// A new endpoint secret: "whsec_" and the base64 of 24 random bytes.
std::string NewEndpointSecret(Random& random);

struct EventSignature {
  std::string stackone;  // x-stackone-signature
  std::string standard;  // webhook-signature
};

// Signs a delivery. `secrets`: the newest first (it alone signs x-stackone-signature), then the
// one it replaced while it still signs. REQUIRES: at least one secret.
EventSignature SignEvent(const std::vector<std::string>& secrets, std::string_view event_id,
                         int64_t timestamp, std::string_view body);

}  // namespace linkhub::hub
