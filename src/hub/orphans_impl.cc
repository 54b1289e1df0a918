#include "hub/orphans_impl.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

namespace linkhub::hub {

OrphanView OrphansImpl::View(const domain::OrphanItem& orphan) {
  OrphanView v;
  v.orphan = orphan;
  if (!orphan.item_id_sealed.empty()) {
    if (auto id = keys_.Open(orphan.project_id, orphan.id, "item_id", orphan.item_id_sealed)) {
      v.item_id = std::move(*id);
    }
  }
  v.removable = !orphan.access_token_sealed.empty();
  return v;
}

Result<std::vector<OrphanView>> OrphansImpl::List(const std::string& project_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto listed, orphans_.ListOrphans(project_id));
  std::vector<OrphanView> out;
  out.reserve(listed.size());
  for (const auto& o : listed) {
    out.push_back(View(o));
  }
  return out;
}

Result<OrphanView> OrphansImpl::Remove(const std::string& project_id, const std::string& id) {
  std::string orphan_id = id;
  if (!id.starts_with("orph_")) {
    // An item_id: the orphan that names it (a project has few orphans).
    LINKHUB_ASSIGN_OR_RETURN(auto listed, List(project_id));
    for (const auto& v : listed) {
      if (v.item_id && *v.item_id == id) {
        orphan_id = v.orphan.id;
      }
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(std::optional<domain::OrphanItem> found, orphans_.FindOrphan(orphan_id));
  if (project_id.empty() || !found || found->project_id != project_id || found->removed_at) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "orphan " + orphan_id + " not found"));
  }
  const domain::OrphanItem& o = *found;
  if (o.access_token_sealed.empty()) {
    std::string which = o.link_session_id ? "of link_session_id " + *o.link_session_id
                        : o.item_id_hash  ? "with the item_id `linkhub items orphans` lists"
                                          : "of link_session_id (none recorded)";
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "linkhub never received this Item's access token, so it cannot "
                                "remove it: ask Plaid support to remove the Item " +
                                    which));
  }
  if (plaid_ == nullptr) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition, "removing needs Plaid"));
  }
  LINKHUB_ASSIGN_OR_RETURN(std::string token,
                           keys_.Open(o.project_id, o.id, "access_token", o.access_token_sealed));
  auto removed = plaid_->Call("/item/remove", boost::json::object{{"access_token", token}});
  if (!removed) {
    // An Item Plaid no longer knows is as removed as it gets.
    const auto& p = removed.error().provider;
    bool gone = p && (p->error_code == "ITEM_NOT_FOUND" || p->error_code == "INVALID_ACCESS_TOKEN");
    if (!gone) {
      return Unexpected(std::move(removed).error());
    }
  }
  LINKHUB_RETURN_IF_ERROR(orphans_.MarkOrphanRemoved(project_id, orphan_id, clock_.Now()));
  spdlog::info("orphan {} (project {}): its Item was removed at Plaid", orphan_id, project_id);
  OrphanView v = View(o);
  v.orphan.removed_at = clock_.Now();
  v.orphan.access_token_sealed.clear();
  v.removable = false;
  return v;
}

}  // namespace linkhub::hub
