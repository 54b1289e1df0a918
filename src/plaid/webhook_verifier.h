#pragma once

// Plaid's webhook verification (plaid.com/docs/api/webhooks/webhook-verification): the
// Plaid-Verification header is a compact JWS whose header names `alg` ES256 and a `kid`, signed
// by a P-256 key Plaid serves at /webhook_verification_key/get, with the claims `iat` (issued at,
// seconds) and `request_body_sha256` (the lowercase hex SHA-256 of the exact body bytes).

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/time_format.h"
#include "plaid/plaid_client.h"
#include "vault/es256.h"

namespace linkhub::plaid {

// Verifies webhooks of one Plaid account (one client_id: keys are per client). Keys are cached
// until their `expired_at`; a `kid` not in the cache is fetched, at most once a minute per kid,
// so forged headers naming random kids cannot make linkhub flood Plaid. Thread-safe; fetching
// happens outside the lock.
class WebhookVerifier {
 public:
  // Asks Plaid for the key `kid`; returns the answer's "key" object (a JWK with created_at and
  // expired_at). kNotFound (or any Plaid error) when Plaid does not know it.
  using FetchKey = std::function<Result<boost::json::object>(const std::string& kid)>;
  // The FetchKey that calls /webhook_verification_key/get on `plaid`, which must outlive it.
  static FetchKey FetchFrom(PlaidClient& plaid);

  static constexpr std::chrono::seconds kMaxAge{300};       // iat at most this old (or ahead)
  static constexpr std::chrono::seconds kRefetchAfter{60};  // per kid
  static constexpr size_t kMaxHeaderBytes = 4096;
  // Kids never seen are asked for at most this often in all, so forged headers naming a new
  // random kid each cannot make linkhub flood Plaid (nor grow the cache: unknown kids are
  // forgotten after kRefetchAfter once there are many).
  static constexpr int kNewKidFetchesPerMinute = 10;
  static constexpr size_t kMaxUnknownKids = 1000;
  // A known key is asked for again this long after it was fetched (on its next use), so that
  // Plaid's expired_at for a retired key is learnt; if Plaid does not answer, it stays trusted.
  static constexpr std::chrono::hours kRefreshKnownAfter{1};

  WebhookVerifier(FetchKey fetch, Clock& clock) : fetch_(std::move(fetch)), clock_(clock) {}

  // OK when `header` (the Plaid-Verification value) is Plaid's signature of exactly `raw_body`.
  // kUnauthenticated with a reason that is safe to log (it never quotes the header or the body)
  // when it is not: malformed, another alg (none included), an unknown or expired key, a bad
  // signature, a stale iat, another body. kUnavailable when the key could not be fetched.
  Status Verify(std::string_view header, std::string_view raw_body);

 private:
  struct CachedKey {
    std::optional<vault::Es256PublicKey> key;  // nullopt: Plaid did not know the kid
    std::optional<TimePoint> expired_at;
    std::chrono::steady_clock::time_point fetched_at;
  };
  // The key for `kid`, from the cache or Plaid.
  Result<CachedKey> KeyFor(const std::string& kid);

  FetchKey fetch_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, CachedKey, std::less<>> keys_;  // guarded by mu_
  // The minute's window of fetches for kids never seen. Guarded by mu_.
  std::chrono::steady_clock::time_point new_kid_window_{};
  int new_kid_fetches_ = 0;
};

}  // namespace linkhub::plaid
