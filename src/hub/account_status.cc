#include "hub/account_status.h"

namespace linkhub::hub {

namespace {

bool HasCode(const Error& e, std::string_view code) {
  return e.provider && e.provider->error_code == code;
}

std::string_view FirstCode(const std::vector<domain::StatusReason>& reasons) {
  return reasons.empty() ? std::string_view() : std::string_view(reasons.front().code);
}

}  // namespace

std::optional<StatusChange> StatusAfterCall(const domain::LinkedAccount& account,
                                            const Error* error, TimePoint now) {
  StatusChange next;
  if (error == nullptr) {
    if (account.status != domain::AccountStatus::kError) {
      return std::nullopt;
    }
    next.status = domain::AccountStatus::kActive;
  } else if (HasCode(*error, "ITEM_LOGIN_REQUIRED") || HasCode(*error, "PENDING_EXPIRATION") ||
             HasCode(*error, "ACCESS_NOT_GRANTED")) {
    next.status = domain::AccountStatus::kError;
    next.reasons = {domain::StatusReason{error->provider->error_code,
                                         "Plaid needs the user to log in again: re-link the "
                                         "account (Plaid Link in update mode). " +
                                             error->provider->error_message,
                                         now}};
  } else if (HasCode(*error, "INVALID_ACCESS_TOKEN") || HasCode(*error, "ITEM_NOT_FOUND")) {
    next.status = domain::AccountStatus::kInactive;
    next.reasons = {domain::StatusReason{error->provider->error_code,
                                         "Plaid no longer knows this Item (removed or revoked): "
                                         "link the bank again.",
                                         now}};
  } else {
    return std::nullopt;
  }
  if (next.status == account.status &&
      FirstCode(next.reasons) == FirstCode(account.status_reasons)) {
    return std::nullopt;
  }
  return next;
}

}  // namespace linkhub::hub
