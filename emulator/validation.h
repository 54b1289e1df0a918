#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulator/plaid_error.h"

namespace linkhub::emulator {

// A tiny request schema, enough to reproduce Plaid's validation errors: MISSING_FIELDS,
// UNKNOWN_FIELDS and INVALID_FIELD, with dotted field names for nested objects.
enum class Kind {
  kString,          // any string
  kNonEmptyString,  // minLength 1
  kBool,
  kInteger,
  kNumber,
  kObject,       // validated with `nested`
  kFreeObject,   // any object (its keys are not checked)
  kStringArray,  // array of strings, each checked against `enum_values` if given
  kDate,         // "YYYY-MM-DD"
  kDateTime,     // RFC 3339
};

struct FieldSpec;
using ObjectSpec = std::vector<FieldSpec>;

struct FieldSpec {
  std::string name;
  Kind kind = Kind::kString;
  bool required = false;
  bool nullable = false;
  std::vector<std::string> enum_values;  // for kString / kNonEmptyString / kStringArray items
  const ObjectSpec* nested = nullptr;    // for kObject
  int64_t min = INT64_MIN;               // kInteger bounds, or kStringArray minimum length
  int64_t max = INT64_MAX;
};

// Checks `body` against `spec`. `client_id` and `secret` are always allowed at the top level.
// Returns the first failure in Plaid's order: unknown fields, then missing fields (all of them,
// in one message), then the first invalid field.
std::optional<PlaidError> Validate(const boost::json::object& body, const ObjectSpec& spec);

}  // namespace linkhub::emulator
