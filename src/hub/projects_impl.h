#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"
#include "hub/keys.h"
#include "hub/projects.h"
#include "store/api_key_store.h"
#include "store/project_store.h"

namespace linkhub::hub {

// Projects on the project and API-key stores. Keeps the keys Authenticate() accepted for
// kAuthCacheTtl (by the keyed hash, never the key), for RecentlyAuthenticated(); a key revoked
// by another process (the CLI) is therefore still accepted by that path for up to the TTL. Ages
// are read from the Clock. Thread-safe.
class ProjectsImpl final : public Projects {
 public:
  ProjectsImpl(store::ProjectStore& projects, store::ApiKeyStore& api_keys, Keys& keys,
               Clock& clock, Random& random)
      : projects_(projects), api_keys_(api_keys), keys_(keys), clock_(clock), random_(random) {}

  static constexpr std::chrono::milliseconds kAuthCacheTtl{1000};

  Result<NewProject> Create(std::string_view name,
                            const std::vector<std::string>& allowed_origins) override;
  Result<domain::Project> Get(const std::string& project_id) override;
  Result<std::vector<domain::Project>> List() override;
  Result<domain::Project> SetAllowedOrigins(const std::string& project_id,
                                            const std::vector<std::string>& origins) override;
  Result<NewApiKey> CreateApiKey(const std::string& project_id, std::string_view label,
                                 const domain::KeyLimits& limits) override;
  Result<std::vector<domain::ApiKey>> ListApiKeys(const std::string& project_id) override;
  Status RevokeApiKey(const std::string& project_id, const std::string& key_id) override;
  Result<CallerPtr> Authenticate(std::string_view api_key) override;
  // Past half its life, one caller is told null (and so renews the entry through
  // Authenticate()) while the others keep using it, so that it never expires for all at once.
  CallerPtr RecentlyAuthenticated(std::string_view api_key) override;

 private:
  CallerPtr FindAccepted(std::string_view api_key);

  struct Accepted {
    CallerPtr caller;
    std::chrono::steady_clock::time_point at;
    bool refreshing = false;  // one request was sent to Authenticate() to renew it
  };
  std::mutex accepted_mu_;
  std::unordered_map<std::string, Accepted> accepted_;  // by key hash; guarded by accepted_mu_

  store::ProjectStore& projects_;
  store::ApiKeyStore& api_keys_;
  Keys& keys_;
  Clock& clock_;
  Random& random_;
};

}  // namespace linkhub::hub
