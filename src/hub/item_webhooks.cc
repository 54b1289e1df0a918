#include "hub/item_webhooks.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "hub/link_settings.h"

namespace linkhub::hub {

Result<WebhookUpdateReport> UpdateItemWebhooks(store::ProjectStore& projects,
                                               store::AccountStore& accounts, Keys& keys,
                                               plaid::PlaidClient& plaid,
                                               const std::string& base_url,
                                               const std::string& project_id) {
  if (PlaidWebhookUrl(base_url, "p").empty()) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "no webhook base URL"));
  }
  std::vector<std::string> project_ids;
  if (project_id.empty()) {
    LINKHUB_ASSIGN_OR_RETURN(auto all, projects.ListProjects());
    for (const auto& p : all) {
      project_ids.push_back(p.id);
    }
  } else {
    LINKHUB_RETURN_IF_ERROR(projects.GetProject(project_id));
    project_ids.push_back(project_id);
  }
  WebhookUpdateReport report;
  for (const auto& pid : project_ids) {
    const std::string url = PlaidWebhookUrl(base_url, pid);
    domain::AccountFilter filter;
    filter.project_id = pid;
    filter.statuses = {domain::AccountStatus::kActive, domain::AccountStatus::kError,
                       domain::AccountStatus::kSuspended};
    filter.limit = 500;
    while (true) {
      LINKHUB_ASSIGN_OR_RETURN(auto page, accounts.ListAccounts(filter));
      for (const auto& a : page) {
        auto token = keys.OpenAccessToken(a);
        if (!token) {
          report.failed.emplace_back(a.id, token.error().message);
          continue;
        }
        auto answer = plaid.Call("/item/webhook/update",
                                 boost::json::object{{"access_token", *token}, {"webhook", url}});
        if (!answer) {
          report.failed.emplace_back(a.id, answer.error().message);
          spdlog::warn("account {}: the Item's webhook was not updated: {}", a.id,
                       answer.error().message);
          continue;
        }
        ++report.updated;
      }
      if (page.size() < static_cast<size_t>(filter.limit)) {
        break;
      }
      filter.offset += filter.limit;
    }
  }
  return report;
}

}  // namespace linkhub::hub
