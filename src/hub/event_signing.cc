#include "hub/event_signing.h"

#include "core/encoding.h"
#include "vault/hashing.h"

namespace linkhub::hub {

namespace {

constexpr std::string_view kPrefix = "whsec_";

// The Standard Webhooks key of a secret: its base64 part, decoded.
std::string StandardKey(std::string_view secret) {
  if (secret.starts_with(kPrefix)) {
    secret.remove_prefix(kPrefix.size());
  }
  return Base64Decode(secret).value_or(std::string(secret));
}

}  // namespace

std::string NewEndpointSecret(Random& random) {
  return std::string(kPrefix) + Base64Encode(random.Bytes(24));
}

EventSignature SignEvent(const std::vector<std::string>& secrets, std::string_view event_id,
                         int64_t timestamp, std::string_view body) {
  EventSignature out;
  out.stackone = Base64UrlEncode(vault::HmacSha256(secrets.front(), body));
  std::string signed_content = std::string(event_id) + "." + std::to_string(timestamp) + ".";
  signed_content.append(body);
  for (const auto& secret : secrets) {
    std::string key = StandardKey(secret);
    if (!out.standard.empty()) {
      out.standard += ' ';
    }
    out.standard += "v1," + Base64Encode(vault::HmacSha256(key, signed_content));
    vault::Wipe(key);
  }
  return out;
}

}  // namespace linkhub::hub
