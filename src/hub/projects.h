#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/project.h"

namespace linkhub::hub {

// An API key as created: the only time the key itself exists outside its holder.
struct NewApiKey {
  domain::ApiKey stored;
  std::string key;  // "lh_live_..." — shown once, never stored
};

struct NewProject {
  domain::Project project;
  NewApiKey api_key;
};

// Who a request speaks for: the project and key of an API key that checked out, with what the
// key may run.
struct Caller {
  std::string project_id;
  std::string key_id;
  domain::KeyLimits limits;
};
// Shared and immutable, so that a door passes it on with one reference count, not copies.
using CallerPtr = std::shared_ptr<const Caller>;

// The caller's limits as an ActionRequest holds them (sharing the caller's ownership).
inline std::shared_ptr<const domain::KeyLimits> LimitsOf(const CallerPtr& caller) {
  return std::shared_ptr<const domain::KeyLimits>(caller, &caller->limits);
}

// Projects (tenants) and their API keys. Blocking (database) except RecentlyAuthenticated;
// thread-safe.
class Projects {
 public:
  virtual ~Projects() = default;

  // A project with a first API key. kInvalidArgument for an empty or over-long name or an
  // allowed origin that is not one (nothing is created then).
  virtual Result<NewProject> Create(std::string_view name,
                                    const std::vector<std::string>& allowed_origins) = 0;
  virtual Result<domain::Project> Get(const std::string& project_id) = 0;
  virtual Result<std::vector<domain::Project>> List() = 0;
  // Replaces a project's allowed origins (see domain/origins.h) and returns the project.
  // kInvalidArgument for an origin that is not one, kNotFound for an unknown project.
  virtual Result<domain::Project> SetAllowedOrigins(const std::string& project_id,
                                                    const std::vector<std::string>& origins) = 0;

  // kNotFound for an unknown project, kInvalidArgument for an over-long label or limits that
  // name an action the catalogue lacks (or a write action on a read-only key).
  virtual Result<NewApiKey> CreateApiKey(const std::string& project_id, std::string_view label,
                                         const domain::KeyLimits& limits) = 0;
  // The project's keys (hashes and prefixes only). kNotFound for an unknown project.
  virtual Result<std::vector<domain::ApiKey>> ListApiKeys(const std::string& project_id) = 0;
  // kNotFound unless the key exists in that project and is not yet revoked.
  virtual Status RevokeApiKey(const std::string& project_id, const std::string& key_id) = 0;

  // The caller an API key speaks for; kUnauthenticated for an unknown or revoked key (the
  // message never repeats the key).
  virtual Result<CallerPtr> Authenticate(std::string_view api_key) = 0;
  // The caller of a key that Authenticate() accepted recently (see ProjectsImpl); null
  // otherwise. Never touches the database, so an I/O thread may call it.
  virtual CallerPtr RecentlyAuthenticated(std::string_view api_key) = 0;
};

}  // namespace linkhub::hub
