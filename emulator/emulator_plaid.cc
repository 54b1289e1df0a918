// Plaid's API endpoints. Every handler runs with mu_ held, after auth and schema validation.
#include <algorithm>
#include <set>

#include "core/ids.h"
#include "core/json.h"
#include "emulator/emulator.h"

namespace linkhub::emulator {

namespace {

bool IsHttpUrl(std::string_view s) {
  return (s.starts_with("https://") && s.size() > 8) || (s.starts_with("http://") && s.size() > 7);
}

// Investment accounts in the investments endpoints carry InvestmentAccountBalance, which adds
// margin_loan_amount.
boost::json::object WithMarginLoan(boost::json::object account) {
  if (auto* b = account["balances"].if_object();
      b != nullptr && !b->contains("margin_loan_amount")) {
    (*b)["margin_loan_amount"] = nullptr;
  }
  return account;
}

}  // namespace

// NOLINTBEGIN(bugprone-macro-parentheses): `var` names the variables it declares
#define EMU_RESOLVE(var, healthy)                                 \
  auto var##_r = ResolveItemLocked(c.body, c.client_id, healthy); \
  if (auto* e = std::get_if<PlaidError>(&var##_r)) {              \
    return *e;                                                    \
  }                                                               \
  Item& var = *std::get<Item*>(var##_r)
// NOLINTEND(bugprone-macro-parentheses)

#define EMU_TRY(expr)     \
  if (auto e_ = (expr)) { \
    return *e_;           \
  }

Emulator::Outcome Emulator::LinkTokenCreate(Call& c) {
  const auto& b = c.body;
  LinkToken t;
  t.client_name = std::string(*GetString(b, "client_name"));
  t.language = std::string(*GetString(b, "language"));
  t.country_codes = GetStringList(b, "country_codes");
  t.client_user_id = std::string(*GetString(*GetObject(b, "user"), "client_user_id"));
  t.products = GetStringList(b, "products");
  t.optional_products = GetStringList(b, "optional_products");
  t.required_if_supported = GetStringList(b, "required_if_supported_products");
  t.additional_consented = GetStringList(b, "additional_consented_products");
  if (auto w = GetString(b, "webhook"); w && !w->empty()) {
    if (!IsHttpUrl(*w)) {
      return PlaidErrorFor("INVALID_FIELD", "webhook must be an http or https URL");
    }
    t.webhook = std::string(*w);
  }
  if (auto r = GetString(b, "redirect_uri"); r && !r->empty()) {
    if (!IsHttpUrl(*r)) {
      return PlaidErrorFor("INVALID_FIELD", "redirect_uri must be an absolute http or https URL");
    }
    if (r->find('?') != std::string_view::npos || r->find('#') != std::string_view::npos) {
      return PlaidErrorFor("INVALID_FIELD",
                           "redirect_uri must not contain query parameters or a fragment");
    }
    if (config_.env == "production" && !r->starts_with("https://")) {
      return PlaidErrorFor("INVALID_FIELD", "redirect_uri must use https in production");
    }
    t.redirect_uri = std::string(*r);
  }
  if (const auto* u = GetObject(b, "update")) {
    t.account_selection_enabled = GetBool(*u, "account_selection_enabled").value_or(false);
  }
  if (const auto* tx = GetObject(b, "transactions")) {
    t.days_requested = static_cast<int>(GetInt(*tx, "days_requested").value_or(90));
  }
  auto token = GetString(b, "access_token");
  bool update_mode = token.has_value();
  if (update_mode) {
    EMU_RESOLVE(item, false);
    t.update_item_id = item.item_id;
  } else {
    if (!b.contains("products") || b.at("products").is_null()) {
      return PlaidErrorFor("MISSING_FIELDS", "the following required fields are missing: products");
    }
    if (t.products.empty()) {
      return PlaidErrorFor("INVALID_FIELD", "products must contain at least one product");
    }
  }
  for (const auto* list : {&t.products, &t.optional_products, &t.required_if_supported}) {
    if (Contains(*list, "balance")) {
      return PlaidErrorFor(
          "INVALID_FIELD",
          "balance is not a valid product to initialize Link with; it is available to "
          "every Item that has another product");
    }
  }
  std::set<std::string> seen;
  for (const auto* list :
       {&t.products, &t.optional_products, &t.required_if_supported, &t.additional_consented}) {
    for (const auto& p : *list) {
      if (!seen.insert(p).second) {
        return PlaidErrorFor("INVALID_CONFIGURATION",
                             "the product " + p +
                                 " appears in more than one of products, "
                                 "required_if_supported_products, optional_products and "
                                 "additional_consented_products");
      }
    }
  }
  t.token = NewToken("link");
  t.client_id = c.client_id;
  t.created_at = Now();
  t.expires_at = t.created_at + (update_mode ? std::chrono::minutes(30) : std::chrono::hours(4));
  boost::json::object out{{"link_token", t.token}, {"expiration", FormatRfc3339(t.expires_at)}};
  link_tokens_[t.token] = std::move(t);
  return out;
}

Emulator::Outcome Emulator::LinkTokenGet(Call& c) {
  auto it = link_tokens_.find(*GetString(c.body, "link_token"));
  // A link_token can be read back for a while after it expires, as Plaid allows for sessions.
  if (it == link_tokens_.end() || Now() > it->second.expires_at + std::chrono::hours(6) ||
      it->second.client_id != c.client_id) {
    return PlaidErrorFor("INVALID_LINK_TOKEN");
  }
  const LinkToken& t = it->second;
  boost::json::object metadata{
      {"initial_products", ToJsonArray(t.products)},
      {"webhook", t.webhook ? boost::json::value(*t.webhook) : boost::json::value(nullptr)},
      {"country_codes", ToJsonArray(t.country_codes)},
      {"language", t.language},
      {"redirect_uri",
       t.redirect_uri ? boost::json::value(*t.redirect_uri) : boost::json::value(nullptr)},
      {"client_name", t.client_name}};
  boost::json::array sessions;
  for (const auto& sid : t.sessions) {
    auto s = link_sessions_.find(sid);
    if (s == link_sessions_.end()) {
      continue;
    }
    const LinkSession& ls = s->second;
    boost::json::object o{
        {"link_session_id", ls.id},
        {"started_at", FormatRfc3339(ls.started_at)},
        {"finished_at", ls.finished_at ? boost::json::value(FormatRfc3339(*ls.finished_at))
                                       : boost::json::value(nullptr)}};
    boost::json::array item_add_results;
    if (!ls.public_token.empty()) {
      boost::json::object success{{"public_token", ls.public_token},
                                  {"metadata", ls.success_metadata}};
      o["on_success"] = success;
      item_add_results.push_back(boost::json::object{
          {"public_token", ls.public_token},
          {"accounts", ls.success_metadata.contains("accounts") ? ls.success_metadata.at("accounts")
                                                                : boost::json::array()},
          {"institution", ls.success_metadata.contains("institution")
                              ? ls.success_metadata.at("institution")
                              : boost::json::value(nullptr)}});
    }
    if (ls.step == Step::kExited) {
      const InstitutionFixture* inst = fixtures_.FindInstitution(ls.institution_id);
      boost::json::object exit_meta{
          {"institution", inst ? boost::json::value(boost::json::object{
                                     {"name", inst->name}, {"institution_id", inst->id}})
                               : boost::json::value(nullptr)},
          {"status", ls.exit_status},
          {"link_session_id", ls.id},
          {"request_id", c.request_id}};
      o["exit"] = boost::json::object{{"error", ls.exit_error ? boost::json::value(*ls.exit_error)
                                                              : boost::json::value(nullptr)},
                                      {"metadata", exit_meta}};
    }
    o["results"] = boost::json::object{{"item_add_results", std::move(item_add_results)},
                                       {"cra_item_add_results", boost::json::array()},
                                       {"cra_update_results", boost::json::array()},
                                       {"bank_income_results", boost::json::array()},
                                       {"payroll_income_results", boost::json::array()},
                                       {"document_income_results", boost::json::array()}};
    sessions.push_back(std::move(o));
  }
  return boost::json::object{{"link_token", t.token},
                             {"created_at", FormatRfc3339(t.created_at)},
                             {"expiration", FormatRfc3339(t.expires_at)},
                             {"metadata", std::move(metadata)},
                             {"link_sessions", std::move(sessions)}};
}

Emulator::Outcome Emulator::PublicTokenExchange(Call& c) {
  std::string_view token = *GetString(c.body, "public_token");
  EMU_TRY(CheckTokenFormat(token, "public", "INVALID_PUBLIC_TOKEN"));
  auto it = public_tokens_.find(token);
  if (it == public_tokens_.end() || it->second.used || Now() >= it->second.expires_at) {
    return PlaidErrorFor("INVALID_PUBLIC_TOKEN");
  }
  auto item_it = items_.find(it->second.item_id);
  // Another client's public token is unknown to this one, and stays usable by its own.
  if (item_it == items_.end() || item_it->second.removed ||
      item_it->second.client_id != c.client_id) {
    return PlaidErrorFor("INVALID_PUBLIC_TOKEN");
  }
  it->second.used = true;  // single use, whatever happens next
  Item& item = item_it->second;
  item.exchanged = true;
  return boost::json::object{{"access_token", item.access_token}, {"item_id", item.item_id}};
}

Emulator::Outcome Emulator::AccountsGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  boost::json::array accounts(c.sp);
  for (const Account* a : std::get<0>(sel)) {
    accounts.push_back(AccountJson(*a, c.sp));
  }
  boost::json::object out(c.sp);
  out["accounts"] = std::move(accounts);
  out["item"] = ItemJson(item, false, c.sp);
  return out;
}

Emulator::Outcome Emulator::BalanceGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "balance"));
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  boost::json::array accounts;
  std::string now = FormatRfc3339(Now());
  for (const Account* a : std::get<0>(sel)) {
    auto o = AccountJson(*a);
    // Real-time balances carry when they were read.
    if (auto* balances = o["balances"].if_object()) {
      (*balances)["last_updated_datetime"] = now;
    }
    accounts.push_back(std::move(o));
  }
  return boost::json::object{{"accounts", std::move(accounts)}, {"item", ItemJson(item, false)}};
}

Emulator::Outcome Emulator::AuthGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "auth"));
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  boost::json::array accounts, ach, eft, international, bacs;
  for (const Account* a : std::get<0>(sel)) {
    if (a->tmpl->numbers.empty()) {
      continue;
    }
    accounts.push_back(AccountJson(*a));
    for (const auto& kv : a->tmpl->numbers) {
      if (!kv.value().is_object()) {
        continue;
      }
      boost::json::object n = kv.value().get_object();
      n["account_id"] = a->account_id;
      if (kv.key() == "ach") {
        if (!n.contains("is_tokenized_account_number")) {
          n["is_tokenized_account_number"] = false;
        }
        ach.push_back(std::move(n));
      } else if (kv.key() == "eft") {
        eft.push_back(std::move(n));
      } else if (kv.key() == "international") {
        international.push_back(std::move(n));
      } else if (kv.key() == "bacs") {
        bacs.push_back(std::move(n));
      }
    }
  }
  if (accounts.empty()) {
    return PlaidErrorFor("NO_AUTH_ACCOUNTS");
  }
  return boost::json::object{
      {"accounts", std::move(accounts)},
      {"numbers", boost::json::object{{"ach", std::move(ach)},
                                      {"eft", std::move(eft)},
                                      {"international", std::move(international)},
                                      {"bacs", std::move(bacs)}}},
      {"item", ItemJson(item, false)}};
}

Emulator::Outcome Emulator::IdentityGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "identity"));
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  boost::json::array accounts;
  for (const Account* a : std::get<0>(sel)) {
    auto o = AccountJson(*a);
    o["owners"] = fixtures_.owners();
    accounts.push_back(std::move(o));
  }
  return boost::json::object{{"accounts", std::move(accounts)}, {"item", ItemJson(item, false)}};
}

Emulator::Outcome Emulator::HoldingsGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "investments"));
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  boost::json::array accounts, holdings, securities;
  std::set<std::string> security_ids;
  TimePoint now = Now();
  for (const Account* a : std::get<0>(sel)) {
    if (a->tmpl->type != "investment") {
      continue;
    }
    accounts.push_back(WithMarginLoan(AccountJson(*a)));
    for (const auto& h : a->tmpl->holdings) {
      boost::json::object o = ResolveDates(h, now).as_object();
      o["account_id"] = a->account_id;
      if (auto sid = GetString(o, "security_id")) {
        security_ids.emplace(*sid);
      }
      holdings.push_back(std::move(o));
    }
  }
  if (accounts.empty()) {
    return PlaidErrorFor("NO_INVESTMENT_ACCOUNTS");
  }
  for (const auto& sid : security_ids) {
    if (const auto* s = fixtures_.FindSecurity(sid)) {
      securities.push_back(ResolveDates(*s, now));
    }
  }
  return boost::json::object{{"accounts", std::move(accounts)},
                             {"holdings", std::move(holdings)},
                             {"securities", std::move(securities)},
                             {"item", ItemJson(item, false)},
                             {"is_investments_fallback_item", false}};
}

Emulator::Outcome Emulator::InvestmentTransactionsGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "investments"));
  auto start = *ParseDate(*GetString(c.body, "start_date"));
  auto end = *ParseDate(*GetString(c.body, "end_date"));
  if (end < start) {
    return PlaidErrorFor("INVALID_FIELD", "end_date must not be before start_date");
  }
  int64_t count = 100, offset = 0;
  if (const auto* o = GetObject(c.body, "options")) {
    count = GetInt(*o, "count").value_or(100);
    offset = GetInt(*o, "offset").value_or(0);
  }
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  TimePoint now = Now();
  boost::json::array accounts;
  std::vector<boost::json::object> all;
  for (const Account* a : std::get<0>(sel)) {
    if (a->tmpl->type != "investment") {
      continue;
    }
    accounts.push_back(WithMarginLoan(AccountJson(*a)));
    int n = 0;
    for (const auto& t : a->tmpl->investment_transactions) {
      boost::json::object o = ResolveDates(t, now).as_object();
      auto date = ParseDate(GetString(o, "date").value_or(""));
      ++n;
      if (!date || *date < start || *date > end) {
        continue;
      }
      o["account_id"] = a->account_id;
      SeededRandom r(std::hash<std::string>{}(item.item_id + a->account_id + std::to_string(n)));
      o["investment_transaction_id"] = NewBase62(r, 37);
      all.push_back(std::move(o));
    }
  }
  if (accounts.empty()) {
    return PlaidErrorFor("NO_INVESTMENT_ACCOUNTS");
  }
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return GetString(x, "date").value_or("") > GetString(y, "date").value_or("");
  });
  boost::json::array page;
  std::set<std::string> security_ids;
  for (int64_t i = offset; i < static_cast<int64_t>(all.size()) && i < offset + count; ++i) {
    if (auto sid = GetString(all[static_cast<size_t>(i)], "security_id")) {
      security_ids.emplace(*sid);
    }
    page.push_back(all[static_cast<size_t>(i)]);
  }
  boost::json::array securities;
  for (const auto& sid : security_ids) {
    if (const auto* s = fixtures_.FindSecurity(sid)) {
      securities.push_back(ResolveDates(*s, now));
    }
  }
  return boost::json::object{{"item", ItemJson(item, false)},
                             {"accounts", std::move(accounts)},
                             {"securities", std::move(securities)},
                             {"investment_transactions", std::move(page)},
                             {"total_investment_transactions", static_cast<int64_t>(all.size())},
                             {"is_investments_fallback_item", false}};
}

Emulator::Outcome Emulator::LiabilitiesGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "liabilities"));
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  TimePoint now = Now();
  boost::json::array accounts, credit, mortgage, student;
  for (const Account* a : std::get<0>(sel)) {
    const auto& kind = a->tmpl->liability_kind;
    if (kind.empty()) {
      continue;
    }
    accounts.push_back(AccountJson(*a));
    boost::json::object o = ResolveDates(a->tmpl->liability, now).as_object();
    o["account_id"] = a->account_id;
    if (kind == "credit") {
      credit.push_back(std::move(o));
    } else if (kind == "mortgage") {
      mortgage.push_back(std::move(o));
    } else if (kind == "student") {
      student.push_back(std::move(o));
    }
  }
  if (accounts.empty()) {
    return PlaidErrorFor("NO_LIABILITY_ACCOUNTS");
  }
  auto list = [](boost::json::array a) {
    return a.empty() ? boost::json::value(nullptr) : boost::json::value(std::move(a));
  };
  return boost::json::object{
      {"accounts", std::move(accounts)},
      {"item", ItemJson(item, false)},
      {"liabilities", boost::json::object{{"credit", list(std::move(credit))},
                                          {"mortgage", list(std::move(mortgage))},
                                          {"student", list(std::move(student))}}}};
}

Emulator::Outcome Emulator::TransactionsSync(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "transactions"));
  int64_t count = GetInt(c.body, "count").value_or(100);
  bool original = false;
  std::string account_filter;
  if (const auto* o = GetObject(c.body, "options")) {
    original = GetBool(*o, "include_original_description").value_or(false);
    account_filter = std::string(GetString(*o, "account_id").value_or(""));
  }
  TimePoint now = Now();
  auto extractions = Extractions(item.tx, now);
  auto latest = static_cast<uint32_t>(extractions.size());
  UpdateStatus status = StatusAt(item.tx, now);
  std::string cursor_text(GetString(c.body, "cursor").value_or(""));
  const uint32_t filter = CursorFilter(account_filter);
  if (!account_filter.empty() &&
      std::none_of(item.accounts.begin(), item.accounts.end(),
                   [&](const Account& a) { return a.account_id == account_filter; })) {
    return PlaidErrorFor("INVALID_ACCOUNT_ID",
                         "options.account_id " + account_filter + " does not belong to this item");
  }

  SyncCursor cur;
  if (cursor_text == "now") {
    boost::json::object out{
        {"added", boost::json::array()},
        {"modified", boost::json::array()},
        {"removed", boost::json::array()},
        {"accounts", boost::json::array()},
        {"has_more", false},
        {"next_cursor", EncodeCursor(item.item_id, SyncCursor{latest, latest, 0, filter})},
        {"transactions_update_status", UpdateStatusName(status)}};
    return out;
  }
  if (!cursor_text.empty()) {
    auto decoded = DecodeCursor(item.item_id, cursor_text);
    if (!decoded || decoded->to > latest) {
      return PlaidErrorFor("INVALID_FIELD", "cursor is not valid for this item");
    }
    cur = *decoded;
    if (cur.filter != filter) {
      // Plaid's cursors belong to one options.account_id; mixing them would skip updates.
      return PlaidErrorFor("INVALID_FIELD",
                           "cursor was issued for a different options.account_id; keep one cursor "
                           "per account filter");
    }
    if (cur.offset > 0 && cur.to > 0 && latest > cur.to &&
        Diff(StateAt(item.tx, fixtures_, extractions[cur.to - 1]),
             StateAt(item.tx, fixtures_, extractions[latest - 1]))
                .size() > 0) {
      // The data changed while the caller was paging through an update. A pull that changed
      // nothing does not interrupt: the remaining pages are still exact.
      return PlaidErrorFor("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION");
    }
    if (cur.offset == 0) {
      cur.from = cur.to;
      cur.to = latest;
    }
  } else {
    cur = SyncCursor{0, latest, 0, filter};
  }
  if (latest == 0) {
    // The first pull is not ready: nothing yet, and an empty cursor to say so.
    return boost::json::object{{"added", boost::json::array()},
                               {"modified", boost::json::array()},
                               {"removed", boost::json::array()},
                               {"accounts", boost::json::array()},
                               {"has_more", false},
                               {"next_cursor", ""},
                               {"transactions_update_status", UpdateStatusName(status)}};
  }
  auto before =
      cur.from == 0 ? std::vector<Txn>() : StateAt(item.tx, fixtures_, extractions[cur.from - 1]);
  auto after = StateAt(item.tx, fixtures_, extractions[cur.to - 1]);
  if (!account_filter.empty()) {
    auto keep = [&](std::vector<Txn>& v) {
      std::erase_if(v, [&](const Txn& t) { return t.account_id != account_filter; });
    };
    keep(before);
    keep(after);
  }
  TxDiff diff = Diff(before, after);
  std::vector<std::pair<int, const Txn*>> updates;  // 0 added, 1 modified, 2 removed
  for (const Txn* t : diff.added) {
    updates.emplace_back(0, t);
  }
  for (const Txn* t : diff.modified) {
    updates.emplace_back(1, t);
  }
  for (const Txn* t : diff.removed) {
    updates.emplace_back(2, t);
  }
  if (cur.offset > updates.size()) {
    return PlaidErrorFor("INVALID_FIELD", "cursor is not valid for this item");
  }
  size_t begin = cur.offset;
  size_t end = std::min<size_t>(begin + static_cast<size_t>(count), updates.size());
  boost::json::array added, modified, removed;
  std::set<std::string> account_ids;
  for (size_t i = begin; i < end; ++i) {
    const Txn& t = *updates[i].second;
    account_ids.insert(t.account_id);
    if (updates[i].first == 2) {
      removed.push_back(
          boost::json::object{{"transaction_id", t.transaction_id}, {"account_id", t.account_id}});
    } else {
      (updates[i].first == 0 ? added : modified).push_back(TransactionJson(t, fixtures_, original));
    }
  }
  boost::json::array accounts;
  for (const auto& a : item.accounts) {
    if (account_ids.contains(a.account_id)) {
      accounts.push_back(AccountJson(a));
    }
  }
  bool has_more = end < updates.size();
  SyncCursor next = has_more ? SyncCursor{cur.from, cur.to, static_cast<uint32_t>(end), filter}
                             : SyncCursor{cur.to, cur.to, 0, filter};
  return boost::json::object{{"added", std::move(added)},
                             {"modified", std::move(modified)},
                             {"removed", std::move(removed)},
                             {"accounts", std::move(accounts)},
                             {"has_more", has_more},
                             {"next_cursor", EncodeCursor(item.item_id, next)},
                             {"transactions_update_status", UpdateStatusName(status)}};
}

Emulator::Outcome Emulator::TransactionsGet(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "transactions"));
  auto start = *ParseDate(*GetString(c.body, "start_date"));
  auto end = *ParseDate(*GetString(c.body, "end_date"));
  if (end < start) {
    return PlaidErrorFor("INVALID_FIELD", "end_date must not be before start_date");
  }
  int64_t count = 100, offset = 0;
  bool original = false;
  std::vector<std::string> account_ids;
  if (const auto* o = GetObject(c.body, "options")) {
    count = GetInt(*o, "count").value_or(100);
    offset = GetInt(*o, "offset").value_or(0);
    original = GetBool(*o, "include_original_description").value_or(false);
    account_ids = GetStringList(*o, "account_ids");
  }
  auto sel = SelectAccountsLocked(item, c.body);
  if (auto* e = std::get_if<PlaidError>(&sel)) {
    return *e;
  }
  auto extractions = Extractions(item.tx, Now());
  if (extractions.empty()) {
    return PlaidErrorFor("PRODUCT_NOT_READY");
  }
  auto state = StateAt(item.tx, fixtures_, extractions.back());
  std::vector<const Txn*> matched;
  for (auto it = state.rbegin(); it != state.rend(); ++it) {  // newest first
    if (it->date < start || it->date > end) {
      continue;
    }
    if (!account_ids.empty() && !Contains(account_ids, it->account_id)) {
      continue;
    }
    matched.push_back(&*it);
  }
  boost::json::array transactions;
  for (int64_t i = offset; i < static_cast<int64_t>(matched.size()) && i < offset + count; ++i) {
    transactions.push_back(TransactionJson(*matched[static_cast<size_t>(i)], fixtures_, original));
  }
  boost::json::array accounts;
  for (const Account* a : std::get<0>(sel)) {
    accounts.push_back(AccountJson(*a));
  }
  return boost::json::object{{"accounts", std::move(accounts)},
                             {"transactions", std::move(transactions)},
                             {"total_transactions", static_cast<int64_t>(matched.size())},
                             {"item", ItemJson(item, false)}};
}

Emulator::Outcome Emulator::TransactionsRefresh(Call& c) {
  EMU_RESOLVE(item, true);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  EMU_TRY(GateProductLocked(item, "transactions"));
  // Refreshes within a second of each other are one pull, as Plaid runs one extraction at a time;
  // this also keeps the pull list bounded when rate limits are off.
  TimePoint now = Now();
  if (item.tx.refreshes.empty() || now - item.tx.refreshes.back() >= std::chrono::seconds(1)) {
    item.tx.refreshes.push_back(now);
  }
  return boost::json::object{};
}

Emulator::Outcome Emulator::ItemGet(Call& c) {
  EMU_RESOLVE(item, false);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  boost::json::object status;
  if (item.has_transactions) {
    auto ex = Extractions(item.tx, Now());
    status["transactions"] = boost::json::object{
        {"last_successful_update",
         ex.empty() ? boost::json::value(nullptr) : boost::json::value(FormatRfc3339(ex.back()))},
        {"last_failed_update", nullptr}};
  } else {
    status["transactions"] = nullptr;
  }
  status["investments"] = nullptr;
  status["last_webhook"] = item.last_webhook
                               ? boost::json::value(boost::json::object{
                                     {"sent_at", FormatRfc3339(item.last_webhook->first)},
                                     {"code_sent", item.last_webhook->second}})
                               : boost::json::value(nullptr);
  return boost::json::object{{"item", ItemJson(item, true)}, {"status", std::move(status)}};
}

Emulator::Outcome Emulator::ItemRemove(Call& c) {
  EMU_RESOLVE(item, false);
  EMU_TRY(CheckRateLocked(c.endpoint, &item));
  item.removed = true;
  access_tokens_.erase(item.access_token);
  return boost::json::object{};
}

Emulator::Outcome Emulator::ItemWebhookUpdate(Call& c) {
  EMU_RESOLVE(item, false);
  const auto* w = c.body.if_contains("webhook");
  if (w != nullptr && w->is_string() && !w->get_string().empty()) {
    if (!IsHttpUrl(w->get_string())) {
      return PlaidErrorFor("INVALID_FIELD", "webhook must be an http or https URL");
    }
    item.webhook = std::string(w->get_string());
    FireWebhookLocked(item, {{"webhook_type", "ITEM"},
                             {"webhook_code", "WEBHOOK_UPDATE_ACKNOWLEDGED"},
                             {"error", nullptr},
                             {"new_webhook_url", *item.webhook}});
  } else {
    item.webhook.reset();
  }
  return boost::json::object{{"item", ItemJson(item, false)}};
}

Emulator::Outcome Emulator::AccessTokenInvalidate(Call& c) {
  EMU_RESOLVE(item, false);
  access_tokens_.erase(item.access_token);
  item.access_token = NewToken("access");
  access_tokens_[item.access_token] = item.item_id;
  return boost::json::object{{"new_access_token", item.access_token}};
}

Emulator::Outcome Emulator::InstitutionsGetById(Call& c) {
  EMU_TRY(CheckRateLocked(c.endpoint, nullptr));
  const InstitutionFixture* inst = fixtures_.FindInstitution(*GetString(c.body, "institution_id"));
  auto countries = GetStringList(c.body, "country_codes");
  if (inst == nullptr ||
      std::none_of(countries.begin(), countries.end(),
                   [&](const std::string& cc) { return Contains(inst->country_codes, cc); })) {
    return PlaidErrorFor("INVALID_INSTITUTION");
  }
  bool optional = false;
  if (const auto* o = GetObject(c.body, "options")) {
    optional = GetBool(*o, "include_optional_metadata").value_or(false);
  }
  return boost::json::object{{"institution", InstitutionJson(*inst, optional)}};
}

Emulator::Outcome Emulator::InstitutionsSearch(Call& c) {
  EMU_TRY(CheckRateLocked(c.endpoint, nullptr));
  std::string query(*GetString(c.body, "query"));
  auto countries = GetStringList(c.body, "country_codes");
  auto products = GetStringList(c.body, "products");
  bool optional = false;
  std::optional<bool> oauth;
  if (const auto* o = GetObject(c.body, "options")) {
    optional = GetBool(*o, "include_optional_metadata").value_or(false);
    oauth = GetBool(*o, "oauth");
  }
  boost::json::array out;
  for (const InstitutionFixture* inst : fixtures_.Search(query, countries, products)) {
    if (oauth && inst->oauth != *oauth) {
      continue;
    }
    out.push_back(InstitutionJson(*inst, optional));
  }
  return boost::json::object{{"institutions", std::move(out)}};
}

Emulator::Outcome Emulator::WebhookKeyGet(Call& c) {
  auto jwk = signer_.PublicJwk(*GetString(c.body, "key_id"));
  if (!jwk) {
    return PlaidErrorFor("INVALID_FIELD", "key_id is not a known webhook verification key");
  }
  return boost::json::object{{"key", std::move(*jwk)}};
}

std::optional<PlaidError> Emulator::CredentialsOutcome(const std::string& username,
                                                       const std::string& password,
                                                       bool* needs_mfa) const {
  // Plaid's sandbox personas take any password; user_good takes the documented test passwords.
  static const std::set<std::string> kPersonas = {"user_transactions_dynamic",
                                                  "user_ewa_user",
                                                  "user_yuppie",
                                                  "user_small_business",
                                                  "user_bank_income",
                                                  "user_credit_bonus",
                                                  "user_credit_joint_account",
                                                  "user_credit_profile_excellent",
                                                  "user_credit_profile_good",
                                                  "user_credit_profile_poor"};
  *needs_mfa = false;
  if (password.starts_with("error_") && password.size() > 6) {
    return PlaidErrorFor(password.substr(6));
  }
  if (kPersonas.contains(username)) {
    return std::nullopt;
  }
  if (username != "user_good") {
    return PlaidErrorFor("INVALID_CREDENTIALS");
  }
  if (password == "mfa_device") {
    *needs_mfa = true;
    return std::nullopt;
  }
  if (password != "pass_good") {
    return PlaidErrorFor("INVALID_CREDENTIALS");
  }
  return std::nullopt;
}

Emulator::Outcome Emulator::SandboxPublicTokenCreate(Call& c) {
  const InstitutionFixture* inst = fixtures_.FindInstitution(*GetString(c.body, "institution_id"));
  if (inst == nullptr) {
    return PlaidErrorFor("INVALID_INSTITUTION");
  }
  auto products = GetStringList(c.body, "initial_products");
  for (const auto& p : products) {
    if (!Contains(inst->products, p)) {
      return PlaidErrorFor("PRODUCTS_NOT_SUPPORTED",
                           "the following products are not supported by this institution: " + p);
    }
  }
  std::optional<std::string> webhook;
  std::string username = "user_good", password = "pass_good";
  int days = 90;
  if (const auto* o = GetObject(c.body, "options")) {
    if (auto w = GetString(*o, "webhook"); w && !w->empty()) {
      if (!IsHttpUrl(*w)) {
        return PlaidErrorFor("INVALID_FIELD", "options.webhook must be an http or https URL");
      }
      webhook = std::string(*w);
    }
    if (auto u = GetString(*o, "override_username")) {
      username = std::string(*u);
    }
    if (auto p = GetString(*o, "override_password")) {
      password = std::string(*p);
    }
    if (const auto* t = GetObject(*o, "transactions")) {
      days = static_cast<int>(GetInt(*t, "days_requested").value_or(90));
      auto s = ParseDate(GetString(*t, "start_date").value_or(""));
      auto e = ParseDate(GetString(*t, "end_date").value_or(""));
      if (s && e && *e >= *s && !GetInt(*t, "days_requested")) {
        days = std::max(1, static_cast<int>((*e - *s).count()));
      }
    }
  }
  bool mfa = false;
  if (auto err = CredentialsOutcome(username, password, &mfa)) {
    return *err;
  }
  Item& item = CreateItemLocked(*inst, products, {}, webhook, days, "sandbox-user");
  item.client_id = c.client_id;
  return boost::json::object{{"public_token", MintPublicTokenLocked(item)}};
}

Emulator::Outcome Emulator::SandboxResetLogin(Call& c) {
  EMU_RESOLVE(item, false);
  return ResetLoginLocked(item);
}

Emulator::Outcome Emulator::ResetLoginLocked(Item& item) {
  item.error = PlaidErrorFor("ITEM_LOGIN_REQUIRED");
  boost::json::object payload{
      {"webhook_type", "ITEM"}, {"webhook_code", "ERROR"}, {"error", ToWebhookJson(*item.error)}};
  FireWebhookLocked(item, payload);
  return boost::json::object{{"reset_login", true}};
}

Emulator::Outcome Emulator::SandboxFireWebhook(Call& c) {
  EMU_RESOLVE(item, false);
  return FireItemWebhookLocked(item, std::string(GetString(c.body, "webhook_type").value_or("")),
                               std::string(*GetString(c.body, "webhook_code")), {});
}

Emulator::Outcome Emulator::FireItemWebhookLocked(Item& item, std::string type,
                                                  const std::string& code,
                                                  const boost::json::object& options) {
  static const std::set<std::string> kItemCodes = {
      "NEW_ACCOUNTS_AVAILABLE", "USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED",
      "PENDING_DISCONNECT",     "LOGIN_REPAIRED",          "ERROR",
      "PENDING_EXPIRATION"};
  if (type.empty()) {
    type = kItemCodes.contains(code) ? "ITEM" : "TRANSACTIONS";
  }
  if (!item.webhook) {
    return PlaidErrorFor("SANDBOX_WEBHOOK_INVALID");
  }
  boost::json::object payload{{"webhook_type", type}, {"webhook_code", code}};
  auto needs = [&](const char* product) -> std::optional<PlaidError> {
    if (!Contains(item.billed, product)) {
      return PlaidErrorFor("SANDBOX_PRODUCT_NOT_ENABLED",
                           std::string("the item does not have the ") + product + " product");
    }
    return std::nullopt;
  };
  auto unsupported = [&] {
    return PlaidErrorFor("INVALID_FIELD",
                         "webhook_code " + code + " cannot be fired for webhook_type " + type);
  };
  if (type == "ITEM") {
    if (code == "ERROR") {
      item.error = PlaidErrorFor(
          std::string(GetString(options, "error_code").value_or("ITEM_LOGIN_REQUIRED")));
      payload["error"] = ToWebhookJson(*item.error);
    } else if (code == "LOGIN_REPAIRED") {
      item.error.reset();
    } else if (code == "USER_PERMISSION_REVOKED") {
      item.error = PlaidErrorFor("USER_PERMISSION_REVOKED");
      payload["error"] = ToWebhookJson(*item.error);
    } else if (code == "PENDING_DISCONNECT") {
      payload["reason"] = "INSTITUTION_MIGRATION";
      payload["disconnect_time"] = FormatRfc3339(Now() + std::chrono::days(7));
    } else if (code == "PENDING_EXPIRATION") {
      auto at = GetString(options, "consent_expiration_time");
      payload["consent_expiration_time"] =
          at ? std::string(*at) : FormatRfc3339(Now() + std::chrono::days(7));
    } else if (code == "USER_ACCOUNT_REVOKED") {
      payload["account_id"] = item.accounts.empty() ? "" : item.accounts.front().account_id;
    } else if (code == "NEW_ACCOUNTS_AVAILABLE") {
      payload["error"] = nullptr;
    } else {
      return unsupported();
    }
  } else if (type == "TRANSACTIONS") {
    EMU_TRY(needs("transactions"));
    auto status = StatusAt(item.tx, Now());
    if (code == "SYNC_UPDATES_AVAILABLE") {
      payload["initial_update_complete"] = status != UpdateStatus::kNotReady;
      payload["historical_update_complete"] = status == UpdateStatus::kHistoricalComplete;
    } else if (code == "DEFAULT_UPDATE") {
      payload["error"] = nullptr;
      payload["new_transactions"] = 1;
    } else if (code == "RECURRING_TRANSACTIONS_UPDATE") {
      boost::json::array ids;
      for (const auto& a : item.accounts) {
        ids.emplace_back(a.account_id);
      }
      payload["account_ids"] = std::move(ids);
    } else {
      return unsupported();
    }
  } else if (type == "HOLDINGS" && code == "DEFAULT_UPDATE") {
    EMU_TRY(needs("investments"));
    payload["error"] = nullptr;
    payload["new_holdings"] = 0;
    payload["updated_holdings"] = 1;
  } else if (type == "INVESTMENTS_TRANSACTIONS" && code == "DEFAULT_UPDATE") {
    EMU_TRY(needs("investments"));
    payload["error"] = nullptr;
    payload["new_investments_transactions"] = 1;
    payload["canceled_investments_transactions"] = 0;
  } else if (type == "LIABILITIES" && code == "DEFAULT_UPDATE") {
    EMU_TRY(needs("liabilities"));
    payload["error"] = nullptr;
    payload["account_ids_with_new_liabilities"] = boost::json::array();
    payload["account_ids_with_updated_liabilities"] = boost::json::object();
  } else if (type == "AUTH" && (code == "DEFAULT_UPDATE" || code == "AUTOMATICALLY_VERIFIED")) {
    EMU_TRY(needs("auth"));
    payload["account_id"] = item.accounts.empty() ? "" : item.accounts.front().account_id;
  } else {
    return unsupported();
  }
  FireWebhookLocked(item, payload);
  return boost::json::object{{"webhook_fired", true}};
}

}  // namespace linkhub::emulator
