#pragma once

#include <string>
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
  std::string webhook_url;   // empty: none
};

}  // namespace linkhub::hub
