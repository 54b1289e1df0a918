#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "hub/hub.h"
#include "hub/keys.h"
#include "plaid/catalogue.h"
#include "plaid/plaid_client.h"
#include "plaid/rate_budget.h"
#include "store/hub_store.h"

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
  Result<ActionResult> Sync(Target& target, const boost::json::object& input);
  Result<ActionResult> Paged(Target& target, const plaid::Action& action,
                             boost::json::object input);

  store::HubStore& store_;
  Keys& keys_;
  plaid::PlaidClient& plaid_;
  plaid::RateBudget* budget_;
  Clock& clock_;
  const LinkSettings& settings_;

  // One sync per (account, consumer) at a time, so two concurrent syncs never read the same
  // update twice or skip one: the second starts from the cursor the first stored.
  std::mutex sync_mu_;
  std::map<std::string, std::shared_ptr<std::mutex>, std::less<>> sync_locks_;
};

}  // namespace linkhub::hub
