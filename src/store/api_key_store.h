#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "domain/project.h"

namespace linkhub::store {

// Projects' API keys, as keyed hashes. Implementations are thread-safe. Errors: kNotFound,
// kAlreadyExists (duplicate id or hash), kInternal/kUnavailable for the database itself.
class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

  virtual Status AddApiKey(const domain::ApiKey& key) = 0;
  // The unrevoked key with this hash; kNotFound otherwise (revoked keys never authenticate).
  virtual Result<domain::ApiKey> FindActiveApiKey(const std::string& key_hash) = 0;
  virtual Result<std::vector<domain::ApiKey>> ListApiKeys(const std::string& project_id) = 0;
  // kNotFound unless the key exists in that project and is not yet revoked.
  virtual Status RevokeApiKey(const std::string& project_id, const std::string& key_id,
                              TimePoint now) = 0;
};

}  // namespace linkhub::store
