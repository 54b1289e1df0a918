#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "domain/account.h"
#include "store/account_store.h"
#include "store/data_key_store.h"
#include "vault/hashing.h"
#include "vault/key_ring.h"

namespace linkhub::hub {

struct RotationReport {
  std::string active_key_id;
  int resealed = 0;  // sealed values moved to the new key
};

// Everything secret that derives from the master key: sealing of stored secrets (with the data
// keys kept in the store, so that several processes on one database — the server and an admin
// command — share them), keyed hashes of API keys and tokens, and Plaid's client_user_id.
//
// Another process may rotate the data keys while this one runs: Seal() follows the store's
// active key and Open() loads a key it has not seen yet, so a rotation needs no restart.
// Thread-safe.
class Keys {
 public:
  // Loads every unretired data key; creates the first one on a new database. kPermissionDenied
  // when the stored keys were not wrapped under `master_key` (another master key).
  // `accounts` holds the sealed values that Rotate and Retire go through.
  static Result<std::unique_ptr<Keys>> Open(std::string_view master_key,
                                            store::DataKeyStore& data_keys,
                                            store::AccountStore& accounts, Random& random,
                                            Clock& clock);

  // Keyed hash of a high-entropy secret (API key, session token, public token): safe to store
  // and to log.
  std::string Hash(std::string_view secret) const;
  // Plaid's user.client_user_id for an owner of a project: stable, and no PII (the owner id
  // may be an e-mail address; this is a keyed hash of it).
  std::string ClientUserId(std::string_view project_id, std::string_view origin_owner_id) const;

  // Loads data keys added since the last look (a rotation by another process). Seal() refreshes
  // first when the stored active key is not this ring's; Open() refreshes by itself when it
  // meets an unknown key.
  Status Refresh();

  // Seals a secret of one field of one account.
  Result<std::string> Seal(std::string_view project_id, std::string_view account_id,
                           std::string_view field, std::string_view plaintext);
  Result<std::string> Open(std::string_view project_id, std::string_view account_id,
                           std::string_view field, std::string_view sealed);
  // The account's Plaid access token. kFailedPrecondition when it has none (deleted).
  Result<std::string> OpenAccessToken(const domain::LinkedAccount& account);
  // The account's Plaid item id; empty when it has none.
  Result<std::string> OpenItemId(const domain::LinkedAccount& account);

  // Adds a new active data key and re-seals every stored value under it, row by row, while the
  // server keeps running.
  Result<RotationReport> Rotate();
  // Retires an inactive data key. kFailedPrecondition while a stored value still uses it; once
  // retired, the database refuses a value sealed under it (see DataKeyStore::RetireDataKey).
  Status Retire(std::string_view key_id);
  // Every data key (wrapped: never a key in the clear), oldest first.
  Result<std::vector<domain::StoredDataKey>> List();

 private:
  Keys(std::unique_ptr<vault::KeyRing> ring, std::string hash_key, std::string user_id_key,
       store::DataKeyStore& data_keys, store::AccountStore& accounts, Clock& clock);
  std::unique_ptr<vault::KeyRing> ring_;
  vault::SecretHasher hasher_;
  std::string user_id_key_;
  store::DataKeyStore& data_keys_;
  store::AccountStore& accounts_;
  Clock& clock_;
  std::mutex refresh_mu_;
};

}  // namespace linkhub::hub
