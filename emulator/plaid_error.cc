#include "emulator/plaid_error.h"

#include <array>
#include <cctype>

#include "core/json.h"

namespace linkhub::emulator {

namespace {

struct Entry {
  std::string_view code;
  std::string_view type;
  int status;
  std::string_view message;
  std::string_view display;  // empty: null
};

// Plaid's documented errors that the emulator produces. Messages follow Plaid's where known.
constexpr std::array kCatalogue = {
    Entry{"INVALID_BODY", "INVALID_REQUEST", 400, "body could not be parsed as JSON", ""},
    Entry{"MISSING_FIELDS", "INVALID_REQUEST", 400, "the following required fields are missing",
          ""},
    Entry{"INVALID_FIELD", "INVALID_REQUEST", 400, "one or more of the request fields are invalid",
          ""},
    Entry{"UNKNOWN_FIELDS", "INVALID_REQUEST", 400,
          "the following fields are not recognized by this endpoint", ""},
    Entry{"INVALID_HEADERS", "INVALID_REQUEST", 400, "the request has invalid headers", ""},
    Entry{"INVALID_CONFIGURATION", "INVALID_REQUEST", 400,
          "/link/token/create was called with invalid configuration settings", ""},
    Entry{"NOT_FOUND", "INVALID_REQUEST", 404, "not found", ""},
    Entry{"INVALID_API_KEYS", "INVALID_INPUT", 400, "invalid client_id or secret provided", ""},
    Entry{"UNAUTHORIZED_ENVIRONMENT", "INVALID_INPUT", 400,
          "you are not authorized to create items in this api environment. Go to the Dashboard "
          "(https://dashboard.plaid.com) to see which environments you are authorized for.",
          ""},
    Entry{"INVALID_ACCESS_TOKEN", "INVALID_INPUT", 400, "could not find matching access token", ""},
    Entry{"INVALID_PUBLIC_TOKEN", "INVALID_INPUT", 400, "could not find matching public token", ""},
    Entry{"INVALID_LINK_TOKEN", "INVALID_INPUT", 400, "could not find matching link token", ""},
    Entry{"INVALID_ACCOUNT_ID", "INVALID_INPUT", 400, "one or more of the account IDs is invalid",
          ""},
    Entry{"INVALID_INSTITUTION", "INVALID_INPUT", 400, "invalid institution_id provided", ""},
    Entry{"ITEM_LOGIN_REQUIRED", "ITEM_ERROR", 400,
          "the login details of this item have changed (credentials, MFA, or required user action) "
          "and a user login is required to update this information. use Link's update mode to "
          "restore the item to a good state",
          ""},
    Entry{"ITEM_NOT_FOUND", "ITEM_ERROR", 400, "the requested item was not found", ""},
    Entry{"PRODUCT_NOT_READY", "ITEM_ERROR", 400,
          "the requested product is not yet ready. please provide a webhook or try the request "
          "again later",
          ""},
    Entry{"PRODUCTS_NOT_SUPPORTED", "ITEM_ERROR", 400,
          "the following products are not supported by this institution", ""},
    Entry{"ADDITIONAL_CONSENT_REQUIRED", "ITEM_ERROR", 400,
          "the user has not consented to share data for this product; send the user through "
          "update mode with this product to request consent",
          ""},
    Entry{"ACCESS_NOT_GRANTED", "ITEM_ERROR", 400,
          "access to this product was not granted for the account",
          "The user did not grant the necessary permissions for this product on their account."},
    Entry{"NO_ACCOUNTS", "ITEM_ERROR", 400, "no valid accounts were found for this item",
          "No valid accounts were found at the financial institution. Please visit your financial "
          "institution's website to confirm accounts are available."},
    Entry{"NO_AUTH_ACCOUNTS", "ITEM_ERROR", 400,
          "no valid checking or savings accounts were found for this item",
          "No valid checking or savings accounts were found at this financial institution."},
    Entry{"NO_INVESTMENT_ACCOUNTS", "ITEM_ERROR", 400,
          "no investment accounts were found for this item",
          "No investment accounts were found at this financial institution."},
    Entry{"NO_LIABILITY_ACCOUNTS", "ITEM_ERROR", 400,
          "no liability accounts were found for this item",
          "No liability accounts were found at this financial institution."},
    Entry{"INVALID_CREDENTIALS", "ITEM_ERROR", 400, "the provided credentials were not correct",
          "The provided credentials were not correct. Please try again."},
    Entry{"INVALID_MFA", "ITEM_ERROR", 400, "the provided MFA response(s) were not correct",
          "The provided MFA responses were not correct. Please try again."},
    Entry{"INVALID_SEND_METHOD", "ITEM_ERROR", 400, "the provided MFA send_method was invalid", ""},
    Entry{"INVALID_UPDATED_USERNAME", "ITEM_ERROR", 400,
          "the username entered does not match the original username for this item",
          "The username you entered doesn't match the one used to connect this account."},
    Entry{"INSUFFICIENT_CREDENTIALS", "ITEM_ERROR", 400,
          "insufficient authorization was provided to complete the request", ""},
    Entry{"ITEM_LOCKED", "ITEM_ERROR", 400,
          "the account is locked. prompt the user to visit the institution's site and unlock "
          "their account",
          "The financial institution indicated that your account is locked. Please visit your "
          "institution's website to unlock your account."},
    Entry{"ITEM_NOT_SUPPORTED", "ITEM_ERROR", 400, "this item is not supported by Plaid",
          "Your account is not currently supported. Please log in using a different account."},
    Entry{"USER_SETUP_REQUIRED", "ITEM_ERROR", 400,
          "the account has not been fully set up. prompt the user to visit the institution's "
          "site and finish the setup process",
          "Your account has not been fully set up. Please visit your institution's website to "
          "finish setting it up."},
    Entry{"MFA_NOT_SUPPORTED", "ITEM_ERROR", 400,
          "this account requires a MFA type that is not supported",
          "This account requires a form of verification that is not supported."},
    Entry{"USER_PERMISSION_REVOKED", "ITEM_ERROR", 400, "the user has revoked access to this item",
          ""},
    Entry{"INSTITUTION_DOWN", "INSTITUTION_ERROR", 400,
          "this institution is not currently responding to this request. please try again soon",
          "This financial institution is not currently responding to requests. We apologize for "
          "the inconvenience."},
    Entry{"INSTITUTION_NOT_RESPONDING", "INSTITUTION_ERROR", 400,
          "this institution is not currently responding to this request. please try again soon",
          "This financial institution is not currently responding to requests. We apologize for "
          "the inconvenience."},
    Entry{"INSTITUTION_NOT_AVAILABLE", "INSTITUTION_ERROR", 400,
          "this institution is not currently responding to this request. please try again soon",
          "This financial institution is not currently responding to requests. We apologize for "
          "the inconvenience."},
    Entry{"INSTITUTION_NOT_FOUND", "INSTITUTION_ERROR", 400,
          "this institution was not found. Please check the ID supplied", ""},
    Entry{"INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT", "INSTITUTION_ERROR", 400,
          "Institution not enabled in this environment", ""},
    Entry{"INSTITUTION_NO_LONGER_SUPPORTED", "INSTITUTION_ERROR", 400,
          "this institution is no longer supported", ""},
    Entry{"TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", "TRANSACTIONS_ERROR", 400,
          "Underlying transaction data changed since last page was fetched. Please restart "
          "pagination from last update.",
          ""},
    Entry{"RATE_LIMIT", "RATE_LIMIT_EXCEEDED", 429,
          "rate limit exceeded for attempts to access this item. please try again later", ""},
    Entry{"INTERNAL_SERVER_ERROR", "API_ERROR", 500, "an unexpected error occurred",
          "Something went wrong. Please try again later."},
    Entry{"PLANNED_MAINTENANCE", "API_ERROR", 503,
          "the Plaid API is temporarily unavailable due to planned maintenance. visit "
          "https://status.plaid.com/ for more information",
          "Plaid is undergoing planned maintenance. Please try again later."},
    Entry{"SANDBOX_PRODUCT_NOT_ENABLED", "SANDBOX_ERROR", 400,
          "the requested product is not enabled for this item", ""},
    Entry{"SANDBOX_WEBHOOK_INVALID", "SANDBOX_ERROR", 400,
          "the webhook for this item is either missing or invalid", ""},
    Entry{"OAUTH_STATE_ID_NOT_FOUND", "OAUTH_ERROR", 400,
          "the provided oauth_state_id wasn't found", ""},
    Entry{"INCORRECT_OAUTH_NONCE", "OAUTH_ERROR", 400, "nonce does not match", ""},
};

const Entry* Lookup(std::string_view code) {
  for (const auto& e : kCatalogue) {
    if (e.code == code) {
      return &e;
    }
  }
  return nullptr;
}

std::string DocPage(std::string_view type) {
  if (type == "INVALID_REQUEST") {
    return "invalid-request";
  }
  if (type == "INVALID_INPUT") {
    return "invalid-input";
  }
  if (type == "ITEM_ERROR") {
    return "item";
  }
  if (type == "INSTITUTION_ERROR") {
    return "institution";
  }
  if (type == "TRANSACTIONS_ERROR") {
    return "transactions";
  }
  if (type == "RATE_LIMIT_EXCEEDED") {
    return "rate-limit-exceeded";
  }
  if (type == "API_ERROR") {
    return "api";
  }
  if (type == "SANDBOX_ERROR") {
    return "sandbox";
  }
  if (type == "OAUTH_ERROR") {
    return "oauth";
  }
  return "";
}

}  // namespace

bool IsKnownPlaidErrorCode(std::string_view code) { return Lookup(code) != nullptr; }

PlaidError PlaidErrorFor(std::string_view code, std::string message) {
  PlaidError e;
  if (const Entry* entry = Lookup(code)) {
    e.status = entry->status;
    e.type = entry->type;
    e.code = entry->code;
    e.message = entry->message;
    if (!entry->display.empty()) {
      e.display_message = std::string(entry->display);
    }
  } else {
    e.status = 400;
    e.type = "ITEM_ERROR";
    e.code = std::string(code);
    e.message = "the item is in an error state: " + std::string(code);
  }
  if (!message.empty()) {
    e.message = std::move(message);
  }
  return e;
}

PlaidError RateLimitErrorFor(std::string_view endpoint) {
  static constexpr std::pair<std::string_view, std::string_view> kCodes[] = {
      {"/accounts/get", "ACCOUNTS_LIMIT"},
      {"/accounts/balance/get", "BALANCE_LIMIT"},
      {"/auth/get", "AUTH_LIMIT"},
      {"/identity/get", "IDENTITY_LIMIT"},
      {"/institutions/get_by_id", "INSTITUTIONS_GET_BY_ID_LIMIT"},
      {"/institutions/search", "INSTITUTIONS_SEARCH_LIMIT"},
      {"/investments/holdings/get", "INVESTMENT_HOLDINGS_GET_LIMIT"},
      {"/investments/transactions/get", "INVESTMENT_TRANSACTIONS_LIMIT"},
      {"/item/get", "ITEM_GET_LIMIT"},
      {"/item/remove", "ITEM_REMOVE_LIMIT"},
      {"/liabilities/get", "LIABILITIES_LIMIT"},
      {"/transactions/get", "TRANSACTIONS_LIMIT"},
      {"/transactions/sync", "TRANSACTIONS_SYNC_LIMIT"},
      {"/transactions/refresh", "TRANSACTIONS_REFRESH_LIMIT"},
  };
  PlaidError e = PlaidErrorFor("RATE_LIMIT");
  for (const auto& [path, code] : kCodes) {
    if (path == endpoint) {
      e.code = std::string(code);
    }
  }
  return e;
}

boost::json::object ToWebhookJson(const PlaidError& error) {
  boost::json::object o;
  o["error_type"] = error.type;
  o["error_code"] = error.code;
  o["error_code_reason"] = error.error_code_reason ? boost::json::value(*error.error_code_reason)
                                                   : boost::json::value(nullptr);
  o["error_message"] = error.message;
  o["display_message"] = error.display_message ? boost::json::value(*error.display_message)
                                               : boost::json::value(nullptr);
  o["status"] = error.status;
  std::string page = DocPage(error.type);
  if (!page.empty()) {
    std::string anchor = error.code;
    for (char& c : anchor) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    o["documentation_url"] = "https://plaid.com/docs/errors/" + page + "/#" + anchor;
  }
  o["suggested_action"] = nullptr;
  return o;
}

boost::json::object ToJson(const PlaidError& error, std::string_view request_id) {
  boost::json::object o = ToWebhookJson(error);
  o.erase("status");
  o["request_id"] = request_id;
  return o;
}

http::Response ToResponse(const PlaidError& error, std::string_view request_id) {
  return http::Response::Json(error.status, linkhub::ToJson(ToJson(error, request_id)));
}

}  // namespace linkhub::emulator
