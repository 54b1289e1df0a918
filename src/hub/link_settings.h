#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace linkhub::hub {

// What linkhub asks Plaid Link for and which Plaid environment it talks to: the server's Plaid
// configuration (one per server today).
struct LinkSettings {
  std::string environment = "sandbox";  // recorded on every linked account
  std::string client_name = "linkhub";
  std::vector<std::string> products{"transactions"};
  std::vector<std::string> optional_products;
  std::vector<std::string> country_codes{"US"};
  std::string language = "en";
  std::string redirect_uri;  // empty: none
  // Where Plaid sends a project's webhooks: <webhook_base_url>/webhooks/plaid/<project_id>
  // (PlaidWebhookUrl). The server's public URL, or --plaid-webhook-url. Empty: no webhook.
  std::string webhook_base_url;
};

// The webhook URL linkhub gives Plaid for a project's Items: the project is in the path, so it is
// known before the body is trusted. Empty when `base` is.
inline std::string PlaidWebhookUrl(std::string_view base, std::string_view project_id) {
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  if (base.empty()) {
    return "";
  }
  return std::string(base) + "/webhooks/plaid/" + std::string(project_id);
}

}  // namespace linkhub::hub
