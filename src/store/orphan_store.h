#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/orphan.h"

namespace linkhub::store {

// Items at Plaid that no account holds, and exchanges whose outcome is unknown (see
// domain::OrphanItem). An exchange's possible orphan is forgotten when the exchange links
// (ExchangeStore::CompleteExchange, in the same transaction). Implementations are thread-safe.
// Errors: kNotFound, kInternal/kUnavailable for the database itself.
class OrphanStore {
 public:
  virtual ~OrphanStore() = default;

  // Records an orphan, or updates the one with the same id (a possible orphan becomes definite;
  // sealed values and the link session are kept unless the new record has them).
  virtual Status RecordOrphan(const domain::OrphanItem& orphan) = 0;
  // The orphan with `orphan_id` (removed or not), or nullopt.
  virtual Result<std::optional<domain::OrphanItem>> FindOrphan(const std::string& orphan_id) = 0;
  // Marks an orphan removed at Plaid. kNotFound for another project's or an unknown id.
  virtual Status MarkOrphanRemoved(const std::string& project_id, const std::string& orphan_id,
                                   TimePoint now) = 0;
  // Orphans not removed, newest first; an empty `project_id` lists every project's.
  virtual Result<std::vector<domain::OrphanItem>> ListOrphans(const std::string& project_id) = 0;
};

}  // namespace linkhub::store
