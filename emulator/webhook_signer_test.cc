#include "emulator/webhook_signer.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "core/encoding.h"
#include "core/json.h"

namespace linkhub::emulator {
namespace {

// Verifies a compact ES256 JWS with the JWK, independently of the signer (as a receiver would).
bool VerifyWithJwk(const std::string& jws, const boost::json::object& jwk) {
  auto dot1 = jws.find('.');
  auto dot2 = jws.rfind('.');
  std::string signing_input = jws.substr(0, dot2);
  auto sig = Base64UrlDecode(jws.substr(dot2 + 1));
  auto x = Base64UrlDecode(jwk.at("x").as_string());
  auto y = Base64UrlDecode(jwk.at("y").as_string());
  if (dot1 == dot2 || !sig || sig->size() != 64 || !x || !y) {
    return false;
  }
  std::string point = "\x04" + *x + *y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(pctx);
  EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig->data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(sig->data() + 32), 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(es, &der);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool ok = pkey != nullptr &&
            EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(md, der, static_cast<size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return ok;
}

TEST(WebhookSignerTest, SignsBodyHashWithAVerifiableEs256Jwt) {
  FakeClock clock;
  SecureRandom random;
  auto signer = WebhookSigner::Create(clock, random);
  ASSERT_TRUE(signer) << signer.error().message;
  std::string body = "{\n  \"webhook_type\": \"ITEM\"\n}";
  auto jws = (*signer)->Sign(body);
  ASSERT_TRUE(jws);
  auto header = ParseJson(*Base64UrlDecode(jws->substr(0, jws->find('.'))));
  ASSERT_TRUE(header);
  EXPECT_EQ(header->as_object().at("alg").as_string(), "ES256");
  EXPECT_EQ(header->as_object().at("typ").as_string(), "JWT");
  std::string kid(header->as_object().at("kid").as_string());
  EXPECT_EQ(kid, (*signer)->current_kid());
  auto first_dot = jws->find('.');
  auto claims =
      ParseJson(*Base64UrlDecode(jws->substr(first_dot + 1, jws->rfind('.') - first_dot - 1)));
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->as_object().at("request_body_sha256").as_string(), Sha256Hex(body));
  EXPECT_EQ(
      claims->as_object().at("iat").as_int64(),
      std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count());

  auto jwk = (*signer)->PublicJwk(kid);
  ASSERT_TRUE(jwk);
  EXPECT_EQ(jwk->at("crv").as_string(), "P-256");
  EXPECT_TRUE(jwk->at("expired_at").is_null());
  EXPECT_TRUE(VerifyWithJwk(*jws, *jwk));
  std::string tampered = *jws;
  tampered[first_dot + 3] = tampered[first_dot + 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyWithJwk(tampered, *jwk));
}

TEST(WebhookSignerTest, RotationExpiresTheOldKey) {
  FakeClock clock;
  SecureRandom random;
  auto signer = WebhookSigner::Create(clock, random);
  ASSERT_TRUE(signer);
  std::string old_kid = (*signer)->current_kid();
  clock.Advance(std::chrono::hours(1));
  ASSERT_TRUE((*signer)->Rotate());
  EXPECT_NE((*signer)->current_kid(), old_kid);
  auto old_jwk = (*signer)->PublicJwk(old_kid);
  ASSERT_TRUE(old_jwk);
  EXPECT_FALSE(old_jwk->at("expired_at").is_null());
  EXPECT_FALSE((*signer)->PublicJwk("nope"));
}

TEST(WebhookSignerTest, Sha256HexMatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace linkhub::emulator
