#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace linkhub::vault {

inline constexpr size_t kKeyBytes = 32;    // AES-256
inline constexpr size_t kNonceBytes = 12;  // 96-bit GCM nonce
inline constexpr size_t kTagBytes = 16;

// AES-256-GCM. Returns ciphertext || tag. REQUIRES: key is kKeyBytes, nonce is kNonceBytes, and a
// nonce is never reused with the same key (callers draw it at random per value).
// kInternal if OpenSSL fails.
Result<std::string> AesGcmSeal(std::string_view key, std::string_view nonce,
                               std::string_view plaintext, std::string_view aad);

// Inverse of AesGcmSeal. kInternal ("failed authentication") when the key, nonce, additional data
// or any byte of ciphertext || tag is wrong: nothing of a tampered value is ever returned.
Result<std::string> AesGcmOpen(std::string_view key, std::string_view nonce,
                               std::string_view ciphertext_and_tag, std::string_view aad);

}  // namespace linkhub::vault
