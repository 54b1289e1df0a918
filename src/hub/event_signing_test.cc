#include "hub/event_signing.h"

#include <gtest/gtest.h>

#include "core/random.h"

namespace linkhub::hub {
namespace {

// The Standard Webhooks specification's own example (standard-webhooks' README).
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";

TEST(EventSigningTest, MatchesTheStandardWebhooksExample) {
  EventSignature s = SignEvent({kSecret}, kId, kTimestamp, kBody);
  EXPECT_EQ(s.standard, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // StackOne's: base64url without padding of HMAC-SHA256 keyed with the secret as shown.
  EXPECT_EQ(s.stackone, "gOyKic480iEzoQZsrstNBP6nRnZXyFFNcX7ELDilyUw");
}

TEST(EventSigningTest, DuringRotationBothSecretsSignAndTheNewestSignsStackOnes) {
  EventSignature one = SignEvent({kSecret}, kId, kTimestamp, kBody);
  EventSignature other =
      SignEvent({"whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVz"}, kId, kTimestamp, kBody);
  EventSignature both =
      SignEvent({"whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVz", kSecret}, kId, kTimestamp, kBody);
  EXPECT_EQ(both.standard, other.standard + " " + one.standard);
  EXPECT_EQ(both.stackone, other.stackone);
}

TEST(EventSigningTest, NewSecretsAreWhsecAndTwentyFourRandomBytes) {
  SecureRandom random;
  std::string a = NewEndpointSecret(random);
  std::string b = NewEndpointSecret(random);
  EXPECT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_EQ(a.size(), 6u + 32u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace linkhub::hub
