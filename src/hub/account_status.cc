#include "hub/account_status.h"

#include <algorithm>

namespace linkhub::hub {

namespace {

using domain::AccountStatus;
using domain::StatusReason;

bool HasCode(const Error& e, std::string_view code) {
  return e.provider && e.provider->error_code == code;
}

std::string_view FirstCode(const std::vector<StatusReason>& reasons) {
  return reasons.empty() ? std::string_view() : std::string_view(reasons.front().code);
}

StatusReason LoginRequired(std::string_view plaid_message, TimePoint now) {
  std::string description =
      "Plaid needs the user to log in again at the bank: re-link the account (Plaid Link in "
      "update mode).";
  if (!plaid_message.empty()) {
    description += " Plaid said: " + std::string(plaid_message);
  }
  return StatusReason{std::string(kLoginRequired), std::move(description), now, std::nullopt};
}

StatusReason PlaidErrorReason(std::string_view code, std::string_view plaid_message,
                              TimePoint now) {
  std::string description = "Plaid reports " + std::string(code) + " for this Item";
  if (!plaid_message.empty()) {
    description += ": " + std::string(plaid_message);
  }
  description += ". See Plaid's documentation of the error; re-linking often fixes it.";
  return StatusReason{std::string(code), std::move(description), now, std::nullopt};
}

// `account`'s status with `warning` in place of the warnings it had (an error keeps its reasons
// and gets the warning beside them).
StatusChange WithWarning(const domain::LinkedAccount& account, StatusReason warning) {
  StatusChange next;  // active, showing only its newest warning
  if (account.status == AccountStatus::kError) {
    next.status = AccountStatus::kError;
    for (const auto& r : account.status_reasons) {
      if (r.code != warning.code) {
        next.reasons.push_back(r);
      }
    }
  }
  next.reasons.push_back(std::move(warning));
  return next;
}

bool SameReasons(const std::vector<StatusReason>& a, const std::vector<StatusReason>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const StatusReason& x, const StatusReason& y) {
                      return x.code == y.code && x.expires_at == y.expires_at;
                    });
}

}  // namespace

std::string_view RelinkModeFor(std::string_view code) {
  if (code == kNewAccountsAvailable) {
    return "update_accounts";
  }
  if (code == kRevoked || code == "INVALID_ACCESS_TOKEN" || code == "ITEM_NOT_FOUND") {
    return "link_again";
  }
  if (code.empty() || code == "SUSPENDED" || code == "DUPLICATE_ITEM") {
    return "";
  }
  return "update";  // login_required, consent_expiring, pending_disconnect, Plaid's errors
}

std::optional<StatusChange> StatusAfterCall(const domain::LinkedAccount& account,
                                            const Error* error, TimePoint now) {
  StatusChange next;
  if (error == nullptr) {
    if (account.status != AccountStatus::kError) {
      return std::nullopt;
    }
    next.status = AccountStatus::kActive;
  } else if (HasCode(*error, "ITEM_LOGIN_REQUIRED")) {
    next.status = AccountStatus::kError;
    next.reasons = {LoginRequired(error->provider->error_message, now)};
  } else if (HasCode(*error, "PENDING_EXPIRATION") || HasCode(*error, "ACCESS_NOT_GRANTED")) {
    next.status = AccountStatus::kError;
    next.reasons = {
        PlaidErrorReason(error->provider->error_code, error->provider->error_message, now)};
  } else if (HasCode(*error, "INVALID_ACCESS_TOKEN") || HasCode(*error, "ITEM_NOT_FOUND")) {
    next.status = AccountStatus::kInactive;
    next.reasons = {StatusReason{error->provider->error_code,
                                 "Plaid no longer knows this Item (removed or revoked): link the "
                                 "bank again.",
                                 now, std::nullopt}};
  } else {
    return std::nullopt;
  }
  if (next.status == account.status &&
      FirstCode(next.reasons) == FirstCode(account.status_reasons)) {
    return std::nullopt;
  }
  return next;
}

WebhookVerdict StatusAfterWebhook(const domain::LinkedAccount& account,
                                  const PlaidWebhookNews& news, TimePoint now) {
  WebhookVerdict verdict;
  if (account.deleted_at) {
    verdict.outcome = "the account was deleted: ignored";
    return verdict;
  }
  if (news.webhook_type == "TRANSACTIONS") {
    if (news.webhook_code == "SYNC_UPDATES_AVAILABLE") {
      verdict.transactions_updates = account.status != AccountStatus::kInactive;
      verdict.outcome = verdict.transactions_updates ? "transactions.updates_available sent"
                                                     : "the account is inactive: ignored";
    } else {
      verdict.outcome = "not used by linkhub (the customer syncs on SYNC_UPDATES_AVAILABLE)";
    }
    return verdict;
  }
  if (news.webhook_type != "ITEM") {
    verdict.outcome = "not used by linkhub";
    return verdict;
  }
  if (account.status == AccountStatus::kInactive) {
    verdict.outcome = "the account is inactive: ignored";
    return verdict;
  }
  const std::string& code = news.webhook_code;
  std::optional<StatusChange> next;
  if (code == "ERROR") {
    if (!news.error_code) {
      verdict.outcome = "an ERROR without an error: ignored";
      return verdict;
    }
    const std::string message = news.error_message.value_or("");
    next = StatusChange{AccountStatus::kError,
                        {*news.error_code == "ITEM_LOGIN_REQUIRED"
                             ? LoginRequired(message, now)
                             : PlaidErrorReason(*news.error_code, message, now)}};
  } else if (code == "LOGIN_REPAIRED") {
    next = StatusChange{AccountStatus::kActive, {}};
  } else if (code == "PENDING_EXPIRATION") {
    std::string description = "The user's consent to share this bank's data runs out";
    if (news.consent_expiration_time) {
      description += " on " + FormatRfc3339(*news.consent_expiration_time).substr(0, 10);
    }
    description += ": re-link the account (Plaid Link in update mode) before then.";
    next = WithWarning(account, StatusReason{std::string(kConsentExpiring), description, now,
                                             news.consent_expiration_time});
  } else if (code == "PENDING_DISCONNECT") {
    next = WithWarning(account,
                       StatusReason{std::string(kPendingDisconnect),
                                    "The bank will soon disconnect this Item (a migration or a "
                                    "consent ending): re-link the account in update mode.",
                                    now, std::nullopt});
  } else if (code == "USER_PERMISSION_REVOKED" || code == "USER_ACCOUNT_REVOKED") {
    next = StatusChange{AccountStatus::kInactive,
                        {StatusReason{std::string(kRevoked),
                                      "The user revoked linkhub's access at the bank or at Plaid: "
                                      "link the bank again.",
                                      now, std::nullopt}}};
  } else if (code == "NEW_ACCOUNTS_AVAILABLE") {
    next = WithWarning(account,
                       StatusReason{std::string(kNewAccountsAvailable),
                                    "The bank has accounts the user has not shared: re-link with "
                                    "account selection to add them.",
                                    now, std::nullopt});
  } else {
    verdict.outcome = "not used by linkhub";
    return verdict;
  }
  if (next->status == account.status && SameReasons(next->reasons, account.status_reasons)) {
    verdict.outcome = "no change";
    return verdict;
  }
  verdict.outcome = "status " + std::string(domain::ToString(next->status));
  if (!next->reasons.empty()) {
    verdict.outcome += " (" + next->reasons.back().code + ")";
  }
  verdict.change = std::move(next);
  return verdict;
}

}  // namespace linkhub::hub
