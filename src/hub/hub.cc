#include "hub/hub.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/ids.h"
#include "core/json.h"

namespace linkhub::hub {

namespace {

constexpr size_t kMaxField = 255;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

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

Hub::Hub(store::HubStore& store, Keys& keys, plaid::PlaidClient& plaid, Clock& clock,
         Random& random, LinkSettings settings, FaultHook* fault_hook)
    : store_(store),
      keys_(keys),
      plaid_(plaid),
      clock_(clock),
      random_(random),
      settings_(std::move(settings)),
      fault_hook_(fault_hook) {}

void Hub::Fault(std::string_view point) {
  if (fault_hook_ != nullptr) {
    fault_hook_->At(point);
  }
}

Result<NewSession> Hub::CreateSession(const std::string& project_id, CreateSessionInput in) {
  if (in.origin_owner_id.empty() || in.origin_owner_id.size() > kMaxField) {
    return Unexpected(Invalid("origin_owner_id must be a string of 1 to 255 characters"));
  }
  if (in.origin_owner_name.empty() || in.origin_owner_name.size() > kMaxField) {
    return Unexpected(Invalid("origin_owner_name must be a string of 1 to 255 characters"));
  }
  if (in.provider && *in.provider != "plaid") {
    return Unexpected(Invalid("provider '" + in.provider->substr(0, 64) +
                              "' is not available here; the only provider is 'plaid'"));
  }
  if (in.type != "production" && in.type != "test") {
    return Unexpected(Invalid("type must be 'production' or 'test'"));
  }
  constexpr auto kMaxExpiry = std::chrono::seconds(30 * 24 * 3600);
  if (in.expires_in < std::chrono::seconds(60) || in.expires_in > kMaxExpiry) {
    return Unexpected(Invalid("expires_in must be between 60 and 2592000 seconds (30 days)"));
  }
  if (in.account_id) {
    // A re-link session: the account must be this project's.
    LINKHUB_ASSIGN_OR_RETURN(store::LinkedAccount account,
                             store_.GetAccount(project_id, *in.account_id));
    if (account.origin_owner_id != in.origin_owner_id) {
      return Unexpected(Invalid("account " + account.id +
                                " belongs to another origin_owner_id than this session's"));
    }
  }
  NewSession out;
  out.token = "lhcs_" + NewBase62(random_, 43);
  store::ConnectSession& s = out.session;
  s.project_id = project_id;
  s.token_hash = keys_.Hash(out.token);
  s.origin_owner_id = std::move(in.origin_owner_id);
  s.origin_owner_name = std::move(in.origin_owner_name);
  s.origin_username = std::move(in.origin_username);
  s.provider = in.provider ? in.provider : std::optional<std::string>("plaid");
  s.account_id = std::move(in.account_id);
  s.label = std::move(in.label);
  s.categories_json = std::move(in.categories_json);
  s.metadata_json = std::move(in.metadata_json);
  s.multiple = in.multiple;
  s.type = std::move(in.type);
  s.created_at = clock_.Now();
  s.expires_at = s.created_at + in.expires_in;
  LINKHUB_ASSIGN_OR_RETURN(out.session, store_.CreateConnectSession(std::move(out.session)));
  return out;
}

Result<store::ConnectSession> Hub::FindSession(std::string_view token) {
  if (token.empty() || token.size() > 200) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "connect session not found"));
  }
  return store_.FindConnectSession(keys_.Hash(token));
}

Status Hub::CheckUnexpired(const store::ConnectSession& session) {
  if (clock_.Now() >= session.expires_at) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "this connect session expired at " +
                                                                 FormatRfc3339(session.expires_at) +
                                                                 "; ask for a new link"));
  }
  return OkStatus();
}

Result<store::ConnectSession> Hub::AuthenticateSession(std::string_view token) {
  if (token.empty() || token.size() > 200) {
    return Unexpected(MakeError(ErrorCode::kUnauthenticated, "missing or invalid session token"));
  }
  auto found = store_.FindConnectSession(keys_.Hash(token));
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Unexpected(MakeError(ErrorCode::kUnauthenticated, "unknown session token"));
    }
    return Unexpected(std::move(found).error());
  }
  LINKHUB_RETURN_IF_ERROR(CheckUnexpired(*found));
  return found;
}

Result<std::string> Hub::AccessToken(const store::LinkedAccount& account) {
  if (account.access_token_sealed.empty()) {
    return Unexpected(
        MakeError(ErrorCode::kFailedPrecondition, "account " + account.id + " has no Plaid Item"));
  }
  return keys_.Open(account.project_id, account.id, "access_token", account.access_token_sealed);
}

Result<ItemFacts> Hub::GetItemFacts(const store::LinkedAccount& account) {
  if (account.item_id_sealed.empty()) {
    return ItemFacts{};
  }
  LINKHUB_ASSIGN_OR_RETURN(std::string item_id, keys_.Open(account.project_id, account.id,
                                                           "item_id", account.item_id_sealed));
  return ItemFacts{std::move(item_id)};
}

Result<LinkToken> Hub::CreateLinkToken(const std::string& project_id, const LinkTokenInput& in) {
  if (in.origin_owner_id.empty() || in.origin_owner_id.size() > kMaxField) {
    return Unexpected(Invalid("origin_owner_id must be a string of 1 to 255 characters"));
  }
  for (const auto& p : in.products) {
    if (!IsLinkProduct(p)) {
      return Unexpected(
          Invalid("products: '" + p.substr(0, 64) + "' is not a Plaid product that Link accepts"));
    }
  }
  boost::json::object body{
      {"client_name", settings_.client_name},
      {"language", settings_.language},
      {"country_codes", ToJsonArray(settings_.country_codes)},
      {"user", boost::json::object{
                   {"client_user_id", keys_.ClientUserId(project_id, in.origin_owner_id)}}}};
  std::string redirect = in.redirect_uri.value_or(settings_.redirect_uri);
  if (!redirect.empty()) {
    body["redirect_uri"] = redirect;
  }
  if (in.account_id) {
    LINKHUB_ASSIGN_OR_RETURN(store::LinkedAccount account,
                             store_.GetAccount(project_id, *in.account_id));
    if (account.origin_owner_id != in.origin_owner_id) {
      return Unexpected(Invalid("account " + account.id + " belongs to another origin_owner_id"));
    }
    LINKHUB_ASSIGN_OR_RETURN(std::string access_token, AccessToken(account));
    body["access_token"] = access_token;  // update mode: no products
  } else {
    const auto& products = in.products.empty() ? settings_.products : in.products;
    body["products"] = ToJsonArray(products);
    std::vector<std::string> optional;
    for (const auto& p : settings_.optional_products) {
      if (std::find(products.begin(), products.end(), p) == products.end()) {
        optional.push_back(p);
      }
    }
    if (!optional.empty()) {
      body["optional_products"] = ToJsonArray(optional);
    }
    if (!settings_.webhook_url.empty()) {
      body["webhook"] = settings_.webhook_url;
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object res, plaid_.Call("/link/token/create", body));
  auto token = GetString(res, "link_token");
  auto expiration = GetString(res, "expiration");
  if (!token || !expiration) {
    return Unexpected(
        MakeError(ErrorCode::kUpstream, "Plaid's /link/token/create answer had no link_token"));
  }
  return LinkToken{std::string(*token), std::string(*expiration)};
}

Result<std::vector<store::LinkedAccount>> Hub::ListAccounts(const store::AccountFilter& filter) {
  return store_.ListAccounts(filter);
}

Result<store::LinkedAccount> Hub::GetAccount(const std::string& project_id,
                                             const std::string& account_id) {
  return store_.GetAccount(project_id, account_id);
}

Result<store::LinkedAccount> Hub::PatchAccount(const std::string& project_id,
                                               const std::string& account_id,
                                               const AccountPatch& patch) {
  LINKHUB_ASSIGN_OR_RETURN(store::LinkedAccount account, store_.GetAccount(project_id, account_id));
  auto check = [](const std::optional<std::string>& v, std::string_view name) -> Status {
    if (v && (v->empty() || v->size() > kMaxField)) {
      return Unexpected(Invalid(std::string(name) + " must be a string of 1 to 255 characters"));
    }
    return OkStatus();
  };
  LINKHUB_RETURN_IF_ERROR(check(patch.origin_owner_id, "origin_owner_id"));
  LINKHUB_RETURN_IF_ERROR(check(patch.origin_owner_name, "origin_owner_name"));
  if (patch.origin_owner_id) {
    account.origin_owner_id = *patch.origin_owner_id;
  }
  if (patch.origin_owner_name) {
    account.origin_owner_name = *patch.origin_owner_name;
  }
  if (patch.origin_username) {
    account.origin_username = *patch.origin_username;
  }
  if (patch.label) {
    account.label = *patch.label;
  }
  account.updated_at = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(store_.UpdateAccount(account));
  return account;
}

Result<store::LinkedAccount> Hub::SuspendAccount(const std::string& project_id,
                                                 const std::string& account_id) {
  TimePoint now = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(store_.SuspendAccount(
      project_id, account_id,
      store::StatusReason{"SUSPENDED",
                          "Suspended by an operator: actions and proxy calls are refused until "
                          "it is resumed.",
                          now},
      now));
  spdlog::info("account {} suspended (project {})", account_id, project_id);
  return store_.GetAccount(project_id, account_id);
}

Result<store::LinkedAccount> Hub::ResumeAccount(const std::string& project_id,
                                                const std::string& account_id) {
  LINKHUB_RETURN_IF_ERROR(store_.ResumeAccount(project_id, account_id, clock_.Now()));
  spdlog::info("account {} resumed (project {})", account_id, project_id);
  return store_.GetAccount(project_id, account_id);
}

Result<store::LinkedAccount> Hub::DeleteAccount(const std::string& project_id,
                                                const std::string& account_id) {
  LINKHUB_ASSIGN_OR_RETURN(store::LinkedAccount account, store_.GetAccount(project_id, account_id));
  if (!account.access_token_sealed.empty()) {
    if (account.environment != settings_.environment) {
      // Plaid answers INVALID_ACCESS_TOKEN for another environment's token too: deleting here
      // would erase the only key to a live, billed Item.
      return Unexpected(
          MakeError(ErrorCode::kFailedPrecondition,
                    "account " + account.id + " was linked in Plaid's " + account.environment +
                        " environment and this server talks "
                        "to " +
                        settings_.environment + "; delete it from a server configured for " +
                        account.environment));
    }
    LINKHUB_ASSIGN_OR_RETURN(std::string access_token, AccessToken(account));
    auto removed = plaid_.Call("/item/remove", boost::json::object{{"access_token", access_token}});
    if (!removed) {
      const auto& p = removed.error().provider;
      bool gone =
          p && (p->error_code == "ITEM_NOT_FOUND" || p->error_code == "INVALID_ACCESS_TOKEN");
      if (!gone) {
        Error e = std::move(removed).error();
        e.message = "the Item could not be removed at Plaid, so the account was kept: " + e.message;
        return Unexpected(std::move(e));
      }
      spdlog::info("account {}: Plaid no longer knows its Item; deleting it", account.id);
    }
  }
  TimePoint now = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(store_.SoftDeleteAccount(project_id, account_id, now));
  spdlog::info("account {} deleted (project {})", account.id, project_id);
  account.status = "inactive";
  account.updated_at = now;
  account.deleted_at = now;
  account.access_token_sealed.clear();
  account.item_id_sealed.clear();
  return account;
}

}  // namespace linkhub::hub
