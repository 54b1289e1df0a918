#pragma once

#include <cstdint>
#include <string>

namespace linkhub::http {

// Splits "HOST:PORT" (also "[::1]:PORT") for a --listen option. false when malformed.
bool SplitHostPort(const std::string& s, std::string& host, uint16_t& port);

// What of a URL may be logged: scheme, host and port. Paths, queries and user info can carry
// tokens (a webhook URL with a secret path, https://user:pass@host).
std::string UrlForLog(const std::string& url);

}  // namespace linkhub::http
