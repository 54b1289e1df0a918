#pragma once

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time_format.h"

namespace linkhub::emulator {

struct InstitutionFixture {
  std::string id;
  std::string name;
  std::string profile;  // key into the account profiles
  bool oauth = false;
  std::vector<std::string> products;
  std::vector<std::string> country_codes;
  boost::json::object json;  // the Plaid Institution object
};

struct AccountTemplate {
  std::string key;
  std::string type;
  std::string subtype;
  std::string currency;         // iso_currency_code
  boost::json::object base;     // Plaid AccountBase without account_id
  boost::json::object numbers;  // ach/eft/international/bacs, each without account_id
  bool transactions = false;
  std::string liability_kind;  // "credit", "student", "mortgage" or empty
  boost::json::object liability;
  boost::json::array holdings;
  boost::json::array investment_transactions;
};

struct MerchantTemplate {
  boost::json::object json;
  double amount_min = 0;
  double amount_max = 0;
  std::vector<std::string> account_types;
  int every_days = 1;
};

// The emulator's sandbox data (emulator/fixtures/*.json, compiled into the binary). Immutable
// after loading, so safe to share between threads.
class Fixtures {
 public:
  // Loads the copies compiled into the binary. kInternal if one is malformed (a build bug).
  static Result<Fixtures> LoadEmbedded();
  // Loads from JSON texts (for tests).
  static Result<Fixtures> Load(std::string_view institutions, std::string_view accounts,
                               std::string_view identity, std::string_view securities,
                               std::string_view merchants);

  const std::vector<InstitutionFixture>& institutions() const { return institutions_; }
  const InstitutionFixture* FindInstitution(std::string_view id) const;
  // Institutions whose name contains `query` (case-insensitive) or whose id is `query` (an empty
  // query matches all), available in one of `country_codes` and supporting every one of
  // `products`, in fixture order.
  std::vector<const InstitutionFixture*> Search(std::string_view query,
                                                const std::vector<std::string>& country_codes,
                                                const std::vector<std::string>& products) const;
  // The account templates of `profile`; empty when unknown.
  const std::vector<AccountTemplate>& Profile(const std::string& profile) const;
  const boost::json::array& owners() const { return owners_; }
  const boost::json::object* FindSecurity(std::string_view security_id) const;
  const std::vector<MerchantTemplate>& merchants() const { return merchants_; }

 private:
  std::vector<InstitutionFixture> institutions_;
  std::map<std::string, std::vector<AccountTemplate>, std::less<>> profiles_;
  boost::json::array owners_;
  std::map<std::string, boost::json::object, std::less<>> securities_;
  std::vector<MerchantTemplate> merchants_;
};

inline bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Returns a copy of `v` in which every string "$date(N)" becomes the date N days from `now`
// ("YYYY-MM-DD") and "$datetime(N)" the RFC 3339 time N days from `now`.
boost::json::value ResolveDates(const boost::json::value& v, TimePoint now);

}  // namespace linkhub::emulator
