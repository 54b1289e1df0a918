#include "hub/actions.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"

namespace linkhub::hub {

std::string WriteEnvelope(ActionOutcome&& outcome) {
  std::string out = std::move(outcome.data);
  // In place: the asynchronous HTTP client leaves room past an answer in its buffer, so this
  // moves bytes within it rather than allocating a new one.
  out.insert(0, R"({"data":)");
  if (outcome.next) {
    out.append(R"(,"next":)").append(ToJson(boost::json::value(*outcome.next))).append("}");
  } else {
    out.append(R"(,"next":null})");
  }
  return out;
}

Status CheckKeyAllows(const domain::KeyLimits& limits, const plaid::Action& action) {
  if (limits.read_only && !action.read_only) {
    return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                "this API key is read-only and " + action.id +
                                    " changes data at Plaid; use a key without --read-only"));
  }
  if (limits.actions && std::find(limits.actions->begin(), limits.actions->end(), action.id) ==
                            limits.actions->end()) {
    return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                "this API key may not run " + action.id +
                                    "; it may run only: " + JoinCommaList(*limits.actions)));
  }
  return OkStatus();
}

}  // namespace linkhub::hub
