#include "plaid/limits.h"

namespace linkhub::plaid {

namespace {
// The emulator keeps its own copy of this table on purpose: it links no hub code, so that a
// mistake here cannot be mirrored there and go unnoticed.
constexpr PlaidLimit kLimits[] = {
    {"/accounts/balance/get", 5, 1200},
    {"/accounts/get", 15, 15000},
    {"/auth/get", 15, 12000},
    {"/identity/get", 15, 2000},
    {"/institutions/get_by_id", 0, 400},
    {"/institutions/search", 0, 400},
    {"/investments/holdings/get", 15, 2000},
    {"/investments/transactions/get", 30, 20000},
    {"/item/get", 15, 5000},
    {"/item/remove", 30, 2000},
    {"/liabilities/get", 15, 1000},
    {"/transactions/get", 30, 20000},
    {"/transactions/sync", 50, 20000},
    {"/transactions/refresh", 2, 100},
};
}  // namespace

std::span<const PlaidLimit> PlaidRateLimits() { return kLimits; }

const PlaidLimit* LimitFor(std::string_view endpoint) {
  for (const auto& l : kLimits) {
    if (l.endpoint == endpoint) {
      return &l;
    }
  }
  return nullptr;
}

}  // namespace linkhub::plaid
