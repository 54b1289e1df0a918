#include "emulator/emulator.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/json.h"

namespace linkhub::emulator {

namespace {

// Plaid's published per-Item and per-client limits (per minute) for the endpoints it limits.
struct Limit {
  std::string_view endpoint;
  int per_item;
  int per_client;
};
constexpr Limit kLimits[] = {
    {"/accounts/balance/get", 5, 1200},
    {"/accounts/get", 15, 15000},
    {"/auth/get", 15, 12000},
    {"/identity/get", 15, 2000},
    {"/institutions/get_by_id", 0, 400},
    {"/institutions/search", 0, 400},
    {"/investments/holdings/get", 15, 2000},
    {"/investments/transactions/get", 30, 20000},
    {"/item/get", 15, 5000},
    {"/item/remove", 30, 2000},
    {"/liabilities/get", 15, 1000},
    {"/transactions/get", 30, 20000},
    {"/transactions/sync", 50, 20000},
    {"/transactions/refresh", 2, 100},
};

}  // namespace

std::vector<std::string> AccountIdsFor(const std::string& item_id, const InstitutionFixture& inst,
                                       const Fixtures& fixtures, uint64_t seed) {
  // Stable per Item and account, as Plaid's are; derived, so Link can show them before the Item
  // exists.
  std::vector<std::string> ids;
  for (const auto& t : fixtures.Profile(inst.profile)) {
    SeededRandom r(std::hash<std::string>{}(item_id + "/" + t.key) ^ seed);
    ids.push_back(NewBase62(r, 37));
  }
  return ids;
}

Emulator::Emulator(EmulatorConfig config, const Fixtures& fixtures, OffsetClock& clock,
                   Random& random, WebhookSigner& signer, WebhookDispatcher& webhooks)
    : config_(std::move(config)),
      fixtures_(fixtures),
      clock_(clock),
      random_(random),
      signer_(signer),
      webhooks_(webhooks) {}

void Emulator::SetPublicUrl(std::string url) {
  std::lock_guard lock(mu_);
  if (config_.public_url.empty()) {
    config_.public_url = std::move(url);
  }
}

std::string Emulator::NewToken(const char* kind) {
  return std::string(kind) + "-" + config_.env + "-" + NewUuid(random_);
}

http::Response Emulator::ServerError(const http::Request& req, int status,
                                     const std::string& message) {
  PlaidError e;
  switch (status) {
    case 404:
    case 405:
      e = PlaidErrorFor("NOT_FOUND", message);
      break;
    case 413:
    case 400:
      e = PlaidErrorFor("INVALID_BODY", message);
      break;
    case 431:
      e = PlaidErrorFor("INVALID_HEADERS", message);
      break;
    case 408:
      e = PlaidErrorFor("INVALID_BODY", message);
      break;
    default:
      e = PlaidErrorFor("INTERNAL_SERVER_ERROR");
      break;
  }
  e.status = status;
  return ToResponse(e, req.request_id);
}

void Emulator::RegisterRoutes(http::Router& router) {
  using E = Emulator;
  static const ObjectSpec kAccessOnly = {{"access_token", Kind::kNonEmptyString, true}};
  static const ObjectSpec kAccountIdsOptions = {{"account_ids", Kind::kStringArray}};
  static const ObjectSpec kAccountsGet = {
      {"access_token", Kind::kNonEmptyString, true},
      {"options", Kind::kObject, false, false, {}, &kAccountIdsOptions}};
  static const ObjectSpec kBalanceOptions = {{"account_ids", Kind::kStringArray},
                                             {"min_last_updated_datetime", Kind::kDateTime}};
  static const ObjectSpec kBalanceGet = {
      {"access_token", Kind::kNonEmptyString, true},
      {"options", Kind::kObject, false, false, {}, &kBalanceOptions},
      {"payment_details", Kind::kFreeObject}};
  static const ObjectSpec kSyncOptions = {
      {"include_original_description", Kind::kBool, false, true},
      {"include_personal_finance_category", Kind::kBool},
      {"include_logo_and_counterparty_beta", Kind::kBool},
      {"personal_finance_category_version", Kind::kString, false, false, {"v1", "v2"}},
      {"days_requested", Kind::kInteger, false, false, {}, nullptr, 1, 730},
      {"account_id", Kind::kString}};
  static const ObjectSpec kSync = {{"access_token", Kind::kNonEmptyString, true},
                                   {"cursor", Kind::kString},
                                   {"count", Kind::kInteger, false, false, {}, nullptr, 1, 500},
                                   {"options", Kind::kObject, false, false, {}, &kSyncOptions}};
  static const ObjectSpec kTxGetOptions = {
      {"account_ids", Kind::kStringArray},
      {"count", Kind::kInteger, false, false, {}, nullptr, 1, 500},
      {"offset", Kind::kInteger, false, false, {}, nullptr, 0, INT32_MAX},
      {"include_original_description", Kind::kBool, false, true},
      {"include_personal_finance_category_beta", Kind::kBool},
      {"include_personal_finance_category", Kind::kBool},
      {"include_logo_and_counterparty_beta", Kind::kBool},
      {"personal_finance_category_version", Kind::kString, false, false, {"v1", "v2"}},
      {"days_requested", Kind::kInteger, false, false, {}, nullptr, 1, 730}};
  static const ObjectSpec kTxGet = {{"access_token", Kind::kNonEmptyString, true},
                                    {"start_date", Kind::kDate, true},
                                    {"end_date", Kind::kDate, true},
                                    {"options", Kind::kObject, false, false, {}, &kTxGetOptions}};
  static const ObjectSpec kInvTxOptions = {
      {"account_ids", Kind::kStringArray},
      {"count", Kind::kInteger, false, false, {}, nullptr, 1, 500},
      {"offset", Kind::kInteger, false, false, {}, nullptr, 0, INT32_MAX},
      {"async_update", Kind::kBool}};
  static const ObjectSpec kInvTx = {{"access_token", Kind::kNonEmptyString, true},
                                    {"start_date", Kind::kDate, true},
                                    {"end_date", Kind::kDate, true},
                                    {"options", Kind::kObject, false, false, {}, &kInvTxOptions}};
  static const ObjectSpec kItemRemove = {
      {"access_token", Kind::kNonEmptyString, true},
      {"reason_code",
       Kind::kString,
       false,
       true,
       {"FRAUD_FIRST_PARTY", "FRAUD_FALSE_IDENTITY", "FRAUD_ABUSE", "FRAUD_OTHER",
        "CONNECTION_IS_NON_FUNCTIONAL", "OTHER"}},
      {"reason_note", Kind::kString, false, true}};
  static const ObjectSpec kWebhookUpdate = {{"access_token", Kind::kNonEmptyString, true},
                                            {"webhook", Kind::kString, false, true}};
  static const std::vector<std::string> kCountries = {"US", "GB", "ES", "NL", "FR", "IE", "CA",
                                                      "DE", "IT", "PL", "DK", "NO", "SE", "EE",
                                                      "LT", "LV", "PT", "BE", "AT", "FI"};
  static const std::vector<std::string> kProducts = {"assets",
                                                     "auth",
                                                     "balance",
                                                     "balance_plus",
                                                     "beacon",
                                                     "identity",
                                                     "identity_match",
                                                     "investments",
                                                     "investments_auth",
                                                     "liabilities",
                                                     "payment_initiation",
                                                     "identity_verification",
                                                     "transactions",
                                                     "credit_details",
                                                     "income",
                                                     "income_verification",
                                                     "standing_orders",
                                                     "transfer",
                                                     "employment",
                                                     "recurring_transactions",
                                                     "transactions_refresh",
                                                     "signal",
                                                     "statements",
                                                     "processor_payments",
                                                     "processor_identity",
                                                     "profile",
                                                     "cra_base_report",
                                                     "cra_income_insights",
                                                     "cra_partner_insights",
                                                     "cra_network_insights",
                                                     "cra_cashflow_insights",
                                                     "cra_monitoring",
                                                     "layer",
                                                     "pay_by_bank",
                                                     "protect_linked_bank"};
  static const ObjectSpec kInstOptions = {{"include_optional_metadata", Kind::kBool},
                                          {"include_status", Kind::kBool},
                                          {"include_auth_metadata", Kind::kBool},
                                          {"include_payment_initiation_metadata", Kind::kBool}};
  static const ObjectSpec kInstGet = {
      {"institution_id", Kind::kNonEmptyString, true},
      {"country_codes", Kind::kStringArray, true, false, kCountries, nullptr, 1},
      {"options", Kind::kObject, false, false, {}, &kInstOptions}};
  static const ObjectSpec kSearchOptions = {
      {"oauth", Kind::kBool, false, true},
      {"include_optional_metadata", Kind::kBool},
      {"include_auth_metadata", Kind::kBool, false, true},
      {"include_payment_initiation_metadata", Kind::kBool, false, true},
      {"payment_initiation", Kind::kFreeObject}};
  static const ObjectSpec kInstSearch = {
      {"query", Kind::kNonEmptyString, true},
      {"products", Kind::kStringArray, false, true, kProducts},
      {"country_codes", Kind::kStringArray, true, false, kCountries, nullptr, 1},
      {"options", Kind::kObject, false, false, {}, &kSearchOptions}};
  static const ObjectSpec kKeyGet = {{"key_id", Kind::kNonEmptyString, true}};
  static const ObjectSpec kSandboxTx = {
      {"start_date", Kind::kDate},
      {"end_date", Kind::kDate},
      {"days_requested", Kind::kInteger, false, false, {}, nullptr, 1, 730}};
  static const ObjectSpec kSandboxOptions = {
      {"webhook", Kind::kString},
      {"override_username", Kind::kString, false, true},
      {"override_password", Kind::kString, false, true},
      {"transactions", Kind::kObject, false, false, {}, &kSandboxTx},
      {"income_verification", Kind::kFreeObject},
      {"statements", Kind::kFreeObject}};
  static const ObjectSpec kSandboxCreate = {
      {"institution_id", Kind::kNonEmptyString, true},
      {"initial_products", Kind::kStringArray, true, false, kProducts, nullptr, 1},
      {"options", Kind::kObject, false, false, {}, &kSandboxOptions},
      {"user_token", Kind::kString}};
  static const ObjectSpec kFireWebhook = {
      {"access_token", Kind::kNonEmptyString, true},
      {"webhook_type",
       Kind::kString,
       false,
       false,
       {"AUTH", "HOLDINGS", "INVESTMENTS_TRANSACTIONS", "ITEM", "LIABILITIES", "TRANSACTIONS",
        "ASSETS"}},
      {"webhook_code",
       Kind::kString,
       true,
       false,
       {"DEFAULT_UPDATE", "NEW_ACCOUNTS_AVAILABLE", "SMS_MICRODEPOSITS_VERIFICATION",
        "AUTHORIZATION_GRANTED", "USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED",
        "PENDING_DISCONNECT", "RECURRING_TRANSACTIONS_UPDATE", "LOGIN_REPAIRED",
        "SYNC_UPDATES_AVAILABLE", "PRODUCT_READY", "ERROR"}},
      {"verification_status", Kind::kString}};
  static const ObjectSpec kLinkTokenGet = {{"link_token", Kind::kNonEmptyString, true}};
  static const ObjectSpec kExchange = {{"public_token", Kind::kNonEmptyString, true}};

  // /link/token/create
  static const ObjectSpec kUser = {{"client_user_id", Kind::kNonEmptyString, true},
                                   {"legal_name", Kind::kString},
                                   {"name", Kind::kFreeObject},
                                   {"phone_number", Kind::kString},
                                   {"phone_number_verified_time", Kind::kDateTime, false, true},
                                   {"email_address", Kind::kString},
                                   {"email_address_verified_time", Kind::kDateTime, false, true},
                                   {"ssn", Kind::kString},
                                   {"date_of_birth", Kind::kDate, false, true},
                                   {"address", Kind::kFreeObject},
                                   {"id_number", Kind::kFreeObject}};
  static const ObjectSpec kUpdate = {{"account_selection_enabled", Kind::kBool},
                                     {"user", Kind::kBool},
                                     {"item_ids", Kind::kStringArray, false, true},
                                     {"reauthorization_enabled", Kind::kBool}};
  static const ObjectSpec kTransactions = {
      {"days_requested", Kind::kInteger, false, false, {}, nullptr, 1, 730}};
  static const std::vector<std::string> kLanguages = {"da", "nl", "en", "et", "fr", "de",
                                                      "hi", "it", "lv", "lt", "no", "pl",
                                                      "pt", "ro", "es", "sv", "vi", "ja"};
  static const ObjectSpec kLinkTokenCreate = {
      {"client_name", Kind::kNonEmptyString, true},
      {"language", Kind::kNonEmptyString, true, false, kLanguages},
      {"country_codes", Kind::kStringArray, true, false, kCountries, nullptr, 1},
      {"user", Kind::kObject, true, false, {}, &kUser},
      {"products", Kind::kStringArray, false, true, kProducts},
      {"required_if_supported_products", Kind::kStringArray, false, true, kProducts},
      {"optional_products", Kind::kStringArray, false, true, kProducts},
      {"additional_consented_products", Kind::kStringArray, false, true, kProducts},
      {"webhook", Kind::kString},
      {"access_token", Kind::kNonEmptyString, false, true},
      {"access_tokens", Kind::kStringArray, false, true},
      {"redirect_uri", Kind::kString},
      {"android_package_name", Kind::kString},
      {"account_filters", Kind::kFreeObject},
      {"link_customization_name", Kind::kString},
      {"update", Kind::kObject, false, false, {}, &kUpdate},
      {"transactions", Kind::kObject, false, false, {}, &kTransactions},
      {"institution_id", Kind::kString},
      {"institution_data", Kind::kFreeObject},
      {"auth", Kind::kFreeObject},
      {"investments", Kind::kFreeObject},
      {"investments_auth", Kind::kFreeObject},
      {"hosted_link", Kind::kFreeObject},
      {"enable_multi_item_link", Kind::kBool},
      {"user_token", Kind::kString},
      {"user_id", Kind::kString},
      {"identity_verification", Kind::kFreeObject},
      {"statements", Kind::kFreeObject},
      {"eu_config", Kind::kFreeObject},
      {"payment_initiation", Kind::kFreeObject},
      {"transfer", Kind::kFreeObject},
      {"deposit_switch", Kind::kFreeObject},
      {"employment", Kind::kFreeObject},
      {"income_verification", Kind::kFreeObject},
      {"base_report", Kind::kFreeObject},
      {"consumer_report_permissible_purpose", Kind::kString},
      {"cra_options", Kind::kFreeObject},
      {"card_switch", Kind::kFreeObject},
      {"financekit_supported", Kind::kBool}};

  AddPlaid(router, "/link/token/create", kLinkTokenCreate, &E::LinkTokenCreate);
  AddPlaid(router, "/link/token/get", kLinkTokenGet, &E::LinkTokenGet);
  AddPlaid(router, "/item/public_token/exchange", kExchange, &E::PublicTokenExchange);
  AddPlaid(router, "/accounts/get", kAccountsGet, &E::AccountsGet);
  AddPlaid(router, "/accounts/balance/get", kBalanceGet, &E::BalanceGet);
  AddPlaid(router, "/auth/get", kAccountsGet, &E::AuthGet);
  AddPlaid(router, "/transactions/sync", kSync, &E::TransactionsSync);
  AddPlaid(router, "/transactions/get", kTxGet, &E::TransactionsGet);
  AddPlaid(router, "/transactions/refresh", kAccessOnly, &E::TransactionsRefresh);
  AddPlaid(router, "/identity/get", kAccountsGet, &E::IdentityGet);
  AddPlaid(router, "/investments/holdings/get", kAccountsGet, &E::HoldingsGet);
  AddPlaid(router, "/investments/transactions/get", kInvTx, &E::InvestmentTransactionsGet);
  AddPlaid(router, "/liabilities/get", kAccountsGet, &E::LiabilitiesGet);
  AddPlaid(router, "/item/get", kAccessOnly, &E::ItemGet);
  AddPlaid(router, "/item/remove", kItemRemove, &E::ItemRemove);
  AddPlaid(router, "/item/webhook/update", kWebhookUpdate, &E::ItemWebhookUpdate);
  AddPlaid(router, "/item/access_token/invalidate", kAccessOnly, &E::AccessTokenInvalidate);
  AddPlaid(router, "/institutions/get_by_id", kInstGet, &E::InstitutionsGetById);
  AddPlaid(router, "/institutions/search", kInstSearch, &E::InstitutionsSearch);
  AddPlaid(router, "/webhook_verification_key/get", kKeyGet, &E::WebhookKeyGet);
  AddPlaid(router, "/sandbox/public_token/create", kSandboxCreate, &E::SandboxPublicTokenCreate);
  AddPlaid(router, "/sandbox/item/reset_login", kAccessOnly, &E::SandboxResetLogin);
  AddPlaid(router, "/sandbox/item/fire_webhook", kFireWebhook, &E::SandboxFireWebhook);

  RegisterLinkRoutes(router);
  RegisterControlRoutes(router);
}

void Emulator::AddPlaid(http::Router& router, const std::string& path, const ObjectSpec& spec,
                        PlaidHandler h) {
  router.Add("POST", path, [this, path, &spec, h](http::Request& req) {
    return HandlePlaid(req, path, spec, h);
  });
}

std::optional<Fault> Emulator::TakeFaultLocked(const std::string& endpoint,
                                               const boost::json::object* body) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->endpoint != "*" && it->endpoint != endpoint) {
      continue;
    }
    if (!it->item_id.empty()) {
      auto token = body != nullptr ? GetString(*body, "access_token") : std::nullopt;
      auto found = token ? access_tokens_.find(*token) : access_tokens_.end();
      if (found == access_tokens_.end() || found->second != it->item_id) {
        continue;
      }
    }
    Fault f = *it;
    if (--it->remaining <= 0) {
      faults_.erase(it);
    }
    return f;
  }
  return std::nullopt;
}

http::Response Emulator::HandlePlaid(http::Request& req, const std::string& path,
                                     const ObjectSpec& spec, PlaidHandler h) {
  {
    std::lock_guard lock(mu_);
    ++requests_[path];
  }
  http::Response res = AnswerPlaid(req, path, spec, h);
  std::lock_guard lock(mu_);
  ++requests_[path + " " + (res.drop_connection ? "dropped" : std::to_string(res.status))];
  return res;
}

http::Response Emulator::AnswerPlaid(http::Request& req, const std::string& path,
                                     const ObjectSpec& spec, PlaidHandler h) {
  const std::string& rid = req.request_id;
  auto parsed = ParseJson(req.body);
  const boost::json::object* body = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
  // Injected faults come first: an outage at Plaid does not care whether the request was valid.
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(mu_);
    if (auto fault = TakeFaultLocked(path, body)) {
      if (fault->error || fault->drop_connection) {
        http::Response r = fault->error ? ToResponse(*fault->error, rid) : http::Response();
        r.delay = fault->delay;
        r.drop_connection = fault->drop_connection;
        return r;
      }
      delay = fault->delay;  // a slow Plaid: the real answer, late
    }
  }
  auto content_type = req.headers.Get("Content-Type");
  if (!content_type || content_type->find("application/json") == std::string_view::npos) {
    return ToResponse(
        PlaidErrorFor(
            "INVALID_BODY",
            "body could not be parsed as JSON; the Content-Type must be application/json"),
        rid);
  }
  if (!parsed || body == nullptr) {
    return ToResponse(PlaidErrorFor("INVALID_BODY"), rid);
  }
  if (auto version = req.headers.Get("Plaid-Version"); version && *version != "2020-09-14") {
    return ToResponse(PlaidErrorFor("INVALID_HEADERS", "Plaid-Version " + std::string(*version) +
                                                           " is not supported; use 2020-09-14"),
                      rid);
  }
  // Credentials: in the body or in the headers; the body wins when both are present.
  std::optional<std::string> client_id, secret;
  if (auto v = GetString(*body, "client_id")) {
    client_id = std::string(*v);
  } else if (auto hv = req.headers.Get("PLAID-CLIENT-ID")) {
    client_id = std::string(*hv);
  }
  if (auto v = GetString(*body, "secret")) {
    secret = std::string(*v);
  } else if (auto hv = req.headers.Get("PLAID-SECRET")) {
    secret = std::string(*hv);
  }
  if (!client_id || !secret || client_id->empty() || secret->empty()) {
    std::string missing;
    if (!client_id || client_id->empty()) {
      missing = "client_id";
    }
    if (!secret || secret->empty()) {
      missing += std::string(missing.empty() ? "" : ", ") + "secret";
    }
    return ToResponse(
        PlaidErrorFor("MISSING_FIELDS", "the following required fields are missing: " + missing),
        rid);
  }
  if (!config_.Accepts(*client_id, *secret)) {
    return ToResponse(PlaidErrorFor("INVALID_API_KEYS"), rid);
  }
  if (auto invalid = Validate(*body, spec)) {
    return ToResponse(*invalid, rid);
  }
  unsigned char arena[8192];
  boost::json::monotonic_resource resource(arena, sizeof(arena));
  // Initialised in place: assigning would copy the response out of the arena.
  Outcome outcome = [&] {
    std::lock_guard lock(mu_);
    Call call{*body, *client_id, rid, path, boost::json::storage_ptr(&resource)};
    return (this->*h)(call);
  }();
  http::Response r = Answer(outcome, rid);
  r.delay = delay;
  return r;
}

http::Response Emulator::Answer(Outcome& outcome, const std::string& request_id) {
  if (auto* err = std::get_if<PlaidError>(&outcome)) {
    return ToResponse(*err, request_id);
  }
  auto& o = std::get<boost::json::object>(outcome);
  o["request_id"] = request_id;
  return http::Response::Json(200, linkhub::ToJson(o));
}

std::optional<PlaidError> Emulator::CheckTokenFormat(std::string_view token,
                                                     const std::string& kind,
                                                     const std::string& error_code) const {
  std::string prefix = kind + "-" + config_.env + "-";
  if (!token.starts_with(kind + "-") || token.size() <= prefix.size() ||
      std::count(token.begin(), token.end(), '-') < 2) {
    return PlaidErrorFor(error_code, "provided " + kind +
                                         " token is in an invalid format. expected format: " +
                                         kind + "-<environment>-<identifier>");
  }
  if (!token.starts_with(prefix)) {
    return PlaidErrorFor(error_code, "provided " + kind +
                                         " token is for a different API environment; this is the " +
                                         config_.env + " environment");
  }
  return std::nullopt;
}

bool EmulatorConfig::Accepts(std::string_view id, std::string_view key) const {
  if (id == client_id && key == secret) {
    return true;
  }
  return std::any_of(more_clients.begin(), more_clients.end(),
                     [&](const auto& c) { return c.first == id && c.second == key; });
}

std::variant<Emulator::Item*, PlaidError> Emulator::ResolveItemLocked(
    const boost::json::object& body, const std::string& client_id, bool require_healthy) {
  std::string_view token = GetString(body, "access_token").value_or("");
  if (auto bad = CheckTokenFormat(token, "access", "INVALID_ACCESS_TOKEN")) {
    return *bad;
  }
  auto it = access_tokens_.find(token);
  if (it == access_tokens_.end()) {
    return PlaidErrorFor("INVALID_ACCESS_TOKEN");
  }
  Item& item = items_.at(it->second);
  // Another client's access token is unknown to this one.
  if (item.removed || item.client_id != client_id) {
    return PlaidErrorFor("INVALID_ACCESS_TOKEN");
  }
  if (require_healthy && item.error) {
    return *item.error;
  }
  return &item;
}

std::optional<PlaidError> Emulator::CheckRateLocked(const std::string& endpoint, const Item* item) {
  if (!config_.rate_limits) {
    return std::nullopt;
  }
  int per_item = 0, per_client = 0;
  for (const auto& l : kLimits) {
    if (l.endpoint == endpoint) {
      per_item = l.per_item;
      per_client = l.per_client;
    }
  }
  if (config_.item_rate_limit > 0 && item != nullptr) {
    per_item = config_.item_rate_limit;
  }
  if (config_.client_rate_limit > 0) {
    per_client = config_.client_rate_limit;
  }
  TimePoint now = Now();
  auto hit = [&](const std::string& key, int limit) {
    if (limit <= 0) {
      return false;
    }
    RateWindow& w = rate_windows_[key];
    if (w.count == 0 || now - w.start >= std::chrono::minutes(1)) {
      w.start = now;
      w.count = 0;
    }
    if (w.count >= limit) {
      return true;
    }
    ++w.count;
    return false;
  };
  if (item != nullptr && hit(endpoint + "|item|" + item->item_id, per_item)) {
    return RateLimitErrorFor(endpoint);
  }
  if (hit(endpoint + "|client", per_client)) {
    PlaidError e = RateLimitErrorFor(endpoint);
    e.message = "rate limit exceeded for this client. please try again later";
    return e;
  }
  return std::nullopt;
}

std::optional<PlaidError> Emulator::GateProductLocked(Item& item, const std::string& product) {
  const auto& supported = item.institution->products;
  if (!Contains(supported, product)) {
    return PlaidErrorFor(
        "PRODUCTS_NOT_SUPPORTED",
        "the following products are not supported by this institution: " + product);
  }
  if (product == "balance" || Contains(item.billed, product)) {
    return std::nullopt;
  }
  if (Contains(item.consented, product)) {
    item.billed.push_back(product);
    if (product == "transactions") {
      EnableTransactionsLocked(item);
    }
    return std::nullopt;
  }
  return PlaidErrorFor("ADDITIONAL_CONSENT_REQUIRED",
                       "the user has not consented to share data for " + product +
                           "; send the user through Link in update mode with " + product +
                           " in additional_consented_products");
}

std::variant<std::vector<const Emulator::Account*>, PlaidError> Emulator::SelectAccountsLocked(
    const Item& item, const boost::json::object& body) {
  std::vector<const Account*> out;
  const boost::json::array* ids = nullptr;
  if (const auto* options = GetObject(body, "options")) {
    ids = GetArray(*options, "account_ids");
  }
  if (ids == nullptr) {
    for (const auto& a : item.accounts) {
      out.push_back(&a);
    }
    return out;
  }
  for (const auto& v : *ids) {
    std::string_view id = v.get_string();
    auto it = std::find_if(item.accounts.begin(), item.accounts.end(),
                           [&](const Account& a) { return a.account_id == id; });
    if (it == item.accounts.end()) {
      return PlaidErrorFor("INVALID_ACCOUNT_ID",
                           "the account_id " + std::string(id) + " does not belong to this item");
    }
    out.push_back(&*it);
  }
  return out;
}

boost::json::object Emulator::AccountJson(const Account& account,
                                          boost::json::storage_ptr sp) const {
  boost::json::object o(account.tmpl->base, std::move(sp));
  o["account_id"] = account.account_id;
  return o;
}

boost::json::object Emulator::InstitutionJson(const InstitutionFixture& inst,
                                              bool optional_metadata) const {
  boost::json::object o = inst.json;
  if (!optional_metadata) {
    o["url"] = nullptr;
    o["primary_color"] = nullptr;
    o["logo"] = nullptr;
  }
  return o;
}

boost::json::object Emulator::ItemJson(const Item& item, bool consent_fields,
                                       const boost::json::storage_ptr& sp) const {
  boost::json::object o(sp);
  boost::json::array available(sp), billed(sp), products(sp), consented(sp);
  for (const auto& p : item.institution->products) {
    if (!Contains(item.billed, p) && p != "assets") {
      available.emplace_back(p);
    }
  }
  for (const auto& p : item.billed) {
    billed.emplace_back(p);
    products.emplace_back(p);
  }
  for (const auto& p : item.consented) {
    consented.emplace_back(p);
  }
  o["item_id"] = item.item_id;
  o["institution_id"] = item.institution->id;
  o["institution_name"] = item.institution->name;
  o["webhook"] = item.webhook ? boost::json::value(*item.webhook) : boost::json::value(nullptr);
  o["auth_method"] = nullptr;
  o["error"] =
      item.error ? boost::json::value(ToWebhookJson(*item.error)) : boost::json::value(nullptr);
  if (item.error) {
    // In an Item, the error carries no HTTP status field.
    o["error"].get_object().erase("status");
  }
  o["available_products"] = std::move(available);
  o["billed_products"] = std::move(billed);
  o["products"] = std::move(products);
  o["consented_products"] = std::move(consented);
  o["consent_expiration_time"] = nullptr;
  o["update_type"] = "background";
  if (consent_fields) {
    o["created_at"] = FormatRfc3339(item.created_at);
    o["consented_use_cases"] = boost::json::array();
    o["consented_data_scopes"] = boost::json::array();
  }
  return o;
}

Emulator::Item& Emulator::CreateItemLocked(const InstitutionFixture& inst,
                                           const std::vector<std::string>& products,
                                           std::vector<std::string> consented,
                                           std::optional<std::string> webhook, int days_requested,
                                           std::string client_user_id, std::string item_id) {
  Item item;
  item.item_id = item_id.empty() ? NewBase62(random_, 37) : std::move(item_id);
  item.institution = &inst;
  item.created_at = Now();
  for (const auto& p : products) {
    if (!Contains(item.billed, p) && p != "balance") {
      item.billed.push_back(p);
    }
  }
  for (const auto& p : products) {
    if (!Contains(consented, p)) {
      consented.push_back(p);
    }
  }
  item.consented = std::move(consented);
  item.webhook = std::move(webhook);
  item.access_token = NewToken("access");
  item.client_user_id = std::move(client_user_id);
  item.tx.item_id = item.item_id;
  item.tx.seed = config_.seed;
  item.tx.days_requested = days_requested;
  item.tx.initial_delay = config_.tx_initial_delay;
  item.tx.historical_delay = config_.tx_historical_delay;
  item.tx.update_interval = config_.tx_update_interval;
  const auto& templates = fixtures_.Profile(inst.profile);
  auto ids = AccountIdsFor(item.item_id, inst, fixtures_, config_.seed);
  for (size_t i = 0; i < templates.size(); ++i) {
    item.accounts.push_back(Account{ids[i], &templates[i]});
  }
  for (const auto& a : item.accounts) {
    item.tx.accounts.push_back(TxAccount{a.account_id, a.tmpl});
  }
  std::string id = item.item_id;
  access_tokens_[item.access_token] = id;
  auto [it, inserted] = items_.emplace(id, std::move(item));
  if (Contains(it->second.billed, "transactions")) {
    EnableTransactionsLocked(it->second);
  }
  return it->second;
}

void Emulator::EnableTransactionsLocked(Item& item) {
  if (item.has_transactions) {
    return;
  }
  item.has_transactions = true;
  item.tx.created_at = Now();
}

std::string Emulator::MintPublicTokenLocked(const Item& item) {
  std::string token = NewToken("public");
  public_tokens_[token] = PublicToken{item.item_id, Now() + std::chrono::minutes(30), false};
  return token;
}

void Emulator::FireWebhookLocked(Item& item, boost::json::object payload) {
  if (!item.webhook || item.webhook->empty()) {
    return;
  }
  payload["item_id"] = item.item_id;
  payload["environment"] = config_.env;
  item.last_webhook = {Now(), std::string(GetString(payload, "webhook_code").value_or(""))};
  webhooks_.Enqueue(*item.webhook, item.item_id, payload);
}

void Emulator::PurgeExpiredLocked(TimePoint now) {
  // Tokens and Link sessions are forgotten once nobody can use them any more (link_tokens stay
  // readable through /link/token/get for 6 hours after they expire), so memory stays bounded.
  std::erase_if(public_tokens_, [&](const auto& kv) { return now >= kv.second.expires_at; });
  for (auto it = link_tokens_.begin(); it != link_tokens_.end();) {
    if (now < it->second.expires_at + std::chrono::hours(6)) {
      ++it;
      continue;
    }
    for (const auto& sid : it->second.sessions) {
      auto session = link_sessions_.find(sid);
      if (session != link_sessions_.end()) {
        oauth_states_.erase(session->second.oauth_state_id);
        link_sessions_.erase(session);
      }
    }
    it = link_tokens_.erase(it);
  }
}

void Emulator::Tick() {
  std::lock_guard lock(mu_);
  TimePoint now = Now();
  PurgeExpiredLocked(now);
  for (auto& [id, item] : items_) {
    if (item.removed || !item.has_transactions || !item.webhook || !item.exchanged) {
      continue;
    }
    auto extractions = Extractions(item.tx, now);
    if (extractions.size() <= item.tx_notified) {
      continue;
    }
    TimePoint before = item.tx_notified == 0 ? TimePoint::min() : extractions[item.tx_notified - 1];
    TimePoint after = extractions.back();
    UpdateStatus old_status =
        item.tx_notified == 0 ? UpdateStatus::kNotReady : StatusAt(item.tx, before);
    UpdateStatus new_status = StatusAt(item.tx, after);
    auto old_state =
        item.tx_notified == 0 ? std::vector<Txn>() : StateAt(item.tx, fixtures_, before);
    auto new_state = StateAt(item.tx, fixtures_, after);
    TxDiff diff = Diff(old_state, new_state);
    item.tx_notified = extractions.size();
    bool status_changed = old_status != new_status;
    if (diff.size() == 0 && !status_changed) {
      continue;
    }
    boost::json::object sync{
        {"webhook_type", "TRANSACTIONS"},
        {"webhook_code", "SYNC_UPDATES_AVAILABLE"},
        {"initial_update_complete", new_status != UpdateStatus::kNotReady},
        {"historical_update_complete", new_status == UpdateStatus::kHistoricalComplete}};
    FireWebhookLocked(item, sync);
    // The legacy /transactions/get webhooks, for integrations that still use it.
    if (old_status == UpdateStatus::kNotReady && new_status != UpdateStatus::kNotReady) {
      FireWebhookLocked(item, {{"webhook_type", "TRANSACTIONS"},
                               {"webhook_code", "INITIAL_UPDATE"},
                               {"error", nullptr},
                               {"new_transactions", static_cast<int64_t>(diff.added.size())}});
    }
    if (old_status != UpdateStatus::kHistoricalComplete &&
        new_status == UpdateStatus::kHistoricalComplete) {
      FireWebhookLocked(item, {{"webhook_type", "TRANSACTIONS"},
                               {"webhook_code", "HISTORICAL_UPDATE"},
                               {"error", nullptr},
                               {"new_transactions", static_cast<int64_t>(new_state.size())}});
    } else if (!status_changed && !diff.added.empty()) {
      FireWebhookLocked(item, {{"webhook_type", "TRANSACTIONS"},
                               {"webhook_code", "DEFAULT_UPDATE"},
                               {"error", nullptr},
                               {"new_transactions", static_cast<int64_t>(diff.added.size())}});
    }
    if (!diff.removed.empty()) {
      boost::json::array removed;
      for (const Txn* t : diff.removed) {
        removed.emplace_back(t->transaction_id);
      }
      FireWebhookLocked(item, {{"webhook_type", "TRANSACTIONS"},
                               {"webhook_code", "TRANSACTIONS_REMOVED"},
                               {"error", nullptr},
                               {"removed_transactions", std::move(removed)}});
    }
  }
}

}  // namespace linkhub::emulator
