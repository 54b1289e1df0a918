#include "vault/aes_gcm.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace linkhub::vault {
namespace {

const std::string kZeroKey(32, '\0');
const std::string kZeroNonce(12, '\0');

// Test cases 13 and 14 of the GCM specification (AES-256, zero key and IV).
TEST(AesGcmTest, MatchesPublishedVectors) {
  auto empty = AesGcmSeal(kZeroKey, kZeroNonce, "", "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(HexEncode(*empty), "530f8afbc74536b9a963b4f1c4cb738b");
  auto block = AesGcmSeal(kZeroKey, kZeroNonce, std::string(16, '\0'), "");
  ASSERT_TRUE(block);
  EXPECT_EQ(HexEncode(*block), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(AesGcmTest, RoundTripsAndRejectsAnyChange) {
  std::string key(32, 'k'), nonce(12, 'n');
  auto sealed = AesGcmSeal(key, nonce, "plaintext-credential-value", "row-1|access_token");
  ASSERT_TRUE(sealed);
  auto opened = AesGcmOpen(key, nonce, *sealed, "row-1|access_token");
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "plaintext-credential-value");

  EXPECT_FALSE(AesGcmOpen(key, nonce, *sealed, "row-2|access_token"));
  std::string flipped = *sealed;
  flipped[3] ^= 1;
  EXPECT_FALSE(AesGcmOpen(key, nonce, flipped, "row-1|access_token"));
  std::string other_key(32, 'x');
  auto wrong = AesGcmOpen(other_key, nonce, *sealed, "row-1|access_token");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message.find("plaintext-credential"), std::string::npos);
  EXPECT_FALSE(AesGcmOpen(key, nonce, "short", ""));
}

}  // namespace
}  // namespace linkhub::vault
