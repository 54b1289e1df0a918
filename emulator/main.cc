// plaid-emulator: a local stand-in for Plaid's API and for Plaid Link's browser script.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <iostream>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "emulator/emulator.h"
#include "emulator/fixtures.h"
#include "emulator/webhook_dispatcher.h"
#include "emulator/webhook_signer.h"
#include "http/address.h"
#include "http/curl_http_client.h"
#include "http/server.h"

namespace {

int Main(int argc, char** argv) {
  using namespace linkhub;
  emulator::EmulatorConfig config;
  std::string listen = "127.0.0.1:8750";
  std::string rate_limits = "plaid";
  std::string log_level = "info";
  std::string ca_file;
  int threads = 2;
  int64_t initial_delay = config.tx_initial_delay.count();
  int64_t historical_delay = config.tx_historical_delay.count();
  int64_t update_interval = config.tx_update_interval.count();
  emulator::WebhookOptions webhook_options;
  int64_t webhook_base_ms = webhook_options.base_delay.count();
  int64_t webhook_timeout_ms = webhook_options.timeout.count();
  size_t max_body = 1 << 20;

  CLI::App app{
      "plaid-emulator: a faithful local stand-in for Plaid's API (sandbox semantics, errors, token "
      "lifetimes, signed webhooks, fault injection) and for Plaid Link's browser script.\n"
      "Every option can also be set through the environment variable shown beside it.",
      "plaid-emulator"};
  app.option_defaults()->always_capture_default();
  app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free port")
      ->envname("PLAID_EMULATOR_LISTEN");
  app.add_option("--client-id", config.client_id, "the accepted PLAID-CLIENT-ID (demo default)")
      ->envname("PLAID_EMULATOR_CLIENT_ID");
  app.add_option("--secret", config.secret, "the accepted PLAID-SECRET (demo default)")
      ->envname("PLAID_EMULATOR_SECRET");
  std::vector<std::string> more_clients;
  app.add_option("--client", more_clients,
                 "another Plaid client, as CLIENT_ID:SECRET (repeatable): each client's Items, "
                 "access, public and link tokens are its own, and unknown to the others")
      ->envname("PLAID_EMULATOR_CLIENTS")
      ->delimiter(',')
      ->check([](const std::string& v) {
        auto colon = v.find(':');
        return colon == std::string::npos || colon == 0 || colon + 1 == v.size()
                   ? std::string("give a client as CLIENT_ID:SECRET")
                   : std::string();
      });
  app.add_option("--env", config.env, "environment named in tokens and webhooks")
      ->check(CLI::IsMember({"sandbox", "production"}))
      ->envname("PLAID_EMULATOR_ENV");
  app.add_option("--public-url", config.public_url,
                 "base URL browsers use to reach the emulator (default: the listen URL)")
      ->envname("PLAID_EMULATOR_PUBLIC_URL");
  app.add_option("--rate-limits", rate_limits,
                 "plaid: Plaid's per-Item and per-client limits; off: none")
      ->check(CLI::IsMember({"plaid", "off"}))
      ->envname("PLAID_EMULATOR_RATE_LIMITS");
  app.add_option("--item-rate-limit", config.item_rate_limit,
                 "requests per minute per endpoint and Item (0: Plaid's table)")
      ->check(CLI::NonNegativeNumber)
      ->envname("PLAID_EMULATOR_ITEM_RATE_LIMIT");
  app.add_option("--client-rate-limit", config.client_rate_limit,
                 "requests per minute per endpoint for the client (0: Plaid's table)")
      ->check(CLI::NonNegativeNumber)
      ->envname("PLAID_EMULATOR_CLIENT_RATE_LIMIT");
  app.add_option(
         "--transactions-initial-delay", initial_delay,
         "seconds after an Item is created until its first 30 days of transactions are ready")
      ->check(CLI::NonNegativeNumber)
      ->envname("PLAID_EMULATOR_TRANSACTIONS_INITIAL_DELAY");
  app.add_option("--transactions-historical-delay", historical_delay,
                 "seconds after an Item is created until its full history is ready")
      ->check(CLI::NonNegativeNumber)
      ->envname("PLAID_EMULATOR_TRANSACTIONS_HISTORICAL_DELAY");
  app.add_option("--transactions-update-interval", update_interval,
                 "seconds between scheduled transaction pulls after the historical one (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->envname("PLAID_EMULATOR_TRANSACTIONS_UPDATE_INTERVAL");
  app.add_option("--webhook-attempts", webhook_options.max_attempts,
                 "delivery attempts per webhook")
      ->check(CLI::Range(1, 50))
      ->envname("PLAID_EMULATOR_WEBHOOK_ATTEMPTS");
  app.add_option("--webhook-retry-base-ms", webhook_base_ms,
                 "first retry delay in milliseconds; doubles after each failure")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->envname("PLAID_EMULATOR_WEBHOOK_RETRY_BASE_MS");
  app.add_option("--webhook-timeout-ms", webhook_timeout_ms, "timeout of one delivery attempt")
      ->check(CLI::Range(int64_t{100}, int64_t{120000}))
      ->envname("PLAID_EMULATOR_WEBHOOK_TIMEOUT_MS");
  app.add_option("--ca-file", ca_file, "extra CA bundle (PEM) trusted for https webhook receivers")
      ->envname("PLAID_EMULATOR_CA_FILE");
  app.add_option("--seed", config.seed, "seed of the generated data (same seed, same transactions)")
      ->envname("PLAID_EMULATOR_SEED");
  app.add_option("--threads", threads, "I/O threads")
      ->check(CLI::Range(1, 64))
      ->envname("PLAID_EMULATOR_THREADS");
  app.add_option("--max-body-bytes", max_body, "largest request body accepted")
      ->check(CLI::Range(size_t{1024}, size_t{64} << 20))
      ->envname("PLAID_EMULATOR_MAX_BODY_BYTES");
  app.add_option(
         "--web-dir", config.web_dir,
         "serve the Link stand-in's files from this directory instead of the built-in copies")
      ->check(CLI::ExistingDirectory)
      ->envname("PLAID_EMULATOR_WEB_DIR");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->envname("PLAID_EMULATOR_LOG_LEVEL");
  CLI11_PARSE(app, argc, argv);
  for (const auto& c : more_clients) {
    auto colon = c.find(':');
    config.more_clients.emplace_back(c.substr(0, colon), c.substr(colon + 1));
  }

  // stdout carries only the "listening" line; logs go to stderr.
  auto logger = spdlog::stderr_color_mt("plaid-emulator");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  http::ServerOptions server_options;
  if (!http::SplitHostPort(listen, server_options.host, server_options.port)) {
    std::cerr << "plaid-emulator: --listen must be HOST:PORT, got '" << listen << "'\n";
    return 2;
  }
  server_options.io_threads = threads;
  server_options.max_body_bytes = max_body;
  server_options.server_header = "plaid-emulator";
  config.rate_limits = rate_limits == "plaid";
  config.tx_initial_delay = std::chrono::seconds(initial_delay);
  config.tx_historical_delay = std::chrono::seconds(historical_delay);
  config.tx_update_interval = std::chrono::seconds(update_interval);
  webhook_options.base_delay = std::chrono::milliseconds(webhook_base_ms);
  webhook_options.timeout = std::chrono::milliseconds(webhook_timeout_ms);

  auto fixtures = emulator::Fixtures::LoadEmbedded();
  if (!fixtures) {
    std::cerr << "plaid-emulator: " << fixtures.error().message << "\n";
    return 1;
  }
  SystemClock system_clock;
  OffsetClock clock(system_clock);
  SecureRandom random;
  // Webhook JWTs carry real time in `iat`: receivers check it against their own clocks, which
  // do not move when a test advances the emulator's clock.
  auto signer = emulator::WebhookSigner::Create(system_clock, random);
  if (!signer) {
    std::cerr << "plaid-emulator: " << signer.error().message << "\n";
    return 1;
  }
  http::CurlOptions curl_options;
  curl_options.ca_file = ca_file;
  curl_options.user_agent = "Plaid Verifier";
  http::CurlHttpClient http_client(curl_options);
  emulator::WebhookDispatcher webhooks(http_client, **signer, clock, random, webhook_options);
  emulator::Emulator emu(config, *fixtures, clock, random, **signer, webhooks);

  http::Router router;
  emu.RegisterRoutes(router);
  http::Server server(server_options, router, &emulator::Emulator::ServerError, system_clock);
  if (auto s = server.Start(); !s) {
    std::cerr << "plaid-emulator: " << s.error().message << "\n";
    return 1;
  }
  emu.SetPublicUrl(server.url());
  server.StopOnSignals();

  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool stop_ticking = false;
  std::thread ticker([&] {
    std::unique_lock lock(tick_mu);
    while (!tick_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return stop_ticking; })) {
      lock.unlock();
      emu.Tick();
      lock.lock();
    }
  });

  std::printf("plaid-emulator listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  spdlog::info("client_id {} env {}; Link script at {}/link/v2/stable/link-initialize.js",
               config.client_id, config.env, server.url());
  server.Run();

  {
    std::lock_guard lock(tick_mu);
    stop_ticking = true;
  }
  tick_cv.notify_all();
  ticker.join();
  webhooks.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plaid-emulator: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "plaid-emulator: unexpected error\n");
  }
  return 1;
}
