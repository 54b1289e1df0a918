#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/event.h"

namespace linkhub::store {

// The inbox of verified Plaid webhooks (domain::PlaidWebhook): written when one arrives, read
// by the worker that applies them, kept for an account's timeline. Implementations are
// thread-safe. Errors: kAlreadyExists, kNotFound, kInternal/kUnavailable for the database.
class PlaidWebhookStore {
 public:
  virtual ~PlaidWebhookStore() = default;

  // Keeps a webhook. kAlreadyExists when the project received the same body at or after
  // `duplicates_since` (Plaid retries a delivery it did not see answered): it is applied once.
  virtual Status ReceiveWebhook(const domain::PlaidWebhook& webhook,
                                TimePoint duplicates_since) = 0;
  // Webhooks not applied yet, oldest first.
  virtual Result<std::vector<domain::PlaidWebhook>> ListUnapplied(size_t limit) = 0;
  // Marks a webhook applied, with the account it concerned and what it did. With `event`, also
  // writes that event about the account in the same transaction (a webhook that is only news for
  // the customer, such as new transactions, is reported exactly once).
  virtual Status FinishWebhook(const std::string& webhook_id,
                               const std::optional<std::string>& account_id,
                               const std::string& outcome, std::optional<domain::EventType> event,
                               TimePoint now) = 0;
  // An account's webhooks, newest first.
  virtual Result<std::vector<domain::PlaidWebhook>> ListAccountWebhooks(
      const std::string& project_id, const std::string& account_id, size_t limit) = 0;
  // Deletes applied webhooks received before `before` (their duplicates are no longer expected).
  virtual Status PruneApplied(TimePoint before) = 0;
};

}  // namespace linkhub::store
