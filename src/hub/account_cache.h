#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "hub/keys.h"
#include "store/account_store.h"

namespace linkhub::hub {

// An account as it was read, with its Plaid access token already opened when the account can
// run actions (not inactive or suspended, and holding an Item); empty otherwise. The token is
// wiped when the last holder lets go.
struct OpenedAccount {
  domain::LinkedAccount account;
  std::string access_token;
  ~OpenedAccount();
};

// The accounts the action pipeline read lately, so that an I/O thread can plan an action without
// the database. An entry is trusted for kTtl after its read, and only while nothing was written
// through the account store since (AccountStore::WriteCount); accounts changed by another
// process (the CLI, another instance) are therefore seen after at most kTtl. Ages come from the
// Clock. Thread-safe.
class AccountCache {
 public:
  static constexpr std::chrono::milliseconds kTtl{1000};

  AccountCache(store::AccountStore& accounts, Keys& keys, Clock& clock)
      : accounts_(accounts), keys_(keys), clock_(clock) {}

  // Reads the account (opening its token when it can run actions) and remembers the read.
  // Blocking (database). kNotFound for another project's account or none.
  Result<std::shared_ptr<const OpenedAccount>> Load(const std::string& project_id,
                                                    const std::string& account_id);
  // The account as Load() last read it, when that read is still trusted; null otherwise. Past
  // half its life, one caller is told null (and so loads it again) while the others keep the
  // copy, so that an entry never expires for all of them at once. Never blocks.
  std::shared_ptr<const OpenedAccount> Lookup(const std::string& project_id,
                                              const std::string& account_id);

 private:
  struct Entry {
    std::shared_ptr<const OpenedAccount> account;
    std::chrono::steady_clock::time_point read_at;
    uint64_t write_count = 0;  // the store's WriteCount() before the read
    bool refreshing = false;   // one caller was sent to Load() it again
  };

  std::shared_ptr<const OpenedAccount> Find(const std::string& project_id,
                                            const std::string& account_id);

  store::AccountStore& accounts_;
  Keys& keys_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // "project\naccount"; guarded by mu_
};

}  // namespace linkhub::hub
