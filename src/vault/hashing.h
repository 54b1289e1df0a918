#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace linkhub::vault {

// Hashes high-entropy secrets (API keys, session tokens) for storage and look-up: HMAC-SHA256
// under a server-side key, so a stolen database alone cannot confirm a guessed token. The
// result is lowercase hex and safe to log. Thread-safe (immutable after construction).
class SecretHasher {
 public:
  // REQUIRES: key is not empty (derive it from the master key).
  explicit SecretHasher(std::string key);
  ~SecretHasher();
  std::string Hash(std::string_view secret) const;

 private:
  std::string key_;
  // Each thread keeps an HMAC context with this hasher's key set up (every API request hashes
  // its key; setting up HMAC from scratch costs more than the hash), and the last secret it
  // hashed with its hash (wiped when the next one replaces it, or when the thread ends). The id
  // tells whose key a thread's context holds.
  const uint64_t id_;
};

// HMAC-SHA256(key, data): the 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// HMAC-SHA256(key, data), lowercase hex.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// SHA-256(data), lowercase hex.
std::string Sha256Hex(std::string_view data);
// Compares in time that depends only on the lengths, not on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// Overwrites a secret's bytes (in a way the compiler cannot drop) and empties it.
void Wipe(std::string& secret);

}  // namespace linkhub::vault
