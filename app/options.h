#pragma once

// linkhub's command line: every option (also from LINKHUB_<OPTION> and --config), and the
// commands it selects. Only app/ sees this.

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace linkhub::app {

struct Options {
  std::string data_dir = "linkhub-data";
  std::string master_key_file;
  bool dev = false;
  std::string log_level = "info";
  std::string log_format = "text";
  // serve
  std::string listen = "127.0.0.1:8080";
  std::string public_url;
  std::string dashboard_public_url;
  int threads = 0;  // 0: one I/O thread per core (see DefineCommands)
  int handler_threads = 16;
  int plaid_threads = 64;
  int plaid_concurrency_per_project = 16;
  int plaid_queue_per_project = 256;
  size_t max_body_bytes = 256 << 10;
  int max_connections = 4096;
  int header_timeout_seconds = 10;
  int read_timeout_seconds = 30;
  int idle_timeout_seconds = 60;
  std::string plaid_env = "sandbox";
  std::string plaid_base_url;
  std::string plaid_client_id;
  std::string plaid_secret;
  std::string plaid_secret_file;
  std::string plaid_client_name = "linkhub";
  std::string plaid_products = "transactions";
  std::string plaid_optional_products;
  std::string plaid_country_codes = "US";
  std::string plaid_language = "en";
  std::string plaid_redirect_uri;
  std::string plaid_webhook_url;
  std::string plaid_link_script_url = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";
  int plaid_timeout_seconds = 30;
  int plaid_retry_attempts = 4;
  int plaid_retry_deadline_seconds = 10;
  std::string plaid_rate_budget = "on";
  bool allow_private_webhook_urls = false;
  int webhook_first_retry_ms = 2000;
  std::string mcp_redact = "none";
  int rate_limit_per_key = 1000;
  int rate_limit_per_ip = 600;
  std::string client_address_header;
  std::string metrics_token;
  // admin
  std::string name;
  std::string project;
  std::string label;
  std::string id;
  std::string backup_to;                       // backup: the new file
  std::optional<std::string> allowed_origins;  // project create/update: comma-separated
  std::optional<std::string> key_actions;      // api-key create: an allow-list, comma-separated
  bool key_read_only = false;                  // api-key create --read-only
};

// Which command the command line named.
struct Commands {
  CLI::App* serve = nullptr;
  CLI::App* project = nullptr;
  CLI::App* project_create = nullptr;
  CLI::App* project_list = nullptr;
  CLI::App* project_update = nullptr;
  CLI::App* key_create = nullptr;
  CLI::App* key_list = nullptr;
  CLI::App* key_revoke = nullptr;
  CLI::App* keys_rotate = nullptr;
  CLI::App* keys_list = nullptr;
  CLI::App* keys_retire = nullptr;
  CLI::App* items_orphans = nullptr;
  CLI::App* items_remove_orphan = nullptr;
  CLI::App* items_update_webhooks = nullptr;
  CLI::App* backup = nullptr;
  bool version = false;
};

// Adds every option and command to `app`, writing into `o`.
Commands DefineCommands(CLI::App& app, Options& o);

}  // namespace linkhub::app
