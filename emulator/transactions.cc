#include "emulator/transactions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "core/encoding.h"
#include "core/json.h"

namespace linkhub::emulator {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h = (h ^ c) * 1099511628211ULL;
  }
  return h;
}

uint64_t H(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return Mix(Mix(Mix(Mix(a) ^ b) ^ c) ^ d);
}

std::string IdFrom(uint64_t h1, uint64_t h2) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(37);
  uint64_t h = h1;
  for (int i = 0; i < 37; ++i) {
    if (i == 18) {
      h = h2;
    }
    out.push_back(kAlphabet[h % 62]);
    h = Mix(h + static_cast<uint64_t>(i));
  }
  return out;
}

double Cents(double v) { return std::round(v * 100.0) / 100.0; }

bool MerchantFits(const MerchantTemplate& m, const AccountTemplate& a, bool primary) {
  if (std::find(m.account_types.begin(), m.account_types.end(), a.type) == m.account_types.end()) {
    return false;
  }
  if (primary) {
    return true;
  }
  // Secondary accounts see little: monthly items, and for deposit accounts only money coming in
  // (interest), so a savings account does not get rent and coffee.
  if (m.every_days < 28) {
    return false;
  }
  return a.type == "credit" || m.amount_max < 0;
}

}  // namespace

const char* UpdateStatusName(UpdateStatus s) {
  switch (s) {
    case UpdateStatus::kNotReady:
      return "NOT_READY";
    case UpdateStatus::kInitialComplete:
      return "INITIAL_UPDATE_COMPLETE";
    case UpdateStatus::kHistoricalComplete:
      return "HISTORICAL_UPDATE_COMPLETE";
  }
  return "TRANSACTIONS_UPDATE_STATUS_UNKNOWN";
}

std::vector<TimePoint> Extractions(const TxParams& p, TimePoint now) {
  std::vector<TimePoint> out;
  TimePoint initial = p.created_at + p.initial_delay;
  TimePoint historical = p.created_at + std::max(p.historical_delay, p.initial_delay);
  if (initial <= now) {
    out.push_back(initial);
  }
  if (historical <= now && historical > initial) {
    out.push_back(historical);
  }
  if (p.update_interval.count() > 0) {
    for (TimePoint t = historical + p.update_interval; t <= now; t += p.update_interval) {
      out.push_back(t);
    }
  }
  for (TimePoint r : p.refreshes) {
    if (r <= now && r >= initial) {
      out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

UpdateStatus StatusAt(const TxParams& p, TimePoint t) {
  if (t < p.created_at + p.initial_delay) {
    return UpdateStatus::kNotReady;
  }
  if (t < p.created_at + std::max(p.historical_delay, p.initial_delay)) {
    return UpdateStatus::kInitialComplete;
  }
  return UpdateStatus::kHistoricalComplete;
}

std::vector<Txn> StateAt(const TxParams& p, const Fixtures& fixtures, TimePoint e) {
  std::vector<Txn> out;
  UpdateStatus status = StatusAt(p, e);
  if (status == UpdateStatus::kNotReady) {
    return out;
  }
  sys_days created = std::chrono::floor<days>(p.created_at);
  sys_days today = std::chrono::floor<days>(e);
  int window = status == UpdateStatus::kHistoricalComplete ? p.days_requested
                                                           : std::min(30, p.days_requested);
  sys_days first = created - days(window);
  uint64_t item_hash = Fnv(p.item_id, p.seed);
  const auto& merchants = fixtures.merchants();

  bool seen_depository = false;
  bool seen_credit = false;
  for (const auto& acc : p.accounts) {
    const AccountTemplate& a = *acc.account;
    if (!a.transactions) {
      continue;
    }
    // The first deposit and credit accounts carry everyday spending. Decided before the
    // activity check so that an account joining or leaving never moves spending elsewhere.
    bool primary = false;
    if (a.type == "depository" && !seen_depository) {
      primary = seen_depository = true;
    } else if (a.type == "credit" && !seen_credit) {
      primary = seen_credit = true;
    }
    if (e < acc.added_at || e >= acc.removed_at) {
      continue;
    }
    uint64_t acc_hash = Fnv(a.key, item_hash);
    for (size_t mi = 0; mi < merchants.size(); ++mi) {
      const MerchantTemplate& m = merchants[mi];
      if (!MerchantFits(m, a, primary)) {
        continue;
      }
      uint64_t phase = H(acc_hash, mi) % static_cast<uint64_t>(m.every_days);
      for (sys_days d = first; d <= today; d += days(1)) {
        auto day_index = static_cast<uint64_t>(d.time_since_epoch().count());
        if ((day_index + phase) % static_cast<uint64_t>(m.every_days) != 0) {
          continue;
        }
        uint64_t h = H(acc_hash, mi, day_index);
        if (m.every_days <= 3 && h % 10 < 4) {
          continue;  // frequent merchants skip some days
        }
        int age = static_cast<int>((today - d).count());
        bool pending = age < 2;
        // Some authorisations are reversed instead of posting: they vanish (a "removed").
        if (!pending && h % 23 == 0) {
          continue;
        }
        Txn t;
        t.account_id = acc.account_id;
        t.date = d;
        t.merchant = static_cast<int>(mi);
        t.currency = a.currency.empty() ? "USD" : a.currency;
        double u = static_cast<double>(Mix(h) % 10000) / 10000.0;
        t.amount = Cents(m.amount_min + (m.amount_max - m.amount_min) * u);
        t.hour = static_cast<int>(Mix(h ^ 7) % 14) + 8;
        std::string pending_id = IdFrom(H(h, 1), H(h, 2));
        if (pending) {
          t.transaction_id = pending_id;
          t.pending = true;
        } else {
          t.transaction_id = IdFrom(H(h, 3), H(h, 4));
          // Only what happened after the Item was linked was ever seen as pending.
          if (d >= created - days(2)) {
            t.pending_transaction_id = pending_id;
          }
          // The bank revises about one posted transaction in six a few days later (a tip, a
          // corrected amount): a "modified".
          if (Mix(h ^ 0x55) % 6 == 0 && age >= 4) {
            t.version = 1;
            t.amount = Cents(t.amount * 1.15);
          }
        }
        out.push_back(std::move(t));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Txn& x, const Txn& y) {
    return x.date != y.date ? x.date < y.date : x.transaction_id < y.transaction_id;
  });
  return out;
}

TxDiff Diff(const std::vector<Txn>& before, const std::vector<Txn>& after) {
  TxDiff d;
  std::map<std::string_view, const Txn*> old;
  for (const auto& t : before) {
    old.emplace(t.transaction_id, &t);
  }
  for (const auto& t : after) {
    auto it = old.find(t.transaction_id);
    if (it == old.end()) {
      d.added.push_back(&t);
    } else {
      if (it->second->version != t.version || it->second->amount != t.amount) {
        d.modified.push_back(&t);
      }
      old.erase(it);
    }
  }
  for (const auto& t : before) {
    if (old.contains(t.transaction_id)) {
      d.removed.push_back(&t);
    }
  }
  return d;
}

boost::json::object TransactionJson(const Txn& t, const Fixtures& fixtures,
                                    bool original_description) {
  const MerchantTemplate& m = fixtures.merchants()[static_cast<size_t>(t.merchant)];
  const auto& mj = m.json;
  auto field = [&](std::string_view k) -> boost::json::value {
    const auto* v = Find(mj, k);
    return v == nullptr ? boost::json::value(nullptr) : *v;
  };
  boost::json::object o;
  o["account_id"] = t.account_id;
  o["account_owner"] = nullptr;
  o["amount"] = t.amount;
  sys_days authorized = t.date - days(t.hour % 2);
  o["authorized_date"] = FormatDays(authorized);
  o["authorized_datetime"] = FormatRfc3339(authorized + std::chrono::hours(t.hour - 1));
  o["category"] = field("category");
  o["category_id"] = field("category_id");
  o["check_number"] = nullptr;
  boost::json::array counterparties;
  {
    boost::json::object c;
    auto merchant_name = GetString(mj, "merchant_name");
    c["name"] = merchant_name ? boost::json::value(*merchant_name) : field("name");
    c["type"] = field("counterparty_type");
    c["logo_url"] = field("logo_url");
    c["website"] = field("website");
    c["entity_id"] = IdFrom(Fnv(GetString(mj, "name").value_or("")), 99);
    c["confidence_level"] = "VERY_HIGH";
    counterparties.push_back(std::move(c));
  }
  o["counterparties"] = std::move(counterparties);
  o["date"] = FormatDays(t.date);
  o["datetime"] = FormatRfc3339(t.date + std::chrono::hours(t.hour));
  o["iso_currency_code"] = t.currency;
  o["location"] = field("location");
  o["logo_url"] = field("logo_url");
  o["merchant_entity_id"] =
      GetString(mj, "merchant_name")
          ? boost::json::value(IdFrom(Fnv(GetString(mj, "name").value_or("")), 99))
          : boost::json::value(nullptr);
  o["merchant_name"] = field("merchant_name");
  o["name"] = field("name");
  o["original_description"] = original_description ? field("name") : boost::json::value(nullptr);
  o["payment_channel"] = field("payment_channel");
  boost::json::object meta;
  for (const char* k : {"by_order_of", "payee", "payer", "payment_method", "payment_processor",
                        "ppd_id", "reason", "reference_number"}) {
    meta[k] = nullptr;
  }
  o["payment_meta"] = std::move(meta);
  o["pending"] = t.pending;
  o["pending_transaction_id"] = t.pending_transaction_id.empty()
                                    ? boost::json::value(nullptr)
                                    : boost::json::value(t.pending_transaction_id);
  o["personal_finance_category"] = field("personal_finance_category");
  if (const auto* pfc = GetObject(mj, "personal_finance_category")) {
    o["personal_finance_category_icon_url"] =
        "https://plaid-category-icons.plaid.com/PFC_" +
        std::string(GetString(*pfc, "primary").value_or("OTHER")) + ".png";
  }
  o["transaction_code"] = nullptr;
  o["transaction_id"] = t.transaction_id;
  o["transaction_type"] = field("transaction_type");
  o["unofficial_currency_code"] = nullptr;
  o["website"] = field("website");
  return o;
}

uint32_t CursorFilter(std::string_view account_id) {
  return account_id.empty() ? 0 : static_cast<uint32_t>(Fnv(account_id) % 4294967291ULL) | 1;
}

std::string EncodeCursor(const std::string& item_id, const SyncCursor& c) {
  std::string raw = "v1:" + std::to_string(Fnv(item_id) % 1000000007ULL) + ":" +
                    std::to_string(c.from) + ":" + std::to_string(c.to) + ":" +
                    std::to_string(c.offset) + ":" + std::to_string(c.filter);
  return Base64Encode(raw);
}

std::optional<SyncCursor> DecodeCursor(const std::string& item_id, std::string_view text) {
  auto raw = Base64Decode(text);
  if (!raw) {
    return std::nullopt;
  }
  std::vector<std::string_view> parts;
  std::string_view rest(*raw);
  while (true) {
    size_t colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() != 6 || parts[0] != "v1" ||
      parts[1] != std::to_string(Fnv(item_id) % 1000000007ULL)) {
    return std::nullopt;
  }
  // Strict digits only: a forged "-1" or "+5" must not become a huge offset.
  auto number = [](std::string_view f, uint32_t& out) {
    auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
    return !f.empty() && ec == std::errc() && p == f.data() + f.size();
  };
  SyncCursor c;
  if (!number(parts[2], c.from) || !number(parts[3], c.to) || !number(parts[4], c.offset) ||
      !number(parts[5], c.filter) || c.from > c.to) {
    return std::nullopt;
  }
  return c;
}

}  // namespace linkhub::emulator
