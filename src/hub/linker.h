#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/account.h"
#include "domain/session.h"

namespace linkhub::hub {

// Plaid Link's onSuccess metadata, as far as linkhub uses it. All optional: a pasted
// public_token comes without it.
struct LinkMetadata {
  struct Account {
    std::string id, name, mask, type, subtype;
  };
  std::optional<std::string> institution_id;
  std::optional<std::string> institution_name;
  std::vector<Account> accounts;
  std::optional<std::string> link_session_id;
};

struct LinkTokenInput {
  std::string origin_owner_id;
  std::vector<std::string> products;  // empty: the configured ones
  std::optional<std::string> redirect_uri;
  std::optional<std::string> account_id;  // set: update mode for that account's Item
};

struct LinkToken {
  std::string link_token;
  std::string expiration;
};

// Linking a bank: Plaid link tokens, and the crash-safe exchange of a public token for a linked
// account. Blocking (database and Plaid); thread-safe.
class Linker {
 public:
  virtual ~Linker() = default;

  // A link token for an owner of a project (update mode for `account_id`). kInvalidArgument for
  // bad input, kNotFound for another project's account, Plaid's errors otherwise.
  virtual Result<LinkToken> CreateLinkToken(const std::string& project_id,
                                            const LinkTokenInput& input) = 0;
  // Exchanges a public_token for a session and stores the linked account. A double submit gets
  // the same account; a bank login already linked for the owner is kAlreadyExists with the
  // existing account's id in the error's details. A re-link session does no exchange: it checks
  // the Item is healthy again and reactivates the account.
  virtual Result<domain::LinkedAccount> LinkAccount(const domain::ConnectSession& session,
                                                    std::string_view public_token,
                                                    const LinkMetadata& metadata) = 0;
};

}  // namespace linkhub::hub
