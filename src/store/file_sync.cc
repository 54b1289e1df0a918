#include "store/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace linkhub::store {

Status SyncParentDirectory(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) {
    dir = ".";
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = fd < 0 ? -1 : ::fsync(fd);
  int err = errno;
  if (fd >= 0) {
    ::close(fd);
  }
  if (rc != 0) {
    return Unexpected(MakeError(
        ErrorCode::kInternal,
        std::string(fd < 0 ? "open" : "fsync") + " directory " + dir + ": " + std::strerror(err)));
  }
  return OkStatus();
}

}  // namespace linkhub::store
