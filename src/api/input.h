#pragma once

// Typed reads of untrusted JSON request bodies. Every error is kInvalidArgument and names the
// field, so a client learns exactly what to fix.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/message.h"

namespace linkhub::api {

// The body as a JSON object. An empty body reads as {} when `allow_empty`.
Result<boost::json::object> ParseBody(const http::Request& request, bool allow_empty = false);

// nullopt when absent or null; an error when present with another type or over `max_bytes`.
Result<std::optional<std::string>> OptionalString(const boost::json::object& o,
                                                  std::string_view key, size_t max_bytes = 255);
Result<std::string> RequiredString(const boost::json::object& o, std::string_view key,
                                   size_t max_bytes = 255);
Result<std::optional<bool>> OptionalBool(const boost::json::object& o, std::string_view key);
Result<std::optional<int64_t>> OptionalInt(const boost::json::object& o, std::string_view key);
Result<std::optional<std::vector<std::string>>> OptionalStringList(const boost::json::object& o,
                                                                   std::string_view key,
                                                                   size_t max_items = 32);
// The object at `key` (nullopt when absent or null).
Result<const boost::json::object*> OptionalObject(const boost::json::object& o,
                                                  std::string_view key);

}  // namespace linkhub::api
