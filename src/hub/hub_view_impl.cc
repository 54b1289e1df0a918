// What a connect session's browser sees: the owner's accounts (display fields only, at the API)
// and StackOne's connection attempts, which the Hub component makes before a sign-in and polls.
#include "hub/hub_view_impl.h"

#include <spdlog/spdlog.h>

#include "core/ids.h"

namespace linkhub::hub {

namespace {

Error NoSuchAccount() {
  return MakeError(ErrorCode::kNotFound, "no such account for this connect session");
}

}  // namespace

Result<std::vector<domain::LinkedAccount>> HubViewImpl::SessionAccounts(
    const domain::ConnectSession& session) {
  if (session.account_id) {
    auto account = accounts_.GetAccount(session.project_id, *session.account_id);
    if (!account) {
      if (account.error().code == ErrorCode::kNotFound) {
        return std::vector<domain::LinkedAccount>{};
      }
      return Unexpected(std::move(account).error());
    }
    return std::vector<domain::LinkedAccount>{std::move(*account)};
  }
  return accounts_.ListOwnerAccounts(session.project_id, session.origin_owner_id, "plaid", {});
}

Result<domain::LinkedAccount> HubViewImpl::SessionAccount(const domain::ConnectSession& session,
                                                          const std::string& account_id) {
  LINKHUB_ASSIGN_OR_RETURN(auto accounts, SessionAccounts(session));
  for (auto& a : accounts) {
    if (a.id == account_id) {
      return std::move(a);
    }
  }
  return Unexpected(NoSuchAccount());
}

Result<domain::ConnectionAttempt> HubViewImpl::CreateConnectionAttempt(
    const domain::ConnectSession& session) {
  domain::ConnectionAttempt a;
  a.id = "ca_" + NewBase62(random_, 20);
  a.project_id = session.project_id;
  a.session_id = session.id;
  a.status = domain::AttemptStatus::kPending;
  a.created_at = a.updated_at = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(attempts_.CreateConnectionAttempt(a));
  return a;
}

void HubViewImpl::CompleteConnectionAttempts(const domain::ConnectSession& session,
                                             const std::string& account_id) {
  if (auto s = attempts_.CompleteConnectionAttempts(session.project_id, session.id, account_id,
                                                    clock_.Now());
      !s) {
    spdlog::warn("connect session {}: connection attempts not completed: {}", session.id,
                 s.error().message);
  }
}

Result<AttemptState> HubViewImpl::GetConnectionAttempt(const domain::ConnectSession& session,
                                                       const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "connection attempt not found"));
  }
  AttemptState out;
  LINKHUB_ASSIGN_OR_RETURN(out.attempt,
                           attempts_.GetConnectionAttempt(session.project_id, session.id, id));
  if (out.attempt.account_id) {
    if (auto a = SessionAccount(session, *out.attempt.account_id); a) {
      out.account = std::move(*a);
    }
  }
  return out;
}

Result<AttemptState> HubViewImpl::CancelConnectionAttempt(const domain::ConnectSession& session,
                                                          const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return Unexpected(MakeError(ErrorCode::kNotFound, "connection attempt not found"));
  }
  LINKHUB_RETURN_IF_ERROR(
      attempts_.CancelConnectionAttempt(session.project_id, session.id, id, clock_.Now()));
  return GetConnectionAttempt(session, id);
}

}  // namespace linkhub::hub
