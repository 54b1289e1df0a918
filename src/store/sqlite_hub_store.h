#pragma once

#include "store/hub_store.h"
#include "store/sqlite_db.h"

namespace linkhub::store {

// HubStore on SQLite. REQUIRES: the database is migrated (see Migrate). Thread-safe.
class SqliteHubStore final : public HubStore {
 public:
  explicit SqliteHubStore(SqliteDb& db) : db_(db) {}

  Result<ConnectSession> CreateConnectSession(ConnectSession session) override;
  Result<ConnectSession> FindConnectSession(const std::string& token_hash) override;

  Result<std::vector<LinkedAccount>> ListAccounts(const AccountFilter& filter) override;
  Result<LinkedAccount> GetAccount(const std::string& project_id,
                                   const std::string& account_id) override;
  Result<std::vector<LinkedAccount>> ListOwnerAccounts(
      const std::string& project_id, const std::string& origin_owner_id,
      const std::string& provider, const std::vector<std::string>& statuses) override;
  Status UpdateAccount(const LinkedAccount& account) override;
  Status UpdateAccountDetails(const LinkedAccount& account) override;
  Status SetAccountStatus(const std::string& project_id, const std::string& account_id,
                          const std::string& status, const std::vector<StatusReason>& reasons,
                          TimePoint now) override;
  Status SuspendAccount(const std::string& project_id, const std::string& account_id,
                        const StatusReason& reason, TimePoint now) override;
  Status ResumeAccount(const std::string& project_id, const std::string& account_id,
                       TimePoint now) override;
  Status SoftDeleteAccount(const std::string& project_id, const std::string& account_id,
                           TimePoint now) override;

  Status BeginExchange(const PendingExchange& pending) override;
  Result<PendingExchange> FindExchange(const std::string& public_token_hash) override;
  Status ReopenExchange(const std::string& exchange_id, TimePoint now) override;
  Status CompleteExchange(const std::string& exchange_id, const LinkedAccount& account,
                          TimePoint now) override;
  Status FailExchange(const std::string& exchange_id, const std::string& failure,
                      TimePoint now) override;
  Result<std::vector<PendingExchange>> ListPendingExchanges() override;
  Result<std::vector<LinkedAccount>> ListAccountsWithPendingDetails() override;

  Result<std::optional<std::string>> GetSyncCursor(const std::string& project_id,
                                                   const std::string& account_id,
                                                   const std::string& consumer) override;
  Status PutSyncCursor(const std::string& project_id, const std::string& account_id,
                       const std::string& consumer, const std::string& cursor,
                       TimePoint now) override;

  Status AddPlaidCalls(const std::vector<PlaidCallRecord>& calls) override;
  Result<std::vector<PlaidCallRecord>> ListPlaidCalls(const std::string& project_id,
                                                      const std::string& account_id,
                                                      int limit) override;
  std::optional<uint64_t> WriteCount() const override { return db_.WriteCount(); }
  // In sqlite_connection_attempts.cc.
  Status CreateConnectionAttempt(const ConnectionAttempt& attempt) override;
  Result<ConnectionAttempt> GetConnectionAttempt(const std::string& project_id, int64_t session_id,
                                                 const std::string& id) override;
  Status CancelConnectionAttempt(const std::string& project_id, int64_t session_id,
                                 const std::string& id, TimePoint now) override;
  Status CompleteConnectionAttempts(const std::string& project_id, int64_t session_id,
                                    const std::string& account_id, TimePoint now) override;
  Result<std::vector<SealedField>> ListSealedFields() override;
  Status ReplaceSealedField(const SealedField& expected, const std::string& new_sealed) override;

 private:
  Result<std::vector<LinkedAccount>> QueryAccounts(const std::string& where,
                                                   const std::vector<std::string>& params,
                                                   const std::string& tail);
  SqliteDb& db_;
};

}  // namespace linkhub::store
