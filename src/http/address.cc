#include "http/address.h"

#include "core/strings.h"

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
  auto p = ParseInt64(std::string_view(s).substr(colon + 1));
  if (!p || *p > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(*p);
  return !host.empty();
}

}  // namespace linkhub::http
