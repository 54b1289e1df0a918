#pragma once

// MCP sessions (the transport's Mcp-Session-Id): what initialize agreed, bound to the API key
// and account it was made with. In memory: a session lives in the process that made it, and a
// restart ends every session (clients then initialize again, as the transport expects on 404).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/strings.h"

namespace linkhub::mcp {

struct Session {
  std::string project_id;
  std::string key_id;  // the API key that opened it: only that key may use it
  std::string account_id;
  std::string protocol_version;
  bool search_execute = false;  // ?tool-mode=search_execute: two meta tools instead of all
};

struct SessionLimits {
  size_t max_sessions = 10'000;
  size_t max_per_key = 100;  // past it, the key's least recently used session ends
  std::chrono::seconds idle{3600};
};

// Thread-safe; never blocks on I/O, so an I/O thread may use it.
class SessionTable {
 public:
  SessionTable(Clock& clock, Random& random, SessionLimits limits = {});

  // A new session's id (32 random base62 characters). kResourceExhausted when the table is full
  // of sessions still in use.
  Result<std::string> Open(Session session);
  // The session `id` names if `key_id` opened it and it has not been idle too long (its idle
  // time starts again); nullopt otherwise, so another key cannot tell it exists.
  std::optional<Session> Find(std::string_view id, std::string_view key_id);
  // Ends a session; false when Find() would not have found it.
  bool Close(std::string_view id, std::string_view key_id);
  size_t Size();

 private:
  struct Entry {
    Session session;
    std::chrono::steady_clock::time_point last_used;
  };
  // Drops idle sessions. REQUIRES: mu_ held.
  void SweepLocked(std::chrono::steady_clock::time_point now);
  // Ends the least recently used session of `key_id` while it has max_per_key or more.
  // REQUIRES: mu_ held.
  void CapKeyLocked(const std::string& key_id);

  Clock& clock_;
  Random& random_;
  const SessionLimits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> sessions_;  // guarded by mu_
};

}  // namespace linkhub::mcp
