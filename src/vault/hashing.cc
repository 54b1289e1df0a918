#include "vault/hashing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/encoding.h"
#include "core/result.h"

namespace linkhub::vault {

SecretHasher::SecretHasher(std::string key) : key_(std::move(key)) { LINKHUB_CHECK(!key_.empty()); }

SecretHasher::~SecretHasher() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string SecretHasher::Hash(std::string_view secret) const {
  return HmacSha256Hex(key_, secret);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), len));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return HexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace linkhub::vault
