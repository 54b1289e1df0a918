#include "vault/es256.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <string>

namespace linkhub::vault {

struct Es256PublicKey::Key {
  explicit Key(EVP_PKEY* p) : pkey(p) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

namespace {

constexpr size_t kCoordinateBytes = 32;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Sig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

Error NotAKey(const char* why) {
  return MakeError(ErrorCode::kInvalidArgument, std::string("not a P-256 public key: ") + why);
}

}  // namespace

Result<Es256PublicKey> Es256PublicKey::FromCoordinates(std::string_view x, std::string_view y) {
  if (x.size() != kCoordinateBytes || y.size() != kCoordinateBytes) {
    return Unexpected(NotAKey("each coordinate must be 32 bytes"));
  }
  // The uncompressed point: 0x04 || x || y.
  std::string point = "\x04";
  point.append(x).append(y);
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Unexpected(MakeError(ErrorCode::kInternal, "es256: building the key failed"));
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Unexpected(NotAKey("the point is not on the curve"));
  }
  auto key = std::make_shared<const Key>(pkey);
  // fromdata takes any encoding of the right length; the point must be on the curve.
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return Unexpected(NotAKey("the point is not on the curve"));
  }
  return Es256PublicKey(std::move(key));
}

bool Es256PublicKey::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 2 * kCoordinateBytes) {
    return false;
  }
  // JWS carries r || s; OpenSSL verifies the DER encoding of the pair.
  Sig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U(signature), kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(U(signature.substr(kCoordinateBytes)), kCoordinateBytes, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    return false;
  }
  std::unique_ptr<unsigned char, OpenSslFree> owned(der);
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
         EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), U(message),
                          message.size()) == 1;
}

}  // namespace linkhub::vault
