#pragma once

// A public-token exchange as it is recorded before Plaid is called (see hub/linker_impl.cc for
// why the record comes first).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time_format.h"

namespace linkhub::domain {

//   kPending  recorded; Plaid called or about to be (a crash leaves it so)
//   kLinked   the account was stored in the same transaction that closed the record
//   kFailed   closed without an account; `failure` says why (a retry may reopen it)
enum class ExchangeState { kPending, kLinked, kFailed };
// "pending", "linked", "failed".
std::string_view ToString(ExchangeState state);
std::optional<ExchangeState> ParseExchangeState(std::string_view text);

// A public-token exchange that was started: recorded before Plaid is called so that a crash
// leaves a trace. Holds only the keyed hash of the public token.
struct PendingExchange {
  std::string id;
  std::string project_id;
  int64_t session_id = 0;
  std::string public_token_hash;
  std::string account_id;  // the id the linked account gets
  std::string origin_owner_id;
  std::optional<std::string> institution_id;
  std::optional<std::string> link_session_id;
  ExchangeState state = ExchangeState::kPending;
  std::optional<std::string> failure;  // safe to log: never a token
  // Whether the exchange journal witnesses this exchange's attempts (see store/exchange_journal.h);
  // false only for exchanges begun by a linkhub older than the journal.
  bool journaled = true;
  TimePoint created_at;
  std::optional<TimePoint> closed_at;
};

}  // namespace linkhub::domain
