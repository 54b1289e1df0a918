#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace linkhub {

std::string Base64Encode(std::string_view bytes);
// Accepts padded or unpadded standard base64. nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view text);
// RFC 4648 §5 alphabet, no padding (as JWS uses).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
// Lowercase hex.
std::string HexEncode(std::string_view bytes);

}  // namespace linkhub
