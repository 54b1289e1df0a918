// linkhub: the hub's composition root — the only place where real dependencies (SQLite, libcurl,
// the system clock and randomness) are built and handed to the modules.
#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "api/api.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/random.h"
#include "core/strings.h"
#include "http/address.h"
#include "http/async_http_client.h"
#include "http/curl_http_client.h"
#include "http/server.h"
#include "hub/actions.h"
#include "hub/call_log.h"
#include "hub/dashboard_sessions.h"
#include "hub/hub.h"
#include "hub/keys.h"
#include "hub/origins.h"
#include "hub/projects.h"
#include "plaid/http_plaid_client.h"
#include "plaid/rate_budget.h"
#include "plaid/retrying_plaid_client.h"
#include "store/migrations.h"
#include "store/sqlite_dashboard_session_store.h"
#include "store/sqlite_db.h"
#include "store/sqlite_hub_store.h"
#include "store/sqlite_project_store.h"

namespace {

using namespace linkhub;

constexpr const char* kPlaidCdnScript = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";

struct Options {
  std::string data_dir = "linkhub-data";
  std::string master_key_file;
  bool dev = false;
  std::string log_level = "info";
  // serve
  std::string listen = "127.0.0.1:8080";
  std::string public_url;
  // One I/O thread per core: each runs its own connections (see http::Server).
  int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 64u));
  int handler_threads = 16;
  size_t max_body_bytes = 256 << 10;
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
  std::string plaid_link_script_url = kPlaidCdnScript;
  int plaid_timeout_seconds = 30;
  int plaid_retry_attempts = 4;
  int plaid_retry_deadline_seconds = 10;
  std::string plaid_rate_budget = "on";
  // admin
  std::string name;
  std::string project;
  std::string label;
  std::string id;
  std::optional<std::string> allowed_origins;  // project create/update: comma-separated
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "linkhub: " << message << "\n";
  std::exit(1);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string ReadFileOrFail(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail(std::string("cannot read the ") + what + " file " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The master key: LINKHUB_MASTER_KEY (base64 of 32 bytes), else --master-key-file (the same
// base64 text), else, only with --dev, a random one that dies with the process.
std::string ResolveMasterKey(const Options& o, Random& random) {
  std::string text;
  if (const char* env = std::getenv("LINKHUB_MASTER_KEY"); env != nullptr && *env != '\0') {
    text = env;
  } else if (!o.master_key_file.empty()) {
    text = Trim(ReadFileOrFail(o.master_key_file, "master key"));
  } else if (o.dev) {
    std::string key(32, '\0');
    random.Fill(key.data(), key.size());
    spdlog::warn(
        "*** DEV MODE: using an ephemeral master key. Everything stored now becomes "
        "unreadable when this process stops. Never use --dev for real accounts. ***");
    return key;
  } else {
    Fail(
        "no master key: set LINKHUB_MASTER_KEY to the base64 of 32 random bytes (e.g. "
        "`head -c32 /dev/urandom | base64`) or pass --master-key-file; --dev runs with a "
        "throwaway key");
  }
  auto key = Base64Decode(Trim(text));
  if (!key || key->size() != 32) {
    Fail("the master key must be the base64 encoding of exactly 32 bytes");
  }
  return *key;
}

// Everything that works on the data directory.
struct DataDir {
  std::unique_ptr<store::SqliteDb> db;
  std::unique_ptr<store::SqliteProjectStore> projects;
  std::unique_ptr<store::SqliteHubStore> hub;
  std::unique_ptr<hub::Keys> keys;
};

DataDir OpenDataDir(const Options& o, const std::string& master_key, Clock& clock, Random& random) {
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) {
    Fail("cannot create the data directory " + o.data_dir + ": " + ec.message());
  }
  ::chmod(o.data_dir.c_str(), 0700);
  ::umask(077);
  DataDir d;
  auto db = store::SqliteDb::Open(o.data_dir + "/linkhub.db");
  if (!db) {
    Fail(db.error().message);
  }
  d.db = std::move(*db);
  if (auto v = store::Migrate(*d.db, store::SqliteMigrations()); !v) {
    Fail(v.error().message);
  }
  d.projects = std::make_unique<store::SqliteProjectStore>(*d.db);
  d.hub = std::make_unique<store::SqliteHubStore>(*d.db);
  auto keys = hub::Keys::Open(master_key, *d.projects, random, clock);
  if (!keys) {
    Fail(keys.error().message);
  }
  d.keys = std::move(*keys);
  return d;
}

void PrintJson(const boost::json::value& v) { std::cout << ToPrettyJson(v) << "\n"; }

#ifdef LINKHUB_TEST_HOOKS
// Test builds only: LINKHUB_TEST_CRASH_AT=<point> kills the process with SIGKILL there.
class CrashHook final : public hub::FaultHook {
 public:
  explicit CrashHook(std::string point) : point_(std::move(point)) {}
  void At(std::string_view point) override {
    if (point == point_) {
      spdlog::warn("test hook: SIGKILL at {}", point);
      spdlog::default_logger()->flush();
      ::raise(SIGKILL);
    }
  }

 private:
  std::string point_;
};
#endif

int Serve(const Options& o) {
  SystemClock clock;
  SecureRandom random;
  Options opts = o;
  std::string master_key = ResolveMasterKey(o, random);
  const char* env_key = std::getenv("LINKHUB_MASTER_KEY");
  bool ephemeral = o.dev && o.master_key_file.empty() && (env_key == nullptr || *env_key == '\0');
  if (ephemeral && o.data_dir != Options{}.data_dir) {
    spdlog::warn(
        "dev mode with --data-dir {}: what is stored there now cannot be read with any "
        "other key later",
        o.data_dir);
  }
  if (ephemeral && o.data_dir == Options{}.data_dir) {
    // An ephemeral key cannot read an earlier run's data: give it a fresh directory.
    char tmpl[] = "/tmp/linkhub-dev-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      Fail("cannot create a temporary data directory");
    }
    opts.data_dir = tmpl;
    spdlog::warn("dev mode: data in {}", opts.data_dir);
  }
  DataDir d = OpenDataDir(opts, master_key, clock, random);
  // One server per data directory: the double-submit and per-owner guards of the exchange live
  // in the process. (Admin commands may run beside it.)
  std::string lock_path = opts.data_dir + "/serve.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    Fail("another linkhub serve is running on " + opts.data_dir +
         " (one server per data directory)");
  }

  plaid::PlaidConfig plaid_config;
  if (!o.plaid_base_url.empty()) {
    plaid_config.base_url = o.plaid_base_url;
  } else {
    auto url = plaid::BaseUrlForEnvironment(o.plaid_env);
    if (!url) {
      Fail(url.error().message);
    }
    plaid_config.base_url = *url;
  }
  while (!plaid_config.base_url.empty() && plaid_config.base_url.back() == '/') {
    plaid_config.base_url.pop_back();
  }
  plaid_config.client_id = o.plaid_client_id;
  plaid_config.secret = o.plaid_secret_file.empty()
                            ? o.plaid_secret
                            : Trim(ReadFileOrFail(o.plaid_secret_file, "Plaid secret"));
  if (plaid_config.client_id.empty() || plaid_config.secret.empty()) {
    Fail(
        "Plaid credentials are missing: set --plaid-client-id and --plaid-secret (or "
        "--plaid-secret-file, LINKHUB_PLAID_CLIENT_ID, LINKHUB_PLAID_SECRET)");
  }
  plaid_config.timeout = std::chrono::seconds(o.plaid_timeout_seconds);

  hub::LinkSettings link;
  link.environment = o.plaid_env;
  link.client_name = o.plaid_client_name;
  link.products = SplitCommaList(o.plaid_products);
  link.optional_products = SplitCommaList(o.plaid_optional_products);
  link.country_codes = SplitCommaList(o.plaid_country_codes);
  link.language = o.plaid_language;
  link.redirect_uri = o.plaid_redirect_uri;
  link.webhook_url = o.plaid_webhook_url;
  for (const auto& p : link.products) {
    if (!hub::IsLinkProduct(p)) {
      Fail("--plaid-products: '" + p + "' is not a Plaid product Link accepts");
    }
  }
  if (link.products.empty()) {
    Fail("--plaid-products needs at least one product");
  }

  http::CurlOptions curl_options;
  http::CurlHttpClient http_client(curl_options);
  plaid::HttpPlaidClient direct_client(http_client, clock, plaid_config);
  plaid::RetryPolicy retry_policy;
  retry_policy.max_attempts = o.plaid_retry_attempts;
  retry_policy.deadline = std::chrono::seconds(o.plaid_retry_deadline_seconds);
  plaid::RetryingPlaidClient plaid_client(
      direct_client, clock, random, retry_policy,
      [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
  plaid::RateBudget rate_budget(clock);
  hub::FaultHook* fault_hook = nullptr;
#ifdef LINKHUB_TEST_HOOKS
  std::unique_ptr<CrashHook> crash_hook;
  if (const char* at = std::getenv("LINKHUB_TEST_CRASH_AT"); at != nullptr && *at != '\0') {
    crash_hook = std::make_unique<CrashHook>(at);
    fault_hook = crash_hook.get();
  }
#endif
  hub::Hub hub(*d.hub, *d.keys, plaid_client, clock, random, link, fault_hook);
  hub::Projects projects(*d.projects, *d.keys, clock, random);
  hub::ActionRunner actions(*d.hub, *d.keys, plaid_client,
                            o.plaid_rate_budget == "on" ? &rate_budget : nullptr, clock,
                            hub.settings());
  // The call log writes through a connection of its own: its batches never wait for the main
  // connection's lock, and never count as changes to the accounts that actions cache.
  auto log_db = store::SqliteDb::Open(opts.data_dir + "/linkhub.db");
  if (!log_db) {
    Fail("cannot open the database for the call log: " + log_db.error().message);
  }
  store::SqliteHubStore log_store(**log_db);
  hub::CallLog call_log(log_store);
  actions.SetCallLog(&call_log);
  store::SqliteDashboardSessionStore dashboard_store(*d.db);
  hub::DashboardSessions dashboard(dashboard_store, *d.projects, *d.keys, clock, random,
                                   hub::DashboardSessions::Limits{});
  if (auto s = hub.ReconcileExchanges(); !s) {
    Fail("reconciling pending exchanges failed: " + s.error().message);
  }

  http::ServerOptions server_options;
  if (!http::SplitHostPort(o.listen, server_options.host, server_options.port)) {
    Fail("--listen must be HOST:PORT, got '" + o.listen + "'");
  }
  server_options.io_threads = o.threads;
  server_options.handler_threads = o.handler_threads;
  server_options.max_body_bytes = o.max_body_bytes;
  http::Router router;
  api::ApiContext context{
      hub, projects, actions, "", o.plaid_link_script_url, plaid_config.base_url};
  context.dashboard = &dashboard;
  context.call_log = &call_log;
  api::RegisterRoutes(router, context);
  http::Server server(server_options, router, &api::ServerError);
  if (auto s = server.Start(); !s) {
    Fail(s.error().message);
  }
  // Actions that are one Plaid read run on the I/O threads with no thread waiting for Plaid
  // (ActionRunner::TryRunFast). libcurl, which honours proxy settings, serves everything else,
  // and everything when a proxy is configured.
  std::unique_ptr<http::BeastHttpClient> async_http;
  std::unique_ptr<plaid::AsyncPlaidClient> async_plaid;
  if (http::BeastHttpClient::ProxyConfigured()) {
    spdlog::info("a proxy is configured: every Plaid call goes through libcurl");
  } else {
    async_http =
        std::make_unique<http::BeastHttpClient>(server.io_context(), http::BeastClientOptions{});
    async_plaid = std::make_unique<plaid::AsyncPlaidClient>(*async_http, plaid_config);
    actions.EnableFastPath(*async_plaid, plaid_client, [&server](std::function<void()> work) {
      server.RunBlocking(std::move(work));
    });
  }
  context.public_url = o.public_url.empty() ? server.url() : o.public_url;
  while (!context.public_url.empty() && context.public_url.back() == '/') {
    context.public_url.pop_back();
  }
  server.StopOnSignals();
  std::printf("linkhub listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  spdlog::info("data in {}; Plaid at {} ({}); public URL {}", opts.data_dir, plaid_config.base_url,
               o.plaid_env, context.public_url);
  // Accounts linked just before a crash may lack display fields: fetch them in the background.
  std::thread details([&hub] { hub.FillPendingDetails(); });
  server.Run();
  details.join();
  return 0;
}

DataDir OpenForAdmin(const Options& o, Clock& clock, Random& random) {
  if (o.dev) {
    Fail("admin commands need the server's master key; --dev keys do not outlive a process");
  }
  return OpenDataDir(o, ResolveMasterKey(o, random), clock, random);
}

boost::json::value TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? boost::json::value(FormatRfc3339(*t)) : boost::json::value(nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "linkhub: a self-hostable account-linking hub for Plaid with a StackOne-compatible API.\n"
      "Every option can also come from the environment (LINKHUB_<OPTION>, e.g. "
      "LINKHUB_PLAID_SECRET) or from a TOML/INI file given with --config.",
      "linkhub"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  Options o;
  bool version = false;
  app.add_flag("--version", version, "print the version and exit");
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

  CLI::App* serve = app.add_subcommand("serve", "run the HTTP server");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->envname(env("LISTEN"))
      ->capture_default_str();
  app.add_option("--public-url", o.public_url,
                 "URL where browsers reach this server, for auth links (default: the listen URL)")
      ->envname(env("PUBLIC_URL"));
  app.add_option("--threads", o.threads,
                 "I/O threads; each serves its own connections (default: one per core)")
      ->check(CLI::Range(1, 64))
      ->envname(env("THREADS"))
      ->capture_default_str();
  app.add_option("--handler-threads", o.handler_threads,
                 "threads for request handlers (they wait on Plaid and the database)")
      ->check(CLI::Range(1, 256))
      ->envname(env("HANDLER_THREADS"))
      ->capture_default_str();
  app.add_option("--max-body-bytes", o.max_body_bytes, "largest request body accepted")
      ->check(CLI::Range(size_t{1024}, size_t{16} << 20))
      ->envname(env("MAX_BODY_BYTES"))
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
  app.add_option("--plaid-webhook-url", o.plaid_webhook_url, "Item webhook URL given to Plaid")
      ->envname(env("PLAID_WEBHOOK_URL"));
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

  CLI::App* project = app.add_subcommand("project", "manage projects (tenants)");
  project->require_subcommand(1);
  CLI::App* project_create =
      project->add_subcommand("create", "create a project and print its first API key");
  project_create->add_option("--name", o.name, "project name")->required();
  project->add_subcommand("list", "list projects");
  CLI::App* project_update = project->add_subcommand("update", "change a project's settings");
  project_update->add_option("--project", o.project, "project id")->required();
  const char* origins_help =
      "comma-separated browser origins (https://app.example.com) allowed to call the Hub API "
      "and embed the Hub page; empty: any origin";
  project_create->add_option("--allowed-origins", o.allowed_origins, origins_help);
  project_update->add_option("--allowed-origins", o.allowed_origins, origins_help)->required();

  CLI::App* api_key = app.add_subcommand("api-key", "manage a project's API keys");
  api_key->require_subcommand(1);
  CLI::App* key_create = api_key->add_subcommand("create", "create an API key (shown once)");
  CLI::App* key_list = api_key->add_subcommand("list", "list API keys (never the keys)");
  CLI::App* key_revoke = api_key->add_subcommand("revoke", "revoke an API key");
  for (CLI::App* c : {key_create, key_list, key_revoke}) {
    c->add_option("--project", o.project, "project id")->required();
  }
  key_create->add_option("--label", o.label, "a label to tell keys apart");
  key_revoke->add_option("--id", o.id, "API key id (key_...)")->required();

  CLI::App* keys = app.add_subcommand("keys", "manage the data keys that encrypt stored secrets");
  keys->require_subcommand(1);
  CLI::App* keys_rotate = keys->add_subcommand(
      "rotate", "add a new data key and re-encrypt every stored secret with it (online)");
  CLI::App* keys_list = keys->add_subcommand("list", "list data keys");
  CLI::App* keys_retire =
      keys->add_subcommand("retire", "retire an old data key no stored value uses any more");
  keys_retire->add_option("--id", o.id, "data key id")->required();

  CLI11_PARSE(app, argc, argv);
  if (version) {
    std::printf("linkhub %s\n", LINKHUB_VERSION);
    return 0;
  }
  // stdout carries only the command's output (or the "listening" line); logs go to stderr.
  auto logger = spdlog::stderr_color_mt("linkhub");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(o.log_level));

  if (serve->parsed()) {
    return Serve(o);
  }
  if (app.get_subcommands().empty()) {
    std::printf("%s", app.help().c_str());
    return 0;
  }
  SystemClock clock;
  SecureRandom random;
  DataDir d = OpenForAdmin(o, clock, random);
  hub::Projects projects(*d.projects, *d.keys, clock, random);
  auto check = [](const auto& result) {
    if (!result) {
      Fail(result.error().message);
    }
  };
  // Checked before anything is written, so a typo creates nothing.
  auto origins = hub::ParseAllowedOrigins(o.allowed_origins.value_or(""));
  check(origins);
  if (project_create->parsed()) {
    auto created = projects.Create(o.name);
    check(created);
    if (!origins->empty()) {
      check(d.projects->SetAllowedOrigins(created->project.id, *origins));
    }
    PrintJson(boost::json::object{{"project_id", created->project.id},
                                  {"organization_id", created->project.numeric_id},
                                  {"name", created->project.name},
                                  {"allowed_origins", ToJsonArray(*origins)},
                                  {"api_key_id", created->api_key.stored.id},
                                  {"api_key", created->api_key.key}});
  } else if (project_update->parsed()) {
    check(d.projects->SetAllowedOrigins(o.project, *origins));
    auto updated = d.projects->GetProject(o.project);
    check(updated);
    PrintJson(boost::json::object{{"project_id", updated->id},
                                  {"name", updated->name},
                                  {"allowed_origins", ToJsonArray(updated->allowed_origins)}});
  } else if (project->got_subcommand("list")) {
    auto list = d.projects->ListProjects();
    check(list);
    boost::json::array out;
    for (const auto& p : *list) {
      out.push_back(boost::json::object{{"project_id", p.id},
                                        {"organization_id", p.numeric_id},
                                        {"name", p.name},
                                        {"allowed_origins", ToJsonArray(p.allowed_origins)},
                                        {"created_at", FormatRfc3339(p.created_at)}});
    }
    PrintJson(out);
  } else if (key_create->parsed()) {
    auto created = projects.CreateApiKey(o.project, o.label);
    check(created);
    PrintJson(boost::json::object{
        {"project_id", o.project}, {"api_key_id", created->stored.id}, {"api_key", created->key}});
  } else if (key_list->parsed()) {
    check(d.projects->GetProject(o.project));
    auto list = d.projects->ListApiKeys(o.project);
    check(list);
    boost::json::array out;
    for (const auto& k : *list) {
      out.push_back(boost::json::object{{"id", k.id},
                                        {"prefix", k.prefix},
                                        {"label", k.label},
                                        {"created_at", FormatRfc3339(k.created_at)},
                                        {"revoked_at", TimeOrNull(k.revoked_at)}});
    }
    PrintJson(out);
  } else if (key_revoke->parsed()) {
    check(d.projects->RevokeApiKey(o.project, o.id, clock.Now()));
    PrintJson(boost::json::object{{"revoked", o.id}});
  } else if (keys_rotate->parsed()) {
    auto report = d.keys->Rotate(*d.hub);
    check(report);
    PrintJson(boost::json::object{{"active_key_id", report->active_key_id},
                                  {"resealed", report->resealed}});
  } else if (keys_list->parsed()) {
    auto list = d.projects->ListDataKeys();
    check(list);
    boost::json::array out;
    for (const auto& k : *list) {
      out.push_back(boost::json::object{{"key_id", k.key_id},
                                        {"active", k.active},
                                        {"created_at", FormatRfc3339(k.created_at)},
                                        {"retired_at", TimeOrNull(k.retired_at)}});
    }
    PrintJson(out);
  } else if (keys_retire->parsed()) {
    check(d.keys->Retire(o.id, *d.hub));
    PrintJson(boost::json::object{{"retired", o.id}});
  }
  return 0;
}
