#pragma once

// The exchange journal: the durable witness of what happened at Plaid during a public-token
// exchange, written the moment it happens and read at start-up.
//
// Plaid offers no idempotency key for /item/public_token/exchange and no way to list Items, so
// an access token that dies with the process leaves a billed Item nobody can reach. The journal
// keeps that window as short as the disk allows: the sealed answer is written (and flushed to
// the disk) before anything else is done with it, so only a crash between the last byte from
// Plaid and that write can lose it. It also records, before the request goes out, that it is
// about to, so that after a crash linkhub can say whether an exchange never reached Plaid (safe
// to retry) or its outcome is unknown.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/account.h"

namespace linkhub::store {

// What the journal knows of one exchange.
struct JournalEntry {
  bool sent = false;  // the exchange request was about to go to Plaid (perhaps it never did)
  // Plaid's answer, as the account it makes: every column set, the access token and item id
  // sealed for that account. Present once Plaid answered.
  std::optional<domain::LinkedAccount> answer;
  bool removed = false;  // the answer's Item was removed at Plaid: the answer must not be used
};

// Every Record* is durable when it returns OK (written and flushed to the disk). Thread-safe.
// Errors: kInternal/kUnavailable for the file system (an exchange that cannot be journaled must
// not go on).
class ExchangeJournal {
 public:
  virtual ~ExchangeJournal() = default;

  // The exchange's request is about to be sent to Plaid.
  virtual Status RecordSending(std::string_view exchange_id) = 0;
  // Plaid answered: `account` is the account the answer makes (sealed columns only).
  virtual Status RecordAnswer(std::string_view exchange_id,
                              const domain::LinkedAccount& account) = 0;
  // The answer's Item was removed at Plaid (the account could not be stored).
  virtual Status RecordRemoved(std::string_view exchange_id) = 0;
  // The exchange is closed in the store (linked or failed): its records are no longer needed.
  // Never fails: the records are dropped when the journal is next compacted.
  virtual void Forget(std::string_view exchange_id) = 0;

  // What the journal holds, by exchange id. Read at start-up, before any exchange runs.
  virtual Result<std::map<std::string, JournalEntry>> Read() = 0;
  // Keeps only the records of exchanges not forgotten, durably (at start-up, once every pending
  // exchange has been settled, that is none).
  virtual Status Compact() = 0;
};

}  // namespace linkhub::store
