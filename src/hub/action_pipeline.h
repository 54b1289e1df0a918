#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "hub/account_cache.h"
#include "hub/account_status.h"
#include "hub/action_plan.h"
#include "hub/actions.h"
#include "hub/call_log.h"
#include "hub/keys.h"
#include "hub/link_settings.h"
#include "plaid/plaid_client.h"
#include "plaid/rate_budget.h"
#include "store/account_store.h"
#include "store/sync_cursor_store.h"

namespace linkhub::plaid {
class AsyncPlaidClient;
class RetryingPlaidClient;
}  // namespace linkhub::plaid

namespace linkhub::hub {

// The one action pipeline (see actions.h): plan (action_plan.h), then one of two transports,
// then one outcome.
//   - The blocking transport is `plaid` (a RetryingPlaidClient over libcurl in the server): it
//     runs every action, on the calling thread.
//   - The asynchronous one (EnableAsync) sends a read-only action that is one Plaid call, on an
//     active account planned from the AccountCache, from the I/O thread that started it; a
//     failed first attempt goes on through `retrying` on the handler pool, exactly as the
//     blocking transport would have.
// Both pass Plaid's answer on as bytes, so the same action gives the same bytes either way. Every
// Plaid call spends the Item's budget, is recorded in the call log, and has its outcome applied
// to the account's status (account_status.h). Thread-safe.
class ActionPipeline final : public Actions {
 public:
  // Runs blocking work off an I/O thread (the server's handler pool). Empty: runs it in place.
  using Offload = std::function<void(std::function<void()>)>;

  ActionPipeline(store::AccountStore& accounts, store::SyncCursorStore& cursors, Keys& keys,
                 plaid::PlaidClient& plaid, plaid::RateBudget* budget, CallLog* call_log,
                 Clock& clock, const LinkSettings& settings, Offload offload);

  // Lets Start() send read-only single calls on `async`. Call before serving.
  void EnableAsync(plaid::AsyncPlaidClient& async, plaid::RetryingPlaidClient& retrying);

  Result<ActionOutcome> Run(ActionRequest request) override;
  void Start(ActionRequest request, ActionDone done) override;
  Result<std::string> Proxy(const std::string& project_id, const std::string& account_id,
                            std::string_view endpoint, boost::json::object body,
                            const domain::KeyLimits& limits, std::string_view request_id) override;

  // Endpoints the proxy may reach: those of the catalogue's actions that name an Item.
  static bool IsProxyEndpoint(std::string_view endpoint);

 private:
  // The plan's Plaid call(s) on the blocking transport.
  Result<ActionOutcome> Execute(ActionPlan& plan);
  // Sends the plan's asynchronously. REQUIRES: the plan is a read-only single call on an active
  // account, and async_ is set.
  void SendAsync(ActionPlan plan, ActionDone done);
  // What a single call's answer comes to: the account's status follows it, a page gets `next`.
  Result<ActionOutcome> Finish(const ActionPlan& plan, plaid::RawAnswer answer);
  Result<ActionOutcome> Sync(ActionPlan& plan);
  // Where a call came from, as the call log records it.
  struct Origin {
    std::string_view via;
    std::string_view request_id;
  };
  // One Plaid call for `account` on the blocking transport: budget, call (retries), log.
  plaid::RawAnswer CallFor(const domain::LinkedAccount& account, std::string_view endpoint,
                           std::string body_json, bool uses_item, Origin origin);
  // Spends one unit of the Item's budget for `endpoint` (kResourceExhausted when spent).
  Status Admit(const domain::LinkedAccount& account, std::string_view endpoint, bool uses_item);
  // Applies what a call's outcome (`error`, null for a success) says about the Item to the
  // stored account (account_status.h), and returns the change made. Writes only on a change.
  std::optional<StatusChange> NoteOutcome(const domain::LinkedAccount& account, const Error* error);
  // Records each attempt in the call log. The observer refers to `account`: it must be used
  // only while the account lives (each Plaid call uses it before returning).
  plaid::AttemptObserver ObserverFor(const domain::LinkedAccount& account,
                                     std::string_view endpoint, Origin origin);
  plaid::RetryGate BudgetGate(const domain::LinkedAccount& account, std::string_view endpoint);
  void Record(const domain::LinkedAccount& account, std::string_view endpoint,
              const plaid::Attempt& attempt, Origin origin);
  void OffloadOrRun(std::function<void()> work);

  store::SyncCursorStore& cursors_;
  plaid::PlaidClient& plaid_;
  plaid::RateBudget* budget_;
  CallLog* call_log_;
  Clock& clock_;
  const LinkSettings& settings_;
  Offload offload_;
  AccountCache cache_;
  store::AccountStore& accounts_;
  plaid::AsyncPlaidClient* async_ = nullptr;
  plaid::RetryingPlaidClient* retrying_ = nullptr;

  // One sync per (account, consumer) at a time, so two concurrent syncs never read the same
  // update twice or skip one: the second starts from the cursor the first stored.
  std::mutex sync_mu_;
  std::map<std::string, std::shared_ptr<std::mutex>, std::less<>> sync_locks_;
};

}  // namespace linkhub::hub
