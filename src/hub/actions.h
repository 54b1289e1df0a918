#pragma once

// The one action pipeline, as its doors (the RPC API, the dashboard's tester, MCP tools) see it:
//
//   parse (the door)  ->  plan  ->  execute (a transport)  ->  one envelope
//
// A door parses its request into an ActionRequest; the pipeline plans it (catalogue, input
// schema, the account's status and products, Plaid's endpoint and body, the per-Item budget),
// sends it on the transport the plan allows, and answers an ActionOutcome that WriteEnvelope
// turns into StackOne's {"data", "next"}.

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/project.h"
#include "plaid/catalogue.h"

namespace linkhub::hub {

// The doors, as the call log names them (PlaidCallRecord::via).
namespace door {
inline constexpr std::string_view kRpc = "rpc";
inline constexpr std::string_view kMcp = "mcp";
inline constexpr std::string_view kProxy = "proxy";
inline constexpr std::string_view kDashboard = "dashboard";
}  // namespace door

// One action on one account, as a door parsed it.
struct ActionRequest {
  std::string project_id;  // the caller's, already authenticated
  std::string account_id;
  std::string action_id;
  boost::json::object input;  // the action's input, as its input schema describes it
  // What the caller's API key may run; null for the operator's dashboard (no key limits).
  std::shared_ptr<const domain::KeyLimits> limits = nullptr;
  std::string_view via = door::kRpc;  // one of door::*
  std::string request_id = {};        // the HTTP request's (X-Request-Id), for the call log
};

// What an action answered. `data` is JSON text: Plaid's own bytes for an action that is one
// Plaid call (whichever transport sent it), linkhub's for one it assembles (a sync). `next` is
// the cursor of the next page, if any.
struct ActionOutcome {
  std::string data;
  std::optional<std::string> next;
};
using ActionDone = std::function<void(Result<ActionOutcome>)>;

// {"data":<data>,"next":<"cursor" or null>}: the one envelope every door answers with. Writes
// into outcome.data's own buffer, so a large answer is not copied.
std::string WriteEnvelope(ActionOutcome&& outcome);

// kPermissionDenied, naming the action and why, unless `limits` allow `action`.
Status CheckKeyAllows(const domain::KeyLimits& limits, const plaid::Action& action);

// Errors of Run() and Start(): kNotFound (no such action or account), kPermissionDenied (the
// caller's key may not run the action), kInvalidArgument (input against the action's schema),
// kFailedPrecondition (the account is inactive, suspended or not linked with the product the action
// needs), kResourceExhausted with {"retry_after_seconds"} (the Item's budget is spent), and Plaid's
// errors. Thread-safe.
class Actions {
 public:
  virtual ~Actions() = default;

  // Runs the whole pipeline on the calling thread, which may block (a handler-pool thread).
  virtual Result<ActionOutcome> Run(ActionRequest request) = 0;
  // The same pipeline without blocking the calling I/O thread: what it can decide from memory it
  // decides in place, a read-only single call is sent asynchronously, and whatever needs the
  // database or a blocking call goes on on the handler pool. The outcome is exactly Run()'s.
  // `done` runs exactly once, on any thread (perhaps before Start returns).
  virtual void Start(ActionRequest request, ActionDone done) = 0;

  // The unified proxy: calls an allow-listed Plaid endpoint (one the catalogue's actions use)
  // with `body` plus the account's access token, and returns Plaid's answer as Plaid sent it.
  // kInvalidArgument for another endpoint or a body that carries credentials, kPermissionDenied
  // when `limits` (the caller's key) allow no action that uses the endpoint.
  virtual Result<std::string> Proxy(const std::string& project_id, const std::string& account_id,
                                    std::string_view endpoint, boost::json::object body,
                                    const domain::KeyLimits& limits,
                                    std::string_view request_id) = 0;
};

}  // namespace linkhub::hub
