#include "store/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace linkhub::store {

namespace {

// The directory that holds `path`; "." for a bare file name. Built in one
// expression because GCC 12 warns falsely (-Wrestrict) on assigning a literal
// to a string just made from a path.
std::string ParentDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

Status SyncParentDirectory(const std::string& path) {
  const std::string dir = ParentDirectory(path);
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
