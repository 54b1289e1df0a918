// The one spelling of each state, on the wire and at rest.
#include <array>
#include <utility>

#include "domain/account.h"
#include "domain/event.h"
#include "domain/exchange.h"
#include "domain/orphan.h"
#include "domain/session.h"

namespace linkhub::domain {

namespace {

template <class E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& names,
                       std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

template <class E, size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) {
      return name;
    }
  }
  return "unknown";
}

constexpr std::array<std::pair<AccountStatus, std::string_view>, 4> kAccountStatuses{{
    {AccountStatus::kActive, "active"},
    {AccountStatus::kInactive, "inactive"},
    {AccountStatus::kError, "error"},
    {AccountStatus::kSuspended, "suspended"},
}};

constexpr std::array<std::pair<ExchangeState, std::string_view>, 3> kExchangeStates{{
    {ExchangeState::kPending, "pending"},
    {ExchangeState::kLinked, "linked"},
    {ExchangeState::kFailed, "failed"},
}};

constexpr std::array<std::pair<AttemptStatus, std::string_view>, 3> kAttemptStatuses{{
    {AttemptStatus::kPending, "pending"},
    {AttemptStatus::kAuthenticated, "authenticated"},
    {AttemptStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<OrphanCertainty, std::string_view>, 2> kOrphanCertainties{{
    {OrphanCertainty::kDefinite, "definite"},
    {OrphanCertainty::kPossible, "possible"},
}};

constexpr std::array<std::pair<EventType, std::string_view>, 4> kEventTypes{{
    {EventType::kAccountCreated, "account.created"},
    {EventType::kAccountUpdated, "account.updated"},
    {EventType::kAccountDeleted, "account.deleted"},
    {EventType::kTransactionsUpdatesAvailable, "transactions.updates_available"},
}};

constexpr std::array<std::pair<EndpointStatus, std::string_view>, 2> kEndpointStatuses{{
    {EndpointStatus::kActive, "active"},
    {EndpointStatus::kFailing, "failing"},
}};

constexpr std::array<std::pair<DeliveryState, std::string_view>, 3> kDeliveryStates{{
    {DeliveryState::kPending, "pending"},
    {DeliveryState::kDelivered, "delivered"},
    {DeliveryState::kFailed, "failed"},
}};

}  // namespace

std::string_view ToString(AccountStatus status) { return Name(kAccountStatuses, status); }
std::optional<AccountStatus> ParseAccountStatus(std::string_view text) {
  return Parse(kAccountStatuses, text);
}
bool HoldsLiveItem(AccountStatus status) { return status != AccountStatus::kInactive; }

std::string_view ToString(ExchangeState state) { return Name(kExchangeStates, state); }
std::optional<ExchangeState> ParseExchangeState(std::string_view text) {
  return Parse(kExchangeStates, text);
}

std::string_view ToString(OrphanCertainty certainty) { return Name(kOrphanCertainties, certainty); }
std::optional<OrphanCertainty> ParseOrphanCertainty(std::string_view text) {
  return Parse(kOrphanCertainties, text);
}

std::string_view ToString(AttemptStatus status) { return Name(kAttemptStatuses, status); }
std::optional<AttemptStatus> ParseAttemptStatus(std::string_view text) {
  return Parse(kAttemptStatuses, text);
}

std::string_view ToString(EventType type) { return Name(kEventTypes, type); }
std::optional<EventType> ParseEventType(std::string_view text) { return Parse(kEventTypes, text); }
const std::vector<EventType>& AllEventTypes() {
  static const std::vector<EventType> kAll = [] {
    std::vector<EventType> all;
    all.reserve(kEventTypes.size());
    for (const auto& [type, name] : kEventTypes) {
      all.push_back(type);
    }
    return all;
  }();
  return kAll;
}

std::string_view ToString(EndpointStatus status) { return Name(kEndpointStatuses, status); }
std::optional<EndpointStatus> ParseEndpointStatus(std::string_view text) {
  return Parse(kEndpointStatuses, text);
}

std::string_view ToString(DeliveryState state) { return Name(kDeliveryStates, state); }
std::optional<DeliveryState> ParseDeliveryState(std::string_view text) {
  return Parse(kDeliveryStates, text);
}

}  // namespace linkhub::domain
