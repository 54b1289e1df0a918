#include "core/json_schema.h"

#include <boost/json.hpp>

#include "core/json.h"
#include "core/time_format.h"

namespace linkhub {

namespace {

Error Bad(const std::string& path, const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument,
                   (path.empty() ? std::string("the input") : path) + " " + what);
}

bool HasType(const boost::json::value& v, std::string_view type) {
  if (type == "object") {
    return v.is_object();
  }
  if (type == "array") {
    return v.is_array();
  }
  if (type == "string") {
    return v.is_string();
  }
  if (type == "boolean") {
    return v.is_bool();
  }
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) {
      return true;
    }
    // A double is an integer when it is a whole number in int64's range, checked before the
    // cast: casting one outside it (1e300, or the infinity 1e400 reads as) is undefined.
    if (!v.is_double()) {
      return false;
    }
    double d = v.get_double();
    return d >= -0x1p63 && d < 0x1p63 && d == static_cast<double>(static_cast<int64_t>(d));
  }
  if (type == "number") {
    return v.is_number();
  }
  return false;
}

std::string Article(std::string_view type) {
  if (type == "integer" || type == "object" || type == "array") {
    return "an " + std::string(type);
  }
  if (type == "boolean") {
    return "true or false";
  }
  return "a " + std::string(type);
}

}  // namespace

Status ValidateJson(const boost::json::value& schema_value, const boost::json::value& value,
                    const std::string& path) {
  if (!schema_value.is_object()) {
    return OkStatus();
  }
  const boost::json::object& schema = schema_value.get_object();
  if (auto type = GetString(schema, "type")) {
    if (!HasType(value, *type)) {
      return Unexpected(Bad(path, "must be " + Article(*type)));
    }
  }
  if (const auto* options = GetArray(schema, "enum")) {
    bool found = false;
    std::string listed;
    for (const auto& o : *options) {
      found = found || o == value;
      listed += (listed.empty() ? "" : ", ") + ToJson(o);
    }
    if (!found) {
      return Unexpected(Bad(path, "must be one of " + listed));
    }
  }
  if (value.is_number()) {
    double n = value.to_number<double>();
    if (const auto* min = Find(schema, "minimum");
        min && min->is_number() && n < min->to_number<double>()) {
      return Unexpected(Bad(path, "must be at least " + ToJson(*min)));
    }
    if (const auto* max = Find(schema, "maximum");
        max && max->is_number() && n > max->to_number<double>()) {
      return Unexpected(Bad(path, "must be at most " + ToJson(*max)));
    }
  }
  if (value.is_string()) {
    std::string_view s = value.get_string();
    if (auto min = GetInt(schema, "minLength"); min && static_cast<int64_t>(s.size()) < *min) {
      return Unexpected(
          Bad(path, *min == 1 ? "must not be empty"
                              : "must be at least " + std::to_string(*min) + " characters long"));
    }
    if (auto max = GetInt(schema, "maxLength"); max && static_cast<int64_t>(s.size()) > *max) {
      return Unexpected(Bad(path, "must be at most " + std::to_string(*max) + " characters long"));
    }
    auto format = GetString(schema, "format");
    if (format == "date" && !ParseDate(s)) {
      return Unexpected(Bad(path, "must be a date like 2026-01-31"));
    }
    if (format == "date-time" && !ParseRfc3339(s)) {
      return Unexpected(Bad(path, "must be an RFC 3339 time like 2026-01-31T12:00:00Z"));
    }
  }
  if (value.is_array()) {
    const auto& a = value.get_array();
    if (auto min = GetInt(schema, "minItems"); min && static_cast<int64_t>(a.size()) < *min) {
      return Unexpected(Bad(path, "must hold at least " + std::to_string(*min) + " items"));
    }
    if (auto max = GetInt(schema, "maxItems"); max && static_cast<int64_t>(a.size()) > *max) {
      return Unexpected(Bad(path, "must hold at most " + std::to_string(*max) + " items"));
    }
    if (const auto* items = Find(schema, "items")) {
      for (size_t i = 0; i < a.size(); ++i) {
        LINKHUB_RETURN_IF_ERROR(ValidateJson(*items, a[i], path + "[" + std::to_string(i) + "]"));
      }
    }
  }
  if (value.is_object()) {
    const auto& o = value.get_object();
    const auto* properties = GetObject(schema, "properties");
    if (const auto* required = GetArray(schema, "required")) {
      for (const auto& r : *required) {
        if (r.is_string() && !o.contains(r.get_string())) {
          std::string name(r.get_string());
          return Unexpected(Bad(path.empty() ? name : path + "." += name, "is required"));
        }
      }
    }
    const auto* additional = Find(schema, "additionalProperties");
    bool closed = additional != nullptr && additional->is_bool() && !additional->get_bool();
    for (const auto& [key, v] : o) {
      std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
      const boost::json::value* sub = properties ? Find(*properties, key) : nullptr;
      if (sub == nullptr) {
        if (closed) {
          return Unexpected(Bad(child, "is not a known field"));
        }
        continue;
      }
      LINKHUB_RETURN_IF_ERROR(ValidateJson(*sub, v, child));
    }
  }
  return OkStatus();
}

}  // namespace linkhub
