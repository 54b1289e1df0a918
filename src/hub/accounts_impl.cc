#include "hub/accounts_impl.h"

#include <spdlog/spdlog.h>

namespace linkhub::hub {

namespace {

constexpr size_t kMaxField = 255;

}  // namespace

Result<std::vector<domain::LinkedAccount>> AccountsImpl::List(const domain::AccountFilter& filter) {
  return accounts_.ListAccounts(filter);
}

Result<domain::LinkedAccount> AccountsImpl::Get(const std::string& project_id,
                                                const std::string& account_id) {
  return accounts_.GetAccount(project_id, account_id);
}

Result<domain::LinkedAccount> AccountsImpl::Patch(const std::string& project_id,
                                                  const std::string& account_id,
                                                  const AccountPatch& patch) {
  auto check = [](const std::optional<std::string>& v, std::string_view name) -> Status {
    if (v && (v->empty() || v->size() > kMaxField)) {
      return Unexpected(Invalid(std::string(name) + " must be a string of 1 to 255 characters"));
    }
    return OkStatus();
  };
  LINKHUB_RETURN_IF_ERROR(check(patch.origin_owner_id, "origin_owner_id"));
  LINKHUB_RETURN_IF_ERROR(check(patch.origin_owner_name, "origin_owner_name"));
  // One write of the named fields: a status a webhook set since the caller's last read, or an
  // edit made meanwhile, stays as it is.
  return accounts_.EditAccount(project_id, account_id, patch, clock_.Now());
}

Result<domain::LinkedAccount> AccountsImpl::Suspend(const std::string& project_id,
                                                    const std::string& account_id) {
  TimePoint now = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(accounts_.SuspendAccount(
      project_id, account_id,
      domain::StatusReason{"SUSPENDED",
                           "Suspended by an operator: actions and proxy calls are refused until "
                           "it is resumed.",
                           now},
      now));
  spdlog::info("account {} suspended (project {})", account_id, project_id);
  return accounts_.GetAccount(project_id, account_id);
}

Result<domain::LinkedAccount> AccountsImpl::Resume(const std::string& project_id,
                                                   const std::string& account_id) {
  LINKHUB_RETURN_IF_ERROR(accounts_.ResumeAccount(project_id, account_id, clock_.Now()));
  spdlog::info("account {} resumed (project {})", account_id, project_id);
  return accounts_.GetAccount(project_id, account_id);
}

Result<domain::LinkedAccount> AccountsImpl::Delete(const std::string& project_id,
                                                   const std::string& account_id) {
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                           accounts_.GetAccount(project_id, account_id));
  if (!account.access_token_sealed.empty()) {
    if (account.environment != settings_.environment) {
      // Plaid answers INVALID_ACCESS_TOKEN for another environment's token too: deleting here
      // would erase the only key to a live, billed Item.
      return Unexpected(
          MakeError(ErrorCode::kFailedPrecondition,
                    "account " + account.id + " was linked in Plaid's " + account.environment +
                        " environment and this server talks "
                        "to " +
                        settings_.environment + "; delete it from a server configured for " +
                        account.environment));
    }
    LINKHUB_ASSIGN_OR_RETURN(std::string access_token, keys_.OpenAccessToken(account));
    auto removed = plaid_.Call("/item/remove", boost::json::object{{"access_token", access_token}});
    if (!removed) {
      const auto& p = removed.error().provider;
      bool gone =
          p && (p->error_code == "ITEM_NOT_FOUND" || p->error_code == "INVALID_ACCESS_TOKEN");
      if (!gone) {
        Error e = std::move(removed).error();
        e.message = "the Item could not be removed at Plaid, so the account was kept: " + e.message;
        return Unexpected(std::move(e));
      }
      spdlog::info("account {}: Plaid no longer knows its Item; deleting it", account.id);
    }
  }
  TimePoint now = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(accounts_.SoftDeleteAccount(project_id, account_id, now));
  spdlog::info("account {} deleted (project {})", account.id, project_id);
  account.status = domain::AccountStatus::kInactive;
  account.updated_at = now;
  account.deleted_at = now;
  account.access_token_sealed.clear();
  account.item_id_sealed.clear();
  return account;
}

Result<std::string> AccountsImpl::ItemId(const domain::LinkedAccount& account) {
  return keys_.OpenItemId(account);
}

Result<std::vector<domain::PlaidCallRecord>> AccountsImpl::PlaidCalls(const std::string& project_id,
                                                                      const std::string& account_id,
                                                                      int limit) {
  // Another project's account is not found, like everywhere else.
  LINKHUB_RETURN_IF_ERROR(accounts_.GetAccount(project_id, account_id));
  return call_log_.List(project_id, account_id, limit);
}

}  // namespace linkhub::hub
