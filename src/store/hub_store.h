#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time_format.h"

namespace linkhub::store {

// A connect session: a short-lived, single-owner permission to link (or re-link) an account of
// one project. Only the keyed hash of its token is stored.
struct ConnectSession {
  int64_t id = 0;  // assigned by the store; StackOne's session id is numeric
  std::string project_id;
  std::string token_hash;
  std::string origin_owner_id;
  std::string origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> provider;
  std::optional<std::string> account_id;  // set: a re-link (Plaid update mode) session
  std::optional<std::string> label;
  std::string categories_json = "null";  // JSON array or null, as given
  std::string metadata_json = "null";    // JSON object or null, as given
  bool multiple = false;
  std::string type = "production";  // "production" or "test"
  TimePoint created_at;
  TimePoint expires_at;
};

struct StatusReason {
  std::string code;
  std::string description;
  TimePoint timestamp;
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
  std::string status = "active";  // "active", "inactive", "error" or "suspended"
  std::vector<StatusReason> status_reasons;
  std::string type = "production";
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

// A public-token exchange that was started: recorded before Plaid is called so that a crash
// leaves a trace. Holds only the keyed hash of the public token.
struct PendingExchange {
  std::string id;
  std::string project_id;
  int64_t session_id = 0;
  std::string public_token_hash;
  std::string account_id;  // the id the linked account gets
  std::string origin_owner_id;
  std::optional<std::string> institution_id;
  std::optional<std::string> link_session_id;
  std::string state = "pending";  // "pending", "linked" or "failed"
  std::optional<std::string> failure;
  TimePoint created_at;
  std::optional<TimePoint> closed_at;
};

struct AccountFilter {
  std::string project_id;
  std::vector<std::string> providers;
  std::vector<std::string> origin_owner_ids;
  std::vector<std::string> statuses;
  std::vector<std::string> account_ids;
  int64_t offset = 0;
  int64_t limit = 25;
};

// A sealed column of one account, for key rotation.
struct SealedField {
  std::string account_id;
  std::string project_id;
  std::string field;  // "access_token" or "item_id"
  std::string sealed;
};

// One Plaid call made for an account, for the operator's logs. Never a body, token or secret.
struct PlaidCallRecord {
  std::string project_id;
  std::string account_id;
  TimePoint at;
  std::string endpoint;
  int http_status = 0;     // 0: no answer (connection failure, timeout)
  std::string error_code;  // Plaid's error_code, or empty
  std::string request_id;  // Plaid's request_id, or empty
  int64_t latency_us = 0;
};

// How many Plaid call records the store keeps per account; older ones are dropped.
inline constexpr int kPlaidCallsKept = 1000;

// A Hub connection attempt (StackOne's /hub/connection_attempts): a marker the Hub component
// makes before a sign-in and polls afterwards. Bound to one connect session.
struct ConnectionAttempt {
  std::string id;
  std::string project_id;
  int64_t session_id = 0;
  std::string status = "pending";         // "pending", "authenticated" or "cancelled"
  std::optional<std::string> account_id;  // the account linked through the session, once
  TimePoint created_at;
  TimePoint updated_at;
};
// How many connection attempts one connect session may make.
inline constexpr int kConnectionAttemptsPerSession = 50;

// Connect sessions, linked accounts and pending exchanges. Every read and write of a session or
// an account names its project: there is no way to reach another tenant's rows. Soft-deleted
// accounts are invisible to every method except the key-rotation ones. Implementations are
// thread-safe. Errors: kNotFound, kAlreadyExists, kFailedPrecondition (a conditional write lost
// a race), kInternal/kUnavailable for the database itself.
class HubStore {
 public:
  virtual ~HubStore() = default;

  // Inserts `session` and returns it with its numeric id.
  virtual Result<ConnectSession> CreateConnectSession(ConnectSession session) = 0;
  // The session with this token hash, whatever its project or expiry; kNotFound otherwise.
  virtual Result<ConnectSession> FindConnectSession(const std::string& token_hash) = 0;

  virtual Result<std::vector<LinkedAccount>> ListAccounts(const AccountFilter& filter) = 0;
  virtual Result<LinkedAccount> GetAccount(const std::string& project_id,
                                           const std::string& account_id) = 0;
  // Accounts of one owner and provider whose status is one of `statuses` (all when empty).
  virtual Result<std::vector<LinkedAccount>> ListOwnerAccounts(
      const std::string& project_id, const std::string& origin_owner_id,
      const std::string& provider, const std::vector<std::string>& statuses) = 0;
  // Rewrites the mutable fields of an existing, undeleted account (owner, label, status,
  // reasons, display fields, updated_at). Never touches the sealed columns.
  virtual Status UpdateAccount(const LinkedAccount& account) = 0;
  // Sets only the display fields (products, institution, accounts, details_pending, updated_at)
  // of an undeleted account.
  virtual Status UpdateAccountDetails(const LinkedAccount& account) = 0;
  // Sets only the status and its reasons (and updated_at) of an undeleted account, so that a
  // status change never undoes an edit made meanwhile. While the account is suspended, the new
  // status and reasons are kept for ResumeAccount instead, so a call that finishes after a
  // suspension never lifts it. (UpdateAccount never changes a suspension either.)
  virtual Status SetAccountStatus(const std::string& project_id, const std::string& account_id,
                                  const std::string& status,
                                  const std::vector<StatusReason>& reasons, TimePoint now) = 0;
  // Suspends an undeleted account: status "suspended" with `reason`; the status and reasons it
  // had are kept for ResumeAccount. Suspending a suspended account changes nothing. kNotFound.
  virtual Status SuspendAccount(const std::string& project_id, const std::string& account_id,
                                const StatusReason& reason, TimePoint now) = 0;
  // Gives a suspended account back the status and reasons it had (or got meanwhile, see
  // SetAccountStatus). Resuming an account that is not suspended changes nothing. kNotFound.
  virtual Status ResumeAccount(const std::string& project_id, const std::string& account_id,
                               TimePoint now) = 0;
  // Marks the account deleted and inactive and erases its sealed columns.
  virtual Status SoftDeleteAccount(const std::string& project_id, const std::string& account_id,
                                   TimePoint now) = 0;

  // Records a new pending exchange. kAlreadyExists when one with the same token hash exists.
  virtual Status BeginExchange(const PendingExchange& pending) = 0;
  virtual Result<PendingExchange> FindExchange(const std::string& public_token_hash) = 0;
  // Turns a failed exchange back into a pending one (a retry). kFailedPrecondition unless it
  // was failed.
  virtual Status ReopenExchange(const std::string& exchange_id, TimePoint now) = 0;
  // In one transaction: inserts `account` (sealed columns included) and marks the exchange
  // linked. kFailedPrecondition unless the exchange was pending; nothing is written on error.
  virtual Status CompleteExchange(const std::string& exchange_id, const LinkedAccount& account,
                                  TimePoint now) = 0;
  // Marks a pending exchange failed with a reason (safe to log: never a token).
  virtual Status FailExchange(const std::string& exchange_id, const std::string& failure,
                              TimePoint now) = 0;
  // Every exchange still pending, oldest first.
  virtual Result<std::vector<PendingExchange>> ListPendingExchanges() = 0;
  // Undeleted accounts whose display fields were never fetched (a crash after linking).
  virtual Result<std::vector<LinkedAccount>> ListAccountsWithPendingDetails() = 0;

  // The stored /transactions/sync cursor of one consumer of an account; nullopt when none.
  virtual Result<std::optional<std::string>> GetSyncCursor(const std::string& project_id,
                                                           const std::string& account_id,
                                                           const std::string& consumer) = 0;
  // Stores (or, with an empty cursor, deletes) a consumer's cursor.
  virtual Status PutSyncCursor(const std::string& project_id, const std::string& account_id,
                               const std::string& consumer, const std::string& cursor,
                               TimePoint now) = 0;

  // Appends call records (in one transaction) and drops all but the newest kPlaidCallsKept of
  // each account they name.
  virtual Status AddPlaidCalls(const std::vector<PlaidCallRecord>& calls) = 0;
  // The newest `limit` call records of an account, newest first.
  virtual Result<std::vector<PlaidCallRecord>> ListPlaidCalls(const std::string& project_id,
                                                              const std::string& account_id,
                                                              int limit) = 0;

  // A number that grows whenever this process may have changed stored rows, for caches of rows
  // read through this store: read it before the rows, and trust them only while it stays the
  // same. nullopt: the store cannot tell, so nothing read through it may be cached.
  virtual std::optional<uint64_t> WriteCount() const { return std::nullopt; }

  // Hub connection attempts; each read and write names the attempt's project and session.
  virtual Status CreateConnectionAttempt(const ConnectionAttempt& attempt) = 0;
  virtual Result<ConnectionAttempt> GetConnectionAttempt(const std::string& project_id,
                                                         int64_t session_id,
                                                         const std::string& id) = 0;
  // Cancels the attempt if it is still pending (else leaves it); kNotFound for no such attempt.
  virtual Status CancelConnectionAttempt(const std::string& project_id, int64_t session_id,
                                         const std::string& id, TimePoint now) = 0;
  // Marks every pending attempt of a session authenticated by `account_id`.
  virtual Status CompleteConnectionAttempts(const std::string& project_id, int64_t session_id,
                                            const std::string& account_id, TimePoint now) = 0;

  // Every sealed value (for re-sealing under a new data key).
  virtual Result<std::vector<SealedField>> ListSealedFields() = 0;
  // Replaces one sealed value if it still equals `expected`. kFailedPrecondition otherwise.
  virtual Status ReplaceSealedField(const SealedField& expected, const std::string& new_sealed) = 0;
};

}  // namespace linkhub::store
