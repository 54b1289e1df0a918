#pragma once

#include <memory>
#include <string_view>

#include "core/result.h"

namespace linkhub::vault {

// An ECDSA P-256 public key, for verifying ES256 signatures (JWS, RFC 7518 §3.4), such as the
// JWT Plaid signs its webhooks with. Copies share the key. Thread-safe (immutable).
class Es256PublicKey {
 public:
  // From the key's affine coordinates, 32 big-endian bytes each (a JWK's decoded `x` and `y`).
  // kInvalidArgument unless they are a point on P-256.
  static Result<Es256PublicKey> FromCoordinates(std::string_view x, std::string_view y);

  // Whether `signature` (JWS form: r and s, 32 big-endian bytes each) is a valid signature of
  // SHA-256(`message`) under this key. Any malformed signature is simply not valid.
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  struct Key;
  explicit Es256PublicKey(std::shared_ptr<const Key> key) : key_(std::move(key)) {}
  std::shared_ptr<const Key> key_;
};

}  // namespace linkhub::vault
