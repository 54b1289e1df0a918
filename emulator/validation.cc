#include "emulator/validation.h"

#include <algorithm>
#include <cmath>

#include "core/time_format.h"

namespace linkhub::emulator {

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

void CollectUnknown(const boost::json::object& o, const ObjectSpec& spec, const std::string& prefix,
                    bool top, std::vector<std::string>& out) {
  for (const auto& kv : o) {
    std::string_view key = kv.key();
    if (top && (key == "client_id" || key == "secret")) {
      continue;
    }
    auto it =
        std::find_if(spec.begin(), spec.end(), [&](const FieldSpec& f) { return f.name == key; });
    if (it == spec.end()) {
      out.push_back(prefix + std::string(key));
    } else if (it->kind == Kind::kObject && it->nested != nullptr && kv.value().is_object()) {
      CollectUnknown(kv.value().get_object(), *it->nested, prefix + std::string(key) + ".", false,
                     out);
    }
  }
}

void CollectMissing(const boost::json::object& o, const ObjectSpec& spec, const std::string& prefix,
                    std::vector<std::string>& out) {
  for (const auto& f : spec) {
    auto it = o.find(f.name);
    if (it == o.end()) {
      if (f.required) {
        out.push_back(prefix + f.name);
      }
      continue;
    }
    if (f.kind == Kind::kObject && f.nested != nullptr && it->value().is_object()) {
      CollectMissing(it->value().get_object(), *f.nested, prefix + f.name + ".", out);
    }
  }
}

std::optional<PlaidError> Invalid(const std::string& field, const std::string& what) {
  return PlaidErrorFor("INVALID_FIELD", field + " " + what);
}

std::optional<PlaidError> CheckEnum(const FieldSpec& f, const std::string& name,
                                    std::string_view v) {
  if (f.enum_values.empty() ||
      std::find(f.enum_values.begin(), f.enum_values.end(), v) != f.enum_values.end()) {
    return std::nullopt;
  }
  return Invalid(name,
                 "must be one of [" + Join(f.enum_values) + "], got \"" + std::string(v) + "\"");
}

std::optional<PlaidError> CheckFields(const boost::json::object& o, const ObjectSpec& spec,
                                      const std::string& prefix) {
  for (const auto& f : spec) {
    auto it = o.find(f.name);
    if (it == o.end()) {
      continue;
    }
    const auto& v = it->value();
    std::string name = prefix + f.name;
    if (v.is_null()) {
      if (f.nullable) {
        continue;
      }
      return Invalid(name, "must not be null");
    }
    switch (f.kind) {
      case Kind::kString:
      case Kind::kNonEmptyString:
        if (!v.is_string()) {
          return Invalid(name, "must be a string");
        }
        if (f.kind == Kind::kNonEmptyString && v.get_string().empty()) {
          return Invalid(name, "must be a non-empty string");
        }
        if (auto e = CheckEnum(f, name, v.get_string())) {
          return e;
        }
        break;
      case Kind::kBool:
        if (!v.is_bool()) {
          return Invalid(name, "must be a boolean");
        }
        break;
      case Kind::kInteger: {
        int64_t n;
        if (v.is_int64()) {
          n = v.get_int64();
        } else if (v.is_uint64()) {
          n = v.get_uint64() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : static_cast<int64_t>(v.get_uint64());
        } else if (v.is_double() && std::abs(v.get_double()) < 9.2e18 &&
                   v.get_double() == std::trunc(v.get_double())) {
          // An integral double (50.0) is an integer; check the range before converting.
          n = static_cast<int64_t>(v.get_double());
        } else {
          return Invalid(name, "must be an integer");
        }
        if (n < f.min || n > f.max) {
          return Invalid(
              name, "must be between " + std::to_string(f.min) + " and " + std::to_string(f.max));
        }
        break;
      }
      case Kind::kNumber:
        if (!v.is_number()) {
          return Invalid(name, "must be a number");
        }
        break;
      case Kind::kObject:
        if (!v.is_object()) {
          return Invalid(name, "must be an object");
        }
        if (f.nested != nullptr) {
          if (auto e = CheckFields(v.get_object(), *f.nested, name + ".")) {
            return e;
          }
        }
        break;
      case Kind::kFreeObject:
        if (!v.is_object()) {
          return Invalid(name, "must be an object");
        }
        break;
      case Kind::kStringArray: {
        if (!v.is_array()) {
          return Invalid(name, "must be an array of strings");
        }
        const auto& a = v.get_array();
        if (f.min != INT64_MIN && static_cast<int64_t>(a.size()) < f.min) {
          return Invalid(name, "must have at least " + std::to_string(f.min) + " item(s)");
        }
        for (const auto& item : a) {
          if (!item.is_string()) {
            return Invalid(name, "must be an array of strings");
          }
          if (auto e = CheckEnum(f, name, item.get_string())) {
            return e;
          }
        }
        break;
      }
      case Kind::kDate:
        if (!v.is_string() || !ParseDate(v.get_string())) {
          return Invalid(name, "must be a date in YYYY-MM-DD format");
        }
        break;
      case Kind::kDateTime:
        if (!v.is_string() || !ParseRfc3339(v.get_string())) {
          return Invalid(name, "must be an ISO 8601 date-time");
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<PlaidError> Validate(const boost::json::object& body, const ObjectSpec& spec) {
  std::vector<std::string> unknown;
  CollectUnknown(body, spec, "", true, unknown);
  if (!unknown.empty()) {
    return PlaidErrorFor(
        "UNKNOWN_FIELDS",
        "the following fields are not recognized by this endpoint: " + Join(unknown));
  }
  std::vector<std::string> missing;
  CollectMissing(body, spec, "", missing);
  if (!missing.empty()) {
    return PlaidErrorFor("MISSING_FIELDS",
                         "the following required fields are missing: " + Join(missing));
  }
  for (const char* cred : {"client_id", "secret"}) {
    auto it = body.find(cred);
    if (it != body.end() && !it->value().is_string()) {
      return Invalid(cred, "must be a string");
    }
  }
  return CheckFields(body, spec, "");
}

}  // namespace linkhub::emulator
