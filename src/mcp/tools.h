#pragma once

// The catalogue's actions as MCP tools (modelcontextprotocol.io, "Tools"). Pure functions.

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "domain/project.h"
#include "plaid/catalogue.h"

namespace linkhub::mcp {

// {name, title, description, inputSchema, annotations} of one action. The name is the action's
// id, the input schema the one the RPC API validates against; the annotations say what the
// catalogue knows: readOnlyHint and idempotentHint for actions that change nothing at Plaid,
// never destructive (no action deletes data), and open-world (every call reaches a bank).
boost::json::object ToolJson(const plaid::Action& action);

// A description written for a model: what the action does, what it returns and how it pages.
std::string ToolDescription(const plaid::Action& action);

// The actions an account linked with `products` can run with a key of `limits`, in catalogue
// order.
std::vector<const plaid::Action*> ToolsFor(const std::vector<std::string>& products,
                                           const domain::KeyLimits& limits);

}  // namespace linkhub::mcp
