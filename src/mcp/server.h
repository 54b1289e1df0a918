#pragma once

// The MCP server's JSON-RPC side (modelcontextprotocol.io, 2025-03-26 to 2025-11-25): the
// lifecycle (initialize, ping), tools/list and tools/call over the hub's one action pipeline.
// The HTTP door (src/api/mcp_routes.cc) authenticates, checks Origin and Accept, and turns a
// Reply into a response; everything about sessions and messages is decided here.

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/error.h"
#include "hub/accounts.h"
#include "hub/actions.h"
#include "hub/projects.h"
#include "mcp/sessions.h"

namespace linkhub::mcp {

// The protocol versions served, newest first (what initialize answers a version it does not
// know with).
inline constexpr std::array<std::string_view, 3> kProtocolVersions = {"2025-11-25", "2025-06-18",
                                                                      "2025-03-26"};
bool IsSupportedVersion(std::string_view version);

// JSON-RPC 2.0 error codes, and the transport's for a missing or unknown session.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kBadRequest = -32000;
inline constexpr int kSessionNotFound = -32001;

// The two tools of search_execute mode.
inline constexpr std::string_view kSearchTool = "search_actions";
inline constexpr std::string_view kExecuteTool = "execute_action";

struct ServerOptions {
  std::string version;           // serverInfo.version
  bool redact_identity = false;  // --mcp-redact identity (see redact.h)
  // StackOne's error body for an error (the RPC API's, as JSON text), given to agents as a failed
  // tool's structuredContent.
  std::function<std::string(const Error&)> error_body;
};

// One POST to /mcp, as the HTTP door read it.
struct Exchange {
  hub::CallerPtr caller;                        // authenticated; never null
  std::string account_id;                       // x-account-id ("" when absent)
  std::optional<std::string> session_id;        // Mcp-Session-Id
  std::optional<std::string> protocol_version;  // MCP-Protocol-Version
  bool search_execute = false;                  // ?tool-mode=search_execute
  std::string body;
  std::string request_id = {};  // the HTTP request's, for the call log
};

// What one POST comes to.
struct Reply {
  int http_status = 200;  // 200 with a body; 202 without (notifications only); 400, 404
  std::string body;       // a JSON-RPC response, an array of them (a batch), or empty
  std::optional<std::string> session_id;  // initialize's new session, for Mcp-Session-Id
};

// Thread-safe.
class Server {
 public:
  Server(hub::Actions& actions, hub::Accounts& accounts, SessionTable& sessions,
         ServerOptions options);

  // Handles a POST on the calling thread, which may block (a handler-pool thread). Errors are
  // the account's lookup at initialize (kNotFound: no such account in the caller's project) and
  // a full session table; everything else is a Reply.
  Result<Reply> Handle(const Exchange& exchange);
  // Starts a POST that needs neither the database nor a blocking call up front (a lone
  // tools/call on a live session; any reply decided from memory) without blocking, and returns
  // true; `done` then runs exactly once, on any thread. False: call Handle() instead.
  bool TryStart(const Exchange& exchange, std::function<void(Reply)> done);
  // DELETE /mcp: ends the session. 404 when it is not one of the caller's.
  Reply End(const std::string& session_id, const hub::Caller& caller);

 private:
  struct Message;
  struct Context;
  // The session a non-initialize POST names, checked against its headers; a Reply (400/404)
  // when it does not check out.
  std::variant<Session, Reply> SessionOf(const Exchange& exchange);
  // One request's response (nullopt for a notification), blocking.
  std::optional<std::string> Answer(const Context& ctx, const Message& message);
  // tools/list's result for the session's account.
  Result<std::string> ListTools(const Context& ctx);
  // The ActionRequest a tools/call names (or execute_action in search_execute mode), or the
  // JSON-RPC error to answer instead.
  std::variant<hub::ActionRequest, std::string> ToolRequest(const Context& ctx,
                                                            const Message& message);
  std::string SearchResult(const Context& ctx, const Message& message);
  // A tool call's outcome as a CallToolResult response.
  std::string ToolResponse(const std::string& id_json, std::string_view action_id,
                           Result<hub::ActionOutcome> outcome);
  Result<Reply> Initialize(const Exchange& exchange, const Message& message);
  // A failed tool's response: the message as text, the RPC API's error body as
  // structuredContent.
  std::string FailedTool(std::string_view id_json, const Error& error) const;

  hub::Actions& actions_;
  hub::Accounts& accounts_;
  SessionTable& sessions_;
  const ServerOptions options_;
};

}  // namespace linkhub::mcp
