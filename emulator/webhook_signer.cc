#include "emulator/webhook_signer.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/json.h"

namespace linkhub::emulator {

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct SigDeleter {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

Error OpenSslError(const char* what) {
  return MakeError(ErrorCode::kInternal, std::string("webhook signing: ") + what + " failed");
}

std::optional<std::string> BnBytes32(const BIGNUM* bn) {
  std::string out(32, '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32) != 32) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

struct WebhookSigner::Key {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey;
  std::string kid;
  std::string x, y;  // base64url coordinates
  int64_t created_at = 0;
  std::optional<int64_t> expired_at;
};

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return HexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

Result<std::unique_ptr<WebhookSigner>> WebhookSigner::Create(Clock& clock, Random& random) {
  std::unique_ptr<WebhookSigner> s(new WebhookSigner(clock, random));
  LINKHUB_RETURN_IF_ERROR(s->Rotate());
  return s;
}

WebhookSigner::WebhookSigner(Clock& clock, Random& random) : clock_(clock), random_(random) {}
WebhookSigner::~WebhookSigner() = default;

Result<std::unique_ptr<WebhookSigner::Key>> WebhookSigner::NewKey() {
  auto key = std::make_unique<Key>();
  key->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key->pkey) {
    return Unexpected(OpenSslError("key generation"));
  }
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(key->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
      EVP_PKEY_get_bn_param(key->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
    BN_free(x);
    BN_free(y);
    return Unexpected(OpenSslError("public key export"));
  }
  std::unique_ptr<BIGNUM, BnDeleter> xo(x), yo(y);
  auto xb = BnBytes32(x);
  auto yb = BnBytes32(y);
  if (!xb || !yb) {
    return Unexpected(OpenSslError("coordinate encoding"));
  }
  key->x = Base64UrlEncode(*xb);
  key->y = Base64UrlEncode(*yb);
  key->kid = NewUuid(random_);
  key->created_at =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  return key;
}

Status WebhookSigner::Rotate() {
  LINKHUB_ASSIGN_OR_RETURN(auto key, NewKey());
  std::lock_guard lock(mu_);
  if (!keys_.empty()) {
    keys_.back()->expired_at = key->created_at;
  }
  keys_.push_back(std::move(key));
  return OkStatus();
}

std::string WebhookSigner::current_kid() {
  std::lock_guard lock(mu_);
  return keys_.back()->kid;
}

std::optional<boost::json::object> WebhookSigner::PublicJwk(std::string_view kid) {
  std::lock_guard lock(mu_);
  for (const auto& k : keys_) {
    if (k->kid == kid) {
      boost::json::object o;
      o["alg"] = "ES256";
      o["created_at"] = k->created_at;
      o["crv"] = "P-256";
      o["expired_at"] =
          k->expired_at ? boost::json::value(*k->expired_at) : boost::json::value(nullptr);
      o["kid"] = k->kid;
      o["kty"] = "EC";
      o["use"] = "sig";
      o["x"] = k->x;
      o["y"] = k->y;
      return o;
    }
  }
  return std::nullopt;
}

Result<std::string> WebhookSigner::Sign(std::string_view body) {
  std::lock_guard lock(mu_);
  const Key& key = *keys_.back();
  boost::json::object header{{"alg", "ES256"}, {"kid", key.kid}, {"typ", "JWT"}};
  boost::json::object claims{
      {"iat",
       std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count()},
      {"request_body_sha256", Sha256Hex(body)}};
  std::string signing_input =
      Base64UrlEncode(linkhub::ToJson(header)) + "." + Base64UrlEncode(linkhub::ToJson(claims));

  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Unexpected(OpenSslError("signature setup"));
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Unexpected(OpenSslError("signing"));
  }
  // JWS wants the raw r||s (32 bytes each), not OpenSSL's DER sequence.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) {
    return Unexpected(OpenSslError("signature decoding"));
  }
  auto r = BnBytes32(ECDSA_SIG_get0_r(sig.get()));
  auto s = BnBytes32(ECDSA_SIG_get0_s(sig.get()));
  if (!r || !s) {
    return Unexpected(OpenSslError("signature encoding"));
  }
  return signing_input + "." + Base64UrlEncode(*r + *s);
}

}  // namespace linkhub::emulator
