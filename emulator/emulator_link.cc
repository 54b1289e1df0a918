// The Link stand-in: its static files and the backend its frame talks to (same origin). See
// docs/emulator-link-protocol.md.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/ids.h"
#include "core/json.h"
#include "emulator/emulator.h"
#include "http/message.h"

namespace linkhub::emulator {

namespace web {
std::string_view Find(std::string_view name);  // generated from emulator/web/*
}

namespace {

// Each open() is a Link session; a link_token that opens more than this is being abused.
constexpr size_t kMaxSessionsPerLinkToken = 100;

constexpr std::string_view kPageCsp =
    "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "frame-ancestors *; base-uri 'none'; form-action 'self'";

std::string QueryValue(std::string_view uri, std::string_view key) {
  auto q = uri.find('?');
  if (q == std::string_view::npos) {
    return "";
  }
  http::Request r;
  r.query = std::string(uri.substr(q + 1));
  auto hash = r.query.find('#');
  if (hash != std::string::npos) {
    r.query.resize(hash);
  }
  return r.QueryParam(key).value_or("");
}

boost::json::object InstitutionBrief(const InstitutionFixture& inst) {
  return boost::json::object{
      {"institution_id", inst.id},
      {"name", inst.name},
      {"oauth", inst.oauth},
      {"primary_color", inst.json.contains("primary_color") ? inst.json.at("primary_color")
                                                            : boost::json::value(nullptr)},
      {"url", inst.json.contains("url") ? inst.json.at("url") : boost::json::value(nullptr)}};
}

}  // namespace

http::Response Emulator::ServeWebFile(const std::string& name, const std::string& content_type) {
  std::string body;
  if (!config_.web_dir.empty()) {
    std::ifstream in(config_.web_dir + "/" + name, std::ios::binary);
    if (!in) {
      return ToResponse(PlaidErrorFor("NOT_FOUND", name + " is missing from the web directory"),
                        "");
    }
    std::ostringstream s;
    s << in.rdbuf();
    body = s.str();
  } else {
    body = std::string(web::Find(name));
  }
  http::Response r = http::Response::Text(200, std::move(body), content_type);
  r.headers.Set("Cache-Control", "no-cache");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  if (content_type.starts_with("text/html")) {
    r.headers.Set("Content-Security-Policy", std::string(kPageCsp));
    r.headers.Set("Referrer-Policy", "strict-origin-when-cross-origin");
  }
  return r;
}

void Emulator::RegisterLinkRoutes(http::Router& router) {
  struct Asset {
    const char* path;
    const char* file;
    const char* type;
  };
  static constexpr Asset kAssets[] = {
      {"/link/v2/stable/link-initialize.js", "link-initialize.js",
       "text/javascript; charset=utf-8"},
      {"/link/v2/stable/link.html", "link.html", "text/html; charset=utf-8"},
      {"/link/v2/stable/link.css", "link.css", "text/css; charset=utf-8"},
      {"/link/v2/stable/link.js", "link.js", "text/javascript; charset=utf-8"},
      {"/link/v2/oauth/authorize", "oauth.html", "text/html; charset=utf-8"},
  };
  for (const auto& a : kAssets) {
    router.Add("GET", a.path, [this, a](http::Request&) { return ServeWebFile(a.file, a.type); });
  }

  static const ObjectSpec kStart = {{"link_token", Kind::kNonEmptyString, true},
                                    {"received_redirect_uri", Kind::kString, false, true}};
  static const ObjectSpec kSearch = {{"link_session_id", Kind::kNonEmptyString, true},
                                     {"query", Kind::kString, false, true}};
  static const ObjectSpec kCredentials = {{"link_session_id", Kind::kNonEmptyString, true},
                                          {"institution_id", Kind::kNonEmptyString, true},
                                          {"username", Kind::kString, true},
                                          {"password", Kind::kString, true}};
  static const ObjectSpec kMfa = {{"link_session_id", Kind::kNonEmptyString, true},
                                  {"code", Kind::kString, true}};
  static const ObjectSpec kOAuth = {{"link_session_id", Kind::kNonEmptyString, true},
                                    {"institution_id", Kind::kNonEmptyString, true}};
  static const ObjectSpec kOAuthInfo = {{"oauth_state_id", Kind::kNonEmptyString, true}};
  static const ObjectSpec kOAuthApprove = {{"oauth_state_id", Kind::kNonEmptyString, true},
                                           {"denied", Kind::kBool}};
  static const ObjectSpec kComplete = {{"link_session_id", Kind::kNonEmptyString, true},
                                       {"account_ids", Kind::kStringArray, true}};
  static const ObjectSpec kExit = {{"link_session_id", Kind::kNonEmptyString, true},
                                   {"status", Kind::kString, false, true},
                                   {"error", Kind::kFreeObject, false, true}};
  using E = Emulator;
  auto add = [&](const char* path, const ObjectSpec& spec,
                 Outcome (Emulator::*h)(const boost::json::object&, const std::string&)) {
    router.Add("POST", path,
               [this, &spec, h](http::Request& req) { return HandleLinkUi(req, spec, h); });
  };
  add("/link/v2/session/start", kStart, &E::LinkStart);
  add("/link/v2/session/search", kSearch, &E::LinkSearch);
  add("/link/v2/session/credentials", kCredentials, &E::LinkCredentials);
  add("/link/v2/session/mfa", kMfa, &E::LinkMfa);
  add("/link/v2/session/oauth", kOAuth, &E::LinkOAuth);
  add("/link/v2/session/oauth/info", kOAuthInfo, &E::LinkOAuthInfo);
  add("/link/v2/session/oauth/approve", kOAuthApprove, &E::LinkOAuthApprove);
  add("/link/v2/session/complete", kComplete, &E::LinkComplete);
  add("/link/v2/session/exit", kExit, &E::LinkExit);
}

http::Response Emulator::HandleLinkUi(http::Request& req, const ObjectSpec& spec,
                                      Outcome (Emulator::*h)(const boost::json::object&,
                                                             const std::string&)) {
  auto parsed = ParseJson(req.body);
  if (!parsed || !parsed->is_object()) {
    return ToResponse(PlaidErrorFor("INVALID_BODY"), req.request_id);
  }
  if (auto invalid = Validate(parsed->get_object(), spec)) {
    return ToResponse(*invalid, req.request_id);
  }
  Outcome outcome;
  {
    std::lock_guard lock(mu_);
    outcome = (this->*h)(parsed->get_object(), req.request_id);
  }
  http::Response r = Answer(outcome, req.request_id);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

namespace {

boost::json::array AccountChoices(const std::vector<AccountTemplate>& templates,
                                  const std::vector<std::string>& ids) {
  boost::json::array out;
  for (size_t i = 0; i < templates.size() && i < ids.size(); ++i) {
    const auto& t = templates[i];
    out.push_back(boost::json::object{
        {"id", ids[i]},
        {"name", t.base.contains("name") ? t.base.at("name") : boost::json::value("")},
        {"mask", t.base.contains("mask") ? t.base.at("mask") : boost::json::value(nullptr)},
        {"type", t.type},
        {"subtype", t.subtype}});
  }
  return out;
}

}  // namespace

boost::json::object Emulator::SelectAccountsStep(const LinkSession& s,
                                                 const InstitutionFixture& inst) const {
  return boost::json::object{
      {"step", "select_accounts"},
      {"accounts", AccountChoices(fixtures_.Profile(inst.profile),
                                  AccountIdsFor(s.item_id, inst, fixtures_, config_.seed))}};
}

Emulator::Outcome Emulator::LinkStart(const boost::json::object& b, const std::string& rid) {
  (void)rid;
  auto lt = link_tokens_.find(*GetString(b, "link_token"));
  if (lt == link_tokens_.end() || Now() >= lt->second.expires_at) {
    return PlaidErrorFor("INVALID_LINK_TOKEN",
                         "the link_token is unknown or expired; create a new one");
  }
  LinkToken& token = lt->second;
  boost::json::object out{
      {"client_name", token.client_name},
      {"language", token.language},
      {"update_mode", !token.update_item_id.empty()},
      {"account_selection_enabled", token.account_selection_enabled},
      {"redirect_uri",
       token.redirect_uri ? boost::json::value(*token.redirect_uri) : boost::json::value(nullptr)}};
  boost::json::array countries, products;
  for (const auto& c : token.country_codes) {
    countries.emplace_back(c);
  }
  for (const auto& p : token.products) {
    products.emplace_back(p);
  }
  out["country_codes"] = std::move(countries);
  out["products"] = std::move(products);
  out["accounts"] = boost::json::array();

  std::string received(GetString(b, "received_redirect_uri").value_or(""));
  std::string state_id = QueryValue(received, "oauth_state_id");
  if (!state_id.empty()) {
    auto st = oauth_states_.find(state_id);
    auto ses = st == oauth_states_.end() ? link_sessions_.end() : link_sessions_.find(st->second);
    if (ses == link_sessions_.end() || ses->second.link_token != token.token) {
      return PlaidErrorFor(
          "INVALID_FIELD",
          "the oauth_state_id in received_redirect_uri does not belong to this link_token");
    }
    LinkSession& s = ses->second;
    const InstitutionFixture* inst = fixtures_.FindInstitution(s.institution_id);
    out["link_session_id"] = s.id;
    out["institution"] =
        inst ? boost::json::value(InstitutionBrief(*inst)) : boost::json::value(nullptr);
    if (s.oauth_denied || QueryValue(received, "error") == "access_denied") {
      s.oauth_denied = true;
      out["step"] = "oauth_denied";
      PlaidError e =
          PlaidErrorFor("OAUTH_USER_DENIED", "the user denied access at the institution");
      e.type = "OAUTH_ERROR";
      e.display_message = "You did not give permission to share your account information.";
      out["error"] = ToJson(e, rid);
      return out;
    }
    if (s.step != Step::kOAuth) {
      return PlaidErrorFor("INVALID_FIELD",
                           "this oauth_state_id was already used; start Link again");
    }
    oauth_states_.erase(st);  // an OAuth state is good for one return, as Plaid's are
    if (s.item_id.empty()) {
      s.item_id = token.update_item_id.empty() ? NewBase62(random_, 37) : token.update_item_id;
    }
    s.step = Step::kSelectAccounts;
    out["step"] = "select_accounts";
    out["accounts"] = AccountChoices(fixtures_.Profile(inst->profile),
                                     AccountIdsFor(s.item_id, *inst, fixtures_, config_.seed));
    return out;
  }

  if (token.sessions.size() >= kMaxSessionsPerLinkToken) {
    return PlaidErrorFor("INVALID_LINK_TOKEN",
                         "this link_token has opened too many Link sessions; create a new one");
  }
  LinkSession s;
  s.id = NewUuid(random_);
  s.link_token = token.token;
  s.started_at = Now();
  out["link_session_id"] = s.id;
  out["institution"] = nullptr;
  out["step"] = "select_institution";
  if (!token.update_item_id.empty()) {
    auto item = items_.find(token.update_item_id);
    if (item == items_.end() || item->second.removed) {
      return PlaidErrorFor("INVALID_ACCESS_TOKEN",
                           "the Item of this update-mode link_token was removed");
    }
    const InstitutionFixture& inst = *item->second.institution;
    s.institution_id = inst.id;
    s.step = inst.oauth ? Step::kOAuth : Step::kCredentials;
    out["institution"] = InstitutionBrief(inst);
    out["step"] = inst.oauth ? "oauth" : "credentials";
  }
  token.sessions.push_back(s.id);
  link_sessions_[s.id] = std::move(s);
  return out;
}

namespace {
template <class Map>
auto FindSession(Map& sessions, const boost::json::object& b) {
  return sessions.find(*GetString(b, "link_session_id"));
}
}  // namespace

// NOLINTBEGIN(bugprone-macro-parentheses): `var` names the variables it declares
#define EMU_SESSION(var)                                                                    \
  auto var##_it = FindSession(link_sessions_, b);                                           \
  if (var##_it == link_sessions_.end()) {                                                   \
    return PlaidErrorFor("INVALID_FIELD", "link_session_id is unknown");                    \
  }                                                                                         \
  LinkSession& var = var##_it->second;                                                      \
  auto var##_token = link_tokens_.find(var.link_token);                                     \
  if (var##_token == link_tokens_.end() || Now() >= var##_token->second.expires_at) {       \
    return PlaidErrorFor("INVALID_LINK_TOKEN", "the link_token expired; create a new one"); \
  }                                                                                         \
  [[maybe_unused]] LinkToken& var##_lt = var##_token->second;                               \
  if (var.step == Step::kDone || var.step == Step::kExited) {                               \
    return PlaidErrorFor("INVALID_FIELD", "this Link session has already ended");           \
  }
// NOLINTEND(bugprone-macro-parentheses)

Emulator::Outcome Emulator::LinkSearch(const boost::json::object& b, const std::string&) {
  EMU_SESSION(s);
  boost::json::array out;
  for (const InstitutionFixture* inst :
       fixtures_.Search(GetString(b, "query").value_or(""), s_lt.country_codes, s_lt.products)) {
    out.push_back(InstitutionBrief(*inst));
  }
  return boost::json::object{{"institutions", std::move(out)}};
}

Emulator::Outcome Emulator::LinkCredentials(const boost::json::object& b, const std::string&) {
  EMU_SESSION(s);
  const InstitutionFixture* inst = fixtures_.FindInstitution(*GetString(b, "institution_id"));
  if (inst == nullptr) {
    return PlaidErrorFor("INVALID_INSTITUTION");
  }
  if (inst->oauth) {
    return PlaidErrorFor("INVALID_FIELD",
                         "this institution uses OAuth; use /link/v2/session/oauth");
  }
  if (!s_lt.update_item_id.empty() && inst->id != s.institution_id) {
    return PlaidErrorFor("INVALID_FIELD", "update mode must log in to the Item's own institution");
  }
  for (const auto& p : s_lt.products) {
    if (!Contains(inst->products, p)) {
      return PlaidErrorFor("PRODUCTS_NOT_SUPPORTED",
                           "the following products are not supported by this institution: " + p);
    }
  }
  s.institution_id = inst->id;
  s.username = std::string(*GetString(b, "username"));
  bool mfa = false;
  if (auto err = CredentialsOutcome(s.username, std::string(*GetString(b, "password")), &mfa)) {
    s.step = Step::kCredentials;
    return *err;
  }
  if (s.item_id.empty()) {
    s.item_id = s_lt.update_item_id.empty() ? NewBase62(random_, 37) : s_lt.update_item_id;
  }
  s.mfa_failures = 0;  // a fresh login gets fresh MFA attempts
  if (mfa) {
    s.step = Step::kMfa;
    return boost::json::object{
        {"step", "mfa"},
        {"mfa", boost::json::object{
                    {"type", "device"},
                    {"message",
                     "Enter the code sent to your phone ending in 1234 (sandbox code: 1234)."}}}};
  }
  s.step = Step::kSelectAccounts;
  return SelectAccountsStep(s, *inst);
}

Emulator::Outcome Emulator::LinkMfa(const boost::json::object& b, const std::string&) {
  EMU_SESSION(s);
  if (s.step != Step::kMfa) {
    return PlaidErrorFor("INVALID_FIELD", "this Link session is not waiting for an MFA code");
  }
  if (*GetString(b, "code") != "1234") {
    if (++s.mfa_failures >= 3) {
      s.step = Step::kCredentials;
      return PlaidErrorFor("ITEM_LOCKED");
    }
    return PlaidErrorFor("INVALID_MFA");
  }
  const InstitutionFixture* inst = fixtures_.FindInstitution(s.institution_id);
  s.step = Step::kSelectAccounts;
  return SelectAccountsStep(s, *inst);
}

Emulator::Outcome Emulator::LinkOAuth(const boost::json::object& b, const std::string&) {
  EMU_SESSION(s);
  const InstitutionFixture* inst = fixtures_.FindInstitution(*GetString(b, "institution_id"));
  if (inst == nullptr) {
    return PlaidErrorFor("INVALID_INSTITUTION");
  }
  if (!inst->oauth) {
    return PlaidErrorFor("INVALID_FIELD", "this institution does not use OAuth");
  }
  if (s.oauth_denied) {
    return PlaidErrorFor("INVALID_FIELD",
                         "the user denied access at the institution; this Link session has ended");
  }
  if (!s_lt.update_item_id.empty() && inst->id != s.institution_id) {
    return PlaidErrorFor("INVALID_FIELD", "update mode must log in to the Item's own institution");
  }
  s.institution_id = inst->id;
  s.step = Step::kOAuth;
  oauth_states_.erase(s.oauth_state_id);  // only the newest hand-off to the bank is valid
  s.oauth_state_id = NewUuid(random_);
  oauth_states_[s.oauth_state_id] = s.id;
  std::string url =
      config_.public_url + "/link/v2/oauth/authorize?oauth_state_id=" + s.oauth_state_id;
  return boost::json::object{{"oauth_state_id", s.oauth_state_id},
                             {"authorize_url", url},
                             {"redirect", s_lt.redirect_uri.has_value()}};
}

Emulator::Outcome Emulator::LinkOAuthInfo(const boost::json::object& b, const std::string&) {
  auto st = oauth_states_.find(*GetString(b, "oauth_state_id"));
  auto ses = st == oauth_states_.end() ? link_sessions_.end() : link_sessions_.find(st->second);
  if (ses == link_sessions_.end()) {
    PlaidError e = PlaidErrorFor("INVALID_FIELD", "oauth_state_id is unknown");
    e.display_message =
        "This authorization request is not valid. Please return to the app and try again.";
    return e;
  }
  const LinkSession& s = ses->second;
  auto lt = link_tokens_.find(s.link_token);
  const InstitutionFixture* inst = fixtures_.FindInstitution(s.institution_id);
  boost::json::value redirect = nullptr;
  std::string client;
  if (lt != link_tokens_.end()) {
    if (lt->second.redirect_uri) {
      redirect = *lt->second.redirect_uri;
    }
    client = lt->second.client_name;
  }
  return boost::json::object{{"institution", inst ? boost::json::value(InstitutionBrief(*inst))
                                                  : boost::json::value(nullptr)},
                             {"redirect_uri", redirect},
                             {"inline", redirect.is_null()},
                             {"client_name", client}};
}

Emulator::Outcome Emulator::LinkOAuthApprove(const boost::json::object& b, const std::string& rid) {
  auto st = oauth_states_.find(*GetString(b, "oauth_state_id"));
  auto ses = st == oauth_states_.end() ? link_sessions_.end() : link_sessions_.find(st->second);
  if (ses == link_sessions_.end()) {
    return PlaidErrorFor("INVALID_FIELD", "oauth_state_id is unknown");
  }
  LinkSession& s = ses->second;
  if (s.step == Step::kDone || s.step == Step::kExited) {
    return PlaidErrorFor("INVALID_FIELD", "this Link session has already ended");
  }
  auto lt = link_tokens_.find(s.link_token);
  if (lt == link_tokens_.end() || Now() >= lt->second.expires_at) {
    return PlaidErrorFor("INVALID_LINK_TOKEN", "the link_token expired; create a new one");
  }
  if (s.oauth_denied) {
    return PlaidErrorFor("INVALID_FIELD",
                         "the user denied access at the institution; this Link session has ended");
  }
  if (GetBool(b, "denied").value_or(false)) {
    s.oauth_denied = true;
    PlaidError e = PlaidErrorFor("OAUTH_USER_DENIED", "the user denied access at the institution");
    e.type = "OAUTH_ERROR";
    e.display_message = "You did not give permission to share your account information.";
    return boost::json::object{{"denied", true}, {"error", ToJson(e, rid)}};
  }
  if (s.step != Step::kOAuth) {
    return PlaidErrorFor("INVALID_FIELD", "this oauth_state_id was already used; start Link again");
  }
  oauth_states_.erase(st);  // an OAuth state is good for one approval, as at a real bank
  const InstitutionFixture* inst = fixtures_.FindInstitution(s.institution_id);
  if (s.item_id.empty()) {
    s.item_id =
        lt->second.update_item_id.empty() ? NewBase62(random_, 37) : lt->second.update_item_id;
  }
  s.step = Step::kSelectAccounts;
  return SelectAccountsStep(s, *inst);
}

Emulator::Outcome Emulator::LinkComplete(const boost::json::object& b, const std::string&) {
  EMU_SESSION(s);
  if (s.step != Step::kSelectAccounts) {
    return PlaidErrorFor("INVALID_FIELD", "this Link session has not reached account selection");
  }
  const InstitutionFixture* inst = fixtures_.FindInstitution(s.institution_id);
  auto offered = AccountIdsFor(s.item_id, *inst, fixtures_, config_.seed);
  std::vector<std::string> chosen;
  for (const auto& v : *GetArray(b, "account_ids")) {
    std::string id(v.get_string());
    if (!Contains(offered, id)) {
      return PlaidErrorFor("INVALID_ACCOUNT_ID", "account " + id + " was not offered");
    }
    if (!Contains(chosen, id)) {
      chosen.push_back(id);
    }
  }
  bool update = !s_lt.update_item_id.empty();
  if (chosen.empty() && (!update || s_lt.account_selection_enabled)) {
    return PlaidErrorFor("INVALID_FIELD", "select at least one account");
  }
  Item* item = nullptr;
  if (update) {
    auto it = items_.find(s_lt.update_item_id);
    if (it == items_.end() || it->second.removed) {
      return PlaidErrorFor("INVALID_ACCESS_TOKEN");
    }
    item = &it->second;
    item->error.reset();  // the user logged in again: the Item is healthy
  } else {
    std::vector<std::string> products = s_lt.products;
    for (const auto& p : s_lt.required_if_supported) {
      if (Contains(inst->products, p)) {
        products.push_back(p);
      }
    }
    std::vector<std::string> consented = products;
    for (const auto& p : s_lt.optional_products) {
      consented.push_back(p);
    }
    for (const auto& p : s_lt.additional_consented) {
      consented.push_back(p);
    }
    item = &CreateItemLocked(*inst, products, consented, s_lt.webhook, s_lt.days_requested,
                             s_lt.client_user_id, s.item_id);
    item->client_id = s_lt.client_id;
  }
  if (!update || s_lt.account_selection_enabled) {
    // Account Select: the Item shares only the accounts the user picked.
    const auto& templates = fixtures_.Profile(inst->profile);
    item->accounts.clear();
    for (size_t i = 0; i < templates.size(); ++i) {
      if (Contains(chosen, offered[i])) {
        item->accounts.push_back(Account{offered[i], &templates[i]});
      }
    }
    if (!update) {
      item->tx.accounts.clear();
      for (const auto& a : item->accounts) {
        item->tx.accounts.push_back(TxAccount{a.account_id, a.tmpl});
      }
    } else {
      // Accounts that come or go change the data from now on only, through a new pull, so cursors
      // handed out earlier stay exact.
      TimePoint now = Now();
      bool changed = false;
      for (auto& t : item->tx.accounts) {
        if (t.removed_at == TimePoint::max() && !Contains(chosen, t.account_id)) {
          t.removed_at = now;
          changed = true;
        }
      }
      for (const auto& a : item->accounts) {
        bool active = std::any_of(
            item->tx.accounts.begin(), item->tx.accounts.end(), [&](const TxAccount& t) {
              return t.account_id == a.account_id && t.removed_at == TimePoint::max();
            });
        if (!active) {
          item->tx.accounts.push_back(TxAccount{a.account_id, a.tmpl, now});
          changed = true;
        }
      }
      if (changed && item->has_transactions) {
        item->tx.refreshes.push_back(now);
      }
    }
  }
  boost::json::array accounts;
  for (const auto& a : item->accounts) {
    accounts.push_back(boost::json::object{
        {"id", a.account_id},
        {"name", a.tmpl->base.at("name")},
        {"mask", a.tmpl->base.contains("mask") ? a.tmpl->base.at("mask") : nullptr},
        {"type", a.tmpl->type},
        {"subtype", a.tmpl->subtype},
        {"verification_status", nullptr},
        {"class_type", nullptr}});
  }
  s.public_token = MintPublicTokenLocked(*item);
  s.step = Step::kDone;
  s.finished_at = Now();
  s.success_metadata = boost::json::object{
      {"institution", boost::json::object{{"name", inst->name}, {"institution_id", inst->id}}},
      {"accounts", std::move(accounts)},
      {"link_session_id", s.id},
      {"transfer_status", nullptr}};
  return boost::json::object{{"public_token", s.public_token}, {"metadata", s.success_metadata}};
}

Emulator::Outcome Emulator::LinkExit(const boost::json::object& b, const std::string&) {
  auto it = FindSession(link_sessions_, b);
  if (it == link_sessions_.end()) {
    return PlaidErrorFor("INVALID_FIELD", "link_session_id is unknown");
  }
  LinkSession& s = it->second;
  if (s.step != Step::kDone) {
    s.step = Step::kExited;
    s.finished_at = Now();
    s.exit_status = std::string(GetString(b, "status").value_or(""));
    if (const auto* e = GetObject(b, "error")) {
      s.exit_error = *e;
    }
  }
  return boost::json::object{};
}

}  // namespace linkhub::emulator
