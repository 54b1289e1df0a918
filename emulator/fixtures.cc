#include "emulator/fixtures.h"

#include <charconv>

#include "core/json.h"

namespace linkhub::emulator {

namespace fixtures {
std::string_view Find(std::string_view name);  // generated from emulator/fixtures/*.json
}

namespace {

Error Bad(const std::string& what) { return MakeError(ErrorCode::kInternal, "fixtures: " + what); }

double Number(const boost::json::value* v) {
  if (v == nullptr) {
    return 0;
  }
  if (v->is_double()) {
    return v->get_double();
  }
  if (v->is_int64()) {
    return static_cast<double>(v->get_int64());
  }
  if (v->is_uint64()) {
    return static_cast<double>(v->get_uint64());
  }
  return 0;
}

std::optional<int> ParseOffset(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix) || !s.ends_with(")")) {
    return std::nullopt;
  }
  std::string_view n = s.substr(prefix.size(), s.size() - prefix.size() - 1);
  int v = 0;
  auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
  if (ec != std::errc() || p != n.data() + n.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

boost::json::value ResolveDates(const boost::json::value& v, TimePoint now) {
  if (v.is_string()) {
    std::string_view s = v.get_string();
    if (s.size() > 2 && s[0] == '$') {
      if (auto d = ParseOffset(s, "$date(")) {
        return boost::json::value(FormatDate(now + std::chrono::days(*d)));
      }
      if (auto d = ParseOffset(s, "$datetime(")) {
        return boost::json::value(FormatRfc3339(now + std::chrono::days(*d)));
      }
    }
    return v;
  }
  if (v.is_object()) {
    boost::json::object o;
    for (const auto& kv : v.get_object()) {
      o[kv.key()] = ResolveDates(kv.value(), now);
    }
    return o;
  }
  if (v.is_array()) {
    boost::json::array a;
    for (const auto& item : v.get_array()) {
      a.push_back(ResolveDates(item, now));
    }
    return a;
  }
  return v;
}

Result<Fixtures> Fixtures::LoadEmbedded() {
  return Load(fixtures::Find("institutions.json"), fixtures::Find("accounts.json"),
              fixtures::Find("identity.json"), fixtures::Find("securities.json"),
              fixtures::Find("merchants.json"));
}

Result<Fixtures> Fixtures::Load(std::string_view institutions, std::string_view accounts,
                                std::string_view identity, std::string_view securities,
                                std::string_view merchants) {
  Fixtures f;
  LINKHUB_ASSIGN_OR_RETURN(auto inst, ParseJson(institutions));
  if (!inst.is_array()) {
    return Unexpected(Bad("institutions.json is not an array"));
  }
  for (auto& v : inst.get_array()) {
    if (!v.is_object()) {
      return Unexpected(Bad("institution is not an object"));
    }
    InstitutionFixture i;
    i.json = v.get_object();
    i.id = std::string(GetString(i.json, "institution_id").value_or(""));
    i.name = std::string(GetString(i.json, "name").value_or(""));
    i.profile = std::string(GetString(i.json, "x_profile").value_or(""));
    i.oauth = GetBool(i.json, "oauth").value_or(false);
    i.products = GetStringList(i.json, "products");
    i.country_codes = GetStringList(i.json, "country_codes");
    i.json.erase("x_profile");
    if (i.id.empty() || i.name.empty() || i.profile.empty()) {
      return Unexpected(Bad("institution without id, name or x_profile"));
    }
    f.institutions_.push_back(std::move(i));
  }

  LINKHUB_ASSIGN_OR_RETURN(auto acc, ParseJson(accounts));
  const auto* profiles = acc.is_object() ? GetObject(acc.get_object(), "profiles") : nullptr;
  if (profiles == nullptr) {
    return Unexpected(Bad("accounts.json has no profiles"));
  }
  for (const auto& kv : *profiles) {
    if (!kv.value().is_array()) {
      return Unexpected(Bad("profile is not an array"));
    }
    std::vector<AccountTemplate> list;
    for (const auto& v : kv.value().get_array()) {
      if (!v.is_object()) {
        return Unexpected(Bad("account template is not an object"));
      }
      const auto& o = v.get_object();
      AccountTemplate t;
      t.key = std::string(GetString(o, "key").value_or(""));
      t.type = std::string(GetString(o, "type").value_or(""));
      t.subtype = std::string(GetString(o, "subtype").value_or(""));
      t.transactions = GetBool(o, "transactions").value_or(false);
      for (const char* k : {"balances", "mask", "name", "official_name", "type", "subtype",
                            "holder_category", "verification_status", "persistent_account_id"}) {
        if (const auto* field = Find(o, k)) {
          t.base[k] = *field;
        }
      }
      if (const auto* b = GetObject(o, "balances")) {
        t.currency = std::string(GetString(*b, "iso_currency_code").value_or("USD"));
      }
      if (const auto* n = GetObject(o, "numbers")) {
        t.numbers = *n;
      }
      if (const auto* l = GetObject(o, "liability")) {
        t.liability_kind = std::string(GetString(*l, "kind").value_or(""));
        if (const auto* d = GetObject(*l, "data")) {
          t.liability = *d;
        }
      }
      if (const auto* h = GetArray(o, "holdings")) {
        t.holdings = *h;
      }
      if (const auto* it = GetArray(o, "investment_transactions")) {
        t.investment_transactions = *it;
      }
      if (t.key.empty() || t.type.empty()) {
        return Unexpected(Bad("account template without key or type"));
      }
      list.push_back(std::move(t));
    }
    f.profiles_.emplace(std::string(kv.key()), std::move(list));
  }
  for (const auto& i : f.institutions_) {
    if (!f.profiles_.contains(i.profile)) {
      return Unexpected(Bad("institution " + i.id + " names unknown profile " + i.profile));
    }
  }

  LINKHUB_ASSIGN_OR_RETURN(auto id, ParseJson(identity));
  const auto* owners = id.is_object() ? GetArray(id.get_object(), "owners") : nullptr;
  if (owners == nullptr) {
    return Unexpected(Bad("identity.json has no owners"));
  }
  f.owners_ = *owners;

  LINKHUB_ASSIGN_OR_RETURN(auto sec, ParseJson(securities));
  if (!sec.is_array()) {
    return Unexpected(Bad("securities.json is not an array"));
  }
  for (const auto& v : sec.get_array()) {
    if (!v.is_object()) {
      return Unexpected(Bad("security is not an object"));
    }
    auto sid = GetString(v.get_object(), "security_id");
    if (!sid) {
      return Unexpected(Bad("security without security_id"));
    }
    f.securities_.emplace(std::string(*sid), v.get_object());
  }

  LINKHUB_ASSIGN_OR_RETURN(auto mer, ParseJson(merchants));
  if (!mer.is_array()) {
    return Unexpected(Bad("merchants.json is not an array"));
  }
  for (const auto& v : mer.get_array()) {
    if (!v.is_object()) {
      return Unexpected(Bad("merchant is not an object"));
    }
    MerchantTemplate m;
    m.json = v.get_object();
    m.amount_min = Number(Find(m.json, "amount_min"));
    m.amount_max = Number(Find(m.json, "amount_max"));
    m.account_types = GetStringList(m.json, "account_types");
    m.every_days = static_cast<int>(GetInt(m.json, "every_days").value_or(7));
    if (m.every_days < 1) {
      m.every_days = 1;
    }
    f.merchants_.push_back(std::move(m));
  }
  return f;
}

const InstitutionFixture* Fixtures::FindInstitution(std::string_view id) const {
  for (const auto& i : institutions_) {
    if (i.id == id) {
      return &i;
    }
  }
  return nullptr;
}

std::vector<const InstitutionFixture*> Fixtures::Search(
    std::string_view query, const std::vector<std::string>& country_codes,
    const std::vector<std::string>& products) const {
  auto lower = [](std::string_view in) {
    std::string out(in);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  std::string q = lower(query);
  std::vector<const InstitutionFixture*> out;
  for (const auto& inst : institutions_) {
    if (!q.empty() && lower(inst.name).find(q) == std::string::npos && inst.id != query) {
      continue;
    }
    if (std::none_of(country_codes.begin(), country_codes.end(),
                     [&](const auto& cc) { return Contains(inst.country_codes, cc); })) {
      continue;
    }
    if (!std::all_of(products.begin(), products.end(),
                     [&](const auto& p) { return Contains(inst.products, p); })) {
      continue;
    }
    out.push_back(&inst);
  }
  return out;
}

const std::vector<AccountTemplate>& Fixtures::Profile(const std::string& profile) const {
  static const std::vector<AccountTemplate> kEmpty;
  auto it = profiles_.find(profile);
  return it == profiles_.end() ? kEmpty : it->second;
}

const boost::json::object* Fixtures::FindSecurity(std::string_view security_id) const {
  auto it = securities_.find(security_id);
  return it == securities_.end() ? nullptr : &it->second;
}

}  // namespace linkhub::emulator
