#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

struct sockaddr;

namespace linkhub::http {

// Splits "HOST:PORT" (also "[::1]:PORT") for a --listen option. false when malformed.
bool SplitHostPort(const std::string& s, std::string& host, uint16_t& port);

// What of a URL may be logged: scheme, host and port. Paths, queries and user info can carry
// tokens (a webhook URL with a secret path, https://user:pass@host).
std::string UrlForLog(const std::string& url);

// Whether an address is one the public internet routes: false for loopback, private (RFC 1918,
// fc00::/7), link-local, carrier-grade NAT (100.64/10), unspecified, multicast, broadcast,
// documentation and IPv4-mapped forms of these. For outbound requests a customer chooses the
// address of (webhook endpoints), so that they cannot reach linkhub's own network.
bool IsPublicAddress(const sockaddr* address);
// The same for an IP literal ("10.0.0.1", "::1"); nullopt when `host` is not an IP literal.
std::optional<bool> IsPublicIpLiteral(std::string_view host);
// OK when every address `host` resolves to is public; kPermissionDenied naming the host when one
// is not, kInvalidArgument when it does not resolve. Blocks on DNS.
Status CheckPublicHost(const std::string& host);

}  // namespace linkhub::http
