#include "vault/key_ring.h"

#include <openssl/crypto.h>

#include <mutex>

#include "core/encoding.h"
#include "core/ids.h"
#include "vault/aes_gcm.h"

namespace linkhub::vault {

namespace {

constexpr std::string_view kPrefix = "lh1:";
constexpr std::string_view kMasterKeyId = "master";

// Additional data of a wrapped data key: binds it to its id, so keys cannot be swapped.
std::string DataKeyAad(std::string_view key_id) {
  return "linkhub/v1/data-key|" + std::string(key_id);
}

struct Parsed {
  std::string_view key_id;
  std::string payload;  // nonce || ciphertext || tag
};

Result<Parsed> Parse(std::string_view sealed) {
  if (!sealed.starts_with(kPrefix)) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "not a sealed value"));
  }
  sealed.remove_prefix(kPrefix.size());
  auto colon = sealed.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "not a sealed value"));
  }
  auto payload = Base64Decode(sealed.substr(colon + 1));
  if (!payload || payload->size() < kNonceBytes + kTagBytes) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "not a sealed value"));
  }
  return Parsed{sealed.substr(0, colon), std::move(*payload)};
}

}  // namespace

std::string RowAad(std::string_view project_id, std::string_view row_id, std::string_view field) {
  std::string out = "linkhub/v1";
  for (std::string_view part : {project_id, row_id, field}) {
    out += "|" + std::to_string(part.size()) + ":" + std::string(part);
  }
  return out;
}

KeyRing::KeyRing(std::string master_key, Random& random)
    : master_key_(std::move(master_key)), random_(random) {}

KeyRing::~KeyRing() {
  OPENSSL_cleanse(master_key_.data(), master_key_.size());
  for (auto& [id, key] : data_keys_) {
    OPENSSL_cleanse(key.data(), key.size());
  }
}

Result<std::unique_ptr<KeyRing>> KeyRing::Create(std::string_view master_key, Random& random) {
  if (master_key.size() != kKeyBytes) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "the master key must be exactly 32 bytes"));
  }
  return std::unique_ptr<KeyRing>(new KeyRing(std::string(master_key), random));
}

Result<std::string> KeyRing::SealWith(const std::string& key_id, std::string_view key,
                                      std::string_view plaintext, std::string_view aad) {
  std::string nonce = random_.Bytes(kNonceBytes);
  LINKHUB_ASSIGN_OR_RETURN(std::string body, AesGcmSeal(key, nonce, plaintext, aad));
  return std::string(kPrefix) + key_id + ":" + Base64Encode(nonce + body);
}

Result<std::string> KeyRing::OpenWith(std::string_view key, std::string_view sealed,
                                      std::string_view aad) {
  LINKHUB_ASSIGN_OR_RETURN(Parsed p, Parse(sealed));
  std::string_view payload(p.payload);
  return AesGcmOpen(key, payload.substr(0, kNonceBytes), payload.substr(kNonceBytes), aad);
}

Result<WrappedDataKey> KeyRing::NewDataKey() {
  std::string key = random_.Bytes(kKeyBytes);
  std::string id = "dk_" + NewBase62(random_, 16);
  LINKHUB_ASSIGN_OR_RETURN(std::string wrapped,
                           SealWith(std::string(kMasterKeyId), master_key_, key, DataKeyAad(id)));
  std::unique_lock lock(mu_);
  data_keys_[id] = std::move(key);
  active_ = id;
  return WrappedDataKey{id, std::move(wrapped)};
}

Status KeyRing::LoadDataKey(const WrappedDataKey& key, bool active) {
  auto opened = OpenWith(master_key_, key.wrapped, DataKeyAad(key.key_id));
  if (!opened || opened->size() != kKeyBytes) {
    return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                "data key " + key.key_id + " does not open with this master key"));
  }
  std::unique_lock lock(mu_);
  data_keys_[key.key_id] = std::move(*opened);
  if (active) {
    active_ = key.key_id;
  }
  return OkStatus();
}

std::string KeyRing::active_key_id() const {
  std::shared_lock lock(mu_);
  return active_;
}

Result<std::string> KeyRing::Seal(std::string_view plaintext, std::string_view aad) {
  std::string id, key;
  {
    std::shared_lock lock(mu_);
    if (active_.empty()) {
      return Unexpected(MakeError(ErrorCode::kFailedPrecondition, "no active data key"));
    }
    id = active_;
    key = data_keys_.at(active_);
  }
  auto sealed = SealWith(id, key, plaintext, aad);
  OPENSSL_cleanse(key.data(), key.size());
  return sealed;
}

Result<std::string> KeyRing::Open(std::string_view sealed, std::string_view aad) const {
  LINKHUB_ASSIGN_OR_RETURN(Parsed p, Parse(sealed));
  std::string key;
  {
    std::shared_lock lock(mu_);
    auto it = data_keys_.find(p.key_id);
    if (it == data_keys_.end()) {
      return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                  "data key " + std::string(p.key_id) + " is not loaded"));
    }
    key = it->second;
  }
  auto opened = OpenWith(key, sealed, aad);
  OPENSSL_cleanse(key.data(), key.size());
  return opened;
}

Result<std::string> KeyRing::KeyIdOf(std::string_view sealed) {
  LINKHUB_ASSIGN_OR_RETURN(Parsed p, Parse(sealed));
  return std::string(p.key_id);
}

}  // namespace linkhub::vault
