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
  // Marks an inactive data key retired (no longer loaded). kNotFound unless it exists and is
  // neither active nor retired.
  virtual Status RetireDataKey(const std::string& key_id, TimePoint now) = 0;
};

}  // namespace linkhub::store
