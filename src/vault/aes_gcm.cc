#include "vault/aes_gcm.h"

#include <openssl/evp.h>

#include <memory>

namespace linkhub::vault {

namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error Failed(const char* what) {
  return MakeError(ErrorCode::kInternal, std::string("aes-gcm: ") + what);
}

// A GCM context keyed and fed the additional data, ready for the payload. `encrypt` picks the
// direction; everything else is the same both ways.
Result<CtxPtr> Start(bool encrypt, std::string_view key, std::string_view nonce,
                     std::string_view aad) {
  LINKHUB_CHECK(key.size() == kKeyBytes && nonce.size() == kNonceBytes);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int enc = encrypt ? 1 : 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce), enc) != 1) {
    return Unexpected(Failed("init failed"));
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return Unexpected(Failed("aad failed"));
  }
  return ctx;
}

}  // namespace

Result<std::string> AesGcmSeal(std::string_view key, std::string_view nonce,
                               std::string_view plaintext, std::string_view aad) {
  LINKHUB_ASSIGN_OR_RETURN(CtxPtr ctx, Start(true, key, nonce, aad));
  int len = 0;
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &len, U(plaintext), static_cast<int>(plaintext.size())) != 1) {
    return Unexpected(Failed("encrypt failed"));
  }
  int total = len;
  if (EVP_CipherFinal_ex(ctx.get(), o + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, o + plaintext.size()) != 1) {
    return Unexpected(Failed("finalise failed"));
  }
  return out;
}

Result<std::string> AesGcmOpen(std::string_view key, std::string_view nonce,
                               std::string_view ciphertext_and_tag, std::string_view aad) {
  if (ciphertext_and_tag.size() < kTagBytes) {
    return Unexpected(Failed("sealed value failed authentication"));
  }
  size_t ct_len = ciphertext_and_tag.size() - kTagBytes;
  std::string tag(ciphertext_and_tag.substr(ct_len));
  LINKHUB_ASSIGN_OR_RETURN(CtxPtr ctx, Start(false, key, nonce, aad));
  int len = 0;
  std::string out(ct_len, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &len, U(ciphertext_and_tag), static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
    return Unexpected(Failed("decrypt failed"));
  }
  int total = len;
  if (EVP_CipherFinal_ex(ctx.get(), o + total, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Unexpected(Failed("sealed value failed authentication"));
  }
  return out;
}

}  // namespace linkhub::vault
