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

std::string UrlForLog(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return "(invalid URL)";
  }
  auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  std::string authority = url.substr(authority_start, authority_end == std::string::npos
                                                          ? std::string::npos
                                                          : authority_end - authority_start);
  auto at = authority.rfind('@');
  if (at != std::string::npos) {
    authority = authority.substr(at + 1);
  }
  return url.substr(0, authority_start) + authority;
}

}  // namespace linkhub::http
