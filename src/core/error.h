#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace linkhub {

// Error codes with abseil's meanings. kInvalidArgument: the input itself is malformed.
// kFailedPrecondition: well-formed but wrong for the current state. kUpstream: Plaid said no.
enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kPayloadTooLarge,
  kUnavailable,
  kDeadlineExceeded,
  kUpstream,
  kInternal,
};

// What Plaid said, for StackOne's `provider_errors`. Never holds a token or a secret.
struct ProviderError {
  int http_status = 0;
  std::string error_type;
  std::string error_code;
  std::string error_message;
  std::string request_id;
};

// An error travelling up through Result<T>. `message` is safe to log and to return to a client:
// it never contains a token, secret or API key.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::optional<ProviderError> provider;
  // Extra fields for the client, e.g. {"existing_account_id", "acc_..."} on a conflict or
  // {"retry_after_seconds", 12}.
  std::vector<std::pair<std::string, std::variant<std::string, int64_t>>> details;
};

// A short stable name for `code`, e.g. "INVALID_ARGUMENT", for logs.
const char* ErrorCodeName(ErrorCode code);

// The detail `key` of `error` as text ("" when absent).
inline std::string DetailText(const Error& error, std::string_view key) {
  for (const auto& [k, v] : error.details) {
    if (k == key) {
      return std::holds_alternative<std::string>(v) ? std::get<std::string>(v)
                                                    : std::to_string(std::get<int64_t>(v));
    }
  }
  return "";
}

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message), std::nullopt, {}};
}

// kInvalidArgument: the caller's input is wrong; `message` says what to fix.
inline Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace linkhub
