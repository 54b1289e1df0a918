#pragma once

// An Item at Plaid that no account holds (an orphan): billed by Plaid, invisible to the customer.
// Plaid offers no idempotency key for the token exchange and no way to list a client's Items, so
// linkhub records every orphan it learns of, and every exchange whose outcome it cannot know.

#include <optional>
#include <string>
#include <string_view>

#include "core/time_format.h"

namespace linkhub::domain {

//   kDefinite  Plaid holds the Item: a retry of the exchange got INVALID_PUBLIC_TOKEN after an
//              attempt without an answer, the account could not be stored nor the Item removed,
//              or (later) a webhook named an item_id no account holds
//   kPossible  the exchange was sent and no answer came (a crash, a lost connection): Plaid may
//              hold an Item. A retry with the same public token settles it either way.
enum class OrphanCertainty { kDefinite, kPossible };
// "definite", "possible".
std::string_view ToString(OrphanCertainty certainty);
std::optional<OrphanCertainty> ParseOrphanCertainty(std::string_view text);

struct OrphanItem {
  std::string id;  // "orph_...": for an exchange's orphan, OrphanIdForExchange()
  std::string project_id;
  OrphanCertainty certainty = OrphanCertainty::kPossible;
  std::optional<std::string> exchange_id;  // the exchange that made it, when known
  std::optional<std::string> link_session_id;
  std::string item_id_sealed;  // empty when not known (sealed to project, id, "item_id")
  std::optional<std::string> item_id_hash;  // keyed hash: set for an orphan a webhook named
  std::string access_token_sealed;  // empty when not known: then only Plaid support can remove it
  std::string reason;               // safe to log: never a token
  TimePoint created_at;
  std::optional<TimePoint> removed_at;  // removed at Plaid through linkhub
};

// The id of the orphan an exchange may leave: one per exchange, so that what is learnt later
// (a definite answer) updates the same row, and values sealed to the id stay openable.
inline std::string OrphanIdForExchange(std::string_view exchange_id) {
  if (exchange_id.starts_with("exch_")) {
    exchange_id.remove_prefix(5);
  }
  return "orph_" + std::string(exchange_id);
}

// The id of the orphan a Plaid webhook names (by the keyed hash of its item_id): one per Item,
// however often Plaid writes about it.
inline std::string OrphanIdForItem(std::string_view item_id_hash) {
  return "orph_i" + std::string(item_id_hash.substr(0, 24));
}

}  // namespace linkhub::domain
