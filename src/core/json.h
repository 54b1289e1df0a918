#pragma once

// JSON helpers over Boost.JSON. <boost/json/src.hpp> is compiled once, in json.cc; everything
// else includes only the declarations (BOOST_JSON_NO_LIB is not needed with header-only use).

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace linkhub {

// Parses `text` as one JSON value without throwing; kInvalidArgument on malformed input, with a
// message that goes after the document's name ("the body " + message).
// `max_depth` bounds nesting so hostile input cannot exhaust the stack.
Result<boost::json::value> ParseJson(std::string_view text, size_t max_depth = 64);

// ParseJson that also refuses an object holding the same key twice (kInvalidArgument naming it),
// for untrusted documents: otherwise the last value would silently win, whatever its type.
Result<boost::json::value> ParseJsonUniqueKeys(std::string_view text, size_t max_depth = 64);

// Compact serialisation. Unlike boost::json::serialize, doubles come out in their shortest
// round-trip form ("6.56", not "6.56E0"), as Plaid and most JSON producers write them, and bytes
// of a string that are not well-formed UTF-8 come out as U+FFFD: the text is always valid UTF-8.
std::string ToJson(const boost::json::value& v);
// Pretty serialisation with two-space indentation and "key": value.
std::string ToPrettyJson(const boost::json::value& v);
// Appends `s` as a JSON string (quoted, escaped, not well-formed UTF-8 as U+FFFD), copying runs
// that need no escaping in one go: for writing large text without building a value.
void AppendJsonString(std::string& out, std::string_view s);

// Typed look-ups that never throw: nullptr / nullopt when absent or of another type.
const boost::json::value* Find(const boost::json::object& o, std::string_view key);
std::optional<std::string_view> GetString(const boost::json::object& o, std::string_view key);
std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view key);
std::optional<bool> GetBool(const boost::json::object& o, std::string_view key);
const boost::json::object* GetObject(const boost::json::object& o, std::string_view key);
const boost::json::array* GetArray(const boost::json::object& o, std::string_view key);
// The strings of array `key` (other elements skipped); empty when absent.
std::vector<std::string> GetStringList(const boost::json::object& o, std::string_view key);
boost::json::array ToJsonArray(const std::vector<std::string>& strings);

}  // namespace linkhub
