#pragma once

// The pipeline's plan step: everything about an action that can be decided before Plaid is
// called, from the catalogue, the input and the account as read. Pure functions (no I/O), so
// an I/O thread can plan from a cached account and a handler thread from a fresh one, with the
// same answers and the same errors.

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "hub/account_cache.h"
#include "hub/actions.h"
#include "hub/link_settings.h"
#include "plaid/catalogue.h"

namespace linkhub::hub {

// What a /transactions/sync run needs (see ActionPipeline::Sync).
struct SyncPlan {
  std::string consumer;  // the stored cursor's key: the consumer, bound to the account filter
  std::optional<std::string> only_account;
  bool own_cursor = false;  // the caller passed `cursor`: nothing is read or stored
  std::string cursor;       // where to start (own_cursor or reset: as given)
  bool reset = false;
  int64_t count = 100;
};

struct ActionPlan {
  const plaid::Action* action = nullptr;
  std::shared_ptr<const OpenedAccount> target;
  // Plaid's endpoint and body (with the access token) for an action that is one call; a sync
  // builds its bodies page by page from `sync`.
  std::string endpoint;
  std::string body_json;
  bool uses_item = true;  // the call names the Item: it spends its budget and speaks for its health
  int64_t offset = 0;     // Paging::kOffset: where this page starts
  SyncPlan sync;
  std::string_view via;    // the door (see ActionRequest::via), for the call log
  std::string request_id;  // the HTTP request's, for the call log

  // One Plaid call answers it (every action but a sync).
  bool OneCall() const { return action->paging != plaid::Paging::kSync; }
};

// The catalogue action `action_id` names, with `input` checked against its schema. kNotFound for
// an unknown action, kPermissionDenied naming it when `limits` (null: none) do not allow it,
// kInvalidArgument naming what the input gets wrong.
Result<const plaid::Action*> ResolveAction(std::string_view action_id,
                                           const boost::json::object& input,
                                           const domain::KeyLimits* limits);

// kFailedPrecondition when `account` cannot run actions (inactive, or suspended by its
// operator); OK otherwise.
Status CheckRunnable(const domain::LinkedAccount& account);

// The plan of `action` (ResolveAction's) with `input` on `target`: refuses an account that
// cannot run it (CheckRunnable, or not linked with the action's product), reads the paging
// input (`next`, sync's consumer) and builds Plaid's body. kInvalidArgument for input that the
// schema allows but the account or paging does not.
Result<ActionPlan> PlanAction(const plaid::Action& action, const boost::json::object& input,
                              std::shared_ptr<const OpenedAccount> target,
                              const LinkSettings& settings);

// Plaid's body for an action: the access token, then the input's fields, those Plaid expects
// under `options` moved there; fields the hub consumes itself (next, consumer, reset) dropped.
boost::json::object PlaidBody(const plaid::Action& action, const boost::json::object& input,
                              const std::string& access_token);

// The error for an account that was not linked with what `action` needs.
Error NotLinkedWith(const domain::LinkedAccount& account, const plaid::Action& action);

}  // namespace linkhub::hub
