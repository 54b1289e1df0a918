#include "vault/hashing.h"

#include <gtest/gtest.h>

#include <thread>

namespace linkhub::vault {
namespace {

TEST(HashingTest, HmacMatchesRfc4231) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashingTest, SecretHasherIsKeyedAndStable) {
  SecretHasher a("key-a"), b("key-b");
  EXPECT_EQ(a.Hash("lh_token"), a.Hash("lh_token"));
  EXPECT_NE(a.Hash("lh_token"), b.Hash("lh_token"));
  EXPECT_NE(a.Hash("lh_token"), Sha256Hex("lh_token"));
  EXPECT_EQ(a.Hash("lh_token").size(), 64u);
}

TEST(HashingTest, HashersSharingAThreadKeepTheirOwnKeys) {
  // A thread keeps one keyed context at a time; switching hashers must re-key it, and a
  // destroyed hasher's context must not serve a new one.
  SecretHasher a("key-a");
  SecretHasher b("key-b");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.Hash("secret"), HmacSha256Hex("key-a", "secret"));
    EXPECT_EQ(b.Hash("secret"), HmacSha256Hex("key-b", "secret"));
    EXPECT_EQ(a.Hash("other"), HmacSha256Hex("key-a", "other"));
  }
  std::string first;
  {
    SecretHasher c("key-c");
    first = c.Hash("x");
  }
  SecretHasher d("key-d");
  EXPECT_EQ(first, HmacSha256Hex("key-c", "x"));
  EXPECT_EQ(d.Hash("x"), HmacSha256Hex("key-d", "x"));
  std::string from_other_thread;
  std::thread([&] { from_other_thread = d.Hash("x"); }).join();
  EXPECT_EQ(from_other_thread, d.Hash("x"));
}

TEST(HashingTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace linkhub::vault
