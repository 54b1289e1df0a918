#include "plaid/webhook_verifier.h"

#include <boost/json.hpp>
#include <vector>

#include "core/encoding.h"
#include "core/json.h"
#include "vault/hashing.h"

namespace linkhub::plaid {

namespace {

Error Refused(std::string why) {
  return MakeError(ErrorCode::kUnauthenticated, "webhook not verified: " + std::move(why));
}

// The JSON object a base64url part holds, or nullopt.
std::optional<boost::json::object> JsonPart(std::string_view part) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes) {
    return std::nullopt;
  }
  auto v = ParseJsonUniqueKeys(*bytes, 8);
  if (!v || !v->is_object()) {
    return std::nullopt;
  }
  return std::move(v->get_object());
}

Result<vault::Es256PublicKey> KeyFromJwk(const boost::json::object& jwk) {
  if (GetString(jwk, "kty") != "EC" || GetString(jwk, "crv") != "P-256") {
    return Unexpected(MakeError(ErrorCode::kUpstream, "Plaid's webhook key is not a P-256 key"));
  }
  auto x = Base64UrlDecode(GetString(jwk, "x").value_or(""));
  auto y = Base64UrlDecode(GetString(jwk, "y").value_or(""));
  if (!x || !y) {
    return Unexpected(MakeError(ErrorCode::kUpstream, "Plaid's webhook key has no x and y"));
  }
  return vault::Es256PublicKey::FromCoordinates(*x, *y);
}

}  // namespace

WebhookVerifier::FetchKey WebhookVerifier::FetchFrom(PlaidClient& plaid) {
  return [&plaid](const std::string& kid) -> Result<boost::json::object> {
    LINKHUB_ASSIGN_OR_RETURN(
        boost::json::object res,
        plaid.Call("/webhook_verification_key/get", boost::json::object{{"key_id", kid}}));
    const auto* key = GetObject(res, "key");
    if (key == nullptr) {
      return Unexpected(
          MakeError(ErrorCode::kUpstream, "Plaid's /webhook_verification_key/get had no key"));
    }
    return *key;
  };
}

namespace {

// Whether a failed fetch is Plaid saying it has no such key (an input error about key_id), the
// one answer that may be cached as "unknown". A 5xx, a 429 or INVALID_API_KEYS say nothing about
// the kid: caching them would refuse every webhook signed with it for a while.
bool SaysUnknownKey(const Error& e) {
  if (e.code == ErrorCode::kNotFound) {
    return true;
  }
  if (!e.provider) {
    return false;
  }
  const ProviderError& p = *e.provider;
  return p.http_status >= 400 && p.http_status < 500 && p.http_status != 429 &&
         p.error_type != "RATE_LIMIT_EXCEEDED" && p.error_code != "INVALID_API_KEYS";
}

}  // namespace

Result<WebhookVerifier::CachedKey> WebhookVerifier::KeyFor(const std::string& kid) {
  auto now = clock_.MonotonicNow();
  std::optional<CachedKey> known;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(kid);
    if (it != keys_.end()) {
      // A known key is refreshed hourly; an unknown kid is asked again after a minute.
      auto age = now - it->second.fetched_at;
      if (it->second.key ? age < kRefreshKnownAfter : age < kRefetchAfter) {
        return it->second;
      }
      if (it->second.key) {
        known = it->second;
      }
    }
    if (!known) {
      if (now - new_kid_window_ >= std::chrono::minutes(1)) {
        new_kid_window_ = now;
        new_kid_fetches_ = 0;
      }
      if (new_kid_fetches_ >= kNewKidFetchesPerMinute) {
        return CachedKey{};  // not asked: treated as unknown
      }
      ++new_kid_fetches_;
    }
  }
  auto jwk = fetch_(kid);
  if (!jwk && known && !SaysUnknownKey(jwk.error())) {
    // Plaid did not answer: the key it gave before still holds; ask again in a minute.
    std::lock_guard lock(mu_);
    known->fetched_at = now - kRefreshKnownAfter + kRefetchAfter;
    keys_[kid] = *known;
    return *known;
  }
  CachedKey fetched;
  fetched.fetched_at = now;
  if (jwk) {
    LINKHUB_ASSIGN_OR_RETURN(vault::Es256PublicKey key, KeyFromJwk(*jwk));
    fetched.key = key;
    if (auto expired = GetInt(*jwk, "expired_at")) {
      fetched.expired_at = TimePoint(std::chrono::seconds(*expired));
    }
  } else if (!SaysUnknownKey(jwk.error())) {
    // No answer, or Plaid failing (a 5xx, a 429, linkhub's own credentials refused): nothing is
    // learnt about the kid, so nothing is cached, and the sender is told to try again.
    Error e = std::move(jwk).error();
    e.code = ErrorCode::kUnavailable;
    e.message = "the webhook's key could not be fetched from Plaid: " + e.message;
    return Unexpected(std::move(e));
  }
  std::lock_guard lock(mu_);
  if (!fetched.key && keys_.size() >= kMaxUnknownKids) {
    for (auto it = keys_.begin(); it != keys_.end();) {
      it = !it->second.key && now - it->second.fetched_at >= kRefetchAfter ? keys_.erase(it)
                                                                           : std::next(it);
    }
    if (keys_.size() >= kMaxUnknownKids) {
      return fetched;  // not cached: the budget above still bounds the fetches
    }
  }
  keys_[kid] = fetched;
  return fetched;
}

Status WebhookVerifier::Verify(std::string_view header, std::string_view raw_body) {
  if (header.empty()) {
    return Unexpected(Refused("no Plaid-Verification header"));
  }
  if (header.size() > kMaxHeaderBytes) {
    return Unexpected(Refused("the Plaid-Verification header is too long"));
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = header.find('.', start);
    parts.push_back(header.substr(start, dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return Unexpected(Refused("the Plaid-Verification header is not a signed JWT"));
  }
  auto jose = JsonPart(parts[0]);
  if (!jose) {
    return Unexpected(Refused("the JWT header is not a JSON object"));
  }
  // Only ES256: never `none`, never an algorithm the key was not made for.
  if (GetString(*jose, "alg") != "ES256") {
    return Unexpected(Refused("the JWT's alg is not ES256"));
  }
  auto kid = GetString(*jose, "kid");
  if (!kid || kid->empty() || kid->size() > 256) {
    return Unexpected(Refused("the JWT names no key (kid)"));
  }
  auto signature = Base64UrlDecode(parts[2]);
  if (!signature || signature->size() != 64) {
    return Unexpected(Refused("the JWT's signature is malformed"));
  }
  LINKHUB_ASSIGN_OR_RETURN(CachedKey key, KeyFor(std::string(*kid)));
  if (!key.key) {
    return Unexpected(Refused("Plaid does not know the JWT's key"));
  }
  TimePoint now = clock_.Now();
  if (key.expired_at && *key.expired_at <= now) {
    return Unexpected(Refused("the JWT's key has expired"));
  }
  std::string signed_part(header.substr(0, parts[0].size() + 1 + parts[1].size()));
  if (!key.key->Verify(signed_part, *signature)) {
    return Unexpected(Refused("the JWT's signature does not match"));
  }
  auto claims = JsonPart(parts[1]);
  if (!claims) {
    return Unexpected(Refused("the JWT's claims are not a JSON object"));
  }
  auto iat = GetInt(*claims, "iat");
  if (!iat) {
    return Unexpected(Refused("the JWT has no iat"));
  }
  // Any integer can stand in a signed iat: one far from now is refused before it becomes a
  // TimePoint, whose nanoseconds it could overflow.
  auto now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  bool stale = *iat < now_seconds - 2 * kMaxAge.count() || *iat > now_seconds + 2 * kMaxAge.count();
  if (!stale) {
    auto age = now - TimePoint(std::chrono::seconds(*iat));
    stale = age > kMaxAge || age < -kMaxAge;
  }
  if (stale) {
    return Unexpected(Refused("the JWT was issued more than five minutes from now"));
  }
  auto claimed = GetString(*claims, "request_body_sha256");
  if (!claimed || !vault::ConstantTimeEquals(vault::Sha256Hex(raw_body), *claimed)) {
    return Unexpected(Refused("the body is not the one Plaid signed"));
  }
  return OkStatus();
}

}  // namespace linkhub::plaid
