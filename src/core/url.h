#pragma once

// URLs a customer gives linkhub (webhook endpoints), parsed by Boost.URL. <boost/url/src.hpp>
// is compiled once, in url.cc.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace linkhub {

struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // as written, without brackets for IPv6
  uint16_t port = 0;   // the explicit port, or the scheme's
};

// Parses an absolute http(s) URL with a host, no user info and no fragment, of at most
// `max_length` characters. kInvalidArgument with a sentence saying what is wrong.
Result<HttpUrl> ParseHttpUrl(std::string_view text, size_t max_length = 2048);

}  // namespace linkhub
