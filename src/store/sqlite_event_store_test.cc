// The outbox on SQLite (migration 9): events written with the changes they report, their
// deliveries per endpoint in order per account, endpoint health, and Plaid's webhook inbox.
#include <gtest/gtest.h>

#include "store/sqlite_rows.h"
#include "store/test_db.h"

namespace linkhub::store {
namespace {

using domain::AccountStatus;
using domain::DeliveryState;
using domain::EventType;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));
constexpr auto kDay = std::chrono::hours(24);

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "A", kNow));
    ASSERT_TRUE(m_.projects.CreateProject("proj_b", "B", kNow));
  }

  static domain::LinkedAccount Account(const std::string& id,
                                       const std::string& project = "proj_a") {
    domain::LinkedAccount a;
    a.id = id;
    a.project_id = project;
    a.origin_owner_id = "owner-" + id;
    a.origin_owner_name = "Owner";
    a.environment = "sandbox";
    a.access_token_sealed = "sealed-token";
    a.item_id_sealed = "sealed-item";
    a.item_id_hash = "item-hash-" + id;
    a.created_at = a.updated_at = kNow;
    return a;
  }

  domain::WebhookEndpoint Endpoint(const std::string& id, std::vector<EventType> events = {},
                                   const std::string& project = "proj_a") {
    domain::WebhookEndpoint w;
    w.id = id;
    w.project_id = project;
    w.url = "https://hooks.example.com/" + id;
    w.events = std::move(events);
    w.secret_sealed = "sealed-secret";
    w.created_at = kNow;
    EXPECT_TRUE(m_.events.CreateEndpoint(w));
    return w;
  }

  std::vector<domain::Event> Events(const std::string& account) {
    auto e = m_.events.ListAccountEvents("proj_a", account, 100);
    EXPECT_TRUE(e);
    return e ? *e : std::vector<domain::Event>{};
  }

  std::vector<DueDelivery> Due(TimePoint at = kNow) {
    auto d = m_.events.ListDueDeliveries(at, 100);
    EXPECT_TRUE(d);
    return d ? *d : std::vector<DueDelivery>{};
  }

  void Deliver(const DueDelivery& d, TimePoint at = kNow) {
    ASSERT_TRUE(m_.events.RecordAttempt(d.delivery.id, domain::DeliveryAttempt{at, 200, 3, ""},
                                        DeliveryState::kDelivered, at, kDay));
  }

  MemoryStores m_;
};

TEST_F(EventStoreTest, EveryVisibleChangeWritesItsEventAndNothingElseDoes) {
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError,
                                           {domain::StatusReason{"login_required", "log in", kNow}},
                                           kNow));
  // The same status and reasons again: no change, no event.
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError,
                                           {domain::StatusReason{"login_required", "log in", kNow}},
                                           kNow));
  // Display details are not news for the customer.
  domain::LinkedAccount details = Account("acc_1");
  details.institution_name = "First Platypus Bank";
  ASSERT_TRUE(m_.accounts.UpdateAccountDetails(details));
  ASSERT_TRUE(m_.accounts.SuspendAccount(
      "proj_a", "acc_1", domain::StatusReason{"SUSPENDED", "by an operator", kNow}, kNow));
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", kNow));

  auto events = Events("acc_1");
  ASSERT_EQ(events.size(), 4u);  // newest first
  EXPECT_EQ(events[3].type, EventType::kAccountCreated);
  EXPECT_EQ(events[2].type, EventType::kAccountUpdated);
  EXPECT_EQ(events[1].type, EventType::kAccountUpdated);
  EXPECT_EQ(events[0].type, EventType::kAccountDeleted);
  EXPECT_NE(events[2].payload_json.find("\"status\":\"error\""), std::string::npos);
  EXPECT_NE(events[2].payload_json.find("login_required"), std::string::npos);
  EXPECT_NE(events[1].payload_json.find("\"status\":\"suspended\""), std::string::npos);
  EXPECT_NE(events[0].payload_json.find("\"event\":\"account.deleted\""), std::string::npos);
  EXPECT_NE(events[0].payload_json.find("\"event_id\":\"" + events[0].id + "\""),
            std::string::npos);
  EXPECT_EQ(events[0].payload_json.find("sealed"), std::string::npos);  // never a sealed value
}

TEST_F(EventStoreTest, AFailedChangeWritesNoEvent) {
  EXPECT_FALSE(
      m_.accounts.SetAccountStatus("proj_a", "acc_missing", AccountStatus::kError, {}, kNow));
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  // Another project's account cannot be changed, and no event is written for it.
  EXPECT_FALSE(m_.accounts.SetAccountStatus("proj_b", "acc_1", AccountStatus::kError, {}, kNow));
  EXPECT_EQ(Events("acc_1").size(), 1u);
}

TEST_F(EventStoreTest, EndpointsGetTheEventsTheyTakeAndOnlyTheirProjects) {
  Endpoint("whk_all");
  Endpoint("whk_updates", {EventType::kAccountUpdated});
  Endpoint("whk_b", {}, "proj_b");
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);  // account.created: whk_all only
  EXPECT_EQ(due[0].endpoint.id, "whk_all");
  EXPECT_EQ(due[0].event.type, EventType::kAccountCreated);
  Deliver(due[0]);
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError, {}, kNow));
  due = Due();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_NE(due[0].endpoint.id, "whk_b");
  EXPECT_NE(due[1].endpoint.id, "whk_b");
}

TEST_F(EventStoreTest, AnAccountsEventsReachAnEndpointInOrder) {
  Endpoint("whk_1");
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_2")));
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError, {}, kNow));
  // Due: the first event of each account; acc_1's update waits behind its creation.
  auto due = Due();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].delivery.account_id, "acc_1");
  EXPECT_EQ(due[0].event.type, EventType::kAccountCreated);
  EXPECT_EQ(due[1].delivery.account_id, "acc_2");
  // A failed first attempt keeps the order: nothing of acc_1 is due until it is retried.
  ASSERT_TRUE(
      m_.events.RecordAttempt(due[0].delivery.id, domain::DeliveryAttempt{kNow, 500, 4, "HTTP 500"},
                              DeliveryState::kPending, kNow + std::chrono::seconds(2), kDay));
  Deliver(due[1]);
  EXPECT_TRUE(Due().empty());
  due = Due(kNow + std::chrono::seconds(2));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].delivery.attempts, 1);
  EXPECT_EQ(due[0].event.type, EventType::kAccountCreated);
  Deliver(due[0], kNow + std::chrono::seconds(2));
  due = Due(kNow + std::chrono::seconds(2));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event.type, EventType::kAccountUpdated);
  auto next = m_.events.NextDueAt();
  ASSERT_TRUE(next && *next);
}

TEST_F(EventStoreTest, ADayOfFailuresMarksTheEndpointFailingAndASuccessHealsIt) {
  Endpoint("whk_1");
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);
  const std::string id = due[0].delivery.id;
  auto fail = [&](TimePoint at) {
    ASSERT_TRUE(m_.events.RecordAttempt(id, domain::DeliveryAttempt{at, 0, 10000, "timeout"},
                                        DeliveryState::kPending, at, kDay));
  };
  fail(kNow);
  fail(kNow + std::chrono::hours(23));
  EXPECT_EQ(m_.events.GetEndpoint("proj_a", "whk_1")->status, domain::EndpointStatus::kActive);
  EXPECT_EQ(m_.events.GetEndpoint("proj_a", "whk_1")->failing_since, kNow);
  fail(kNow + kDay);
  EXPECT_EQ(m_.events.GetEndpoint("proj_a", "whk_1")->status, domain::EndpointStatus::kFailing);
  ASSERT_TRUE(m_.events.RecordAttempt(id, domain::DeliveryAttempt{kNow + kDay, 204, 5, ""},
                                      DeliveryState::kDelivered, kNow + kDay, kDay));
  auto healed = m_.events.GetEndpoint("proj_a", "whk_1");
  EXPECT_EQ(healed->status, domain::EndpointStatus::kActive);
  EXPECT_FALSE(healed->failing_since.has_value());
  auto attempts = m_.events.ListAttempts(id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 4u);
  EXPECT_EQ((*attempts)[0].error, "timeout");
  EXPECT_EQ((*attempts)[3].status_code, 204);
  auto d = m_.events.GetDelivery("proj_a", "whk_1", id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, DeliveryState::kDelivered);
  EXPECT_EQ(d->attempts, 4);
  EXPECT_EQ(d->delivered_at, kNow + kDay);
}

TEST_F(EventStoreTest, ADeletedEndpointSignsNothingAndGetsNothing) {
  Endpoint("whk_1");
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  EXPECT_FALSE(m_.events.DeleteEndpoint("proj_b", "whk_1", kNow));  // not theirs
  ASSERT_TRUE(m_.events.DeleteEndpoint("proj_a", "whk_1", kNow));
  EXPECT_TRUE(Due().empty());
  EXPECT_FALSE(m_.events.GetEndpoint("proj_a", "whk_1"));
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", AccountStatus::kError, {}, kNow));
  EXPECT_TRUE(Due().empty());
  auto lock = m_.db->Lock();
  auto q = m_.db->Prepare("SELECT secret_sealed FROM webhook_endpoints WHERE id = 'whk_1'");
  ASSERT_TRUE(q);
  auto row = q->Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(q->ColumnText(0), "");
}

TEST_F(EventStoreTest, ARetriedDeliveryIsDueAgain) {
  Endpoint("whk_1");
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);
  Deliver(due[0]);
  EXPECT_FALSE(m_.events.RetryDelivery("proj_b", "whk_1", due[0].delivery.id, kNow));
  ASSERT_TRUE(m_.events.RetryDelivery("proj_a", "whk_1", due[0].delivery.id, kNow));
  due = Due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event.type, EventType::kAccountCreated);
}

TEST_F(EventStoreTest, PruningKeepsWhatIsPendingAndWhatIsRecent) {
  Endpoint("whk_1");
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_2")));
  auto due = Due();
  ASSERT_EQ(due.size(), 2u);
  Deliver(due[0]);  // acc_1's delivered; acc_2's still pending
  auto pruned = m_.events.PruneSettled(kNow + kDay);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  EXPECT_TRUE(Events("acc_1").empty());
  EXPECT_EQ(Events("acc_2").size(), 1u);
  EXPECT_EQ(Due().size(), 1u);
  EXPECT_EQ(*m_.events.PruneSettled(kNow), 0);  // nothing older than now
}

TEST_F(EventStoreTest, RotationKeepsThePreviousSecretUntilItsTime) {
  Endpoint("whk_1");
  ASSERT_TRUE(
      m_.events.RotateSecret("proj_a", "whk_1", "sealed-new", "sealed-old-again", kNow + kDay));
  auto w = m_.events.GetEndpoint("proj_a", "whk_1");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->secret_sealed, "sealed-new");
  EXPECT_EQ(w->previous_secret_sealed, "sealed-old-again");
  EXPECT_EQ(w->previous_secret_until, kNow + kDay);
}

domain::PlaidWebhook Webhook(const std::string& id, const std::string& body_hash) {
  domain::PlaidWebhook w;
  w.id = id;
  w.project_id = "proj_a";
  w.body_hash = body_hash;
  w.body_sealed = "sealed-body";
  w.webhook_type = "TRANSACTIONS";
  w.webhook_code = "SYNC_UPDATES_AVAILABLE";
  w.item_id_hash = "item-hash-acc_1";
  w.received_at = kNow;
  return w;
}

TEST_F(EventStoreTest, TheInboxKeepsABodyOnceAndItsEventWithItsApplication) {
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  ASSERT_TRUE(m_.plaid_webhooks.ReceiveWebhook(Webhook("pwh_1", "h1"), kNow - kDay));
  auto again = m_.plaid_webhooks.ReceiveWebhook(Webhook("pwh_2", "h1"), kNow - kDay);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  // The same bytes after the window are news again; another project's are its own.
  domain::PlaidWebhook later = Webhook("pwh_3", "h1");
  later.received_at = kNow + kDay;
  ASSERT_TRUE(m_.plaid_webhooks.ReceiveWebhook(later, kNow + std::chrono::hours(1)));
  domain::PlaidWebhook theirs = Webhook("pwh_4", "h1");
  theirs.project_id = "proj_b";
  ASSERT_TRUE(m_.plaid_webhooks.ReceiveWebhook(theirs, kNow - kDay));
  auto pending = m_.plaid_webhooks.ListUnapplied(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ(pending->front().id, "pwh_1");  // oldest first
  ASSERT_TRUE(m_.plaid_webhooks.FinishWebhook("pwh_1", std::string("acc_1"), "sent",
                                              EventType::kTransactionsUpdatesAvailable, kNow));
  // Applied once: a second finish finds nothing to apply and writes no second event.
  EXPECT_FALSE(m_.plaid_webhooks.FinishWebhook("pwh_1", std::string("acc_1"), "sent",
                                               EventType::kTransactionsUpdatesAvailable, kNow));
  EXPECT_EQ(m_.plaid_webhooks.ListUnapplied(10)->size(), 2u);  // pwh_3 and pwh_4
  auto events = Events("acc_1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kTransactionsUpdatesAvailable);
  auto timeline = m_.plaid_webhooks.ListAccountWebhooks("proj_a", "acc_1", 10);
  ASSERT_TRUE(timeline);
  ASSERT_EQ(timeline->size(), 1u);
  EXPECT_EQ((*timeline)[0].outcome, "sent");
  EXPECT_TRUE(m_.plaid_webhooks.ListAccountWebhooks("proj_b", "acc_1", 10)->empty());
  ASSERT_TRUE(m_.plaid_webhooks.PruneApplied(kNow + std::chrono::seconds(1)));
  EXPECT_TRUE(m_.plaid_webhooks.ListAccountWebhooks("proj_a", "acc_1", 10)->empty());
}

TEST_F(EventStoreTest, FindsTheAccountOfAnItemWithinItsProjectOnly) {
  ASSERT_TRUE(InsertAccount(m_.exchanges, Account("acc_1")));
  auto found = m_.accounts.FindAccountByItem("proj_a", "item-hash-acc_1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, "acc_1");
  EXPECT_FALSE(m_.accounts.FindAccountByItem("proj_b", "item-hash-acc_1")->has_value());
  EXPECT_FALSE(m_.accounts.FindAccountByItem("proj_a", "item-hash-nope")->has_value());
  ASSERT_TRUE(m_.accounts.SoftDeleteAccount("proj_a", "acc_1", kNow));
  found = m_.accounts.FindAccountByItem("proj_a", "item-hash-acc_1");
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*found)->deleted_at.has_value());
}

}  // namespace
}  // namespace linkhub::store
