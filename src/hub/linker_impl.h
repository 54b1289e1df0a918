#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "hub/fault_hook.h"
#include "hub/keys.h"
#include "hub/link_settings.h"
#include "hub/linker.h"
#include "plaid/plaid_client.h"
#include "store/account_store.h"
#include "store/exchange_journal.h"
#include "store/exchange_store.h"
#include "store/orphan_store.h"

namespace linkhub::hub {

// What the exchange writes to: the accounts it makes, the exchange records, the journal that
// witnesses each attempt at Plaid, and the orphans it learns of.
struct LinkerStores {
  store::AccountStore& accounts;
  store::ExchangeStore& exchanges;
  store::ExchangeJournal& journal;
  store::OrphanStore& orphans;
};

// Linker on the stores and Plaid, with the crash-safe exchange described in linker_impl.cc. The
// guards against a double submit and against two links of one owner at once live in this
// process (one server per data directory). Thread-safe.
class LinkerImpl final : public Linker {
 public:
  // How long a link waits for the same owner's other link before it is refused.
  static constexpr std::chrono::milliseconds kOwnerWait{5000};

  // `sleep` waits between attempts to remove an Item at Plaid; `fault_hook` (test builds only)
  // may stop the process at the exchange's named points.
  LinkerImpl(const LinkerStores& stores, Keys& keys, plaid::PlaidClient& plaid, Clock& clock,
             Random& random, Sleeper sleep, const LinkSettings& settings,
             FaultHook* fault_hook = nullptr, std::chrono::milliseconds owner_wait = kOwnerWait);

  Result<LinkToken> CreateLinkToken(const std::string& project_id,
                                    const LinkTokenInput& input) override;
  Result<domain::LinkedAccount> LinkAccount(const domain::ConnectSession& session,
                                            std::string_view public_token,
                                            const LinkMetadata& metadata) override;

  // Start-up recovery, before any exchange runs: settles every exchange a stopped process left
  // pending, by what the journal witnessed. Plaid's answer was journaled: the account is stored
  // from it. The request never went out: closed as "not sent" (a retry with the same token links
  // it). It went out and no answer was kept: closed as "outcome unknown" and recorded as a
  // possible orphan, which a retry settles. Each is logged with its link_session_id. Then the
  // journal is compacted.
  Status ReconcileExchanges();
  // Fetches display fields of accounts that were linked but never got them (a crash right
  // after linking, or Plaid failing then). Best effort; logs failures.
  void FillPendingDetails();

 private:
  struct InFlight;
  class OwnerLock;
  Result<domain::LinkedAccount> Exchange(const domain::ConnectSession& session,
                                         std::string_view public_token,
                                         const LinkMetadata& metadata,
                                         const std::string& token_hash);
  Result<domain::LinkedAccount> Relink(const domain::ConnectSession& session);
  // The label of an exchange's outcome in linkhub_exchanges_total.
  static std::string_view ExchangeOutcome(const Result<domain::LinkedAccount>& result);
  Status CheckLinkAllowed(const domain::ConnectSession& session, const LinkMetadata& metadata);
  // Reads institution, accounts and products from Plaid into `account` and stores them.
  Status FillDetails(domain::LinkedAccount& account, const std::string& access_token);
  // /item/remove with retries; false when the Item could not be removed.
  bool RemoveItem(const std::string& access_token, std::string_view why);
  // Closes a pending exchange as failed. A failure to write is logged, never fatal: the record
  // stays pending and start-up reconciles it.
  void CloseFailed(const std::string& exchange_id, const std::string& failure);
  // Whether an earlier attempt of `exchange` may have made an Item at Plaid: its last failure
  // was "outcome unknown", or it has an orphan record.
  Result<bool> MayHaveMadeAnItem(const domain::PendingExchange& exchange);
  // Records the orphan an exchange may have left (sealing what is known of it to the orphan's
  // id). A failure to write is logged with everything a support ticket needs.
  void RecordOrphan(const domain::PendingExchange& exchange, domain::OrphanCertainty certainty,
                    const std::string& reason, const std::string& item_id = {},
                    const std::string& access_token = {});
  void Fault(std::string_view point);

  store::AccountStore& accounts_;
  store::ExchangeStore& exchanges_;
  store::ExchangeJournal& journal_;
  store::OrphanStore& orphans_;
  Keys& keys_;
  plaid::PlaidClient& plaid_;
  Clock& clock_;
  Random& random_;
  Sleeper sleep_;
  const LinkSettings& settings_;
  FaultHook* fault_hook_;

  // Exchanges running in this process, by public-token hash: a double submit waits for the
  // first and gets its answer.
  std::mutex inflight_mu_;
  std::condition_variable inflight_cv_;
  std::map<std::string, std::shared_ptr<InFlight>, std::less<>> inflight_;

  // One new link at a time per (project, owner): the duplicate guard and the `multiple` rule
  // read the owner's accounts before the exchange, so two different tokens of one owner linked
  // concurrently must not both pass them. A link that waits longer than owner_wait_ is refused.
  // Entries live while someone holds or waits for them.
  struct OwnerSlot {
    bool busy = false;  // guarded by owners_mu_
    int users = 0;      // guarded by owners_mu_
  };
  const std::chrono::milliseconds owner_wait_;
  std::mutex owners_mu_;
  std::condition_variable owners_cv_;
  std::map<std::string, std::unique_ptr<OwnerSlot>, std::less<>> owners_;
};

}  // namespace linkhub::hub
