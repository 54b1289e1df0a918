#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/time_format.h"
#include "emulator/fixtures.h"

namespace linkhub::emulator {

// The per-Item transactions model. What an Item "has" is a pure function of its parameters and
// of the extraction times up to now: Plaid pulls from the bank at extractions (the initial pull,
// the historical pull, then periodic ones, plus every /transactions/refresh), and only then does
// the data change. An extraction's state is recomputed on demand from a seed, so nothing but the
// refresh times is stored, and the same Item always yields the same transactions.

struct TxAccount {
  std::string account_id;
  const AccountTemplate* account = nullptr;
  // When the Item gained and lost this account (update mode with account selection): a pull
  // sees the account only between the two, so past pulls never change after the fact.
  TimePoint added_at = TimePoint::min();
  TimePoint removed_at = TimePoint::max();
};

struct TxParams {
  std::string item_id;
  uint64_t seed = 0;
  TimePoint created_at;
  int days_requested = 90;
  std::chrono::seconds initial_delay{3};
  std::chrono::seconds historical_delay{10};
  std::chrono::seconds update_interval{6 * 3600};
  std::vector<TimePoint> refreshes;  // ascending
  std::vector<TxAccount> accounts;
};

struct Txn {
  std::string transaction_id;
  std::string account_id;
  std::chrono::sys_days date;
  bool pending = false;
  std::string pending_transaction_id;  // empty: null
  int merchant = 0;                    // index into Fixtures::merchants()
  double amount = 0;
  int version = 0;  // bumps when the bank revises a posted transaction
  int hour = 12;    // of the transaction's datetime
  std::string currency;
};

enum class UpdateStatus { kNotReady, kInitialComplete, kHistoricalComplete };
const char* UpdateStatusName(UpdateStatus s);

// Extraction times up to and including `now`, ascending. Index i is "version i + 1".
std::vector<TimePoint> Extractions(const TxParams& p, TimePoint now);
UpdateStatus StatusAt(const TxParams& p, TimePoint t);

// The transactions visible after the extraction at time `e` (empty before the first), sorted by
// date then id.
std::vector<Txn> StateAt(const TxParams& p, const Fixtures& fixtures, TimePoint e);

struct TxDiff {
  std::vector<const Txn*> added;
  std::vector<const Txn*> modified;
  std::vector<const Txn*> removed;
  size_t size() const { return added.size() + modified.size() + removed.size(); }
};
// Changes from `before` to `after` (pointers into those vectors).
TxDiff Diff(const std::vector<Txn>& before, const std::vector<Txn>& after);

// Plaid's Transaction object for `t`.
boost::json::object TransactionJson(const Txn& t, const Fixtures& fixtures,
                                    bool original_description);

// Sync cursors: opaque base64 of (item check, from version, to version, offset).
struct SyncCursor {
  uint32_t from = 0;
  uint32_t to = 0;
  uint32_t offset = 0;
  uint32_t filter = 0;  // a hash of the options.account_id the cursor was made for (0: none)
};
// The cursor `filter` value for an options.account_id (0 for none).
uint32_t CursorFilter(std::string_view account_id);
std::string EncodeCursor(const std::string& item_id, const SyncCursor& c);
// nullopt when malformed or minted for another Item.
std::optional<SyncCursor> DecodeCursor(const std::string& item_id, std::string_view text);

}  // namespace linkhub::emulator
