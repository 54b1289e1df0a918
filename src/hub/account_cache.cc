#include "hub/account_cache.h"

#include "core/metric_families.h"
#include "vault/hashing.h"

namespace linkhub::hub {

namespace {

constexpr size_t kMaxEntries = 10'000;

std::string Key(const std::string& project_id, const std::string& account_id) {
  std::string key;
  key.reserve(project_id.size() + account_id.size() + 1);
  key.append(project_id).append("\n").append(account_id);
  return key;
}

}  // namespace

OpenedAccount::~OpenedAccount() { vault::Wipe(access_token); }

Result<std::shared_ptr<const OpenedAccount>> AccountCache::Load(const std::string& project_id,
                                                                const std::string& account_id) {
  std::optional<uint64_t> write_count = accounts_.WriteCount();
  auto read_at = clock_.MonotonicNow();
  auto opened = std::make_shared<OpenedAccount>();
  LINKHUB_ASSIGN_OR_RETURN(opened->account, accounts_.GetAccount(project_id, account_id));
  const domain::LinkedAccount& a = opened->account;
  if (a.status != domain::AccountStatus::kInactive &&
      a.status != domain::AccountStatus::kSuspended && !a.access_token_sealed.empty()) {
    LINKHUB_ASSIGN_OR_RETURN(opened->access_token, keys_.OpenAccessToken(a));
  }
  std::shared_ptr<const OpenedAccount> out = std::move(opened);
  if (write_count) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) {
      entries_.clear();  // a bound, not an eviction policy: the cache only saves reads
    }
    entries_[Key(project_id, account_id)] = Entry{out, read_at, *write_count};
  }
  return out;
}

std::shared_ptr<const OpenedAccount> AccountCache::Lookup(const std::string& project_id,
                                                          const std::string& account_id) {
  static metrics::Counter& hits = metrics::Linkhub().cache_lookups.With({"account", "hit"});
  static metrics::Counter& misses = metrics::Linkhub().cache_lookups.With({"account", "miss"});
  auto found = Find(project_id, account_id);
  (found ? hits : misses).Add();
  return found;
}

std::shared_ptr<const OpenedAccount> AccountCache::Find(const std::string& project_id,
                                                        const std::string& account_id) {
  std::optional<uint64_t> write_count = accounts_.WriteCount();
  if (!write_count) {
    return nullptr;
  }
  auto now = clock_.MonotonicNow();
  std::string key = Key(project_id, account_id);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.write_count != *write_count) {
    return nullptr;
  }
  auto age = now - it->second.read_at;
  if (age >= kTtl) {
    return nullptr;
  }
  if (age >= kTtl / 2 && !it->second.refreshing) {
    it->second.refreshing = true;
    return nullptr;
  }
  return it->second.account;
}

}  // namespace linkhub::hub
