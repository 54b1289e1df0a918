#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "core/result.h"

namespace linkhub {

// Validates `value` against a JSON Schema written in the small subset linkhub's action
// catalogue uses: type (object, string, integer, number, boolean, array), properties, required,
// additionalProperties: false, enum, minimum, maximum, minLength, maxLength, items, minItems,
// maxItems, and format "date" (YYYY-MM-DD) and "date-time" (RFC 3339).
//
// On failure: kInvalidArgument whose message names the offending field by its path, e.g.
// "options.count must be at most 500" — the message is safe to return to a client.
Status ValidateJson(const boost::json::value& schema, const boost::json::value& value,
                    const std::string& path = "");

}  // namespace linkhub
