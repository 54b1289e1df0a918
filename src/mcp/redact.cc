#include "mcp/redact.h"

#include <boost/json.hpp>

#include "core/json.h"

namespace linkhub::mcp {

namespace {

// Every string in `v` (recursively) becomes kRedacted.
void RedactStrings(boost::json::value& v) {
  if (v.is_string()) {
    v = kRedacted;
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) {
      RedactStrings(e);
    }
  } else if (v.is_object()) {
    for (auto& [key, e] : v.get_object()) {
      RedactStrings(e);
    }
  }
}

// The `data` of each entry of owner[field] ({data, primary, type}).
void RedactData(boost::json::object& owner, std::string_view field) {
  auto* list = owner.if_contains(field);
  if (list == nullptr || !list->is_array()) {
    return;
  }
  for (auto& entry : list->get_array()) {
    if (auto* data = entry.is_object() ? entry.get_object().if_contains("data") : nullptr) {
      RedactStrings(*data);
    }
  }
}

}  // namespace

Result<std::string> RedactIdentity(std::string_view answer) {
  auto parsed = ParseJson(answer);
  if (!parsed || !parsed->is_object()) {
    return Unexpected(MakeError(ErrorCode::kInternal,
                                "an identity answer that is not a JSON "
                                "object cannot be redacted"));
  }
  auto* accounts = parsed->get_object().if_contains("accounts");
  if (accounts != nullptr && accounts->is_array()) {
    for (auto& account : accounts->get_array()) {
      auto* owners = account.is_object() ? account.get_object().if_contains("owners") : nullptr;
      if (owners == nullptr || !owners->is_array()) {
        continue;
      }
      for (auto& owner : owners->get_array()) {
        if (!owner.is_object()) {
          continue;
        }
        auto& o = owner.get_object();
        if (auto* names = o.if_contains("names")) {
          RedactStrings(*names);
        }
        RedactData(o, "emails");
        RedactData(o, "phone_numbers");
        RedactData(o, "addresses");
      }
    }
  }
  return ToJson(*parsed);
}

}  // namespace linkhub::mcp
