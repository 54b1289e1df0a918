#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "hub/keys.h"
#include "store/project_store.h"

namespace linkhub::hub {

// An API key as created: the only time the key itself exists outside its holder.
struct NewApiKey {
  store::ApiKey stored;
  std::string key;  // "lh_live_..." — shown once, never stored
};

struct NewProject {
  store::Project project;
  NewApiKey api_key;
};

// Projects (tenants) and their API keys.
class Projects {
 public:
  Projects(store::ProjectStore& store, Keys& keys, Clock& clock, Random& random)
      : store_(store), keys_(keys), clock_(clock), random_(random) {}

  // A project with a first API key. kInvalidArgument for an empty or over-long name.
  Result<NewProject> Create(std::string_view name);
  Result<store::Project> Get(const std::string& project_id) {
    return store_.GetProject(project_id);
  }
  Result<NewApiKey> CreateApiKey(const std::string& project_id, std::string_view label);
  // The project an API key belongs to; kUnauthenticated for an unknown or revoked key (the
  // message never repeats the key).
  Result<std::string> Authenticate(std::string_view api_key);
  // The project of a key that Authenticate() accepted less than kAuthCacheTtl ago; nullopt
  // otherwise. Never touches the database, so an I/O thread may call it. A key revoked by
  // another process (the CLI) is therefore still accepted by this path for up to the TTL.
  std::optional<std::string> RecentlyAuthenticated(std::string_view api_key);
  static constexpr std::chrono::milliseconds kAuthCacheTtl{1000};

 private:
  struct Accepted {
    std::string project_id;
    std::chrono::steady_clock::time_point at;
    bool refreshing = false;  // one request was sent to Authenticate() to renew it
  };
  std::mutex accepted_mu_;
  std::unordered_map<std::string, Accepted> accepted_;  // by key hash; guarded by accepted_mu_

  store::ProjectStore& store_;
  Keys& keys_;
  Clock& clock_;
  Random& random_;
};

}  // namespace linkhub::hub
