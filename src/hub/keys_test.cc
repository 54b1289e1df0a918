#include "hub/keys.h"

#include <gtest/gtest.h>

#include "store/test_db.h"
#include "vault/key_ring.h"

namespace linkhub::hub {
namespace {

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";  // 32 bytes
constexpr std::string_view kOtherMasterKey = "fedcba9876543210fedcba9876543210";

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", clock_.Now()));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "Beta", clock_.Now()));
    auto keys = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
  }

  std::string ActiveKeyId() {
    auto stored = m_.data_keys.ListDataKeys();
    EXPECT_TRUE(stored);
    for (const auto& k : *stored) {
      if (k.active) {
        return k.key_id;
      }
    }
    return "";
  }

  static std::string KeyIdOf(const std::string& sealed) {
    auto id = vault::KeyRing::KeyIdOf(sealed);
    EXPECT_TRUE(id);
    return id ? *id : "";
  }

  // Stores an account whose access token and item id are sealed by `keys`.
  void LinkAccount(Keys& keys, const std::string& project_id, const std::string& account_id) {
    domain::LinkedAccount a;
    a.id = account_id;
    a.project_id = project_id;
    a.origin_owner_id = "owner-1";
    a.origin_owner_name = "Owner One";
    a.environment = "sandbox";
    auto token = keys.Seal(project_id, account_id, "access_token", "access-" + account_id);
    auto item = keys.Seal(project_id, account_id, "item_id", "item-" + account_id);
    ASSERT_TRUE(token && item);
    a.access_token_sealed = *token;
    a.item_id_sealed = *item;
    a.item_id_hash = keys.Hash("item-" + account_id);
    a.created_at = a.updated_at = clock_.Now();
    ASSERT_TRUE(store::InsertAccount(m_.exchanges, a));
  }

  domain::LinkedAccount Stored(const std::string& project_id, const std::string& account_id) {
    auto a = m_.accounts.GetAccount(project_id, account_id);
    EXPECT_TRUE(a);
    return a ? *a : domain::LinkedAccount{};
  }

  // Opens both sealed fields of a stored account and checks their plaintext.
  void ExpectOpens(Keys& keys, const std::string& project_id, const std::string& account_id) {
    domain::LinkedAccount a = Stored(project_id, account_id);
    auto token = keys.Open(project_id, account_id, "access_token", a.access_token_sealed);
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(*token, "access-" + account_id);
    auto item = keys.Open(project_id, account_id, "item_id", a.item_id_sealed);
    ASSERT_TRUE(item) << item.error().message;
    EXPECT_EQ(*item, "item-" + account_id);
  }

  FakeClock clock_;
  SeededRandom random_{42};
  store::MemoryStores m_;
  std::unique_ptr<Keys> keys_;
};

TEST_F(KeysTest, FirstOpenCreatesOneActiveDataKey) {
  auto stored = m_.data_keys.ListDataKeys();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_TRUE(stored->at(0).active);
  EXPECT_FALSE(stored->at(0).retired_at.has_value());
  // Only the wrapped key is stored.
  EXPECT_TRUE(stored->at(0).wrapped.starts_with("lh1:master:"));

  auto sealed = keys_->Seal("proj_a", "acc_1", "access_token", "access-sandbox-secret");
  ASSERT_TRUE(sealed);
  EXPECT_EQ(KeyIdOf(*sealed), stored->at(0).key_id);
  EXPECT_EQ(sealed->find("access-sandbox-secret"), std::string::npos);
  EXPECT_EQ(*keys_->Open("proj_a", "acc_1", "access_token", *sealed), "access-sandbox-secret");
}

TEST_F(KeysTest, ASecondOpenWithTheSameMasterKeyOpensValuesSealedByTheFirst) {
  auto sealed = keys_->Seal("proj_a", "acc_1", "access_token", "access-sandbox-secret");
  ASSERT_TRUE(sealed);
  auto again = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(m_.data_keys.ListDataKeys()->size(), 1u);  // no second key created
  auto opened = (*again)->Open("proj_a", "acc_1", "access_token", *sealed);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, "access-sandbox-secret");
  // Hashes and user ids derive from the master key alone.
  EXPECT_EQ((*again)->Hash("lhcs_token"), keys_->Hash("lhcs_token"));
  EXPECT_EQ((*again)->ClientUserId("proj_a", "owner-1"), keys_->ClientUserId("proj_a", "owner-1"));
}

TEST_F(KeysTest, AnotherMasterKeyIsRefused) {
  auto other = Keys::Open(kOtherMasterKey, m_.data_keys, m_.accounts, random_, clock_);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(m_.data_keys.ListDataKeys()->size(), 1u);
}

TEST_F(KeysTest, ASealedValueIsBoundToItsProjectAccountAndField) {
  auto sealed = keys_->Seal("proj_a", "acc_1", "access_token", "access-sandbox-secret");
  ASSERT_TRUE(sealed);
  EXPECT_FALSE(keys_->Open("proj_b", "acc_1", "access_token", *sealed));
  EXPECT_FALSE(keys_->Open("proj_a", "acc_2", "access_token", *sealed));
  EXPECT_FALSE(keys_->Open("proj_a", "acc_1", "item_id", *sealed));
  EXPECT_TRUE(keys_->Open("proj_a", "acc_1", "access_token", *sealed));
  // Two seals of one value differ (fresh nonce).
  EXPECT_NE(*keys_->Seal("proj_a", "acc_1", "access_token", "access-sandbox-secret"), *sealed);
}

TEST_F(KeysTest, RotateResealsEveryStoredValueUnderTheNewKey) {
  std::string old_key = ActiveKeyId();
  LinkAccount(*keys_, "proj_a", "acc_1");
  LinkAccount(*keys_, "proj_a", "acc_2");
  LinkAccount(*keys_, "proj_b", "acc_3");
  LinkAccount(*keys_, "proj_a", "acc_gone");
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_gone", clock_.Now()));
  std::string before = Stored("proj_a", "acc_1").access_token_sealed;
  EXPECT_EQ(KeyIdOf(before), old_key);

  auto report = keys_->Rotate();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_NE(report->active_key_id, old_key);
  EXPECT_EQ(report->active_key_id, ActiveKeyId());
  EXPECT_EQ(report->resealed, 6);  // 3 live accounts x 2 fields; the deleted one has none
  EXPECT_EQ(m_.data_keys.ListDataKeys()->size(), 2u);

  auto fields = m_.accounts.ListSealedFields();
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), 6u);
  for (const auto& f : *fields) {
    EXPECT_EQ(KeyIdOf(f.sealed), report->active_key_id) << f.account_id << " " << f.field;
  }
  EXPECT_NE(Stored("proj_a", "acc_1").access_token_sealed, before);
  ExpectOpens(*keys_, "proj_a", "acc_1");
  ExpectOpens(*keys_, "proj_a", "acc_2");
  ExpectOpens(*keys_, "proj_b", "acc_3");

  // New values go under the new key; a second rotation re-seals everything again.
  auto fresh = keys_->Seal("proj_a", "acc_9", "access_token", "x");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(KeyIdOf(*fresh), report->active_key_id);
  auto second = keys_->Rotate();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->resealed, 6);
  EXPECT_NE(second->active_key_id, report->active_key_id);
}

TEST_F(KeysTest, AnotherProcessFollowsARotationWithoutRestarting) {
  // The server process opened its keys before the admin command rotated them.
  auto server = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
  ASSERT_TRUE(server);
  LinkAccount(**server, "proj_a", "acc_1");
  std::string old_key = ActiveKeyId();

  auto report = keys_->Rotate();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->resealed, 2);
  ASSERT_NE(KeyIdOf(Stored("proj_a", "acc_1").access_token_sealed), old_key);

  // The server has not seen the new key, yet opens the re-sealed values...
  ExpectOpens(**server, "proj_a", "acc_1");
  // ...and seals new values under the new active key.
  auto sealed = (*server)->Seal("proj_a", "acc_2", "access_token", "access-acc_2");
  ASSERT_TRUE(sealed);
  EXPECT_EQ(KeyIdOf(*sealed), report->active_key_id);
  EXPECT_EQ(*keys_->Open("proj_a", "acc_2", "access_token", *sealed), "access-acc_2");
}

TEST_F(KeysTest, ASealFollowsARotationMadeByAnotherProcessSoTheOldKeyCanRetire) {
  std::string first = ActiveKeyId();
  // Another process (the CLI's `keys rotate`, another instance) on the same database.
  auto other = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->Rotate());
  std::string second = ActiveKeyId();
  ASSERT_NE(second, first);
  // This process has not seen the rotation, yet seals under the new key.
  LinkAccount(*keys_, "proj_a", "acc_1");
  EXPECT_EQ(KeyIdOf(Stored("proj_a", "acc_1").access_token_sealed), second);
  ASSERT_TRUE((*other)->Retire(first));
  ExpectOpens(*keys_, "proj_a", "acc_1");
}

TEST_F(KeysTest, TheDatabaseRefusesAValueSealedUnderARetiredKey) {
  // A value sealed before a retirement and written after it (a seal in flight in a process that
  // had not seen the rotation) must not be stored: no process would load its key again.
  std::string first = ActiveKeyId();
  auto late = keys_->Seal("proj_a", "acc_1", "access_token", "access-acc_1");
  ASSERT_TRUE(late);
  ASSERT_TRUE(keys_->Rotate());
  ASSERT_TRUE(keys_->Retire(first));
  domain::LinkedAccount a;
  a.id = "acc_1";
  a.project_id = "proj_a";
  a.origin_owner_id = "owner-1";
  a.environment = "sandbox";
  a.access_token_sealed = *late;
  a.item_id_sealed = *keys_->Seal("proj_a", "acc_1", "item_id", "item-acc_1");
  a.item_id_hash = keys_->Hash("item-acc_1");
  a.created_at = a.updated_at = clock_.Now();
  auto refused = store::InsertAccount(m_.exchanges, a);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("retired data key"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(m_.accounts.GetAccount("proj_a", "acc_1"));
  // Sealed under the live key, an account is taken.
  LinkAccount(*keys_, "proj_a", "acc_2");
  ExpectOpens(*keys_, "proj_a", "acc_2");
}

TEST_F(KeysTest, RetireRefusesTheActiveKeyAndAKeyInUse) {
  std::string first = ActiveKeyId();
  // The active key, unused: still not retired.
  EXPECT_FALSE(keys_->Retire(first));
  LinkAccount(*keys_, "proj_a", "acc_1");
  // The active key, in use.
  auto in_use = keys_->Retire(first);
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(m_.data_keys.ListDataKeys()->at(0).retired_at.has_value());

  ASSERT_TRUE(keys_->Rotate());
  std::string second = ActiveKeyId();
  ASSERT_NE(second, first);
  // The new active key cannot be retired either.
  EXPECT_FALSE(keys_->Retire(second));
  auto retired = keys_->Retire(first);
  ASSERT_TRUE(retired) << retired.error().message;
  auto stored = m_.data_keys.ListDataKeys();
  ASSERT_TRUE(stored);
  for (const auto& k : *stored) {
    EXPECT_EQ(k.retired_at.has_value(), k.key_id == first) << k.key_id;
  }
  // Values stay readable, and a process opened after the retirement loads only live keys.
  ExpectOpens(*keys_, "proj_a", "acc_1");
  auto later = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
  ASSERT_TRUE(later);
  ExpectOpens(**later, "proj_a", "acc_1");
  // Retiring it twice fails.
  EXPECT_FALSE(keys_->Retire(first));
}

TEST_F(KeysTest, RetireRefusesAnInactiveKeyStillInUse) {
  std::string first = ActiveKeyId();
  LinkAccount(*keys_, "proj_a", "acc_1");
  // A writer that sealed under the first key just before a rotation and stored the value just
  // after it re-sealed the row.
  auto late = keys_->Seal("proj_a", "acc_1", "access_token", "access-acc_1");
  ASSERT_TRUE(late);
  auto report = keys_->Rotate();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->resealed, 2);
  auto fields = m_.accounts.ListSealedFields();
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->at(0).field, "access_token");
  ASSERT_TRUE(m_.accounts.ReplaceSealedField(fields->at(0), *late));
  ASSERT_EQ(KeyIdOf(Stored("proj_a", "acc_1").access_token_sealed), first);

  auto refused = keys_->Retire(first);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  ExpectOpens(*keys_, "proj_a", "acc_1");

  // Another rotation moves the straggler (and the rest) off it; then it retires.
  auto again = keys_->Rotate();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->resealed, 2);
  auto retired = keys_->Retire(first);
  ASSERT_TRUE(retired) << retired.error().message;
  ExpectOpens(*keys_, "proj_a", "acc_1");
}

TEST_F(KeysTest, HashIsStableAndHidesTheInput) {
  std::string h = keys_->Hash("public-sandbox-1234");
  EXPECT_EQ(keys_->Hash("public-sandbox-1234"), h);
  EXPECT_NE(h, "public-sandbox-1234");
  EXPECT_EQ(h.find("public-sandbox-1234"), std::string::npos);
  EXPECT_NE(keys_->Hash("public-sandbox-1235"), h);
  EXPECT_FALSE(h.empty());
}

TEST_F(KeysTest, ClientUserIdIsStablePerProjectAndOwnerAndHidesTheOwner) {
  std::string id = keys_->ClientUserId("proj_a", "alice@example.com");
  EXPECT_EQ(keys_->ClientUserId("proj_a", "alice@example.com"), id);
  EXPECT_NE(keys_->ClientUserId("proj_b", "alice@example.com"), id);
  EXPECT_NE(keys_->ClientUserId("proj_a", "bob@example.com"), id);
  EXPECT_EQ(id.find("alice"), std::string::npos);
  EXPECT_EQ(id.find("example.com"), std::string::npos);
  // Length-prefixed: moving characters between project and owner gives another id.
  EXPECT_NE(keys_->ClientUserId("proj_a|x", "y"), keys_->ClientUserId("proj_a", "x|y"));
  EXPECT_FALSE(id.empty());
}

}  // namespace
}  // namespace linkhub::hub
