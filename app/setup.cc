#include "app/setup.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/encoding.h"
#include "plaid/http_plaid_client.h"
#include "store/sqlite_backend.h"

namespace linkhub::app {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

const char* MasterKeyFromEnv() {
  const char* env = std::getenv("LINKHUB_MASTER_KEY");
  return env != nullptr && *env != '\0' ? env : nullptr;
}

}  // namespace

void Fail(const std::string& message) {
  std::cerr << "linkhub: " << message << "\n";
  std::exit(1);
}

std::string ReadTrimmedFileOrFail(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail(std::string("cannot read the ") + what + " file " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return Trim(ss.str());
}

bool EphemeralMasterKey(const Options& o) {
  return o.dev && o.master_key_file.empty() && MasterKeyFromEnv() == nullptr;
}

std::string ResolveMasterKey(const Options& o, Random& random) {
  std::string text;
  if (const char* env = MasterKeyFromEnv()) {
    text = env;
  } else if (!o.master_key_file.empty()) {
    text = ReadTrimmedFileOrFail(o.master_key_file, "master key");
  } else if (o.dev) {
    std::string key(32, '\0');
    random.Fill(key.data(), key.size());
    spdlog::warn(
        "*** DEV MODE: using an ephemeral master key. Everything stored now becomes "
        "unreadable when this process stops. Never use --dev for real accounts. ***");
    return key;
  } else {
    Fail(
        "no master key: set LINKHUB_MASTER_KEY to the base64 of 32 random bytes (e.g. "
        "`head -c32 /dev/urandom | base64`) or pass --master-key-file; --dev runs with a "
        "throwaway key");
  }
  auto key = Base64Decode(Trim(text));
  if (!key || key->size() != 32) {
    Fail("the master key must be the base64 encoding of exactly 32 bytes");
  }
  return *key;
}

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/linkhub.db"; }

DataDir OpenDataDir(const std::string& data_dir, const std::string& master_key, Clock& clock,
                    Random& random) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    Fail("cannot create the data directory " + data_dir + ": " + ec.message());
  }
  ::chmod(data_dir.c_str(), 0700);
  ::umask(077);
  DataDir d;
  auto backend = store::OpenSqliteBackend(DatabasePath(data_dir));
  if (!backend) {
    Fail(backend.error().message);
  }
  d.backend = std::move(*backend);
  const store::Stores& stores = d.backend->stores();
  auto keys = hub::Keys::Open(master_key, stores.data_keys, stores.accounts, random, clock);
  if (!keys) {
    Fail(keys.error().message);
  }
  d.keys = std::move(*keys);
  return d;
}

plaid::PlaidConfig PlaidConfigFrom(const Options& o) {
  plaid::PlaidConfig config;
  if (!o.plaid_base_url.empty()) {
    config.base_url = o.plaid_base_url;
  } else {
    auto url = plaid::BaseUrlForEnvironment(o.plaid_env);
    if (!url) {
      Fail(url.error().message);
    }
    config.base_url = *url;
  }
  while (!config.base_url.empty() && config.base_url.back() == '/') {
    config.base_url.pop_back();
  }
  config.client_id = o.plaid_client_id;
  config.secret = o.plaid_secret_file.empty()
                      ? o.plaid_secret
                      : ReadTrimmedFileOrFail(o.plaid_secret_file, "Plaid secret");
  if (config.client_id.empty() || config.secret.empty()) {
    Fail(
        "Plaid credentials are missing: set --plaid-client-id and --plaid-secret (or "
        "--plaid-secret-file, LINKHUB_PLAID_CLIENT_ID, LINKHUB_PLAID_SECRET)");
  }
  config.timeout = std::chrono::seconds(o.plaid_timeout_seconds);
  return config;
}

}  // namespace linkhub::app
