#include "fuzz_support.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/result.h"

namespace linkhub::fuzz {

namespace {

// Made once with `openssl ecparam -name prime256v1 -genkey -noout`, for the fuzzers alone.
constexpr std::string_view kWebhookKeyPem = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIPVGlN1h6qSmXkPwbaYv9OZ6vShWsaMp1FnZ+ZdcjDa/oAoGCCqGSM49
AwEHoUQDQgAE9C+/koGYEtA/6FNDW7zq3Lkbd+K2Plzm0rh9XB1fJUDLhDAw0aK0
SHuYR7sCG1Pqy0vUO85t9B7alnsRtZLuaQ==
-----END EC PRIVATE KEY-----
)";

// Loaded once and kept for the life of the process (a fuzzer never ends otherwise).
EVP_PKEY* WebhookKey() {
  static EVP_PKEY* key = [] {
    BIO* bio = BIO_new_mem_buf(kWebhookKeyPem.data(), static_cast<int>(kWebhookKeyPem.size()));
    LINKHUB_CHECK(bio != nullptr);
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    LINKHUB_CHECK(k != nullptr);
    return k;
  }();
  return key;
}

std::string Coordinate(const char* name) {
  BIGNUM* bn = nullptr;
  LINKHUB_CHECK(EVP_PKEY_get_bn_param(WebhookKey(), name, &bn) == 1);
  std::string out(32, '\0');
  LINKHUB_CHECK(BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32) == 32);
  BN_free(bn);
  return out;
}

}  // namespace

std::string_view MasterKey() { return "linkhub-fuzz-master-key-32-bytes"; }

const std::vector<vault::WrappedDataKey>& DataKeys() {
  // Made once by make_seeds --new-data-keys.
  static const std::vector<vault::WrappedDataKey> keys = {
      {"dk_Qg3phWL0fBqBUhjn",
       "lh1:master:FtkJMDVOcCWssl6AFU9g7qpk1s2tz0jBca5E+2261gS4OryEw+SZaRjICx3tpXEM9Nji8zgHlMAbRf/"
       "S"},
      {"dk_M3e9lEaBc1GOAybN",
       "lh1:master:81bHLsTgojq1FvebqnGXgxYmLct9/"
       "lILBPYJRw1lYy3zSRuY0qTzhdkD59VAhe5q7zjrxzap94K4Rifs"},
  };
  return keys;
}

std::unique_ptr<vault::KeyRing> NewKeyRing(Random& random) {
  auto ring = vault::KeyRing::Create(MasterKey(), random);
  LINKHUB_CHECK(ring.has_value());
  bool active = true;
  for (const auto& key : DataKeys()) {
    LINKHUB_CHECK((*ring)->LoadDataKey(key, active).has_value());
    active = false;
  }
  return std::move(*ring);
}

boost::json::object WebhookJwk() {
  // Plaid's JWKPublicKey: the key and when it was made; no expired_at while it is current.
  return boost::json::object{
      {"alg", "ES256"},
      {"crv", "P-256"},
      {"kid", kWebhookKid},
      {"kty", "EC"},
      {"use", "sig"},
      {"x", Base64UrlEncode(Coordinate(OSSL_PKEY_PARAM_EC_PUB_X))},
      {"y", Base64UrlEncode(Coordinate(OSSL_PKEY_PARAM_EC_PUB_Y))},
      {"created_at",
       std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count() - 86400},
      {"expired_at", nullptr}};
}

std::string SignJwt(std::string_view jose, std::string_view claims) {
  std::string signed_part = Base64UrlEncode(jose) + "." + Base64UrlEncode(claims);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  LINKHUB_CHECK(ctx != nullptr);
  const auto* m = reinterpret_cast<const unsigned char*>(signed_part.data());
  size_t len = 0;
  LINKHUB_CHECK(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, WebhookKey()) == 1);
  LINKHUB_CHECK(EVP_DigestSign(ctx, nullptr, &len, m, signed_part.size()) == 1);
  std::string der(len, '\0');
  LINKHUB_CHECK(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len, m,
                               signed_part.size()) == 1);
  EVP_MD_CTX_free(ctx);
  // OpenSSL signs in DER; JWS carries r || s, 32 big-endian bytes each.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  LINKHUB_CHECK(sig != nullptr);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  LINKHUB_CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) == 32);
  LINKHUB_CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) == 32);
  ECDSA_SIG_free(sig);
  return signed_part + "." + Base64UrlEncode(raw);
}

TimePoint Now() { return FakeClock().Now(); }

}  // namespace linkhub::fuzz
