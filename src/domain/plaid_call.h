#pragma once

// One Plaid call made for an account, as the operator's per-account log keeps it.

#include <cstdint>
#include <string>

#include "core/time_format.h"

namespace linkhub::domain {

// Never a body, token or secret.
struct PlaidCallRecord {
  std::string project_id;
  std::string account_id;
  TimePoint at;
  std::string endpoint;
  int http_status = 0;     // 0: no answer (connection failure, timeout)
  std::string error_code;  // Plaid's error_code, or empty
  std::string request_id;  // Plaid's request_id, or empty
  int64_t latency_us = 0;
  std::string via;  // the door the call came through: rpc, mcp, proxy, dashboard; "" if unknown
  std::string linkhub_request_id;  // the HTTP request it was made for (X-Request-Id), or empty
};

// How many call records are kept per account; older ones are dropped.
inline constexpr int kPlaidCallsKept = 1000;

}  // namespace linkhub::domain
