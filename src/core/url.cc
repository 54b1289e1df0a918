#include "core/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>

namespace linkhub {

Result<HttpUrl> ParseHttpUrl(std::string_view text, size_t max_length) {
  auto invalid = [](std::string why) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, std::move(why)));
  };
  if (text.empty() || text.size() > max_length) {
    return invalid("the URL must be 1 to " + std::to_string(max_length) + " characters");
  }
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    return invalid("the URL is not an absolute URL");
  }
  const auto& u = *parsed;
  HttpUrl out;
  out.scheme = std::string(u.scheme());
  if (out.scheme != "http" && out.scheme != "https") {
    return invalid("the URL must be http or https");
  }
  if (u.has_userinfo()) {
    return invalid("the URL must not carry a user name or password");
  }
  if (u.has_fragment()) {
    return invalid("the URL must not have a fragment");
  }
  out.host = std::string(u.encoded_host_address());
  if (u.host_type() == boost::urls::host_type::ipv6) {
    out.host = std::string(u.host_ipv6_address().to_string());
  }
  if (out.host.empty()) {
    return invalid("the URL has no host");
  }
  if (u.has_port()) {
    if (u.port_number() == 0) {
      return invalid("the URL's port is not valid");
    }
    out.port = u.port_number();
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  return out;
}

}  // namespace linkhub
