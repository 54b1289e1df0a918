#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/account.h"
#include "domain/session.h"

namespace linkhub::hub {

// An attempt of a session, with the account it led to once authenticated.
struct AttemptState {
  domain::ConnectionAttempt attempt;
  std::optional<domain::LinkedAccount> account;
};

// What a connect session's browser (the Hub page, StackOne's Hub component) may see and do: the
// owner's accounts and the session's connection attempts. Every method is bound to the session
// it is given. Blocking (database); thread-safe.
class HubView {
 public:
  virtual ~HubView() = default;

  // The live accounts of the session's owner (a re-link session: its account only).
  virtual Result<std::vector<domain::LinkedAccount>> SessionAccounts(
      const domain::ConnectSession& session) = 0;
  // One of SessionAccounts(session); kNotFound otherwise.
  virtual Result<domain::LinkedAccount> SessionAccount(const domain::ConnectSession& session,
                                                       const std::string& account_id) = 0;
  // kFailedPrecondition once the session made too many.
  virtual Result<domain::ConnectionAttempt> CreateConnectionAttempt(
      const domain::ConnectSession& session) = 0;
  // Called once a session linked or re-linked `account_id`: its pending attempts become
  // authenticated by that account. Best effort (a failure is logged).
  virtual void CompleteConnectionAttempts(const domain::ConnectSession& session,
                                          const std::string& account_id) = 0;
  // kNotFound for an attempt of another session.
  virtual Result<AttemptState> GetConnectionAttempt(const domain::ConnectSession& session,
                                                    const std::string& id) = 0;
  virtual Result<AttemptState> CancelConnectionAttempt(const domain::ConnectSession& session,
                                                       const std::string& id) = 0;
};

}  // namespace linkhub::hub
