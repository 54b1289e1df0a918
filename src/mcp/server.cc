#include "mcp/server.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <vector>

#include "core/json.h"
#include "core/json_schema.h"
#include "mcp/redact.h"
#include "mcp/search.h"
#include "mcp/tools.h"
#include "plaid/catalogue.h"

namespace linkhub::mcp {

namespace {

using boost::json::object;

constexpr size_t kMaxBatch = 100;

// The first version that lets a client batch messages (later ones removed batching).
constexpr std::string_view kBatchingVersion = "2025-03-26";

std::string ErrorJson(std::string_view id_json, int code, std::string_view message) {
  std::string out = R"({"jsonrpc":"2.0","id":)" + std::string(id_json) + R"(,"error":{"code":)" +
                    std::to_string(code) + R"(,"message":)";
  AppendJsonString(out, message);
  return out + "}}";
}

std::string ResultJson(std::string_view id_json, std::string_view result) {
  return R"({"jsonrpc":"2.0","id":)" + std::string(id_json) + R"(,"result":)" +
         std::string(result) + "}";
}

Reply ErrorReply(int status, int code, std::string_view message) {
  return Reply{status, ErrorJson("null", code, message), std::nullopt};
}

// A tools/call response: a CallToolResult with `text` first, then `extra_text` if any, as text
// content, and `json` (an object) as its structured content. Written into one buffer: a tool's
// answer is Plaid's, often kilobytes, and goes out twice (text and structured).
std::string ToolMessage(std::string_view id_json, std::string_view json, std::string_view text,
                        bool is_error, std::string_view extra_text = "",
                        std::string_view meta = "") {
  std::string out;
  out.reserve(json.size() + text.size() + text.size() / 4 + extra_text.size() + meta.size() + 160);
  out += R"({"jsonrpc":"2.0","id":)";
  out += id_json;
  out += R"(,"result":{"content":[{"type":"text","text":)";
  AppendJsonString(out, text);
  out += "}";
  if (!extra_text.empty()) {
    out += R"(,{"type":"text","text":)";
    AppendJsonString(out, extra_text);
    out += "}";
  }
  out += R"(],"structuredContent":)";
  out += json;
  out += is_error ? R"(,"isError":true)" : R"(,"isError":false)";
  if (!meta.empty()) {
    out += R"(,"_meta":)";
    out += meta;
  }
  out += "}}";
  return out;
}

const boost::json::value& SearchToolSchema() {
  static const boost::json::value schema = boost::json::parse(R"json({
    "type": "object", "additionalProperties": false, "required": ["query"],
    "properties": {
      "query": {"type": "string", "minLength": 1, "maxLength": 500,
                "description": "What you want to do or read, in a few words (e.g. \"recent transactions\")."},
      "limit": {"type": "integer", "minimum": 1, "maximum": 20,
                "description": "How many actions to return (default 5)."}}})json");
  return schema;
}

const boost::json::value& ExecuteToolSchema() {
  static const boost::json::value schema = boost::json::parse(R"json({
    "type": "object", "additionalProperties": false, "required": ["action"],
    "properties": {
      "action": {"type": "string", "minLength": 1, "maxLength": 100,
                 "description": "The name of an action search_actions returned."},
      "arguments": {"type": "object",
                    "description": "The action's input, as its inputSchema describes it."}}})json");
  return schema;
}

object MetaToolJson(std::string_view name) {
  bool search = name == kSearchTool;
  return object{
      {"name", name},
      {"title", search ? "Search actions" : "Execute an action"},
      {"description",
       search ? "Find the actions (Plaid operations on the linked bank account) that match what "
                "you need, best first, each with its input schema. Run one with execute_action."
              : "Run one action that search_actions found on the linked bank account: `action` "
                "is its name and `arguments` its input, as its inputSchema describes."},
      {"inputSchema", search ? SearchToolSchema() : ExecuteToolSchema()},
      {"annotations", object{{"readOnlyHint", search},
                             {"destructiveHint", false},
                             {"idempotentHint", search},
                             {"openWorldHint", !search}}}};
}

}  // namespace

bool IsSupportedVersion(std::string_view version) {
  return std::find(kProtocolVersions.begin(), kProtocolVersions.end(), version) !=
         kProtocolVersions.end();
}

struct Server::Message {
  std::string id_json = "null";  // the request's id as JSON; "null" for a notification
  bool has_id = false;
  std::string method;
  object params;
  bool is_response = false;            // the client's answer to a request: nothing to do
  std::optional<std::string> invalid;  // why it is not a JSON-RPC message

  static Message Read(const boost::json::value& v) {
    Message m;
    if (!v.is_object()) {
      m.invalid = "a JSON-RPC message must be an object";
      return m;
    }
    const object& o = v.get_object();
    if (const auto* id = o.if_contains("id")) {
      if (id->is_string() || id->is_int64() || id->is_uint64()) {
        m.id_json = ToJson(*id);
        m.has_id = true;
      } else if (!id->is_null()) {
        m.invalid = "id must be a string or an integer";
        return m;
      }
    }
    if (GetString(o, "jsonrpc") != "2.0") {
      m.invalid = "jsonrpc must be \"2.0\"";
      return m;
    }
    if (auto method = GetString(o, "method")) {
      m.method = std::string(method->substr(0, 100));
    } else if (o.contains("result") || o.contains("error")) {
      m.is_response = true;
      return m;
    } else {
      m.invalid = "a request needs a method";
      return m;
    }
    if (const auto* params = o.if_contains("params")) {
      if (!params->is_object()) {
        m.invalid = "params must be an object";
        return m;
      }
      m.params = params->get_object();
    }
    return m;
  }
};

struct Server::Context {
  Session session;
  hub::CallerPtr caller;
  std::string_view request_id;  // the exchange's
};

Server::Server(hub::Actions& actions, hub::Accounts& accounts, SessionTable& sessions,
               ServerOptions options)
    : actions_(actions), accounts_(accounts), sessions_(sessions), options_(std::move(options)) {}

Result<Reply> Server::Handle(const Exchange& exchange) {
  auto parsed = ParseJson(exchange.body);
  if (!parsed) {
    return ErrorReply(400, kParseError, "Parse error: the body is not JSON");
  }
  std::vector<Message> messages;
  bool batch = parsed->is_array();
  if (batch) {
    const auto& array = parsed->get_array();
    if (array.empty() || array.size() > kMaxBatch) {
      return ErrorReply(400, kInvalidRequest, "a batch holds 1 to 100 messages");
    }
    for (const auto& v : array) {
      messages.push_back(Message::Read(v));
    }
  } else {
    messages.push_back(Message::Read(*parsed));
  }
  bool initialize = std::any_of(messages.begin(), messages.end(),
                                [](const Message& m) { return m.method == "initialize"; });
  if (initialize) {
    if (batch) {
      return ErrorReply(400, kInvalidRequest, "initialize must be sent on its own");
    }
    return Initialize(exchange, messages.front());
  }
  auto session = SessionOf(exchange);
  if (auto* refused = std::get_if<Reply>(&session)) {
    return std::move(*refused);
  }
  Context ctx{std::move(std::get<Session>(session)), exchange.caller, exchange.request_id};
  if (batch && ctx.session.protocol_version != kBatchingVersion) {
    return ErrorReply(400, kInvalidRequest,
                      "protocol version " + ctx.session.protocol_version +
                          " sends one message per request, never a batch");
  }
  std::vector<std::string> responses;
  for (const auto& m : messages) {
    if (auto response = Answer(ctx, m)) {
      responses.push_back(std::move(*response));
    }
  }
  if (responses.empty()) {
    return Reply{202, "", std::nullopt};
  }
  if (!batch) {
    return Reply{200, std::move(responses.front()), std::nullopt};
  }
  std::string body = "[";
  for (size_t i = 0; i < responses.size(); ++i) {
    body += (i == 0 ? "" : ",") + responses[i];
  }
  return Reply{200, body + "]", std::nullopt};
}

Result<Reply> Server::Initialize(const Exchange& exchange, const Message& m) {
  if (!m.has_id) {
    return ErrorReply(400, kInvalidRequest, "initialize is a request: it needs an id");
  }
  auto requested = GetString(m.params, "protocolVersion");
  if (!requested) {
    return Reply{400, ErrorJson(m.id_json, kInvalidParams, "params.protocolVersion is required"),
                 std::nullopt};
  }
  // The account must be the caller's project's: another project's is not found, as everywhere.
  LINKHUB_RETURN_IF_ERROR(accounts_.Get(exchange.caller->project_id, exchange.account_id));
  std::string version(IsSupportedVersion(*requested) ? *requested : kProtocolVersions.front());
  LINKHUB_ASSIGN_OR_RETURN(
      std::string id,
      sessions_.Open(Session{exchange.caller->project_id, exchange.caller->key_id,
                             exchange.account_id, version, exchange.search_execute}));
  object result{
      {"protocolVersion", version},
      {"capabilities", object{{"tools", object{{"listChanged", false}}}}},
      {"serverInfo",
       object{{"name", "linkhub"}, {"title", "linkhub"}, {"version", options_.version}}},
      {"instructions",
       "Tools run Plaid actions on one linked bank account (" + exchange.account_id +
           "): accounts, balances, transactions, identity, investments and liabilities. Each "
           "call reaches the bank through Plaid, so prefer the cheapest action that answers the "
           "question; read-only actions are marked readOnlyHint."}};
  return Reply{200, ResultJson(m.id_json, ToJson(result)), std::move(id)};
}

std::variant<Session, Reply> Server::SessionOf(const Exchange& exchange) {
  if (!exchange.session_id || exchange.session_id->empty()) {
    return ErrorReply(400, kBadRequest,
                      "Bad Request: the Mcp-Session-Id header is required (send initialize "
                      "first)");
  }
  auto session = sessions_.Find(*exchange.session_id, exchange.caller->key_id);
  if (!session) {
    return ErrorReply(404, kSessionNotFound,
                      "Session not found: it ended, expired or was opened with another API "
                      "key; initialize a new one");
  }
  if (exchange.protocol_version && *exchange.protocol_version != session->protocol_version) {
    return ErrorReply(400, kBadRequest,
                      "Bad Request: MCP-Protocol-Version must be the version initialize agreed (" +
                          session->protocol_version + ")");
  }
  if (!exchange.account_id.empty() && exchange.account_id != session->account_id) {
    return ErrorReply(400, kBadRequest,
                      "Bad Request: x-account-id is not the account this session was opened "
                      "for; initialize a session for the other account");
  }
  return std::move(*session);
}

std::optional<std::string> Server::Answer(const Context& ctx, const Message& m) {
  if (m.invalid) {
    return ErrorJson(m.id_json, kInvalidRequest, "Invalid Request: " + *m.invalid);
  }
  if (m.is_response || !m.has_id) {
    return std::nullopt;  // notifications (initialized, cancelled) and answers need no reply
  }
  if (m.method == "ping") {
    return ResultJson(m.id_json, "{}");
  }
  if (m.method == "tools/list") {
    auto tools = ListTools(ctx);
    return tools ? ResultJson(m.id_json, *tools)
                 : ErrorJson(m.id_json, kInternalError, tools.error().message);
  }
  if (m.method == "tools/call") {
    if (ctx.session.search_execute && GetString(m.params, "name") == kSearchTool) {
      return SearchResult(ctx, m);
    }
    auto request = ToolRequest(ctx, m);
    if (auto* refused = std::get_if<std::string>(&request)) {
      return std::move(*refused);
    }
    auto& call = std::get<hub::ActionRequest>(request);
    std::string action_id = call.action_id;
    return ToolResponse(m.id_json, action_id, actions_.Run(std::move(call)));
  }
  return ErrorJson(m.id_json, kMethodNotFound, "Method not found: " + m.method);
}

Result<std::string> Server::ListTools(const Context& ctx) {
  boost::json::array tools;
  if (ctx.session.search_execute) {
    tools.push_back(MetaToolJson(kSearchTool));
    tools.push_back(MetaToolJson(kExecuteTool));
  } else {
    LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                             accounts_.Get(ctx.caller->project_id, ctx.session.account_id));
    for (const plaid::Action* action : ToolsFor(account.products, ctx.caller->limits)) {
      tools.push_back(ToolJson(*action));
    }
  }
  return ToJson(object{{"tools", std::move(tools)}});
}

std::variant<hub::ActionRequest, std::string> Server::ToolRequest(const Context& ctx,
                                                                  const Message& m) {
  auto name = GetString(m.params, "name");
  if (!name) {
    return ErrorJson(m.id_json, kInvalidParams, "tools/call needs params.name, a tool's name");
  }
  const auto* arguments = m.params.if_contains("arguments");
  if (arguments != nullptr && !arguments->is_object() && !arguments->is_null()) {
    return ErrorJson(m.id_json, kInvalidParams, "params.arguments must be an object");
  }
  object input =
      arguments != nullptr && arguments->is_object() ? arguments->get_object() : object{};
  hub::ActionRequest request;
  request.project_id = ctx.caller->project_id;
  request.account_id = ctx.session.account_id;
  request.limits = hub::LimitsOf(ctx.caller);
  request.via = hub::door::kMcp;
  request.request_id = std::string(ctx.request_id);
  if (ctx.session.search_execute) {
    if (*name != kExecuteTool) {
      return ErrorJson(m.id_json, kInvalidParams,
                       "Unknown tool: " + std::string(name->substr(0, 100)) +
                           " (this session's "
                           "tools are search_actions and execute_action)");
    }
    if (auto valid = ValidateJson(ExecuteToolSchema(), input); !valid) {
      return FailedTool(m.id_json, valid.error());
    }
    request.action_id = std::string(*GetString(input, "action"));
    const object* inner = GetObject(input, "arguments");
    request.input = inner != nullptr ? *inner : object{};
    return request;
  }
  if (plaid::FindAction(*name) == nullptr) {
    return ErrorJson(m.id_json, kInvalidParams,
                     "Unknown tool: " + std::string(name->substr(0, 100)));
  }
  request.action_id = std::string(*name);
  request.input = std::move(input);
  return request;
}

std::string Server::SearchResult(const Context& ctx, const Message& m) {
  const auto* arguments = m.params.if_contains("arguments");
  object input =
      arguments != nullptr && arguments->is_object() ? arguments->get_object() : object{};
  auto failed = [&](const Error& e) { return FailedTool(m.id_json, e); };
  if (auto valid = ValidateJson(SearchToolSchema(), input); !valid) {
    return failed(valid.error());
  }
  auto account = accounts_.Get(ctx.caller->project_id, ctx.session.account_id);
  if (!account) {
    return failed(account.error());
  }
  auto eligible = ToolsFor(account->products, ctx.caller->limits);
  auto hits = SearchActions(
      *GetString(input, "query"), static_cast<size_t>(GetInt(input, "limit").value_or(5)),
      [&](const plaid::Action& a) {
        return std::find(eligible.begin(), eligible.end(), &a) != eligible.end();
      });
  boost::json::array actions;
  for (const auto& hit : hits) {
    object tool = ToolJson(*hit.action);
    tool["score"] = std::round(hit.score * 1000) / 1000;
    actions.push_back(std::move(tool));
  }
  std::string found = ToJson(object{{"actions", std::move(actions)}});
  return ToolMessage(m.id_json, found, found, false);
}

std::string Server::ToolResponse(const std::string& id_json, std::string_view action_id,
                                 Result<hub::ActionOutcome> outcome) {
  if (outcome && options_.redact_identity && action_id == "plaid_get_identity") {
    auto redacted = RedactIdentity(outcome->data);
    if (redacted) {
      outcome->data = std::move(*redacted);
    } else {
      outcome = Unexpected(std::move(redacted).error());
    }
  }
  if (!outcome) {
    return FailedTool(id_json, outcome.error());
  }
  if (!outcome->next) {
    return ToolMessage(id_json, outcome->data, outcome->data, false);
  }
  std::string next;
  AppendJsonString(next, *outcome->next);
  return ToolMessage(id_json, outcome->data, outcome->data, false,
                     "More results: call " + std::string(action_id) +
                         " again with \"next\": " + next + " for the following page.",
                     R"({"linkhub/next":)" + next + "}");
}

std::string Server::FailedTool(std::string_view id_json, const Error& error) const {
  // The message is what an agent reads; the body, what a program checks.
  return ToolMessage(id_json, options_.error_body ? options_.error_body(error) : "{}",
                     error.message, true);
}

bool Server::TryStart(const Exchange& exchange, std::function<void(Reply)> done) {
  auto parsed = ParseJson(exchange.body);
  if (!parsed || !parsed->is_object()) {
    return false;
  }
  Message m = Message::Read(*parsed);
  if (m.invalid || !m.has_id || m.method != "tools/call") {
    return false;
  }
  auto session = SessionOf(exchange);
  if (auto* refused = std::get_if<Reply>(&session)) {
    done(std::move(*refused));
    return true;
  }
  Context ctx{std::move(std::get<Session>(session)), exchange.caller, exchange.request_id};
  if (ctx.session.search_execute && GetString(m.params, "name") == kSearchTool) {
    return false;  // reads the account's products from the database
  }
  auto request = ToolRequest(ctx, m);
  if (auto* refused = std::get_if<std::string>(&request)) {
    done(Reply{200, std::move(*refused), std::nullopt});
    return true;
  }
  auto& call = std::get<hub::ActionRequest>(request);
  std::string action_id = call.action_id;
  actions_.Start(
      std::move(call), [this, id_json = std::move(m.id_json), action_id = std::move(action_id),
                        done = std::move(done)](Result<hub::ActionOutcome> outcome) {
        done(Reply{200, ToolResponse(id_json, action_id, std::move(outcome)), std::nullopt});
      });
  return true;
}

Reply Server::End(const std::string& session_id, const hub::Caller& caller) {
  if (!sessions_.Close(session_id, caller.key_id)) {
    return ErrorReply(404, kSessionNotFound, "Session not found: it ended or expired already");
  }
  return Reply{200, "", std::nullopt};
}

}  // namespace linkhub::mcp
