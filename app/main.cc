// linkhub: parses the command line and runs the command it names (serve.cc, admin.cc).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "app/log_format.h"
#include "app/options.h"
#include "app/setup.h"

namespace {

int Main(int argc, char** argv) {
  using namespace linkhub::app;
  CLI::App app{
      "linkhub: a self-hostable account-linking hub for Plaid with a StackOne-compatible API.\n"
      "Every option can also come from the environment (LINKHUB_<OPTION>, e.g. "
      "LINKHUB_PLAID_SECRET) or from a TOML/INI file given with --config.",
      "linkhub"};
  Options o;
  Commands commands = DefineCommands(app, o);
  CLI11_PARSE(app, argc, argv);
  if (commands.version) {
    std::printf("linkhub %s\n", LINKHUB_VERSION);
    return 0;
  }
  // stdout carries only the command's output (or the "listening" line); logs go to stderr.
  auto logger = spdlog::stderr_color_mt("linkhub");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  if (o.log_format == "json") {
    spdlog::set_formatter(linkhub::app::NewJsonLogFormatter());
  }

  if (commands.serve->parsed()) {
    return Serve(o);
  }
  if (app.get_subcommands().empty()) {
    std::printf("%s", app.help().c_str());
    return 0;
  }
  return RunAdmin(o, commands);
}

}  // namespace

int main(int argc, char** argv) {
  // Modules answer with Result; an exception that gets here (a library's, at start-up) ends the
  // process with its message instead of std::terminate's.
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "linkhub: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "linkhub: unexpected error\n");
  }
  return 1;
}
