#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace linkhub::testing {

// Runs build/bin/plaid-emulator on a free loopback port for one test and stops it afterwards
// (SIGTERM; the destructor reports a non-zero exit, which is how sanitizer findings surface).
class EmulatorProcess {
 public:
  // Starts the emulator with `args` after `--listen 127.0.0.1:0` and waits (bounded) for its
  // "listening" line. `ok()` tells whether that worked; `url()` is its base URL.
  explicit EmulatorProcess(std::vector<std::string> args = {});
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  // Stops the emulator and returns its exit status (0 on a clean shutdown).
  int Stop();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
  int exit_status_ = -1;
};

}  // namespace linkhub::testing
