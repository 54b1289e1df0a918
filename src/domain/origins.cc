#include "domain/origins.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace linkhub::domain {

namespace {

Error Invalid(std::string_view origin, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument, "allowed origin '" +
                                                    std::string(origin.substr(0, 80)) +
                                                    "' is not an origin: " + std::string(why));
}

bool HostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

}  // namespace

Result<std::string> NormalizeOrigin(std::string_view origin) {
  if (origin.size() > 255) {
    return Unexpected(Invalid(origin, "longer than 255 characters"));
  }
  std::string o(origin);
  std::transform(o.begin(), o.end(), o.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest;
  if (o.starts_with("https://")) {
    rest = std::string_view(o).substr(8);
  } else if (o.starts_with("http://")) {
    rest = std::string_view(o).substr(7);
  } else {
    return Unexpected(Invalid(origin, "it must start with https:// or http://"));
  }
  // IPv6 literals are left out on purpose: nothing here needs them and brackets complicate
  // every later comparison.
  auto colon = rest.find(':');
  std::string_view host = rest.substr(0, colon);
  if (host.empty() || !std::all_of(host.begin(), host.end(), HostChar) || host.front() == '.' ||
      host.back() == '.') {
    return Unexpected(
        Invalid(origin,
                "a host of letters, digits, '-' and '.' must follow the scheme, with "
                "nothing after it but an optional :port (no path or trailing slash)"));
  }
  if (colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    auto n = ParseInt64(port);
    if (!n || *n < 1 || *n > 65535) {
      return Unexpected(Invalid(origin, "the port must be a number from 1 to 65535"));
    }
    // Browsers leave a scheme's default port out of Origin; so must the stored form.
    bool https = o.starts_with("https://");
    if ((https && *n == 443) || (!https && *n == 80)) {
      o.resize(o.size() - port.size() - 1);
    }
  }
  return o;
}

Result<std::vector<std::string>> NormalizeOrigins(const std::vector<std::string>& origins) {
  std::vector<std::string> out;
  for (const auto& part : origins) {
    LINKHUB_ASSIGN_OR_RETURN(std::string o, NormalizeOrigin(part));
    if (std::find(out.begin(), out.end(), o) == out.end()) {
      out.push_back(std::move(o));
    }
  }
  if (out.size() > kMaxAllowedOrigins) {
    return Unexpected(MakeError(
        ErrorCode::kInvalidArgument,
        "at most " + std::to_string(kMaxAllowedOrigins) + " allowed origins per project"));
  }
  return out;
}

Result<std::vector<std::string>> ParseAllowedOrigins(std::string_view comma_list) {
  return NormalizeOrigins(SplitCommaList(comma_list));
}

bool OriginAllowed(const std::vector<std::string>& allowed, std::string_view origin) {
  if (allowed.empty()) {
    return true;
  }
  auto o = NormalizeOrigin(origin);
  if (!o) {
    return false;  // "null" (sandboxed frames, file://) and malformed values
  }
  return std::find(allowed.begin(), allowed.end(), *o) != allowed.end();
}

}  // namespace linkhub::domain
