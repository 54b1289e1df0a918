#pragma once

// What `--mcp-redact identity` hides from agents: the account holders' personal data in an
// identity answer. The RPC API is never redacted.

#include <string>
#include <string_view>

#include "core/result.h"

namespace linkhub::mcp {

inline constexpr std::string_view kRedacted = "[redacted]";

// Plaid's /identity/get answer with every owner's names, e-mail addresses, phone numbers and
// postal addresses replaced by kRedacted (the fields' shapes and `primary`/`type` flags kept,
// so an agent still sees how many there are). kInternal when `answer` is not JSON.
Result<std::string> RedactIdentity(std::string_view answer);

}  // namespace linkhub::mcp
