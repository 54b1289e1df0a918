#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"

namespace linkhub::vault {

// A data key as it is stored: its id and the key itself sealed under the master key. The
// plaintext key exists only in memory.
struct WrappedDataKey {
  std::string key_id;
  std::string wrapped;  // a sealed value (see KeyRing::Seal) under the master key
};

// Envelope encryption for secrets at rest. Values are sealed with AES-256-GCM under a data key;
// data keys are sealed under the master key (which never touches the database). Every sealed
// value names its data key, so rotation adds a new active key while old values stay readable
// until they are re-sealed. The additional data binds a value to its row and field (see RowAad):
// a ciphertext copied to another row or column fails to open.
//
// Sealed format: "lh1:" key_id ":" base64(nonce(12) || ciphertext || tag(16)).
// Nothing here logs; errors never contain key material or plaintext.
// Thread-safe.
class KeyRing {
 public:
  // kInvalidArgument unless master_key is exactly 32 bytes.
  static Result<std::unique_ptr<KeyRing>> Create(std::string_view master_key, Random& random);
  ~KeyRing();

  // Makes a new random data key, makes it the active one, and returns it wrapped for storage.
  Result<WrappedDataKey> NewDataKey();
  // Loads a stored data key; `active` makes it the key new values are sealed with.
  // kPermissionDenied when it was not wrapped under this master key (wrong master key).
  Status LoadDataKey(const WrappedDataKey& key, bool active);
  // Empty until a data key is loaded or created.
  std::string active_key_id() const;

  // Seals `plaintext` under the active data key. kFailedPrecondition without one.
  Result<std::string> Seal(std::string_view plaintext, std::string_view aad);
  // Opens a value sealed by Seal. kFailedPrecondition when its data key is not loaded;
  // kInvalidArgument when it is not a sealed value; kInternal when it fails authentication
  // (tampered, or opened with other additional data).
  Result<std::string> Open(std::string_view sealed, std::string_view aad) const;

  // The data key id a sealed value names (to find values to re-seal after a rotation).
  static Result<std::string> KeyIdOf(std::string_view sealed);

 private:
  KeyRing(std::string master_key, Random& random);
  Result<std::string> SealWith(const std::string& key_id, std::string_view key,
                               std::string_view plaintext, std::string_view aad);
  static Result<std::string> OpenWith(std::string_view key, std::string_view sealed,
                                      std::string_view aad);

  std::string master_key_;
  Random& random_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::string, std::less<>> data_keys_;  // id -> 32-byte key
  std::string active_;
};

// Additional data that binds a sealed value to one field of one row of one project:
// "linkhub/v1|<project_id>|<row_id>|<field>". The parts are length-prefixed so that no two
// different triples give the same bytes.
std::string RowAad(std::string_view project_id, std::string_view row_id, std::string_view field);

}  // namespace linkhub::vault
