#pragma once

// A linked account (one Plaid Item) and the vocabulary around it: its status, the reasons for
// it, and the filters accounts are listed by. Plain values: no I/O, no Boost.JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_format.h"

namespace linkhub::domain {

// StackOne's linked-account statuses.
//   kActive     the Item works
//   kError      Plaid needs the user (ITEM_LOGIN_REQUIRED and the like): re-link in update mode
//   kInactive   the Item is gone (removed, revoked, or the account deleted)
//   kSuspended  an operator stopped every action and proxy call until it is resumed
enum class AccountStatus { kActive, kInactive, kError, kSuspended };

// "active", "inactive", "error", "suspended": the one spelling used on the wire and at rest.
std::string_view ToString(AccountStatus status);
// The status a spelling names; nullopt for anything else.
std::optional<AccountStatus> ParseAccountStatus(std::string_view text);
// Whether an account in `status` still holds a live, billed Item: it counts for the duplicate and
// "one account per owner" rules of linking (a suspended account does; an inactive one does not).
bool HoldsLiveItem(AccountStatus status);

// Why an account has its status, in Plaid's words: `code` is a reason code of the status
// machine (hub/account_status.h: "login_required", "consent_expiring", ...) or Plaid's error code.
struct StatusReason {
  std::string code;
  std::string description;
  TimePoint timestamp;
  // consent_expiring: when the user's consent runs out.
  std::optional<TimePoint> expires_at = std::nullopt;
};

// A linked account: one Plaid Item. The access token and item id are stored sealed by the vault
// (bound to project, account and field); item_id_hash is a keyed hash for look-ups by item id
// (Plaid's webhooks name only the Item).
struct LinkedAccount {
  std::string id;
  std::string project_id;
  std::string provider = "plaid";
  std::string origin_owner_id;
  std::string origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> label;
  AccountStatus status = AccountStatus::kActive;
  std::vector<StatusReason> status_reasons;
  std::string type = "production";    // StackOne's account type: "production" or "test"
  std::string environment;            // Plaid environment: "sandbox" or "production"
  std::vector<std::string> products;  // products the Item was linked with
  std::optional<std::string> institution_id;
  std::optional<std::string> institution_name;
  std::string accounts_json = "[]";  // [{account_id, name, mask, type, subtype}] for display
  bool details_pending = true;       // display fields not yet fetched from Plaid
  std::string access_token_sealed;   // empty once deleted
  std::string item_id_sealed;
  std::string item_id_hash;
  std::optional<int64_t> connect_session_id;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> deleted_at;
};

// Which accounts of one project a list shows; an empty list filters nothing.
struct AccountFilter {
  std::string project_id;
  std::vector<std::string> providers;
  std::vector<std::string> origin_owner_ids;
  std::vector<AccountStatus> statuses;
  std::vector<std::string> account_ids;
  int64_t offset = 0;
  int64_t limit = 25;
};

// The fields of an account its project may edit (PATCH /accounts/{id}); nullopt leaves a field as
// it is.
struct AccountEdit {
  std::optional<std::string> origin_owner_id;
  std::optional<std::string> origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> label;
};

// A sealed column of one account (or of an orphaned Item, a webhook endpoint, a Plaid webhook),
// for key rotation.
struct SealedField {
  std::string account_id;  // or the id of an OrphanItem, a WebhookEndpoint, a PlaidWebhook
  std::string project_id;
  std::string field;  // "access_token", "item_id", "secret", "previous_secret" or "body"
  std::string sealed;
};

}  // namespace linkhub::domain
