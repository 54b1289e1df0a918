#pragma once

// The account status machine: the one place that decides an account's status and reasons from
// what Plaid says, by an action's answer (StatusAfterCall) or by webhook (StatusAfterWebhook).
// The API, the dashboard, the Hub page and the events all show what it decided.
//
//   Plaid says                                   status    reason code
//   ITEM ERROR ITEM_LOGIN_REQUIRED (or a call)   error     login_required
//   ITEM LOGIN_REPAIRED, a re-link, a success    active    (none)
//   ITEM PENDING_EXPIRATION                      active    consent_expiring (expires_at)
//   ITEM PENDING_DISCONNECT                      active    pending_disconnect
//   ITEM USER_PERMISSION_REVOKED / ..._REVOKED   inactive  revoked
//   ITEM NEW_ACCOUNTS_AVAILABLE                  active    new_accounts_available
//   ITEM ERROR, another code (or a call)         error     Plaid's error code
//   INVALID_ACCESS_TOKEN, ITEM_NOT_FOUND (call)  inactive  Plaid's error code
//   TRANSACTIONS SYNC_UPDATES_AVAILABLE          unchanged (an event for the customer)
//
// A warning (consent_expiring, pending_disconnect, new_accounts_available) on an account in
// error is added beside its error; on an active account it replaces the warnings it had.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/account.h"

namespace linkhub::hub {

// The reason codes the machine gives, beside Plaid's error codes.
inline constexpr std::string_view kLoginRequired = "login_required";
inline constexpr std::string_view kConsentExpiring = "consent_expiring";
inline constexpr std::string_view kPendingDisconnect = "pending_disconnect";
inline constexpr std::string_view kRevoked = "revoked";
inline constexpr std::string_view kNewAccountsAvailable = "new_accounts_available";

// What the user can do about a reason: "update" (re-link in update mode), "update_accounts"
// (update mode with account selection), "link_again" (the Item is gone), or "" (nothing).
std::string_view RelinkModeFor(std::string_view reason_code);

struct StatusChange {
  domain::AccountStatus status = domain::AccountStatus::kActive;
  std::vector<domain::StatusReason> reasons;
};

// The status `account` should have after a call on its Item ended in `error` (null: success):
// see the table above. nullopt when nothing changes (the same status with the same first
// reason, or an outcome that says nothing about the Item). Pure.
std::optional<StatusChange> StatusAfterCall(const domain::LinkedAccount& account,
                                            const Error* error, TimePoint now);

// A Plaid webhook as the machine reads it (the fields it uses; see plaid-api's webhooks).
struct PlaidWebhookNews {
  std::string webhook_type;
  std::string webhook_code;
  std::optional<std::string> error_code = std::nullopt;  // ITEM ERROR: error.error_code
  std::optional<std::string> error_message = std::nullopt;
  std::optional<TimePoint> consent_expiration_time = std::nullopt;  // PENDING_EXPIRATION
};

struct WebhookVerdict {
  std::optional<StatusChange> change;  // nullopt: the status stays
  bool transactions_updates = false;   // the customer has transactions to sync
  std::string outcome;                 // what it did, in a few words, safe to show
};

// What a webhook about `account`'s Item does to it: see the table above. An account already
// inactive (its Item gone) or deleted changes no more. Pure.
WebhookVerdict StatusAfterWebhook(const domain::LinkedAccount& account,
                                  const PlaidWebhookNews& news, TimePoint now);

}  // namespace linkhub::hub
