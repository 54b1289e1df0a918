#include "http/address.h"

#include <charconv>

namespace linkhub::http {

bool SplitHostPort(const std::string& s, std::string& host, uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) {
    return false;
  }
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const char* first = s.data() + colon + 1;
  const char* last = s.data() + s.size();
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || ptr != last || first == last || p > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(p);
  return !host.empty();
}

}  // namespace linkhub::http
