#pragma once

// What serve and the admin commands share: failing with a message, files, the master key, and
// opening the data directory.

#include <memory>
#include <string>

#include "app/options.h"
#include "core/clock.h"
#include "core/random.h"
#include "hub/keys.h"
#include "plaid/plaid_client.h"
#include "store/backend.h"

namespace linkhub::app {

// Prints "linkhub: <message>" to stderr and exits 1.
[[noreturn]] void Fail(const std::string& message);
// The file's bytes, without a trailing newline; Fail()s naming `what` when it cannot be read.
std::string ReadTrimmedFileOrFail(const std::string& path, const char* what);

// The master key: LINKHUB_MASTER_KEY (base64 of 32 bytes), else --master-key-file (the same
// base64 text), else, only with --dev, a random one that dies with the process. Fail()s
// otherwise.
std::string ResolveMasterKey(const Options& o, Random& random);
// Whether the key ResolveMasterKey gives is the throwaway --dev one.
bool EphemeralMasterKey(const Options& o);

// The SQLite database file of a data directory.
std::string DatabasePath(const std::string& data_dir);

// The data directory opened: its database (created and migrated) and the keys that open what it
// seals. Fail()s with the reason when it cannot be opened.
struct DataDir {
  std::unique_ptr<store::Backend> backend;
  std::unique_ptr<hub::Keys> keys;
  const store::Stores& stores() const { return backend->stores(); }
};
DataDir OpenDataDir(const std::string& data_dir, const std::string& master_key, Clock& clock,
                    Random& random);

// Plaid's address and credentials from the flags. Fail()s when they are missing.
plaid::PlaidConfig PlaidConfigFrom(const Options& o);

// `linkhub serve`: runs the server until SIGINT or SIGTERM. Returns the exit code.
int Serve(const Options& o);
// The admin commands (project, api-key, keys, items, backup). Returns the exit code.
int RunAdmin(const Options& o, const Commands& commands);

}  // namespace linkhub::app
