#include "mcp/server.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <vector>

namespace linkhub::mcp {
namespace {

using boost::json::object;
using boost::json::parse;

// The pipeline as the server sees it: answers what the test sets, remembers what it was asked.
class FakeActions final : public hub::Actions {
 public:
  Result<hub::ActionOutcome> Run(hub::ActionRequest request) override {
    requests.push_back(request);
    return answer;
  }
  void Start(hub::ActionRequest request, hub::ActionDone done) override {
    ++started;
    done(Run(std::move(request)));
  }
  Result<std::string> Proxy(const std::string&, const std::string&, std::string_view,
                            boost::json::object, const domain::KeyLimits&,
                            std::string_view) override {
    return Unexpected(MakeError(ErrorCode::kInternal, "not used"));
  }

  Result<hub::ActionOutcome> answer = hub::ActionOutcome{R"({"accounts":[],"item":{}})", {}};
  std::vector<hub::ActionRequest> requests;
  int started = 0;
};

// proj_a's acc_1, linked with transactions; nothing else exists.
class FakeAccounts final : public hub::Accounts {
 public:
  Result<std::vector<domain::LinkedAccount>> List(const domain::AccountFilter&) override {
    return Unsupported<std::vector<domain::LinkedAccount>>();
  }
  Result<domain::LinkedAccount> Get(const std::string& project_id,
                                    const std::string& account_id) override {
    if (project_id != "proj_a" || account_id != "acc_1") {
      return Unexpected(MakeError(ErrorCode::kNotFound, "account " + account_id + " not found"));
    }
    domain::LinkedAccount a;
    a.id = account_id;
    a.project_id = project_id;
    a.products = {"transactions"};
    return a;
  }
  Result<domain::LinkedAccount> Patch(const std::string&, const std::string&,
                                      const hub::AccountPatch&) override {
    return Unsupported<domain::LinkedAccount>();
  }
  Result<domain::LinkedAccount> Delete(const std::string&, const std::string&) override {
    return Unsupported<domain::LinkedAccount>();
  }
  Result<domain::LinkedAccount> Suspend(const std::string&, const std::string&) override {
    return Unsupported<domain::LinkedAccount>();
  }
  Result<domain::LinkedAccount> Resume(const std::string&, const std::string&) override {
    return Unsupported<domain::LinkedAccount>();
  }
  Result<std::string> ItemId(const domain::LinkedAccount&) override {
    return Unsupported<std::string>();
  }
  Result<std::vector<domain::PlaidCallRecord>> PlaidCalls(const std::string&, const std::string&,
                                                          int) override {
    return Unsupported<std::vector<domain::PlaidCallRecord>>();
  }

 private:
  template <typename T>
  static Result<T> Unsupported() {
    return Unexpected(MakeError(ErrorCode::kInternal, "not used"));
  }
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : sessions_(clock_, random_), server_(actions_, accounts_, sessions_, Options()) {
    caller_.project_id = "proj_a";
    caller_.key_id = "key_1";
  }

  static ServerOptions Options() {
    ServerOptions o;
    o.version = "1.2.3";
    o.redact_identity = true;
    o.error_body = [](const Error& e) {
      return boost::json::serialize(object{{"statusCode", 400}, {"message", e.message}});
    };
    return o;
  }

  Exchange With(std::string body, std::optional<std::string> session = std::nullopt) {
    return Exchange{std::make_shared<const hub::Caller>(caller_),
                    "acc_1",
                    std::move(session),
                    std::nullopt,
                    search_execute_,
                    std::move(body),
                    "rid-1"};
  }

  // A session opened by initialize; its id.
  std::string Open(std::string_view version = "2025-11-25") {
    auto reply = server_.Handle(With(
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")" +
        std::string(version) + R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"));
    EXPECT_TRUE(reply);
    EXPECT_TRUE(reply->session_id);
    return reply->session_id.value_or("");
  }

  boost::json::value Call(const std::string& session, std::string_view params) {
    auto reply = server_.Handle(With(
        R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":)" + std::string(params) + "}",
        session));
    EXPECT_TRUE(reply);
    EXPECT_EQ(reply->http_status, 200);
    return parse(reply->body);
  }

  FakeClock clock_;
  SeededRandom random_{3};
  FakeActions actions_;
  FakeAccounts accounts_;
  SessionTable sessions_;
  Server server_;
  hub::Caller caller_;
  bool search_execute_ = false;
};

TEST_F(ServerTest, InitializeNegotiatesAVersionAndOpensASession) {
  auto reply = server_.Handle(With(
      R"({"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2025-06-18"}})"));
  ASSERT_TRUE(reply);
  ASSERT_TRUE(reply->session_id);
  auto v = parse(reply->body);
  EXPECT_EQ(v.at("id"), "a");
  EXPECT_EQ(v.at("result").at("protocolVersion"), "2025-06-18");
  EXPECT_EQ(v.at("result").at("serverInfo").at("name"), "linkhub");
  EXPECT_EQ(v.at("result").at("serverInfo").at("version"), "1.2.3");
  EXPECT_TRUE(v.at("result").at("capabilities").as_object().contains("tools"));

  auto newer = server_.Handle(With(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2099-01-01"}})"));
  ASSERT_TRUE(newer);
  EXPECT_EQ(parse(newer->body).at("result").at("protocolVersion").as_string(),
            kProtocolVersions.front());
}

TEST_F(ServerTest, InitializeForAnAccountOfAnotherProjectIsNotFound) {
  caller_.project_id = "proj_b";
  auto reply = server_.Handle(With(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sessions_.Size(), 0u);
}

TEST_F(ServerTest, SessionIsRequiredAndBoundToItsKey) {
  std::string list = R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})";
  auto missing = server_.Handle(With(list));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->http_status, 400);
  EXPECT_EQ(parse(missing->body).at("error").at("code"), kBadRequest);
  auto unknown = server_.Handle(With(list, "nope"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->http_status, 404);
  EXPECT_EQ(parse(unknown->body).at("error").at("code"), kSessionNotFound);

  std::string session = Open();
  caller_.key_id = "key_2";  // another key of the same project
  EXPECT_EQ(server_.Handle(With(list, session))->http_status, 404);
  caller_.key_id = "key_1";
  EXPECT_EQ(server_.Handle(With(list, session))->http_status, 200);
  EXPECT_EQ(server_.End(session, caller_).http_status, 200);
  EXPECT_EQ(server_.Handle(With(list, session))->http_status, 404);
  EXPECT_EQ(server_.End(session, caller_).http_status, 404);
}

TEST_F(ServerTest, ToolsListFollowsTheAccountsProductsAndTheKey) {
  std::string session = Open();
  auto reply = server_.Handle(With(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", session));
  ASSERT_TRUE(reply);
  std::vector<std::string> names;
  boost::json::value listed = parse(reply->body);
  for (const auto& t : listed.at("result").at("tools").as_array()) {
    names.emplace_back(t.at("name").as_string());
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "plaid_sync_transactions"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "plaid_get_identity"), names.end());
}

TEST_F(ServerTest, ToolCallRunsThePipelineAsFromMcp) {
  std::string session = Open();
  caller_.limits.read_only = true;
  auto v = Call(session, R"({"name":"plaid_list_accounts","arguments":{"account_ids":["x"]}})");
  ASSERT_EQ(actions_.requests.size(), 1u);
  const auto& request = actions_.requests.front();
  EXPECT_EQ(request.action_id, "plaid_list_accounts");
  EXPECT_EQ(request.account_id, "acc_1");
  EXPECT_EQ(request.project_id, "proj_a");
  EXPECT_EQ(request.via, hub::door::kMcp);
  EXPECT_EQ(request.request_id, "rid-1");
  ASSERT_TRUE(request.limits);
  EXPECT_TRUE(request.limits->read_only);
  EXPECT_EQ(request.input.at("account_ids").at(0), "x");
  const auto& result = v.at("result");
  EXPECT_EQ(result.at("isError"), false);
  EXPECT_EQ(result.at("structuredContent"), parse(R"({"accounts":[],"item":{}})"));
  EXPECT_EQ(parse(result.at("content").at(0).at("text").as_string()),
            result.at("structuredContent"));
}

TEST_F(ServerTest, AFailedActionIsAToolErrorAndAnUnknownToolAProtocolError) {
  std::string session = Open();
  actions_.answer =
      Unexpected(MakeError(ErrorCode::kInvalidArgument, "account_ids must be an array"));
  auto failed = Call(session, R"({"name":"plaid_list_accounts","arguments":{"account_ids":"x"}})");
  EXPECT_EQ(failed.at("result").at("isError"), true);
  EXPECT_EQ(failed.at("result").at("content").at(0).at("text"), "account_ids must be an array");
  EXPECT_EQ(failed.at("result").at("structuredContent").at("message"),
            "account_ids must be an array");
  auto unknown = Call(session, R"({"name":"drop_tables"})");
  EXPECT_EQ(unknown.at("error").at("code"), kInvalidParams);
  auto no_method =
      server_.Handle(With(R"({"jsonrpc":"2.0","id":3,"method":"resources/list"})", session));
  EXPECT_EQ(parse(no_method->body).at("error").at("code"), kMethodNotFound);
}

TEST_F(ServerTest, NotificationsGetNoBodyAndBatchesOnlyIn20250326) {
  std::string session = Open();
  auto note =
      server_.Handle(With(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", session));
  ASSERT_TRUE(note);
  EXPECT_EQ(note->http_status, 202);
  EXPECT_TRUE(note->body.empty());
  std::string batch =
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},)"
      R"({"jsonrpc":"2.0","id":2,"method":"ping"}])";
  EXPECT_EQ(server_.Handle(With(batch, session))->http_status, 400);
  std::string old = Open("2025-03-26");
  auto answered = server_.Handle(With(batch, old));
  ASSERT_TRUE(answered);
  auto v = parse(answered->body);
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.as_array().size(), 2u);
  EXPECT_EQ(v.at(1).at("id"), 2);
  EXPECT_EQ(server_.Handle(With("{not json", session))->http_status, 400);
}

TEST_F(ServerTest, SearchExecuteModeHasTwoTools) {
  search_execute_ = true;
  std::string session = Open();
  auto listed = server_.Handle(With(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", session));
  auto tools = parse(listed->body).at("result").at("tools").as_array();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].at("name").as_string(), kSearchTool);
  EXPECT_EQ(tools[1].at("name").as_string(), kExecuteTool);

  auto found =
      Call(session, R"({"name":"search_actions","arguments":{"query":"sync transactions"}})");
  const boost::json::array& actions =
      found.at("result").at("structuredContent").at("actions").as_array();
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0].at("name"), "plaid_sync_transactions");
  for (const auto& a : actions) {  // only what the account's products allow
    EXPECT_NE(a.at("name"), "plaid_get_identity");
  }
  Call(session,
       R"({"name":"execute_action","arguments":{"action":"plaid_get_item","arguments":{}}})");
  ASSERT_EQ(actions_.requests.size(), 1u);
  EXPECT_EQ(actions_.requests[0].action_id, "plaid_get_item");
  auto bad = Call(session, R"({"name":"execute_action","arguments":{"arguments":{}}})");
  EXPECT_EQ(bad.at("result").at("isError"), true);
  EXPECT_EQ(Call(session, R"({"name":"plaid_get_item"})").at("error").at("code"), kInvalidParams);
}

TEST_F(ServerTest, FastStartTakesToolCallsOnly) {
  std::string session = Open();
  std::optional<Reply> got;
  EXPECT_TRUE(server_.TryStart(
      With(R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"plaid_get_item"}})",
           session),
      [&got](Reply r) { got = std::move(r); }));
  ASSERT_TRUE(got);
  EXPECT_EQ(actions_.started, 1);
  EXPECT_EQ(parse(got->body).at("result").at("isError"), false);
  EXPECT_FALSE(server_.TryStart(With(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", session),
                                [](const Reply&) { ADD_FAILURE(); }));
}

TEST_F(ServerTest, IdentityIsRedactedAndPagesCarryNext) {
  std::string session = Open();
  actions_.answer = hub::ActionOutcome{
      R"({"accounts":[{"owners":[{"names":["Alberta Charleson"],"emails":[],"phone_numbers":[],"addresses":[]}]}]})",
      {}};
  auto identity = Call(session, R"({"name":"plaid_get_identity"})");
  EXPECT_EQ(identity.at("result").at("content").at(0).at("text").as_string().find("Alberta"),
            std::string::npos);
  actions_.answer = hub::ActionOutcome{R"({"transactions":[]})", std::string("o:25")};
  auto page = Call(session, R"({"name":"plaid_list_transactions"})");
  EXPECT_EQ(page.at("result").at("_meta").at("linkhub/next"), "o:25");
}

}  // namespace
}  // namespace linkhub::mcp
