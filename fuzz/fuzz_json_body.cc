// A request body through the API's input validation (api/input.h) and the JSON helpers under it
// (core/json.h): ParseBody, then each typed read on every field of the object and on the fields
// the handlers read (a connect session's, an RPC's); the serialisers, which must always write
// valid JSON that reads back the same; and AppendJsonString over the raw bytes.
//
// Input: the body.

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/input.h"
#include "core/json.h"
#include "core/result.h"
#include "http/message.h"

namespace linkhub::api {
namespace {

// Whether `s` is well-formed UTF-8 (RFC 3629), decoded code point by code point: a second opinion
// on AppendJsonString's table-driven check.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      return false;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (d & 0x3F);
    }
    constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

bool HasDouble(const boost::json::value& v) {
  if (v.is_double()) {
    return true;
  }
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (HasDouble(e)) {
        return true;
      }
    }
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (HasDouble(kv.value())) {
        return true;
      }
    }
  }
  return false;
}

// Serialised JSON is valid JSON (Boost.JSON checks UTF-8 too), compact and pretty alike, and
// without doubles it reads back as the same document. (Doubles may not: Boost 1.81 reads some
// decimal texts a unit in the last place off.)
void CheckWrites(const boost::json::value& v) {
  std::string compact = ToJson(v);
  auto back = ParseJson(compact, 1024);
  LINKHUB_CHECK(back.has_value());
  auto pretty = ParseJson(ToPrettyJson(v), 1024);
  LINKHUB_CHECK(pretty.has_value());
  if (!HasDouble(v)) {
    LINKHUB_CHECK(*back == v && *pretty == v);
  }
}

void CheckString(std::string_view bytes) {
  std::string quoted;
  AppendJsonString(quoted, bytes);
  auto back = ParseJson(quoted);
  LINKHUB_CHECK(back.has_value() && back->is_string());
  if (IsUtf8(bytes)) {
    LINKHUB_CHECK(std::string_view(back->get_string()) == bytes);
  }
}

// Every typed read of `key`; the ones that succeed hold what they promise.
void ReadField(const boost::json::object& o, std::string_view key) {
  if (auto s = OptionalString(o, key); s && *s) {
    LINKHUB_CHECK((*s)->size() <= 255);
    for (char c : **s) {
      LINKHUB_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
  }
  if (auto s = OptionalString(o, key, 1000); !s) {
    LINKHUB_CHECK(s.error().code == ErrorCode::kInvalidArgument);
  }
  if (auto s = RequiredString(o, key, 100); s) {
    LINKHUB_CHECK(!s->empty() && s->size() <= 100);
  }
  (void)OptionalBool(o, key);
  if (auto n = OptionalInt(o, key); !n) {
    LINKHUB_CHECK(n.error().code == ErrorCode::kInvalidArgument);
  }
  if (auto list = OptionalStringList(o, key); list && *list) {
    LINKHUB_CHECK((*list)->size() <= 32);
    for (const auto& s : **list) {
      LINKHUB_CHECK(!s.empty() && s.size() <= 255);
    }
  }
  if (auto obj = OptionalObject(o, key); obj && *obj != nullptr) {
    CheckWrites(**obj);
  }
}

}  // namespace
}  // namespace linkhub::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace api = linkhub::api;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  api::CheckString(text);

  auto any = linkhub::ParseJson(text);
  auto unique = linkhub::ParseJsonUniqueKeys(text);
  LINKHUB_CHECK(!unique || any);  // refusing duplicates only ever refuses more
  if (any) {
    api::CheckWrites(*any);
  }

  linkhub::http::Request req;
  req.body = std::string(text);
  LINKHUB_CHECK(api::ParseBody(req, true).has_value() || !text.empty());
  auto body = api::ParseBody(req);
  if (!body) {
    LINKHUB_CHECK(body.error().code == linkhub::ErrorCode::kInvalidArgument);
    return 0;
  }
  LINKHUB_CHECK(unique.has_value());
  for (const auto& [key, value] : *body) {
    api::ReadField(*body, key);
  }
  // What POST /connect_sessions and POST /actions/rpc read, present or not.
  for (std::string_view key :
       {"origin_owner_id", "origin_owner_name", "origin_username", "provider", "account_id",
        "label", "type", "multiple", "expires_in", "categories", "metadata", "action", "body",
        "query", "top_k", "connector"}) {
    api::ReadField(*body, key);
  }
  return 0;
}
