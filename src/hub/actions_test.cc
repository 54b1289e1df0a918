// Tests of ActionRunner (actions.cc): running catalogue actions and proxied calls on linked
// accounts against a scripted Plaid, a real SQLite store and real keys.
#include "hub/actions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/json.h"
#include "plaid/http_plaid_client.h"
#include "plaid/retrying_plaid_client.h"
#include "store/sqlite_hub_store.h"
#include "store/sqlite_project_store.h"
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

Error PlaidError(int status, const std::string& type, const std::string& code) {
  return plaid::ErrorForPlaid(status, json::object{{"error_type", type},
                                                   {"error_code", code},
                                                   {"error_message", "scripted " + code},
                                                   {"request_id", "req-" + code}});
}

// A scripted Plaid: a queue of answers per endpoint (used first), then a canned answer per
// endpoint. Records every call; can hold calls to an endpoint until released, and run a hook
// when a call arrives.
class FakePlaid final : public plaid::PlaidClient {
 public:
  struct Recorded {
    std::string endpoint;
    json::object body;
  };

  Result<json::object> Call(std::string_view endpoint, const json::object& body) override {
    std::function<void()> hook;
    {
      std::unique_lock lock(mu_);
      calls_.push_back({std::string(endpoint), body});
      cv_.notify_all();
      cv_.wait(lock, [&] { return !blocked_.contains(std::string(endpoint)); });
      hook = on_call_;
    }
    if (hook) {
      hook();
    }
    std::lock_guard lock(mu_);
    if (auto q = queues_.find(std::string(endpoint)); q != queues_.end() && !q->second.empty()) {
      Result<json::object> r = std::move(q->second.front());
      q->second.pop_front();
      return r;
    }
    if (auto it = answers_.find(std::string(endpoint)); it != answers_.end()) {
      return it->second;
    }
    return Unexpected(MakeError(ErrorCode::kInternal,
                                "fake Plaid: no answer scripted for " + std::string(endpoint)));
  }

  void SetAnswer(const std::string& endpoint, json::object answer) {
    std::lock_guard lock(mu_);
    answers_[endpoint] = std::move(answer);
  }
  void Queue(const std::string& endpoint, json::object answer) {
    std::lock_guard lock(mu_);
    queues_[endpoint].emplace_back(std::move(answer));
  }
  void QueueError(const std::string& endpoint, Error e) {
    std::lock_guard lock(mu_);
    queues_[endpoint].emplace_back(Unexpected(std::move(e)));
  }
  void OnCall(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_call_ = std::move(hook);
  }
  void Block(const std::string& endpoint) {
    std::lock_guard lock(mu_);
    blocked_.insert(endpoint);
  }
  void Release(const std::string& endpoint) {
    {
      std::lock_guard lock(mu_);
      blocked_.erase(endpoint);
    }
    cv_.notify_all();
  }
  // Waits until `n` calls have arrived; false after `timeout`.
  bool WaitForCalls(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
  }

  std::vector<Recorded> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<Recorded> CallsTo(std::string_view endpoint) {
    std::vector<Recorded> out;
    for (auto& c : calls()) {
      if (c.endpoint == endpoint) {
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  int Count() { return static_cast<int>(calls().size()); }
  int Count(std::string_view endpoint) { return static_cast<int>(CallsTo(endpoint).size()); }
  // The cursor of each /transactions/sync call, "-" when the body had none.
  std::vector<std::string> SyncCursors() {
    std::vector<std::string> out;
    for (const auto& c : CallsTo(kSync)) {
      out.emplace_back(GetString(c.body, "cursor").value_or("-"));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Recorded> calls_;
  std::map<std::string, std::deque<Result<json::object>>> queues_;
  std::map<std::string, json::object> answers_;
  std::set<std::string> blocked_;
  std::function<void()> on_call_;
};

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

class ActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = store::MigratedMemoryDb();
    projects_ = std::make_unique<store::SqliteProjectStore>(*db_);
    ASSERT_TRUE(projects_->CreateProject("proj_a", "Acme", clock_.Now()));
    ASSERT_TRUE(projects_->CreateProject("proj_b", "Beta", clock_.Now()));
    store_ = std::make_unique<store::SqliteHubStore>(*db_);
    auto keys = Keys::Open(kMasterKey, *projects_, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    runner_ = std::make_unique<ActionRunner>(*store_, *keys_, plaid_, nullptr, clock_, settings_);

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

  // Stores a linked account the way the exchange does (sealed token and item id), through
  // BeginExchange + CompleteExchange.
  store::LinkedAccount AddAccount(const std::string& project_id, const std::string& id,
                                  const std::string& access_token, const std::string& item_id,
                                  const std::vector<std::string>& products,
                                  const std::string& status = "active") {
    store::PendingExchange pending;
    pending.id = "exch_" + id;
    pending.project_id = project_id;
    pending.session_id = 1;
    pending.public_token_hash = keys_->Hash("public-sandbox-" + id);
    pending.account_id = id;
    pending.origin_owner_id = "owner-1";
    pending.created_at = clock_.Now();
    EXPECT_TRUE(store_->BeginExchange(pending));

    store::LinkedAccount a;
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
    Status done = store_->CompleteExchange(pending.id, a, clock_.Now());
    EXPECT_TRUE(done) << done.error().message;
    auto stored = store_->GetAccount(project_id, id);
    EXPECT_TRUE(stored);
    return stored ? *stored : a;
  }

  store::LinkedAccount Stored(const std::string& id = "acc_a") {
    auto a = store_->GetAccount("proj_a", id);
    EXPECT_TRUE(a) << a.error().message;
    return a ? *a : store::LinkedAccount{};
  }

  // The stored cursor of a consumer, or kNoCursor.
  std::string Cursor(const std::string& consumer = "default",
                     const std::string& account_id = "acc_a") {
    auto c = store_->GetSyncCursor("proj_a", account_id, consumer);
    EXPECT_TRUE(c) << c.error().message;
    return c && *c ? **c : kNoCursor;
  }

  void PutCursor(const std::string& cursor, const std::string& consumer = "default") {
    ASSERT_TRUE(store_->PutSyncCursor("proj_a", "acc_a", consumer, cursor, clock_.Now()));
  }

  Result<ActionResult> Run(std::string_view action, std::string_view input_json = "{}",
                           const std::string& account_id = "acc_a",
                           const std::string& project_id = "proj_a") {
    auto input = ParseJson(input_json);
    EXPECT_TRUE(input && input->is_object()) << input_json;
    return runner_->Run(project_id, account_id, action,
                        input && input->is_object() ? input->as_object() : json::object{});
  }

  Result<ActionResult> Sync(std::string_view input_json = "{}") {
    return Run("plaid_sync_transactions", input_json);
  }

  FakeClock clock_;
  SeededRandom random_{11};
  FakePlaid plaid_;
  LinkSettings settings_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<store::SqliteProjectStore> projects_;
  std::unique_ptr<store::SqliteHubStore> store_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<ActionRunner> runner_;
  store::LinkedAccount account_;
};

// --- Run: bodies

TEST_F(ActionsTest, RunInjectsTheAccessTokenAndReturnsPlaidsAnswer) {
  auto r = Run("plaid_list_accounts");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->next.has_value());
  ASSERT_TRUE(r->data.is_object());
  EXPECT_EQ(GetString(r->data.as_object(), "request_id"), "req-accounts");
  auto calls = plaid_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].endpoint, "/accounts/get");
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken}}));
}

TEST_F(ActionsTest, RunMovesOptionFieldsUnderOptions) {
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

TEST_F(ActionsTest, InstitutionActionsSendCountryCodesAndNoAccessToken) {
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

TEST_F(ActionsTest, RefreshIsAPlainCallWithTheToken) {
  ASSERT_TRUE(Run("plaid_refresh_transactions"));
  auto calls = plaid_.CallsTo("/transactions/refresh");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken}}));
}

TEST_F(ActionsTest, EachAccountGetsItsOwnToken) {
  AddAccount("proj_a", "acc_other", "access-sandbox-other", "item-other", {"transactions"});
  ASSERT_TRUE(Run("plaid_get_item", "{}", "acc_other"));
  ASSERT_TRUE(Run("plaid_get_item"));
  auto calls = plaid_.CallsTo("/item/get");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(GetString(calls[0].body, "access_token"), "access-sandbox-other");
  EXPECT_EQ(GetString(calls[1].body, "access_token"), kToken);
}

// --- Run: refusals before Plaid is called

TEST_F(ActionsTest, SchemaErrorsNameTheFieldAndCallNothing) {
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

TEST_F(ActionsTest, AnUnknownActionIsNotFound) {
  auto r = Run("plaid_transfer_money");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("plaid_transfer_money"));
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionsTest, AnotherProjectsAccountIsNotFound) {
  auto r = Run("plaid_list_accounts", "{}", "acc_a", "proj_b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  auto missing = Run("plaid_list_accounts", "{}", "acc_missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionsTest, AnInactiveAccountIsAFailedPrecondition) {
  AddAccount("proj_a", "acc_inactive", "access-sandbox-x", "item-x", {"transactions"}, "inactive");
  auto r = Run("plaid_list_accounts", "{}", "acc_inactive");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("inactive"));
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionsTest, AnAccountInErrorStillRuns) {
  AddAccount("proj_a", "acc_err", "access-sandbox-e", "item-e", {"transactions"}, "error");
  EXPECT_TRUE(Run("plaid_list_accounts", "{}", "acc_err"));
  EXPECT_EQ(plaid_.Count(), 1);
}

TEST_F(ActionsTest, TheProductsGateNamesTheMissingProductAndCallsNothing) {
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

TEST_F(ActionsTest, ActionsWithoutAProductNeedNone) {
  AddAccount("proj_a", "acc_none", "access-sandbox-n", "item-n", {});
  EXPECT_TRUE(Run("plaid_list_accounts", "{}", "acc_none"));
  EXPECT_TRUE(Run("plaid_get_item", "{}", "acc_none"));
  auto tx = Run("plaid_sync_transactions", "{}", "acc_none");
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(tx.error().message, HasSubstr("transactions"));
}

TEST_F(ActionsTest, SupportsFollowsTheLinkedProducts) {
  store::LinkedAccount a;
  a.products = {"transactions", "auth"};
  EXPECT_TRUE(ActionRunner::Supports(a, *plaid::FindAction("plaid_get_auth")));
  EXPECT_TRUE(ActionRunner::Supports(a, *plaid::FindAction("plaid_sync_transactions")));
  EXPECT_TRUE(ActionRunner::Supports(a, *plaid::FindAction("plaid_list_accounts")));
  EXPECT_FALSE(ActionRunner::Supports(a, *plaid::FindAction("plaid_get_identity")));
  EXPECT_FALSE(ActionRunner::Supports(a, *plaid::FindAction("plaid_list_holdings")));
}

// --- Run: the account's status follows Plaid's answers

TEST_F(ActionsTest, ItemLoginRequiredPutsTheAccountInErrorUntilACallSucceeds) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  clock_.Advance(std::chrono::minutes(5));
  auto r = Run("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(r.error().provider->error_type, "ITEM_ERROR");
  EXPECT_EQ(r.error().provider->request_id, "req-ITEM_LOGIN_REQUIRED");

  store::LinkedAccount broken = Stored();
  EXPECT_EQ(broken.status, "error");
  ASSERT_EQ(broken.status_reasons.size(), 1u);
  EXPECT_EQ(broken.status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
  EXPECT_THAT(broken.status_reasons[0].description, HasSubstr("re-link"));
  EXPECT_EQ(broken.status_reasons[0].timestamp, clock_.Now());
  EXPECT_EQ(broken.updated_at, clock_.Now());
  EXPECT_FALSE(broken.access_token_sealed.empty());  // the token is kept for update mode

  clock_.Advance(std::chrono::minutes(5));
  auto fixed = Run("plaid_list_accounts");
  ASSERT_TRUE(fixed) << fixed.error().message;
  store::LinkedAccount active = Stored();
  EXPECT_EQ(active.status, "active");
  EXPECT_THAT(active.status_reasons, IsEmpty());
  EXPECT_EQ(active.updated_at, clock_.Now());
}

TEST_F(ActionsTest, InvalidAccessTokenMakesTheAccountInactive) {
  plaid_.QueueError("/item/get", PlaidError(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN"));
  auto r = Run("plaid_get_item");
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->error_code, "INVALID_ACCESS_TOKEN");
  store::LinkedAccount gone = Stored();
  EXPECT_EQ(gone.status, "inactive");
  ASSERT_EQ(gone.status_reasons.size(), 1u);
  EXPECT_EQ(gone.status_reasons[0].code, "INVALID_ACCESS_TOKEN");

  // From now on nothing reaches Plaid for it.
  auto after = Run("plaid_get_item");
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(plaid_.Count(), 1);
}

TEST_F(ActionsTest, ItemNotFoundMakesTheAccountInactive) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_NOT_FOUND"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  EXPECT_EQ(Stored().status, "inactive");
}

TEST_F(ActionsTest, OtherErrorsLeaveTheStatusAlone) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"));
  plaid_.QueueError("/accounts/get", PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR"));
  plaid_.QueueError("/accounts/get", MakeError(ErrorCode::kUnavailable, "connection reset"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(Run("plaid_list_accounts"));
  }
  store::LinkedAccount a = Stored();
  EXPECT_EQ(a.status, "active");
  EXPECT_THAT(a.status_reasons, IsEmpty());
  EXPECT_EQ(a.updated_at, account_.updated_at);
}

TEST_F(ActionsTest, ErrorsComeBackWithPlaidsCode) {
  plaid_.QueueError("/accounts/get", PlaidError(429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT"));
  auto r = Run("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(r.error().provider.has_value());
  EXPECT_EQ(r.error().provider->http_status, 429);
}

TEST_F(ActionsTest, ALaterItemErrorReplacesTheStatusReason) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ACCESS_NOT_GRANTED"));
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  store::LinkedAccount first = Stored();
  EXPECT_EQ(first.status, "error");
  ASSERT_EQ(first.status_reasons.size(), 1u);
  EXPECT_EQ(first.status_reasons[0].code, "ACCESS_NOT_GRANTED");

  EXPECT_FALSE(Run("plaid_list_accounts"));
  store::LinkedAccount second = Stored();
  EXPECT_EQ(second.status, "error");
  ASSERT_EQ(second.status_reasons.size(), 1u);
  // The reason says what is wrong now, not what was wrong before.
  EXPECT_EQ(second.status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
}

TEST_F(ActionsTest, ACallThatDoesNotUseTheItemDoesNotClearItsError) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  ASSERT_EQ(Stored().status, "error");
  // Institution look-ups send no access token: their success says nothing about the Item.
  ASSERT_TRUE(Run("plaid_get_institution"));
  ASSERT_TRUE(Run("plaid_search_institutions", R"({"query": "Platypus"})"));
  store::LinkedAccount still = Stored();
  EXPECT_EQ(still.status, "error");
  ASSERT_EQ(still.status_reasons.size(), 1u);
  EXPECT_EQ(still.status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
}

TEST_F(ActionsTest, AStatusChangeKeepsEditsMadeWhileTheCallRan) {
  // While Plaid is being called, the account is edited (a PATCH of its label, or display
  // details filled in by another thread).
  plaid_.OnCall([&] {
    store::LinkedAccount edited = Stored();
    edited.label = "Renamed meanwhile";
    edited.institution_name = "Platypus Bank (renamed)";
    ASSERT_TRUE(store_->UpdateAccount(edited));
  });
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  EXPECT_FALSE(Run("plaid_list_accounts"));
  store::LinkedAccount after = Stored();
  EXPECT_EQ(after.status, "error");
  EXPECT_THAT(after.label, Optional(std::string("Renamed meanwhile")));
  EXPECT_THAT(after.institution_name, Optional(std::string("Platypus Bank (renamed)")));
}

// --- Run: Plaid's per-Item budget

TEST_F(ActionsTest, TheRateBudgetRefusesTheSixteenthAccountsGetInAMinuteWithoutCallingPlaid) {
  plaid::RateBudget budget(clock_);
  ActionRunner runner(*store_, *keys_, plaid_, &budget, clock_, settings_);
  for (int i = 0; i < 15; ++i) {
    auto r = runner.Run("proj_a", "acc_a", "plaid_list_accounts", json::object{});
    ASSERT_TRUE(r) << i << ": " << r.error().message;
  }
  auto refused = runner.Run("proj_a", "acc_a", "plaid_list_accounts", json::object{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_FALSE(refused.error().provider.has_value());
  EXPECT_EQ(Detail(refused.error(), "retry_after_seconds"), "60");
  EXPECT_EQ(plaid_.Count("/accounts/get"), 15);
  EXPECT_EQ(Stored().status, "active");  // a refusal of ours says nothing about the Item

  // Another Item, or another endpoint of the same Item, is not held back.
  AddAccount("proj_a", "acc_b", "access-sandbox-b", "item-b", {"transactions"});
  EXPECT_TRUE(runner.Run("proj_a", "acc_b", "plaid_list_accounts", json::object{}));
  EXPECT_TRUE(runner.Run("proj_a", "acc_a", "plaid_get_item", json::object{}));
  EXPECT_EQ(plaid_.Count("/accounts/get"), 16);

  clock_.Advance(std::chrono::seconds(60));
  EXPECT_TRUE(runner.Run("proj_a", "acc_a", "plaid_list_accounts", json::object{}));
}

TEST_F(ActionsTest, RetriesSpendTheItemsBudgetAndStopWhenItIsSpent) {
  plaid::RateBudget budget(clock_);
  plaid::RetryPolicy policy;
  policy.max_attempts = 4;
  plaid::RetryingPlaidClient retrying(plaid_, clock_, random_, policy,
                                      [](std::chrono::milliseconds) {});
  ActionRunner runner(*store_, *keys_, retrying, &budget, clock_, settings_);
  const Error down = PlaidError(400, "INSTITUTION_ERROR", "INSTITUTION_DOWN");
  for (int i = 0; i < 20; ++i) {
    plaid_.QueueError("/accounts/get", down);
  }
  // 15 /accounts/get a minute: three calls of four attempts, then the fourth call's first
  // attempt and two retries; its third retry is refused, and so is a fifth call.
  for (int call = 0; call < 4; ++call) {
    auto r = runner.Run("proj_a", "acc_a", "plaid_list_accounts", json::object{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << call;
  }
  EXPECT_EQ(plaid_.Count("/accounts/get"), 15);
  auto refused = runner.Run("proj_a", "acc_a", "plaid_list_accounts", json::object{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(plaid_.Count("/accounts/get"), 15);
}

TEST_F(ActionsTest, TheRateBudgetCoversEverySyncPage) {
  plaid::RateBudget budget(clock_);
  ActionRunner runner(*store_, *keys_, plaid_, &budget, clock_, settings_);
  plaid_.SetAnswer(std::string(kSync), SyncPage({"t"}, {}, {}, "c-more", true));
  json::object input;
  auto r = runner.Run("proj_a", "acc_a", "plaid_sync_transactions", input);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(plaid_.Count(kSync), 50);
  EXPECT_EQ(Cursor(), kNoCursor);
}

// --- Run: offset paging

TEST_F(ActionsTest, OffsetPagingReturnsNextWhileThereIsMore) {
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

TEST_F(ActionsTest, OffsetPagingStartsAtTheGivenOffset) {
  plaid_.Queue("/transactions/get", TransactionsPage(3, 2, 10));
  auto r = Run("plaid_list_transactions",
               R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "offset": 3})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(r->next, Optional(std::string("o:5")));
  EXPECT_EQ(*GetInt(*GetObject(plaid_.CallsTo("/transactions/get")[0].body, "options"), "offset"),
            3);
}

TEST_F(ActionsTest, OffsetPagingEndsOnAnEmptyPage) {
  plaid_.Queue("/transactions/get", TransactionsPage(0, 0, 7));  // total says more, page says none
  auto r = Run("plaid_list_transactions",
               R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "next": "o:3"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->next, std::nullopt);
}

TEST_F(ActionsTest, OffsetPagingOfInvestmentTransactionsUsesItsOwnKeys) {
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

TEST_F(ActionsTest, ABadNextIsAnInvalidArgument) {
  for (const char* next :
       {"2", "o:", "o:-1", "o:2x", "x:2", "o: 2", "O:2", "o:99999999999999999999999"}) {
    SCOPED_TRACE(next);
    json::object input{{"start_date", "2026-01-01"}, {"end_date", "2026-01-31"}, {"next", next}};
    auto r = runner_->Run("proj_a", "acc_a", "plaid_list_transactions", input);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("next"));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

// --- Run: transaction sync with hub-kept cursors

TEST_F(ActionsTest, SyncReadsEveryPageAndStoresTheCursorOnlyAtTheEnd) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1", "t2"}, {}, {}, "c1", true));
  plaid_.Queue(std::string(kSync), SyncPage({"t3"}, {"t0"}, {}, "c2", true));
  plaid_.Queue(std::string(kSync), SyncPage({}, {"t1"}, {"t-old"}, "c3", false));
  std::vector<std::string> stored_during;
  plaid_.OnCall([&] { stored_during.push_back(Cursor()); });

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

  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-", "c1", "c2"));
  auto calls = plaid_.CallsTo(kSync);
  EXPECT_EQ(calls[0].body, (json::object{{"access_token", kToken}, {"count", 100}}));
  EXPECT_EQ(calls[1].body,
            (json::object{{"access_token", kToken}, {"count", 100}, {"cursor", "c1"}}));
  // Nothing was stored while pages were being read.
  EXPECT_THAT(stored_during, ElementsAre(kNoCursor, kNoCursor, kNoCursor));
  EXPECT_EQ(Cursor(), "c3");
}

TEST_F(ActionsTest, TheNextSyncStartsFromTheStoredCursor) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "c2", false));
  ASSERT_TRUE(Sync());
  EXPECT_EQ(Cursor(), "c1");
  auto second = Sync(R"({"count": 25})");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_THAT(Ids(second->data, "added"), ElementsAre("t2"));
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-", "c1"));
  EXPECT_EQ(GetInt(plaid_.CallsTo(kSync)[1].body, "count"), 25);
  EXPECT_EQ(Cursor(), "c2");
}

TEST_F(ActionsTest, AnUnchangedCursorIsNotRewritten) {
  PutCursor("c1");
  plaid_.Queue(std::string(kSync), SyncPage({}, {}, {}, "c1", false));
  auto r = Sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(r->data.as_object(), "next_cursor"), "c1");
  EXPECT_EQ(Cursor(), "c1");
}

TEST_F(ActionsTest, AMutationDuringPaginationRestartsFromTheFirstCursor) {
  PutCursor("c0");
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", true));
  plaid_.QueueError(std::string(kSync), PlaidError(400, "TRANSACTIONS_ERROR",
                                                   "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1b", true));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {"t1"}, {}, "c2", false));

  auto r = Sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("c0", "c1", "c0", "c1b"));
  const json::object& data = r->data.as_object();
  EXPECT_EQ(GetInt(data, "restarts"), 1);
  EXPECT_EQ(GetInt(data, "pages"), 2);
  EXPECT_THAT(Ids(data, "added"), ElementsAre("t1", "t2"));  // t1 once, not twice
  EXPECT_THAT(Ids(data, "modified"), ElementsAre("t1"));
  EXPECT_EQ(GetString(data, "next_cursor"), "c2");
  EXPECT_EQ(Cursor(), "c2");
}

TEST_F(ActionsTest, RepeatedMutationsGiveUpAfterThreeRestartsAndStoreNothing) {
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
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("c0", "c1", "c0", "c1", "c0", "c1", "c0", "c1"));
  EXPECT_EQ(Cursor(), "c0");
}

TEST_F(ActionsTest, AnErrorMidUpdateStoresNothing) {
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
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("c0", "c1", "c0"));
  EXPECT_EQ(Cursor(), "c1");
}

TEST_F(ActionsTest, AnEmptyNextCursorMeansNotReadyAndStoresNothing) {
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

TEST_F(ActionsTest, ACallersOwnCursorLeavesTheStoredOneAlone) {
  PutCursor("c-stored");
  plaid_.Queue(std::string(kSync), SyncPage({"t9"}, {}, {}, "c-mine-2", false));
  auto r = Sync(R"({"cursor": "c-mine"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(r->data.as_object(), "next_cursor"), "c-mine-2");
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("c-mine"));
  EXPECT_EQ(Cursor(), "c-stored");

  // An empty own cursor reads from the beginning, still without touching the stored one.
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-all", false));
  ASSERT_TRUE(Sync(R"({"cursor": ""})"));
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("c-mine", "-"));
  EXPECT_EQ(Cursor(), "c-stored");
}

TEST_F(ActionsTest, ResetStartsFromTheBeginning) {
  PutCursor("c-old");
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-new", false));
  auto r = Sync(R"({"reset": true})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-"));
  EXPECT_EQ(Find(plaid_.CallsTo(kSync)[0].body, "reset"), nullptr);
  EXPECT_EQ(Cursor(), "c-new");
}

TEST_F(ActionsTest, ConsumersKeepIndependentCursors) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "ca1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "cb1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "ca2", false));
  ASSERT_TRUE(Sync(R"({"consumer": "warehouse"})"));
  ASSERT_TRUE(Sync(R"({"consumer": "alerts"})"));
  ASSERT_TRUE(Sync(R"({"consumer": "warehouse"})"));
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-", "-", "ca1"));
  EXPECT_EQ(Cursor("warehouse"), "ca2");
  EXPECT_EQ(Cursor("alerts"), "cb1");
  EXPECT_EQ(Cursor("default"), kNoCursor);
  for (const auto& c : plaid_.CallsTo(kSync)) {
    EXPECT_EQ(Find(c.body, "consumer"), nullptr);
  }
}

TEST_F(ActionsTest, AnAccountFilterSendsOptionsAndKeepsItsOwnCursor) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-all", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-acc1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "c-acc1-b", false));
  ASSERT_TRUE(Sync());
  ASSERT_TRUE(Sync(R"({"account_id": "plaid-acc-1"})"));
  ASSERT_TRUE(Sync(R"({"account_id": "plaid-acc-1"})"));
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-", "-", "c-acc1"));
  auto calls = plaid_.CallsTo(kSync);
  EXPECT_EQ(calls[1].body,
            (json::object{{"access_token", kToken},
                          {"count", 100},
                          {"options", json::object{{"account_id", "plaid-acc-1"}}}}));
  EXPECT_EQ(Cursor(), "c-all");
}

TEST_F(ActionsTest, AConsumerNamedLikeAFilteredCursorDoesNotShareIt) {
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
  EXPECT_EQ(plaid_.SyncCursors().back(), "c-filtered");
}

TEST_F(ActionsTest, CursorsBelongToTheirAccount) {
  AddAccount("proj_a", "acc_b", "access-sandbox-b", "item-b", {"transactions"});
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-a", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c-b", false));
  ASSERT_TRUE(Sync());
  ASSERT_TRUE(Run("plaid_sync_transactions", "{}", "acc_b"));
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-", "-"));
  EXPECT_EQ(Cursor("default", "acc_a"), "c-a");
  EXPECT_EQ(Cursor("default", "acc_b"), "c-b");
}

TEST_F(ActionsTest, ConcurrentSyncsOfOneConsumerNeverStartFromTheSameCursor) {
  plaid_.Queue(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  plaid_.Queue(std::string(kSync), SyncPage({"t2"}, {}, {}, "c2", false));
  plaid_.Block(std::string(kSync));
  Result<ActionResult> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<ActionResult> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = runner_->Run("proj_a", "acc_a", "plaid_sync_transactions", {}); });
  ASSERT_TRUE(plaid_.WaitForCalls(1));
  std::thread b([&] { second = runner_->Run("proj_a", "acc_a", "plaid_sync_transactions", {}); });
  // The second waits for the first instead of calling Plaid with the same cursor.
  EXPECT_FALSE(plaid_.WaitForCalls(2, std::chrono::milliseconds(200)));
  plaid_.Release(std::string(kSync));
  a.join();
  b.join();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_THAT(plaid_.SyncCursors(), ElementsAre("-", "c1"));
  EXPECT_THAT(Ids(first->data, "added"), ElementsAre("t1"));
  EXPECT_THAT(Ids(second->data, "added"), ElementsAre("t2"));
  EXPECT_EQ(Cursor(), "c2");
}

TEST_F(ActionsTest, SyncsOfDifferentConsumersRunConcurrently) {
  plaid_.SetAnswer(std::string(kSync), SyncPage({"t1"}, {}, {}, "c1", false));
  plaid_.Block(std::string(kSync));
  Result<ActionResult> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<ActionResult> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] {
    first = runner_->Run("proj_a", "acc_a", "plaid_sync_transactions",
                         json::object{{"consumer", "one"}});
  });
  ASSERT_TRUE(plaid_.WaitForCalls(1));
  std::thread b([&] {
    second = runner_->Run("proj_a", "acc_a", "plaid_sync_transactions",
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

TEST_F(ActionsTest, ProxyRefusesEndpointsOutsideTheAllowList) {
  for (const char* endpoint :
       {"/item/remove", "/item/public_token/exchange", "/link/token/create",
        "/sandbox/public_token/create", "/institutions/search", "/institutions/get_by_id",
        "/processor/token/create", "/accounts/get/../item/remove", ""}) {
    SCOPED_TRACE(endpoint);
    auto r = runner_->Proxy("proj_a", "acc_a", endpoint, json::object{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(ActionRunner::IsProxyEndpoint(endpoint));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionsTest, ProxyEndpointsAreTheCataloguesTokenEndpoints) {
  for (const char* endpoint :
       {"/accounts/get", "/accounts/balance/get", "/auth/get", "/transactions/sync",
        "/transactions/get", "/transactions/refresh", "/identity/get", "/investments/holdings/get",
        "/investments/transactions/get", "/liabilities/get", "/item/get"}) {
    EXPECT_TRUE(ActionRunner::IsProxyEndpoint(endpoint)) << endpoint;
  }
}

TEST_F(ActionsTest, ProxyRefusesCredentialsInTheBody) {
  for (const char* key : {"access_token", "client_id", "secret"}) {
    SCOPED_TRACE(key);
    auto r = runner_->Proxy("proj_a", "acc_a", "/accounts/get", json::object{{key, "x"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr(key));
    EXPECT_THAT(r.error().message, Not(HasSubstr(kToken)));
  }
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionsTest, ProxyInjectsTheAccessTokenAndReturnsPlaidsAnswer) {
  json::object body{{"options", json::object{{"account_ids", json::array{"plaid-acc-1"}}}}};
  auto r = runner_->Proxy("proj_a", "acc_a", "/accounts/get", body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(GetString(*r, "request_id"), "req-accounts");
  auto calls = plaid_.CallsTo("/accounts/get");
  ASSERT_EQ(calls.size(), 1u);
  json::object expected = body;
  expected["access_token"] = kToken;
  EXPECT_EQ(calls[0].body, expected);
}

TEST_F(ActionsTest, ProxyAppliesTheProductsGate) {
  auto r = runner_->Proxy("proj_a", "acc_a", "/auth/get", json::object{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("'auth'"));
  auto liabilities = runner_->Proxy("proj_a", "acc_a", "/liabilities/get", json::object{});
  ASSERT_FALSE(liabilities);
  EXPECT_THAT(liabilities.error().message, HasSubstr("liabilities"));
  EXPECT_EQ(plaid_.Count(), 0);
  plaid_.SetAnswer("/transactions/get", TransactionsPage(0, 1, 1));
  EXPECT_TRUE(
      runner_->Proxy("proj_a", "acc_a", "/transactions/get",
                     json::object{{"start_date", "2026-01-01"}, {"end_date", "2026-01-31"}}));
  EXPECT_EQ(plaid_.Count("/transactions/get"), 1);
}

TEST_F(ActionsTest, ProxySeesOnlyTheCallersActiveAccounts) {
  auto other = runner_->Proxy("proj_b", "acc_a", "/accounts/get", json::object{});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  AddAccount("proj_a", "acc_inactive", "access-sandbox-x", "item-x", {"transactions"}, "inactive");
  auto inactive = runner_->Proxy("proj_a", "acc_inactive", "/accounts/get", json::object{});
  ASSERT_FALSE(inactive);
  EXPECT_EQ(inactive.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(plaid_.Count(), 0);
}

TEST_F(ActionsTest, ProxyUpdatesTheAccountStatusAndUsesTheBudget) {
  plaid_.QueueError("/accounts/get", PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"));
  auto r = runner_->Proxy("proj_a", "acc_a", "/accounts/get", json::object{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(Stored().status, "error");

  plaid::RateBudget budget(clock_);
  ActionRunner runner(*store_, *keys_, plaid_, &budget, clock_, settings_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(runner.Proxy("proj_a", "acc_a", "/accounts/balance/get", json::object{}));
  }
  EXPECT_EQ(Stored().status, "active");  // a successful call cleared the error
  auto refused = runner.Proxy("proj_a", "acc_a", "/accounts/balance/get", json::object{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(plaid_.Count("/accounts/balance/get"), 5);
}

// --- TryRunFast: the I/O-thread path

// An asynchronous HTTP client that answers at once from a queue, recording each request.
class ScriptedAsyncHttp final : public http::AsyncHttpClient {
 public:
  void SendAsync(http::ClientRequest request, http::SendDone done) override {
    requests.push_back(std::move(request));
    if (answers.empty()) {
      done(Unexpected(MakeError(ErrorCode::kUnavailable, "no answer scripted")));
      return;
    }
    http::ClientResponse r = std::move(answers.front());
    answers.pop_front();
    done(std::move(r));
  }
  void Answer(int status, std::string body) {
    http::ClientResponse r;
    r.status = status;
    r.body = std::move(body);
    answers.push_back(std::move(r));
  }
  std::deque<http::ClientResponse> answers;
  std::vector<http::ClientRequest> requests;
};

class FastPathTest : public ActionsTest {
 protected:
  void SetUp() override {
    ActionsTest::SetUp();
    plaid::PlaidConfig config;
    config.base_url = "http://plaid.test";
    config.client_id = "client";
    config.secret = "secret";
    async_ = std::make_unique<plaid::AsyncPlaidClient>(http_, config);
    plaid::RetryPolicy policy;
    policy.base_delay = std::chrono::milliseconds(1);
    retrying_ = std::make_unique<plaid::RetryingPlaidClient>(plaid_, clock_, random_, policy,
                                                             [](std::chrono::milliseconds) {});
    runner_->EnableFastPath(*async_, *retrying_, [this](std::function<void()> work) {
      ++offloaded_;
      work();
    });
  }

  // TryRunFast with `input`; the answer lands in *out when the path was taken.
  bool Fast(std::string_view action, std::optional<Result<std::string>>* out,
            std::string_view input_json = "{}", const std::string& account_id = "acc_a") {
    auto input = ParseJson(input_json);
    EXPECT_TRUE(input && input->is_object());
    return runner_->TryRunFast("proj_a", account_id, action, input->as_object(),
                               [out](Result<std::string> r) { *out = std::move(r); });
  }

  ScriptedAsyncHttp http_;
  std::unique_ptr<plaid::AsyncPlaidClient> async_;
  std::unique_ptr<plaid::RetryingPlaidClient> retrying_;
  int offloaded_ = 0;
};

TEST_F(FastPathTest, TakesOnlyAnAccountThatRunReadAndPassesPlaidsBytesOn) {
  std::optional<Result<std::string>> out;
  EXPECT_FALSE(Fast("plaid_list_accounts", &out));  // never read: Run() must load it first
  EXPECT_FALSE(out.has_value());
  ASSERT_TRUE(Run("plaid_list_accounts"));

  const std::string answer = R"({"accounts":[],"item":{"item_id":"item-a"},"request_id":"r-1"})";
  http_.Answer(200, answer);
  ASSERT_TRUE(Fast("plaid_list_accounts", &out));
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(*out) << out->error().message;
  EXPECT_EQ(**out, answer);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "http://plaid.test/accounts/get");
  EXPECT_EQ(http_.requests[0].body, R"({"access_token":"access-sandbox-a"})");
  EXPECT_EQ(http_.requests[0].headers.Get("PLAID-SECRET").value_or(""), "secret");
  EXPECT_EQ(plaid_.Count(), 1);  // only Run()'s call went through the blocking client
  EXPECT_EQ(offloaded_, 0);
}

TEST_F(FastPathTest, OptionFieldsAndValidationMatchRun) {
  ASSERT_TRUE(Run("plaid_list_accounts"));
  std::optional<Result<std::string>> out;
  http_.Answer(200, R"({"accounts":[]})");
  ASSERT_TRUE(Fast("plaid_get_balances", &out, R"({"account_ids":["x"]})"));
  EXPECT_EQ(http_.requests.back().body,
            R"({"access_token":"access-sandbox-a","options":{"account_ids":["x"]}})");
  // A bad input, a paged or sync action, an institution look-up: Run() handles them.
  EXPECT_FALSE(Fast("plaid_get_balances", &out, R"({"account_ids":"x"})"));
  EXPECT_FALSE(Fast("plaid_sync_transactions", &out));
  EXPECT_FALSE(Fast("plaid_list_transactions", &out,
                    R"({"start_date":"2026-01-01","end_date":"2026-02-01"})"));
  EXPECT_FALSE(Fast("plaid_get_institution", &out));
  EXPECT_FALSE(Fast("plaid_no_such_action", &out));
  EXPECT_FALSE(Fast("plaid_list_holdings", &out));         // not linked with investments
  EXPECT_FALSE(Fast("plaid_refresh_transactions", &out));  // changes state at Plaid
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(FastPathTest, AnyWriteThroughTheStoreEndsTheCachedRead) {
  ASSERT_TRUE(Run("plaid_list_accounts"));
  ASSERT_TRUE(store_->SetAccountStatus("proj_a", "acc_a", "suspended", {}, clock_.Now()));
  std::optional<Result<std::string>> out;
  EXPECT_FALSE(Fast("plaid_list_accounts", &out));
  auto r = Run("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("suspended"));
  // Still suspended in the cache: declined again, and Run() refuses again.
  EXPECT_FALSE(Fast("plaid_list_accounts", &out));
  EXPECT_EQ(plaid_.Count(), 1);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(FastPathTest, PastHalfItsLifeOneRequestRenewsTheCachedReadThenItExpires) {
  ASSERT_TRUE(Run("plaid_list_accounts"));
  std::this_thread::sleep_for(ActionRunner::kAccountCacheTtl / 2 + std::chrono::milliseconds(20));
  std::optional<Result<std::string>> out;
  EXPECT_FALSE(Fast("plaid_list_accounts", &out));  // this one goes to Run()...
  http_.Answer(200, R"({"accounts":[]})");
  EXPECT_TRUE(Fast("plaid_list_accounts", &out));  // ...the others still use the copy
  std::this_thread::sleep_for(ActionRunner::kAccountCacheTtl / 2);
  EXPECT_FALSE(Fast("plaid_list_accounts", &out));  // expired: nobody renewed it
  ASSERT_TRUE(Run("plaid_list_accounts"));
  http_.Answer(200, R"({"accounts":[]})");
  EXPECT_TRUE(Fast("plaid_list_accounts", &out));
}

TEST_F(FastPathTest, AnItemErrorGoesThroughTheBlockingSideAndSetsTheStatus) {
  ASSERT_TRUE(Run("plaid_list_accounts"));
  http_.Answer(400, R"({"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED",)"
                    R"("error_message":"log in again","request_id":"r-err"})");
  std::optional<Result<std::string>> out;
  ASSERT_TRUE(Fast("plaid_list_accounts", &out));
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(out->error().provider.has_value());
  EXPECT_EQ(out->error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(offloaded_, 1);
  EXPECT_EQ(plaid_.Count(), 1);  // not retried
  EXPECT_EQ(Stored().status, "error");
  // The account is in error now: the fast path leaves it to Run(), which records a recovery.
  EXPECT_FALSE(Fast("plaid_list_accounts", &out));
}

TEST_F(FastPathTest, ATransientErrorIsRetriedOnTheBlockingSide) {
  ASSERT_TRUE(Run("plaid_list_accounts"));
  http_.Answer(429, R"({"error_type":"RATE_LIMIT_EXCEEDED","error_code":"RATE_LIMIT",)"
                    R"("error_message":"slow down","request_id":"r-429"})");
  std::optional<Result<std::string>> out;
  ASSERT_TRUE(Fast("plaid_list_accounts", &out));
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(*out) << out->error().message;
  auto parsed = ParseJson(**out);
  ASSERT_TRUE(parsed && parsed->is_object());
  EXPECT_EQ(GetString(parsed->as_object(), "request_id"), "req-accounts");
  EXPECT_EQ(plaid_.Count(), 2);  // Run()'s call, then the retry
  EXPECT_EQ(plaid_.calls().back().body, (json::object{{"access_token", kToken}}));
}

TEST_F(FastPathTest, AnAnswerThatIsNotAJsonObjectIsAnUpstreamError) {
  ASSERT_TRUE(Run("plaid_list_accounts"));
  http_.Answer(200, "[1,2]");
  std::optional<Result<std::string>> out;
  ASSERT_TRUE(Fast("plaid_list_accounts", &out));
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, ErrorCode::kUpstream);
}

TEST_F(FastPathTest, TheRateBudgetAppliesAndARefusalLeavesItToRun) {
  plaid::RateBudget budget(clock_);
  runner_ = std::make_unique<ActionRunner>(*store_, *keys_, plaid_, &budget, clock_, settings_);
  runner_->EnableFastPath(*async_, *retrying_, [](std::function<void()> work) { work(); });
  ASSERT_TRUE(Run("plaid_list_accounts"));
  std::optional<Result<std::string>> out;
  int taken = 0;
  for (int i = 0; i < 20; ++i) {
    http_.Answer(200, R"({"accounts":[]})");
    taken += Fast("plaid_list_accounts", &out) ? 1 : 0;
  }
  EXPECT_EQ(taken, 14);  // Plaid's 15 /accounts/get per Item per minute, one used by Run()
  auto r = Run("plaid_list_accounts");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(FastPathTest, EveryCallIsLoggedForItsAccount) {
  CallLog log(*store_, std::chrono::hours(1));
  runner_->SetCallLog(&log);
  ASSERT_TRUE(Run("plaid_list_accounts"));
  http_.Answer(200, R"({"accounts":[],"request_id":"r-fast"})");
  std::optional<Result<std::string>> out;
  ASSERT_TRUE(Fast("plaid_list_accounts", &out));
  http_.Answer(400, R"({"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED",)"
                    R"("error_message":"log in again","request_id":"r-err"})");
  ASSERT_TRUE(Fast("plaid_list_accounts", &out));
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

}  // namespace
}  // namespace linkhub::hub
