#include "vault/hashing.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <atomic>

#include "core/encoding.h"
#include "core/result.h"

namespace linkhub::vault {

namespace {

std::atomic<uint64_t> next_hasher_id{1};

// One thread's HMAC-SHA256 context, keyed for the hasher `id`, and the last secret it hashed:
// a client sends the same API key with every request, and the hash is then a comparison.
struct ThreadMac {
  uint64_t id = 0;
  EVP_MAC_CTX* ctx = nullptr;
  std::string last_secret;
  std::string last_hash;
  void Forget() {
    OPENSSL_cleanse(last_secret.data(), last_secret.size());
    last_secret.clear();
    last_hash.clear();
  }
  ~ThreadMac() {
    Forget();
    EVP_MAC_CTX_free(ctx);  // frees and wipes the key schedule
  }
};

}  // namespace

SecretHasher::SecretHasher(std::string key) : key_(std::move(key)), id_(next_hasher_id++) {
  LINKHUB_CHECK(!key_.empty());
}

SecretHasher::~SecretHasher() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string SecretHasher::Hash(std::string_view secret) const {
  thread_local ThreadMac mac;
  if (mac.id == id_ && !mac.last_hash.empty() && ConstantTimeEquals(secret, mac.last_secret)) {
    return mac.last_hash;
  }
  mac.Forget();
  bool ready = false;
  if (mac.id == id_ && mac.ctx != nullptr) {
    ready = EVP_MAC_init(mac.ctx, nullptr, 0, nullptr) == 1;  // the same key again
  } else {
    EVP_MAC_CTX_free(mac.ctx);
    mac.ctx = nullptr;
    mac.id = 0;
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (hmac != nullptr && (mac.ctx = EVP_MAC_CTX_new(hmac)) != nullptr) {
      char digest_name[] = "SHA256";
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
          OSSL_PARAM_construct_end()};
      ready = EVP_MAC_init(mac.ctx, reinterpret_cast<const unsigned char*>(key_.data()),
                           key_.size(), params) == 1;
      mac.id = ready ? id_ : 0;
    }
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (!ready ||
      EVP_MAC_update(mac.ctx, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size()) != 1 ||
      EVP_MAC_final(mac.ctx, out, &len, sizeof(out)) != 1) {
    mac.id = 0;
    return HmacSha256Hex(key_, secret);  // the one-shot path; it does not fail for SHA-256
  }
  mac.last_secret.assign(secret);
  mac.last_hash = HexEncode(std::string_view(reinterpret_cast<char*>(out), len));
  return mac.last_hash;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return HexEncode(HmacSha256(key, data));
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

void Wipe(std::string& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace linkhub::vault
