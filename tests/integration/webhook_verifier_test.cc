// linkhub's verifier of Plaid webhooks (plaid::WebhookVerifier) against the emulator's signer,
// which signs as Plaid does: real ES256 JWTs, keys served as JWKs, rotation. Forged, tampered,
// stale, wrong-alg and unknown-kid headers are refused, each with its reason.
#include "plaid/webhook_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "core/encoding.h"
#include "core/json.h"
#include "emulator/webhook_signer.h"

namespace linkhub {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class WebhookVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetNow(TimePoint(std::chrono::seconds(1'800'000'000)));
    auto signer = emulator::WebhookSigner::Create(signer_clock_, random_);
    ASSERT_TRUE(signer);
    signer_ = std::move(*signer);
    verifier_ = std::make_unique<plaid::WebhookVerifier>(
        [this](const std::string& kid) -> Result<boost::json::object> {
          ++fetches_[kid];
          if (fail_fetch_) {
            return Unexpected(MakeError(ErrorCode::kUnavailable, "Plaid did not answer"));
          }
          if (plaid_fails_with_) {
            Error e = MakeError(ErrorCode::kUpstream, "Plaid failed");
            e.provider = plaid_fails_with_;
            return Unexpected(std::move(e));
          }
          auto jwk = signer_->PublicJwk(kid);
          if (!jwk) {
            Error e = MakeError(ErrorCode::kInvalidArgument, "unknown key");
            e.provider = ProviderError{400, "INVALID_INPUT", "INVALID_FIELD", "unknown", "req"};
            return Unexpected(std::move(e));
          }
          return *jwk;
        },
        clock_);
  }

  // The signer stamps iat with its clock: keep it with the verifier's.
  std::string Sign(std::string_view body) {
    signer_clock_.SetNow(clock_.Now());
    auto signed_header = signer_->Sign(body);
    EXPECT_TRUE(signed_header);
    return signed_header ? *signed_header : "";
  }

  // A JWT with the given header and claims and a signature that is not a signature.
  static std::string Forged(const boost::json::object& header, const boost::json::object& claims) {
    return Base64UrlEncode(ToJson(header)) + "." + Base64UrlEncode(ToJson(claims)) + "." +
           Base64UrlEncode(std::string(64, 'x'));
  }

  static std::vector<std::string> Parts(const std::string& jwt) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1) {
      out.push_back(jwt.substr(start, dot - start));
    }
    out.push_back(jwt.substr(start));
    return out;
  }

  std::string Refusal(std::string_view header, std::string_view body) {
    Status s = verifier_->Verify(header, body);
    EXPECT_FALSE(s);
    if (s) {
      return "";
    }
    EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated) << s.error().message;
    return s.error().message;
  }

  FakeClock clock_;
  FakeClock signer_clock_;
  SeededRandom random_{3};
  std::unique_ptr<emulator::WebhookSigner> signer_;
  std::unique_ptr<plaid::WebhookVerifier> verifier_;
  std::map<std::string, int> fetches_;
  bool fail_fetch_ = false;
  std::optional<ProviderError> plaid_fails_with_;  // set: Plaid answers every fetch with it
};

const std::string kBody = "{\n  \"webhook_type\": \"ITEM\",\n  \"webhook_code\": \"ERROR\"\n}";

TEST_F(WebhookVerifierTest, PlaidsSignatureOfTheExactBodyVerifiesAndItsKeyIsFetchedOnce) {
  std::string header = Sign(kBody);
  ASSERT_TRUE(verifier_->Verify(header, kBody));
  ASSERT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  EXPECT_EQ(fetches_[signer_->current_kid()], 1);
}

TEST_F(WebhookVerifierTest, AnotherBodyOrAReserialisedOneIsRefused) {
  std::string header = Sign(kBody);
  EXPECT_THAT(Refusal(header, kBody + " "), HasSubstr("not the one Plaid signed"));
  auto reserialised = ToJson(*ParseJson(kBody));
  ASSERT_NE(reserialised, kBody);
  EXPECT_THAT(Refusal(header, reserialised), HasSubstr("not the one Plaid signed"));
}

TEST_F(WebhookVerifierTest, ATamperedSignatureOrClaimIsRefused) {
  auto parts = Parts(Sign(kBody));
  ASSERT_EQ(parts.size(), 3u);
  std::string sig = *Base64UrlDecode(parts[2]);
  sig[5] = static_cast<char>(sig[5] ^ 0x40);
  EXPECT_THAT(Refusal(parts[0] + "." + parts[1] + "." + Base64UrlEncode(sig), kBody),
              HasSubstr("signature does not match"));
  // Claims rewritten to another body's hash: the signature no longer covers them.
  auto claims = ParseJson(*Base64UrlDecode(parts[1]))->get_object();
  claims["request_body_sha256"] = emulator::Sha256Hex("other");
  EXPECT_THAT(Refusal(parts[0] + "." + Base64UrlEncode(ToJson(claims)) + "." + parts[2], "other"),
              HasSubstr("signature does not match"));
}

TEST_F(WebhookVerifierTest, OnlyES256IsAccepted) {
  std::string kid = signer_->current_kid();
  boost::json::object claims{{"iat", 1'800'000'000}, {"request_body_sha256", "x"}};
  for (const char* alg : {"none", "HS256", "RS256", "ES384", "es256"}) {
    SCOPED_TRACE(alg);
    EXPECT_THAT(Refusal(Forged({{"alg", alg}, {"kid", kid}}, claims), kBody),
                HasSubstr("alg is not ES256"));
  }
  // `none` with no signature at all.
  EXPECT_THAT(Refusal(Base64UrlEncode(R"({"alg":"none","kid":"k"})") + "." +
                          Base64UrlEncode(ToJson(claims)) + ".",
                      kBody),
              HasSubstr("not a signed JWT"));
  EXPECT_THAT(Refusal(Forged({{"alg", "ES256"}}, claims), kBody), HasSubstr("kid"));
  EXPECT_EQ(fetches_.size(), 0u) << "nothing is fetched for a header refused on sight";
}

TEST_F(WebhookVerifierTest, MalformedHeadersAreRefused) {
  EXPECT_THAT(Refusal("", kBody), HasSubstr("no Plaid-Verification"));
  EXPECT_THAT(Refusal("abc", kBody), HasSubstr("not a signed JWT"));
  EXPECT_THAT(Refusal("a.b.c.d", kBody), HasSubstr("not a signed JWT"));
  EXPECT_THAT(Refusal("!!.??.**", kBody), HasSubstr("not a JSON object"));
  EXPECT_THAT(Refusal(std::string(5000, 'a'), kBody), HasSubstr("too long"));
  // A header with the same key twice is not a header to trust.
  EXPECT_THAT(Refusal(Base64UrlEncode(R"({"alg":"ES256","alg":"none","kid":"k"})") + ".e30." +
                          Base64UrlEncode(std::string(64, 'x')),
                      kBody),
              HasSubstr("not a JSON object"));
}

TEST_F(WebhookVerifierTest, AStaleOrFutureIatIsRefused) {
  std::string header = Sign(kBody);
  clock_.Advance(5min);
  EXPECT_TRUE(verifier_->Verify(header, kBody)) << "five minutes old is still fresh";
  clock_.Advance(1s);
  EXPECT_THAT(Refusal(header, kBody), HasSubstr("five minutes"));
  // Signed six minutes ahead of the receiver's clock.
  signer_clock_.SetNow(clock_.Now() + 6min);
  std::string ahead = *signer_->Sign(kBody);
  EXPECT_THAT(Refusal(ahead, kBody), HasSubstr("five minutes"));
}

TEST_F(WebhookVerifierTest, AnUnknownKidIsAskedForAtMostOnceAMinute) {
  boost::json::object claims{{"iat", 1'800'000'000}, {"request_body_sha256", "x"}};
  std::string forged = Forged({{"alg", "ES256"}, {"kid", "kid-nobody-knows"}}, claims);
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Refusal(forged, kBody), HasSubstr("does not know the JWT's key"));
  }
  EXPECT_EQ(fetches_["kid-nobody-knows"], 1);
  clock_.Advance(61s);
  EXPECT_THAT(Refusal(forged, kBody), HasSubstr("does not know"));
  EXPECT_EQ(fetches_["kid-nobody-knows"], 2);
}

TEST_F(WebhookVerifierTest, NewKidsCostAtMostTenFetchesAMinuteInAll) {
  boost::json::object claims{{"iat", 1'800'000'000}, {"request_body_sha256", "x"}};
  for (int i = 0; i < 50; ++i) {
    std::string kid = "kid-random-" + std::to_string(i);
    EXPECT_THAT(Refusal(Forged({{"alg", "ES256"}, {"kid", kid}}, claims), kBody),
                HasSubstr("does not know"));
  }
  int total = 0;
  for (const auto& [kid, n] : fetches_) {
    total += n;
  }
  EXPECT_EQ(total, plaid::WebhookVerifier::kNewKidFetchesPerMinute);
  // A minute later Plaid is asked again, and a key it knows verifies.
  clock_.Advance(61s);
  EXPECT_TRUE(verifier_->Verify(Sign(kBody), kBody));
}

TEST_F(WebhookVerifierTest, AKnownKeyIsAskedForAgainHourlyAndItsExpiryLearnt) {
  // A header signed by the current key, dated an hour and a minute ahead.
  signer_clock_.SetNow(clock_.Now() + 61min);
  auto later = signer_->Sign(kBody);
  ASSERT_TRUE(later);
  ASSERT_TRUE(verifier_->Verify(Sign(kBody), kBody));  // caches the key
  std::string kid = signer_->current_kid();
  ASSERT_TRUE(signer_->Rotate());  // Plaid retires it (expired_at: the signer's clock, +61 min)
  clock_.Advance(61min);
  Status s = verifier_->Verify(*later, kBody);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("expired"));
  EXPECT_EQ(fetches_[kid], 2);
}

TEST_F(WebhookVerifierTest, AKnownKeyStaysTrustedWhenPlaidDoesNotAnswerItsRefresh) {
  ASSERT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  std::string kid = signer_->current_kid();
  fail_fetch_ = true;
  clock_.Advance(61min);
  EXPECT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  EXPECT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  EXPECT_EQ(fetches_[kid], 2);  // asked once, no answer, kept; asked again a minute later
  clock_.Advance(61s);
  EXPECT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  EXPECT_EQ(fetches_[kid], 3);
}

TEST_F(WebhookVerifierTest, ARotatedKeyVerifiesUntilItsExpiryAndTheNewOneIsFetched) {
  std::string old_kid = signer_->current_kid();
  ASSERT_TRUE(verifier_->Verify(Sign(kBody), kBody));  // caches the old key, not expired
  signer_clock_.SetNow(clock_.Now());
  ASSERT_TRUE(signer_->Rotate());
  // The new key is unknown to the cache: fetched once, then verifies.
  ASSERT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  EXPECT_EQ(fetches_[signer_->current_kid()], 1);
  EXPECT_EQ(fetches_[old_kid], 1);
  // A fresh verifier learns the old key's expired_at from Plaid and refuses what it signs.
  fetches_.clear();
  auto fresh = plaid::WebhookVerifier(
      [this](const std::string& kid) -> Result<boost::json::object> {
        ++fetches_[kid];
        return *signer_->PublicJwk(kid);
      },
      clock_);
  boost::json::object claims{{"iat", 1'800'000'000}, {"request_body_sha256", "x"}};
  Status s = fresh.Verify(Forged({{"alg", "ES256"}, {"kid", old_kid}}, claims), kBody);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("expired"));
}

TEST_F(WebhookVerifierTest, NoAnswerFromPlaidIsUnavailableAndNotRemembered) {
  fail_fetch_ = true;
  std::string header = Sign(kBody);
  Status s = verifier_->Verify(header, kBody);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  fail_fetch_ = false;
  EXPECT_TRUE(verifier_->Verify(header, kBody));  // asked again at once
}

TEST_F(WebhookVerifierTest, PlaidFailingIsUnavailableAndNeverMakesAKeyUnknown) {
  // A 5xx, a 429 or linkhub's own credentials refused say nothing about the key: 503 (Plaid
  // delivers again) and nothing remembered, so the next delivery is verified at once.
  for (const ProviderError& failure :
       {ProviderError{500, "API_ERROR", "INTERNAL_SERVER_ERROR", "internal", "r1"},
        ProviderError{429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT", "slow down", "r2"},
        ProviderError{400, "INVALID_INPUT", "INVALID_API_KEYS", "bad keys", "r3"}}) {
    signer_clock_.SetNow(clock_.Now());
    ASSERT_TRUE(signer_->Rotate());  // a key this verifier has not seen
    std::string header = Sign(kBody);
    plaid_fails_with_ = failure;
    Status s = verifier_->Verify(header, kBody);
    ASSERT_FALSE(s) << failure.error_code;
    EXPECT_EQ(s.error().code, ErrorCode::kUnavailable) << failure.error_code;
    ASSERT_TRUE(s.error().provider.has_value());
    EXPECT_EQ(s.error().provider->error_code, failure.error_code);
    plaid_fails_with_.reset();
    EXPECT_TRUE(verifier_->Verify(header, kBody)) << failure.error_code;
  }
}

TEST_F(WebhookVerifierTest, AKnownKeyStaysTrustedWhenPlaidFailsItsRefresh) {
  ASSERT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  plaid_fails_with_ = ProviderError{500, "API_ERROR", "INTERNAL_SERVER_ERROR", "internal", "r"};
  clock_.Advance(61min);
  EXPECT_TRUE(verifier_->Verify(Sign(kBody), kBody));
  EXPECT_EQ(fetches_[signer_->current_kid()], 2);  // asked, Plaid failed, the key kept
}

TEST_F(WebhookVerifierTest, RefusalsNeverQuoteTheHeaderOrTheBody) {
  std::string body = R"({"secret_marker":"access-sandbox-0123"})";
  std::string header = Sign(kBody);
  std::string why = Refusal(header, body);
  EXPECT_EQ(why.find("secret_marker"), std::string::npos);
  EXPECT_EQ(why.find(header.substr(0, 20)), std::string::npos);
}

}  // namespace
}  // namespace linkhub
