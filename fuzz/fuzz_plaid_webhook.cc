// Plaid's webhook verification (plaid/webhook_verifier.h): the Plaid-Verification header's JWS
// parse, the key look-up, the signature, the claims and the body hash, with Plaid's key set
// played by fixed keys (fuzz_support.h) and the clock standing still at the seeds' iat.
//
// Input, one of:
//   HEADER "\n" BODY                       the header as received, and the raw body;
//   "sign\n" JOSE "\n" CLAIMS "\n" BODY    JOSE and CLAIMS (any bytes) signed here with the
//                                          webhook key, so that what follows a good signature
//                                          (claims, iat, body hash) is reached as well. In
//                                          CLAIMS, $BODY_SHA256 stands for the body's hash.
// Kids: fuzz_support's kWebhookKid is current; "fuzz-expired-key" is the same key expired;
// "fuzz-bad-key" is a JWK that is not a P-256 key; "fuzz-unreachable" cannot be fetched (Plaid
// does not answer); any other kid Plaid does not know.

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "core/result.h"
#include "fuzz_support.h"
#include "plaid/webhook_verifier.h"
#include "vault/hashing.h"

namespace linkhub::plaid {
namespace {

Result<boost::json::object> FetchKey(const std::string& kid) {
  if (kid == fuzz::kWebhookKid) {
    return fuzz::WebhookJwk();
  }
  if (kid == "fuzz-expired-key") {
    boost::json::object jwk = fuzz::WebhookJwk();
    jwk["kid"] = kid;
    jwk["expired_at"] =
        std::chrono::duration_cast<std::chrono::seconds>(fuzz::Now().time_since_epoch()).count() -
        60;
    return jwk;
  }
  if (kid == "fuzz-bad-key") {
    boost::json::object jwk = fuzz::WebhookJwk();
    jwk["crv"] = "P-384";
    return jwk;
  }
  if (kid == "fuzz-unreachable") {
    return Unexpected(MakeError(ErrorCode::kUnavailable, "Plaid did not answer"));
  }
  // What HttpPlaidClient returns for Plaid's INVALID_INPUT answer to an unknown key id.
  Error e = MakeError(ErrorCode::kUpstream, "Plaid does not know the key");
  e.provider = ProviderError{400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                             "no key with this id", "fuzz-request"};
  return Unexpected(std::move(e));
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace
}  // namespace linkhub::plaid

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace plaid = linkhub::plaid;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string header;
  std::string_view body;
  if (in.starts_with("sign\n")) {
    std::string_view rest = in.substr(5);
    size_t a = rest.find('\n');
    size_t b = a == std::string_view::npos ? a : rest.find('\n', a + 1);
    if (b == std::string_view::npos) {
      return 0;
    }
    body = rest.substr(b + 1);
    std::string claims = plaid::Replace(std::string(rest.substr(a + 1, b - a - 1)), "$BODY_SHA256",
                                        linkhub::vault::Sha256Hex(body));
    header = linkhub::fuzz::SignJwt(rest.substr(0, a), claims);
  } else {
    size_t newline = in.find('\n');
    header = std::string(in.substr(0, newline));
    body = newline == std::string_view::npos ? "" : in.substr(newline + 1);
  }

  // A fresh verifier each time: its key cache and fetch budget would otherwise carry one input's
  // effects into the next.
  linkhub::FakeClock clock(linkhub::fuzz::Now());
  plaid::WebhookVerifier verifier(plaid::FetchKey, clock);
  linkhub::Status s = verifier.Verify(header, body);
  if (!s) {
    auto code = s.error().code;
    LINKHUB_CHECK(
        code == linkhub::ErrorCode::kUnauthenticated || code == linkhub::ErrorCode::kUnavailable ||
        code == linkhub::ErrorCode::kUpstream || code == linkhub::ErrorCode::kInvalidArgument);
    return 0;
  }
  // Verified: and so again, from the cache this time; and never for another body.
  LINKHUB_CHECK(verifier.Verify(header, body).has_value());
  LINKHUB_CHECK(!verifier.Verify(header, std::string(body) + " ").has_value());
  return 0;
}
