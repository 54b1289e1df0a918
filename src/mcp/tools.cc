#include "mcp/tools.h"

#include <boost/json.hpp>

#include "hub/actions.h"

namespace linkhub::mcp {

std::string ToolDescription(const plaid::Action& action) {
  std::string out = action.description;
  if (action.output.is_object()) {
    const auto& output = action.output.get_object();
    if (const auto* fields = output.if_contains("fields"); fields && fields->is_object()) {
      out += " Returns an object with:";
      bool first = true;
      for (const auto& [name, what] : fields->get_object()) {
        out += first ? " " : "; ";
        first = false;
        out += std::string(name);
        if (what.is_string()) {
          out += " (" + std::string(what.get_string()) + ")";
        }
      }
      out += ".";
    }
  }
  switch (action.paging) {
    case plaid::Paging::kOffset:
      out +=
          " One page per call: when more remain, the result's _meta[\"linkhub/next\"] holds a "
          "cursor to pass as `next` for the following page.";
      break;
    case plaid::Paging::kSync:
      out += " Returns the whole update in one result; call again later for newer changes.";
      break;
    case plaid::Paging::kNone:
      break;
  }
  if (!action.read_only) {
    out += " Changes state at Plaid and may be billed: call it only when asked to.";
  }
  return out;
}

boost::json::object ToolJson(const plaid::Action& action) {
  return boost::json::object{
      {"name", action.id},
      {"title", action.label},
      {"description", ToolDescription(action)},
      {"inputSchema", action.input_schema},
      {"annotations", boost::json::object{{"title", action.label},
                                          {"readOnlyHint", action.read_only},
                                          {"destructiveHint", false},
                                          {"idempotentHint", action.read_only},
                                          {"openWorldHint", true}}}};
}

std::vector<const plaid::Action*> ToolsFor(const std::vector<std::string>& products,
                                           const domain::KeyLimits& limits) {
  std::vector<const plaid::Action*> out;
  for (const auto& action : plaid::Catalogue()) {
    if (plaid::Supports(products, action) && hub::CheckKeyAllows(limits, action)) {
      out.push_back(&action);
    }
  }
  return out;
}

}  // namespace linkhub::mcp
