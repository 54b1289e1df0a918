#include "core/strings.h"

#include <charconv>

namespace linkhub {

std::vector<std::string> SplitCommaList(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    size_t b = part.find_first_not_of(" \t");
    if (b != std::string_view::npos) {
      size_t e = part.find_last_not_of(" \t");
      out.emplace_back(part.substr(b, e - b + 1));
    }
    if (comma == std::string_view::npos) {
      return out;
    }
    text.remove_prefix(comma + 1);
  }
}

std::string JoinCommaList(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) {
      out += ',';
    }
    out += part;
  }
  return out;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t n = 0;
  if (text.empty() || text.front() == '-' || text.front() == '+') {
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return n;
}

std::optional<int64_t> ParsePrefixedInt64(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) {
    return std::nullopt;
  }
  return ParseInt64(text.substr(prefix.size()));
}

}  // namespace linkhub
