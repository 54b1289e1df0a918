#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "emulator/fixtures.h"
#include "emulator/plaid_error.h"
#include "emulator/transactions.h"
#include "emulator/validation.h"
#include "emulator/webhook_dispatcher.h"
#include "emulator/webhook_signer.h"
#include "http/router.h"

namespace linkhub::emulator {

struct EmulatorConfig {
  std::string client_id = "linkhub-demo-client";
  std::string secret = "linkhub-demo-secret";
  // More Plaid clients (client_id, secret) beside the one above, each with its own Items: another
  // client's tokens are unknown to it, as at Plaid.
  std::vector<std::pair<std::string, std::string>> more_clients;
  // Whether `client_id` with `secret` is one of the clients.
  bool Accepts(std::string_view client_id, std::string_view secret) const;
  std::string env = "sandbox";  // the token prefix and webhook `environment`
  // Where browsers reach the emulator (the OAuth bank page links); the listen URL by default.
  std::string public_url;
  bool rate_limits = true;
  int item_rate_limit = 0;    // per endpoint and Item per minute; 0 = Plaid's table
  int client_rate_limit = 0;  // per endpoint per minute; 0 = Plaid's table
  std::chrono::seconds tx_initial_delay{3};
  std::chrono::seconds tx_historical_delay{10};
  std::chrono::seconds tx_update_interval{6 * 3600};
  uint64_t seed = 1;
  std::string web_dir;  // when set, the Link stand-in's files are read from here
};

// The account ids of an Item `item_id` at `inst`, in the institution profile's order.
std::vector<std::string> AccountIdsFor(const std::string& item_id, const InstitutionFixture& inst,
                                       const Fixtures& fixtures, uint64_t seed);

// One injected fault: the next `remaining` calls to `endpoint` (optionally only for one Item) fail
// with `error`, or are delayed, or lose their connection.
struct Fault {
  int64_t id = 0;
  std::string endpoint;  // "*" matches every Plaid endpoint
  std::string item_id;   // empty: any
  int remaining = 1;
  std::optional<PlaidError> error;
  std::chrono::milliseconds delay{0};
  bool drop_connection = false;
};

// The Plaid emulator: Plaid's API, the Link stand-in's backend and the /emulator/* test
// controls, over one in-memory state guarded by one mutex. Thread-safe.
class Emulator {
 public:
  Emulator(EmulatorConfig config, const Fixtures& fixtures, OffsetClock& clock, Random& random,
           WebhookSigner& signer, WebhookDispatcher& webhooks);

  void RegisterRoutes(http::Router& router);
  // Fires the transactions webhooks that became due (call periodically, and after the clock
  // moves).
  void Tick();
  void SetPublicUrl(std::string url);

  // Answers the errors that the HTTP server produces itself, in Plaid's envelope.
  static http::Response ServerError(const http::Request& req, int status,
                                    const std::string& message);

 private:
  struct Account {
    std::string account_id;
    const AccountTemplate* tmpl = nullptr;
  };
  struct Item {
    std::string item_id;
    std::string client_id;  // the Plaid client that created it; only it may use its tokens
    const InstitutionFixture* institution = nullptr;
    TimePoint created_at;
    std::vector<std::string> billed;     // products billed (in use)
    std::vector<std::string> consented;  // products the user consented to
    std::optional<std::string> webhook;
    std::optional<PlaidError> error;
    bool removed = false;
    bool exchanged = false;
    std::string access_token;
    std::string client_user_id;
    std::vector<Account> accounts;
    bool has_transactions = false;
    TxParams tx;
    size_t tx_notified = 0;  // extractions already announced by webhook
    std::optional<std::pair<TimePoint, std::string>> last_webhook;
  };
  struct LinkToken {
    std::string token;
    std::string client_id;  // the client that created it, and so of the Item it makes
    TimePoint created_at;
    TimePoint expires_at;
    std::string client_name, language, client_user_id;
    std::vector<std::string> country_codes, products, optional_products, required_if_supported,
        additional_consented;
    std::optional<std::string> webhook, redirect_uri;
    std::string update_item_id;  // set in update mode
    bool account_selection_enabled = false;
    int days_requested = 90;
    std::vector<std::string> sessions;
  };
  enum class Step {
    kSelectInstitution,
    kCredentials,
    kMfa,
    kOAuth,
    kSelectAccounts,
    kDone,
    kExited
  };
  struct LinkSession {
    std::string id;
    std::string link_token;
    TimePoint started_at;
    std::optional<TimePoint> finished_at;
    Step step = Step::kSelectInstitution;
    std::string institution_id;
    std::string username;
    int mfa_failures = 0;
    std::string oauth_state_id;
    bool oauth_denied = false;
    std::string item_id;  // set once the credentials (or OAuth) succeeded
    std::string public_token;
    boost::json::object success_metadata;
    std::optional<boost::json::object> exit_error;
    std::string exit_status;
  };
  struct PublicToken {
    std::string item_id;
    TimePoint expires_at;
    bool used = false;
  };
  struct RateWindow {
    TimePoint start;
    int count = 0;
  };

  using Outcome = std::variant<boost::json::object, PlaidError>;
  // A Plaid API call after auth and validation: body, request id and the state lock held.
  struct Call {
    const boost::json::object& body;
    const std::string& client_id;  // the caller's, checked against its secret
    const std::string& request_id;
    const std::string& endpoint;
    // Per-request arena for the response: hot handlers build into it so that allocating and
    // freeing the response costs next to nothing.
    boost::json::storage_ptr sp;
  };
  using PlaidHandler = Outcome (Emulator::*)(Call&);

  // The HTTP answer for a handler's outcome: Plaid's error envelope, or the object plus request_id.
  static http::Response Answer(Outcome& outcome, const std::string& request_id);
  void AddPlaid(http::Router& router, const std::string& path, const ObjectSpec& spec,
                PlaidHandler h);
  // Counts the request (see requests_) and answers it with Answer().
  http::Response HandlePlaid(http::Request& req, const std::string& path, const ObjectSpec& spec,
                             PlaidHandler h);
  http::Response AnswerPlaid(http::Request& req, const std::string& path, const ObjectSpec& spec,
                             PlaidHandler h);
  http::Response HandleLinkUi(http::Request& req, const ObjectSpec& spec,
                              Outcome (Emulator::*h)(const boost::json::object&,
                                                     const std::string&));
  std::optional<Fault> TakeFaultLocked(const std::string& endpoint,
                                       const boost::json::object* body);

  // Plaid endpoints (emulator_plaid.cc).
  Outcome LinkTokenCreate(Call& c);
  Outcome LinkTokenGet(Call& c);
  Outcome PublicTokenExchange(Call& c);
  Outcome AccountsGet(Call& c);
  Outcome BalanceGet(Call& c);
  Outcome AuthGet(Call& c);
  Outcome TransactionsSync(Call& c);
  Outcome TransactionsGet(Call& c);
  Outcome TransactionsRefresh(Call& c);
  Outcome IdentityGet(Call& c);
  Outcome HoldingsGet(Call& c);
  Outcome InvestmentTransactionsGet(Call& c);
  Outcome LiabilitiesGet(Call& c);
  Outcome ItemGet(Call& c);
  Outcome ItemRemove(Call& c);
  Outcome ItemWebhookUpdate(Call& c);
  Outcome AccessTokenInvalidate(Call& c);
  Outcome InstitutionsGetById(Call& c);
  Outcome InstitutionsSearch(Call& c);
  Outcome WebhookKeyGet(Call& c);
  Outcome SandboxPublicTokenCreate(Call& c);
  Outcome SandboxResetLogin(Call& c);
  Outcome SandboxFireWebhook(Call& c);
  // What /sandbox/item/reset_login and /sandbox/item/fire_webhook do to an Item, shared with the
  // test controls that name the Item by id. `options` may set "consent_expiration_time"
  // (PENDING_EXPIRATION) and "error_code" (ERROR; ITEM_LOGIN_REQUIRED by default).
  Outcome ResetLoginLocked(Item& item);
  Outcome FireItemWebhookLocked(Item& item, std::string type, const std::string& code,
                                const boost::json::object& options);

  // Link stand-in backend (emulator_link.cc).
  Outcome LinkStart(const boost::json::object& b, const std::string& rid);
  Outcome LinkSearch(const boost::json::object& b, const std::string& rid);
  Outcome LinkCredentials(const boost::json::object& b, const std::string& rid);
  Outcome LinkMfa(const boost::json::object& b, const std::string& rid);
  Outcome LinkOAuth(const boost::json::object& b, const std::string& rid);
  Outcome LinkOAuthInfo(const boost::json::object& b, const std::string& rid);
  Outcome LinkOAuthApprove(const boost::json::object& b, const std::string& rid);
  Outcome LinkComplete(const boost::json::object& b, const std::string& rid);
  Outcome LinkExit(const boost::json::object& b, const std::string& rid);
  http::Response ServeWebFile(const std::string& name, const std::string& content_type);
  void RegisterLinkRoutes(http::Router& router);

  // Test controls (emulator_control.cc).
  void RegisterControlRoutes(http::Router& router);

  // Shared helpers (emulator.cc). All *Locked functions require mu_.
  // The Item of the body's access_token, when it is `client_id`'s.
  std::variant<Item*, PlaidError> ResolveItemLocked(const boost::json::object& body,
                                                    const std::string& client_id,
                                                    bool require_healthy);
  std::optional<PlaidError> CheckRateLocked(const std::string& endpoint, const Item* item);
  std::optional<PlaidError> GateProductLocked(Item& item, const std::string& product);
  std::variant<std::vector<const Account*>, PlaidError> SelectAccountsLocked(
      const Item& item, const boost::json::object& body);
  boost::json::object AccountJson(const Account& account, boost::json::storage_ptr sp = {}) const;
  boost::json::object ItemJson(const Item& item, bool consent_fields,
                               const boost::json::storage_ptr& sp = {}) const;
  boost::json::object InstitutionJson(const InstitutionFixture& inst, bool optional_metadata) const;
  Item& CreateItemLocked(const InstitutionFixture& inst, const std::vector<std::string>& products,
                         std::vector<std::string> consented, std::optional<std::string> webhook,
                         int days_requested, std::string client_user_id, std::string item_id = "");
  std::string MintPublicTokenLocked(const Item& item);
  void EnableTransactionsLocked(Item& item);
  void FireWebhookLocked(Item& item, boost::json::object payload);
  std::optional<PlaidError> CredentialsOutcome(const std::string& username,
                                               const std::string& password, bool* needs_mfa) const;
  std::string NewToken(const char* kind);
  void PurgeExpiredLocked(TimePoint now);
  // Plaid's format errors for a `kind` ("access", "public") token: malformed, or minted for another
  // environment.
  std::optional<PlaidError> CheckTokenFormat(std::string_view token, const std::string& kind,
                                             const std::string& error_code) const;
  // The "pick your accounts" step of a Link session that has logged in to `inst`.
  boost::json::object SelectAccountsStep(const LinkSession& s,
                                         const InstitutionFixture& inst) const;
  TimePoint Now() { return clock_.Now(); }

  EmulatorConfig config_;
  const Fixtures& fixtures_;
  OffsetClock& clock_;
  Random& random_;
  WebhookSigner& signer_;
  WebhookDispatcher& webhooks_;

  std::mutex mu_;
  std::map<std::string, Item, std::less<>> items_;
  std::map<std::string, std::string, std::less<>> access_tokens_;  // token -> item_id
  std::map<std::string, PublicToken, std::less<>> public_tokens_;
  std::map<std::string, LinkToken, std::less<>> link_tokens_;
  std::map<std::string, LinkSession, std::less<>> link_sessions_;
  std::map<std::string, std::string, std::less<>> oauth_states_;  // oauth_state_id -> session id
  std::map<std::string, RateWindow, std::less<>> rate_windows_;
  std::vector<Fault> faults_;
  // Plaid requests by "PATH" (counted as each arrives) and "PATH STATUS" (as its answer is made,
  // before any delay; STATUS "dropped" for a dropped connection), for GET /emulator/requests.
  std::map<std::string, int64_t, std::less<>> requests_;
  int64_t next_fault_id_ = 1;
  int64_t next_item_seq_ = 1;
};

}  // namespace linkhub::emulator
