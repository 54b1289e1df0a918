#include "plaid/catalogue.h"

#include <boost/json.hpp>

#include "core/json.h"
#include "core/result.h"

namespace linkhub::plaid {

namespace {

// The catalogue as data. `input` is a JSON Schema of what a caller passes in the RPC body;
// `output` describes what comes back in `data`.
constexpr std::string_view kCatalogue = R"json([
{"id": "plaid_list_accounts", "label": "List Accounts",
 "description": "The accounts of the linked Item with cached balances (free; use plaid_get_balances for real-time balances).",
 "product": "", "endpoint": "/accounts/get", "tags": ["accounts", "read"],
 "options": ["account_ids"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100},
                   "description": "Only these Plaid account ids."}}},
 "output": {"description": "Plaid's /accounts/get answer.", "fields": {"accounts": "AccountBase[]: account_id, name, mask, type, subtype, balances", "item": "the Item"}}},
{"id": "plaid_get_balances", "label": "Get Balances",
 "description": "Real-time balances, fetched from the institution (slow, billed by Plaid per call).",
 "product": "", "endpoint": "/accounts/balance/get", "tags": ["accounts", "balances", "read"],
 "options": ["account_ids", "min_last_updated_datetime"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
   "min_last_updated_datetime": {"type": "string", "format": "date-time", "description": "Oldest acceptable balance (some institutions)."}}},
 "output": {"description": "Plaid's /accounts/balance/get answer.", "fields": {"accounts": "AccountBase[] with fresh balances", "item": "the Item"}}},
{"id": "plaid_get_auth", "label": "Get Account and Routing Numbers",
 "description": "Account and routing numbers (ACH, EFT, international, BACS) for the Item's depository accounts.",
 "product": "auth", "endpoint": "/auth/get", "tags": ["auth", "read"],
 "options": ["account_ids"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}}}},
 "output": {"description": "Plaid's /auth/get answer.", "fields": {"accounts": "AccountBase[]", "numbers": "{ach, eft, international, bacs}"}}},
{"id": "plaid_sync_transactions", "label": "Sync Transactions",
 "description": "Transactions added, modified and removed since the last sync of this consumer. linkhub keeps the cursor per account and consumer, reads every page, restarts on TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, and stores the new cursor only once the whole update was read. Pass your own `cursor` to manage it yourself.",
 "product": "transactions", "endpoint": "/transactions/sync", "tags": ["transactions", "read"],
 "options": ["account_id"], "paging": "sync",
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "consumer": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Name of the reader whose cursor to use (default \"default\"; letters, digits, _ - . :)."},
   "cursor": {"type": "string", "maxLength": 1024, "description": "Start from this cursor instead of the stored one; the stored one is then left alone."},
   "reset": {"type": "boolean", "description": "Start from the beginning (drops the stored cursor)."},
   "count": {"type": "integer", "minimum": 1, "maximum": 500, "description": "Page size for each call to Plaid (default 100)."},
   "account_id": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Only this account's transactions (the cursor is then kept separately)."}}},
 "output": {"description": "The whole update since the cursor.", "fields": {"added": "Transaction[]", "modified": "Transaction[]", "removed": "[{transaction_id, account_id}]", "next_cursor": "the cursor after this update", "transactions_update_status": "Plaid's status of the Item's history", "pages": "Plaid pages read"}}},
{"id": "plaid_list_transactions", "label": "List Transactions",
 "description": "Transactions between two dates, newest first, a page at a time (`next` continues).",
 "product": "transactions", "endpoint": "/transactions/get", "tags": ["transactions", "read"],
 "options": ["account_ids", "count", "offset"], "paging": "offset",
 "items": "transactions", "total": "total_transactions",
 "input": {"type": "object", "additionalProperties": false, "required": ["start_date", "end_date"], "properties": {
   "start_date": {"type": "string", "format": "date"},
   "end_date": {"type": "string", "format": "date"},
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
   "count": {"type": "integer", "minimum": 1, "maximum": 500, "description": "Page size (default 100)."},
   "offset": {"type": "integer", "minimum": 0},
   "next": {"type": "string", "maxLength": 64, "description": "The `next` of the previous page."}}},
 "output": {"description": "One page of Plaid's /transactions/get answer.", "fields": {"transactions": "Transaction[]", "accounts": "AccountBase[]", "total_transactions": "number"}}},
{"id": "plaid_refresh_transactions", "label": "Refresh Transactions",
 "description": "Ask Plaid to check the institution for new transactions now (billed separately; the result arrives by webhook or the next sync). Never retried automatically.",
 "product": "transactions", "endpoint": "/transactions/refresh", "read_only": false, "tags": ["transactions", "write"],
 "input": {"type": "object", "additionalProperties": false, "properties": {}},
 "output": {"description": "Plaid's acknowledgement.", "fields": {"request_id": "string"}}},
{"id": "plaid_get_identity", "label": "Get Identity",
 "description": "Account holders' names, addresses, e-mail addresses and phone numbers as the institution knows them.",
 "product": "identity", "endpoint": "/identity/get", "tags": ["identity", "read"],
 "options": ["account_ids"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}}}},
 "output": {"description": "Plaid's /identity/get answer.", "fields": {"accounts": "AccountBase[] with owners[]"}}},
{"id": "plaid_list_holdings", "label": "List Investment Holdings",
 "description": "Holdings and their securities in the Item's investment accounts.",
 "product": "investments", "endpoint": "/investments/holdings/get", "tags": ["investments", "read"],
 "options": ["account_ids"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}}}},
 "output": {"description": "Plaid's /investments/holdings/get answer.", "fields": {"holdings": "Holding[]", "securities": "Security[]", "accounts": "AccountBase[]"}}},
{"id": "plaid_list_investment_transactions", "label": "List Investment Transactions",
 "description": "Investment transactions between two dates, a page at a time (`next` continues).",
 "product": "investments", "endpoint": "/investments/transactions/get", "tags": ["investments", "read"],
 "options": ["account_ids", "count", "offset"], "paging": "offset",
 "items": "investment_transactions", "total": "total_investment_transactions",
 "input": {"type": "object", "additionalProperties": false, "required": ["start_date", "end_date"], "properties": {
   "start_date": {"type": "string", "format": "date"},
   "end_date": {"type": "string", "format": "date"},
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
   "count": {"type": "integer", "minimum": 1, "maximum": 500},
   "offset": {"type": "integer", "minimum": 0},
   "next": {"type": "string", "maxLength": 64}}},
 "output": {"description": "One page of Plaid's /investments/transactions/get answer.", "fields": {"investment_transactions": "InvestmentTransaction[]", "securities": "Security[]", "total_investment_transactions": "number"}}},
{"id": "plaid_get_liabilities", "label": "Get Liabilities",
 "description": "Credit card, student loan and mortgage details.",
 "product": "liabilities", "endpoint": "/liabilities/get", "tags": ["liabilities", "read"],
 "options": ["account_ids"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "account_ids": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}}}},
 "output": {"description": "Plaid's /liabilities/get answer.", "fields": {"liabilities": "{credit, mortgage, student}", "accounts": "AccountBase[]"}}},
{"id": "plaid_get_item", "label": "Get Item",
 "description": "The Item's state at Plaid: institution, products, consent, errors, last updates.",
 "product": "", "endpoint": "/item/get", "tags": ["item", "read"],
 "input": {"type": "object", "additionalProperties": false, "properties": {}},
 "output": {"description": "Plaid's /item/get answer.", "fields": {"item": "Item", "status": "update status"}}},
{"id": "plaid_get_institution", "label": "Get Institution",
 "description": "An institution by id (the linked account's own by default).",
 "product": "", "endpoint": "/institutions/get_by_id", "needs_access_token": false, "tags": ["institutions", "read"],
 "options": ["include_status", "include_optional_metadata"],
 "input": {"type": "object", "additionalProperties": false, "properties": {
   "institution_id": {"type": "string", "minLength": 1, "maxLength": 100},
   "include_status": {"type": "boolean"},
   "include_optional_metadata": {"type": "boolean"}}},
 "output": {"description": "Plaid's /institutions/get_by_id answer.", "fields": {"institution": "Institution"}}},
{"id": "plaid_search_institutions", "label": "Search Institutions",
 "description": "Institutions whose name matches a query, optionally supporting given products.",
 "product": "", "endpoint": "/institutions/search", "needs_access_token": false, "tags": ["institutions", "read"],
 "options": ["include_optional_metadata"],
 "input": {"type": "object", "additionalProperties": false, "required": ["query"], "properties": {
   "query": {"type": "string", "minLength": 1, "maxLength": 100},
   "products": {"type": "array", "maxItems": 10, "items": {"type": "string", "minLength": 1, "maxLength": 40}},
   "include_optional_metadata": {"type": "boolean"}}},
 "output": {"description": "Plaid's /institutions/search answer.", "fields": {"institutions": "Institution[]"}}}
])json";

std::vector<Action> Load() {
  auto parsed = ParseJson(kCatalogue);
  LINKHUB_CHECK(parsed && parsed->is_array());
  std::vector<Action> out;
  for (const auto& v : parsed->get_array()) {
    const auto& o = v.as_object();
    Action a;
    a.id = std::string(*GetString(o, "id"));
    a.label = std::string(*GetString(o, "label"));
    a.description = std::string(*GetString(o, "description"));
    a.product = std::string(*GetString(o, "product"));
    a.endpoint = std::string(*GetString(o, "endpoint"));
    a.needs_access_token = GetBool(o, "needs_access_token").value_or(true);
    a.read_only = GetBool(o, "read_only").value_or(true);
    auto paging = GetString(o, "paging").value_or("");
    a.paging = paging == "sync"     ? Paging::kSync
               : paging == "offset" ? Paging::kOffset
                                    : Paging::kNone;
    a.items_key = std::string(GetString(o, "items").value_or(""));
    a.total_key = std::string(GetString(o, "total").value_or(""));
    a.option_fields = GetStringList(o, "options");
    a.input_schema = o.at("input");
    a.output = o.at("output");
    a.tags = GetStringList(o, "tags");
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

const std::vector<Action>& Catalogue() {
  static const std::vector<Action> kActions = Load();
  return kActions;
}

const Action* FindAction(std::string_view id) {
  for (const auto& a : Catalogue()) {
    if (a.id == id) {
      return &a;
    }
  }
  return nullptr;
}

bool Supports(const std::vector<std::string>& products, const Action& action) {
  return action.product.empty() ||
         std::find(products.begin(), products.end(), action.product) != products.end();
}

bool IsLinkProduct(std::string_view product) {
  static constexpr std::array<std::string_view, 17> kProducts = {"assets",
                                                                 "auth",
                                                                 "beacon",
                                                                 "employment",
                                                                 "identity",
                                                                 "identity_verification",
                                                                 "income_verification",
                                                                 "investments",
                                                                 "liabilities",
                                                                 "payment_initiation",
                                                                 "processor_identity",
                                                                 "signal",
                                                                 "standing_orders",
                                                                 "statements",
                                                                 "transactions",
                                                                 "transfer",
                                                                 "cra_base_report"};
  return std::find(kProducts.begin(), kProducts.end(), product) != kProducts.end();
}

}  // namespace linkhub::plaid
