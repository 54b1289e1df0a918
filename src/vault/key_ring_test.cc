#include "vault/key_ring.h"

#include <gtest/gtest.h>

namespace linkhub::vault {
namespace {

class KeyRingTest : public ::testing::Test {
 protected:
  SecureRandom random_;
  std::string master_ = std::string(32, 'm');
};

TEST_F(KeyRingTest, RefusesAMasterKeyOfTheWrongSize) {
  auto ring = KeyRing::Create("short", random_);
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KeyRingTest, SealsOnlyWithAnActiveKey) {
  auto ring = KeyRing::Create(master_, random_);
  ASSERT_TRUE(ring);
  auto none = (*ring)->Seal("x", "aad");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(KeyRingTest, SealedValuesAreBoundToTheirRowAndNeverRepeat) {
  auto ring = KeyRing::Create(master_, random_);
  ASSERT_TRUE(ring);
  ASSERT_TRUE((*ring)->NewDataKey());
  std::string aad = RowAad("proj_1", "acct_1", "access_token");
  auto a = (*ring)->Seal("plaintext-credential-123", aad);
  auto b = (*ring)->Seal("plaintext-credential-123", aad);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // a fresh nonce every time
  EXPECT_EQ(a->find("plaintext-credential"), std::string::npos);
  EXPECT_TRUE(a->starts_with("lh1:" + (*ring)->active_key_id() + ":"));
  EXPECT_EQ(*(*ring)->Open(*a, aad), "plaintext-credential-123");

  // Copied to another row, another field or another project: refused.
  for (const auto& other :
       {RowAad("proj_1", "acct_2", "access_token"), RowAad("proj_1", "acct_1", "item_id"),
        RowAad("proj_2", "acct_1", "access_token")}) {
    auto moved = (*ring)->Open(*a, other);
    ASSERT_FALSE(moved);
    EXPECT_EQ(moved.error().code, ErrorCode::kInternal);
  }
  EXPECT_EQ((*ring)->Open("garbage", aad).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KeyRingTest, RowAadCannotBeConfusedByPartBoundaries) {
  EXPECT_NE(RowAad("a|b", "c", "d"), RowAad("a", "b|c", "d"));
  EXPECT_NE(RowAad("ab", "c", "d"), RowAad("a", "bc", "d"));
}

TEST_F(KeyRingTest, RotationKeepsOldValuesReadableAfterARestart) {
  auto ring = KeyRing::Create(master_, random_);
  ASSERT_TRUE(ring);
  auto k1 = (*ring)->NewDataKey();
  ASSERT_TRUE(k1);
  auto old_value = (*ring)->Seal("old", "aad");
  auto k2 = (*ring)->NewDataKey();
  ASSERT_TRUE(k2);
  EXPECT_NE(k1->key_id, k2->key_id);
  auto new_value = (*ring)->Seal("new", "aad");
  EXPECT_EQ(*KeyRing::KeyIdOf(*old_value), k1->key_id);
  EXPECT_EQ(*KeyRing::KeyIdOf(*new_value), k2->key_id);

  // A new process with the same master key loads the wrapped keys from storage.
  auto restarted = KeyRing::Create(master_, random_);
  ASSERT_TRUE(restarted);
  auto missing = (*restarted)->Open(*old_value, "aad");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE((*restarted)->LoadDataKey(*k1, false));
  ASSERT_TRUE((*restarted)->LoadDataKey(*k2, true));
  EXPECT_EQ((*restarted)->active_key_id(), k2->key_id);
  EXPECT_EQ(*(*restarted)->Open(*old_value, "aad"), "old");
  EXPECT_EQ(*(*restarted)->Open(*new_value, "aad"), "new");
}

TEST_F(KeyRingTest, WrongMasterKeyOrSwappedKeyIdsAreRefused) {
  auto ring = KeyRing::Create(master_, random_);
  ASSERT_TRUE(ring);
  auto k1 = (*ring)->NewDataKey();
  auto k2 = (*ring)->NewDataKey();
  ASSERT_TRUE(k1 && k2);
  auto other = KeyRing::Create(std::string(32, 'o'), random_);
  ASSERT_TRUE(other);
  auto wrong_master = (*other)->LoadDataKey(*k1, true);
  ASSERT_FALSE(wrong_master);
  EXPECT_EQ(wrong_master.error().code, ErrorCode::kPermissionDenied);
  // A wrapped key stored under another key's id does not open.
  auto fresh = KeyRing::Create(master_, random_);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE((*fresh)->LoadDataKey(WrappedDataKey{k1->key_id, k2->wrapped}, true));
}

}  // namespace
}  // namespace linkhub::vault
