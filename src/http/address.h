#pragma once

#include <cstdint>
#include <string>

namespace linkhub::http {

// Splits "HOST:PORT" (also "[::1]:PORT") for a --listen option. false when malformed.
bool SplitHostPort(const std::string& s, std::string& host, uint16_t& port);

}  // namespace linkhub::http
