#include "api/input.h"

#include <boost/json.hpp>

#include "core/json.h"

namespace linkhub::api {

namespace {

Error Invalid(std::string_view key, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(key) + " " + std::string(what));
}

const boost::json::value* Present(const boost::json::object& o, std::string_view key) {
  const auto* v = Find(o, key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

}  // namespace

Result<boost::json::object> ParseBody(const http::Request& request, bool allow_empty) {
  if (request.body.empty() && allow_empty) {
    return boost::json::object{};
  }
  auto parsed = ParseJsonUniqueKeys(request.body);
  if (!parsed) {
    Error e = std::move(parsed).error();
    e.message = "the body " + e.message;
    return Unexpected(std::move(e));
  }
  if (!parsed->is_object()) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "the body must be a JSON object"));
  }
  return std::move(parsed->get_object());
}

Result<std::optional<std::string>> OptionalString(const boost::json::object& o,
                                                  std::string_view key, size_t max_bytes) {
  const auto* v = Present(o, key);
  if (v == nullptr) {
    return std::optional<std::string>();
  }
  if (!v->is_string()) {
    return Unexpected(Invalid(key, "must be a string"));
  }
  if (v->get_string().size() > max_bytes) {
    return Unexpected(Invalid(key, "is longer than " + std::to_string(max_bytes) + " bytes"));
  }
  // Identifiers, names and labels end up in logs, CSV exports and other systems' keys.
  for (char c : v->get_string()) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Unexpected(Invalid(key, "must not hold control characters"));
    }
  }
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::string> RequiredString(const boost::json::object& o, std::string_view key,
                                   size_t max_bytes) {
  LINKHUB_ASSIGN_OR_RETURN(auto v, OptionalString(o, key, max_bytes));
  if (!v || v->empty()) {
    return Unexpected(Invalid(key, "is required"));
  }
  return std::move(*v);
}

Result<std::optional<bool>> OptionalBool(const boost::json::object& o, std::string_view key) {
  const auto* v = Present(o, key);
  if (v == nullptr) {
    return std::optional<bool>();
  }
  if (!v->is_bool()) {
    return Unexpected(Invalid(key, "must be true or false"));
  }
  return std::optional<bool>(v->get_bool());
}

Result<std::optional<int64_t>> OptionalInt(const boost::json::object& o, std::string_view key) {
  if (Present(o, key) == nullptr) {
    return std::optional<int64_t>();
  }
  auto n = GetInt(o, key);
  if (!n) {
    return Unexpected(Invalid(key, "must be an integer"));
  }
  return std::optional<int64_t>(*n);
}

Result<std::optional<std::vector<std::string>>> OptionalStringList(const boost::json::object& o,
                                                                   std::string_view key,
                                                                   size_t max_items) {
  const auto* v = Present(o, key);
  if (v == nullptr) {
    return std::optional<std::vector<std::string>>();
  }
  if (!v->is_array() || v->get_array().size() > max_items) {
    return Unexpected(
        Invalid(key, "must be an array of at most " + std::to_string(max_items) + " strings"));
  }
  std::vector<std::string> out;
  for (const auto& e : v->get_array()) {
    if (!e.is_string() || e.get_string().empty() || e.get_string().size() > 255) {
      return Unexpected(Invalid(key, "must hold only non-empty strings"));
    }
    out.emplace_back(e.get_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<const boost::json::object*> OptionalObject(const boost::json::object& o,
                                                  std::string_view key) {
  const auto* v = Present(o, key);
  if (v == nullptr) {
    return static_cast<const boost::json::object*>(nullptr);
  }
  if (!v->is_object()) {
    return Unexpected(Invalid(key, "must be an object"));
  }
  return &v->get_object();
}

}  // namespace linkhub::api
