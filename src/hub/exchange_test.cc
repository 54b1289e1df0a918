// Tests of the crash-safe public-token exchange (exchange.cc) and of the Hub methods that talk to
// Plaid, against a scripted Plaid, a real SQLite store and real keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/json.h"
#include "hub/hub.h"
#include "store/migrations.h"
#include "store/sqlite_hub_store.h"
#include "store/sqlite_project_store.h"
#include "store/test_db.h"

namespace linkhub::hub {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kExchange = "/item/public_token/exchange";
constexpr char kInstitutionId[] = "ins_109508";

// A scripted Plaid: canned answers per endpoint, scripted failures, a record of every call, and
// a gate that holds exchange calls until released.
class FakePlaid final : public plaid::PlaidClient {
 public:
  struct Recorded {
    std::string endpoint;
    boost::json::object body;
  };

  FakePlaid() {
    answers_["/item/get"] = boost::json::object{
        {"item",
         boost::json::object{{"item_id", "item-sandbox-1"},
                             {"institution_id", kInstitutionId},
                             {"products", boost::json::array{"transactions"}},
                             {"consented_products", boost::json::array{"transactions", "auth"}},
                             {"error", nullptr}}},
        {"request_id", "req-item-get"}};
    answers_["/accounts/get"] = boost::json::object{
        {"accounts", boost::json::array{boost::json::object{{"account_id", "plaid-acc-1"},
                                                            {"name", "Plaid Checking"},
                                                            {"mask", "0000"},
                                                            {"type", "depository"},
                                                            {"subtype", "checking"}},
                                        boost::json::object{{"account_id", "plaid-acc-2"},
                                                            {"name", "Plaid Saving"},
                                                            {"mask", "1111"},
                                                            {"type", "depository"},
                                                            {"subtype", "savings"}}}},
        {"request_id", "req-accounts-get"}};
    answers_["/institutions/get_by_id"] = boost::json::object{
        {"institution",
         boost::json::object{{"institution_id", kInstitutionId}, {"name", "First Platypus Bank"}}},
        {"request_id", "req-inst"}};
    answers_["/item/remove"] = boost::json::object{{"request_id", "req-remove"}};
    answers_["/link/token/create"] = boost::json::object{{"link_token", "link-sandbox-abc"},
                                                         {"expiration", "2026-01-01T04:00:00Z"},
                                                         {"request_id", "req-link"}};
  }

  Result<boost::json::object> Call(std::string_view endpoint,
                                   const boost::json::object& body) override {
    std::unique_lock lock(mu_);
    calls_.push_back({std::string(endpoint), body});
    if (endpoint == kExchange) {
      ++exchanges_entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !block_exchange_; });
    }
    if (auto it = failures_.find(std::string(endpoint)); it != failures_.end()) {
      return Unexpected(it->second);
    }
    if (endpoint == kExchange) {
      int n = ++exchanges_answered_;
      return boost::json::object{{"access_token", "access-sandbox-" + std::to_string(n)},
                                 {"item_id", "item-sandbox-" + std::to_string(n)},
                                 {"request_id", "req-exchange"}};
    }
    if (auto it = answers_.find(std::string(endpoint)); it != answers_.end()) {
      return it->second;
    }
    return Unexpected(MakeError(ErrorCode::kInternal, "fake Plaid: no answer scripted"));
  }

  // From now on, exchanged Items are a login at another bank (other institution and masks).
  void UseOtherBank() {
    SetAnswer("/item/get",
              boost::json::object{
                  {"item", boost::json::object{{"institution_id", "ins_other"},
                                               {"products", boost::json::array{"transactions"}},
                                               {"error", nullptr}}}});
    SetAnswer("/accounts/get",
              boost::json::object{
                  {"accounts", boost::json::array{boost::json::object{{"account_id", "other-acc-1"},
                                                                      {"name", "Other Checking"},
                                                                      {"mask", "9999"},
                                                                      {"type", "depository"},
                                                                      {"subtype", "checking"}}}}});
    SetAnswer("/institutions/get_by_id",
              boost::json::object{{"institution", boost::json::object{{"name", "Other Bank"}}}});
  }
  void SetAnswer(const std::string& endpoint, boost::json::object answer) {
    std::lock_guard lock(mu_);
    answers_[endpoint] = std::move(answer);
  }
  // Makes `endpoint` fail with a Plaid error until Succeed(endpoint).
  void FailWithPlaid(const std::string& endpoint, const std::string& error_type,
                     const std::string& error_code, int http_status = 400) {
    std::lock_guard lock(mu_);
    failures_[endpoint] = plaid::ErrorForPlaid(
        http_status, boost::json::object{{"error_type", error_type},
                                         {"error_code", error_code},
                                         {"error_message", "scripted " + error_code},
                                         {"request_id", "req-failed"}});
  }
  // Makes `endpoint` fail as if Plaid could not be reached (no provider error).
  void FailTransport(const std::string& endpoint) {
    std::lock_guard lock(mu_);
    failures_[endpoint] = MakeError(ErrorCode::kUnavailable, "connection reset by peer");
  }
  void Succeed(const std::string& endpoint) {
    std::lock_guard lock(mu_);
    failures_.erase(endpoint);
  }

  void BlockExchange() {
    std::lock_guard lock(mu_);
    block_exchange_ = true;
  }
  void ReleaseExchange() {
    {
      std::lock_guard lock(mu_);
      block_exchange_ = false;
    }
    cv_.notify_all();
  }
  // Waits until `n` exchange calls have reached Plaid.
  void WaitForExchanges(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return exchanges_entered_ >= n; });
  }

  std::vector<Recorded> CallsTo(std::string_view endpoint) {
    std::lock_guard lock(mu_);
    std::vector<Recorded> out;
    for (const auto& c : calls_) {
      if (c.endpoint == endpoint) {
        out.push_back(c);
      }
    }
    return out;
  }
  int Count(std::string_view endpoint) { return static_cast<int>(CallsTo(endpoint).size()); }
  std::vector<std::string> Endpoints() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& c : calls_) {
      out.push_back(c.endpoint);
    }
    return out;
  }
  // The access tokens sent to /item/remove.
  std::vector<std::string> RemovedTokens() {
    std::vector<std::string> out;
    for (const auto& c : CallsTo("/item/remove")) {
      out.emplace_back(GetString(c.body, "access_token").value_or(""));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Recorded> calls_;
  std::map<std::string, boost::json::object> answers_;
  std::map<std::string, Error> failures_;
  bool block_exchange_ = false;
  int exchanges_entered_ = 0;
  int exchanges_answered_ = 0;
};

class RecordingFaultHook final : public FaultHook {
 public:
  void At(std::string_view point) override {
    std::lock_guard lock(mu_);
    points_.emplace_back(point);
  }
  std::vector<std::string> points() {
    std::lock_guard lock(mu_);
    return points_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> points_;
};

// A HubStore that forwards to another and can be told to fail CompleteExchange.
class FailingCompleteStore final : public store::HubStore {
 public:
  explicit FailingCompleteStore(store::HubStore& base) : base_(base) {}
  std::atomic<bool> fail_complete{false};

  Result<store::ConnectSession> CreateConnectSession(store::ConnectSession session) override {
    return base_.CreateConnectSession(std::move(session));
  }
  Result<store::ConnectSession> FindConnectSession(const std::string& token_hash) override {
    return base_.FindConnectSession(token_hash);
  }
  Result<std::vector<store::LinkedAccount>> ListAccounts(
      const store::AccountFilter& filter) override {
    return base_.ListAccounts(filter);
  }
  Result<store::LinkedAccount> GetAccount(const std::string& project_id,
                                          const std::string& account_id) override {
    return base_.GetAccount(project_id, account_id);
  }
  Result<std::vector<store::LinkedAccount>> ListOwnerAccounts(
      const std::string& project_id, const std::string& origin_owner_id,
      const std::string& provider, const std::vector<std::string>& statuses) override {
    return base_.ListOwnerAccounts(project_id, origin_owner_id, provider, statuses);
  }
  Status UpdateAccount(const store::LinkedAccount& account) override {
    return base_.UpdateAccount(account);
  }
  Status SoftDeleteAccount(const std::string& project_id, const std::string& account_id,
                           TimePoint now) override {
    return base_.SoftDeleteAccount(project_id, account_id, now);
  }
  Status BeginExchange(const store::PendingExchange& pending) override {
    return base_.BeginExchange(pending);
  }
  Result<store::PendingExchange> FindExchange(const std::string& public_token_hash) override {
    return base_.FindExchange(public_token_hash);
  }
  Status ReopenExchange(const std::string& exchange_id, TimePoint now) override {
    return base_.ReopenExchange(exchange_id, now);
  }
  Status CompleteExchange(const std::string& exchange_id, const store::LinkedAccount& account,
                          TimePoint now) override {
    if (fail_complete) {
      return Unexpected(MakeError(ErrorCode::kUnavailable, "database is locked"));
    }
    return base_.CompleteExchange(exchange_id, account, now);
  }
  Status FailExchange(const std::string& exchange_id, const std::string& failure,
                      TimePoint now) override {
    return base_.FailExchange(exchange_id, failure, now);
  }
  Result<std::vector<store::PendingExchange>> ListPendingExchanges() override {
    return base_.ListPendingExchanges();
  }
  Result<std::vector<store::LinkedAccount>> ListAccountsWithPendingDetails() override {
    return base_.ListAccountsWithPendingDetails();
  }
  Status UpdateAccountDetails(const store::LinkedAccount& account) override {
    return base_.UpdateAccountDetails(account);
  }
  Status SetAccountStatus(const std::string& project_id, const std::string& account_id,
                          const std::string& status,
                          const std::vector<store::StatusReason>& reasons, TimePoint now) override {
    return base_.SetAccountStatus(project_id, account_id, status, reasons, now);
  }
  Status SuspendAccount(const std::string& project_id, const std::string& account_id,
                        const store::StatusReason& reason, TimePoint now) override {
    return base_.SuspendAccount(project_id, account_id, reason, now);
  }
  Status ResumeAccount(const std::string& project_id, const std::string& account_id,
                       TimePoint now) override {
    return base_.ResumeAccount(project_id, account_id, now);
  }
  Result<std::optional<std::string>> GetSyncCursor(const std::string& project_id,
                                                   const std::string& account_id,
                                                   const std::string& consumer) override {
    return base_.GetSyncCursor(project_id, account_id, consumer);
  }
  Status PutSyncCursor(const std::string& project_id, const std::string& account_id,
                       const std::string& consumer, const std::string& cursor,
                       TimePoint now) override {
    return base_.PutSyncCursor(project_id, account_id, consumer, cursor, now);
  }
  Status AddPlaidCalls(const std::vector<store::PlaidCallRecord>& calls) override {
    return base_.AddPlaidCalls(calls);
  }
  Result<std::vector<store::PlaidCallRecord>> ListPlaidCalls(const std::string& project_id,
                                                             const std::string& account_id,
                                                             int limit) override {
    return base_.ListPlaidCalls(project_id, account_id, limit);
  }
  Status CreateConnectionAttempt(const store::ConnectionAttempt& attempt) override {
    return base_.CreateConnectionAttempt(attempt);
  }
  Result<store::ConnectionAttempt> GetConnectionAttempt(const std::string& project_id,
                                                        int64_t session_id,
                                                        const std::string& id) override {
    return base_.GetConnectionAttempt(project_id, session_id, id);
  }
  Status CancelConnectionAttempt(const std::string& project_id, int64_t session_id,
                                 const std::string& id, TimePoint now) override {
    return base_.CancelConnectionAttempt(project_id, session_id, id, now);
  }
  Status CompleteConnectionAttempts(const std::string& project_id, int64_t session_id,
                                    const std::string& account_id, TimePoint now) override {
    return base_.CompleteConnectionAttempts(project_id, session_id, account_id, now);
  }
  Result<std::vector<store::SealedField>> ListSealedFields() override {
    return base_.ListSealedFields();
  }
  Status ReplaceSealedField(const store::SealedField& expected,
                            const std::string& new_sealed) override {
    return base_.ReplaceSealedField(expected, new_sealed);
  }

 private:
  store::HubStore& base_;
};

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = store::MigratedMemoryDb();
    projects_ = std::make_unique<store::SqliteProjectStore>(*db_);
    ASSERT_TRUE(projects_->CreateProject("proj_a", "Acme", clock_.Now()));
    ASSERT_TRUE(projects_->CreateProject("proj_b", "Beta", clock_.Now()));
    sqlite_store_ = std::make_unique<store::SqliteHubStore>(*db_);
    store_ = std::make_unique<FailingCompleteStore>(*sqlite_store_);
    auto keys = Keys::Open(kMasterKey, *projects_, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    settings_.environment = "sandbox";
    settings_.products = {"transactions"};
    settings_.optional_products = {"auth", "transactions", "identity"};
    settings_.webhook_url = "https://hub.example.com/webhooks/plaid";
    settings_.redirect_uri = "https://hub.example.com/oauth";
    hub_ = std::make_unique<Hub>(*store_, *keys_, plaid_, clock_, random_, settings_, &faults_);
  }

  // The pending record of token "public-sandbox-crashed" as a process that died mid-exchange
  // left it.
  void LeaveCrashedExchange(const store::ConnectSession& session) {
    store::PendingExchange left;
    left.id = "exch_crashed";
    left.project_id = "proj_a";
    left.session_id = session.id;
    left.public_token_hash = keys_->Hash("public-sandbox-crashed");
    left.account_id = "acc_crashed";
    left.origin_owner_id = "owner-1";
    left.link_session_id = "link-session-crashed";
    left.created_at = clock_.Now();
    ASSERT_TRUE(sqlite_store_->BeginExchange(left));
  }

  store::ConnectSession Session(bool multiple = false, const std::string& owner = "owner-1",
                                const std::string& project_id = "proj_a") {
    CreateSessionInput in;
    in.origin_owner_id = owner;
    in.origin_owner_name = "Owner One";
    in.label = "Main bank";
    in.multiple = multiple;
    auto created = hub_->CreateSession(project_id, in);
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->session : store::ConnectSession{};
  }

  store::ConnectSession RelinkSession(const store::LinkedAccount& account) {
    CreateSessionInput in;
    in.origin_owner_id = account.origin_owner_id;
    in.origin_owner_name = "Owner One";
    in.account_id = account.id;
    auto created = hub_->CreateSession(account.project_id, in);
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->session : store::ConnectSession{};
  }

  // What Plaid Link's onSuccess reports for the fake's bank login.
  static LinkMetadata Metadata() {
    LinkMetadata m;
    m.institution_id = kInstitutionId;
    m.institution_name = "First Platypus Bank";
    m.accounts = {{"plaid-acc-1", "Plaid Checking", "0000", "depository", "checking"}};
    m.link_session_id = "link-session-1";
    return m;
  }

  // Links an account and returns it, failing the test otherwise.
  store::LinkedAccount Link(const std::string& public_token, const LinkMetadata& metadata,
                            bool multiple = false) {
    auto linked = hub_->LinkAccount(Session(multiple), public_token, metadata);
    EXPECT_TRUE(linked) << linked.error().message;
    return linked ? *linked : store::LinkedAccount{};
  }

  std::string AccessTokenOf(const store::LinkedAccount& account) {
    auto opened =
        keys_->Open(account.project_id, account.id, "access_token", account.access_token_sealed);
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? *opened : "";
  }

  Result<store::PendingExchange> ExchangeOf(std::string_view public_token) {
    return sqlite_store_->FindExchange(keys_->Hash(public_token));
  }

  std::vector<store::LinkedAccount> AccountsOf(const std::string& project_id) {
    store::AccountFilter filter;
    filter.project_id = project_id;
    auto listed = sqlite_store_->ListAccounts(filter);
    EXPECT_TRUE(listed);
    return listed ? *listed : std::vector<store::LinkedAccount>{};
  }

  static std::string Detail(const Error& e, const std::string& key) { return DetailText(e, key); }

  static std::vector<std::string> Strings(const boost::json::object& o, std::string_view key) {
    return GetStringList(o, key);
  }

  FakeClock clock_;
  SeededRandom random_{7};
  FakePlaid plaid_;
  RecordingFaultHook faults_;
  LinkSettings settings_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<store::SqliteProjectStore> projects_;
  std::unique_ptr<store::SqliteHubStore> sqlite_store_;
  std::unique_ptr<FailingCompleteStore> store_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<Hub> hub_;
};

TEST_F(ExchangeTest, HappyPathStoresASealedActiveAccountWithDisplayFields) {
  store::ConnectSession session = Session();
  auto linked = hub_->LinkAccount(session, "public-sandbox-happy", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;

  auto exchanges = plaid_.CallsTo(kExchange);
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(GetString(exchanges[0].body, "public_token"), "public-sandbox-happy");

  auto stored = sqlite_store_->GetAccount("proj_a", linked->id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, "active");
  EXPECT_EQ(stored->project_id, "proj_a");
  EXPECT_EQ(stored->origin_owner_id, "owner-1");
  EXPECT_EQ(stored->origin_owner_name, "Owner One");
  EXPECT_EQ(stored->label, "Main bank");
  EXPECT_EQ(stored->environment, "sandbox");
  EXPECT_EQ(stored->connect_session_id, session.id);
  // The access token is stored sealed, never in the clear.
  EXPECT_FALSE(stored->access_token_sealed.empty());
  EXPECT_NE(stored->access_token_sealed, "access-sandbox-1");
  EXPECT_THAT(stored->access_token_sealed, Not(HasSubstr("access-sandbox-1")));
  EXPECT_EQ(AccessTokenOf(*stored), "access-sandbox-1");
  EXPECT_THAT(stored->item_id_sealed, Not(HasSubstr("item-sandbox-1")));
  EXPECT_EQ(stored->item_id_hash, keys_->Hash("item-sandbox-1"));
  auto facts = hub_->GetItemFacts(*stored);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->item_id, "item-sandbox-1");

  // Display fields come from /item/get, /accounts/get and /institutions/get_by_id.
  EXPECT_FALSE(stored->details_pending);
  EXPECT_EQ(stored->institution_id, kInstitutionId);
  EXPECT_EQ(stored->institution_name, "First Platypus Bank");
  EXPECT_THAT(stored->products, ElementsAre("transactions", "auth"));
  EXPECT_THAT(stored->accounts_json, HasSubstr("Plaid Checking"));
  EXPECT_THAT(stored->accounts_json, HasSubstr("Plaid Saving"));
  EXPECT_THAT(stored->accounts_json, HasSubstr("\"mask\":\"1111\""));
  EXPECT_EQ(plaid_.Count("/item/get"), 1);
  EXPECT_EQ(plaid_.Count("/accounts/get"), 1);
  ASSERT_EQ(plaid_.Count("/institutions/get_by_id"), 1);
  EXPECT_EQ(GetString(plaid_.CallsTo("/institutions/get_by_id")[0].body, "institution_id"),
            kInstitutionId);
  EXPECT_EQ(GetString(plaid_.CallsTo("/accounts/get")[0].body, "access_token"), "access-sandbox-1");
  EXPECT_EQ(plaid_.Count("/item/remove"), 0);

  // The returned account is what was stored.
  EXPECT_EQ(linked->institution_name, "First Platypus Bank");
  EXPECT_FALSE(linked->details_pending);

  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_exchange",
                                            "exchange.after_commit", "exchange.after_details"));
  auto exchange = ExchangeOf("public-sandbox-happy");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, "linked");
  EXPECT_EQ(exchange->account_id, linked->id);
  EXPECT_EQ(exchange->link_session_id, "link-session-1");
  EXPECT_EQ(exchange->session_id, session.id);
}

TEST_F(ExchangeTest, ASequentialDoubleSubmitReturnsTheSameAccount) {
  store::ConnectSession session = Session();
  auto first = hub_->LinkAccount(session, "public-sandbox-twice", Metadata());
  ASSERT_TRUE(first) << first.error().message;
  auto second = hub_->LinkAccount(session, "public-sandbox-twice", Metadata());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(ExchangeTest, AConcurrentDoubleSubmitExchangesOnce) {
  store::ConnectSession session = Session();
  plaid_.BlockExchange();
  Result<store::LinkedAccount> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<store::LinkedAccount> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = hub_->LinkAccount(session, "public-sandbox-race", Metadata()); });
  plaid_.WaitForExchanges(1);  // the first submit is inside Plaid's exchange
  std::thread b([&] { second = hub_->LinkAccount(session, "public-sandbox-race", Metadata()); });
  // Give the second submit time to reach the in-flight wait before Plaid answers.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  plaid_.ReleaseExchange();
  a.join();
  b.join();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(ExchangeTest, AnInvalidPublicTokenAsksToRunLinkAgain) {
  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  auto linked = hub_->LinkAccount(Session(), "public-sandbox-used", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(linked.error().message, HasSubstr("run Plaid Link again"));
  ASSERT_TRUE(linked.error().provider.has_value());
  EXPECT_EQ(linked.error().provider->error_code, "INVALID_PUBLIC_TOKEN");
  auto exchange = ExchangeOf("public-sandbox-used");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, "failed");
  EXPECT_EQ(exchange->failure, "INVALID_PUBLIC_TOKEN");
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending"));
}

TEST_F(ExchangeTest, ATransportFailureFailsTheExchangeAndARetrySucceeds) {
  store::ConnectSession session = Session();
  plaid_.FailTransport(std::string(kExchange));
  auto failed = hub_->LinkAccount(session, "public-sandbox-retry", Metadata());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(failed.error().message, HasSubstr("same public token"));
  auto exchange = ExchangeOf("public-sandbox-retry");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, "failed");
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());

  plaid_.Succeed(std::string(kExchange));
  auto retried = hub_->LinkAccount(session, "public-sandbox-retry", Metadata());
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->status, "active");
  EXPECT_EQ(retried->id, exchange->account_id);  // the id chosen by the first attempt
  EXPECT_EQ(plaid_.Count(kExchange), 2);
  EXPECT_EQ(ExchangeOf("public-sandbox-retry")->state, "linked");
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(ExchangeTest, ARetryAfterAnUnansweredExchangeThatLandedIsReportedAsAPossibleOrphan) {
  store::ConnectSession session = Session();
  plaid_.FailTransport(std::string(kExchange));
  ASSERT_FALSE(hub_->LinkAccount(session, "public-sandbox-landed", Metadata()));
  EXPECT_THAT(ExchangeOf("public-sandbox-landed")->failure.value_or(""),
              HasSubstr("outcome unknown"));
  // The unanswered call had reached Plaid: the token is spent.
  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  auto retried = hub_->LinkAccount(session, "public-sandbox-landed", Metadata());
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(ExchangeOf("public-sandbox-landed")->failure.value_or(""),
              HasSubstr("may have created an Item"));
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
}

TEST_F(ExchangeTest, AStoreFailureAfterTheExchangeRemovesTheItem) {
  store_->fail_complete = true;
  auto linked = hub_->LinkAccount(Session(), "public-sandbox-nostore", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kInternal);
  EXPECT_THAT(linked.error().message, HasSubstr("run Plaid Link again"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_THAT(plaid_.RemovedTokens(), ElementsAre("access-sandbox-1"));
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
  auto exchange = ExchangeOf("public-sandbox-nostore");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, "failed");
  EXPECT_EQ(sqlite_store_->GetAccount("proj_a", exchange->account_id).error().code,
            ErrorCode::kNotFound);
  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_exchange"));
}

TEST_F(ExchangeTest, TheDuplicateGuardRefusesBeforeCallingPlaid) {
  store::LinkedAccount existing = Link("public-sandbox-first", Metadata(), /*multiple=*/true);
  ASSERT_FALSE(existing.id.empty());
  auto again = hub_->LinkAccount(Session(/*multiple=*/true), "public-sandbox-second", Metadata());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().details.size(), 1u);
  EXPECT_EQ(Detail(again.error(), "existing_account_id"), existing.id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // only the first link's
  EXPECT_EQ(ExchangeOf("public-sandbox-second").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(ExchangeTest, ADuplicateFoundAfterTheExchangeIsUndone) {
  // A pasted public token comes without Link's metadata.
  store::LinkedAccount existing = Link("public-sandbox-first", LinkMetadata{}, true);
  ASSERT_FALSE(existing.id.empty());
  auto again = hub_->LinkAccount(Session(true), "public-sandbox-second", LinkMetadata{});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Detail(again.error(), "existing_account_id"), existing.id);
  EXPECT_EQ(plaid_.Count(kExchange), 2);
  EXPECT_THAT(plaid_.RemovedTokens(), ElementsAre("access-sandbox-2"));
  auto accounts = AccountsOf("proj_a");
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0].id, existing.id);
  EXPECT_EQ(accounts[0].status, "active");
  auto exchange = ExchangeOf("public-sandbox-second");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(sqlite_store_->GetAccount("proj_a", exchange->account_id).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ExchangeTest, ASecondAccountNeedsAMultipleSession) {
  store::LinkedAccount existing = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(existing.id.empty());
  LinkMetadata other_bank;
  other_bank.institution_id = "ins_other";
  other_bank.accounts = {{"x", "Other Checking", "9999", "depository", "checking"}};
  auto again = hub_->LinkAccount(Session(/*multiple=*/false), "public-sandbox-second", other_bank);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Detail(again.error(), "existing_account_id"), existing.id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);

  // Another owner of the project, or a multiple session, may link.
  plaid_.UseOtherBank();
  auto other_owner =
      hub_->LinkAccount(Session(false, "owner-2"), "public-sandbox-third", other_bank);
  EXPECT_TRUE(other_owner) << other_owner.error().message;
  auto multiple = hub_->LinkAccount(Session(true), "public-sandbox-fourth", other_bank);
  EXPECT_TRUE(multiple) << multiple.error().message;
}

TEST_F(ExchangeTest, TwoTokensOfOneOwnerLinkedConcurrentlyStillObeyMultiple) {
  store::ConnectSession session = Session(/*multiple=*/false);
  plaid_.BlockExchange();
  Result<store::LinkedAccount> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<store::LinkedAccount> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = hub_->LinkAccount(session, "public-sandbox-one", Metadata()); });
  plaid_.WaitForExchanges(1);
  LinkMetadata other_bank;
  other_bank.institution_id = "ins_other";
  std::thread b([&] { second = hub_->LinkAccount(session, "public-sandbox-two", other_bank); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  plaid_.ReleaseExchange();
  a.join();
  b.join();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Detail(second.error(), "existing_account_id"), first->id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(ExchangeTest, ADisplayFieldFailureKeepsTheLinkAndIsFilledLater) {
  plaid_.FailTransport("/accounts/get");
  auto linked = hub_->LinkAccount(Session(), "public-sandbox-details", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;
  auto stored = sqlite_store_->GetAccount("proj_a", linked->id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, "active");
  EXPECT_TRUE(stored->details_pending);
  EXPECT_FALSE(stored->access_token_sealed.empty());
  EXPECT_EQ(plaid_.Count("/item/remove"), 0);
  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_exchange",
                                            "exchange.after_commit", "exchange.after_details"));
  auto pending = sqlite_store_->ListAccountsWithPendingDetails();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);

  plaid_.Succeed("/accounts/get");
  hub_->FillPendingDetails();
  stored = sqlite_store_->GetAccount("proj_a", linked->id);
  ASSERT_TRUE(stored);
  EXPECT_FALSE(stored->details_pending);
  EXPECT_EQ(stored->status, "active");
  EXPECT_EQ(stored->institution_name, "First Platypus Bank");
  EXPECT_THAT(stored->accounts_json, HasSubstr("Plaid Saving"));
  EXPECT_THAT(stored->products, ElementsAre("transactions", "auth"));
  EXPECT_THAT(*sqlite_store_->ListAccountsWithPendingDetails(), IsEmpty());
}

TEST_F(ExchangeTest, ReconcileClosesOnlyExpiredPendingExchanges) {
  store::PendingExchange old_one;
  old_one.id = "exch_old";
  old_one.project_id = "proj_a";
  old_one.session_id = 1;
  old_one.public_token_hash = keys_->Hash("public-sandbox-old");
  old_one.account_id = "acc_old";
  old_one.origin_owner_id = "owner-1";
  old_one.link_session_id = "link-session-old";
  old_one.created_at = clock_.Now();
  ASSERT_TRUE(sqlite_store_->BeginExchange(old_one));
  clock_.Advance(std::chrono::minutes(20));
  store::PendingExchange young = old_one;
  young.id = "exch_young";
  young.public_token_hash = keys_->Hash("public-sandbox-young");
  young.account_id = "acc_young";
  young.created_at = clock_.Now();
  ASSERT_TRUE(sqlite_store_->BeginExchange(young));
  clock_.Advance(std::chrono::minutes(11));  // old: 31 minutes; young: 11 minutes

  ASSERT_TRUE(hub_->ReconcileExchanges());
  auto closed = ExchangeOf("public-sandbox-old");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->state, "failed");
  ASSERT_TRUE(closed->failure.has_value());
  EXPECT_THAT(*closed->failure, HasSubstr("expired"));
  EXPECT_EQ(closed->closed_at, clock_.Now());
  EXPECT_EQ(ExchangeOf("public-sandbox-young")->state, "pending");
  auto still = sqlite_store_->ListPendingExchanges();
  ASSERT_TRUE(still);
  ASSERT_EQ(still->size(), 1u);
  EXPECT_EQ(still->at(0).id, "exch_young");
  EXPECT_EQ(plaid_.Endpoints().size(), 0u);  // reconciling never calls Plaid
}

TEST_F(ExchangeTest, AResumedExchangeThatPlaidRefusesIsRecordedAsAPossibleOrphan) {
  store::ConnectSession session = Session();
  // A crash after the pending record was written (and perhaps after Plaid was called).
  LeaveCrashedExchange(session);
  clock_.Advance(std::chrono::minutes(2));

  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  auto linked = hub_->LinkAccount(session, "public-sandbox-crashed", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(linked.error().message, HasSubstr("run Plaid Link again"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  auto exchange = ExchangeOf("public-sandbox-crashed");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->id, "exch_crashed");
  EXPECT_EQ(exchange->state, "failed");
  ASSERT_TRUE(exchange->failure.has_value());
  EXPECT_THAT(*exchange->failure, HasSubstr("may have created an Item"));
  EXPECT_THAT(*exchange->failure, HasSubstr("never stored"));
}

TEST_F(ExchangeTest, AResumedExchangeCompletesUnderTheRecordedAccountId) {
  store::ConnectSession session = Session();
  LeaveCrashedExchange(session);

  auto linked = hub_->LinkAccount(session, "public-sandbox-crashed", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_EQ(linked->id, "acc_crashed");
  EXPECT_EQ(ExchangeOf("public-sandbox-crashed")->state, "linked");
  EXPECT_EQ(plaid_.Count(kExchange), 1);
}

TEST_F(ExchangeTest, AResumedExchangeIsRecheckedAgainstTheOwnersAccounts) {
  store::ConnectSession session = Session(/*multiple=*/false);
  LeaveCrashedExchange(session);
  // Meanwhile the owner linked an account with another token.
  store::LinkedAccount other = Link("public-sandbox-other", Metadata());
  ASSERT_FALSE(other.id.empty());

  auto resumed = hub_->LinkAccount(session, "public-sandbox-crashed", Metadata());
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // the other link's only
  auto exchange = ExchangeOf("public-sandbox-crashed");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, "failed");
}

TEST_F(ExchangeTest, AnotherOwnersTokenLearnsNothing) {
  store::LinkedAccount account = Link("public-sandbox-mine", Metadata());
  ASSERT_FALSE(account.id.empty());
  auto theirs = hub_->LinkAccount(Session(false, "owner-2"), "public-sandbox-mine", Metadata());
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(theirs.error().message, Not(HasSubstr(account.id)));
  auto other_project =
      hub_->LinkAccount(Session(false, "owner-1", "proj_b"), "public-sandbox-mine", Metadata());
  ASSERT_FALSE(other_project);
  EXPECT_EQ(other_project.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
}

TEST_F(ExchangeTest, ARelinkOfAHealthyItemReactivatesTheAccountWithoutAnExchange) {
  store::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  account.status = "error";
  account.status_reasons = {
      store::StatusReason{"ITEM_LOGIN_REQUIRED", "the bank needs a new login", clock_.Now()}};
  ASSERT_TRUE(sqlite_store_->UpdateAccount(account));
  store::ConnectSession relink = RelinkSession(account);
  clock_.Advance(std::chrono::minutes(1));

  auto relinked = hub_->LinkAccount(relink, "", LinkMetadata{});
  ASSERT_TRUE(relinked) << relinked.error().message;
  EXPECT_EQ(relinked->id, account.id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // the first link's only
  auto stored = sqlite_store_->GetAccount("proj_a", account.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, "active");
  EXPECT_THAT(stored->status_reasons, IsEmpty());
  EXPECT_EQ(stored->updated_at, clock_.Now());
  EXPECT_EQ(GetString(plaid_.CallsTo("/item/get").back().body, "access_token"), "access-sandbox-1");
}

TEST_F(ExchangeTest, ARelinkOfAStillBrokenItemFailsWithThePlaidErrorCode) {
  store::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  account.status = "error";
  ASSERT_TRUE(sqlite_store_->UpdateAccount(account));
  plaid_.SetAnswer(
      "/item/get",
      boost::json::object{
          {"item",
           boost::json::object{{"item_id", "item-sandbox-1"},
                               {"error", boost::json::object{{"error_type", "ITEM_ERROR"},
                                                             {"error_code", "ITEM_LOGIN_REQUIRED"},
                                                             {"error_message", "log in"}}}}},
          {"request_id", "req-broken"}});
  auto relinked = hub_->LinkAccount(RelinkSession(account), "", LinkMetadata{});
  ASSERT_FALSE(relinked);
  EXPECT_EQ(relinked.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(relinked.error().provider.has_value());
  EXPECT_EQ(relinked.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(relinked.error().provider->error_type, "ITEM_ERROR");
  EXPECT_EQ(relinked.error().provider->request_id, "req-broken");
  EXPECT_THAT(relinked.error().message, HasSubstr("ITEM_LOGIN_REQUIRED"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(sqlite_store_->GetAccount("proj_a", account.id)->status, "error");
}

TEST_F(ExchangeTest, DeleteAccountRemovesTheItemAtPlaid) {
  store::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  auto deleted = hub_->DeleteAccount("proj_a", account.id);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->status, "inactive");
  EXPECT_TRUE(deleted->deleted_at.has_value());
  EXPECT_THAT(plaid_.RemovedTokens(), ElementsAre("access-sandbox-1"));
  EXPECT_EQ(sqlite_store_->GetAccount("proj_a", account.id).error().code, ErrorCode::kNotFound);
}

TEST_F(ExchangeTest, DeleteAccountTreatsAnItemPlaidNoLongerKnowsAsRemoved) {
  store::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  plaid_.FailWithPlaid("/item/remove", "ITEM_ERROR", "ITEM_NOT_FOUND");
  auto deleted = hub_->DeleteAccount("proj_a", account.id);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->status, "inactive");
  EXPECT_EQ(plaid_.Count("/item/remove"), 1);
  EXPECT_EQ(sqlite_store_->GetAccount("proj_a", account.id).error().code, ErrorCode::kNotFound);
}

TEST_F(ExchangeTest, DeleteAccountKeepsTheAccountWhenPlaidRefusesTheRemoval) {
  store::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  plaid_.FailWithPlaid("/item/remove", "API_ERROR", "INTERNAL_SERVER_ERROR", 500);
  auto deleted = hub_->DeleteAccount("proj_a", account.id);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kUpstream);
  EXPECT_THAT(deleted.error().message, HasSubstr("kept"));
  auto kept = sqlite_store_->GetAccount("proj_a", account.id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, "active");
  EXPECT_EQ(AccessTokenOf(*kept), "access-sandbox-1");
  // Another project cannot delete it.
  EXPECT_EQ(hub_->DeleteAccount("proj_b", account.id).error().code, ErrorCode::kNotFound);
}

TEST_F(ExchangeTest, CreateLinkTokenSendsTheConfiguredRequest) {
  LinkTokenInput in;
  in.origin_owner_id = "alice@example.com";
  auto token = hub_->CreateLinkToken("proj_a", in);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->link_token, "link-sandbox-abc");
  EXPECT_EQ(token->expiration, "2026-01-01T04:00:00Z");

  auto calls = plaid_.CallsTo("/link/token/create");
  ASSERT_EQ(calls.size(), 1u);
  const boost::json::object& body = calls[0].body;
  const auto* user = GetObject(body, "user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(GetString(*user, "client_user_id"), keys_->ClientUserId("proj_a", "alice@example.com"));
  EXPECT_THAT(Strings(body, "products"), ElementsAre("transactions"));
  EXPECT_THAT(Strings(body, "optional_products"), ElementsAre("auth", "identity"));
  EXPECT_EQ(GetString(body, "webhook"), "https://hub.example.com/webhooks/plaid");
  EXPECT_EQ(GetString(body, "redirect_uri"), "https://hub.example.com/oauth");
  EXPECT_THAT(Strings(body, "country_codes"), ElementsAre("US"));
  EXPECT_EQ(GetString(body, "client_name"), "linkhub");
  EXPECT_EQ(GetString(body, "language"), "en");
  EXPECT_EQ(Find(body, "access_token"), nullptr);
  EXPECT_THAT(ToJson(body), Not(HasSubstr("alice")));
}

TEST_F(ExchangeTest, CreateLinkTokenWithRequestedProductsAndRedirect) {
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.products = {"auth", "identity"};
  in.redirect_uri = "https://app.example.com/callback";
  ASSERT_TRUE(hub_->CreateLinkToken("proj_a", in));
  auto calls = plaid_.CallsTo("/link/token/create");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(Strings(calls[0].body, "products"), ElementsAre("auth", "identity"));
  // Optional products minus those already requested.
  EXPECT_THAT(Strings(calls[0].body, "optional_products"), ElementsAre("transactions"));
  EXPECT_EQ(GetString(calls[0].body, "redirect_uri"), "https://app.example.com/callback");
}

TEST_F(ExchangeTest, CreateLinkTokenInUpdateModeSendsTheAccessTokenAndNoProducts) {
  store::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.account_id = account.id;
  ASSERT_TRUE(hub_->CreateLinkToken("proj_a", in));
  auto calls = plaid_.CallsTo("/link/token/create");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(GetString(calls[0].body, "access_token"), "access-sandbox-1");
  EXPECT_EQ(Find(calls[0].body, "products"), nullptr);
  EXPECT_EQ(Find(calls[0].body, "optional_products"), nullptr);
  EXPECT_EQ(GetString(*GetObject(calls[0].body, "user"), "client_user_id"),
            keys_->ClientUserId("proj_a", "owner-1"));

  // Another owner's account, or another project's, cannot be updated.
  in.origin_owner_id = "owner-2";
  EXPECT_EQ(hub_->CreateLinkToken("proj_a", in).error().code, ErrorCode::kInvalidArgument);
  in.origin_owner_id = "owner-1";
  EXPECT_EQ(hub_->CreateLinkToken("proj_b", in).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(plaid_.Count("/link/token/create"), 1);
}

TEST_F(ExchangeTest, CreateLinkTokenRefusesAnUnknownProduct) {
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.products = {"transactions", "crypto"};
  auto token = hub_->CreateLinkToken("proj_a", in);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(token.error().message, HasSubstr("crypto"));
  EXPECT_EQ(plaid_.Count("/link/token/create"), 0);
}

}  // namespace
}  // namespace linkhub::hub
