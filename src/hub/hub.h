#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "hub/fault_hook.h"
#include "hub/keys.h"
#include "plaid/plaid_client.h"
#include "store/hub_store.h"

namespace linkhub::hub {

// What linkhub asks Plaid Link for, from the server's configuration.
struct LinkSettings {
  std::string environment = "sandbox";  // recorded on every linked account
  std::string client_name = "linkhub";
  std::vector<std::string> products{"transactions"};
  std::vector<std::string> optional_products;
  std::vector<std::string> country_codes{"US"};
  std::string language = "en";
  std::string redirect_uri;  // empty: none
  std::string webhook_url;   // empty: none
};

struct CreateSessionInput {
  std::string origin_owner_id;
  std::string origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> provider;
  std::optional<std::string> account_id;
  std::optional<std::string> label;
  std::string categories_json = "null";
  std::string metadata_json = "null";
  bool multiple = false;
  std::string type = "production";
  std::chrono::seconds expires_in{1800};
};

struct NewSession {
  store::ConnectSession session;
  std::string token;  // shown once; only its hash is stored
};

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

struct AccountPatch {
  std::optional<std::string> origin_owner_id;
  std::optional<std::string> origin_owner_name;
  std::optional<std::string> origin_username;
  std::optional<std::string> label;
};

// Decrypted, display-safe facts about an account's Item (never the access token).
struct ItemFacts {
  std::string item_id;
};

// The hub's domain: connect sessions, the crash-safe public-token exchange, linked accounts.
// Every method that touches a session or an account takes the caller's project and sees only
// that project's rows. Blocking (database and Plaid calls): call from worker threads.
// Thread-safe.
class Hub {
 public:
  Hub(store::HubStore& store, Keys& keys, plaid::PlaidClient& plaid, Clock& clock, Random& random,
      LinkSettings settings, FaultHook* fault_hook = nullptr);

  // --- connect sessions
  Result<NewSession> CreateSession(const std::string& project_id, CreateSessionInput input);
  // The session a token names, expired or not (any project); kNotFound otherwise.
  Result<store::ConnectSession> FindSession(std::string_view token);
  // kUnauthenticated, saying when, once `session` has expired.
  Status CheckUnexpired(const store::ConnectSession& session);
  // The unexpired session a token names (any project); kUnauthenticated otherwise.
  Result<store::ConnectSession> AuthenticateSession(std::string_view token);

  // --- Plaid Link
  Result<LinkToken> CreateLinkToken(const std::string& project_id, const LinkTokenInput& input);
  // Exchanges a public_token for a session and stores the linked account (see exchange.cc).
  // A re-link session does no exchange: it checks the Item is healthy again and reactivates the
  // account.
  Result<store::LinkedAccount> LinkAccount(const store::ConnectSession& session,
                                           std::string_view public_token,
                                           const LinkMetadata& metadata);
  // Start-up recovery: closes expired pending exchanges (logging their link_session_id), and
  // returns the accounts whose display fields still need fetching (see FillPendingDetails).
  Status ReconcileExchanges();
  // Fetches display fields of accounts that were linked but never got them (a crash right
  // after linking, or Plaid failing then). Best effort; logs failures.
  void FillPendingDetails();

  // --- linked accounts
  Result<std::vector<store::LinkedAccount>> ListAccounts(const store::AccountFilter& filter);
  Result<store::LinkedAccount> GetAccount(const std::string& project_id,
                                          const std::string& account_id);
  Result<store::LinkedAccount> PatchAccount(const std::string& project_id,
                                            const std::string& account_id,
                                            const AccountPatch& patch);
  // Removes the Item at Plaid (an Item Plaid no longer knows counts as removed), then deletes
  // the account. Returns the account as it ends up (inactive).
  Result<store::LinkedAccount> DeleteAccount(const std::string& project_id,
                                             const std::string& account_id);
  Result<ItemFacts> GetItemFacts(const store::LinkedAccount& account);
  // Suspends an account: status "suspended" (every action and proxy call on it is refused)
  // until ResumeAccount, which gives back the status it had, or got meanwhile from Plaid.
  // Idempotent. Returns the account as it is now. kNotFound.
  Result<store::LinkedAccount> SuspendAccount(const std::string& project_id,
                                              const std::string& account_id);
  Result<store::LinkedAccount> ResumeAccount(const std::string& project_id,
                                             const std::string& account_id);

  // --- what the Hub page and StackOne's Hub component see of a session (hub_page.cc)
  // The live accounts of the session's owner (a re-link session: its account only).
  Result<std::vector<store::LinkedAccount>> SessionAccounts(const store::ConnectSession& session);
  // One of SessionAccounts(session); kNotFound otherwise.
  Result<store::LinkedAccount> SessionAccount(const store::ConnectSession& session,
                                              const std::string& account_id);
  Result<store::ConnectionAttempt> CreateConnectionAttempt(const store::ConnectSession& session);
  // Called once a session linked or re-linked `account_id`: its pending attempts become
  // "authenticated" by that account. Best effort (a failure is logged).
  void CompleteConnectionAttempts(const store::ConnectSession& session,
                                  const std::string& account_id);
  // An attempt of this session, with the account it led to once authenticated.
  struct AttemptState {
    store::ConnectionAttempt attempt;
    std::optional<store::LinkedAccount> account;
  };
  Result<AttemptState> GetConnectionAttempt(const store::ConnectSession& session,
                                            const std::string& id);
  Result<AttemptState> CancelConnectionAttempt(const store::ConnectSession& session,
                                               const std::string& id);

  const LinkSettings& settings() const { return settings_; }

 private:
  struct InFlight;
  Result<store::LinkedAccount> Exchange(const store::ConnectSession& session,
                                        std::string_view public_token, const LinkMetadata& metadata,
                                        const std::string& token_hash);
  Result<store::LinkedAccount> Relink(const store::ConnectSession& session);
  Status CheckLinkAllowed(const store::ConnectSession& session, const LinkMetadata& metadata);
  // Reads institution, accounts and products from Plaid into `account` and stores them.
  Status FillDetails(store::LinkedAccount& account, const std::string& access_token);
  // /item/remove with retries; false when the Item could not be removed.
  bool RemoveItem(const std::string& access_token, std::string_view why);
  Result<std::string> AccessToken(const store::LinkedAccount& account);
  void Fault(std::string_view point);

  store::HubStore& store_;
  Keys& keys_;
  plaid::PlaidClient& plaid_;
  Clock& clock_;
  Random& random_;
  const LinkSettings settings_;
  FaultHook* fault_hook_;

  // Exchanges running in this process, by public-token hash: a double submit waits for the
  // first and gets its answer.
  std::mutex inflight_mu_;
  std::condition_variable inflight_cv_;
  std::map<std::string, std::shared_ptr<InFlight>, std::less<>> inflight_;

  // One new link at a time per (project, owner): the duplicate guard and the `multiple` rule
  // read the owner's accounts before the exchange, so two different tokens of one owner linked
  // concurrently must not both pass them. Entries live while someone holds or waits for them.
  struct OwnerSlot {
    std::timed_mutex mu;
    int users = 0;
  };
  class OwnerLock;
  std::mutex owners_mu_;
  std::map<std::string, std::unique_ptr<OwnerSlot>, std::less<>> owners_;
};

// The products linkhub accepts in a link token (Plaid's Products enum, minus `balance`, which
// Plaid refuses there).
bool IsLinkProduct(std::string_view product);

}  // namespace linkhub::hub
