#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/orphan.h"

namespace linkhub::hub {

// An orphaned Item as an operator sees it: the record, and what linkhub can open of it.
struct OrphanView {
  domain::OrphanItem orphan;
  std::optional<std::string> item_id;  // when Plaid ever said it
  bool removable = false;              // its access token is kept: linkhub can remove it
};

// Items at Plaid that no account holds (see domain::OrphanItem): listing them, and removing
// those whose access token linkhub kept. Blocking (database; Plaid for Remove); thread-safe.
class Orphans {
 public:
  virtual ~Orphans() = default;

  // Orphans not removed, newest first; "" lists every project's.
  virtual Result<std::vector<OrphanView>> List(const std::string& project_id) = 0;
  // Removes the orphan's Item at Plaid (/item/remove) and marks it removed. `id` is the orphan's
  // id, or the item_id of the Item it holds. kNotFound for
  // another project's or an unknown id; kFailedPrecondition when linkhub never had the access
  // token (only Plaid support can remove it then); Plaid's errors otherwise.
  virtual Result<OrphanView> Remove(const std::string& project_id, const std::string& id) = 0;
};

}  // namespace linkhub::hub
