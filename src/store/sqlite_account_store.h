#pragma once

#include "store/account_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// AccountStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteAccountStore final : public AccountStore {
 public:
  explicit SqliteAccountStore(SqliteDb& db) : db_(db) {}

  Result<std::vector<domain::LinkedAccount>> ListAccounts(
      const domain::AccountFilter& filter) override;
  Result<domain::LinkedAccount> GetAccount(const std::string& project_id,
                                           const std::string& account_id) override;
  Result<std::vector<domain::LinkedAccount>> ListOwnerAccounts(
      const std::string& project_id, const std::string& origin_owner_id,
      const std::string& provider, const std::vector<domain::AccountStatus>& statuses) override;
  Result<std::optional<domain::LinkedAccount>> FindAccountByItem(
      const std::string& project_id, const std::string& item_id_hash) override;
  Status UpdateAccount(const domain::LinkedAccount& account) override;
  Result<domain::LinkedAccount> EditAccount(const std::string& project_id,
                                            const std::string& account_id,
                                            const domain::AccountEdit& edit,
                                            TimePoint now) override;
  Status UpdateAccountDetails(const domain::LinkedAccount& account) override;
  Status SetAccountStatus(const std::string& project_id, const std::string& account_id,
                          domain::AccountStatus status,
                          const std::vector<domain::StatusReason>& reasons, TimePoint now) override;
  Status SuspendAccount(const std::string& project_id, const std::string& account_id,
                        const domain::StatusReason& reason, TimePoint now) override;
  Status ResumeAccount(const std::string& project_id, const std::string& account_id,
                       TimePoint now) override;
  Status SoftDeleteAccount(const std::string& project_id, const std::string& account_id,
                           TimePoint now) override;
  Result<std::vector<domain::LinkedAccount>> ListAccountsWithPendingDetails() override;
  Result<std::vector<domain::SealedField>> ListSealedFields() override;
  Status ReplaceSealedField(const domain::SealedField& expected,
                            const std::string& new_sealed) override;
  std::optional<uint64_t> WriteCount() const override { return db_.WriteCount(); }

 private:
  Result<std::vector<domain::LinkedAccount>> QueryAccounts(const std::string& where,
                                                           const std::vector<std::string>& params,
                                                           const std::string& tail);
  SqliteDb& db_;
};

}  // namespace linkhub::store
