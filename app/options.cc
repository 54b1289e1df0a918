#include "app/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <thread>

namespace linkhub::app {

Commands DefineCommands(CLI::App& app, Options& o) {
  Commands c;
  // One I/O thread per core: each runs its own connections (see http::Server).
  o.threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 64u));
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.add_flag("--version", c.version, "print the version and exit");
  // CLI11 reads the config file before the environment, so LINKHUB_CONFIG is its default here.
  const char* config_env = std::getenv("LINKHUB_CONFIG");
  std::string config_default = config_env != nullptr ? config_env : "";
  app.set_config("--config", config_default,
                 "read options from this TOML/INI file (flat keys, e.g. plaid-client-id = "
                 "\"...\"); env LINKHUB_CONFIG",
                 !config_default.empty());
  auto env = [](const char* name) { return std::string("LINKHUB_") + name; };
  app.add_option("--data-dir", o.data_dir, "directory of the SQLite database")
      ->envname(env("DATA_DIR"))
      ->capture_default_str();
  app.add_option("--master-key-file", o.master_key_file,
                 "file holding the master key (base64 of 32 bytes); or set LINKHUB_MASTER_KEY")
      ->envname(env("MASTER_KEY_FILE"));
  app.add_flag("--dev", o.dev,
               "run without a master key: an ephemeral one is generated and nothing stored "
               "survives a restart")
      ->envname(env("DEV"));
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->envname(env("LOG_LEVEL"))
      ->capture_default_str();
  app.add_option("--log-format", o.log_format,
                 "text, or json: one JSON object per line (time, level, message, request_id and "
                 "the line's key=value fields)")
      ->check(CLI::IsMember({"text", "json"}))
      ->envname(env("LOG_FORMAT"))
      ->capture_default_str();

  c.serve = app.add_subcommand("serve", "run the HTTP server");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->envname(env("LISTEN"))
      ->capture_default_str();
  app.add_option("--public-url", o.public_url,
                 "URL where browsers reach this server, for auth links (default: the listen URL)")
      ->envname(env("PUBLIC_URL"));
  app.add_option("--dashboard-public-url", o.dashboard_public_url,
                 "serve the operator dashboard only at this origin (e.g. "
                 "https://linkhub-admin.example.com), another than --public-url's: the Hub page, "
                 "which runs Plaid's Link script, then never shares an origin with a signed-in "
                 "operator. Unset: the dashboard is at the public URL")
      ->envname(env("DASHBOARD_PUBLIC_URL"));
  app.add_option("--threads", o.threads,
                 "I/O threads; each serves its own connections (default: one per core)")
      ->check(CLI::Range(1, 64))
      ->envname(env("THREADS"))
      ->capture_default_str();
  app.add_option("--handler-threads", o.handler_threads,
                 "threads for request handlers that need no Plaid call (they wait on the "
                 "database)")
      ->check(CLI::Range(1, 256))
      ->envname(env("HANDLER_THREADS"))
      ->capture_default_str();
  app.add_option("--plaid-threads", o.plaid_threads,
                 "threads for requests that may wait on Plaid, apart from every other request")
      ->check(CLI::Range(1, 1024))
      ->envname(env("PLAID_THREADS"))
      ->capture_default_str();
  app.add_option("--plaid-concurrency-per-project", o.plaid_concurrency_per_project,
                 "requests that may call Plaid one project runs at once; more wait in its queue")
      ->check(CLI::Range(1, 1024))
      ->envname(env("PLAID_CONCURRENCY_PER_PROJECT"))
      ->capture_default_str();
  app.add_option("--plaid-queue-per-project", o.plaid_queue_per_project,
                 "requests of one project that may wait for a Plaid slot (then 503 with "
                 "Retry-After); each waits at most --plaid-timeout")
      ->check(CLI::Range(0, 100000))
      ->envname(env("PLAID_QUEUE_PER_PROJECT"))
      ->capture_default_str();
  app.add_option("--max-body-bytes", o.max_body_bytes, "largest request body accepted")
      ->check(CLI::Range(size_t{1024}, size_t{16} << 20))
      ->envname(env("MAX_BODY_BYTES"))
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "client connections open at once; past it a new one is answered 503 with "
                 "Retry-After and closed. 0: no cap (the descriptor limit is raised to fit it)")
      ->check(CLI::Range(0, 1'000'000))
      ->envname(env("MAX_CONNECTIONS"))
      ->capture_default_str();
  app.add_option("--header-timeout", o.header_timeout_seconds,
                 "seconds a request's header may take once its first byte came (slow clients "
                 "are cut off)")
      ->check(CLI::Range(1, 3600))
      ->envname(env("HEADER_TIMEOUT"))
      ->capture_default_str();
  app.add_option("--read-timeout", o.read_timeout_seconds,
                 "seconds a request's body may take once its header came, and an answer to be "
                 "written")
      ->check(CLI::Range(1, 3600))
      ->envname(env("READ_TIMEOUT"))
      ->capture_default_str();
  app.add_option("--idle-timeout", o.idle_timeout_seconds,
                 "seconds a keep-alive connection may wait for its next request")
      ->check(CLI::Range(1, 3600))
      ->envname(env("IDLE_TIMEOUT"))
      ->capture_default_str();
  app.add_option("--plaid-env", o.plaid_env,
                 "Plaid environment: sandbox or production (sets the base URL and is recorded on "
                 "each account)")
      ->check(CLI::IsMember({"sandbox", "production"}))
      ->envname(env("PLAID_ENV"))
      ->capture_default_str();
  app.add_option("--plaid-base-url", o.plaid_base_url,
                 "Plaid's base URL instead of the environment's (e.g. the plaid-emulator)")
      ->envname(env("PLAID_BASE_URL"));
  app.add_option("--plaid-client-id", o.plaid_client_id, "Plaid client_id")
      ->envname(env("PLAID_CLIENT_ID"));
  app.add_option("--plaid-secret", o.plaid_secret,
                 "Plaid secret (prefer LINKHUB_PLAID_SECRET or --plaid-secret-file: command "
                 "lines are visible to other users)")
      ->envname(env("PLAID_SECRET"));
  app.add_option("--plaid-secret-file", o.plaid_secret_file, "file holding the Plaid secret")
      ->envname(env("PLAID_SECRET_FILE"));
  app.add_option("--plaid-client-name", o.plaid_client_name, "name Plaid Link shows (max 30)")
      ->envname(env("PLAID_CLIENT_NAME"))
      ->capture_default_str();
  app.add_option("--plaid-products", o.plaid_products, "comma-separated products to link with")
      ->envname(env("PLAID_PRODUCTS"))
      ->capture_default_str();
  app.add_option("--plaid-optional-products", o.plaid_optional_products,
                 "comma-separated products added when the institution supports them")
      ->envname(env("PLAID_OPTIONAL_PRODUCTS"));
  app.add_option("--plaid-country-codes", o.plaid_country_codes, "comma-separated country codes")
      ->envname(env("PLAID_COUNTRY_CODES"))
      ->capture_default_str();
  app.add_option("--plaid-language", o.plaid_language, "Link's language")
      ->envname(env("PLAID_LANGUAGE"))
      ->capture_default_str();
  app.add_option("--plaid-redirect-uri", o.plaid_redirect_uri,
                 "OAuth redirect URI registered with Plaid (the Hub page)")
      ->envname(env("PLAID_REDIRECT_URI"));
  app.add_option("--plaid-webhook-url", o.plaid_webhook_url,
                 "base URL Plaid sends Item webhooks to (linkhub adds /webhooks/plaid/<project>); "
                 "default: --public-url")
      ->envname(env("PLAID_WEBHOOK_URL"));
  app.add_flag("--allow-private-webhook-urls", o.allow_private_webhook_urls,
               "let webhook endpoints point at loopback and private addresses (tests, demos, a "
               "receiver on the same network)")
      ->envname(env("ALLOW_PRIVATE_WEBHOOK_URLS"));
  app.add_option("--webhook-first-retry-ms", o.webhook_first_retry_ms,
                 "milliseconds before an event delivery that failed is tried again; each retry "
                 "then waits twice as long (with jitter), at most an hour, for 24 hours")
      ->check(CLI::Range(10, 600000))
      ->envname(env("WEBHOOK_FIRST_RETRY_MS"))
      ->capture_default_str();
  app.add_option("--plaid-link-script-url", o.plaid_link_script_url,
                 "Plaid Link's script for the Hub page")
      ->envname(env("PLAID_LINK_SCRIPT_URL"))
      ->capture_default_str();
  app.add_option("--plaid-timeout", o.plaid_timeout_seconds, "seconds allowed per Plaid call")
      ->check(CLI::Range(1, 300))
      ->envname(env("PLAID_TIMEOUT"))
      ->capture_default_str();
  app.add_option("--plaid-retry-attempts", o.plaid_retry_attempts,
                 "attempts for a read that fails for a passing reason (rate limit, institution "
                 "down, Plaid 5xx, no answer); writes are never retried")
      ->check(CLI::Range(1, 10))
      ->envname(env("PLAID_RETRY_ATTEMPTS"))
      ->capture_default_str();
  app.add_option("--plaid-retry-deadline", o.plaid_retry_deadline_seconds,
                 "seconds after which no retry starts")
      ->check(CLI::Range(0, 120))
      ->envname(env("PLAID_RETRY_DEADLINE"))
      ->capture_default_str();
  app.add_option("--plaid-rate-budget", o.plaid_rate_budget,
                 "on: refuse (429) a call Plaid's per-Item limit would refuse, before calling; "
                 "off: leave it to Plaid")
      ->check(CLI::IsMember({"on", "off"}))
      ->envname(env("PLAID_RATE_BUDGET"))
      ->capture_default_str();
  app.add_option("--rate-limit-per-key", o.rate_limit_per_key,
                 "requests a minute one API key may send (every door: management API, RPC, MCP, "
                 "proxy); past it 429 with Retry-After. 0: no limit")
      ->check(CLI::Range(0, 100'000'000))
      ->envname(env("RATE_LIMIT_PER_KEY"))
      ->capture_default_str();
  app.add_option("--rate-limit-per-ip", o.rate_limit_per_ip,
                 "requests a minute one client address may send to the Hub API (/hub/*) and the "
                 "dashboard's sign-in, where session tokens and keys would be guessed; past it "
                 "429 with Retry-After. 0: no limit")
      ->check(CLI::Range(0, 100'000'000))
      ->envname(env("RATE_LIMIT_PER_IP"))
      ->capture_default_str();
  app.add_option("--client-address-header", o.client_address_header,
                 "behind a reverse proxy: the header holding the client's address (e.g. "
                 "X-Forwarded-For; its last entry counts). Unset: the TCP peer's address. Set it "
                 "only when the proxy always writes that header")
      ->envname(env("CLIENT_ADDRESS_HEADER"));
  app.add_option("--metrics-token", o.metrics_token,
                 "require Authorization: Bearer with this token on GET /metrics (prefer the "
                 "environment variable, which other users cannot read from the process list). "
                 "Unset: /metrics is open, like /healthz")
      ->envname(env("METRICS_TOKEN"));
  app.add_option("--mcp-redact", o.mcp_redact,
                 "identity: mask account holders' names, e-mail addresses, phone numbers and "
                 "addresses in identity results given to agents over /mcp (the RPC API is "
                 "unchanged); none: give them as Plaid sent them")
      ->check(CLI::IsMember({"none", "identity"}))
      ->envname(env("MCP_REDACT"))
      ->capture_default_str();

  CLI::App* project = c.project = app.add_subcommand("project", "manage projects (tenants)");
  project->require_subcommand(1);
  CLI::App* project_create = c.project_create =
      project->add_subcommand("create", "create a project and print its first API key");
  project_create->add_option("--name", o.name, "project name")->required();
  c.project_list = project->add_subcommand("list", "list projects");
  CLI::App* project_update = c.project_update =
      project->add_subcommand("update", "change a project's settings");
  project_update->add_option("--project", o.project, "project id")->required();
  const char* origins_help =
      "comma-separated browser origins (https://app.example.com) allowed to call the Hub API "
      "and embed the Hub page; empty: any origin";
  project_create->add_option("--allowed-origins", o.allowed_origins, origins_help);
  project_update->add_option("--allowed-origins", o.allowed_origins, origins_help)->required();

  CLI::App* api_key = app.add_subcommand("api-key", "manage a project's API keys");
  api_key->require_subcommand(1);
  CLI::App* key_create = c.key_create =
      api_key->add_subcommand("create", "create an API key (shown once)");
  CLI::App* key_list = c.key_list =
      api_key->add_subcommand("list", "list API keys (never the keys)");
  CLI::App* key_revoke = c.key_revoke = api_key->add_subcommand("revoke", "revoke an API key");
  for (CLI::App* command : {key_create, key_list, key_revoke}) {
    command->add_option("--project", o.project, "project id")->required();
  }
  key_create->add_option("--label", o.label, "a label to tell keys apart");
  key_create->add_option("--actions", o.key_actions,
                         "limit the key to these actions (comma-separated ids, as GET /actions "
                         "lists them), on every door: RPC, MCP and the proxy");
  key_create->add_flag("--read-only", o.key_read_only,
                       "limit the key to actions that change nothing at Plaid");
  key_revoke->add_option("--id", o.id, "API key id (key_...)")->required();

  CLI::App* keys = app.add_subcommand("keys", "manage the data keys that encrypt stored secrets");
  keys->require_subcommand(1);
  c.keys_rotate = keys->add_subcommand(
      "rotate", "add a new data key and re-encrypt every stored secret with it (online)");
  c.keys_list = keys->add_subcommand("list", "list data keys");
  CLI::App* keys_retire = c.keys_retire =
      keys->add_subcommand("retire", "retire an old data key no stored value uses any more");
  keys_retire->add_option("--id", o.id, "data key id")->required();

  CLI::App* items = app.add_subcommand("items", "Plaid Items that need an operator");
  items->require_subcommand(1);
  CLI::App* orphans = c.items_orphans = items->add_subcommand(
      "orphans",
      "list Items Plaid may hold that no account does (orphans), definite or possible, with "
      "their link_session_id");
  orphans->add_option("--project", o.project, "only this project's");
  CLI::App* remove_orphan = c.items_remove_orphan = items->add_subcommand(
      "remove-orphan", "remove an orphan's Item at Plaid (when linkhub kept its access token)");
  remove_orphan->add_option("--project", o.project, "project id")->required();
  remove_orphan->add_option("--id", o.id, "orphan id (orph_...) or the Item's item_id")->required();
  CLI::App* update_webhooks = c.items_update_webhooks = items->add_subcommand(
      "update-webhooks",
      "point every live Item at this server's webhook URL (--plaid-webhook-url, else "
      "--public-url) with /item/webhook/update, after the public URL changed");
  update_webhooks->add_option("--project", o.project, "only this project's Items");

  CLI::App* backup = c.backup = app.add_subcommand(
      "backup",
      "copy the data directory's database to a new file while the server keeps running "
      "(SQLite's online backup: one consistent moment, checked before it is kept); the master "
      "key is not in it: keep that apart");
  backup->add_option("--to", o.backup_to, "the new file (never replaced; mode 0600)")->required();
  return c;
}

}  // namespace linkhub::app
