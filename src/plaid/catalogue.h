#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace linkhub::plaid {

// How an action pages through Plaid's answer.
enum class Paging {
  kNone,
  kOffset,  // count/offset (transactions/get, investments/transactions/get): `next` is an offset
  kSync,    // transactions/sync: cursor kept by the hub per account and consumer
};

// One action of the catalogue: what GET /actions lists and POST /actions/rpc runs.
struct Action {
  std::string id;  // "plaid_list_accounts"
  std::string label;
  std::string description;
  std::string product;  // Plaid product the Item must have been linked with; "" for none
  std::string endpoint;
  bool needs_access_token = true;
  bool read_only = true;  // false: changes state at Plaid, never retried
  Paging paging = Paging::kNone;
  std::string items_key;  // kOffset: the array that pages ("transactions")
  std::string total_key;  // kOffset: the total count ("total_transactions")
  // Input fields Plaid takes under `options`; the others go at the top level. Fields the hub
  // consumes itself (next, consumer, reset) never reach Plaid.
  std::vector<std::string> option_fields;
  boost::json::value input_schema;  // JSON Schema (see ValidateJson)
  boost::json::value output;        // {"description", "fields": {...}}
  std::vector<std::string> tags;
};

// Every action, in a stable order.
const std::vector<Action>& Catalogue();
// The action with this id, or nullptr.
const Action* FindAction(std::string_view id);

// Whether an Item linked with `products` can run `action` (an action that needs no product
// always can).
bool Supports(const std::vector<std::string>& products, const Action& action);

// The products linkhub accepts in a link token (Plaid's Products enum, minus `balance`, which
// Plaid refuses there).
bool IsLinkProduct(std::string_view product);

}  // namespace linkhub::plaid
