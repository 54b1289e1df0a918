#pragma once

// What a Plaid call's outcome says about an account's status: the one place that decides it for
// actions and the proxy.

#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/account.h"

namespace linkhub::hub {

struct StatusChange {
  domain::AccountStatus status = domain::AccountStatus::kActive;
  std::vector<domain::StatusReason> reasons;
};

// The status `account` should have after a call on its Item ended in `error` (null: success):
//   ITEM_LOGIN_REQUIRED, PENDING_EXPIRATION, ACCESS_NOT_GRANTED -> kError (re-link in update mode)
//   INVALID_ACCESS_TOKEN, ITEM_NOT_FOUND                         -> kInactive (the Item is gone)
//   a success on an account in kError                            -> kActive (the user fixed it)
// nullopt when nothing changes (the same status with the same first reason, or an outcome that
// says nothing about the Item). Pure.
std::optional<StatusChange> StatusAfterCall(const domain::LinkedAccount& account,
                                            const Error* error, TimePoint now);

}  // namespace linkhub::hub
