// The JSON Schema validator (core/json_schema.h), on both sides:
//   - an RPC body {"action": ID, "body": {...}} checks its body against that catalogue action's
//     input schema, as ResolveAction does before anything reaches Plaid;
//   - {"schema": S, "instance": I} checks I against a schema S of the fuzzer's own;
//   - any other document is checked against every action's input schema, and against itself
//     taken as a schema.
// A refusal is always kInvalidArgument with a message (it goes back to the client as is).
//
// Input: a JSON document.

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.h"
#include "core/json_schema.h"
#include "core/result.h"
#include "plaid/catalogue.h"

namespace linkhub {
namespace {

void Validate(const boost::json::value& schema, const boost::json::value& instance) {
  Status s = ValidateJson(schema, instance);
  if (!s) {
    LINKHUB_CHECK(s.error().code == ErrorCode::kInvalidArgument);
    LINKHUB_CHECK(!s.error().message.empty());
  }
}

}  // namespace
}  // namespace linkhub

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using linkhub::Validate;
  auto doc = linkhub::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc) {
    return 0;
  }
  if (doc->is_object()) {
    const auto& o = doc->get_object();
    if (auto id = linkhub::GetString(o, "action")) {
      if (const auto* action = linkhub::plaid::FindAction(*id)) {
        const auto* body = linkhub::Find(o, "body");
        Validate(action->input_schema, body != nullptr ? *body : boost::json::object{});
        return 0;
      }
    }
    const auto* schema = linkhub::Find(o, "schema");
    const auto* instance = linkhub::Find(o, "instance");
    if (schema != nullptr && instance != nullptr) {
      Validate(*schema, *instance);
      return 0;
    }
  }
  for (const auto& action : linkhub::plaid::Catalogue()) {
    Validate(action.input_schema, *doc);
  }
  Validate(*doc, *doc);
  return 0;
}
