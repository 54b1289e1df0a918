// `linkhub serve`: the composition root of the server, the only place where the real
// dependencies (SQLite, libcurl, Beast, the system clock and randomness) are built and handed
// to the modules.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "api/api.h"
#include "api/errors.h"
#include "app/setup.h"
#include "core/metric_families.h"
#include "core/strings.h"
#include "core/url.h"
#include "http/address.h"
#include "http/async_http_client.h"
#include "http/curl_http_client.h"
#include "http/rate_limiter.h"
#include "http/server.h"
#include "hub/accounts_impl.h"
#include "hub/action_pipeline.h"
#include "hub/batched_call_log.h"
#include "hub/dashboard_sessions_impl.h"
#include "hub/event_delivery.h"
#include "hub/events_impl.h"
#include "hub/hub_view_impl.h"
#include "hub/linker_impl.h"
#include "hub/orphans_impl.h"
#include "hub/plaid_webhooks_impl.h"
#include "hub/projects_impl.h"
#include "hub/readiness_impl.h"
#include "hub/sessions_impl.h"
#include "mcp/server.h"
#include "plaid/catalogue.h"
#include "plaid/http_plaid_client.h"
#include "plaid/rate_budget.h"
#include "plaid/retrying_plaid_client.h"
#include "plaid/webhook_verifier.h"
#include "store/file_exchange_journal.h"

namespace linkhub::app {

namespace {

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

// Each connection holds a descriptor, and the database, the Plaid clients and the handler pools
// hold more: the soft limit is raised toward the hard one so that --max-connections fits (a
// soft limit of 1,024 is common). A limit that cannot be raised is said, not fatal.
void RaiseDescriptorLimit(size_t max_connections) {
  constexpr rlim_t kHeadroom = 512;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return;
  }
  rlim_t want = max_connections == 0 ? limit.rlim_max : max_connections + kHeadroom;
  if (limit.rlim_max != RLIM_INFINITY && want > limit.rlim_max) {
    spdlog::warn("the descriptor limit ({}) is below --max-connections {} plus {} for the rest",
                 limit.rlim_max, max_connections, kHeadroom);
    want = limit.rlim_max;
  }
  if (want > limit.rlim_cur) {
    limit.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      spdlog::warn("could not raise the descriptor limit to {}", want);
    }
  }
}

// Where Plaid is and who linkhub is to it, from the flags. Fail()s on a missing credential.
// What Link is asked for, from the flags. Fail()s on a product Link does not take.
hub::LinkSettings LinkSettingsFrom(const Options& o) {
  hub::LinkSettings link;
  link.environment = o.plaid_env;
  link.client_name = o.plaid_client_name;
  link.products = SplitCommaList(o.plaid_products);
  link.optional_products = SplitCommaList(o.plaid_optional_products);
  link.country_codes = SplitCommaList(o.plaid_country_codes);
  link.language = o.plaid_language;
  link.redirect_uri = o.plaid_redirect_uri;
  link.webhook_base_url = o.plaid_webhook_url;  // or the public URL, once the server is bound
  for (const auto& p : link.products) {
    if (!plaid::IsLinkProduct(p)) {
      Fail("--plaid-products: '" + p + "' is not a Plaid product Link accepts");
    }
  }
  if (link.products.empty()) {
    Fail("--plaid-products needs at least one product");
  }
  return link;
}

// The data directory serve uses: --dev with an ephemeral key and no --data-dir gets a fresh
// temporary one (an ephemeral key cannot read an earlier run's data).
std::string ServeDataDir(const Options& o) {
  if (!EphemeralMasterKey(o)) {
    return o.data_dir;
  }
  if (o.data_dir != Options{}.data_dir) {
    spdlog::warn(
        "dev mode with --data-dir {}: what is stored there now cannot be read with any other "
        "key later",
        o.data_dir);
    return o.data_dir;
  }
  char tmpl[] = "/tmp/linkhub-dev-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    Fail("cannot create a temporary data directory");
  }
  spdlog::warn("dev mode: data in {}", tmpl);
  return tmpl;
}

// One server per data directory: the double-submit and per-owner guards of the exchange live in
// the process. (Admin commands may run beside it.) The lock lasts as long as the process.
void LockDataDir(const std::string& data_dir) {
  std::string lock_path = data_dir + "/serve.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    Fail("another linkhub serve is running on " + data_dir + " (one server per data directory)");
  }
}

}  // namespace

int Serve(const Options& o) {
  SystemClock clock;
  SecureRandom random;
  std::string master_key = ResolveMasterKey(o, random);
  std::string data_dir = ServeDataDir(o);
  DataDir d = OpenDataDir(data_dir, master_key, clock, random);
  LockDataDir(data_dir);
  const store::Stores& stores = d.stores();

  plaid::PlaidConfig plaid_config = PlaidConfigFrom(o);
  // Set before serving: the webhook base may be the public URL, known once the server is bound.
  hub::LinkSettings link = LinkSettingsFrom(o);
  Sleeper sleep = [](std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); };

  http::CurlOptions curl_options;
  http::CurlHttpClient http_client(curl_options);
  plaid::HttpPlaidClient direct_client(http_client, clock, plaid_config);
  plaid::RetryPolicy retry_policy;
  retry_policy.max_attempts = o.plaid_retry_attempts;
  retry_policy.deadline = std::chrono::seconds(o.plaid_retry_deadline_seconds);
  plaid::RetryingPlaidClient plaid_client(direct_client, clock, random, retry_policy, sleep);
  plaid::RateBudget rate_budget(clock);
  hub::FaultHook* fault_hook = nullptr;
#ifdef LINKHUB_TEST_HOOKS
  std::unique_ptr<CrashHook> crash_hook;
  if (const char* at = std::getenv("LINKHUB_TEST_CRASH_AT"); at != nullptr && *at != '\0') {
    crash_hook = std::make_unique<CrashHook>(at);
    fault_hook = crash_hook.get();
  }
#endif

  hub::Keys& keys = *d.keys;
  hub::BatchedCallLog call_log(stores.call_log);
  hub::SessionsImpl sessions(stores.sessions, stores.accounts, keys, clock, random);
  // Beside the database, one per data directory (the serve lock above makes it this process's).
  auto journal = store::FileExchangeJournal::Open(data_dir + "/exchange-journal");
  if (!journal) {
    Fail(journal.error().message);
  }
  hub::LinkerImpl linker(
      hub::LinkerStores{stores.accounts, stores.exchanges, **journal, stores.orphans}, keys,
      plaid_client, clock, random, sleep, link, fault_hook);
  hub::AccountsImpl accounts(stores.accounts, keys, plaid_client, call_log, clock, link);
  hub::HubViewImpl hub_view(stores.accounts, stores.attempts, clock, random);
  hub::ProjectsImpl projects(stores.projects, stores.api_keys, keys, clock, random);
  hub::DashboardSessionsImpl dashboard(stores.dashboard_sessions, stores.api_keys, keys, clock,
                                       random, hub::DashboardSessions::Limits{});
  if (auto s = linker.ReconcileExchanges(); !s) {
    Fail("reconciling pending exchanges failed: " + s.error().message);
  }

  http::ServerOptions server_options;
  if (!http::SplitHostPort(o.listen, server_options.host, server_options.port)) {
    Fail("--listen must be HOST:PORT, got '" + o.listen + "'");
  }
  server_options.io_threads = o.threads;
  server_options.handler_threads = o.handler_threads;
  server_options.max_body_bytes = o.max_body_bytes;
  server_options.max_connections = static_cast<size_t>(o.max_connections);
  server_options.header_timeout = std::chrono::seconds(o.header_timeout_seconds);
  server_options.read_timeout = std::chrono::seconds(o.read_timeout_seconds);
  server_options.idle_timeout = std::chrono::seconds(o.idle_timeout_seconds);
  RaiseDescriptorLimit(server_options.max_connections);
  // Requests that may wait on Plaid have threads of their own, and each project a bounded
  // share of them (api::UpstreamKey), so that a slow Plaid or a busy tenant holds up no one else.
  server_options.upstream_threads = o.plaid_threads;
  server_options.upstream_per_key = static_cast<size_t>(o.plaid_concurrency_per_project);
  server_options.upstream_queue_per_key = static_cast<size_t>(o.plaid_queue_per_project);
  server_options.upstream_queue_timeout = std::chrono::seconds(o.plaid_timeout_seconds);
  server_options.upstream_busy_message =
      "this project has too many requests waiting on Plaid; retry after a moment";
  api::ApiContext* api_context = nullptr;  // set below, before the server starts
  server_options.upstream_key = [&api_context](const http::Request& r) {
    return api::UpstreamKey(*api_context, r);
  };
  http::Router router;
  http::Server server(
      server_options, router,
      [&clock](const http::Request& r, int status, const std::string& message) {
        return api::ServerError(clock, r, status, message);
      },
      clock);
  hub::ActionPipeline actions(
      stores.accounts, stores.sync_cursors, keys, plaid_client,
      o.plaid_rate_budget == "on" ? &rate_budget : nullptr, &call_log, clock, link,
      [&server](std::function<void()> work) { server.RunBlocking(std::move(work)); });
  api::ApiContext context{sessions,
                          linker,
                          accounts,
                          hub_view,
                          projects,
                          actions,
                          link,
                          clock,
                          "",
                          o.plaid_link_script_url,
                          plaid_config.base_url};
  context.dashboard = &dashboard;
  hub::OrphansImpl orphans(stores.orphans, keys, &plaid_client, clock);
  context.orphans = &orphans;

  // Events out: deliveries on a client of their own (public addresses only, unless allowed).
  http::CurlHttpClient delivery_http(curl_options);
  hub::DeliveryOptions delivery_options;
  delivery_options.first_retry = std::chrono::milliseconds(o.webhook_first_retry_ms);
  delivery_options.public_addresses_only = !o.allow_private_webhook_urls;
  hub::EventDelivery delivery(stores.events, keys, delivery_http, clock, random, delivery_options);
  hub::EventsOptions events_options;
  events_options.allow_private_urls = o.allow_private_webhook_urls;
  events_options.check_public_host = http::CheckPublicHost;
  events_options.wake_delivery = [&delivery] { delivery.Wake(); };
  hub::EventsImpl events(stores.events, stores.plaid_webhooks, keys, clock, random, events_options);
  context.events = &events;
  // Plaid's webhooks in: verified with Plaid's keys, kept, applied by a worker of their own.
  plaid::WebhookVerifier verifier(plaid::WebhookVerifier::FetchFrom(plaid_client), clock);
  hub::PlaidWebhooksImpl plaid_webhooks(
      hub::PlaidWebhookStores{stores.plaid_webhooks, stores.accounts, stores.orphans,
                              stores.projects},
      keys, verifier, clock, random, fault_hook);
  plaid_webhooks.SetOnApplied([&delivery] { delivery.Wake(); });
  context.plaid_webhooks = &plaid_webhooks;
  hub::ReadinessImpl readiness(*d.backend, keys, clock);
  context.readiness = &readiness;
  // Agents: the same actions as MCP tools, through the same pipeline.
  mcp::SessionTable mcp_sessions(clock, random);
  mcp::ServerOptions mcp_options;
  mcp_options.version = LINKHUB_VERSION;
  mcp_options.redact_identity = o.mcp_redact == "identity";
  mcp_options.error_body = [&clock](const Error& e) { return api::ErrorResponse(e, clock).body; };
  mcp::Server mcp_server(actions, accounts, mcp_sessions, std::move(mcp_options));
  context.mcp = &mcp_server;
  http::RateLimiter key_limiter(clock, o.rate_limit_per_key);
  http::RateLimiter address_limiter(clock, o.rate_limit_per_ip);
  context.key_limiter = &key_limiter;
  context.address_limiter = &address_limiter;
  context.client_address_header = o.client_address_header;
  metrics::Linkhub();  // every family registered, so that the first scrape shows them all
  context.metrics = &metrics::Default();
  context.metrics_token = o.metrics_token;
  api_context = &context;
  api::RegisterRoutes(router, context);
  if (auto s = server.Start(); !s) {
    Fail(s.error().message);
  }
  // Actions that are one Plaid read are sent from the I/O threads with no thread waiting for
  // Plaid (ActionPipeline::Start). libcurl, which honours proxy settings, serves everything
  // else, and everything when a proxy is configured.
  std::unique_ptr<http::BeastHttpClient> async_http;
  std::unique_ptr<plaid::AsyncPlaidClient> async_plaid;
  if (http::BeastHttpClient::ProxyConfigured()) {
    spdlog::info("a proxy is configured: every Plaid call goes through libcurl");
  } else {
    async_http = std::make_unique<http::BeastHttpClient>(server.io_context(),
                                                         http::BeastClientOptions{}, clock);
    async_plaid = std::make_unique<plaid::AsyncPlaidClient>(*async_http, clock, plaid_config);
    actions.EnableAsync(*async_plaid, plaid_client);
  }
  context.public_url = o.public_url.empty() ? server.url() : o.public_url;
  while (!context.public_url.empty() && context.public_url.back() == '/') {
    context.public_url.pop_back();
  }
  if (link.webhook_base_url.empty()) {
    link.webhook_base_url = context.public_url;
  }
  if (!o.dashboard_public_url.empty()) {
    auto url = ParseHttpUrl(o.dashboard_public_url);
    if (!url) {
      Fail("--dashboard-public-url: " + url.error().message);
    }
    context.dashboard_url = o.dashboard_public_url;
    while (context.dashboard_url.back() == '/') {
      context.dashboard_url.pop_back();
    }
    if (context.dashboard_url.find('/', context.dashboard_url.find("://") + 3) !=
        std::string::npos) {
      Fail("--dashboard-public-url: give an origin (scheme, host and port), without a path");
    }
    if (api::SameOrigin(context.dashboard_url, context.public_url)) {
      Fail("--dashboard-public-url must be another origin than the public URL (" +
           context.public_url + "): that is what keeps the Hub page apart from the dashboard");
    }
    spdlog::info("the dashboard answers only at {}/dashboard", context.dashboard_url);
  }
  server.StopOnSignals();
  std::printf("linkhub listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  // The webhook base may carry a secret path: only its scheme, host and port are logged.
  spdlog::info(
      "data in {}; Plaid at {} ({}); public URL {}; Plaid webhooks to {}/.../webhooks/plaid/"
      "<project>",
      d.backend->Describe(), plaid_config.base_url, o.plaid_env, context.public_url,
      http::UrlForLog(link.webhook_base_url));
  // Accounts linked just before a crash may lack display fields: fetch them in the background.
  std::thread details([&linker] { linker.FillPendingDetails(); });
  std::thread webhooks_in([&plaid_webhooks] { plaid_webhooks.Run(); });
  delivery.Start();
  server.Run();
  plaid_webhooks.Stop();
  delivery.Stop();
  webhooks_in.join();
  details.join();
  return 0;
}

}  // namespace linkhub::app
