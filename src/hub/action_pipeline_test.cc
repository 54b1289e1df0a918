// Tests of the action pipeline (action_pipeline.cc, action_plan.cc, account_cache.cc): running
// catalogue actions and proxied calls on linked accounts against a scripted Plaid, real SQLite
// stores and real keys, through both transports.
#include "hub/action_pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/json.h"
#include "fakes/fake_plaid.h"
#include "fakes/scripted_async_http.h"
#include "hub/batched_call_log.h"
#include "plaid/http_plaid_client.h"
#include "plaid/retrying_plaid_client.h"
#include "store/test_db.h"

namespace linkhub::hub {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;

namespace json = boost::json;

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kSync = "/transactions/sync";
constexpr char kToken[] = "access-sandbox-a";
constexpr char kNoCursor[] = "(no cursor)";

using fakes::PlaidError;

// The cursor of each /transactions/sync call, "-" when the body had none.
std::vector<std::string> SyncCursors(fakes::FakePlaid& plaid) {
  std::vector<std::string> out;
  for (const auto& c : plaid.CallsTo(kSync)) {
    out.emplace_back(GetString(c.body, "cursor").value_or("-"));
  }
  return out;
}

// What an action answered, parsed: its data and its next cursor.
struct Ran {
  json::value data;
  std::optional<std::string> next;
};

Result<Ran> Parsed(Result<ActionOutcome> outcome) {
  if (!outcome) {
    return Unexpected(std::move(outcome).error());
  }
  auto data = ParseJson(outcome->data);
  EXPECT_TRUE(data) << outcome->data;
  return Ran{data ? std::move(*data) : json::value(nullptr), std::move(outcome->next)};
}

Result<Ran> RunOn(Actions& actions, const std::string& project_id, const std::string& account_id,
                  std::string_view action, json::object input) {
  return Parsed(
      actions.Run(ActionRequest{project_id, account_id, std::string(action), std::move(input)}));
}

Result<json::object> ProxyOn(Actions& actions, const std::string& project_id,
                             const std::string& account_id, std::string_view endpoint,
                             json::object body) {
  auto raw =
      actions.Proxy(project_id, account_id, endpoint, std::move(body), domain::KeyLimits{}, "");
  if (!raw) {
    return Unexpected(std::move(raw).error());
  }
  auto parsed = ParseJson(*raw);
  EXPECT_TRUE(parsed && parsed->is_object()) << *raw;
  return parsed && parsed->is_object() ? std::move(parsed->as_object()) : json::object{};
}

json::object Transaction(const std::string& id) {
  return json::object{{"transaction_id", id}, {"account_id", "plaid-acc-1"}, {"amount", 12.5}};
}

// One /transactions/sync page.
json::object SyncPage(const std::vector<std::string>& added,
                      const std::vector<std::string>& modified,
                      const std::vector<std::string>& removed, const std::string& next_cursor,
                      bool has_more) {
  json::array a, m, r;
  for (const auto& id : added) {
    a.push_back(Transaction(id));
  }
  for (const auto& id : modified) {
    m.push_back(Transaction(id));
  }
  for (const auto& id : removed) {
    r.push_back(json::object{{"transaction_id", id}, {"account_id", "plaid-acc-1"}});
  }
  return json::object{
      {"added", std::move(a)},
      {"modified", std::move(m)},
      {"removed", std::move(r)},
      {"accounts", json::array{json::object{{"account_id", "plaid-acc-1"}}}},
      {"next_cursor", next_cursor},
      {"has_more", has_more},
      {"transactions_update_status", "HISTORICAL_UPDATE_COMPLETE"},
      {"request_id", "req-sync-" + next_cursor},
  };
}

// The transaction ids of data[key].
std::vector<std::string> Ids(const json::value& data, std::string_view key) {
  std::vector<std::string> out;
  if (!data.is_object()) {
    return out;
  }
  if (const auto* a = GetArray(data.as_object(), key)) {
    for (const auto& t : *a) {
      out.emplace_back(GetString(t.as_object(), "transaction_id").value_or("?"));
    }
  }
  return out;
}

// A page of /transactions/get with `n` transactions out of `total`.
json::object TransactionsPage(int first, int n, int total) {
  json::array items;
  for (int i = 0; i < n; ++i) {
    items.push_back(Transaction("t" + std::to_string(first + i)));
  }
  return json::object{{"transactions", std::move(items)},
                      {"accounts", json::array{}},
                      {"total_transactions", total},
                      {"request_id", "req-tx"}};
}

std::string Detail(const Error& e, const std::string& key) { return DetailText(e, key); }

class ActionPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", clock_.Now()));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "Beta", clock_.Now()));
    auto keys = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    runner_ = MakePipeline(plaid_, nullptr);

    plaid_.SetAnswer(
        "/accounts/get",
        json::object{{"accounts", json::array{json::object{{"account_id", "plaid-acc-1"},
                                                           {"name", "Plaid Checking"}}}},
                     {"item", json::object{{"item_id", "item-a"}}},
                     {"request_id", "req-accounts"}});
    plaid_.SetAnswer("/accounts/balance/get", json::object{{"accounts", json::array{}}});
    plaid_.SetAnswer("/auth/get", json::object{{"numbers", json::object{}}});
    plaid_.SetAnswer("/item/get", json::object{{"item", json::object{{"item_id", "item-a"}}}});
    plaid_.SetAnswer("/institutions/get_by_id",
                     json::object{{"institution", json::object{{"name", "First Platypus"}}}});
    plaid_.SetAnswer("/institutions/search", json::object{{"institutions", json::array{}}});
    plaid_.SetAnswer("/transactions/refresh", json::object{{"request_id", "req-refresh"}});

    account_ = AddAccount("proj_a", "acc_a", kToken, "item-a", {"transactions"});
  }

  // Stores a linked account the way the exchange does (sealed token and item id).
  domain::LinkedAccount AddAccount(const std::string& project_id, const std::string& id,
                                   const std::string& access_token, const std::string& item_id,
                                   const std::vector<std::string>& products,
                                   domain::AccountStatus status = domain::AccountStatus::kActive) {
    domain::LinkedAccount a;
    a.id = id;
    a.project_id = project_id;
    a.origin_owner_id = "owner-1";
    a.origin_owner_name = "Owner One";
    a.status = status;
    a.environment = "sandbox";
    a.products = products;
    a.institution_id = "ins_109508";
    a.institution_name = "First Platypus Bank";
    a.details_pending = false;
    a.created_at = a.updated_at = clock_.Now();
    a.item_id_hash = keys_->Hash(item_id);
    auto token = keys_->Seal(project_id, id, "access_token", access_token);
    auto item = keys_->Seal(project_id, id, "item_id", item_id);
    EXPECT_TRUE(token && item);
    a.access_token_sealed = token ? *token : "";
    a.item_id_sealed = item ? *item : "";
    Status done = store::InsertAccount(m_.exchanges, a);
    EXPECT_TRUE(done) << done.error().message;
    auto stored = m_.accounts.GetAccount(project_id, id);
    EXPECT_TRUE(stored);
    return stored ? *stored : a;
  }

  // A pipeline on the fixture's stores and keys, with the blocking transport `plaid` only.
  std::unique_ptr<ActionPipeline> MakePipeline(plaid::PlaidClient& plaid, plaid::RateBudget* budget,
                                               CallLog* call_log = nullptr,
                                               ActionPipeline::Offload offload = nullptr) {
    return std::make_unique<ActionPipeline>(m_.accounts, m_.sync_cursors, *keys_, plaid, budget,
                                            call_log, clock_, settings_, std::move(offload));
  }

  domain::LinkedAccount Stored(const std::string& id = "acc_a") {
    auto a = m_.accounts.GetAccount("proj_a", id);
    EXPECT_TRUE(a) << a.error().message;
    return a ? *a : domain::LinkedAccount{};
  }

  // The stored cursor of a consumer, or kNoCursor.
  std::string Cursor(const std::string& consumer = "default",
                     const std::string& account_id = "acc_a") {
    auto c = m_.sync_cursors.GetSyncCursor("proj_a", account_id, consumer);
    EXPECT_TRUE(c) << c.error().message;
    return c && *c ? **c : kNoCursor;
  }

  void PutCursor(const std::string& cursor, const std::string& consumer = "default") {
    ASSERT_TRUE(m_.sync_cursors.PutSyncCursor("proj_a", "acc_a", consumer, cursor, clock_.Now()));
  }

  Result<Ran> Run(std::string_view action, std::string_view input_json = "{}",
                  const std::string& account_id = "acc_a",
                  const std::string& project_id = "proj_a") {
    auto input = ParseJson(input_json);
    EXPECT_TRUE(input && input->is_object()) << input_json;
    return RunOn(*runner_, project_id, account_id, action,
                 input && input->is_object() ? input->as_object() : json::object{});
  }

  Result<Ran> Sync(std::string_view input_json = "{}") {
    return Run("plaid_sync_transactions", input_json);
  }

  FakeClock clock_;
  SeededRandom random_{11};
  fakes::FakePlaid plaid_;
  LinkSettings settings_;
  store::MemoryStores m_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<ActionPipeline> runner_;
  domain::LinkedAccount account_;
};

// --- Run: bodies

TEST_F(ActionPipelineTest, RunInjectsTheAccessTokenAndReturnsPlaidsAnswer) {
  auto r = Run("plaid_list_accounts");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->next.has_value());
  ASSERT_TRUE(r->data.is_object());
  EXPECT_EQ(GetString(r->data.as_object(), "request_id"), "req-accounts");
  auto calls = plaid_.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].endpoint, "/accounts/get");
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken}}));
}

TEST_F(ActionPipelineTest, RunMovesOptionFieldsUnderOptions) {
  ASSERT_TRUE(Run("plaid_get_balances",
                  R"({"account_ids": ["plaid-acc-1"],
                      "min_last_updated_datetime": "2026-01-31T12:00:00Z"})"));
  auto calls = plaid_.CallsTo("/accounts/balance/get");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].body,
            (json::object{
                {"access_token", kToken},
                {"options", json::object{{"account_ids", json::array{"plaid-acc-1"}},
                                         {"min_last_updated_datetime", "2026-01-31T12:00:00Z"}}}}));
}

TEST_F(ActionPipelineTest, InstitutionActionsSendCountryCodesAndNoAccessToken) {
  ASSERT_TRUE(Run("plaid_get_institution", R"({"include_status": true})"));
  ASSERT_TRUE(Run("plaid_get_institution",
                  R"({"institution_id": "ins_3", "include_optional_metadata": true})"));
  ASSERT_TRUE(
      Run("plaid_search_institutions",
          R"({"query": "Platypus", "products": ["auth"], "include_optional_metadata": true})"));
  auto by_id = plaid_.CallsTo("/institutions/get_by_id");
  ASSERT_EQ(by_id.size(), 2u);
  // The account's own institution by default.
  EXPECT_EQ(by_id[0].body, (json::object{{"institution_id", "ins_109508"},
                                         {"country_codes", json::array{"US"}},
                                         {"options", json::object{{"include_status", true}}}}));
  EXPECT_EQ(by_id[1].body,
            (json::object{{"institution_id", "ins_3"},
                          {"country_codes", json::array{"US"}},
                          {"options", json::object{{"include_optional_metadata", true}}}}));
  auto search = plaid_.CallsTo("/institutions/search");
  ASSERT_EQ(search.size(), 1u);
  EXPECT_EQ(search[0].body,
            (json::object{{"query", "Platypus"},
                          {"products", json::array{"auth"}},
                          {"country_codes", json::array{"US"}},
                          {"options", json::object{{"include_optional_metadata", true}}}}));
}

TEST_F(ActionPipelineTest, RefreshIsAPlainCallWithTheToken) {
  ASSERT_TRUE(Run("plaid_refresh_transactions"));
  auto calls = plaid_.CallsTo("/transactions/refresh");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken}}));
}

TEST_F(ActionPipelineTest, EachAccountGetsItsOwnToken) {
  AddAccount("proj_a", "acc_other", "access-sandbox-other", "item-other", {"transactions"});
  ASSERT_TRUE(Run("plaid_get_item", "{}", "acc_other"));
  ASSERT_TRUE(Run("plaid_get_item"));
  auto calls = plaid_.CallsTo("/item/get");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(GetString(calls[0].body, "access_token"), "access-sandbox-other");
  EXPECT_EQ(GetString(calls[1].body, "access_token"), kToken);
}

// --- Run: refusals before Plaid is called

TEST_F(ActionPipelineTest, SchemaErrorsNameTheFieldAndCallNothing) {
  struct Case {
    const char* action;
    const char* input;
    const char* message;
  };
  const Case cases[] = {
      {"plaid_list_transactions", R"({"end_date": "2026-01-31"})", "start_date is required"},
      {"plaid_list_transactions", R"({"start_date": "Jan 1", "end_date": "2026-01-31"})",
       "start_date must be a date like 2026-01-31"},
      {"plaid_list_accounts", R"({"bogus": 1})", "bogus is not a known field"},
      {"plaid_sync_transactions", R"({"count": 501})", "count must be at most 500"},
      {"plaid_list_accounts", R"({"access_token": "access-sandbox-stolen"})",
       "access_token is not a known field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto r = Run(c.action, c.input);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr(c.message));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, AnUnknownActionIsNotFound) {
  auto r = Run("plaid_transfer_money");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("plaid_transfer_money"));
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, AKeysLimitsRefuseOtherActionsBeforeAnythingIsCalled) {
  domain::KeyLimits listed;
  listed.actions = std::vector<std::string>{"plaid_get_item"};
  auto limits = std::make_shared<const domain::KeyLimits>(listed);
  auto refused = runner_->Run(ActionRequest{"proj_a", "acc_a", "plaid_list_accounts", {}, limits});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(refused.error().message, HasSubstr("plaid_list_accounts"));
  EXPECT_THAT(refused.error().message, HasSubstr("plaid_get_item"));
  EXPECT_TRUE(runner_->Run(ActionRequest{"proj_a", "acc_a", "plaid_get_item", {}, limits}));

  domain::KeyLimits reads;
  reads.read_only = true;
  auto read_only = runner_->Run(ActionRequest{"proj_a",
                                              "acc_a",
                                              "plaid_refresh_transactions",
                                              {},
                                              std::make_shared<const domain::KeyLimits>(reads)});
  ASSERT_FALSE(read_only);
  EXPECT_EQ(read_only.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(read_only.error().message, HasSubstr("read-only"));
  EXPECT_EQ(plaid_.CallsTo("/transactions/refresh").size(), 0u);
  EXPECT_EQ(plaid_.CallsTo("/accounts/get").size(), 0u);

  // The proxy reaches only what an allowed action would call.
  auto proxied = runner_->Proxy("proj_a", "acc_a", "/accounts/get", {}, listed, "");
  ASSERT_FALSE(proxied);
  EXPECT_EQ(proxied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(runner_->Proxy("proj_a", "acc_a", "/item/get", {}, listed, ""));
  EXPECT_FALSE(runner_->Proxy("proj_a", "acc_a", "/transactions/refresh", {}, reads, ""));
}

TEST_F(ActionPipelineTest, TheCallLogRecordsTheDoorAndTheRequest) {
  BatchedCallLog log(m_.call_log, std::chrono::hours(1));
  runner_ = MakePipeline(plaid_, nullptr, &log);
  ActionRequest from_mcp{"proj_a", "acc_a", "plaid_get_item", {}};
  from_mcp.via = door::kMcp;
  from_mcp.request_id = "req-mcp-1";
  ASSERT_TRUE(runner_->Run(from_mcp));
  ASSERT_TRUE(runner_->Run(ActionRequest{"proj_a", "acc_a", "plaid_list_accounts", {}}));
  ASSERT_TRUE(runner_->Proxy("proj_a", "acc_a", "/item/get", {}, {}, "req-proxy-1"));
  ASSERT_TRUE(log.Flush());
  auto calls = m_.call_log.ListPlaidCalls("proj_a", "acc_a", 10);  // as stored
  ASSERT_TRUE(calls);
  ASSERT_EQ(calls->size(), 3u);
  EXPECT_EQ(calls->at(0).via, "proxy");
  EXPECT_EQ(calls->at(0).linkhub_request_id, "req-proxy-1");
  EXPECT_EQ(calls->at(1).via, "rpc");
  EXPECT_EQ(calls->at(1).linkhub_request_id, "");
  EXPECT_EQ(calls->at(2).via, "mcp");
  EXPECT_EQ(calls->at(2).linkhub_request_id, "req-mcp-1");
}

TEST_F(ActionPipelineTest, AnotherProjectsAccountIsNotFound) {
  auto r = Run("plaid_list_accounts", "{}", "acc_a", "proj_b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  auto missing = Run("plaid_list_accounts", "{}", "acc_missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, AnInactiveAccountIsAFailedPrecondition) {
  AddAccount("proj_a", "acc_inactive", "access-sandbox-x", "item-x", {"transactions"},
             domain::AccountStatus::kInactive);
  auto r = Run("plaid_list_accounts", "{}", "acc_inactive");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("inactive"));
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, AnAccountInErrorStillRuns) {
  AddAccount("proj_a", "acc_err", "access-sandbox-e", "item-e", {"transactions"},
             domain::AccountStatus::kError);
  EXPECT_TRUE(Run("plaid_list_accounts", "{}", "acc_err"));
  EXPECT_EQ(plaid_.Count(), 1);
}

TEST_F(ActionPipelineTest, TheProductsGateNamesTheMissingProductAndCallsNothing) {
  for (const char* action :
       {"plaid_get_auth", "plaid_get_identity", "plaid_list_holdings", "plaid_get_liabilities"}) {
    SCOPED_TRACE(action);
    const plaid::Action* a = plaid::FindAction(action);
    ASSERT_NE(a, nullptr);
    auto r = Run(action);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_THAT(r.error().message, HasSubstr("'" + a->product + "'"));
    EXPECT_THAT(r.error().message, HasSubstr("re-link"));
  }
  auto paged = Run("plaid_list_investment_transactions",
                   R"({"start_date": "2026-01-01", "end_date": "2026-01-31"})");
  ASSERT_FALSE(paged);
  EXPECT_THAT(paged.error().message, HasSubstr("investments"));
  EXPECT_EQ(plaid_.Count(), 0);

  // Linked with auth: it runs.
  AddAccount("proj_a", "acc_auth", "access-sandbox-auth", "item-auth", {"transactions", "auth"});
  EXPECT_TRUE(Run("plaid_get_auth", "{}", "acc_auth"));
  EXPECT_EQ(plaid_.Count("/auth/get"), 1);
}

TEST_F(ActionPipelineTest, ActionsWithoutAProductNeedNone) {
  AddAccount("proj_a", "acc_none", "access-sandbox-n", "item-n", {});
  EXPECT_TRUE(Run("plaid_list_accounts", "{}", "acc_none"));
  EXPECT_TRUE(Run("plaid_get_item", "{}", "acc_none"));
  auto tx = Run("plaid_sync_transactions", "{}", "acc_none");
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(tx.error().message, HasSubstr("transactions"));
}

TEST_F(ActionPipelineTest, SupportsFollowsTheLinkedProducts) {
  domain::LinkedAccount a;
  a.products = {"transactions", "auth"};
  EXPECT_TRUE(plaid::Supports(a.products, *plaid::FindAction("plaid_get_auth")));
  EXPECT_TRUE(plaid::Supports(a.products, *plaid::FindAction("plaid_sync_transactions")));
  EXPECT_TRUE(plaid::Supports(a.products, *plaid::FindAction("plaid_list_accounts")));
  EXPECT_FALSE(plaid::Supports(a.products, *plaid::FindAction("plaid_get_identity")));
  EXPECT_FALSE(plaid::Supports(a.products, *plaid::FindAction("plaid_list_holdings")));
}

// --- Run: the account's status follows Plaid's answers

TEST_F(ActionPipelineTest, ItemLoginRequiredPutsTheAccountInErrorUntilACallSucceeds) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  clock_.Advance(std::chrono::minutes(5));
  auto r = Run("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(r.error().provider->error_type, "ITEM_ERROR");
  EXPECT_EQ(r.error().provider->request_id, "req-ITEM_LOGIN_REQUIRED");

  domain::LinkedAccount broken = Stored();
  EXPECT_EQ(broken.status, domain::AccountStatus::kError);
  ASSERT_EQ(broken.status_reasons.size(), 1u);
  EXPECT_EQ(broken.status_reasons[0].code, "login_required");
  EXPECT_THAT(broken.status_reasons[0].description, HasSubstr("re-link"));
  EXPECT_EQ(broken.status_reasons[0].timestamp, clock_.Now());
  EXPECT_EQ(broken.updated_at, clock_.Now());
  EXPECT_FALSE(broken.access_token_sealed.empty());  // the token is kept for update mode

  clock_.Advance(std::chrono::minutes(5));
  auto fixed = Run("plaid_list_accounts");
  ASSERT_TRUE(fixed) << fixed.error().message;
  domain::LinkedAccount active = Stored();
  EXPECT_EQ(active.status, domain::AccountStatus::kActive);
  EXPECT_THAT(active.status_reasons, IsEmpty());
  EXPECT_EQ(active.updated_at, clock_.Now());
}

TEST_F(ActionPipelineTest, InvalidAccessTokenMakesTheAccountInactive) {
  plaid_.QueueError("/item/get", PlaidError(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN"));
  auto r = Run("plaid_get_item");
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->error_code, "INVALID_ACCESS_TOKEN");
  domain::LinkedAccount gone = Stored();
  EXPECT_EQ(gone.status, domain::AccountStatus::kInactive);
  ASSERT_EQ(gone.status_reasons.size(), 1u);
  EXPECT_EQ(gone.status_reasons[0].code, "INVALID_ACCESS_TOKEN");

  // From now on nothing reaches Plaid for it.
  auto after = Run("plaid_get_item");
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(plaid_.Count(), 1);
}

TEST_F(ActionPipelineTest, ItemNotFoundMakesTheAccountInactive) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_NOT_FOUND"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  EXPECT_EQ(Stored().status, domain::AccountStatus::kInactive);
}

TEST_F(ActionPipelineTest, OtherErrorsLeaveTheStatusAlone) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"));
  plaid_.QueueError("/accounts/get", PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR"));
  plaid_.QueueError("/accounts/get", MakeError(ErrorCode::kUnavailable, "connection reset"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(Run("plaid_list_accounts"));
  }
  domain::LinkedAccount a = Stored();
  EXPECT_EQ(a.status, domain::AccountStatus::kActive);
  EXPECT_THAT(a.status_reasons, IsEmpty());
  EXPECT_EQ(a.updated_at, account_.updated_at);
}

TEST_F(ActionPipelineTest, ErrorsComeBackWithPlaidsCode) {
  plaid_.QueueError("/accounts/get", PlaidError(429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT"));
  auto r = Run("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->http_status, 429);
}

TEST_F(ActionPipelineTest, ALaterItemErrorReplacesTheStatusReason) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ACCESS_NOT_GRANTED"));
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  domain::LinkedAccount first = Stored();
  EXPECT_EQ(first.status, domain::AccountStatus::kError);
  ASSERT_EQ(first.status_reasons.size(), 1u);
  EXPECT_EQ(first.status_reasons[0].code, "ACCESS_NOT_GRANTED");

  EXPECT_FALSE(Run("plaid_list_accounts"));
  domain::LinkedAccount second = Stored();
  EXPECT_EQ(second.status, domain::AccountStatus::kError);
  ASSERT_EQ(second.status_reasons.size(), 1u);
  // The reason says what is wrong now, not what was wrong before.
  EXPECT_EQ(second.status_reasons[0].code, "login_required");
}

TEST_F(ActionPipelineTest, ACallThatDoesNotUseTheItemDoesNotClearItsError) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  ASSERT_EQ(Stored().status, domain::AccountStatus::kError);
  // Institution look-ups send no access token: their success says nothing about the Item.
  ASSERT_TRUE(Run("plaid_get_institution"));
  ASSERT_TRUE(Run("plaid_search_institutions", R"({"query": "Platypus"})"));
  domain::LinkedAccount still = Stored();
  EXPECT_EQ(still.status, domain::AccountStatus::kError);
  ASSERT_EQ(still.status_reasons.size(), 1u);
  EXPECT_EQ(still.status_reasons[0].code, "login_required");
}

TEST_F(ActionPipelineTest, AStatusChangeKeepsEditsMadeWhileTheCallRan) {
  // While Plaid is being called, the account is edited (a PATCH of its label, or display
  // details filled in by another thread).
  plaid_.OnCall([&](std::string_view) {
    domain::LinkedAccount edited = Stored();
    edited.label = "Renamed meanwhile";
    edited.institution_name = "Platypus Bank (renamed)";
    ASSERT_TRUE(m_.accounts.UpdateAccount(edited));
  });
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  domain::LinkedAccount after = Stored();
  EXPECT_EQ(after.status, domain::AccountStatus::kError);
  EXPECT_THAT(after.label, Optional(std::string("Renamed meanwhile")));
  EXPECT_THAT(after.institution_name, Optional(std::string("Platypus Bank (renamed)")));
}

// --- Run: Plaid's per-Item budget

TEST_F(ActionPipelineTest,
       TheRateBudgetRefusesTheSixteenthAccountsGetInAMinuteWithoutCallingPlaid) {
  plaid::RateBudget budget(clock_);
  auto runner = MakePipeline(plaid_, &budget);
  for (int i = 0; i < 15; ++i) {
    auto r = RunOn(*runner, "proj_a", "acc_a", "plaid_list_accounts", json::object{});
    ASSERT_TRUE(r) << i << ": " << r.error().message;
  }
  auto refused = RunOn(*runner, "proj_a", "acc_a", "plaid_list_accounts", json::object{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_FALSE(refused.error().provider.has_value());
  EXPECT_EQ(Detail(refused.error(), "retry_after_seconds"), "60");
  EXPECT_EQ(plaid_.Count("/accounts/get"), 15);
  EXPECT_EQ(Stored().status,
            domain::AccountStatus::kActive);  // a refusal of ours says nothing about the Item

  // Another Item, or another endpoint of the same Item, is not held back.
  AddAccount("proj_a", "acc_b", "access-sandbox-b", "item-b", {"transactions"});
  EXPECT_TRUE(RunOn(*runner, "proj_a", "acc_b", "plaid_list_accounts", json::object{}));
  EXPECT_TRUE(RunOn(*runner, "proj_a", "acc_a", "plaid_get_item", json::object{}));
  EXPECT_EQ(plaid_.Count("/accounts/get"), 16);

  clock_.Advance(std::chrono::seconds(60));
  EXPECT_TRUE(RunOn(*runner, "proj_a", "acc_a", "plaid_list_accounts", json::object{}));
}

TEST_F(ActionPipelineTest, RetriesSpendTheItemsBudgetAndStopWhenItIsSpent) {
  plaid::RateBudget budget(clock_);
  plaid::RetryPolicy policy;
  policy.max_attempts = 4;
  plaid::RetryingPlaidClient retrying(plaid_, clock_, random_, policy,
                                      [](std::chrono::milliseconds) {});
  auto runner = MakePipeline(retrying, &budget);
  const Error down = PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN");
  for (int i = 0; i < 20; ++i) {
    plaid_.QueueError("/accounts/get", down);
  }
  // 15 /accounts/get a minute: three calls of four attempts, then the fourth call's first
  // attempt and two retries; its third retry is refused, and so is a fifth call.
  for (int call = 0; call < 4; ++call) {
    auto r = RunOn(*runner, "proj_a", "acc_a", "plaid_list_accounts", json::object{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << call;
  }
  EXPECT_EQ(plaid_.Count("/accounts/get"), 15);
  auto refused = RunOn(*runner, "proj_a", "acc_a", "plaid_list_accounts", json::object{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(plaid_.Count("/accounts/get"), 15);
}

TEST_F(ActionPipelineTest, TheRateBudgetCoversEverySyncPage) {
  plaid::RateBudget budget(clock_);
  auto runner = MakePipeline(plaid_, &budget);
  plaid_.SetAnswer(std::string(kSync), SyncPage({"t"}, {}, {}, "c-more", true));
  json::object input;
  auto r = RunOn(*runner, "proj_a", "acc_a", "plaid_sync_transactions", input);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(plaid_.Count(kSync), 50);
  EXPECT_EQ(Cursor(), kNoCursor);
}

// --- Run: offset paging

TEST_F(ActionPipelineTest, OffsetPagingReturnsNextWhileThereIsMore) {
  plaid_.Queue("/transactions/get", TransactionsPage(0, 2, 5));
  plaid_.Queue("/transactions/get", TransactionsPage(2, 2, 5));
  plaid_.Queue("/transactions/get", TransactionsPage(4, 1, 5));
  const std::string dates = R"("start_date": "2026-01-01", "end_date": "2026-01-31")";

  auto first = Run("plaid_list_transactions", "{" + dates + R"(, "count": 2})");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_THAT(first->next, Optional(std::string("o:2")));
  EXPECT_THAT(Ids(first->data, "transactions"), ElementsAre("t0", "t1"));

  auto second = Run("plaid_list_transactions", "{" + dates + R"(, "count": 2, "next": "o:2"})");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_THAT(second->next, Optional(std::string("o:4")));

  auto last = Run("plaid_list_transactions", "{" + dates + R"(, "count": 2, "next": "o:4"})");
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->next, std::nullopt);
  EXPECT_THAT(Ids(last->data, "transactions"), ElementsAre("t4"));

  auto calls = plaid_.CallsTo("/transactions/get");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken},
                                         {"start_date", "2026-01-01"},
                                         {"end_date", "2026-01-31"},
                                         {"options", json::object{{"count", 2}, {"offset", 0}}}}));
  EXPECT_EQ(calls[1].body, (json::object{{"access_token", kToken},
                                         {"start_date", "2026-01-01"},
                                         {"end_date", "2026-01-31"},
                                         {"options", json::object{{"count", 2}, {"offset", 2}}}}));
  EXPECT_EQ(*GetInt(*GetObject(calls[2].body, "options"), "offset"), 4);
  for (const auto& c : calls) {
    EXPECT_EQ(Find(c.body, "next"), nullptr);  // the hub's own field never reaches Plaid
  }
}

TEST_F(ActionPipelineTest, OffsetPagingStartsAtTheGivenOffset) {
  plaid_.Queue("/transactions/get", TransactionsPage(3, 2, 10));
  auto r = Run("plaid_list_transactions",
               R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "offset": 3})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(r->next, Optional(std::string("o:5")));
  EXPECT_EQ(*GetInt(*GetObject(plaid_.CallsTo("/transactions/get")[0].body, "options"), "offset"),
            3);
}

TEST_F(ActionPipelineTest, OffsetPagingEndsOnAnEmptyPage) {
  plaid_.Queue("/transactions/get", TransactionsPage(0, 0, 7));  // total says more, page says none
  auto r = Run("plaid_list_transactions",
               R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "next": "o:3"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->next, std::nullopt);
}

TEST_F(ActionPipelineTest, OffsetPagingOfInvestmentTransactionsUsesItsOwnKeys) {
  AddAccount("proj_a", "acc_inv", "access-sandbox-inv", "item-inv", {"investments"});
  json::array items{json::object{{"investment_transaction_id", "i1"}},
                    json::object{{"investment_transaction_id", "i2"}}};
  plaid_.Queue("/investments/transactions/get", json::object{{"investment_transactions", items},
                                                             {"total_investment_transactions", 3}});
  plaid_.Queue("/investments/transactions/get",
               json::object{{"investment_transactions", json::array{items[0]}},
                            {"total_investment_transactions", 3}});
  const std::string input = R"("start_date": "2026-01-01", "end_date": "2026-01-31")";
  auto first = Run("plaid_list_investment_transactions", "{" + input + "}", "acc_inv");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_THAT(first->next, Optional(std::string("o:2")));
  auto second =
      Run("plaid_list_investment_transactions", "{" + input + R"(, "next": "o:2"})", "acc_inv");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->next, std::nullopt);
}

TEST_F(ActionPipelineTest, ABadNextIsAnInvalidArgument) {
  for (const char* next :
       {"2", "o:", "o:-1", "o:2x", "x:2", "o: 2", "O:2", "o:99999999999999999999999"}) {
    SCOPED_TRACE(next);
    json::object input{{"start_date", "2026-01-01"}, {"end_date", "2026-01-31"}, {"next", next}};
    auto r = RunOn(*runner_, "proj_a", "acc_a", "plaid_list_transactions", input);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("next"));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

// --- Run: transaction sync with hub-kept cursors

TEST_F(ActionPipelineTest, SyncReadsEveryPageAndStoresTheCursorOnlyAtTheEnd) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1", "t2"}, {}, {}, "c1", true));
  plaid_.Queue(std::string(kSync), SyncPage({"t3"}, {"t0"}, {}, "c2", true));
  plaid_.Queue(std::string(kSync), SyncPage({}, {"t1"}, {"t-old"}, "c3", false));
  std::vector<std::string> stored_during;
  plaid_.OnCall([&](std::string_view) { stored_during.push_back(Cursor()); });

  auto r = Sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->next.has_value());
  const json::object& data = r->data.as_object();
  EXPECT_THAT(Ids(data, "added"), ElementsAre("t1", "t2", "t3"));
  EXPECT_THAT(Ids(data, "modified"), ElementsAre("t0", "t1"));
  EXPECT_THAT(Ids(data, "removed"), ElementsAre("t-old"));
  EXPECT_EQ(GetString(data, "next_cursor"), "c3");
  EXPECT_EQ(GetBool(data, "has_more"), false);
  EXPECT_EQ(GetInt(data, "pages"), 3);
  EXPECT_EQ(GetInt(data, "restarts"), 0);
  EXPECT_EQ(GetString(data, "transactions_update_status"), "HISTORICAL_UPDATE_COMPLETE");
  ASSERT_NE(GetArray(data, "accounts"), nullptr);
  EXPECT_EQ(GetArray(data, "accounts")->size(), 1u);

  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-", "c1", "c2"));
  auto calls = plaid_.CallsTo(kSync);
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken}, {"count", 100}}));
  EXPECT_EQ(calls[1].body,
            (json::object{{"access_token", kToken}, {"count", 100}, {"cursor", "c1"}}));
  // Nothing was stored while pages were being read.
  EXPECT_THAT(stored_during, ElementsAre(kNoCursor, kNoCursor, kNoCursor));
  EXPECT_EQ(Cursor(), "c3");
}

TEST_F(ActionPipelineTest, TheNextSyncStartsFromTheStoredCursor) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "c2", false));
  ASSERT_TRUE(Sync());
  EXPECT_EQ(Cursor(), "c1");
  auto second = Sync(R"({"count": 25})");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_THAT(Ids(second->data, "added"), ElementsAre("t2"));
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-", "c1"));
  EXPECT_EQ(GetInt(plaid_.CallsTo(kSync)[1].body, "count"), 25);
  EXPECT_EQ(Cursor(), "c2");
}

TEST_F(ActionPipelineTest, AnUnchangedCursorIsNotRewritten) {
  PutCursor("c1");
  plaid_.Queue(std::string(kSync), SyncPage({}, {}, {}, "c1", false));
  auto r = Sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(r->data.as_object(), "next_cursor"), "c1");
  EXPECT_EQ(Cursor(), "c1");
}

TEST_F(ActionPipelineTest, AMutationDuringPaginationRestartsFromTheFirstCursor) {
  PutCursor("c0");
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", true));
  plaid_.QueueError(std::string(kSync), PlaidError(400, "TRANSACTIONS_ERROR",
                                                   "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1b", true));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {"t1"}, {}, "c2", false));

  auto r = Sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("c0", "c1", "c0", "c1b"));
  const json::object& data = r->data.as_object();
  EXPECT_EQ(GetInt(data, "restarts"), 1);
  EXPECT_EQ(GetInt(data, "pages"), 2);
  EXPECT_THAT(Ids(data, "added"), ElementsAre("t1", "t2"));  // t1 once, not twice
  EXPECT_THAT(Ids(data, "modified"), ElementsAre("t1"));
  EXPECT_EQ(GetString(data, "next_cursor"), "c2");
  EXPECT_EQ(Cursor(), "c2");
}

TEST_F(ActionPipelineTest, RepeatedMutationsGiveUpAfterThreeRestartsAndStoreNothing) {
  PutCursor("c0");
  for (int i = 0; i < 6; ++i) {
    plaid_.Queue(std::string(kSync), SyncPage({"t" + std::to_string(i)}, {}, {}, "c1", true));
    plaid_.QueueError(
        std::string(kSync),
        PlaidError(400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"));
  }
  auto r = Sync();
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->error_code, "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION");
  EXPECT_EQ(plaid_.Count(kSync), 8);  // the first attempt and three restarts, two pages each
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("c0", "c1", "c0", "c1", "c0", "c1", "c0", "c1"));
  EXPECT_EQ(Cursor(), "c0");
}

TEST_F(ActionPipelineTest, AnErrorMidUpdateStoresNothing) {
  PutCursor("c0");
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", true));
  plaid_.QueueError(std::string(kSync), PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR"));
  auto r = Sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUpstream);
  EXPECT_EQ(Cursor(), "c0");

  // The next sync reads the whole update again.
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  ASSERT_TRUE(Sync());
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("c0", "c1", "c0"));
  EXPECT_EQ(Cursor(), "c1");
}

TEST_F(ActionPipelineTest, AnEmptyNextCursorMeansNotReadyAndStoresNothing) {
  json::object not_ready = SyncPage({}, {}, {}, "", false);
  not_ready["transactions_update_status"] = "NOT_READY";
  plaid_.Queue(std::string(kSync), not_ready);
  auto r = Sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(r->data.as_object(), "next_cursor"), "");
  EXPECT_EQ(GetString(r->data.as_object(), "transactions_update_status"), "NOT_READY");
  EXPECT_EQ(Cursor(), kNoCursor);

  // With a stored cursor, an empty next_cursor leaves it as it was.
  PutCursor("c5");
  plaid_.Queue(std::string(kSync), not_ready);
  ASSERT_TRUE(Sync());
  EXPECT_EQ(Cursor(), "c5");
}

TEST_F(ActionPipelineTest, ACallersOwnCursorLeavesTheStoredOneAlone) {
  PutCursor("c-stored");
  plaid_.Queue(std::string(kSync), SyncPage({"t9"}, {}, {}, "c-mine-2", false));
  auto r = Sync(R"({"cursor": "c-mine"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(r->data.as_object(), "next_cursor"), "c-mine-2");
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("c-mine"));
  EXPECT_EQ(Cursor(), "c-stored");

  // An empty own cursor reads from the beginning, still without touching the stored one.
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-all", false));
  ASSERT_TRUE(Sync(R"({"cursor": ""})"));
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("c-mine", "-"));
  EXPECT_EQ(Cursor(), "c-stored");
}

TEST_F(ActionPipelineTest, ResetStartsFromTheBeginning) {
  PutCursor("c-old");
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-new", false));
  auto r = Sync(R"({"reset": true})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-"));
  EXPECT_EQ(Find(plaid_.CallsTo(kSync)[0].body, "reset"), nullptr);
  EXPECT_EQ(Cursor(), "c-new");
}

TEST_F(ActionPipelineTest, ConsumersKeepIndependentCursors) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "ca1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "cb1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "ca2", false));
  ASSERT_TRUE(Sync(R"({"consumer": "warehouse"})"));
  ASSERT_TRUE(Sync(R"({"consumer": "alerts"})"));
  ASSERT_TRUE(Sync(R"({"consumer": "warehouse"})"));
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-", "-", "ca1"));
  EXPECT_EQ(Cursor("warehouse"), "ca2");
  EXPECT_EQ(Cursor("alerts"), "cb1");
  EXPECT_EQ(Cursor("default"), kNoCursor);
  for (const auto& c : plaid_.CallsTo(kSync)) {
    EXPECT_EQ(Find(c.body, "consumer"), nullptr);
  }
}

TEST_F(ActionPipelineTest, AnAccountFilterSendsOptionsAndKeepsItsOwnCursor) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-all", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-acc1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "c-acc1-b", false));
  ASSERT_TRUE(Sync());
  ASSERT_TRUE(Sync(R"({"account_id": "plaid-acc-1"})"));
  ASSERT_TRUE(Sync(R"({"account_id": "plaid-acc-1"})"));
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-", "-", "c-acc1"));
  auto calls = plaid_.CallsTo(kSync);
  EXPECT_EQ(calls[1].body,
            (json::object{{"access_token", kToken},
                          {"count", 100},
                          {"options", json::object{{"account_id", "plaid-acc-1"}}}}));
  EXPECT_EQ(Cursor(), "c-all");
}

TEST_F(ActionPipelineTest, AConsumerNamedLikeAFilteredCursorDoesNotShareIt) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-filtered", false));
  ASSERT_TRUE(Sync(R"({"account_id": "plaid-acc-1"})"));
  // A consumer's name is the caller's choice; it must not reach the cursor of a filtered sync
  // (a cursor Plaid bound to options.account_id): names are plain, so none can spell that key.
  auto named = Sync(R"({"consumer": "default|account:plaid-acc-1"})");
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(named.error().message, HasSubstr("consumer"));
  plaid_.Queue(std::string(kSync), SyncPage({}, {}, {}, "c-filtered-2", false));
  ASSERT_TRUE(Sync(R"({"account_id": "plaid-acc-1"})"));
  EXPECT_EQ(SyncCursors(plaid_).back(), "c-filtered");
}

TEST_F(ActionPipelineTest, CursorsBelongToTheirAccount) {
  AddAccount("proj_a", "acc_b", "access-sandbox-b", "item-b", {"transactions"});
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-a", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-b", false));
  ASSERT_TRUE(Sync());
  ASSERT_TRUE(Run("plaid_sync_transactions", "{}", "acc_b"));
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-", "-"));
  EXPECT_EQ(Cursor("default", "acc_a"), "c-a");
  EXPECT_EQ(Cursor("default", "acc_b"), "c-b");
}

TEST_F(ActionPipelineTest, ConcurrentSyncsOfOneConsumerNeverStartFromTheSameCursor) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "c2", false));
  plaid_.Block(std::string(kSync));
  Result<Ran> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<Ran> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = RunOn(*runner_, "proj_a", "acc_a", "plaid_sync_transactions", {}); });
  ASSERT_TRUE(plaid_.WaitForCalls(1));
  std::thread b(
      [&] { second = RunOn(*runner_, "proj_a", "acc_a", "plaid_sync_transactions", {}); });
  plaid_.Release(std::string(kSync));
  a.join();
  b.join();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  // The second started from the cursor the first stored, not from the same one.
  EXPECT_THAT(SyncCursors(plaid_), ElementsAre("-", "c1"));
  EXPECT_THAT(Ids(first->data, "added"), ElementsAre("t1"));
  EXPECT_THAT(Ids(second->data, "added"), ElementsAre("t2"));
  EXPECT_EQ(Cursor(), "c2");
}

TEST_F(ActionPipelineTest, SyncsOfDifferentConsumersRunConcurrently) {
  plaid_.SetAnswer(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  plaid_.Block(std::string(kSync));
  Result<Ran> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<Ran> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] {
    first = RunOn(*runner_, "proj_a", "acc_a", "plaid_sync_transactions",
                  json::object{{"consumer", "one"}});
  });
  ASSERT_TRUE(plaid_.WaitForCalls(1));
  std::thread b([&] {
    second = RunOn(*runner_, "proj_a", "acc_a", "plaid_sync_transactions",
                   json::object{{"consumer", "two"}});
  });
  EXPECT_TRUE(plaid_.WaitForCalls(2));  // not serialised behind the other consumer
  plaid_.Release(std::string(kSync));
  a.join();
  b.join();
  EXPECT_TRUE(first);
  EXPECT_TRUE(second);
  EXPECT_EQ(Cursor("one"), "c1");
  EXPECT_EQ(Cursor("two"), "c1");
}

// --- Proxy

TEST_F(ActionPipelineTest, ProxyRefusesEndpointsOutsideTheAllowList) {
  for (const char* endpoint :
       {"/item/remove", "/item/public_token/exchange", "/link/token/create",
        "/sandbox/public_token/create", "/institutions/search", "/institutions/get_by_id",
        "/processor/token/create", "/accounts/get/../item/remove", ""}) {
    SCOPED_TRACE(endpoint);
    auto r = ProxyOn(*runner_, "proj_a", "acc_a", endpoint, json::object{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(ActionPipeline::IsProxyEndpoint(endpoint));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, ProxyEndpointsAreTheCataloguesTokenEndpoints) {
  for (const char* endpoint :
       {"/accounts/get", "/accounts/balance/get", "/auth/get", "/transactions/sync",
        "/transactions/get", "/transactions/refresh", "/identity/get", "/investments/holdings/get",
        "/investments/transactions/get", "/liabilities/get", "/item/get"}) {
    EXPECT_TRUE(ActionPipeline::IsProxyEndpoint(endpoint)) << endpoint;
  }
}

TEST_F(ActionPipelineTest, ProxyRefusesCredentialsInTheBody) {
  for (const char* key : {"access_token", "client_id", "secret"}) {
    SCOPED_TRACE(key);
    auto r = ProxyOn(*runner_, "proj_a", "acc_a", "/accounts/get", json::object{{key, "x"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr(key));
    EXPECT_THAT(r.error().message, Not(HasSubstr(kToken)));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, ProxyInjectsTheAccessTokenAndReturnsPlaidsAnswer) {
  json::object body{{"options", json::object{{"account_ids", json::array{"plaid-acc-1"}}}}};
  auto r = ProxyOn(*runner_, "proj_a", "acc_a", "/accounts/get", body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(*r, "request_id"), "req-accounts");
  auto calls = plaid_.CallsTo("/accounts/get");
  ASSERT_EQ(calls.size(), 1u);
  json::object expected = body;
  expected["access_token"] = kToken;
  EXPECT_EQ(calls[0].body, expected);
}

TEST_F(ActionPipelineTest, ProxyAppliesTheProductsGate) {
  auto r = ProxyOn(*runner_, "proj_a", "acc_a", "/auth/get", json::object{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("'auth'"));
  auto liabilities = ProxyOn(*runner_, "proj_a", "acc_a", "/liabilities/get", json::object{});
  ASSERT_FALSE(liabilities);
  EXPECT_THAT(liabilities.error().message, HasSubstr("liabilities"));
  EXPECT_EQ(plaid_.Count(), 0);
  plaid_.SetAnswer("/transactions/get", TransactionsPage(0, 1, 1));
  EXPECT_TRUE(ProxyOn(*runner_, "proj_a", "acc_a", "/transactions/get",
                      json::object{{"start_date", "2026-01-01"}, {"end_date", "2026-01-31"}}));
  EXPECT_EQ(plaid_.Count("/transactions/get"), 1);
}

TEST_F(ActionPipelineTest, ProxySeesOnlyTheCallersActiveAccounts) {
  auto other = ProxyOn(*runner_, "proj_b", "acc_a", "/accounts/get", json::object{});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  AddAccount("proj_a", "acc_inactive", "access-sandbox-x", "item-x", {"transactions"},
             domain::AccountStatus::kInactive);
  auto inactive = ProxyOn(*runner_, "proj_a", "acc_inactive", "/accounts/get", json::object{});
  ASSERT_FALSE(inactive);
  EXPECT_EQ(inactive.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionPipelineTest, ProxyUpdatesTheAccountStatusAndUsesTheBudget) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  auto r = ProxyOn(*runner_, "proj_a", "acc_a", "/accounts/get", json::object{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(Stored().status, domain::AccountStatus::kError);

  plaid::RateBudget budget(clock_);
  auto runner = MakePipeline(plaid_, &budget);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ProxyOn(*runner, "proj_a", "acc_a", "/accounts/balance/get", json::object{}));
  }
  EXPECT_EQ(Stored().status,
            domain::AccountStatus::kActive);  // a successful call cleared the error
  auto refused = ProxyOn(*runner, "proj_a", "acc_a", "/accounts/balance/get", json::object{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(plaid_.Count("/accounts/balance/get"), 5);
}

// --- WriteEnvelope

TEST(WriteEnvelopeTest, WrapsTheDataAndTheNextCursor) {
  EXPECT_EQ(WriteEnvelope(ActionOutcome{R"({"a":1})", std::nullopt}),
            R"({"data":{"a":1},"next":null})");
  EXPECT_EQ(WriteEnvelope(ActionOutcome{"[]", std::string("o:25")}),
            R"({"data":[],"next":"o:25"})");
  // A cursor is written as a JSON string, whatever it holds.
  EXPECT_EQ(WriteEnvelope(ActionOutcome{"{}", std::string("a\"b")}),
            R"({"data":{},"next":"a\"b"})");
}

// --- AccountCache

TEST_F(ActionPipelineTest, TheAccountCacheServesARecentReadUntilAWriteOrItsLifeEnds) {
  AccountCache cache(m_.accounts, *keys_, clock_);
  EXPECT_EQ(cache.Lookup("proj_a", "acc_a"), nullptr);  // never read
  auto loaded = cache.Load("proj_a", "acc_a");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)->access_token, kToken);
  auto hit = cache.Lookup("proj_a", "acc_a");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->account.id, "acc_a");
  EXPECT_EQ(cache.Lookup("proj_b", "acc_a"), nullptr);  // another project's key
  EXPECT_EQ(cache.Load("proj_b", "acc_a").error().code, ErrorCode::kNotFound);

  // Past half its life one caller is sent to read it again; the others keep the copy.
  clock_.Advance(AccountCache::kTtl / 2 + std::chrono::milliseconds(1));
  EXPECT_EQ(cache.Lookup("proj_a", "acc_a"), nullptr);
  EXPECT_NE(cache.Lookup("proj_a", "acc_a"), nullptr);
  // Nobody renewed it: at the end of its life nobody gets it.
  clock_.Advance(AccountCache::kTtl / 2);
  EXPECT_EQ(cache.Lookup("proj_a", "acc_a"), nullptr);
  EXPECT_EQ(cache.Lookup("proj_a", "acc_a"), nullptr);
  ASSERT_TRUE(cache.Load("proj_a", "acc_a"));
  EXPECT_NE(cache.Lookup("proj_a", "acc_a"), nullptr);

  // Any write through the store ends every cached read.
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_a", domain::AccountStatus::kSuspended, {},
                                           clock_.Now()));
  EXPECT_EQ(cache.Lookup("proj_a", "acc_a"), nullptr);
  auto suspended = cache.Load("proj_a", "acc_a");
  ASSERT_TRUE(suspended);
  EXPECT_TRUE(
      (*suspended)->access_token.empty());  // no token opened for an account that cannot run
}

// --- Start: the I/O thread's door

class StartTest : public ActionPipelineTest {
 protected:
  void SetUp() override {
    ActionPipelineTest::SetUp();
    plaid::PlaidConfig config;
    config.base_url = "http://plaid.test";
    config.client_id = "client";
    config.secret = "secret";
    async_ = std::make_unique<plaid::AsyncPlaidClient>(http_, clock_, config);
    plaid::RetryPolicy policy;
    policy.base_delay = std::chrono::milliseconds(1);
    retrying_ = std::make_unique<plaid::RetryingPlaidClient>(
        plaid_, clock_, random_, policy,
        [this](std::chrono::milliseconds d) { clock_.Advance(d); });
    Rebuild(nullptr, nullptr);
  }

  // The pipeline afresh, with `budget` and `log`, both transports, and an offload that counts.
  void Rebuild(plaid::RateBudget* budget, CallLog* log) {
    runner_ = MakePipeline(*retrying_, budget, log, [this](const std::function<void()>& work) {
      ++offloaded_;
      work();
    });
    runner_->EnableAsync(*async_, *retrying_);
  }

  // Start() with `input`; the outcome it answered (every door here answers before returning).
  Result<ActionOutcome> Start(std::string_view action, std::string_view input_json = "{}",
                              const std::string& account_id = "acc_a") {
    auto input = ParseJson(input_json);
    EXPECT_TRUE(input && input->is_object());
    std::optional<Result<ActionOutcome>> out;
    runner_->Start(ActionRequest{"proj_a", account_id, std::string(action), input->as_object()},
                   [&out](Result<ActionOutcome> r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value()) << "Start did not answer";
    return out ? std::move(*out) : Unexpected(MakeError(ErrorCode::kInternal, "no answer"));
  }

  fakes::ScriptedAsyncHttp http_;
  std::unique_ptr<plaid::AsyncPlaidClient> async_;
  std::unique_ptr<plaid::RetryingPlaidClient> retrying_;
  int offloaded_ = 0;
};

TEST_F(StartTest, AnAccountNotReadYetIsPlannedAfreshOnThePoolThenSentFromTheIoThread) {
  auto first = Start("plaid_list_accounts");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(offloaded_, 1);      // no cached read: Run() on the handler pool
  EXPECT_EQ(plaid_.Count(), 1);  // through the blocking transport
  EXPECT_TRUE(http_.requests().empty());

  const std::string answer = R"({"accounts":[],"item":{"item_id":"item-a"},"request_id":"r-1"})";
  http_.Answer(200, answer);
  auto second = Start("plaid_list_accounts");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->data, answer);  // Plaid's bytes, as sent
  EXPECT_EQ(second->next, std::nullopt);
  EXPECT_EQ(offloaded_, 1);
  EXPECT_EQ(plaid_.Count(), 1);
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, "http://plaid.test/accounts/get");
  EXPECT_EQ(requests[0].body, R"({"access_token":"access-sandbox-a"})");
  EXPECT_EQ(requests[0].headers.Get("PLAID-SECRET").value_or(""), "secret");
}

TEST_F(StartTest, EveryReadThatIsOneCallGoesAsynchronouslyWithRunsBody) {
  ASSERT_TRUE(Start("plaid_list_accounts"));  // reads the account
  http_.Answer(200, R"({"accounts":[]})");
  ASSERT_TRUE(Start("plaid_get_balances", R"({"account_ids":["x"]})"));
  EXPECT_EQ(http_.requests().back().body,
            R"({"access_token":"access-sandbox-a","options":{"account_ids":["x"]}})");
  // An offset page: the same body as Run() sends, and `next` from the answer's counts.
  http_.Answer(200, R"({"transactions":[{"transaction_id":"t0"},{"transaction_id":"t1"}],)"
                    R"("accounts":[],"total_transactions":5})");
  auto page = Start("plaid_list_transactions",
                    R"({"start_date":"2026-01-01","end_date":"2026-02-01","count":2})");
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->next, std::optional<std::string>("o:2"));
  EXPECT_EQ(http_.requests().back().body,
            R"({"access_token":"access-sandbox-a","start_date":"2026-01-01",)"
            R"("end_date":"2026-02-01","options":{"count":2,"offset":0}})");
  // An institution look-up needs no token: the account's institution and the countries.
  http_.Answer(200, R"({"institution":{"name":"First Platypus"}})");
  ASSERT_TRUE(Start("plaid_get_institution"));
  EXPECT_EQ(http_.requests().back().body,
            R"({"country_codes":["US"],"institution_id":"ins_109508"})");
  EXPECT_EQ(offloaded_, 1);
  EXPECT_EQ(plaid_.Count(), 1);
}

TEST_F(StartTest, ErrorsKnownFromMemoryAreAnsweredInPlaceAsRunAnswersThem) {
  ASSERT_TRUE(Start("plaid_list_accounts"));
  for (auto [action, input, code] :
       {std::tuple{"plaid_get_balances", R"({"account_ids":"x"})", ErrorCode::kInvalidArgument},
        std::tuple{"plaid_no_such_action", "{}", ErrorCode::kNotFound},
        std::tuple{"plaid_list_holdings", "{}", ErrorCode::kFailedPrecondition}}) {
    SCOPED_TRACE(action);
    auto started = Start(action, input);
    auto ran =
        runner_->Run(ActionRequest{"proj_a", "acc_a", action, ParseJson(input)->as_object()});
    ASSERT_FALSE(started);
    ASSERT_FALSE(ran);
    EXPECT_EQ(started.error().code, code);
    EXPECT_EQ(started.error().message, ran.error().message);
  }
  EXPECT_EQ(offloaded_, 1);
  EXPECT_TRUE(http_.requests().empty());
  EXPECT_EQ(plaid_.Count(), 1);
}

TEST_F(StartTest, ASyncAndAWriteGoOnThePoolWithThePlanMade) {
  ASSERT_TRUE(Start("plaid_list_accounts"));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  auto sync = Start("plaid_sync_transactions");
  ASSERT_TRUE(sync) << sync.error().message;
  auto refresh = Start("plaid_refresh_transactions");
  ASSERT_TRUE(refresh) << refresh.error().message;
  EXPECT_EQ(offloaded_, 3);
  EXPECT_EQ(plaid_.Count(std::string(kSync)), 1);
  EXPECT_EQ(plaid_.Count("/transactions/refresh"), 1);  // once, on the blocking transport
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(StartTest, AWriteThroughTheStoreSendsTheNextStartToAFreshRead) {
  ASSERT_TRUE(Start("plaid_list_accounts"));
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_a", domain::AccountStatus::kSuspended, {},
                                           clock_.Now()));
  auto r = Start("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("suspended"));
  EXPECT_EQ(offloaded_, 2);
  // Suspended in the cache too: never planned from it.
  ASSERT_FALSE(Start("plaid_list_accounts"));
  EXPECT_EQ(offloaded_, 3);
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(StartTest, AnItemErrorGoesOnOnThePoolAndSetsTheStatus) {
  ASSERT_TRUE(Start("plaid_list_accounts"));
  http_.Answer(400, R"({"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED",)"
                    R"("error_message":"log in again","request_id":"r-err"})");
  auto r = Start("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(offloaded_, 2);
  EXPECT_EQ(plaid_.Count(), 1);  // not retried
  EXPECT_EQ(Stored().status, domain::AccountStatus::kError);
  // An account in error is read afresh and its recovery written back.
  ASSERT_TRUE(Start("plaid_list_accounts"));
  EXPECT_EQ(offloaded_, 3);
  EXPECT_EQ(Stored().status, domain::AccountStatus::kActive);
}

TEST_F(StartTest, ATransientErrorIsRetriedOnTheBlockingTransport) {
  ASSERT_TRUE(Start("plaid_list_accounts"));
  http_.Answer(429, R"({"error_type":"RATE_LIMIT_EXCEEDED","error_code":"RATE_LIMIT",)"
                    R"("error_message":"slow down","request_id":"r-429"})");
  auto r = Start("plaid_list_accounts");
  ASSERT_TRUE(r) << r.error().message;
  auto parsed = ParseJson(r->data);
  ASSERT_TRUE(parsed && parsed->is_object());
  EXPECT_EQ(GetString(parsed->as_object(), "request_id"), "req-accounts");
  EXPECT_EQ(offloaded_, 2);
  EXPECT_EQ(plaid_.Count(), 2);  // the first read, then the retry
  EXPECT_EQ(plaid_.Calls().back().body, (json::object{{"access_token", kToken}}));
}

TEST_F(StartTest, AnAnswerThatIsNotAJsonObjectIsAnUpstreamError) {
  ASSERT_TRUE(Start("plaid_list_accounts"));
  http_.Answer(200, "[1,2]");
  auto r = Start("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUpstream);
}

TEST_F(StartTest, TheRateBudgetIsSpentAndRefusedInPlace) {
  plaid::RateBudget budget(clock_);
  Rebuild(&budget, nullptr);
  ASSERT_TRUE(Start("plaid_list_accounts"));  // the read spends one
  int taken = 0;
  for (int i = 0; i < 20; ++i) {
    http_.Answer(200, R"({"accounts":[]})");
    auto r = Start("plaid_list_accounts");
    if (r) {
      ++taken;
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
      EXPECT_FALSE(DetailText(r.error(), "retry_after_seconds").empty());
    }
  }
  EXPECT_EQ(taken, 14);  // Plaid's 15 /accounts/get per Item per minute
  EXPECT_EQ(offloaded_, 1);
  EXPECT_EQ(http_.requests().size(), 14u);
}

TEST_F(StartTest, EveryCallIsLoggedForItsAccount) {
  BatchedCallLog log(m_.call_log, std::chrono::hours(1));
  Rebuild(nullptr, &log);
  ASSERT_TRUE(Start("plaid_list_accounts"));
  http_.Answer(200, R"({"accounts":[],"request_id":"r-fast"})");
  ASSERT_TRUE(Start("plaid_list_accounts"));
  http_.Answer(400, R"({"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED",)"
                    R"("error_message":"log in again","request_id":"r-err"})");
  ASSERT_FALSE(Start("plaid_list_accounts"));
  auto calls = log.List("proj_a", "acc_a", 10);
  ASSERT_TRUE(calls) << calls.error().message;
  ASSERT_EQ(calls->size(), 3u);
  EXPECT_EQ(calls->at(0).request_id, "r-err");
  EXPECT_EQ(calls->at(0).http_status, 400);
  EXPECT_EQ(calls->at(0).error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(calls->at(1).request_id, "r-fast");
  EXPECT_EQ(calls->at(1).http_status, 200);
  EXPECT_EQ(calls->at(1).endpoint, "/accounts/get");
  EXPECT_EQ(calls->at(2).request_id, "req-accounts");
  EXPECT_TRUE(log.List("proj_b", "acc_a", 10)->empty());
}

TEST_F(StartTest, WithoutTheAsynchronousTransportEverythingRunsOnThePool) {
  runner_ = MakePipeline(*retrying_, nullptr, nullptr, [this](const std::function<void()>& work) {
    ++offloaded_;
    work();
  });
  ASSERT_TRUE(Start("plaid_list_accounts"));
  ASSERT_TRUE(Start("plaid_list_accounts"));
  EXPECT_EQ(offloaded_, 2);
  EXPECT_EQ(plaid_.Count(), 2);
  EXPECT_TRUE(http_.requests().empty());
}

}  // namespace
}  // namespace linkhub::hub
