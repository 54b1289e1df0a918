#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "hub/keys.h"
#include "plaid/plaid_client.h"
#include "store/account_store.h"
#include "store/project_store.h"

namespace linkhub::hub {

struct WebhookUpdateReport {
  int updated = 0;
  std::vector<std::pair<std::string, std::string>> failed;  // account id, Plaid's message
};

// Points every live Item (active, in error or suspended) of `project_id` (every project when
// empty) at PlaidWebhookUrl(base_url, its project) with /item/webhook/update: for a new public
// URL. An Item Plaid refuses is reported and the rest go on. Blocking (database and Plaid).
Result<WebhookUpdateReport> UpdateItemWebhooks(store::ProjectStore& projects,
                                               store::AccountStore& accounts, Keys& keys,
                                               plaid::PlaidClient& plaid,
                                               const std::string& base_url,
                                               const std::string& project_id);

}  // namespace linkhub::hub
