#include "mcp/sessions.h"

#include <algorithm>
#include <vector>

#include "core/ids.h"

namespace linkhub::mcp {

SessionTable::SessionTable(Clock& clock, Random& random, SessionLimits limits)
    : clock_(clock), random_(random), limits_(limits) {}

Result<std::string> SessionTable::Open(Session session) {
  std::string id = NewBase62(random_, 32);
  auto now = clock_.MonotonicNow();
  std::lock_guard lock(mu_);
  if (sessions_.size() >= limits_.max_sessions) {
    SweepLocked(now);
  }
  CapKeyLocked(session.key_id);
  if (sessions_.size() >= limits_.max_sessions) {
    Error full = MakeError(ErrorCode::kResourceExhausted,
                           "too many MCP sessions are open; end unused ones with DELETE /mcp");
    full.details.emplace_back("retry_after_seconds", int64_t{60});
    return Unexpected(std::move(full));
  }
  sessions_.emplace(id, Entry{std::move(session), now});
  return id;
}

std::optional<Session> SessionTable::Find(std::string_view id, std::string_view key_id) {
  auto now = clock_.MonotonicNow();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.session.key_id != key_id) {
    return std::nullopt;
  }
  if (now - it->second.last_used >= limits_.idle) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second.session;
}

bool SessionTable::Close(std::string_view id, std::string_view key_id) {
  auto now = clock_.MonotonicNow();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.session.key_id != key_id) {
    return false;
  }
  bool live = now - it->second.last_used < limits_.idle;  // an expired one ends all the same
  sessions_.erase(it);
  return live;
}

size_t SessionTable::Size() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionTable::SweepLocked(std::chrono::steady_clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now - it->second.last_used >= limits_.idle ? sessions_.erase(it) : std::next(it);
  }
}

void SessionTable::CapKeyLocked(const std::string& key_id) {
  std::vector<decltype(sessions_)::iterator> own;
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->second.session.key_id == key_id) {
      own.push_back(it);
    }
  }
  while (own.size() >= limits_.max_per_key && !own.empty()) {
    auto oldest = std::min_element(own.begin(), own.end(), [](const auto& a, const auto& b) {
      return a->second.last_used < b->second.last_used;
    });
    sessions_.erase(*oldest);
    own.erase(oldest);
  }
}

}  // namespace linkhub::mcp
