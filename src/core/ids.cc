#include "core/ids.h"

#include <algorithm>
#include <cstdint>

namespace linkhub {

namespace {
constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}  // namespace

std::string NewUuid(Random& random) {
  uint8_t b[16];
  random.Fill(b, sizeof(b));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

std::string NewBase62(Random& random, size_t length) {
  // Bytes below 248 (= 4 * 62) map uniformly onto the alphabet; the rest are redrawn. Drawing a
  // batch at a time keeps this to one call into the random source in the common case.
  std::string out;
  out.reserve(length);
  unsigned char buf[64];
  while (out.size() < length) {
    size_t want = std::min(sizeof(buf), (length - out.size()) * 5 / 4 + 4);
    random.Fill(buf, want);
    for (size_t i = 0; i < want && out.size() < length; ++i) {
      if (buf[i] < 248) {
        out.push_back(kBase62[buf[i] % 62]);
      }
    }
  }
  return out;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace linkhub
