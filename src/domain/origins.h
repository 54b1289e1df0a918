#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace linkhub::domain {

// The most origins a project may list.
inline constexpr size_t kMaxAllowedOrigins = 50;

// A browser origin as a project lists it: "https://app.example.com" or "http://127.0.0.1:3000"
// (scheme http or https, a host, an optional port; no path, query, user or trailing slash).
// Returns it lower-cased; kInvalidArgument naming what is wrong otherwise.
Result<std::string> NormalizeOrigin(std::string_view origin);

// Each origin normalised (NormalizeOrigin), duplicates dropped; kInvalidArgument for one that is
// not an origin, or for more than kMaxAllowedOrigins.
Result<std::vector<std::string>> NormalizeOrigins(const std::vector<std::string>& origins);

// A comma-separated list of origins (as given to `linkhub project ... --allowed-origins`),
// normalised and without duplicates; an empty string is an empty list (any origin).
Result<std::vector<std::string>> ParseAllowedOrigins(std::string_view comma_list);

// Whether a request's Origin header value may use a project whose list is `allowed`: any origin
// when the list is empty, else one of them (compared after normalisation).
bool OriginAllowed(const std::vector<std::string>& allowed, std::string_view origin);

}  // namespace linkhub::domain
