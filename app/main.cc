// linkhub: the hub's composition root. This build carries the command line skeleton; the server
// and its admin commands arrive with the hub itself.
#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{
      "linkhub: a self-hostable account-linking hub for Plaid with a StackOne-compatible API",
      "linkhub"};
  bool version = false;
  app.add_flag("--version", version, "print the version and exit");
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  if (version) {
    std::printf("linkhub %s\n", LINKHUB_VERSION);
    return 0;
  }
  std::printf("%s", app.help().c_str());
  return 0;
}
