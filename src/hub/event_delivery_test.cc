#include "hub/event_delivery.h"

#include <gtest/gtest.h>

#include "core/json.h"
#include "fakes/scripted_http_client.h"
#include "hub/event_signing.h"
#include "hub/events_impl.h"
#include "store/test_db.h"

namespace linkhub::hub {
namespace {

constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";  // 32 bytes
using std::chrono::milliseconds;

class EventDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.projects.CreateProject("proj_a", "A", clock_.Now()));
    auto keys = Keys::Open(kMasterKey, m_.data_keys, m_.accounts, random_, clock_);
    ASSERT_TRUE(keys);
    keys_ = std::move(*keys);
    events_ = std::make_unique<EventsImpl>(m_.events, m_.plaid_webhooks, *keys_, clock_, random_,
                                           EventsOptions{true, nullptr, nullptr});
    auto made = events_->CreateEndpoint("proj_a", "https://hooks.example.com/in", {});
    ASSERT_TRUE(made) << made.error().message;
    endpoint_ = *made;
    options_.first_retry = milliseconds(1000);
    delivery_ =
        std::make_unique<EventDelivery>(m_.events, *keys_, http_, clock_, random_, options_);
  }

  void Link(const std::string& id) {
    domain::LinkedAccount a;
    a.id = id;
    a.project_id = "proj_a";
    a.origin_owner_id = "owner";
    a.origin_owner_name = "Owner";
    a.access_token_sealed = "x";
    a.item_id_sealed = "y";
    a.item_id_hash = "h-" + id;
    a.created_at = a.updated_at = clock_.Now();
    ASSERT_TRUE(store::InsertAccount(m_.exchanges, a));
  }

  size_t DeliverDue() {
    auto n = delivery_->DeliverDue();
    EXPECT_TRUE(n) << n.error().message;
    return n ? *n : 0;
  }

  domain::Delivery Only() {
    auto list = events_->ListDeliveries("proj_a", endpoint_.endpoint.id, 10);
    EXPECT_TRUE(list);
    EXPECT_EQ(list->size(), 1u);
    return list->empty() ? domain::Delivery{} : list->front().delivery;
  }

  FakeClock clock_;
  SeededRandom random_{7};
  store::MemoryStores m_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<EventsImpl> events_;
  EndpointWithSecret endpoint_;
  fakes::ScriptedHttpClient http_;
  DeliveryOptions options_;
  std::unique_ptr<EventDelivery> delivery_;
};

TEST_F(EventDeliveryTest, ADeliveryIsSignedBothWaysAndCarriesSentAt) {
  Link("acc_1");
  http_.Answer(204, "");
  EXPECT_EQ(DeliverDue(), 1u);
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const http::ClientRequest& r = requests[0];
  EXPECT_EQ(r.url, "https://hooks.example.com/in");
  EXPECT_EQ(r.timeout, milliseconds(10'000));
  EXPECT_TRUE(r.public_addresses_only);
  auto parsed = ParseJson(r.body);
  ASSERT_TRUE(parsed && parsed->is_object());
  const auto& body = parsed->get_object();
  EXPECT_EQ(GetString(body, "event"), "account.created");
  EXPECT_EQ(GetString(body, "sent_at"), FormatRfc3339(clock_.Now()));
  std::string id(GetString(body, "event_id").value_or(""));
  EXPECT_EQ(r.headers.Get("webhook-id").value_or(""), id);
  std::string ts(r.headers.Get("webhook-timestamp").value_or(""));
  EventSignature want = SignEvent({endpoint_.secret}, id, std::stoll(ts), r.body);
  EXPECT_EQ(r.headers.Get("webhook-signature").value_or(""), want.standard);
  EXPECT_EQ(r.headers.Get("x-stackone-signature").value_or(""), want.stackone);
  EXPECT_EQ(Only().state, domain::DeliveryState::kDelivered);
  EXPECT_EQ(DeliverDue(), 0u);  // nothing twice
}

TEST_F(EventDeliveryTest, FailuresAreRetriedWithBackoffUntilADayHasPassed) {
  Link("acc_1");
  http_.Answer(500, "");
  EXPECT_EQ(DeliverDue(), 1u);
  domain::Delivery d = Only();
  EXPECT_EQ(d.state, domain::DeliveryState::kPending);
  ASSERT_TRUE(d.last_attempt);
  EXPECT_EQ(d.last_attempt->status_code, 500);
  EXPECT_NE(d.last_attempt->error.find("HTTP 500"), std::string::npos);
  auto wait = d.next_attempt_at - clock_.Now();
  EXPECT_GE(wait, milliseconds(500));
  EXPECT_LE(wait, milliseconds(1000));
  EXPECT_EQ(DeliverDue(), 0u);  // not due yet
  clock_.Advance(milliseconds(1000));
  http_.Fail(
      MakeError(ErrorCode::kDeadlineExceeded, "request to https://hooks.example.com timed out"));
  EXPECT_EQ(DeliverDue(), 1u);
  d = Only();
  EXPECT_EQ(d.attempts, 2);
  EXPECT_EQ(d.last_attempt->status_code, 0);
  EXPECT_NE(d.last_attempt->error.find("timed out"), std::string::npos);
  // A day of failures: the delivery gives up and the endpoint is failing.
  for (int i = 0; i < 100 && Only().state == domain::DeliveryState::kPending; ++i) {
    clock_.SetNow(Only().next_attempt_at);
    http_.Answer(503, "");
    DeliverDue();
  }
  EXPECT_EQ(Only().state, domain::DeliveryState::kFailed);
  EXPECT_LT(Only().attempts, 60);  // capped at an hour apart, not a storm
  auto w = events_->GetEndpoint("proj_a", endpoint_.endpoint.id);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, domain::EndpointStatus::kFailing);
}

TEST_F(EventDeliveryTest, RetryDelaysDoubleWithJitterAndAreCapped) {
  DeliveryOptions o;
  o.first_retry = milliseconds(2000);
  o.max_backoff = std::chrono::hours(1);
  EXPECT_EQ(RetryDelay(o, 1, 0.0), milliseconds(1000));
  EXPECT_EQ(RetryDelay(o, 1, 0.999999), milliseconds(1999));
  EXPECT_EQ(RetryDelay(o, 3, 0.0), milliseconds(4000));
  EXPECT_EQ(RetryDelay(o, 40, 0.0), milliseconds(1800'000));
}

TEST_F(EventDeliveryTest, DuringRotationBothSecretsSignThenOnlyTheNewOne) {
  auto rotated = events_->RotateSecret("proj_a", endpoint_.endpoint.id);
  ASSERT_TRUE(rotated) << rotated.error().message;
  Link("acc_1");
  http_.Answer(200, "");
  DeliverDue();
  auto r = http_.requests().back();
  std::string id(r.headers.Get("webhook-id").value_or(""));
  int64_t ts = std::stoll(std::string(r.headers.Get("webhook-timestamp").value_or("0")));
  EventSignature both = SignEvent({rotated->secret, endpoint_.secret}, id, ts, r.body);
  EXPECT_EQ(r.headers.Get("webhook-signature").value_or(""), both.standard);
  EXPECT_EQ(r.headers.Get("x-stackone-signature").value_or(""), both.stackone);

  clock_.Advance(Events::kRotationOverlap + std::chrono::seconds(1));
  ASSERT_TRUE(m_.accounts.SetAccountStatus("proj_a", "acc_1", domain::AccountStatus::kError, {},
                                           clock_.Now()));
  http_.Answer(200, "");
  DeliverDue();
  r = http_.requests().back();
  id = std::string(r.headers.Get("webhook-id").value_or(""));
  ts = std::stoll(std::string(r.headers.Get("webhook-timestamp").value_or("0")));
  EXPECT_EQ(r.headers.Get("webhook-signature").value_or(""),
            SignEvent({rotated->secret}, id, ts, r.body).standard);
}

TEST_F(EventDeliveryTest, APrivateAddressIsRecordedAsAFailure) {
  Link("acc_1");
  http_.Fail(MakeError(ErrorCode::kPermissionDenied,
                       "request to https://hooks.example.com refused: the host has a loopback, "
                       "private or reserved address"));
  DeliverDue();
  domain::Delivery d = Only();
  EXPECT_EQ(d.state, domain::DeliveryState::kPending);
  EXPECT_NE(d.last_attempt->error.find("private"), std::string::npos);
}

TEST(EventsImplTest, RefusesPrivateHostsUnlessAllowed) {
  FakeClock clock;
  SeededRandom random{1};
  store::MemoryStores m;
  ASSERT_TRUE(m.projects.CreateProject("proj_a", "A", clock.Now()));
  auto keys = Keys::Open(kMasterKey, m.data_keys, m.accounts, random, clock);
  ASSERT_TRUE(keys);
  EventsOptions strict{false,
                       [](const std::string& host) -> Status {
                         if (host == "internal.example") {
                           return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                                       host + " resolves to a private address"));
                         }
                         return OkStatus();
                       },
                       nullptr};
  EventsImpl events(m.events, m.plaid_webhooks, **keys, clock, random, strict);
  auto refused = events.CreateEndpoint("proj_a", "https://internal.example/in", {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("--allow-private-webhook-urls"), std::string::npos);
  EXPECT_TRUE(events.CreateEndpoint("proj_a", "https://hooks.example.com/in", {}));
  auto bad_event = events.CreateEndpoint("proj_a", "https://hooks.example.com/in", {"nope"});
  ASSERT_FALSE(bad_event);
  EXPECT_NE(bad_event.error().message.find("account.created"), std::string::npos);
  // The secret is stored sealed: the row never holds it.
  auto listed = events.ListEndpoints("proj_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().secret_sealed.find("whsec_"), std::string::npos);
}

}  // namespace
}  // namespace linkhub::hub
