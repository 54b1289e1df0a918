#include "emulator_process.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

extern char** environ;

namespace linkhub::testing {

EmulatorProcess::EmulatorProcess(std::vector<std::string> args) {
  int fds[2];
  if (pipe(fds) != 0) {
    return;
  }
  std::vector<std::string> argv_s = {PLAID_EMULATOR_PATH, "--listen", "127.0.0.1:0", "--log-level",
                                     "warn"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_s.size() + 1);
  for (auto& a : argv_s) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  int rc = posix_spawn(&pid_, PLAID_EMULATOR_PATH, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  stdout_fd_ = fds[0];
  if (rc != 0) {
    pid_ = -1;
    return;
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::string prefix = "plaid-emulator listening on ";
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) {
      continue;
    }
    char buf[256];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    auto nl = out.find('\n');
    if (nl != std::string::npos) {
      if (out.starts_with(prefix)) {
        url_ = out.substr(prefix.size(), nl - prefix.size());
      }
      break;
    }
  }
}

int EmulatorProcess::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return exit_status_;
}

EmulatorProcess::~EmulatorProcess() {
  if (pid_ > 0 && Stop() != 0) {
    std::fprintf(stderr, "plaid-emulator exited with status %d\n", exit_status_);
  }
}

}  // namespace linkhub::testing
