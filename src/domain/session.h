#pragma once

// Connect sessions (a short-lived permission to link one owner's account) and the Hub's
// connection attempts made under them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time_format.h"

namespace linkhub::domain {

// A connect session: a short-lived, single-owner permission to link (or re-link) an account of
// one project. Only the keyed hash of its token is stored.
struct ConnectSession {
  int64_t id = 0;  // assigned by the store; StackOne's session id is numeric
  std::string project_id;
  std::string token_hash;
  std::string origin_owner_id;
  std::string origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> provider;
  std::optional<std::string> account_id;  // set: a re-link (Plaid update mode) session
  std::optional<std::string> label;
  std::string categories_json = "null";  // JSON array or null, as given
  std::string metadata_json = "null";    // JSON object or null, as given
  bool multiple = false;
  std::string type = "production";  // "production" or "test"
  TimePoint created_at;
  TimePoint expires_at;
};

// StackOne's connection-attempt statuses: made before a sign-in, then polled.
enum class AttemptStatus { kPending, kAuthenticated, kCancelled };
// "pending", "authenticated", "cancelled".
std::string_view ToString(AttemptStatus status);
std::optional<AttemptStatus> ParseAttemptStatus(std::string_view text);

// A Hub connection attempt (StackOne's /hub/connection_attempts): a marker the Hub component
// makes before a sign-in and polls afterwards. Bound to one connect session.
struct ConnectionAttempt {
  std::string id;
  std::string project_id;
  int64_t session_id = 0;
  AttemptStatus status = AttemptStatus::kPending;
  std::optional<std::string> account_id;  // the account linked through the session, once
  TimePoint created_at;
  TimePoint updated_at;
};
// How many connection attempts one connect session may make.
inline constexpr int kConnectionAttemptsPerSession = 50;

}  // namespace linkhub::domain
