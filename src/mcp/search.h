#pragma once

// Keyword search over the action catalogue, for agents that must not load every tool (MCP's
// search_actions tool) and for POST /actions/search. BM25 over each action's id, label, tags,
// product, description and output fields, with light stemming; deterministic and in memory.

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "plaid/catalogue.h"

namespace linkhub::mcp {

struct SearchHit {
  const plaid::Action* action = nullptr;
  double score = 0;  // in (0, 1]: the share of the best score the query could have had
};

// The actions `eligible` accepts that match `query`, best first (ties in catalogue order), at
// most `limit`. An action matching no word of the query is never returned.
std::vector<SearchHit> SearchActions(std::string_view query, size_t limit,
                                     const std::function<bool(const plaid::Action&)>& eligible);

}  // namespace linkhub::mcp
