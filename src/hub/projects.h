#pragma once

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

  // kNotFound for an unknown project, kInvalidArgument for an over-long label.
  virtual Result<NewApiKey> CreateApiKey(const std::string& project_id, std::string_view label) = 0;
  // The project's keys (hashes and prefixes only). kNotFound for an unknown project.
  virtual Result<std::vector<domain::ApiKey>> ListApiKeys(const std::string& project_id) = 0;
  // kNotFound unless the key exists in that project and is not yet revoked.
  virtual Status RevokeApiKey(const std::string& project_id, const std::string& key_id) = 0;

  // The project an API key belongs to; kUnauthenticated for an unknown or revoked key (the
  // message never repeats the key).
  virtual Result<std::string> Authenticate(std::string_view api_key) = 0;
  // The project of a key that Authenticate() accepted recently (see ProjectsImpl); nullopt
  // otherwise. Never touches the database, so an I/O thread may call it.
  virtual std::optional<std::string> RecentlyAuthenticated(std::string_view api_key) = 0;
};

}  // namespace linkhub::hub
