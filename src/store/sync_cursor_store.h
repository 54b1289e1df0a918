#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "core/time_format.h"

namespace linkhub::store {

// The /transactions/sync cursors the hub keeps per account and consumer (a name the caller
// chooses), so that a caller need not store Plaid's cursor itself. Implementations are
// thread-safe. Errors: kInternal/kUnavailable for the database itself.
class SyncCursorStore {
 public:
  virtual ~SyncCursorStore() = default;

  // The stored cursor of one consumer of an account; nullopt when none.
  virtual Result<std::optional<std::string>> GetSyncCursor(const std::string& project_id,
                                                           const std::string& account_id,
                                                           const std::string& consumer) = 0;
  // Stores (or, with an empty cursor, deletes) a consumer's cursor.
  virtual Status PutSyncCursor(const std::string& project_id, const std::string& account_id,
                               const std::string& consumer, const std::string& cursor,
                               TimePoint now) = 0;
};

}  // namespace linkhub::store
