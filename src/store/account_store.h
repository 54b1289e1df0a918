#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/account.h"

namespace linkhub::store {

// Linked accounts. Every read and write names the account's project: there is no way to reach
// another tenant's rows. Soft-deleted accounts are invisible to every method except the
// key-rotation ones. Accounts are created by ExchangeStore::CompleteExchange, in the transaction
// that closes their exchange. Every change the customer can see (status, reasons, owner, label,
// suspension, deletion) writes its event (domain::Event, account.updated or account.deleted)
// into the outbox in the same transaction; a write that changes nothing visible writes none.
// Implementations are thread-safe. Errors: kNotFound, kFailedPrecondition (a conditional write lost
// a race), kInternal/kUnavailable for the database itself.
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // Newest first.
  virtual Result<std::vector<domain::LinkedAccount>> ListAccounts(
      const domain::AccountFilter& filter) = 0;
  virtual Result<domain::LinkedAccount> GetAccount(const std::string& project_id,
                                                   const std::string& account_id) = 0;
  // Accounts of one owner and provider whose status is one of `statuses` (all when empty),
  // oldest first.
  virtual Result<std::vector<domain::LinkedAccount>> ListOwnerAccounts(
      const std::string& project_id, const std::string& origin_owner_id,
      const std::string& provider, const std::vector<domain::AccountStatus>& statuses) = 0;
  // The account (deleted ones included) holding the Item whose item_id has the keyed hash
  // `item_id_hash`, or nullopt. Plaid's webhooks name only the Item.
  virtual Result<std::optional<domain::LinkedAccount>> FindAccountByItem(
      const std::string& project_id, const std::string& item_id_hash) = 0;
  // Rewrites the mutable fields of an existing, undeleted account (owner, label, status,
  // reasons, display fields, updated_at). Never touches the sealed columns, and never changes a
  // suspension.
  virtual Status UpdateAccount(const domain::LinkedAccount& account) = 0;
  // Sets only the fields `edit` names (and updated_at) of an undeleted account, in one write, so
  // that a status change, or another edit, made since the caller last read the account is never
  // undone; account.updated is recorded in the same transaction when a visible field changed.
  // Returns the account as stored afterwards. kNotFound when there is none.
  virtual Result<domain::LinkedAccount> EditAccount(const std::string& project_id,
                                                    const std::string& account_id,
                                                    const domain::AccountEdit& edit,
                                                    TimePoint now) = 0;
  // Sets only the display fields (products, institution, accounts, details_pending, updated_at)
  // of an undeleted account.
  virtual Status UpdateAccountDetails(const domain::LinkedAccount& account) = 0;
  // Sets only the status and its reasons (and updated_at) of an undeleted account, so that a
  // status change never undoes an edit made meanwhile. While the account is suspended, the new
  // status and reasons are kept for ResumeAccount instead, so a call that finishes after a
  // suspension never lifts it.
  virtual Status SetAccountStatus(const std::string& project_id, const std::string& account_id,
                                  domain::AccountStatus status,
                                  const std::vector<domain::StatusReason>& reasons,
                                  TimePoint now) = 0;
  // Suspends an undeleted account: status kSuspended with `reason`; the status and reasons it
  // had are kept for ResumeAccount. Suspending a suspended account changes nothing. kNotFound.
  virtual Status SuspendAccount(const std::string& project_id, const std::string& account_id,
                                const domain::StatusReason& reason, TimePoint now) = 0;
  // Gives a suspended account back the status and reasons it had (or got meanwhile, see
  // SetAccountStatus). Resuming an account that is not suspended changes nothing. kNotFound.
  virtual Status ResumeAccount(const std::string& project_id, const std::string& account_id,
                               TimePoint now) = 0;
  // Marks the account deleted and inactive, erases its sealed columns and drops its Plaid call
  // log (the log is reachable only through the account).
  virtual Status SoftDeleteAccount(const std::string& project_id, const std::string& account_id,
                                   TimePoint now) = 0;
  // Undeleted accounts whose display fields were never fetched (a crash after linking), oldest
  // first.
  virtual Result<std::vector<domain::LinkedAccount>> ListAccountsWithPendingDetails() = 0;

  // Every sealed value (for re-sealing under a new data key), the orphaned Items' included
  // (domain::OrphanItem: their ids start with "orph_").
  virtual Result<std::vector<domain::SealedField>> ListSealedFields() = 0;
  // Replaces one sealed value if it still equals `expected`. kFailedPrecondition otherwise.
  virtual Status ReplaceSealedField(const domain::SealedField& expected,
                                    const std::string& new_sealed) = 0;

  // A number that grows whenever this process may have changed stored accounts, for caches of
  // accounts read through this store: read it before the rows, and trust them only while it
  // stays the same. nullopt: the store cannot tell, so nothing read through it may be cached.
  virtual std::optional<uint64_t> WriteCount() const { return std::nullopt; }
};

}  // namespace linkhub::store
