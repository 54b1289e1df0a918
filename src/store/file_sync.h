#pragma once

// Durability of file names, for the store's files beside the database (the exchange journal, a
// backup).

#include <string>

#include "core/result.h"

namespace linkhub::store {

// Flushes the directory holding `path` with fsync(2), so that a file created, linked or renamed
// there is still there after a crash. kInternal naming the directory and the system's reason.
Status SyncParentDirectory(const std::string& path);

}  // namespace linkhub::store
