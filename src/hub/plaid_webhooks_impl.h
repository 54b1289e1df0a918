#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "core/clock.h"
#include "core/random.h"
#include "hub/fault_hook.h"
#include "hub/keys.h"
#include "hub/plaid_webhooks.h"
#include "plaid/webhook_verifier.h"
#include "store/account_store.h"
#include "store/orphan_store.h"
#include "store/plaid_webhook_store.h"
#include "store/project_store.h"

namespace linkhub::hub {

struct PlaidWebhookStores {
  store::PlaidWebhookStore& inbox;
  store::AccountStore& accounts;
  store::OrphanStore& orphans;
  store::ProjectStore& projects;
};

// PlaidWebhooks over the inbox, and the worker that applies what it keeps. Each kept webhook
// is applied once, in the order received: the status machine (StatusAfterWebhook) decides the
// account's status, the account store writes it with its event, and the inbox row is marked
// applied (with the transactions event, when there is one, in the same transaction). A crash
// between the two applies it again, which changes nothing more: the machine's verdict on a state
// it already made is "no change". A webhook for an Item no account holds becomes an orphan
// report (OrphanStore). All stores, keys, verifier and clock must outlive it. Thread-safe.
class PlaidWebhooksImpl final : public PlaidWebhooks {
 public:
  // `faults` (may be null) names points where a test build can crash (fault_hook.h).
  PlaidWebhooksImpl(PlaidWebhookStores stores, Keys& keys, plaid::WebhookVerifier& verifier,
                    Clock& clock, Random& random, FaultHook* faults = nullptr);

  Result<WebhookReceipt> Receive(const std::string& project_id,
                                 std::string_view verification_header,
                                 std::string_view raw_body) override;
  std::map<std::string, uint64_t> Refusals() const override;

  // Applies every webhook kept and not applied yet; returns how many it applied. Errors of one
  // webhook are logged and leave it for the next round.
  Result<size_t> ApplyPending();
  // The worker: applies pending webhooks whenever Receive keeps one (and at start, for those a
  // previous process left), until Stop(). Call from a thread of its own.
  void Run();
  void Stop();
  // Called after a round applied webhooks (their events are in the outbox). Set before Run().
  void SetOnApplied(std::function<void()> on_applied) { on_applied_ = std::move(on_applied); }

 private:
  Status Apply(const domain::PlaidWebhook& webhook);
  void Refuse(const std::string& reason);

  PlaidWebhookStores stores_;
  Keys& keys_;
  plaid::WebhookVerifier& verifier_;
  Clock& clock_;
  Random& random_;
  FaultHook* faults_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool pending_ = true;    // guarded by mu_; start with a look at what a previous process left
  bool stopping_ = false;  // guarded by mu_
  std::map<std::string, uint64_t> refused_;  // guarded by mu_
  std::mutex apply_mu_;                      // one ApplyPending at a time
  std::function<void()> on_applied_;
};

}  // namespace linkhub::hub
