#pragma once

// Projects (tenants), their API keys, the data keys that seal stored secrets, and operators'
// dashboard sign-ins. Only hashes and wrapped keys: never a key itself.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time_format.h"

namespace linkhub::domain {

struct Project {
  std::string id;          // "proj_..." text id
  int64_t numeric_id = 0;  // StackOne's organization_id is numeric
  std::string name;
  TimePoint created_at;
  // Browser origins ("https://app.example.com") allowed to use this project's connect sessions
  // from the Hub API (CORS) and to embed the Hub page; empty: any origin.
  std::vector<std::string> allowed_origins;
};

// What an API key may run. Unlimited by default; the limits hold on every door (RPC, MCP, the
// proxy), never on the operator's dashboard.
struct KeyLimits {
  std::optional<std::vector<std::string>> actions;  // an allow-list of action ids; nullopt: all
  bool read_only = false;                           // only actions that change nothing at Plaid

  bool Unlimited() const { return !actions && !read_only; }
};

// An API key as stored: only its keyed hash (see vault::SecretHasher) and a short prefix that
// helps a person tell keys apart. The key itself is shown once and never stored.
struct ApiKey {
  std::string id;
  std::string project_id;
  std::string key_hash;
  std::string prefix;
  std::string label;
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;
  KeyLimits limits;
};

// A data key sealed under the master key (see vault::KeyRing).
struct StoredDataKey {
  std::string key_id;
  std::string wrapped;
  bool active = false;
  TimePoint created_at;
  std::optional<TimePoint> retired_at;
};

// An operator's sign-in to the dashboard. Only keyed hashes are stored: of the session id (the
// cookie's value) and of the API key it was opened with, so that revoking the key ends it.
struct DashboardSession {
  std::string id_hash;
  std::string project_id;
  std::string api_key_hash;
  TimePoint created_at;
  TimePoint last_seen_at;
  TimePoint expires_at;  // the absolute limit; the idle limit counts from last_seen_at
};

}  // namespace linkhub::domain
