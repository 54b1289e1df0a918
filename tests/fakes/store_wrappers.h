#pragma once

// Forwarding bases for every narrow store, in the manner of leveldb's EnvWrapper: each forwards
// every call to a target store, so a test derives from one and overrides only the method it
// wants to fail or watch:
//
//   class FailingComplete : public fakes::ExchangeStoreWrapper {
//    public:
//     using ExchangeStoreWrapper::ExchangeStoreWrapper;
//     Status CompleteExchange(...) override { return Unexpected(...); }
//   };
//
// Thread-safe as far as the target is.

#include "store/backend.h"

namespace linkhub::fakes {

class SessionStoreWrapper : public store::SessionStore {
 public:
  explicit SessionStoreWrapper(store::SessionStore& target) : target_(target) {}
  Result<domain::ConnectSession> CreateConnectSession(domain::ConnectSession session) override {
    return target_.CreateConnectSession(std::move(session));
  }
  Result<domain::ConnectSession> FindConnectSession(const std::string& token_hash) override {
    return target_.FindConnectSession(token_hash);
  }

 private:
  store::SessionStore& target_;
};

class AccountStoreWrapper : public store::AccountStore {
 public:
  explicit AccountStoreWrapper(store::AccountStore& target) : target_(target) {}
  Result<std::vector<domain::LinkedAccount>> ListAccounts(
      const domain::AccountFilter& filter) override {
    return target_.ListAccounts(filter);
  }
  Result<domain::LinkedAccount> GetAccount(const std::string& project_id,
                                           const std::string& account_id) override {
    return target_.GetAccount(project_id, account_id);
  }
  Result<std::vector<domain::LinkedAccount>> ListOwnerAccounts(
      const std::string& project_id, const std::string& origin_owner_id,
      const std::string& provider, const std::vector<domain::AccountStatus>& statuses) override {
    return target_.ListOwnerAccounts(project_id, origin_owner_id, provider, statuses);
  }
  Result<std::optional<domain::LinkedAccount>> FindAccountByItem(
      const std::string& project_id, const std::string& item_id_hash) override {
    return target_.FindAccountByItem(project_id, item_id_hash);
  }
  Status UpdateAccount(const domain::LinkedAccount& account) override {
    return target_.UpdateAccount(account);
  }
  Result<domain::LinkedAccount> EditAccount(const std::string& project_id,
                                            const std::string& account_id,
                                            const domain::AccountEdit& edit,
                                            TimePoint now) override {
    return target_.EditAccount(project_id, account_id, edit, now);
  }
  Status UpdateAccountDetails(const domain::LinkedAccount& account) override {
    return target_.UpdateAccountDetails(account);
  }
  Status SetAccountStatus(const std::string& project_id, const std::string& account_id,
                          domain::AccountStatus status,
                          const std::vector<domain::StatusReason>& reasons,
                          TimePoint now) override {
    return target_.SetAccountStatus(project_id, account_id, status, reasons, now);
  }
  Status SuspendAccount(const std::string& project_id, const std::string& account_id,
                        const domain::StatusReason& reason, TimePoint now) override {
    return target_.SuspendAccount(project_id, account_id, reason, now);
  }
  Status ResumeAccount(const std::string& project_id, const std::string& account_id,
                       TimePoint now) override {
    return target_.ResumeAccount(project_id, account_id, now);
  }
  Status SoftDeleteAccount(const std::string& project_id, const std::string& account_id,
                           TimePoint now) override {
    return target_.SoftDeleteAccount(project_id, account_id, now);
  }
  Result<std::vector<domain::LinkedAccount>> ListAccountsWithPendingDetails() override {
    return target_.ListAccountsWithPendingDetails();
  }
  Result<std::vector<domain::SealedField>> ListSealedFields() override {
    return target_.ListSealedFields();
  }
  Status ReplaceSealedField(const domain::SealedField& expected,
                            const std::string& new_sealed) override {
    return target_.ReplaceSealedField(expected, new_sealed);
  }
  std::optional<uint64_t> WriteCount() const override { return target_.WriteCount(); }

 private:
  store::AccountStore& target_;
};

class ExchangeStoreWrapper : public store::ExchangeStore {
 public:
  explicit ExchangeStoreWrapper(store::ExchangeStore& target) : target_(target) {}
  Status BeginExchange(const domain::PendingExchange& pending) override {
    return target_.BeginExchange(pending);
  }
  Result<domain::PendingExchange> FindExchange(const std::string& public_token_hash) override {
    return target_.FindExchange(public_token_hash);
  }
  Status ReopenExchange(const std::string& exchange_id, TimePoint now) override {
    return target_.ReopenExchange(exchange_id, now);
  }
  Status CompleteExchange(const std::string& exchange_id, const domain::LinkedAccount& account,
                          TimePoint now) override {
    return target_.CompleteExchange(exchange_id, account, now);
  }
  Status FailExchange(const std::string& exchange_id, const std::string& failure,
                      TimePoint now) override {
    return target_.FailExchange(exchange_id, failure, now);
  }
  Result<std::vector<domain::PendingExchange>> ListPendingExchanges() override {
    return target_.ListPendingExchanges();
  }

 private:
  store::ExchangeStore& target_;
};

class SyncCursorStoreWrapper : public store::SyncCursorStore {
 public:
  explicit SyncCursorStoreWrapper(store::SyncCursorStore& target) : target_(target) {}
  Result<std::optional<std::string>> GetSyncCursor(const std::string& project_id,
                                                   const std::string& account_id,
                                                   const std::string& consumer) override {
    return target_.GetSyncCursor(project_id, account_id, consumer);
  }
  Status PutSyncCursor(const std::string& project_id, const std::string& account_id,
                       const std::string& consumer, const std::string& cursor,
                       TimePoint now) override {
    return target_.PutSyncCursor(project_id, account_id, consumer, cursor, now);
  }

 private:
  store::SyncCursorStore& target_;
};

class CallLogStoreWrapper : public store::CallLogStore {
 public:
  explicit CallLogStoreWrapper(store::CallLogStore& target) : target_(target) {}
  Status AddPlaidCalls(const std::vector<domain::PlaidCallRecord>& calls) override {
    return target_.AddPlaidCalls(calls);
  }
  Result<std::vector<domain::PlaidCallRecord>> ListPlaidCalls(const std::string& project_id,
                                                              const std::string& account_id,
                                                              int limit) override {
    return target_.ListPlaidCalls(project_id, account_id, limit);
  }

 private:
  store::CallLogStore& target_;
};

class ConnectionAttemptStoreWrapper : public store::ConnectionAttemptStore {
 public:
  explicit ConnectionAttemptStoreWrapper(store::ConnectionAttemptStore& target) : target_(target) {}
  Status CreateConnectionAttempt(const domain::ConnectionAttempt& attempt) override {
    return target_.CreateConnectionAttempt(attempt);
  }
  Result<domain::ConnectionAttempt> GetConnectionAttempt(const std::string& project_id,
                                                         int64_t session_id,
                                                         const std::string& id) override {
    return target_.GetConnectionAttempt(project_id, session_id, id);
  }
  Status CancelConnectionAttempt(const std::string& project_id, int64_t session_id,
                                 const std::string& id, TimePoint now) override {
    return target_.CancelConnectionAttempt(project_id, session_id, id, now);
  }
  Status CompleteConnectionAttempts(const std::string& project_id, int64_t session_id,
                                    const std::string& account_id, TimePoint now) override {
    return target_.CompleteConnectionAttempts(project_id, session_id, account_id, now);
  }

 private:
  store::ConnectionAttemptStore& target_;
};

class ProjectStoreWrapper : public store::ProjectStore {
 public:
  explicit ProjectStoreWrapper(store::ProjectStore& target) : target_(target) {}
  Result<domain::Project> CreateProject(const std::string& id, const std::string& name,
                                        TimePoint now) override {
    return target_.CreateProject(id, name, now);
  }
  Result<domain::Project> GetProject(const std::string& id) override {
    return target_.GetProject(id);
  }
  Result<std::vector<domain::Project>> ListProjects() override { return target_.ListProjects(); }
  Status SetAllowedOrigins(const std::string& project_id,
                           const std::vector<std::string>& origins) override {
    return target_.SetAllowedOrigins(project_id, origins);
  }

 private:
  store::ProjectStore& target_;
};

class ApiKeyStoreWrapper : public store::ApiKeyStore {
 public:
  explicit ApiKeyStoreWrapper(store::ApiKeyStore& target) : target_(target) {}
  Status AddApiKey(const domain::ApiKey& key) override { return target_.AddApiKey(key); }
  Result<domain::ApiKey> FindActiveApiKey(const std::string& key_hash) override {
    return target_.FindActiveApiKey(key_hash);
  }
  Result<std::vector<domain::ApiKey>> ListApiKeys(const std::string& project_id) override {
    return target_.ListApiKeys(project_id);
  }
  Status RevokeApiKey(const std::string& project_id, const std::string& key_id,
                      TimePoint now) override {
    return target_.RevokeApiKey(project_id, key_id, now);
  }

 private:
  store::ApiKeyStore& target_;
};

class DataKeyStoreWrapper : public store::DataKeyStore {
 public:
  explicit DataKeyStoreWrapper(store::DataKeyStore& target) : target_(target) {}
  Status AddActiveDataKey(const domain::StoredDataKey& key) override {
    return target_.AddActiveDataKey(key);
  }
  Result<std::vector<domain::StoredDataKey>> ListDataKeys() override {
    return target_.ListDataKeys();
  }
  Result<std::string> ActiveDataKeyId() override { return target_.ActiveDataKeyId(); }
  Status RetireDataKey(const std::string& key_id, TimePoint now) override {
    return target_.RetireDataKey(key_id, now);
  }

 private:
  store::DataKeyStore& target_;
};

class DashboardSessionStoreWrapper : public store::DashboardSessionStore {
 public:
  explicit DashboardSessionStoreWrapper(store::DashboardSessionStore& target) : target_(target) {}
  Status CreateDashboardSession(const domain::DashboardSession& session) override {
    return target_.CreateDashboardSession(session);
  }
  Result<domain::DashboardSession> FindDashboardSession(const std::string& id_hash) override {
    return target_.FindDashboardSession(id_hash);
  }
  Status TouchDashboardSession(const std::string& id_hash, TimePoint now) override {
    return target_.TouchDashboardSession(id_hash, now);
  }
  Status DeleteDashboardSession(const std::string& id_hash) override {
    return target_.DeleteDashboardSession(id_hash);
  }
  Result<int64_t> DeleteExpiredDashboardSessions(TimePoint now, TimePoint idle_before) override {
    return target_.DeleteExpiredDashboardSessions(now, idle_before);
  }

 private:
  store::DashboardSessionStore& target_;
};

}  // namespace linkhub::fakes
