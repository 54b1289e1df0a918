#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "domain/account.h"
#include "domain/exchange.h"

namespace linkhub::store {

// Public-token exchanges (see domain::PendingExchange) and the one write that turns an exchange
// into a linked account. Implementations are thread-safe. Errors: kNotFound, kAlreadyExists,
// kFailedPrecondition (the exchange is not in the state the write needs), kInternal/kUnavailable
// for the database itself.
class ExchangeStore {
 public:
  virtual ~ExchangeStore() = default;

  // Records a new pending exchange. kAlreadyExists when one with the same token hash exists.
  virtual Status BeginExchange(const domain::PendingExchange& pending) = 0;
  virtual Result<domain::PendingExchange> FindExchange(const std::string& public_token_hash) = 0;
  // Turns a failed exchange back into a pending one (a retry). kFailedPrecondition unless it
  // was failed.
  virtual Status ReopenExchange(const std::string& exchange_id, TimePoint now) = 0;
  // In one transaction: inserts `account` (sealed columns included), marks the exchange linked,
  // and forgets the exchange's possible orphan (see OrphanStore: an exchange that links proves
  // its earlier attempts made no Item), and writes the account.created event (the outbox).
  // kFailedPrecondition unless the exchange was pending;
  // nothing is written on error.
  virtual Status CompleteExchange(const std::string& exchange_id,
                                  const domain::LinkedAccount& account, TimePoint now) = 0;
  // Marks a pending exchange failed with a reason (safe to log: never a token).
  // kFailedPrecondition unless it was pending.
  virtual Status FailExchange(const std::string& exchange_id, const std::string& failure,
                              TimePoint now) = 0;
  // Every exchange still pending, oldest first.
  virtual Result<std::vector<domain::PendingExchange>> ListPendingExchanges() = 0;
};

}  // namespace linkhub::store
