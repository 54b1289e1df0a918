#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"

namespace linkhub::emulator {

// Signs webhook bodies as Plaid does: a compact JWS (ES256, P-256) in the Plaid-Verification
// header, header {alg: "ES256", kid, typ: "JWT"}, claims {iat, request_body_sha256} where the hash
// is the lowercase hex SHA-256 of the exact body bytes. Keys are served as JWKs by
// /webhook_verification_key/get. Rotate() starts a new key and marks the old one expired, to test
// verifiers' key caches. Thread-safe.
class WebhookSigner {
 public:
  // Generates the first key. kInternal if OpenSSL fails.
  static Result<std::unique_ptr<WebhookSigner>> Create(Clock& clock, Random& random);
  ~WebhookSigner();

  // The Plaid-Verification header value for `body`.
  Result<std::string> Sign(std::string_view body);
  // The JWK for `kid` (Plaid's JWKPublicKey shape), or nullptr-equivalent empty object.
  std::optional<boost::json::object> PublicJwk(std::string_view kid);
  std::string current_kid();
  // Makes a new current key; the previous one gets expired_at = now.
  Status Rotate();

 private:
  struct Key;
  WebhookSigner(Clock& clock, Random& random);
  Result<std::unique_ptr<Key>> NewKey();

  Clock& clock_;
  Random& random_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Key>> keys_;  // last is current
};

// SHA-256 of `data`, lowercase hex.
std::string Sha256Hex(std::string_view data);

}  // namespace linkhub::emulator
