// Tests of the crash-safe public-token exchange (linker_impl.cc) and of the other hub classes
// that talk to Plaid for it (sessions, accounts), against a scripted Plaid, real SQLite stores and
// real keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/json.h"
#include "fakes/fake_plaid.h"
#include "fakes/memory_journal.h"
#include "fakes/store_wrappers.h"
#include "hub/accounts_impl.h"
#include "hub/batched_call_log.h"
#include "hub/linker_impl.h"
#include "hub/orphans_impl.h"
#include "hub/sessions_impl.h"
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

// The bank login the fake Plaid serves: an Item at kInstitutionId with two accounts.
void ScriptBank(fakes::FakePlaid& plaid) {
  plaid.SetAnswer("/item/get",
                  boost::json::object{
                      {"item", boost::json::object{{"item_id", "item-sandbox-1"},
                                                   {"institution_id", kInstitutionId},
                                                   {"products", boost::json::array{"transactions"}},
                                                   {"consented_products",
                                                    boost::json::array{"transactions", "auth"}},
                                                   {"error", nullptr}}},
                      {"request_id", "req-item-get"}});
  plaid.SetAnswer(
      "/accounts/get",
      boost::json::object{
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
          {"request_id", "req-accounts-get"}});
  plaid.SetAnswer(
      "/institutions/get_by_id",
      boost::json::object{{"institution", boost::json::object{{"institution_id", kInstitutionId},
                                                              {"name", "First Platypus Bank"}}},
                          {"request_id", "req-inst"}});
  plaid.SetAnswer("/item/remove", boost::json::object{{"request_id", "req-remove"}});
  plaid.SetAnswer("/link/token/create", boost::json::object{{"link_token", "link-sandbox-abc"},
                                                            {"expiration", "2026-01-01T04:00:00Z"},
                                                            {"request_id", "req-link"}});
}

// From now on, exchanged Items are a login at another bank (other institution and masks).
void UseOtherBank(fakes::FakePlaid& plaid) {
  plaid.SetAnswer("/item/get",
                  boost::json::object{
                      {"item", boost::json::object{{"institution_id", "ins_other"},
                                                   {"products", boost::json::array{"transactions"}},
                                                   {"error", nullptr}}}});
  plaid.SetAnswer("/accounts/get",
                  boost::json::object{{"accounts", boost::json::array{boost::json::object{
                                                       {"account_id", "other-acc-1"},
                                                       {"name", "Other Checking"},
                                                       {"mask", "9999"},
                                                       {"type", "depository"},
                                                       {"subtype", "checking"}}}}});
  plaid.SetAnswer(
      "/institutions/get_by_id",
      boost::json::object{{"institution", boost::json::object{{"name", "Other Bank"}}}});
}

// The access tokens sent to /item/remove.
std::vector<std::string> RemovedTokens(fakes::FakePlaid& plaid) {
  std::vector<std::string> out;
  for (const auto& c : plaid.CallsTo("/item/remove")) {
    out.emplace_back(GetString(c.body, "access_token").value_or(""));
  }
  return out;
}

// Records the exchange's crash points, and lets a test wait until a concurrent link reaches
// one of its waits.
class RecordingFaultHook final : public FaultHook {
 public:
  struct Crash : std::runtime_error {
    Crash() : std::runtime_error("the process stopped here") {}
  };
  // At `point`, the exchange stops as if the process had died there (nothing after it runs).
  void CrashAt(std::string point) {
    std::lock_guard lock(mu_);
    crash_at_ = std::move(point);
  }
  void At(std::string_view point) override {
    std::lock_guard lock(mu_);
    if (point == crash_at_) {
      crash_at_.clear();
      throw Crash();
    }
    if (point.starts_with("exchange.waiting_for_")) {
      ++waits_[std::string(point)];
      cv_.notify_all();
      return;
    }
    points_.emplace_back(point);
  }
  // The crash points passed, in order.
  std::vector<std::string> points() {
    std::lock_guard lock(mu_);
    return points_;
  }
  // Waits until `point` has been reached `n` times (bounded; false on timeout).
  bool WaitFor(const std::string& point, int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return waits_[point] >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> points_;
  std::map<std::string, int> waits_;
  std::string crash_at_;
};

// An ExchangeStore that can be told to fail CompleteExchange.
class FailingCompleteStore final : public fakes::ExchangeStoreWrapper {
 public:
  using ExchangeStoreWrapper::ExchangeStoreWrapper;
  std::atomic<bool> fail_complete{false};

  Status CompleteExchange(const std::string& exchange_id, const domain::LinkedAccount& account,
                          TimePoint now) override {
    if (fail_complete) {
      return Unexpected(MakeError(ErrorCode::kUnavailable, "database is locked"));
    }
    return ExchangeStoreWrapper::CompleteExchange(exchange_id, account, now);
  }
};

class LinkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", clock_.Now()));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "Beta", clock_.Now()));
    ScriptBank(plaid_);
    plaid_.Respond(std::string(kExchange), [this](const boost::json::object&) {
      int n = ++exchanges_answered_;
      return Result<boost::json::object>(
          boost::json::object{{"access_token", "access-sandbox-" + std::to_string(n)},
                              {"item_id", "item-sandbox-" + std::to_string(n)},
                              {"request_id", "req-exchange"}});
    });
    auto keys = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    settings_.environment = "sandbox";
    settings_.products = {"transactions"};
    settings_.optional_products = {"auth", "transactions", "identity"};
    settings_.webhook_base_url = "https://hub.example.com/";
    settings_.redirect_uri = "https://hub.example.com/oauth";
    sessions_ = std::make_unique<SessionsImpl>(m_.sessions, m_.accounts, *keys_, clock_, random_);
    linker_ = NewLinker();
    call_log_ = std::make_unique<BatchedCallLog>(m_.call_log);
    accounts_ =
        std::make_unique<AccountsImpl>(m_.accounts, *keys_, plaid_, *call_log_, clock_, settings_);
  }

  // A linker over the same stores and journal: what a restarted process builds.
  std::unique_ptr<LinkerImpl> NewLinker() {
    return std::make_unique<LinkerImpl>(
        LinkerStores{m_.accounts, exchanges_, journal_, m_.orphans}, *keys_, plaid_, clock_,
        random_, [this](std::chrono::milliseconds d) { clock_.Advance(d); }, settings_, &faults_);
  }

  std::vector<domain::OrphanItem> Orphans() {
    auto listed = m_.orphans.ListOrphans("");
    EXPECT_TRUE(listed);
    return listed ? *listed : std::vector<domain::OrphanItem>{};
  }

  // The pending record of token "public-sandbox-crashed" as a process that died mid-exchange
  // left it (after journaling "sending" when `sent`), settled by a restarted process's start-up.
  void CrashAndRestart(const domain::ConnectSession& session, bool sent) {
    LeaveCrashedExchange(session);
    if (sent) {
      ASSERT_TRUE(journal_.RecordSending("exch_crashed"));
    }
    linker_ = NewLinker();
    ASSERT_TRUE(linker_->ReconcileExchanges());
  }

  // Links `public_token`, expecting the fault hook's crash to end the call.
  void ExpectCrashLinking(const domain::ConnectSession& session, const std::string& public_token) {
    EXPECT_THROW(static_cast<void>(linker_->LinkAccount(session, public_token, Metadata())),
                 RecordingFaultHook::Crash);
  }

  void LeaveCrashedExchange(const domain::ConnectSession& session) {
    domain::PendingExchange left;
    left.id = "exch_crashed";
    left.project_id = "proj_a";
    left.session_id = session.id;
    left.public_token_hash = keys_->Hash("public-sandbox-crashed");
    left.account_id = "acc_crashed";
    left.origin_owner_id = "owner-1";
    left.link_session_id = "link-session-crashed";
    left.created_at = clock_.Now();
    ASSERT_TRUE(m_.exchanges.BeginExchange(left));
  }

  domain::ConnectSession Session(bool multiple = false, const std::string& owner = "owner-1",
                                 const std::string& project_id = "proj_a") {
    CreateSessionInput in;
    in.origin_owner_id = owner;
    in.origin_owner_name = "Owner One";
    in.label = "Main bank";
    in.multiple = multiple;
    auto created = sessions_->Create(project_id, in);
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->session : domain::ConnectSession{};
  }

  domain::ConnectSession RelinkSession(const domain::LinkedAccount& account) {
    CreateSessionInput in;
    in.origin_owner_id = account.origin_owner_id;
    in.origin_owner_name = "Owner One";
    in.account_id = account.id;
    auto created = sessions_->Create(account.project_id, in);
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->session : domain::ConnectSession{};
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
  domain::LinkedAccount Link(const std::string& public_token, const LinkMetadata& metadata,
                             bool multiple = false) {
    auto linked = linker_->LinkAccount(Session(multiple), public_token, metadata);
    EXPECT_TRUE(linked) << linked.error().message;
    return linked ? *linked : domain::LinkedAccount{};
  }

  std::string AccessTokenOf(const domain::LinkedAccount& account) {
    auto opened =
        keys_->Open(account.project_id, account.id, "access_token", account.access_token_sealed);
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? *opened : "";
  }

  Result<domain::PendingExchange> ExchangeOf(std::string_view public_token) {
    return m_.exchanges.FindExchange(keys_->Hash(public_token));
  }

  std::vector<domain::LinkedAccount> AccountsOf(const std::string& project_id) {
    domain::AccountFilter filter;
    filter.project_id = project_id;
    auto listed = m_.accounts.ListAccounts(filter);
    EXPECT_TRUE(listed);
    return listed ? *listed : std::vector<domain::LinkedAccount>{};
  }

  static std::string Detail(const Error& e, const std::string& key) { return DetailText(e, key); }

  static std::vector<std::string> Strings(const boost::json::object& o, std::string_view key) {
    return GetStringList(o, key);
  }

  FakeClock clock_;
  SeededRandom random_{7};
  fakes::FakePlaid plaid_;
  std::atomic<int> exchanges_answered_{0};
  RecordingFaultHook faults_;
  LinkSettings settings_;
  store::MemoryStores m_;
  FailingCompleteStore exchanges_{m_.exchanges};
  fakes::MemoryJournal journal_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<SessionsImpl> sessions_;
  std::unique_ptr<LinkerImpl> linker_;
  std::unique_ptr<BatchedCallLog> call_log_;
  std::unique_ptr<AccountsImpl> accounts_;
};

TEST_F(LinkerTest, HappyPathStoresASealedActiveAccountWithDisplayFields) {
  domain::ConnectSession session = Session();
  auto linked = linker_->LinkAccount(session, "public-sandbox-happy", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;

  auto exchanges = plaid_.CallsTo(kExchange);
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(GetString(exchanges[0].body, "public_token"), "public-sandbox-happy");

  auto stored = m_.accounts.GetAccount("proj_a", linked->id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, domain::AccountStatus::kActive);
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
  auto item_id = accounts_->ItemId(*stored);
  ASSERT_TRUE(item_id);
  EXPECT_EQ(*item_id, "item-sandbox-1");

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

  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_sending",
                                            "exchange.after_exchange", "exchange.after_journal",
                                            "exchange.after_commit", "exchange.after_details"));
  auto exchange = ExchangeOf("public-sandbox-happy");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, domain::ExchangeState::kLinked);
  EXPECT_EQ(exchange->account_id, linked->id);
  EXPECT_EQ(exchange->link_session_id, "link-session-1");
  EXPECT_EQ(exchange->session_id, session.id);
}

TEST_F(LinkerTest, ASequentialDoubleSubmitReturnsTheSameAccount) {
  domain::ConnectSession session = Session();
  auto first = linker_->LinkAccount(session, "public-sandbox-twice", Metadata());
  ASSERT_TRUE(first) << first.error().message;
  auto second = linker_->LinkAccount(session, "public-sandbox-twice", Metadata());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(LinkerTest, AConcurrentDoubleSubmitExchangesOnce) {
  domain::ConnectSession session = Session();
  plaid_.Block(std::string(kExchange));
  Result<domain::LinkedAccount> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<domain::LinkedAccount> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = linker_->LinkAccount(session, "public-sandbox-race", Metadata()); });
  ASSERT_TRUE(plaid_.WaitForCalls(1, kExchange));  // the first submit is inside Plaid's exchange
  std::thread b([&] { second = linker_->LinkAccount(session, "public-sandbox-race", Metadata()); });
  // The second submit waits for the first before Plaid answers.
  ASSERT_TRUE(faults_.WaitFor("exchange.waiting_for_first_submit", 1));
  plaid_.Release(std::string(kExchange));
  a.join();
  b.join();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(LinkerTest, AnInvalidPublicTokenAsksToRunLinkAgain) {
  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  auto linked = linker_->LinkAccount(Session(), "public-sandbox-used", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(linked.error().message, HasSubstr("run Plaid Link again"));
  ASSERT_TRUE(linked.error().provider.has_value());
  EXPECT_EQ(linked.error().provider->error_code, "INVALID_PUBLIC_TOKEN");
  auto exchange = ExchangeOf("public-sandbox-used");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, domain::ExchangeState::kFailed);
  EXPECT_EQ(exchange->failure, "INVALID_PUBLIC_TOKEN");
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_sending"));
}

TEST_F(LinkerTest, ATransportFailureFailsTheExchangeAndARetrySucceeds) {
  domain::ConnectSession session = Session();
  plaid_.FailTransport(std::string(kExchange));
  auto failed = linker_->LinkAccount(session, "public-sandbox-retry", Metadata());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(failed.error().message, HasSubstr("same public token"));
  auto exchange = ExchangeOf("public-sandbox-retry");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, domain::ExchangeState::kFailed);
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());

  plaid_.Succeed(std::string(kExchange));
  auto retried = linker_->LinkAccount(session, "public-sandbox-retry", Metadata());
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->status, domain::AccountStatus::kActive);
  EXPECT_EQ(retried->id, exchange->account_id);  // the id chosen by the first attempt
  EXPECT_EQ(plaid_.Count(kExchange), 2);
  EXPECT_EQ(ExchangeOf("public-sandbox-retry")->state, domain::ExchangeState::kLinked);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(LinkerTest, ARetryAfterAnUnansweredExchangeThatLandedMakesTheOrphanDefinite) {
  domain::ConnectSession session = Session();
  plaid_.FailTransport(std::string(kExchange));
  ASSERT_FALSE(linker_->LinkAccount(session, "public-sandbox-landed", Metadata()));
  EXPECT_THAT(ExchangeOf("public-sandbox-landed")->failure.value_or(""),
              HasSubstr("outcome unknown"));
  // Until a retry tells, Plaid may hold an Item.
  auto possible = Orphans();
  ASSERT_EQ(possible.size(), 1u);
  EXPECT_EQ(possible[0].certainty, domain::OrphanCertainty::kPossible);
  EXPECT_EQ(possible[0].exchange_id, ExchangeOf("public-sandbox-landed")->id);
  EXPECT_EQ(possible[0].link_session_id, "link-session-1");
  // The unanswered call had reached Plaid: the token is spent.
  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  auto retried = linker_->LinkAccount(session, "public-sandbox-landed", Metadata());
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(ExchangeOf("public-sandbox-landed")->failure.value_or(""),
              HasSubstr("made an Item at Plaid that was never stored"));
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
  auto definite = Orphans();
  ASSERT_EQ(definite.size(), 1u);
  EXPECT_EQ(definite[0].id, possible[0].id);
  EXPECT_EQ(definite[0].certainty, domain::OrphanCertainty::kDefinite);
  EXPECT_EQ(definite[0].link_session_id, "link-session-1");
  EXPECT_THAT(definite[0].reason, HasSubstr("INVALID_PUBLIC_TOKEN"));
  EXPECT_TRUE(definite[0].access_token_sealed.empty());  // Plaid never said
}

TEST_F(LinkerTest, ARetryThatLinksClearsThePossibleOrphan) {
  domain::ConnectSession session = Session();
  plaid_.FailTransport(std::string(kExchange));
  ASSERT_FALSE(linker_->LinkAccount(session, "public-sandbox-lost", Metadata()));
  ASSERT_EQ(Orphans().size(), 1u);
  plaid_.Succeed(std::string(kExchange));
  ASSERT_TRUE(linker_->LinkAccount(session, "public-sandbox-lost", Metadata()));
  EXPECT_THAT(Orphans(), IsEmpty());
}

TEST_F(LinkerTest, AnExchangeThatCannotBeJournaledIsNeverSent) {
  journal_.FailWrites();
  auto linked = linker_->LinkAccount(Session(), "public-sandbox-nojournal", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(linked.error().message, HasSubstr("same public token"));
  EXPECT_EQ(plaid_.Count(kExchange), 0);
  auto exchange = ExchangeOf("public-sandbox-nojournal");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, domain::ExchangeState::kFailed);
  EXPECT_THAT(exchange->failure.value_or(""), HasSubstr("not sent"));
  EXPECT_THAT(Orphans(), IsEmpty());
}

TEST_F(LinkerTest, ACrashAfterTheJournalLosesNothing) {
  domain::ConnectSession session = Session();
  faults_.CrashAt("exchange.after_journal");
  ExpectCrashLinking(session, "public-sandbox-journaled");
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
  auto exchange = ExchangeOf("public-sandbox-journaled");
  ASSERT_TRUE(exchange);
  ASSERT_EQ(exchange->state, domain::ExchangeState::kPending);
  // The journal holds only sealed values.
  auto journaled = journal_.Entries().at(exchange->id);
  ASSERT_TRUE(journaled.answer.has_value());
  EXPECT_THAT(journaled.answer->access_token_sealed, Not(HasSubstr("access-sandbox-1")));

  linker_ = NewLinker();  // the restarted process
  ASSERT_TRUE(linker_->ReconcileExchanges());
  auto accounts = AccountsOf("proj_a");
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0].id, exchange->account_id);
  EXPECT_EQ(accounts[0].status, domain::AccountStatus::kActive);
  EXPECT_EQ(accounts[0].label, "Main bank");
  EXPECT_EQ(AccessTokenOf(accounts[0]), "access-sandbox-1");
  EXPECT_TRUE(accounts[0].details_pending);  // FillPendingDetails fetches them
  EXPECT_EQ(ExchangeOf("public-sandbox-journaled")->state, domain::ExchangeState::kLinked);
  EXPECT_THAT(journal_.Entries(), IsEmpty());
  EXPECT_THAT(Orphans(), IsEmpty());
  EXPECT_EQ(plaid_.Count(kExchange), 1);

  // The page's retry gets the same account, with no second exchange.
  auto retried = linker_->LinkAccount(session, "public-sandbox-journaled", Metadata());
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->id, exchange->account_id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
}

TEST_F(LinkerTest, ARetryThatLinksAfterASecondCrashLeavesNoPossibleOrphan) {
  domain::ConnectSession session = Session();
  CrashAndRestart(session, /*sent=*/true);  // the first attempt: outcome unknown
  ASSERT_EQ(Orphans().size(), 1u);
  // Its retry gets Plaid's answer, journals it, and the process dies again.
  faults_.CrashAt("exchange.after_journal");
  ExpectCrashLinking(session, "public-sandbox-crashed");
  linker_ = NewLinker();
  ASSERT_TRUE(linker_->ReconcileExchanges());
  // Linked from the journal: the first attempt had made no Item after all.
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
  EXPECT_THAT(Orphans(), IsEmpty());
}

TEST_F(LinkerTest, AnUnsentRetryDoesNotUndoAnEarlierUnknownOutcome) {
  domain::ConnectSession session = Session();
  CrashAndRestart(session, /*sent=*/true);  // the first attempt reached Plaid, no answer kept
  // Its retry dies before it is sent.
  faults_.CrashAt("exchange.after_pending");
  ExpectCrashLinking(session, "public-sandbox-crashed");
  linker_ = NewLinker();
  ASSERT_TRUE(linker_->ReconcileExchanges());
  EXPECT_THAT(ExchangeOf("public-sandbox-crashed")->failure.value_or(""),
              HasSubstr("outcome unknown"));
  // The next retry learns the first attempt had made an Item.
  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  ASSERT_FALSE(linker_->LinkAccount(session, "public-sandbox-crashed", Metadata()));
  auto orphans = Orphans();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].certainty, domain::OrphanCertainty::kDefinite);
}

TEST_F(LinkerTest, AStoreAndRemovalFailureLeavesADefiniteRemovableOrphan) {
  exchanges_.fail_complete = true;
  plaid_.FailTransport("/item/remove");
  ASSERT_FALSE(linker_->LinkAccount(Session(), "public-sandbox-stuck", Metadata()));
  auto orphans = Orphans();
  ASSERT_EQ(orphans.size(), 1u);
  const auto& o = orphans[0];
  EXPECT_EQ(o.certainty, domain::OrphanCertainty::kDefinite);
  EXPECT_EQ(o.project_id, "proj_a");
  // Its access token and item id are kept sealed to the orphan, so it can still be removed.
  EXPECT_THAT(o.access_token_sealed, Not(HasSubstr("access-sandbox-1")));
  EXPECT_EQ(*keys_->Open("proj_a", o.id, "access_token", o.access_token_sealed),
            "access-sandbox-1");
  EXPECT_EQ(*keys_->Open("proj_a", o.id, "item_id", o.item_id_sealed), "item-sandbox-1");

  // A key rotation re-seals it with the accounts' values.
  ASSERT_TRUE(keys_->Rotate());
  auto rotated = Orphans().at(0);
  EXPECT_NE(rotated.access_token_sealed, o.access_token_sealed);
  EXPECT_EQ(*keys_->Open("proj_a", o.id, "access_token", rotated.access_token_sealed),
            "access-sandbox-1");

  // An operator removes it; another project cannot.
  plaid_.Succeed("/item/remove");
  OrphansImpl hub_orphans(m_.orphans, *keys_, &plaid_, clock_);
  EXPECT_EQ(hub_orphans.Remove("proj_b", o.id).error().code, ErrorCode::kNotFound);
  auto listed = hub_orphans.List("proj_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).item_id, "item-sandbox-1");
  EXPECT_TRUE(listed->at(0).removable);
  int removes = plaid_.Count("/item/remove");
  auto removed = hub_orphans.Remove("proj_a", o.id);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(plaid_.Count("/item/remove"), removes + 1);
  EXPECT_EQ(GetString(plaid_.CallsTo("/item/remove").back().body, "access_token"),
            "access-sandbox-1");
  EXPECT_THAT(Orphans(), IsEmpty());
}

TEST_F(LinkerTest, AnOrphanWithoutItsAccessTokenIsLeftToPlaidSupport) {
  domain::ConnectSession session = Session();
  plaid_.FailTransport(std::string(kExchange));
  ASSERT_FALSE(linker_->LinkAccount(session, "public-sandbox-gone", Metadata()));
  OrphansImpl orphans(m_.orphans, *keys_, &plaid_, clock_);
  auto listed = orphans.List("proj_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE(listed->at(0).removable);
  EXPECT_EQ(listed->at(0).item_id, std::nullopt);
  auto refused = orphans.Remove("proj_a", listed->at(0).orphan.id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(refused.error().message, HasSubstr("link-session-1"));
}

TEST_F(LinkerTest, AStoreFailureAfterTheExchangeRemovesTheItem) {
  exchanges_.fail_complete = true;
  auto linked = linker_->LinkAccount(Session(), "public-sandbox-nostore", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kInternal);
  EXPECT_THAT(linked.error().message, HasSubstr("run Plaid Link again"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_THAT(RemovedTokens(plaid_), ElementsAre("access-sandbox-1"));
  EXPECT_THAT(AccountsOf("proj_a"), IsEmpty());
  auto exchange = ExchangeOf("public-sandbox-nostore");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, domain::ExchangeState::kFailed);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", exchange->account_id).error().code,
            ErrorCode::kNotFound);
  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_sending",
                                            "exchange.after_exchange", "exchange.after_journal"));
  // The answer was journaled, then marked removed: a restart does not bring it back.
  auto journaled = journal_.Entries();
  ASSERT_EQ(journaled.count(exchange->id), 1u);
  EXPECT_TRUE(journaled[exchange->id].answer.has_value());
  EXPECT_TRUE(journaled[exchange->id].removed);
  EXPECT_THAT(Orphans(), IsEmpty());
}

TEST_F(LinkerTest, TheDuplicateGuardRefusesBeforeCallingPlaid) {
  domain::LinkedAccount existing = Link("public-sandbox-first", Metadata(), /*multiple=*/true);
  ASSERT_FALSE(existing.id.empty());
  auto again =
      linker_->LinkAccount(Session(/*multiple=*/true), "public-sandbox-second", Metadata());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().details.size(), 1u);
  EXPECT_EQ(Detail(again.error(), "existing_account_id"), existing.id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // only the first link's
  EXPECT_EQ(ExchangeOf("public-sandbox-second").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(LinkerTest, ADuplicateFoundAfterTheExchangeIsUndone) {
  // A pasted public token comes without Link's metadata.
  domain::LinkedAccount existing = Link("public-sandbox-first", LinkMetadata{}, true);
  ASSERT_FALSE(existing.id.empty());
  auto again = linker_->LinkAccount(Session(true), "public-sandbox-second", LinkMetadata{});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Detail(again.error(), "existing_account_id"), existing.id);
  EXPECT_EQ(plaid_.Count(kExchange), 2);
  EXPECT_THAT(RemovedTokens(plaid_), ElementsAre("access-sandbox-2"));
  auto accounts = AccountsOf("proj_a");
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0].id, existing.id);
  EXPECT_EQ(accounts[0].status, domain::AccountStatus::kActive);
  auto exchange = ExchangeOf("public-sandbox-second");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", exchange->account_id).error().code,
            ErrorCode::kNotFound);
}

TEST_F(LinkerTest, ASecondAccountNeedsAMultipleSession) {
  domain::LinkedAccount existing = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(existing.id.empty());
  LinkMetadata other_bank;
  other_bank.institution_id = "ins_other";
  other_bank.accounts = {{"x", "Other Checking", "9999", "depository", "checking"}};
  auto again =
      linker_->LinkAccount(Session(/*multiple=*/false), "public-sandbox-second", other_bank);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Detail(again.error(), "existing_account_id"), existing.id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);

  // Another owner of the project, or a multiple session, may link.
  UseOtherBank(plaid_);
  auto other_owner =
      linker_->LinkAccount(Session(false, "owner-2"), "public-sandbox-third", other_bank);
  EXPECT_TRUE(other_owner) << other_owner.error().message;
  auto multiple = linker_->LinkAccount(Session(true), "public-sandbox-fourth", other_bank);
  EXPECT_TRUE(multiple) << multiple.error().message;
}

TEST_F(LinkerTest, TwoTokensOfOneOwnerLinkedConcurrentlyStillObeyMultiple) {
  domain::ConnectSession session = Session(/*multiple=*/false);
  plaid_.Block(std::string(kExchange));
  Result<domain::LinkedAccount> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  Result<domain::LinkedAccount> second = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = linker_->LinkAccount(session, "public-sandbox-one", Metadata()); });
  ASSERT_TRUE(plaid_.WaitForCalls(1, kExchange));
  LinkMetadata other_bank;
  other_bank.institution_id = "ins_other";
  std::thread b([&] { second = linker_->LinkAccount(session, "public-sandbox-two", other_bank); });
  // The second link waits for the owner's first one (the first passed this point too).
  ASSERT_TRUE(faults_.WaitFor("exchange.waiting_for_owner", 2));
  plaid_.Release(std::string(kExchange));
  a.join();
  b.join();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Detail(second.error(), "existing_account_id"), first->id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(AccountsOf("proj_a").size(), 1u);
}

TEST_F(LinkerTest, ALinkThatWaitsTooLongForTheOwnersOtherLinkIsRefused) {
  LinkerImpl impatient(
      LinkerStores{m_.accounts, exchanges_, journal_, m_.orphans}, *keys_, plaid_, clock_, random_,
      [](std::chrono::milliseconds) {}, settings_, &faults_, std::chrono::milliseconds(50));
  domain::ConnectSession session = Session(/*multiple=*/true);
  plaid_.Block(std::string(kExchange));
  Result<domain::LinkedAccount> first = Unexpected(MakeError(ErrorCode::kInternal, "not run"));
  std::thread a([&] { first = impatient.LinkAccount(session, "public-sandbox-slow", Metadata()); });
  ASSERT_TRUE(plaid_.WaitForCalls(1, kExchange));
  // The first link holds the owner until Plaid answers, which it does not: the second gives up.
  LinkMetadata other_bank;
  other_bank.institution_id = "ins_other";
  auto second = impatient.LinkAccount(session, "public-sandbox-waiting", other_bank);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(second.error().message, HasSubstr("try again"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // the second never reached Plaid
  plaid_.Release(std::string(kExchange));
  a.join();
  ASSERT_TRUE(first) << first.error().message;
  // Once the first is done, the second goes through.
  UseOtherBank(plaid_);
  auto later = impatient.LinkAccount(session, "public-sandbox-waiting", other_bank);
  EXPECT_TRUE(later) << later.error().message;
}

TEST_F(LinkerTest, ADisplayFieldFailureKeepsTheLinkAndIsFilledLater) {
  plaid_.FailTransport("/accounts/get");
  auto linked = linker_->LinkAccount(Session(), "public-sandbox-details", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;
  auto stored = m_.accounts.GetAccount("proj_a", linked->id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, domain::AccountStatus::kActive);
  EXPECT_TRUE(stored->details_pending);
  EXPECT_FALSE(stored->access_token_sealed.empty());
  EXPECT_EQ(plaid_.Count("/item/remove"), 0);
  EXPECT_THAT(faults_.points(), ElementsAre("exchange.after_pending", "exchange.after_sending",
                                            "exchange.after_exchange", "exchange.after_journal",
                                            "exchange.after_commit", "exchange.after_details"));
  auto pending = m_.accounts.ListAccountsWithPendingDetails();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);

  plaid_.Succeed("/accounts/get");
  linker_->FillPendingDetails();
  stored = m_.accounts.GetAccount("proj_a", linked->id);
  ASSERT_TRUE(stored);
  EXPECT_FALSE(stored->details_pending);
  EXPECT_EQ(stored->status, domain::AccountStatus::kActive);
  EXPECT_EQ(stored->institution_name, "First Platypus Bank");
  EXPECT_THAT(stored->accounts_json, HasSubstr("Plaid Saving"));
  EXPECT_THAT(stored->products, ElementsAre("transactions", "auth"));
  EXPECT_THAT(*m_.accounts.ListAccountsWithPendingDetails(), IsEmpty());
}

TEST_F(LinkerTest, ReconcileSettlesEveryPendingExchangeByWhatTheJournalSaw) {
  auto leave = [&](const std::string& name, bool sent) {
    domain::PendingExchange p;
    p.id = "exch_" + name;
    p.project_id = "proj_a";
    p.session_id = 1;
    p.public_token_hash = keys_->Hash("public-sandbox-" + name);
    p.account_id = "acc_" + name;
    p.origin_owner_id = "owner-1";
    p.link_session_id = "link-session-" + name;
    p.created_at = clock_.Now();
    ASSERT_TRUE(m_.exchanges.BeginExchange(p));
    if (sent) {
      ASSERT_TRUE(journal_.RecordSending(p.id));
    }
  };
  leave("old", /*sent=*/true);
  clock_.Advance(std::chrono::minutes(20));
  leave("unsent", false);
  leave("sent", true);
  clock_.Advance(std::chrono::minutes(11));  // old: 31 minutes, its token has expired

  ASSERT_TRUE(linker_->ReconcileExchanges());
  EXPECT_THAT(*m_.exchanges.ListPendingExchanges(), IsEmpty());
  auto unsent = ExchangeOf("public-sandbox-unsent");
  EXPECT_EQ(unsent->state, domain::ExchangeState::kFailed);
  EXPECT_THAT(unsent->failure.value_or(""), HasSubstr("not sent"));
  EXPECT_EQ(unsent->closed_at, clock_.Now());
  EXPECT_THAT(ExchangeOf("public-sandbox-sent")->failure.value_or(""),
              HasSubstr("outcome unknown"));
  EXPECT_THAT(ExchangeOf("public-sandbox-old")->failure.value_or(""), HasSubstr("outcome unknown"));
  // Only the two that reached Plaid may have made an Item.
  std::map<std::string, domain::OrphanItem> orphans;
  for (auto& o : Orphans()) {
    orphans[o.exchange_id.value_or("")] = o;
  }
  ASSERT_EQ(orphans.size(), 2u);
  EXPECT_EQ(orphans["exch_sent"].certainty, domain::OrphanCertainty::kPossible);
  EXPECT_EQ(orphans["exch_sent"].link_session_id, "link-session-sent");
  EXPECT_THAT(orphans["exch_old"].reason, HasSubstr("expired"));
  EXPECT_THAT(journal_.Entries(), IsEmpty());
  EXPECT_EQ(plaid_.Endpoints().size(), 0u);  // reconciling never calls Plaid

  // The one that never reached Plaid links on its retry.
  clock_.Advance(std::chrono::minutes(1));
  domain::ConnectSession session = Session(true);
  auto linked = linker_->LinkAccount(session, "public-sandbox-unsent", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_EQ(linked->id, "acc_unsent");
}

TEST_F(LinkerTest, AResumedExchangeThatPlaidRefusesIsADefiniteOrphan) {
  domain::ConnectSession session = Session();
  // A crash after the token went to Plaid, before its answer was kept.
  CrashAndRestart(session, /*sent=*/true);
  clock_.Advance(std::chrono::minutes(2));

  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  auto linked = linker_->LinkAccount(session, "public-sandbox-crashed", Metadata());
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(linked.error().message, HasSubstr("run Plaid Link again"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  auto exchange = ExchangeOf("public-sandbox-crashed");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->id, "exch_crashed");
  EXPECT_EQ(exchange->state, domain::ExchangeState::kFailed);
  ASSERT_TRUE(exchange->failure.has_value());
  EXPECT_THAT(*exchange->failure, HasSubstr("never stored"));
  auto orphans = Orphans();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].certainty, domain::OrphanCertainty::kDefinite);
  EXPECT_EQ(orphans[0].exchange_id, "exch_crashed");
  EXPECT_EQ(orphans[0].link_session_id, "link-session-crashed");
}

TEST_F(LinkerTest, ARetryOfAnExchangeThatNeverReachedPlaidIsNoOrphan) {
  domain::ConnectSession session = Session();
  CrashAndRestart(session, /*sent=*/false);
  EXPECT_THAT(Orphans(), IsEmpty());
  // Say the token had expired meanwhile: Plaid's refusal proves nothing about an Item.
  plaid_.FailWithPlaid(std::string(kExchange), "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
  ASSERT_FALSE(linker_->LinkAccount(session, "public-sandbox-crashed", Metadata()));
  EXPECT_THAT(Orphans(), IsEmpty());
}

TEST_F(LinkerTest, AResumedExchangeCompletesUnderTheRecordedAccountId) {
  domain::ConnectSession session = Session();
  CrashAndRestart(session, /*sent=*/true);

  auto linked = linker_->LinkAccount(session, "public-sandbox-crashed", Metadata());
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_EQ(linked->id, "acc_crashed");
  EXPECT_EQ(ExchangeOf("public-sandbox-crashed")->state, domain::ExchangeState::kLinked);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_THAT(Orphans(), IsEmpty());  // the first attempt had made no Item after all
}

TEST_F(LinkerTest, AResumedExchangeIsRecheckedAgainstTheOwnersAccounts) {
  domain::ConnectSession session = Session(/*multiple=*/false);
  CrashAndRestart(session, /*sent=*/true);
  // Meanwhile the owner linked an account with another token.
  domain::LinkedAccount other = Link("public-sandbox-other", Metadata());
  ASSERT_FALSE(other.id.empty());

  auto resumed = linker_->LinkAccount(session, "public-sandbox-crashed", Metadata());
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // the other link's only
  auto exchange = ExchangeOf("public-sandbox-crashed");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, domain::ExchangeState::kFailed);
}

TEST_F(LinkerTest, AnotherOwnersTokenLearnsNothing) {
  domain::LinkedAccount account = Link("public-sandbox-mine", Metadata());
  ASSERT_FALSE(account.id.empty());
  auto theirs = linker_->LinkAccount(Session(false, "owner-2"), "public-sandbox-mine", Metadata());
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(theirs.error().message, Not(HasSubstr(account.id)));
  auto other_project =
      linker_->LinkAccount(Session(false, "owner-1", "proj_b"), "public-sandbox-mine", Metadata());
  ASSERT_FALSE(other_project);
  EXPECT_EQ(other_project.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(plaid_.Count(kExchange), 1);
}

TEST_F(LinkerTest, ARelinkOfAHealthyItemReactivatesTheAccountWithoutAnExchange) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  account.status = domain::AccountStatus::kError;
  account.status_reasons = {
      domain::StatusReason{"ITEM_LOGIN_REQUIRED", "the bank needs a new login", clock_.Now()}};
  ASSERT_TRUE(m_.accounts.UpdateAccount(account));
  domain::ConnectSession relink = RelinkSession(account);
  clock_.Advance(std::chrono::minutes(1));

  auto relinked = linker_->LinkAccount(relink, "", LinkMetadata{});
  ASSERT_TRUE(relinked) << relinked.error().message;
  EXPECT_EQ(relinked->id, account.id);
  EXPECT_EQ(plaid_.Count(kExchange), 1);  // the first link's only
  auto stored = m_.accounts.GetAccount("proj_a", account.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, domain::AccountStatus::kActive);
  EXPECT_THAT(stored->status_reasons, IsEmpty());
  EXPECT_EQ(stored->updated_at, clock_.Now());
  EXPECT_EQ(GetString(plaid_.CallsTo("/item/get").back().body, "access_token"), "access-sandbox-1");
}

TEST_F(LinkerTest, ARelinkOfAStillBrokenItemFailsWithThePlaidErrorCode) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  account.status = domain::AccountStatus::kError;
  ASSERT_TRUE(m_.accounts.UpdateAccount(account));
  plaid_.SetAnswer(
      "/item/get",
      boost::json::object{
          {"item",
           boost::json::object{{"item_id", "item-sandbox-1"},
                               {"error", boost::json::object{{"error_type", "ITEM_ERROR"},
                                                             {"error_code", "ITEM_LOGIN_REQUIRED"},
                                                             {"error_message", "log in"}}}}},
          {"request_id", "req-broken"}});
  auto relinked = linker_->LinkAccount(RelinkSession(account), "", LinkMetadata{});
  ASSERT_FALSE(relinked);
  EXPECT_EQ(relinked.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(relinked.error().provider.has_value());
  EXPECT_EQ(relinked.error().provider->error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(relinked.error().provider->error_type, "ITEM_ERROR");
  EXPECT_EQ(relinked.error().provider->request_id, "req-broken");
  EXPECT_THAT(relinked.error().message, HasSubstr("ITEM_LOGIN_REQUIRED"));
  EXPECT_EQ(plaid_.Count(kExchange), 1);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", account.id)->status, domain::AccountStatus::kError);
}

TEST_F(LinkerTest, DeleteAccountRemovesTheItemAtPlaid) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  auto deleted = accounts_->Delete("proj_a", account.id);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->status, domain::AccountStatus::kInactive);
  EXPECT_TRUE(deleted->deleted_at.has_value());
  EXPECT_THAT(RemovedTokens(plaid_), ElementsAre("access-sandbox-1"));
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", account.id).error().code, ErrorCode::kNotFound);
}

TEST_F(LinkerTest, DeleteAccountTreatsAnItemPlaidNoLongerKnowsAsRemoved) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  plaid_.FailWithPlaid("/item/remove", "ITEM_ERROR", "ITEM_NOT_FOUND");
  auto deleted = accounts_->Delete("proj_a", account.id);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->status, domain::AccountStatus::kInactive);
  EXPECT_EQ(plaid_.Count("/item/remove"), 1);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", account.id).error().code, ErrorCode::kNotFound);
}

TEST_F(LinkerTest, DeleteAccountKeepsTheAccountWhenPlaidRefusesTheRemoval) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  plaid_.FailWithPlaid("/item/remove", "API_ERROR", "INTERNAL_SERVER_ERROR", 500);
  auto deleted = accounts_->Delete("proj_a", account.id);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kUpstream);
  EXPECT_THAT(deleted.error().message, HasSubstr("kept"));
  auto kept = m_.accounts.GetAccount("proj_a", account.id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, domain::AccountStatus::kActive);
  EXPECT_EQ(AccessTokenOf(*kept), "access-sandbox-1");
  // Another project cannot delete it.
  EXPECT_EQ(accounts_->Delete("proj_b", account.id).error().code, ErrorCode::kNotFound);
}

TEST_F(LinkerTest, CreateLinkTokenSendsTheConfiguredRequest) {
  LinkTokenInput in;
  in.origin_owner_id = "alice@example.com";
  auto token = linker_->CreateLinkToken("proj_a", in);
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
  EXPECT_EQ(GetString(body, "webhook"), "https://hub.example.com/webhooks/plaid/proj_a");
  EXPECT_EQ(GetString(body, "redirect_uri"), "https://hub.example.com/oauth");
  EXPECT_THAT(Strings(body, "country_codes"), ElementsAre("US"));
  EXPECT_EQ(GetString(body, "client_name"), "linkhub");
  EXPECT_EQ(GetString(body, "language"), "en");
  EXPECT_EQ(Find(body, "access_token"), nullptr);
  EXPECT_THAT(ToJson(body), Not(HasSubstr("alice")));
}

TEST_F(LinkerTest, CreateLinkTokenWithRequestedProductsAndRedirect) {
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.products = {"auth", "identity"};
  in.redirect_uri = "https://app.example.com/callback";
  ASSERT_TRUE(linker_->CreateLinkToken("proj_a", in));
  auto calls = plaid_.CallsTo("/link/token/create");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(Strings(calls[0].body, "products"), ElementsAre("auth", "identity"));
  // Optional products minus those already requested.
  EXPECT_THAT(Strings(calls[0].body, "optional_products"), ElementsAre("transactions"));
  EXPECT_EQ(GetString(calls[0].body, "redirect_uri"), "https://app.example.com/callback");
}

TEST_F(LinkerTest, CreateLinkTokenInUpdateModeSendsTheAccessTokenAndNoProducts) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  ASSERT_FALSE(account.id.empty());
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.account_id = account.id;
  ASSERT_TRUE(linker_->CreateLinkToken("proj_a", in));
  auto calls = plaid_.CallsTo("/link/token/create");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(GetString(calls[0].body, "access_token"), "access-sandbox-1");
  EXPECT_EQ(Find(calls[0].body, "products"), nullptr);
  EXPECT_EQ(Find(calls[0].body, "optional_products"), nullptr);
  EXPECT_EQ(GetString(*GetObject(calls[0].body, "user"), "client_user_id"),
            keys_->ClientUserId("proj_a", "owner-1"));

  // Another owner's account, or another project's, cannot be updated.
  in.origin_owner_id = "owner-2";
  EXPECT_EQ(linker_->CreateLinkToken("proj_a", in).error().code, ErrorCode::kInvalidArgument);
  in.origin_owner_id = "owner-1";
  EXPECT_EQ(linker_->CreateLinkToken("proj_b", in).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(plaid_.Count("/link/token/create"), 1);
}

TEST_F(LinkerTest, UpdateModeOffersAccountSelectionWhenTheBankHasNewAccounts) {
  domain::LinkedAccount account = Link("public-sandbox-first", Metadata());
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.account_id = account.id;
  ASSERT_TRUE(linker_->CreateLinkToken("proj_a", in));
  EXPECT_EQ(Find(plaid_.CallsTo("/link/token/create").back().body, "update"), nullptr);
  ASSERT_TRUE(m_.accounts.SetAccountStatus(
      "proj_a", account.id, domain::AccountStatus::kActive,
      {domain::StatusReason{"new_accounts_available", "new accounts", clock_.Now()}},
      clock_.Now()));
  ASSERT_TRUE(linker_->CreateLinkToken("proj_a", in));
  auto calls = plaid_.CallsTo("/link/token/create");
  const auto* update = GetObject(calls.back().body, "update");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(GetBool(*update, "account_selection_enabled"), true);
}

TEST_F(LinkerTest, CreateLinkTokenRefusesAnUnknownProduct) {
  LinkTokenInput in;
  in.origin_owner_id = "owner-1";
  in.products = {"transactions", "crypto"};
  auto token = linker_->CreateLinkToken("proj_a", in);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(token.error().message, HasSubstr("crypto"));
  EXPECT_EQ(plaid_.Count("/link/token/create"), 0);
}

}  // namespace
}  // namespace linkhub::hub
