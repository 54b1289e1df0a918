#include "hub/actions.h"

#include "core/json.h"

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

}  // namespace linkhub::hub
