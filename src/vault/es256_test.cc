// ES256 verification against signatures made here with OpenSSL's own signer.
#include "vault/es256.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace linkhub::vault {
namespace {

// A P-256 key pair: signs as JWS does (r || s) and gives its public coordinates.
class TestSigner {
 public:
  TestSigner() : pkey_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {
    EXPECT_NE(pkey_, nullptr);
  }
  ~TestSigner() { EVP_PKEY_free(pkey_); }
  TestSigner(const TestSigner&) = delete;
  TestSigner& operator=(const TestSigner&) = delete;

  std::string Coordinate(const char* name) const {
    BIGNUM* bn = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(pkey_, name, &bn), 1);
    std::string out(32, '\0');
    EXPECT_EQ(BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32), 32);
    BN_free(bn);
    return out;
  }
  std::string X() const { return Coordinate(OSSL_PKEY_PARAM_EC_PUB_X); }
  std::string Y() const { return Coordinate(OSSL_PKEY_PARAM_EC_PUB_Y); }

  std::string Sign(std::string_view message) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    const auto* m = reinterpret_cast<const unsigned char*>(message.data());
    EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_), 1);
    EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &len, m, message.size()), 1);
    std::string der(len, '\0');
    EXPECT_EQ(
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len, m, message.size()),
        1);
    EVP_MD_CTX_free(ctx);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }

 private:
  EVP_PKEY* pkey_;
};

TEST(Es256Test, AValidSignatureVerifiesAndAnythingChangedDoesNot) {
  TestSigner signer;
  auto key = Es256PublicKey::FromCoordinates(signer.X(), signer.Y());
  ASSERT_TRUE(key) << key.error().message;
  std::string message = "eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9";
  std::string sig = signer.Sign(message);
  EXPECT_TRUE(key->Verify(message, sig));

  EXPECT_FALSE(key->Verify(message + "x", sig));
  std::string flipped = sig;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x01);
  EXPECT_FALSE(key->Verify(message, flipped));
  EXPECT_FALSE(key->Verify(message, sig.substr(0, 63)));
  EXPECT_FALSE(key->Verify(message, sig + std::string(1, '\0')));
  EXPECT_FALSE(key->Verify(message, std::string(64, '\0')));
  EXPECT_FALSE(key->Verify(message, ""));

  // Another key's signature does not verify under this one.
  TestSigner other;
  EXPECT_FALSE(key->Verify(message, other.Sign(message)));
}

TEST(Es256Test, CoordinatesOffTheCurveOrOfTheWrongSizeAreNotAKey) {
  TestSigner signer;
  std::string y = signer.Y();
  y[31] = static_cast<char>(y[31] ^ 0x01);  // almost surely off the curve
  EXPECT_EQ(Es256PublicKey::FromCoordinates(signer.X(), y).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Es256PublicKey::FromCoordinates(signer.X().substr(1), signer.Y()));
  EXPECT_FALSE(Es256PublicKey::FromCoordinates(signer.X(), signer.Y() + "a"));
  EXPECT_FALSE(Es256PublicKey::FromCoordinates(std::string(32, '\0'), std::string(32, '\0')));
}

}  // namespace
}  // namespace linkhub::vault
