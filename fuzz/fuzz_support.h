#pragma once

// Fixed keys shared by the fuzzers and by make_seeds, which wrote the seed corpora with them: a
// seed that must authenticate (a sealed value, a signed webhook) does so only under these keys.
// They protect nothing and are used nowhere else.

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "core/time_format.h"
#include "vault/key_ring.h"

namespace linkhub::fuzz {

// The master key of the fuzzers' key ring: 32 bytes.
std::string_view MasterKey();
// Two data keys wrapped under MasterKey(), as the data key store holds them. The first is the
// active one.
const std::vector<vault::WrappedDataKey>& DataKeys();
// A key ring over MasterKey() with DataKeys() loaded. Aborts if they do not load.
std::unique_ptr<vault::KeyRing> NewKeyRing(Random& random);

// The P-256 key that stands in for Plaid's webhook signing key, and its key id.
inline constexpr std::string_view kWebhookKid = "fuzz-webhook-key";
// Its public half as Plaid's /webhook_verification_key/get answers it (the answer's "key").
boost::json::object WebhookJwk();
// A compact JWS signed with that key: base64url(jose) "." base64url(claims) "." base64url(r||s),
// for any `jose` and `claims` bytes.
std::string SignJwt(std::string_view jose, std::string_view claims);

// The time the fuzzers' clocks stand at, and the seeds' `iat`: FakeClock's default.
TimePoint Now();

}  // namespace linkhub::fuzz
