#include "hub/keys.h"

#include <spdlog/spdlog.h>

namespace linkhub::hub {

Keys::Keys(std::unique_ptr<vault::KeyRing> ring, std::string hash_key, std::string user_id_key,
           store::DataKeyStore& data_keys, store::AccountStore& accounts, Clock& clock)
    : ring_(std::move(ring)),
      hasher_(std::move(hash_key)),
      user_id_key_(std::move(user_id_key)),
      data_keys_(data_keys),
      accounts_(accounts),
      clock_(clock) {}

Result<std::unique_ptr<Keys>> Keys::Open(std::string_view master_key,
                                         store::DataKeyStore& data_keys,
                                         store::AccountStore& accounts, Random& random,
                                         Clock& clock) {
  LINKHUB_ASSIGN_OR_RETURN(auto ring, vault::KeyRing::Create(master_key, random));
  // Separate keys for separate purposes, derived from the master key.
  std::string hash_key = vault::HmacSha256Hex(master_key, "linkhub/secret-hash/v1");
  std::string user_id_key = vault::HmacSha256Hex(master_key, "linkhub/client-user-id/v1");
  std::unique_ptr<Keys> keys(new Keys(std::move(ring), std::move(hash_key), std::move(user_id_key),
                                      data_keys, accounts, clock));
  LINKHUB_ASSIGN_OR_RETURN(auto stored, data_keys.ListDataKeys());
  if (stored.empty()) {
    LINKHUB_ASSIGN_OR_RETURN(auto fresh, keys->ring_->NewDataKey());
    LINKHUB_RETURN_IF_ERROR(data_keys.AddActiveDataKey(
        domain::StoredDataKey{fresh.key_id, fresh.wrapped, true, clock.Now(), std::nullopt}));
    return keys;
  }
  for (const auto& k : stored) {
    if (k.retired_at) {
      continue;
    }
    if (auto s = keys->ring_->LoadDataKey({k.key_id, k.wrapped}, k.active); !s) {
      return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                  "the master key does not open this data directory's keys: it "
                                  "is not the master key the data was written with"));
    }
  }
  return keys;
}

std::string Keys::Hash(std::string_view secret) const { return hasher_.Hash(secret); }

std::string Keys::ClientUserId(std::string_view project_id,
                               std::string_view origin_owner_id) const {
  std::string data = std::to_string(project_id.size()) + ":" + std::string(project_id) + "|" +
                     std::string(origin_owner_id);
  return "lh_" + vault::HmacSha256Hex(user_id_key_, data).substr(0, 32);
}

Status Keys::Refresh() {
  std::lock_guard lock(refresh_mu_);
  LINKHUB_ASSIGN_OR_RETURN(auto stored, data_keys_.ListDataKeys());
  for (const auto& k : stored) {
    if (k.retired_at) {
      continue;
    }
    LINKHUB_RETURN_IF_ERROR(ring_->LoadDataKey({k.key_id, k.wrapped}, k.active));
  }
  return OkStatus();
}

Result<std::string> Keys::Seal(std::string_view project_id, std::string_view account_id,
                               std::string_view field, std::string_view plaintext) {
  // Another process (`linkhub keys rotate`, another instance) may have made a new key active:
  // seal under that one, so that the old key can be retired. Seals are rare (a link, a webhook
  // received, an endpoint's secret); the look-up is one indexed row.
  LINKHUB_ASSIGN_OR_RETURN(std::string active, data_keys_.ActiveDataKeyId());
  if (!active.empty() && active != ring_->active_key_id()) {
    LINKHUB_RETURN_IF_ERROR(Refresh());
  }
  return ring_->Seal(plaintext, vault::RowAad(project_id, account_id, field));
}

Result<std::string> Keys::Open(std::string_view project_id, std::string_view account_id,
                               std::string_view field, std::string_view sealed) {
  std::string aad = vault::RowAad(project_id, account_id, field);
  auto opened = ring_->Open(sealed, aad);
  if (!opened && opened.error().code == ErrorCode::kFailedPrecondition) {
    // Sealed under a key this process has not loaded yet (a rotation elsewhere).
    LINKHUB_RETURN_IF_ERROR(Refresh());
    return ring_->Open(sealed, aad);
  }
  return opened;
}

Result<RotationReport> Keys::Rotate() {
  {
    std::lock_guard lock(refresh_mu_);
    LINKHUB_ASSIGN_OR_RETURN(auto fresh, ring_->NewDataKey());
    LINKHUB_RETURN_IF_ERROR(data_keys_.AddActiveDataKey(
        domain::StoredDataKey{fresh.key_id, fresh.wrapped, true, clock_.Now(), std::nullopt}));
  }
  RotationReport report;
  report.active_key_id = ring_->active_key_id();
  LINKHUB_ASSIGN_OR_RETURN(auto fields, accounts_.ListSealedFields());
  for (const auto& f : fields) {
    LINKHUB_ASSIGN_OR_RETURN(std::string key_id, vault::KeyRing::KeyIdOf(f.sealed));
    if (key_id == report.active_key_id) {
      continue;
    }
    LINKHUB_ASSIGN_OR_RETURN(std::string plain,
                             Open(f.project_id, f.account_id, f.field, f.sealed));
    LINKHUB_ASSIGN_OR_RETURN(
        std::string resealed,
        ring_->Seal(plain, vault::RowAad(f.project_id, f.account_id, f.field)));
    auto replaced = accounts_.ReplaceSealedField(f, resealed);
    if (!replaced && replaced.error().code == ErrorCode::kFailedPrecondition) {
      continue;  // changed or deleted meanwhile; a concurrent write sealed it afresh
    }
    LINKHUB_RETURN_IF_ERROR(replaced);
    ++report.resealed;
  }
  spdlog::info("data key rotation: {} is active, {} values re-sealed", report.active_key_id,
               report.resealed);
  return report;
}

Status Keys::Retire(std::string_view key_id) {
  // The store counts the values under the key and retires it in one transaction: counting here
  // first would let a seal of another process land between the count and the retirement.
  return data_keys_.RetireDataKey(std::string(key_id), clock_.Now());
}

Result<std::vector<domain::StoredDataKey>> Keys::List() { return data_keys_.ListDataKeys(); }

Result<std::string> Keys::OpenAccessToken(const domain::LinkedAccount& account) {
  if (account.access_token_sealed.empty()) {
    return Unexpected(
        MakeError(ErrorCode::kFailedPrecondition, "account " + account.id + " has no Plaid Item"));
  }
  return Open(account.project_id, account.id, "access_token", account.access_token_sealed);
}

Result<std::string> Keys::OpenItemId(const domain::LinkedAccount& account) {
  if (account.item_id_sealed.empty()) {
    return std::string();
  }
  return Open(account.project_id, account.id, "item_id", account.item_id_sealed);
}

}  // namespace linkhub::hub
