#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/session.h"

namespace linkhub::hub {

struct CreateSessionInput {
  std::string origin_owner_id;
  std::string origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> provider;
  std::optional<std::string> account_id;  // set: a re-link session for that account
  std::optional<std::string> label;
  std::string categories_json = "null";
  std::string metadata_json = "null";
  bool multiple = false;
  std::string type = "production";
  std::chrono::seconds expires_in{1800};
};

struct NewSession {
  domain::ConnectSession session;
  std::string token;  // shown once; only its hash is stored
};

// Connect sessions: a project's short-lived permission for one owner to link (or re-link) an
// account. Blocking (database); thread-safe.
class Sessions {
 public:
  virtual ~Sessions() = default;

  // kInvalidArgument naming the field for bad input; kNotFound for a re-link of an account the
  // project does not have.
  virtual Result<NewSession> Create(const std::string& project_id, CreateSessionInput input) = 0;
  // The session a token names, expired or not (any project); kNotFound otherwise.
  virtual Result<domain::ConnectSession> Find(std::string_view token) = 0;
  // kUnauthenticated, saying when, once `session` has expired.
  virtual Status CheckUnexpired(const domain::ConnectSession& session) = 0;
  // The unexpired session a token names (any project); kUnauthenticated otherwise.
  virtual Result<domain::ConnectSession> Authenticate(std::string_view token) = 0;
  // The project of a session whose token Authenticate() accepted before, while the session is
  // unexpired; nullopt otherwise. From memory only, so an I/O thread may call it. For
  // accounting (whose capacity a request uses), never for authorisation.
  virtual std::optional<std::string> KnownProject(std::string_view token) = 0;
};

}  // namespace linkhub::hub
