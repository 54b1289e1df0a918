#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "domain/project.h"

namespace linkhub::store {

// The data keys, wrapped under the master key (see vault::KeyRing). Implementations are
// thread-safe. Errors: kNotFound, kAlreadyExists, kInternal/kUnavailable for the database
// itself.
class DataKeyStore {
 public:
  virtual ~DataKeyStore() = default;

  // Stores a new data key and, in the same transaction, makes it the only active one.
  virtual Status AddActiveDataKey(const domain::StoredDataKey& key) = 0;
  virtual Result<std::vector<domain::StoredDataKey>> ListDataKeys() = 0;
  // The active data key's id ("" when there is none yet): one indexed read, for a process to
  // notice a rotation made by another before it seals.
  virtual Result<std::string> ActiveDataKeyId() = 0;
  // Marks an inactive data key retired (no longer loaded). kNotFound unless it exists and is
  // neither active nor retired; kFailedPrecondition while a stored value is sealed under it.
  // The check and the retirement are one write transaction, and the database refuses any later
  // write of a value sealed under a retired key, so that no value can be stored under a key
  // that is no longer loaded, whichever process seals it.
  virtual Status RetireDataKey(const std::string& key_id, TimePoint now) = 0;
};

}  // namespace linkhub::store
