#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "domain/project.h"

namespace linkhub::store {

// Projects (tenants). Implementations are thread-safe. Errors: kNotFound, kAlreadyExists
// (duplicate id), kInternal/kUnavailable for the database itself.
class ProjectStore {
 public:
  virtual ~ProjectStore() = default;

  // Creates a project; its numeric_id is the next free number.
  virtual Result<domain::Project> CreateProject(const std::string& id, const std::string& name,
                                                TimePoint now) = 0;
  virtual Result<domain::Project> GetProject(const std::string& id) = 0;
  virtual Result<std::vector<domain::Project>> ListProjects() = 0;
  // Replaces a project's allowed origins (already validated). kNotFound for an unknown project.
  virtual Status SetAllowedOrigins(const std::string& project_id,
                                   const std::vector<std::string>& origins) = 0;
};

}  // namespace linkhub::store
