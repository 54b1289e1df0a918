
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/sqlite_project_store.h"
#include "store/test_db.h"

namespace linkhub::store {
namespace {

using domain::AccountFilter;
using domain::AccountStatus;
using domain::ConnectSession;
using domain::ExchangeState;
using domain::LinkedAccount;
using domain::PendingExchange;
using domain::PlaidCallRecord;
using domain::SealedField;
using domain::StatusReason;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An AccountFilter built fluently: Filter("proj_a").Owners({"owner-1"}).Page(0, 2).
struct Filter : AccountFilter {
  explicit Filter(std::string project) { project_id = std::move(project); }
  Filter& Providers(std::vector<std::string> v) {
    providers = std::move(v);
    return *this;
  }
  Filter& Owners(std::vector<std::string> v) {
    origin_owner_ids = std::move(v);
    return *this;
  }
  Filter& Statuses(std::vector<AccountStatus> v) {
    statuses = std::move(v);
    return *this;
  }
  Filter& AccountIds(std::vector<std::string> v) {
    account_ids = std::move(v);
    return *this;
  }
  Filter& Page(int64_t new_offset, int64_t new_limit) {
    offset = new_offset;
    limit = new_limit;
    return *this;
  }
};

class SqliteStoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Sessions, accounts and exchanges reference their project.
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "Acme", now_));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "Beta", now_));
  }

  ConnectSession Session(const std::string& project_id, const std::string& token_hash) {
    ConnectSession s;
    s.project_id = project_id;
    s.token_hash = token_hash;
    s.origin_owner_id = "owner-1";
    s.origin_owner_name = "Owner One";
    s.created_at = now_;
    s.expires_at = now_ + std::chrono::minutes(30);
    return s;
  }

  PendingExchange Pending(const std::string& id, const std::string& token_hash,
                          const std::string& account_id, const std::string& project_id = "proj_a",
                          std::optional<TimePoint> created_at = std::nullopt) {
    PendingExchange p;
    p.id = id;
    p.project_id = project_id;
    p.session_id = 7;
    p.public_token_hash = token_hash;
    p.account_id = account_id;
    p.origin_owner_id = "owner-1";
    p.created_at = created_at.value_or(now_);
    return p;
  }

  LinkedAccount Account(const std::string& id, const std::string& project_id = "proj_a",
                        const std::string& owner = "owner-1",
                        std::optional<TimePoint> created_at = std::nullopt) {
    LinkedAccount a;
    a.id = id;
    a.project_id = project_id;
    a.origin_owner_id = owner;
    a.origin_owner_name = "Owner " + owner;
    a.environment = "sandbox";
    a.products = {"transactions"};
    a.access_token_sealed = "lh1:dk_test:token-of-" + id;
    a.item_id_sealed = "lh1:dk_test:item-of-" + id;
    a.item_id_hash = "itemhash-" + id;
    a.created_at = a.updated_at = created_at.value_or(now_);
    return a;
  }

  // Stores `account` the only way the store allows: through a completed exchange.
  void Insert(const LinkedAccount& account) { ASSERT_TRUE(InsertAccount(m_.exchanges, account)); }

  std::vector<std::string> Ids(const std::vector<LinkedAccount>& accounts) {
    std::vector<std::string> out;
    out.reserve(accounts.size());
    for (const auto& a : accounts) {
      out.push_back(a.id);
    }
    return out;
  }

  std::vector<std::string> ListIds(const AccountFilter& filter) {
    auto listed = m_.accounts.ListAccounts(filter);
    EXPECT_TRUE(listed);
    return listed ? Ids(*listed) : std::vector<std::string>{};
  }

  int64_t CountAccountRows() {
    auto lock = m_.db->Lock();
    auto q = m_.db->Prepare("SELECT COUNT(*) FROM accounts");
    EXPECT_TRUE(q);
    auto row = q->Step();
    EXPECT_TRUE(row && *row);
    return q->ColumnInt(0);
  }

  TimePoint now_ = TimePoint(std::chrono::seconds(1767225600));
  MemoryStores m_;
};

TEST_F(SqliteStoresTest, SessionsGetIncreasingNumericIdsAndAreFoundByTokenHash) {
  ConnectSession first = Session("proj_a", "hash-1");
  first.origin_username = "o.one";
  first.label = "Main bank";
  first.categories_json = R"(["accounting"])";
  first.metadata_json = R"({"source":"test"})";
  first.multiple = true;
  first.type = "test";
  auto a = m_.sessions.CreateConnectSession(first);
  auto b = m_.sessions.CreateConnectSession(Session("proj_b", "hash-2"));
  ASSERT_TRUE(a && b);
  EXPECT_GT(a->id, 0);
  EXPECT_GT(b->id, a->id);

  auto found = m_.sessions.FindConnectSession("hash-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, a->id);
  EXPECT_EQ(found->project_id, "proj_a");
  EXPECT_EQ(found->origin_owner_id, "owner-1");
  EXPECT_EQ(found->origin_username, "o.one");
  EXPECT_EQ(found->label, "Main bank");
  EXPECT_FALSE(found->account_id.has_value());
  EXPECT_EQ(found->categories_json, R"(["accounting"])");
  EXPECT_EQ(found->metadata_json, R"({"source":"test"})");
  EXPECT_TRUE(found->multiple);
  EXPECT_EQ(found->type, "test");
  EXPECT_EQ(found->created_at, now_);
  EXPECT_EQ(found->expires_at, now_ + std::chrono::minutes(30));
  EXPECT_EQ(m_.sessions.FindConnectSession("hash-2")->project_id, "proj_b");
  EXPECT_EQ(m_.sessions.FindConnectSession("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(m_.sessions.CreateConnectSession(Session("proj_a", "hash-1")).error().code,
            ErrorCode::kAlreadyExists);
}

TEST_F(SqliteStoresTest, AccountsAreScopedByProject) {
  Insert(Account("acc_1", "proj_a"));
  ASSERT_TRUE(m_.accounts.GetAccount("proj_a", "acc_1"));
  EXPECT_EQ(m_.accounts.GetAccount("proj_b", "acc_1").error().code, ErrorCode::kNotFound);
  EXPECT_THAT(ListIds(Filter("proj_b")), IsEmpty());
  EXPECT_THAT(ListIds(Filter("proj_a")), ElementsAre("acc_1"));
  EXPECT_THAT(*m_.accounts.ListOwnerAccounts("proj_b", "owner-1", "plaid", {}), IsEmpty());

  // Writes naming another project do not reach the account either.
  LinkedAccount other = Account("acc_1", "proj_b");
  other.label = "hijacked";
  EXPECT_EQ(m_.accounts.UpdateAccount(other).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(m_.accounts.SoftDeleteAccount("proj_b", "acc_1", now_).error().code,
            ErrorCode::kNotFound);
  auto kept = m_.accounts.GetAccount("proj_a", "acc_1");
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->label.has_value());
  EXPECT_FALSE(kept->deleted_at.has_value());
}

TEST_F(SqliteStoresTest, ListAccountsFilters) {
  LinkedAccount a1 = Account("acc_1", "proj_a", "owner-1");
  LinkedAccount a2 = Account("acc_2", "proj_a", "owner-2");
  a2.status = AccountStatus::kError;
  LinkedAccount a3 = Account("acc_3", "proj_a", "owner-1");
  a3.provider = "other";
  LinkedAccount a4 = Account("acc_4", "proj_a", "owner-3");
  a4.status = AccountStatus::kInactive;
  LinkedAccount b1 = Account("acc_b1", "proj_b", "owner-1");
  for (const auto& a : {a1, a2, a3, a4, b1}) {
    Insert(a);
  }
  // Same created_at: the later insert comes first.
  EXPECT_THAT(ListIds(Filter("proj_a")), ElementsAre("acc_4", "acc_3", "acc_2", "acc_1"));
  EXPECT_THAT(ListIds(Filter("proj_a").Providers({"plaid"})),
              ElementsAre("acc_4", "acc_2", "acc_1"));
  EXPECT_THAT(ListIds(Filter("proj_a").Providers({"other"})), ElementsAre("acc_3"));
  EXPECT_THAT(ListIds(Filter("proj_a").Owners({"owner-1"})), ElementsAre("acc_3", "acc_1"));
  EXPECT_THAT(ListIds(Filter("proj_a").Owners({"owner-2", "owner-3"})),
              ElementsAre("acc_4", "acc_2"));
  EXPECT_THAT(ListIds(Filter("proj_a").Statuses({AccountStatus::kActive})),
              ElementsAre("acc_3", "acc_1"));
  EXPECT_THAT(ListIds(Filter("proj_a").Statuses({AccountStatus::kError, AccountStatus::kInactive})),
              ElementsAre("acc_4", "acc_2"));
  EXPECT_THAT(ListIds(Filter("proj_a").AccountIds({"acc_2", "acc_b1", "nope"})),
              ElementsAre("acc_2"));
  // Filters combine with AND.
  EXPECT_THAT(ListIds(Filter("proj_a")
                          .Providers({"plaid"})
                          .Owners({"owner-1"})
                          .Statuses({AccountStatus::kActive})),
              ElementsAre("acc_1"));
}

TEST_F(SqliteStoresTest, ListAccountsIsNewestFirstAndPaged) {
  Insert(Account("acc_old", "proj_a", "owner-1", now_));
  Insert(Account("acc_new", "proj_a", "owner-1", now_ + std::chrono::hours(2)));
  Insert(Account("acc_mid", "proj_a", "owner-1", now_ + std::chrono::hours(1)));
  Insert(Account("acc_mid2", "proj_a", "owner-1", now_ + std::chrono::hours(1)));
  EXPECT_THAT(ListIds(Filter("proj_a")), ElementsAre("acc_new", "acc_mid2", "acc_mid", "acc_old"));
  EXPECT_THAT(ListIds(Filter("proj_a").Page(0, 2)), ElementsAre("acc_new", "acc_mid2"));
  EXPECT_THAT(ListIds(Filter("proj_a").Page(2, 2)), ElementsAre("acc_mid", "acc_old"));
  EXPECT_THAT(ListIds(Filter("proj_a").Page(3, 2)), ElementsAre("acc_old"));
  EXPECT_THAT(ListIds(Filter("proj_a").Page(4, 2)), IsEmpty());
  EXPECT_THAT(ListIds(Filter("proj_a").Page(1, 1)), ElementsAre("acc_mid2"));
}

TEST_F(SqliteStoresTest, ListAccountsExcludesDeletedAccounts) {
  Insert(Account("acc_1"));
  Insert(Account("acc_2"));
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", now_));
  EXPECT_THAT(ListIds(Filter("proj_a")), ElementsAre("acc_2"));
  EXPECT_THAT(ListIds(Filter("proj_a").AccountIds({"acc_1"})), IsEmpty());
  EXPECT_THAT(ListIds(Filter("proj_a").Statuses({AccountStatus::kInactive})), IsEmpty());
  EXPECT_THAT(Ids(*m_.accounts.ListOwnerAccounts("proj_a", "owner-1", "plaid", {})),
              ElementsAre("acc_2"));
}

TEST_F(SqliteStoresTest, AccountRoundTripsEveryField) {
  LinkedAccount a = Account("acc_1");
  a.origin_username = "o.one";
  a.label = "Checking";
  a.status_reasons = {StatusReason{"ITEM_LOGIN_REQUIRED", "log in again", now_}};
  a.type = "test";
  a.products = {"transactions", "auth"};
  a.institution_id = "ins_1";
  a.institution_name = "First Platypus Bank";
  a.accounts_json = R"([{"account_id":"x","name":"Checking","mask":"0000"}])";
  a.details_pending = false;
  a.connect_session_id = 42;
  Insert(a);
  auto got = m_.accounts.GetAccount("proj_a", "acc_1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->provider, "plaid");
  EXPECT_EQ(got->origin_owner_name, "Owner owner-1");
  EXPECT_EQ(got->origin_username, "o.one");
  EXPECT_EQ(got->label, "Checking");
  EXPECT_EQ(got->status, AccountStatus::kActive);
  ASSERT_EQ(got->status_reasons.size(), 1u);
  EXPECT_EQ(got->status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(got->status_reasons[0].description, "log in again");
  EXPECT_EQ(got->status_reasons[0].timestamp, now_);
  EXPECT_EQ(got->type, "test");
  EXPECT_EQ(got->environment, "sandbox");
  EXPECT_THAT(got->products, ElementsAre("transactions", "auth"));
  EXPECT_EQ(got->institution_id, "ins_1");
  EXPECT_EQ(got->institution_name, "First Platypus Bank");
  EXPECT_EQ(got->accounts_json, a.accounts_json);
  EXPECT_FALSE(got->details_pending);
  EXPECT_EQ(got->access_token_sealed, a.access_token_sealed);
  EXPECT_EQ(got->item_id_sealed, a.item_id_sealed);
  EXPECT_EQ(got->item_id_hash, "itemhash-acc_1");
  EXPECT_EQ(got->connect_session_id, 42);
  EXPECT_EQ(got->created_at, now_);
  EXPECT_EQ(got->updated_at, now_);
  EXPECT_FALSE(got->deleted_at.has_value());
}

TEST_F(SqliteStoresTest, UpdateAccountRewritesMutableFieldsButNeverSealedColumns) {
  LinkedAccount original = Account("acc_1");
  Insert(original);
  LinkedAccount changed = original;
  changed.origin_owner_id = "owner-9";
  changed.origin_owner_name = "Owner Nine";
  changed.origin_username = "nine";
  changed.label = "Savings";
  changed.status = AccountStatus::kError;
  changed.status_reasons = {StatusReason{"ITEM_LOGIN_REQUIRED", "log in again", now_}};
  changed.products = {"transactions", "auth"};
  changed.institution_id = "ins_2";
  changed.institution_name = "Second Bank";
  changed.accounts_json = R"([{"account_id":"y"}])";
  changed.details_pending = false;
  changed.updated_at = now_ + std::chrono::minutes(5);
  changed.access_token_sealed = "lh1:dk_test:overwritten";
  changed.item_id_sealed = "";
  changed.item_id_hash = "other-hash";
  ASSERT_TRUE(m_.accounts.UpdateAccount(changed));

  auto got = m_.accounts.GetAccount("proj_a", "acc_1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->origin_owner_id, "owner-9");
  EXPECT_EQ(got->origin_owner_name, "Owner Nine");
  EXPECT_EQ(got->origin_username, "nine");
  EXPECT_EQ(got->label, "Savings");
  EXPECT_EQ(got->status, AccountStatus::kError);
  ASSERT_EQ(got->status_reasons.size(), 1u);
  EXPECT_EQ(got->status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
  EXPECT_THAT(got->products, ElementsAre("transactions", "auth"));
  EXPECT_EQ(got->institution_id, "ins_2");
  EXPECT_EQ(got->institution_name, "Second Bank");
  EXPECT_EQ(got->accounts_json, R"([{"account_id":"y"}])");
  EXPECT_FALSE(got->details_pending);
  EXPECT_EQ(got->updated_at, now_ + std::chrono::minutes(5));
  EXPECT_EQ(got->created_at, now_);
  // The sealed columns and the item hash are the ones the exchange stored.
  EXPECT_EQ(got->access_token_sealed, original.access_token_sealed);
  EXPECT_EQ(got->item_id_sealed, original.item_id_sealed);
  EXPECT_EQ(got->item_id_hash, original.item_id_hash);

  EXPECT_EQ(m_.accounts.UpdateAccount(Account("acc_missing")).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoresTest, EditAccountChangesOnlyTheNamedFields) {
  LinkedAccount original = Account("acc_1");
  original.origin_username = "one";
  Insert(original);
  // A webhook changes the status after the editor read the account.
  std::vector<StatusReason> reasons = {StatusReason{"ITEM_LOGIN_REQUIRED", "log in again", now_}};
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError, reasons,
                                           now_ + std::chrono::minutes(1)));
  domain::AccountEdit edit;
  edit.label = "Savings";
  auto edited = m_.accounts.EditAccount("proj_a", "acc_1", edit, now_ + std::chrono::minutes(2));
  ASSERT_TRUE(edited) << edited.error().message;
  for (const LinkedAccount& got : {*edited, *m_.accounts.GetAccount("proj_a", "acc_1")}) {
    EXPECT_EQ(got.label, "Savings");
    EXPECT_EQ(got.status, AccountStatus::kError);  // the webhook's status stands
    ASSERT_EQ(got.status_reasons.size(), 1u);
    EXPECT_EQ(got.status_reasons[0].code, "ITEM_LOGIN_REQUIRED");
    EXPECT_EQ(got.origin_owner_id, original.origin_owner_id);
    EXPECT_EQ(got.origin_owner_name, original.origin_owner_name);
    EXPECT_EQ(got.origin_username, "one");
    EXPECT_EQ(got.products, original.products);
    EXPECT_EQ(got.access_token_sealed, original.access_token_sealed);
    EXPECT_EQ(got.updated_at, now_ + std::chrono::minutes(2));
  }
  domain::AccountEdit owner;
  owner.origin_owner_id = "owner-2";
  ASSERT_TRUE(m_.accounts.EditAccount("proj_a", "acc_1", owner, now_));
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1")->label, "Savings");  // the earlier edit
  EXPECT_EQ(m_.accounts.EditAccount("proj_b", "acc_1", edit, now_).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(m_.accounts.EditAccount("proj_a", "acc_missing", edit, now_).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", now_));
  EXPECT_EQ(m_.accounts.EditAccount("proj_a", "acc_1", edit, now_).error().code,
            ErrorCode::kNotFound);
}

TEST_F(SqliteStoresTest, SoftDeleteErasesSealedColumnsAndHidesTheAccount) {
  Insert(Account("acc_1"));
  Insert(Account("acc_2"));
  TimePoint later = now_ + std::chrono::hours(1);
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", later));

  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", later).error().code,
            ErrorCode::kNotFound);
  LinkedAccount update = Account("acc_1");
  update.label = "back";
  EXPECT_EQ(m_.accounts.UpdateAccount(update).error().code, ErrorCode::kNotFound);
  auto fields = m_.accounts.ListSealedFields();
  ASSERT_TRUE(fields);
  for (const auto& f : *fields) {
    EXPECT_NE(f.account_id, "acc_1");
  }
  {
    auto lock = m_.db->Lock();
    auto q = m_.db->Prepare(
        "SELECT access_token_sealed, item_id_sealed, status, deleted_at, updated_at FROM accounts "
        "WHERE id = 'acc_1'");
    ASSERT_TRUE(q);
    auto row = q->Step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(q->ColumnText(0), "");
    EXPECT_EQ(q->ColumnText(1), "");
    EXPECT_EQ(q->ColumnText(2), "inactive");
    EXPECT_EQ(q->ColumnInt(3), 1767225600 + 3600);
    EXPECT_EQ(q->ColumnInt(4), 1767225600 + 3600);
  }
  // The other account is untouched.
  auto other = m_.accounts.GetAccount("proj_a", "acc_2");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->access_token_sealed, "lh1:dk_test:token-of-acc_2");
  EXPECT_EQ(other->status, AccountStatus::kActive);
}

TEST_F(SqliteStoresTest, BeginExchangeRejectsADuplicateTokenHash) {
  PendingExchange p = Pending("exch_1", "hash-1", "acc_1");
  p.institution_id = "ins_1";
  p.link_session_id = "link-session-1";
  ASSERT_TRUE(m_.exchanges.BeginExchange(p));
  EXPECT_EQ(m_.exchanges.BeginExchange(Pending("exch_2", "hash-1", "acc_2")).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(m_.exchanges.BeginExchange(Pending("exch_1", "hash-2", "acc_2")).error().code,
            ErrorCode::kAlreadyExists);

  auto found = m_.exchanges.FindExchange("hash-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "exch_1");
  EXPECT_EQ(found->project_id, "proj_a");
  EXPECT_EQ(found->session_id, 7);
  EXPECT_EQ(found->account_id, "acc_1");
  EXPECT_EQ(found->origin_owner_id, "owner-1");
  EXPECT_EQ(found->institution_id, "ins_1");
  EXPECT_EQ(found->link_session_id, "link-session-1");
  EXPECT_EQ(found->state, ExchangeState::kPending);
  EXPECT_FALSE(found->failure.has_value());
  EXPECT_EQ(found->created_at, now_);
  EXPECT_FALSE(found->closed_at.has_value());
  EXPECT_EQ(m_.exchanges.FindExchange("hash-2").error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoresTest, CompleteExchangeStoresTheAccountAndClosesTheExchange) {
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_1", "hash-1", "acc_1")));
  TimePoint later = now_ + std::chrono::seconds(3);
  ASSERT_TRUE(m_.exchanges.CompleteExchange("exch_1", Account("acc_1"), later));
  auto exchange = m_.exchanges.FindExchange("hash-1");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, ExchangeState::kLinked);
  EXPECT_EQ(exchange->closed_at, later);
  ASSERT_TRUE(m_.accounts.GetAccount("proj_a", "acc_1"));

  // A linked exchange cannot complete again.
  EXPECT_EQ(m_.exchanges.CompleteExchange("exch_1", Account("acc_other"), later).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_other").error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoresTest, CompleteExchangeWritesNothingWhenTheAccountInsertFails) {
  Insert(Account("acc_1", "proj_a", "owner-1"));
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_2", "hash-2", "acc_1")));

  // Duplicate account id: the insert fails after the exchange row was updated.
  LinkedAccount clash = Account("acc_1", "proj_a", "owner-2");
  auto s = m_.exchanges.CompleteExchange("exch_2", clash, now_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAlreadyExists);
  auto exchange = m_.exchanges.FindExchange("hash-2");
  ASSERT_TRUE(exchange);
  EXPECT_EQ(exchange->state, ExchangeState::kPending);
  EXPECT_FALSE(exchange->closed_at.has_value());
  EXPECT_EQ(CountAccountRows(), 1);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1")->origin_owner_id, "owner-1");

  // The exchange can still complete afterwards.
  ASSERT_TRUE(m_.exchanges.CompleteExchange("exch_2", Account("acc_2"), now_));
  EXPECT_EQ(m_.exchanges.FindExchange("hash-2")->state, ExchangeState::kLinked);
}

TEST_F(SqliteStoresTest, CompleteExchangeLeavesNoAccountRowOnAFailedInsert) {
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_1", "hash-1", "acc_1")));
  // An unknown project violates the foreign key: the insert fails.
  auto s = m_.exchanges.CompleteExchange("exch_1", Account("acc_1", "proj_missing"), now_);
  ASSERT_FALSE(s);
  EXPECT_EQ(m_.exchanges.FindExchange("hash-1")->state, ExchangeState::kPending);
  EXPECT_EQ(CountAccountRows(), 0);
  EXPECT_EQ(m_.accounts.GetAccount("proj_missing", "acc_1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1").error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoresTest, CompleteExchangeRefusesANonPendingExchange) {
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_1", "hash-1", "acc_1")));
  ASSERT_TRUE(m_.exchanges.FailExchange("exch_1", "INVALID_PUBLIC_TOKEN", now_));
  EXPECT_EQ(m_.exchanges.CompleteExchange("exch_1", Account("acc_1"), now_).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.exchanges.CompleteExchange("exch_unknown", Account("acc_2"), now_).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(CountAccountRows(), 0);
  EXPECT_EQ(m_.exchanges.FindExchange("hash-1")->state, ExchangeState::kFailed);
}

TEST_F(SqliteStoresTest, FailAndReopenFollowTheStateRules) {
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_1", "hash-1", "acc_1")));
  // Only a failed exchange reopens.
  EXPECT_EQ(m_.exchanges.ReopenExchange("exch_1", now_).error().code,
            ErrorCode::kFailedPrecondition);

  TimePoint t1 = now_ + std::chrono::minutes(1);
  ASSERT_TRUE(m_.exchanges.FailExchange("exch_1", "UNAVAILABLE", t1));
  auto failed = m_.exchanges.FindExchange("hash-1");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, ExchangeState::kFailed);
  EXPECT_EQ(failed->failure, "UNAVAILABLE");
  EXPECT_EQ(failed->closed_at, t1);
  // Only a pending exchange fails.
  EXPECT_EQ(m_.exchanges.FailExchange("exch_1", "again", t1).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.exchanges.FindExchange("hash-1")->failure, "UNAVAILABLE");

  TimePoint t2 = now_ + std::chrono::minutes(2);
  ASSERT_TRUE(m_.exchanges.ReopenExchange("exch_1", t2));
  auto reopened = m_.exchanges.FindExchange("hash-1");
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->state, ExchangeState::kPending);
  EXPECT_FALSE(reopened->failure.has_value());
  EXPECT_FALSE(reopened->closed_at.has_value());
  EXPECT_EQ(reopened->created_at, t2);
  EXPECT_EQ(m_.exchanges.ReopenExchange("exch_1", t2).error().code, ErrorCode::kFailedPrecondition);

  // A linked exchange neither fails nor reopens.
  ASSERT_TRUE(m_.exchanges.CompleteExchange("exch_1", Account("acc_1"), t2));
  EXPECT_EQ(m_.exchanges.FailExchange("exch_1", "late", t2).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.exchanges.ReopenExchange("exch_1", t2).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.exchanges.FindExchange("hash-1")->state, ExchangeState::kLinked);

  EXPECT_EQ(m_.exchanges.FailExchange("exch_unknown", "x", t2).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.exchanges.ReopenExchange("exch_unknown", t2).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_F(SqliteStoresTest, ListPendingExchangesIsOldestFirstAndOnlyPending) {
  ASSERT_TRUE(m_.exchanges.BeginExchange(
      Pending("exch_new", "hash-1", "acc_1", "proj_a", now_ + std::chrono::minutes(10))));
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_old", "hash-2", "acc_2", "proj_b", now_)));
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_failed", "hash-3", "acc_3")));
  ASSERT_TRUE(m_.exchanges.BeginExchange(Pending("exch_linked", "hash-4", "acc_4")));
  ASSERT_TRUE(m_.exchanges.FailExchange("exch_failed", "x", now_));
  ASSERT_TRUE(m_.exchanges.CompleteExchange("exch_linked", Account("acc_4"), now_));

  auto pending = m_.exchanges.ListPendingExchanges();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ(pending->at(0).id, "exch_old");
  EXPECT_EQ(pending->at(0).project_id, "proj_b");
  EXPECT_EQ(pending->at(1).id, "exch_new");
}

TEST_F(SqliteStoresTest, ListAccountsWithPendingDetails) {
  LinkedAccount pending_a = Account("acc_1", "proj_a");
  LinkedAccount done = Account("acc_2", "proj_a");
  done.details_pending = false;
  LinkedAccount pending_b = Account("acc_3", "proj_b");
  LinkedAccount deleted = Account("acc_4", "proj_a");
  for (const auto& a : {pending_a, done, pending_b, deleted}) {
    Insert(a);
  }
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_4", now_));
  auto listed = m_.accounts.ListAccountsWithPendingDetails();
  ASSERT_TRUE(listed);
  EXPECT_THAT(Ids(*listed), ElementsAre("acc_1", "acc_3"));

  LinkedAccount filled = pending_a;
  filled.details_pending = false;
  ASSERT_TRUE(m_.accounts.UpdateAccount(filled));
  EXPECT_THAT(Ids(*m_.accounts.ListAccountsWithPendingDetails()), ElementsAre("acc_3"));
}

TEST_F(SqliteStoresTest, ListOwnerAccountsFiltersByOwnerProviderAndStatus) {
  LinkedAccount a1 = Account("acc_1", "proj_a", "owner-1");
  LinkedAccount a2 = Account("acc_2", "proj_a", "owner-1");
  a2.status = AccountStatus::kError;
  LinkedAccount a3 = Account("acc_3", "proj_a", "owner-1");
  a3.status = AccountStatus::kInactive;
  LinkedAccount a4 = Account("acc_4", "proj_a", "owner-2");
  LinkedAccount a5 = Account("acc_5", "proj_a", "owner-1");
  a5.provider = "other";
  for (const auto& a : {a1, a2, a3, a4, a5}) {
    Insert(a);
  }
  EXPECT_THAT(Ids(*m_.accounts.ListOwnerAccounts("proj_a", "owner-1", "plaid", {})),
              ElementsAre("acc_1", "acc_2", "acc_3"));
  EXPECT_THAT(Ids(*m_.accounts.ListOwnerAccounts("proj_a", "owner-1", "plaid",
                                                 {AccountStatus::kActive, AccountStatus::kError})),
              ElementsAre("acc_1", "acc_2"));
  EXPECT_THAT(Ids(*m_.accounts.ListOwnerAccounts("proj_a", "owner-2", "plaid", {})),
              ElementsAre("acc_4"));
  EXPECT_THAT(Ids(*m_.accounts.ListOwnerAccounts("proj_a", "owner-1", "other", {})),
              ElementsAre("acc_5"));
}

TEST_F(SqliteStoresTest, ReplaceSealedFieldIsACompareAndSwap) {
  Insert(Account("acc_2", "proj_b"));
  Insert(Account("acc_1", "proj_a"));
  Insert(Account("acc_3", "proj_a"));
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_3", now_));

  auto fields = m_.accounts.ListSealedFields();
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), 4u);  // the deleted account has no sealed values left
  EXPECT_EQ(fields->at(0).account_id, "acc_1");
  EXPECT_EQ(fields->at(0).project_id, "proj_a");
  EXPECT_EQ(fields->at(0).field, "access_token");
  EXPECT_EQ(fields->at(0).sealed, "lh1:dk_test:token-of-acc_1");
  EXPECT_EQ(fields->at(1).account_id, "acc_1");
  EXPECT_EQ(fields->at(1).field, "item_id");
  EXPECT_EQ(fields->at(1).sealed, "lh1:dk_test:item-of-acc_1");
  EXPECT_EQ(fields->at(2).account_id, "acc_2");
  EXPECT_EQ(fields->at(2).project_id, "proj_b");

  SealedField token = fields->at(0);
  ASSERT_TRUE(m_.accounts.ReplaceSealedField(token, "lh1:dk_new:token"));
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1")->access_token_sealed, "lh1:dk_new:token");
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1")->item_id_sealed, "lh1:dk_test:item-of-acc_1");

  // The expected value is stale now.
  EXPECT_EQ(m_.accounts.ReplaceSealedField(token, "lh1:dk_other:token").error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1")->access_token_sealed, "lh1:dk_new:token");

  // The project is part of the match.
  SealedField wrong_project = fields->at(1);
  wrong_project.project_id = "proj_b";
  EXPECT_EQ(m_.accounts.ReplaceSealedField(wrong_project, "lh1:dk_new:item").error().code,
            ErrorCode::kFailedPrecondition);

  SealedField item = fields->at(1);
  ASSERT_TRUE(m_.accounts.ReplaceSealedField(item, "lh1:dk_new:item"));
  EXPECT_EQ(m_.accounts.GetAccount("proj_a", "acc_1")->item_id_sealed, "lh1:dk_new:item");

  SealedField unknown = fields->at(0);
  unknown.field = "item_id_hash";
  EXPECT_EQ(m_.accounts.ReplaceSealedField(unknown, "x").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteStoresTest, PlaidCallsKeepTheNewestPerAccountAndProject) {
  auto call = [&](const std::string& project, const std::string& account, int n) {
    PlaidCallRecord c;
    c.project_id = project;
    c.account_id = account;
    c.at = now_ + std::chrono::milliseconds(n);
    c.endpoint = "/accounts/get";
    c.http_status = n % 2 == 0 ? 200 : 400;
    c.error_code = n % 2 == 0 ? "" : "ITEM_LOGIN_REQUIRED";
    c.request_id = "req-" + std::to_string(n);
    c.latency_us = 1000 + n;
    return c;
  };
  std::vector<PlaidCallRecord> batch;
  batch.reserve(domain::kPlaidCallsKept + 6);
  for (int n = 0; n < domain::kPlaidCallsKept + 5; ++n) {
    batch.push_back(call("proj_a", "acc_1", n));
  }
  batch.push_back(call("proj_b", "acc_1", 7));  // same account id, other tenant
  ASSERT_TRUE(m_.call_log.AddPlaidCalls(batch));
  ASSERT_TRUE(m_.call_log.AddPlaidCalls({call("proj_a", "acc_1", domain::kPlaidCallsKept + 5)}));

  auto a = m_.call_log.ListPlaidCalls("proj_a", "acc_1", 5000);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), static_cast<size_t>(domain::kPlaidCallsKept));
  EXPECT_EQ(a->front().request_id, "req-" + std::to_string(domain::kPlaidCallsKept + 5));
  EXPECT_EQ(a->back().request_id, "req-6");  // 0..5 dropped
  EXPECT_EQ(a->at(1).http_status, 200);
  EXPECT_EQ(a->at(1).error_code, "");
  EXPECT_EQ(a->at(0).error_code, "ITEM_LOGIN_REQUIRED");
  EXPECT_EQ(a->at(0).latency_us, 1000 + domain::kPlaidCallsKept + 5);
  EXPECT_EQ(a->at(0).at, now_ + std::chrono::milliseconds(domain::kPlaidCallsKept + 5));

  auto b = m_.call_log.ListPlaidCalls("proj_b", "acc_1", 10);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ(b->front().request_id, "req-7");
  EXPECT_EQ(m_.call_log.ListPlaidCalls("proj_a", "acc_1", 3)->size(), 3u);
  EXPECT_TRUE(m_.call_log.ListPlaidCalls("proj_b", "acc_2", 10)->empty());
}

TEST_F(SqliteStoresTest, ABatchLargerThanWhatIsKeptKeepsTheNewestOfEachAccount) {
  // Two accounts interleaved in one batch, each past the limit: each keeps its own newest.
  std::vector<PlaidCallRecord> batch;
  for (int n = 0; n < domain::kPlaidCallsKept + 3; ++n) {
    for (const char* account : {"acc_1", "acc_2"}) {
      PlaidCallRecord c;
      c.project_id = "proj_a";
      c.account_id = account;
      c.at = now_ + std::chrono::milliseconds(n);
      c.endpoint = "/accounts/get";
      c.http_status = 200;
      c.request_id = std::string(account) + "-" + std::to_string(n);
      batch.push_back(c);
    }
  }
  ASSERT_TRUE(m_.call_log.AddPlaidCalls(batch));
  for (const char* account : {"acc_1", "acc_2"}) {
    auto calls = m_.call_log.ListPlaidCalls("proj_a", account, 5000);
    ASSERT_TRUE(calls);
    ASSERT_EQ(calls->size(), static_cast<size_t>(domain::kPlaidCallsKept)) << account;
    EXPECT_EQ(calls->front().request_id,
              std::string(account) + "-" + std::to_string(domain::kPlaidCallsKept + 2));
    EXPECT_EQ(calls->back().request_id, std::string(account) + "-3");
  }
}

TEST_F(SqliteStoresTest, DeletingAnAccountDropsItsCallLog) {
  Insert(Account("acc_1"));
  Insert(Account("acc_2"));
  PlaidCallRecord c;
  c.project_id = "proj_a";
  c.account_id = "acc_1";
  c.at = now_;
  c.endpoint = "/accounts/get";
  c.http_status = 200;
  PlaidCallRecord other = c;
  other.account_id = "acc_2";
  ASSERT_TRUE(m_.call_log.AddPlaidCalls({c, other}));
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", now_));
  EXPECT_TRUE(m_.call_log.ListPlaidCalls("proj_a", "acc_1", 10)->empty());
  EXPECT_EQ(m_.call_log.ListPlaidCalls("proj_a", "acc_2", 10)->size(), 1u);
  EXPECT_EQ(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", now_).error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace linkhub::store
