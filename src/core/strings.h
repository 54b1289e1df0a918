#pragma once

// Small text helpers shared by the command line and the HTTP handlers.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linkhub {

// A transparent hash for maps keyed by std::string, so that a look-up by string_view allocates
// nothing: std::unordered_map<std::string, V, StringHash, std::equal_to<>>.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// "a, b,,c" -> {"a", "b", "c"}: parts trimmed of spaces and tabs, empty ones dropped.
std::vector<std::string> SplitCommaList(std::string_view text);
// {"a", "b"} -> "a,b" (what SplitCommaList reads back, for parts without commas).
std::string JoinCommaList(const std::vector<std::string>& parts);

// The whole of `text` as a decimal integer (no sign, spaces or trailing characters); nullopt
// otherwise or on overflow.
std::optional<int64_t> ParseInt64(std::string_view text);

// ParseInt64 of what follows `prefix` (a cursor such as "o:40"); nullopt without the prefix.
std::optional<int64_t> ParsePrefixedInt64(std::string_view text, std::string_view prefix);

}  // namespace linkhub
