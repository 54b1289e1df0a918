// Tests of the API's handlers without a socket: requests go through the router to the handlers,
// which run on the real hub classes over in-memory SQLite stores, a scripted Plaid and a fake
// clock. They check status codes, StackOne's error shape, pagination and input limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "api/api.h"
#include "api/errors.h"
#include "core/encoding.h"
#include "core/json.h"
#include "fakes/fake_plaid.h"
#include "fakes/memory_journal.h"
#include "hub/accounts_impl.h"
#include "hub/action_pipeline.h"
#include "hub/batched_call_log.h"
#include "hub/dashboard_sessions_impl.h"
#include "hub/hub_view_impl.h"
#include "hub/linker_impl.h"
#include "hub/projects_impl.h"
#include "hub/sessions_impl.h"
#include "store/test_db.h"

namespace linkhub::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace json = boost::json;

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = hub::Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    projects_.emplace(m_.projects, m_.api_keys, *keys_, clock_, random_);
    sessions_.emplace(m_.sessions, m_.accounts, *keys_, clock_, random_);
    linker_.emplace(
        hub::LinkerStores{m_.accounts, m_.exchanges, journal_, m_.orphans}, *keys_, plaid_, clock_,
        random_, [this](std::chrono::milliseconds d) { clock_.Advance(d); }, settings_);
    call_log_.emplace(m_.call_log);
    accounts_.emplace(m_.accounts, *keys_, plaid_, *call_log_, clock_, settings_);
    hub_view_.emplace(m_.accounts, m_.attempts, clock_, random_);
    actions_.emplace(m_.accounts, m_.sync_cursors, *keys_, plaid_, nullptr, &*call_log_, clock_,
                     settings_, nullptr);
    dashboard_.emplace(m_.dashboard_sessions, m_.api_keys, *keys_, clock_, random_,
                       hub::DashboardSessions::Limits{});
    context_.emplace(ApiContext{*sessions_, *linker_, *accounts_, *hub_view_, *projects_, *actions_,
                                settings_, clock_, "https://hub.example.com",
                                "https://cdn.example.com/link.js", "https://plaid.example.com"});
    context_->dashboard = &*dashboard_;
    RegisterRoutes(router_, *context_);

    auto a = projects_->Create("Acme", {});
    auto b = projects_->Create("Beta", {});
    ASSERT_TRUE(a && b);
    project_a_ = a->project.id;
    key_a_ = a->api_key.key;
    key_b_ = b->api_key.key;
    ScriptPlaid();
  }

  void ScriptPlaid() {
    plaid_.Respond("/item/public_token/exchange", [this](const json::object&) {
      int n = ++exchanges_;
      return Result<json::object>(
          json::object{{"access_token", "access-sandbox-" + std::to_string(n)},
                       {"item_id", "item-" + std::to_string(n)},
                       {"request_id", "req-x"}});
    });
    plaid_.SetAnswer(
        "/item/get",
        json::object{{"item", json::object{{"institution_id", "ins_1"},
                                           {"products", json::array{"transactions"}}}}});
    plaid_.SetAnswer("/accounts/get",
                     json::object{{"accounts", json::array{json::object{{"account_id", "a1"},
                                                                        {"name", "Checking"},
                                                                        {"mask", "0000"}}}},
                                  {"request_id", "req-accounts"}});
    plaid_.SetAnswer("/institutions/get_by_id",
                     json::object{{"institution", json::object{{"name", "First Bank"}}}});
  }

  struct Answer {
    int status = 0;
    http::Headers headers;
    std::string body;
    json::value json;
  };

  Answer Call(std::string method, const std::string& target, std::string body = "",
              const std::optional<std::string>& key = std::nullopt,
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Request r;
    r.method = std::move(method);
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(body);
    if (key) {
      r.headers.Add("Authorization", "Basic " + Base64Encode(*key + ":"));
    }
    for (const auto& [k, v] : headers) {
      r.headers.Add(k, v);
    }
    auto match = router_.Find(r);
    EXPECT_NE(match.handler, nullptr) << r.method << " " << r.path;
    if (match.handler == nullptr) {
      return {};
    }
    http::Response res = (*match.handler)(r);
    Answer out{res.status, res.headers, res.body, nullptr};
    auto parsed = ParseJson(res.body);
    if (parsed) {
      out.json = std::move(*parsed);
    }
    return out;
  }

  // Asserts StackOne's error shape with `status`, and returns the message.
  std::string ExpectError(const Answer& a, int status) {
    EXPECT_EQ(a.status, status) << a.body;
    EXPECT_EQ(a.headers.Get("Content-Type").value_or(""), "application/json; charset=utf-8");
    if (!a.json.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << a.body;
      return "";
    }
    const auto& o = a.json.get_object();
    EXPECT_EQ(GetInt(o, "statusCode"), status);
    EXPECT_EQ(GetString(o, "timestamp"), std::optional<std::string_view>(Timestamp()));
    auto message = GetString(o, "message");
    EXPECT_TRUE(message && !message->empty());
    return std::string(message.value_or(""));
  }

  std::string Timestamp() { return FormatRfc3339Millis(clock_.Now()); }

  // A linked account of project A, through the Hub API's exchange.
  std::string LinkAccount(const std::string& owner = "owner-1") {
    auto session =
        Call("POST", "/connect_sessions",
             R"({"origin_owner_id":")" + owner + R"(","origin_owner_name":"Owner"})", key_a_);
    EXPECT_EQ(session.status, 201) << session.body;
    std::string token(GetString(session.json.get_object(), "token").value_or(""));
    auto linked = Call("POST", "/hub/accounts",
                       R"({"credentials":{"public_token":"public-sandbox-)" + owner + R"("}})",
                       std::nullopt, {{"x-hub-session-token", token}});
    EXPECT_EQ(linked.status, 201) << linked.body;
    return std::string(GetString(linked.json.get_object(), "id").value_or(""));
  }

  FakeClock clock_;
  SeededRandom random_{5};
  fakes::FakePlaid plaid_;
  std::atomic<int> exchanges_{0};
  hub::LinkSettings settings_;
  store::MemoryStores m_;
  std::unique_ptr<hub::Keys> keys_;
  std::optional<hub::ProjectsImpl> projects_;
  std::optional<hub::SessionsImpl> sessions_;
  fakes::MemoryJournal journal_;
  std::optional<hub::LinkerImpl> linker_;
  std::optional<hub::BatchedCallLog> call_log_;
  std::optional<hub::AccountsImpl> accounts_;
  std::optional<hub::HubViewImpl> hub_view_;
  std::optional<hub::ActionPipeline> actions_;
  std::optional<hub::DashboardSessionsImpl> dashboard_;
  std::optional<ApiContext> context_;
  http::Router router_;
  std::string project_a_;
  std::string key_a_;
  std::string key_b_;
};

TEST(SameOriginTest, ComparesSchemeHostAndPortAsBrowsersDo) {
  EXPECT_TRUE(SameOrigin("https://Admin.Example.com", "https://admin.example.com:443/dashboard"));
  EXPECT_TRUE(SameOrigin("http://127.0.0.1:8080/", "http://127.0.0.1:8080"));
  EXPECT_TRUE(SameOrigin("http://example.com:80", "http://example.com"));
  EXPECT_FALSE(SameOrigin("http://example.com", "https://example.com"));
  EXPECT_FALSE(SameOrigin("http://127.0.0.1:8080", "http://127.0.0.1:8081"));
  EXPECT_FALSE(SameOrigin("http://localhost:8080", "http://127.0.0.1:8080"));
  EXPECT_FALSE(SameOrigin("https://example.com:444", "https://example.com"));
  EXPECT_FALSE(SameOrigin("", ""));
  EXPECT_FALSE(SameOrigin("example.com", "example.com"));
}

TEST_F(RoutesTest, TheManagementApiWantsAnApiKey) {
  EXPECT_THAT(ExpectError(Call("GET", "/accounts"), 401), HasSubstr("missing API key"));
  EXPECT_THAT(ExpectError(Call("GET", "/accounts", "", "lh_live_wrong"), 401),
              Not(HasSubstr("lh_live_wrong")));
  http::Request bearer;
  auto ok = Call("GET", "/accounts", "", std::nullopt, {{"Authorization", "Bearer " + key_a_}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ExpectError(
                Call("GET", "/accounts", "", std::nullopt, {{"Authorization", "Basic !!!"}}), 401),
            "malformed Basic credentials");
}

TEST_F(RoutesTest, AConnectSessionIsCreatedInStackOnesShape) {
  auto a = Call("POST", "/connect_sessions",
                R"({"origin_owner_id":"o1","origin_owner_name":"Owner","categories":["banking"],)"
                R"("metadata":{"k":"v"},"expires_in":600})",
                key_a_);
  ASSERT_EQ(a.status, 201) << a.body;
  const auto& o = a.json.get_object();
  EXPECT_EQ(GetInt(o, "organization_id"), 1);
  EXPECT_EQ(GetString(o, "project_id"), project_a_);
  std::string token(GetString(o, "token").value_or(""));
  EXPECT_TRUE(token.starts_with("lhcs_"));
  EXPECT_EQ(GetString(o, "auth_link_url"),
            "https://hub.example.com/embedded/integrations?token=" + token);
  EXPECT_EQ(GetString(o, "expires_at"), FormatRfc3339(clock_.Now() + std::chrono::seconds(600)));
  EXPECT_EQ(ToJson(*Find(o, "metadata")), R"({"k":"v"})");
  EXPECT_EQ(GetString(o, "provider"), "plaid");
}

TEST_F(RoutesTest, BadSessionInputIsA400NamingTheField) {
  struct Case {
    const char* body;
    const char* says;
  };
  for (const Case& c :
       {Case{"", "not valid JSON"}, Case{"[1]", "must be a JSON object"},
        Case{"{", "not valid JSON"},
        Case{R"({"origin_owner_name":"x"})", "origin_owner_id is required"},
        Case{R"({"origin_owner_id":5,"origin_owner_name":"x"})",
             "origin_owner_id must be a string"},
        Case{R"({"origin_owner_id":"o","origin_owner_name":"x","multiple":"yes"})", "multiple"},
        Case{R"({"origin_owner_id":"o","origin_owner_name":"x","expires_in":10})", "expires_in"},
        Case{R"({"origin_owner_id":"o","origin_owner_name":"x","provider":"xero"})", "provider"},
        Case{R"({"origin_owner_id":"o","origin_owner_name":"x","type":"staging"})", "type"}}) {
    SCOPED_TRACE(c.body);
    EXPECT_THAT(ExpectError(Call("POST", "/connect_sessions", c.body, key_a_), 400),
                HasSubstr(c.says));
  }
  std::string big(300, 'x');
  EXPECT_THAT(
      ExpectError(Call("POST", "/connect_sessions",
                       R"({"origin_owner_id":")" + big + R"(","origin_owner_name":"x"})", key_a_),
                  400),
      HasSubstr("origin_owner_id"));
  std::string meta(9000, 'm');
  EXPECT_THAT(
      ExpectError(Call("POST", "/connect_sessions",
                       R"({"origin_owner_id":"o","origin_owner_name":"x","metadata":{"m":")" +
                           meta + R"("}})",
                       key_a_),
                  400),
      HasSubstr("8 KiB"));
}

TEST_F(RoutesTest, AccountsArePagedNewestFirstAndFilteredByStatus) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(LinkAccount("owner-" + std::to_string(i)));
    clock_.Advance(std::chrono::seconds(1));
  }
  auto page1 = Call("GET", "/accounts?page_size=2", "", key_a_);
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_TRUE(page1.json.is_array());
  ASSERT_EQ(page1.json.get_array().size(), 2u);
  EXPECT_EQ(GetString(page1.json.get_array()[0].get_object(), "id"), ids[2]);
  auto page2 = Call("GET", "/accounts?page_size=2&page=2", "", key_a_);
  ASSERT_EQ(page2.json.get_array().size(), 1u);
  EXPECT_EQ(GetString(page2.json.get_array()[0].get_object(), "id"), ids[0]);
  EXPECT_EQ(Call("GET", "/accounts?status=suspended", "", key_a_).json.get_array().size(), 0u);
  EXPECT_EQ(Call("GET", "/accounts?status=active&status=error", "", key_a_).json.get_array().size(),
            3u);
  EXPECT_THAT(ExpectError(Call("GET", "/accounts?status=deleted", "", key_a_), 400),
              HasSubstr("status must be"));
  for (const char* bad : {"page_size=0", "page_size=101", "page_size=x", "page=-1"}) {
    SCOPED_TRACE(bad);
    ExpectError(Call("GET", std::string("/accounts?") + bad, "", key_a_), 400);
  }
  // Another project sees none of them, and none by id.
  EXPECT_EQ(Call("GET", "/accounts", "", key_b_).json.get_array().size(), 0u);
  ExpectError(Call("GET", "/accounts/" + ids[0], "", key_b_), 404);
}

TEST_F(RoutesTest, AnAccountShowsItsPlaidDetailsButNeverItsToken) {
  std::string id = LinkAccount();
  auto a = Call("GET", "/accounts/" + id, "", key_a_);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_THAT(a.body, Not(HasSubstr("access-sandbox")));
  const auto& o = a.json.get_object();
  EXPECT_EQ(GetString(o, "status"), "active");
  const auto* plaid = GetObject(o, "plaid");
  ASSERT_NE(plaid, nullptr);
  EXPECT_EQ(GetString(*plaid, "item_id"), "item-1");
  EXPECT_EQ(GetString(*plaid, "institution_name"), "First Bank");
}

TEST_F(RoutesTest, PatchRefusesWhatCannotChange) {
  std::string id = LinkAccount();
  auto ok =
      Call("PATCH", "/accounts/" + id, R"({"label":"Main","origin_owner_name":"New"})", key_a_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(GetString(ok.json.get_object(), "label"), "Main");
  ExpectError(Call("PATCH", "/accounts/" + id, R"({"provider":"xero"})", key_a_), 400);
  ExpectError(Call("PATCH", "/accounts/" + id, R"({"credentials":{"x":1}})", key_a_), 400);
  ExpectError(Call("PATCH", "/accounts/" + id, R"({"origin_owner_id":""})", key_a_), 400);
  ExpectError(Call("PATCH", "/accounts/acc_nope", R"({"label":"x"})", key_a_), 404);
}

TEST_F(RoutesTest, AMistypedFieldIsA400NamingItAndLabelObjectIsTheOneException) {
  std::string id = LinkAccount();
  ASSERT_EQ(Call("PATCH", "/accounts/" + id, R"({"label":"Main"})", key_a_).status, 200);
  for (const char* label : {"123", "true", "[]", R"({"x":1})"}) {
    SCOPED_TRACE(label);
    EXPECT_THAT(ExpectError(Call("PATCH", "/accounts/" + id,
                                 std::string(R"({"label":)") + label + "}", key_a_),
                            400),
                HasSubstr("label must be a string"));
  }
  // StackOne's SDK types label as an object and sends {}: that changes nothing.
  auto sdk = Call("PATCH", "/accounts/" + id, R"({"label":{},"origin_owner_name":"SDK"})", key_a_);
  ASSERT_EQ(sdk.status, 200) << sdk.body;
  EXPECT_EQ(GetString(sdk.json.get_object(), "label"), "Main");
  EXPECT_EQ(GetString(sdk.json.get_object(), "origin_owner_name"), "SDK");
}

TEST_F(RoutesTest, DuplicateKeysAndControlCharactersAreRefused) {
  std::string id = LinkAccount();
  EXPECT_THAT(
      ExpectError(Call("PATCH", "/accounts/" + id, R"({"label":"a","label":5})", key_a_), 400),
      HasSubstr(R"(the body holds the key "label" twice)"));
  EXPECT_THAT(ExpectError(Call("POST", "/connect_sessions",
                               R"({"origin_owner_id":"o","origin_owner_id":"p",)"
                               R"("origin_owner_name":"x"})",
                               key_a_),
                          400),
              HasSubstr("origin_owner_id"));
  for (const char* field : {"origin_owner_id", "origin_owner_name", "label"}) {
    for (const char* bad : {R"(a\u0000b)", R"(a\nb)", R"(\u001f)", R"(x\u007f)"}) {
      SCOPED_TRACE(std::string(field) + " " + bad);
      auto value = ParseJson(std::string("\"") + bad + "\"");
      ASSERT_TRUE(value);
      json::object session{{"origin_owner_id", "o"}, {"origin_owner_name", "x"}};
      session[field] = *value;
      EXPECT_THAT(ExpectError(Call("POST", "/connect_sessions", ToJson(session), key_a_), 400),
                  HasSubstr(std::string(field) + " must not hold control characters"));
      json::object patch{{field, *value}};
      EXPECT_THAT(ExpectError(Call("PATCH", "/accounts/" + id, ToJson(patch), key_a_), 400),
                  HasSubstr(std::string(field) + " must not hold control characters"));
    }
  }
  // Text beyond ASCII is fine.
  auto ok = Call("PATCH", "/accounts/" + id, R"({"label":"Caf\u00e9 \ud83c\udfe6"})", key_a_);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(RoutesTest, EveryBodyIsValidJsonEvenWhenThePathIsNotUtf8) {
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/accounts/\xff\xfe"}, {"DELETE", "/accounts/\xc0\xaf"}}) {
    SCOPED_TRACE(path);
    auto a = Call(method, path, "", key_a_);
    EXPECT_EQ(a.status, 404);
    ASSERT_TRUE(ParseJson(a.body).has_value()) << a.body;
    EXPECT_THAT(a.body, HasSubstr("\xEF\xBF\xBD"));
  }
}

TEST_F(RoutesTest, RpcAnswersThePipelinesEnvelopeAndItsErrors) {
  std::string id = LinkAccount();
  auto ok = Call("POST", "/actions/rpc", R"({"action":"plaid_list_accounts"})", key_a_,
                 {{"x-account-id", id}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, R"({"data":{"accounts":[{"account_id":"a1","name":"Checking","mask":"0000"}],)"
                     R"("request_id":"req-accounts"},"next":null})");
  EXPECT_THAT(
      ExpectError(Call("POST", "/actions/rpc", R"({"action":"plaid_list_accounts"})", key_a_), 400),
      HasSubstr("x-account-id"));
  ExpectError(Call("POST", "/actions/rpc", R"({"action":"plaid_list_accounts"})", key_a_,
                   {{"x-account-id", std::string(101, 'a')}}),
              400);
  EXPECT_THAT(ExpectError(Call("POST", "/actions/rpc", R"({"action":"plaid_nope"})", key_a_,
                               {{"x-account-id", id}}),
                          404),
              HasSubstr("GET /actions"));
  ExpectError(Call("POST", "/actions/rpc", R"({"action":"plaid_list_accounts"})", key_b_,
                   {{"x-account-id", id}}),
              404);
  ExpectError(Call("POST", "/actions/rpc", R"({"body":{}})", key_a_, {{"x-account-id", id}}), 400);
  // Plaid's error, with provider_errors.
  plaid_.QueueError("/accounts/get", fakes::PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  auto failed = Call("POST", "/actions/rpc", R"({"action":"plaid_list_accounts"})", key_a_,
                     {{"x-account-id", id}});
  ExpectError(failed, 409);
  const auto* providers = GetArray(failed.json.get_object(), "provider_errors");
  ASSERT_NE(providers, nullptr);
  ASSERT_EQ(providers->size(), 1u);
  EXPECT_EQ(GetString(providers->at(0).get_object(), "error_code"), "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(GetInt(providers->at(0).get_object(), "status"), 400);
}

TEST_F(RoutesTest, TheRpcFastDoorAnswersWhatTheHandlerAnswers) {
  std::string id = LinkAccount();
  // A key not used yet is not known in memory: the fast door declines it.
  auto fresh = projects_->CreateApiKey(project_a_, "fresh", {});
  ASSERT_TRUE(fresh);
  http::Request r;
  r.method = "POST";
  r.path = r.target = "/actions/rpc";
  r.body = R"({"action":"plaid_get_item"})";
  r.headers.Add("Authorization", "Basic " + Base64Encode(fresh->key + ":"));
  r.headers.Add("x-account-id", id);
  auto match = router_.Find(r);
  ASSERT_NE(match.fast, nullptr);
  std::optional<http::Response> replied;
  EXPECT_FALSE((*match.fast)(r, [&](http::Response res) { replied = std::move(res); }));
  EXPECT_FALSE(replied.has_value());
  // Once the handler accepted the key, the fast door takes the request.
  auto slow = (*match.handler)(r);
  ASSERT_EQ(slow.status, 200) << slow.body;
  EXPECT_TRUE((*match.fast)(r, [&](http::Response res) { replied = std::move(res); }));
  ASSERT_TRUE(replied.has_value());
  EXPECT_EQ(replied->status, slow.status);
  EXPECT_EQ(replied->body, slow.body);
  // Its errors are the handler's errors.
  r.body = R"({"action":"plaid_get_item","body":{"x":1}})";
  replied.reset();
  EXPECT_TRUE((*match.fast)(r, [&](http::Response res) { replied = std::move(res); }));
  auto handler_error = (*match.handler)(r);
  ASSERT_TRUE(replied.has_value());
  EXPECT_EQ(replied->status, 400);
  EXPECT_EQ(replied->body, handler_error.body);
}

TEST_F(RoutesTest, TheHubApiWantsASessionTokenAndAnswersWithCors) {
  auto missing = Call("GET", "/hub/accounts", "", std::nullopt, {{"Origin", "https://a.test"}});
  ExpectError(missing, 401);
  EXPECT_EQ(missing.headers.Get("Access-Control-Allow-Origin").value_or(""), "https://a.test");
  auto expired_session =
      Call("POST", "/connect_sessions",
           R"({"origin_owner_id":"o","origin_owner_name":"x","expires_in":60})", key_a_);
  std::string token(GetString(expired_session.json.get_object(), "token").value_or(""));
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_THAT(
      ExpectError(Call("GET", "/hub/accounts", "", std::nullopt, {{"x-hub-session-token", token}}),
                  401),
      HasSubstr("expired"));
  ExpectError(Call("POST", "/hub/accounts", R"({"credentials":{"public_token":"nope"}})",
                   std::nullopt, {{"x-hub-session-token", "lhcs_nope"}}),
              401);
}

TEST_F(RoutesTest, TheDashboardWantsItsSessionItsOriginAndItsCsrfToken) {
  const std::pair<std::string, std::string> own_origin{"Origin", "https://hub.example.com"};
  // Signing in needs linkhub's own origin.
  ExpectError(Call("POST", "/dashboard/api/sign_in", R"({"api_key":")" + key_a_ + R"("})"), 403);
  ExpectError(Call("POST", "/dashboard/api/sign_in", R"({"api_key":"lh_live_nope"})", std::nullopt,
                   {own_origin}),
              401);
  auto signed_in = Call("POST", "/dashboard/api/sign_in", R"({"api_key":")" + key_a_ + R"("})",
                        std::nullopt, {own_origin});
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  std::string cookie(signed_in.headers.Get("Set-Cookie").value_or(""));
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(signed_in.body, Not(HasSubstr(key_a_)));
  std::string session = cookie.substr(0, cookie.find(';'));
  std::string csrf(GetString(signed_in.json.get_object(), "csrf_token").value_or(""));

  std::string id = LinkAccount();
  // Reads need the session only.
  ExpectError(Call("GET", "/dashboard/api/accounts"), 401);
  auto listed =
      Call("GET", "/dashboard/api/accounts?page_size=1", "", std::nullopt, {{"Cookie", session}});
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(GetBool(listed.json.get_object(), "has_more"), false);
  ExpectError(
      Call("GET", "/dashboard/api/accounts?page_size=101", "", std::nullopt, {{"Cookie", session}}),
      400);
  ExpectError(Call("GET", "/dashboard/api/accounts/" + id + "/logs?limit=0", "", std::nullopt,
                   {{"Cookie", session}}),
              400);
  // Changes need the origin and the CSRF token too.
  std::string suspend = "/dashboard/api/accounts/" + id + "/suspend";
  ExpectError(
      Call("POST", suspend, "", std::nullopt, {{"Cookie", session}, {"x-csrf-token", csrf}}), 403);
  ExpectError(
      Call("POST", suspend, "", std::nullopt,
           {{"Cookie", session}, {"Origin", "https://evil.example"}, {"x-csrf-token", csrf}}),
      403);
  ExpectError(Call("POST", suspend, "", std::nullopt,
                   {{"Cookie", session}, own_origin, {"x-csrf-token", "wrong"}}),
              403);
  auto suspended = Call("POST", suspend, "", std::nullopt,
                        {{"Cookie", session}, own_origin, {"x-csrf-token", csrf}});
  ASSERT_EQ(suspended.status, 200) << suspended.body;
  EXPECT_EQ(GetString(suspended.json.get_object(), "status"), "suspended");
  // The tester is a door to the pipeline: a suspended account runs nothing.
  auto refused =
      Call("POST", "/dashboard/api/accounts/" + id + "/rpc", R"({"action":"plaid_list_accounts"})",
           std::nullopt, {{"Cookie", session}, own_origin, {"x-csrf-token", csrf}});
  EXPECT_THAT(ExpectError(refused, 409), HasSubstr("suspended"));
  ExpectError(
      Call("GET", "/dashboard/api/accounts/acc_nope", "", std::nullopt, {{"Cookie", session}}),
      404);
}

TEST_F(RoutesTest, ServerErrorsUseTheSameShape) {
  http::Request r;
  r.method = "GET";
  r.path = "/hub/nowhere";
  http::Response res = ServerError(clock_, r, 404, "no route for GET /hub/nowhere");
  EXPECT_EQ(res.status, 404);
  auto parsed = ParseJson(res.body);
  ASSERT_TRUE(parsed && parsed->is_object());
  EXPECT_EQ(GetString(parsed->get_object(), "timestamp"), Timestamp());
  EXPECT_TRUE(res.headers.Get("Access-Control-Allow-Origin").has_value());  // a /hub/ path
}

}  // namespace
}  // namespace linkhub::api

namespace linkhub::api {
namespace {

TEST(ErrorResponseTest, AnErrorThatSaysWhenToRetryCarriesRetryAfter) {
  FakeClock clock;
  Error e = MakeError(ErrorCode::kResourceExhausted, "budget spent");
  e.details.emplace_back("retry_after_seconds", int64_t{12});
  http::Response res = ErrorResponse(e, clock);
  EXPECT_EQ(res.status, 429);
  EXPECT_EQ(res.headers.Get("Retry-After").value_or(""), "12");
  auto body = ParseJson(res.body);
  ASSERT_TRUE(body);
  EXPECT_EQ(GetInt(body->get_object(), "retry_after_seconds"), 12);
  EXPECT_FALSE(ErrorResponse(MakeError(ErrorCode::kResourceExhausted, "x"), clock)
                   .headers.Get("Retry-After")
                   .has_value());
}

// UpstreamKey names whose share of the Plaid threads a request uses.
TEST_F(RoutesTest, PlaidCapacityIsCountedPerProjectOnceItsCredentialIsKnown) {
  auto req = [](const std::vector<std::pair<std::string, std::string>>& headers) {
    http::Request r;
    for (auto& [k, v] : headers) {
      r.headers.Add(k, v);
    }
    return r;
  };
  auto basic = [](const std::string& key) { return "Basic " + Base64Encode(key + ":"); };
  // Unknown until accepted once: counted as the credential alone.
  std::string before = UpstreamKey(*context_, req({{"Authorization", basic(key_a_)}}));
  EXPECT_FALSE(before.starts_with(kProjectUpstreamKey));
  EXPECT_THAT(before, Not(HasSubstr(key_a_)));
  ASSERT_EQ(Call("GET", "/accounts", "", key_a_).status, 200);
  EXPECT_EQ(UpstreamKey(*context_, req({{"Authorization", basic(key_a_)}})),
            std::string(kProjectUpstreamKey) + project_a_);
  EXPECT_EQ(UpstreamKey(*context_, req({{"Authorization", "Bearer " + key_a_}})),
            std::string(kProjectUpstreamKey) + project_a_);
  EXPECT_EQ(UpstreamKey(*context_, req({{"Authorization", "Basic !!!"}})), "");
  EXPECT_EQ(UpstreamKey(*context_, req({})), "");

  // A Hub request counts for its session's project once the session was accepted.
  auto session = Call("POST", "/connect_sessions",
                      R"({"origin_owner_id":"o-cap","origin_owner_name":"O"})", key_a_);
  ASSERT_EQ(session.status, 201);
  std::string token(GetString(session.json.get_object(), "token").value_or(""));
  std::string unknown = UpstreamKey(*context_, req({{"x-hub-session-token", token}}));
  EXPECT_FALSE(unknown.starts_with(kProjectUpstreamKey));
  EXPECT_THAT(unknown, Not(HasSubstr(token)));
  ASSERT_EQ(Call("GET", "/hub/settings", "", std::nullopt, {{"x-hub-session-token", token}}).status,
            200);
  EXPECT_EQ(UpstreamKey(*context_, req({{"x-hub-session-token", token}})),
            std::string(kProjectUpstreamKey) + project_a_);
  // ...until it expires.
  clock_.Advance(std::chrono::hours(1));
  EXPECT_FALSE(UpstreamKey(*context_, req({{"x-hub-session-token", token}}))
                   .starts_with(kProjectUpstreamKey));
}

}  // namespace
}  // namespace linkhub::api
