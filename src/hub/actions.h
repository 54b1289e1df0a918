#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "hub/call_log.h"
#include "hub/hub.h"
#include "hub/keys.h"
#include "plaid/catalogue.h"
#include "plaid/plaid_client.h"
#include "plaid/rate_budget.h"
#include "store/hub_store.h"

namespace linkhub::plaid {
class AsyncPlaidClient;
class RetryingPlaidClient;
}  // namespace linkhub::plaid

namespace linkhub::hub {

struct ActionResult {
  boost::json::value data;
  std::optional<std::string> next;  // more pages: pass it back as input `next`
};

// Runs catalogue actions (plaid/catalogue.h) on linked accounts: validates the input against the
// action's schema, enforces the products the account was linked with and Plaid's per-Item
// limits, injects the account's access token, keeps transaction-sync cursors, and turns Plaid's
// Item errors into the account's status (ITEM_LOGIN_REQUIRED -> error, INVALID_ACCESS_TOKEN ->
// inactive). Retries belong to the PlaidClient it is given (see RetryingPlaidClient).
// Blocking; thread-safe.
class ActionRunner {
 public:
  ActionRunner(store::HubStore& store, Keys& keys, plaid::PlaidClient& plaid,
               plaid::RateBudget* budget, Clock& clock, const LinkSettings& settings);

  Result<ActionResult> Run(const std::string& project_id, const std::string& account_id,
                           std::string_view action_id, const boost::json::object& input);

  // Records every Plaid call made for an account (retries included). Set before serving.
  void SetCallLog(CallLog* log) { call_log_ = log; }

  // Run()'s hot path for an I/O thread. When everything the action needs is in memory — the
  // account was read within kAccountCacheTtl and nothing was written since, it is active and
  // linked with the action's product, the action is a single Plaid call — it starts the call on
  // `async`, returns true, and later calls `done` with Plaid's JSON object as bytes (or the
  // error Run() would give). Otherwise it returns false without calling `done`, and the caller
  // uses Run(). A failed first attempt continues on `offload` (retries sleep; a status change
  // writes), through `retrying`, exactly as Run() would go on.
  using FastDone = std::function<void(Result<std::string>)>;
  using Offload = std::function<void(std::function<void()>)>;
  void EnableFastPath(plaid::AsyncPlaidClient& async, plaid::RetryingPlaidClient& retrying,
                      Offload offload);
  bool TryRunFast(const std::string& project_id, const std::string& account_id,
                  std::string_view action_id, const boost::json::object& input, FastDone done);
  // How long an account read by Run() may serve TryRunFast (accounts changed by another
  // process — the CLI, another instance — are seen after at most this long).
  static constexpr std::chrono::milliseconds kAccountCacheTtl{1000};

  // The unified proxy: calls an allow-listed Plaid endpoint with `body` plus the account's
  // access token, and returns Plaid's answer.
  Result<boost::json::object> Proxy(const std::string& project_id, const std::string& account_id,
                                    std::string_view endpoint, boost::json::object body);

  // Endpoints the proxy may reach.
  static bool IsProxyEndpoint(std::string_view endpoint);
  // Whether the account was linked with what `action` needs.
  static bool Supports(const store::LinkedAccount& account, const plaid::Action& action);

 private:
  struct Target {
    store::LinkedAccount account;
    std::string access_token;
  };
  Result<Target> Load(const std::string& project_id, const std::string& account_id);
  // One Plaid call for an account: budget, call, then the account's status follows the answer.
  // `uses_item`: the call names the Item (its outcome says something about the Item's health).
  Result<boost::json::object> CallFor(store::LinkedAccount& account, std::string_view endpoint,
                                      const boost::json::object& body, bool uses_item = true);
  void NoteOutcome(store::LinkedAccount& account, const Result<boost::json::object>& result);
  plaid::AttemptObserver ObserverFor(const store::LinkedAccount& account,
                                     std::string_view endpoint);
  // Takes a unit of the account's Item budget for each retry (null without a budget).
  plaid::RetryGate BudgetGate(const store::LinkedAccount& account, std::string_view endpoint);
  // An account as Load() read it, with its access token already opened when the account can
  // run actions (empty otherwise): the fast path's copy. The token is wiped when the last
  // request using this copy ends.
  struct FastAccount {
    store::LinkedAccount account;
    std::string access_token;
    ~FastAccount();
  };
  // Shared, not copied: the hot path reads it on every request.
  std::shared_ptr<const FastAccount> Cached(const std::string& project_id,
                                            const std::string& account_id);
  // Adds one Plaid call to the account's call log.
  void Record(std::string_view project_id, std::string_view account_id, std::string_view endpoint,
              const plaid::Attempt& attempt);
  Result<ActionResult> Sync(Target& target, const boost::json::object& input);
  Result<ActionResult> Paged(Target& target, const plaid::Action& action,
                             boost::json::object input);

  store::HubStore& store_;
  Keys& keys_;
  plaid::PlaidClient& plaid_;
  plaid::RateBudget* budget_;
  Clock& clock_;
  const LinkSettings& settings_;
  CallLog* call_log_ = nullptr;
  plaid::AsyncPlaidClient* async_ = nullptr;
  plaid::RetryingPlaidClient* retrying_ = nullptr;
  Offload offload_;

  // Accounts as Load() last read them, for TryRunFast.
  struct CachedAccount {
    std::shared_ptr<const FastAccount> account;
    std::chrono::steady_clock::time_point read_at;
    uint64_t write_count = 0;  // the store's WriteCount() before the read
    bool refreshing = false;   // one request was left to Run() to read it again
  };
  std::mutex cache_mu_;
  std::map<std::string, CachedAccount, std::less<>> cache_;  // "project\naccount"; by cache_mu_

  // One sync per (account, consumer) at a time, so two concurrent syncs never read the same
  // update twice or skip one: the second starts from the cursor the first stored.
  std::mutex sync_mu_;
  std::map<std::string, std::shared_ptr<std::mutex>, std::less<>> sync_locks_;
};

}  // namespace linkhub::hub
