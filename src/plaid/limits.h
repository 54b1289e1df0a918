#pragma once

#include <span>
#include <string_view>

namespace linkhub::plaid {

// Plaid's published per-Item and per-client limits (requests per minute) for the endpoints it
// limits (plaid-api.md §4.3); 0 means no limit of that kind.
struct PlaidLimit {
  std::string_view endpoint;
  int per_item;
  int per_client;
};

std::span<const PlaidLimit> PlaidRateLimits();
// The limits of `endpoint`, or nullptr.
const PlaidLimit* LimitFor(std::string_view endpoint);

}  // namespace linkhub::plaid
