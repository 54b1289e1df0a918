// The public-token exchange: the one step where a crash or a double click could lose a bank link
// or leave a billed Item orphaned at Plaid. The order of writes is what makes it safe:
//
//   1. refuse duplicates before Plaid is called (same owner, institution and account masks);
//   2. record a pending exchange (the public token's keyed hash, never the token);
//   3. journal "sending" (store/exchange_journal.h: flushed to the disk), then call
//      /item/public_token/exchange on a fresh connection (never re-sent silently);
//   4. seal the answer and journal it, flushed, before anything else is done with it;
//   5. in one transaction: store the sealed access token and item id, activate the account,
//      close the pending record; if that fails, remove the Item at Plaid with the token still
//      in memory (and record an orphan if even that fails);
//   6. fetch display fields (institution, accounts, products); failures do not undo the link.
//
// A double submit of the same public token waits for the first and gets the same account. After
// a crash, start-up reconciles what the journal saw: a journaled answer becomes the account, an
// exchange that never reached Plaid is closed for a safe retry, and one sent without a kept
// answer has an unknown outcome (a possible orphan). Its retry settles it: Plaid answers
// INVALID_PUBLIC_TOKEN when the first call had landed, and the orphan becomes definite, listed
// with its link_session_id by `linkhub items orphans`. Only a crash between Plaid's last byte
// and the journal's write can orphan an Item, and then it is known.
#include "hub/linker_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/ids.h"
#include "core/json.h"
#include "core/metric_families.h"
#include "hub/account_status.h"
#include "plaid/catalogue.h"

namespace linkhub::hub {

namespace {

constexpr auto kPublicTokenLifetime = std::chrono::minutes(30);
// How long a double submit waits for the first: bounded so that a slow Plaid cannot pin the
// server's handler threads.
constexpr auto kInFlightWait = std::chrono::seconds(45);
constexpr size_t kMaxPublicToken = 256;
constexpr size_t kMaxField = 255;

// How a failed exchange's record begins when its request went to Plaid without an answer kept
// (a retry may then meet an Item the first attempt made), and when it never went.
constexpr std::string_view kOutcomeUnknown = "outcome unknown";
constexpr std::string_view kNotSent = "not sent";

const char kRunLinkAgain[] =
    "This public token has expired or was already used: run Plaid Link again to get a new one.";

bool IsPlaidError(const Error& e, std::string_view code) {
  return e.provider && e.provider->error_code == code;
}

// "mask|name" pairs that identify the accounts of a bank login, for the duplicate guard.
std::set<std::string> AccountKeys(const std::vector<LinkMetadata::Account>& accounts) {
  std::set<std::string> out;
  for (const auto& a : accounts) {
    if (!a.mask.empty()) {
      out.insert(a.mask + "|" + a.name);
    }
  }
  return out;
}

// Accounts as Plaid lists them ({account_id, name, mask, type, subtype, ...}), which is also the
// shape stored in accounts_json.
std::vector<LinkMetadata::Account> AccountsFromArray(const boost::json::array& list) {
  std::vector<LinkMetadata::Account> out;
  for (const auto& e : list) {
    if (!e.is_object()) {
      continue;
    }
    const auto& o = e.get_object();
    auto s = [&](std::string_view k) { return std::string(GetString(o, k).value_or("")); };
    out.push_back({s("account_id"), s("name"), s("mask"), s("type"), s("subtype")});
  }
  return out;
}

std::vector<LinkMetadata::Account> AccountsFromJson(const std::string& text) {
  auto v = ParseJson(text);
  return v && v->is_array() ? AccountsFromArray(v->get_array())
                            : std::vector<LinkMetadata::Account>{};
}

std::string AccountsToJson(const std::vector<LinkMetadata::Account>& accounts) {
  boost::json::array out;
  for (const auto& a : accounts) {
    auto opt = [](const std::string& s) {
      return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
    };
    out.push_back(boost::json::object{{"account_id", a.id},
                                      {"name", a.name},
                                      {"mask", opt(a.mask)},
                                      {"type", a.type},
                                      {"subtype", opt(a.subtype)}});
  }
  return ToJson(out);
}

// The account of `existing` that is the same bank login as (institution, keys), if any.
const domain::LinkedAccount* FindDuplicate(const std::vector<domain::LinkedAccount>& existing,
                                           const std::string& institution_id,
                                           const std::set<std::string>& keys,
                                           std::string_view except_id = {}) {
  if (keys.empty()) {
    return nullptr;
  }
  for (const auto& a : existing) {
    if (a.id == except_id || a.institution_id != institution_id) {
      continue;
    }
    for (const auto& k : AccountKeys(AccountsFromJson(a.accounts_json))) {
      if (keys.contains(k)) {
        return &a;
      }
    }
  }
  return nullptr;
}

Error Duplicate(const domain::LinkedAccount& existing) {
  Error e =
      MakeError(ErrorCode::kAlreadyExists,
                "This bank login is already linked as account " + existing.id +
                    (existing.institution_name ? " (" + *existing.institution_name + ")" : "") +
                    "; it was not linked a second time.");
  e.details.emplace_back("existing_account_id", existing.id);
  return e;
}

// A suspended account still holds a live Item: it counts for the duplicate and `multiple` rules.
const std::vector<domain::AccountStatus> kLiveStatuses = {domain::AccountStatus::kActive,
                                                          domain::AccountStatus::kError,
                                                          domain::AccountStatus::kSuspended};

}  // namespace

LinkerImpl::LinkerImpl(const LinkerStores& stores, Keys& keys, plaid::PlaidClient& plaid,
                       Clock& clock, Random& random, Sleeper sleep, const LinkSettings& settings,
                       FaultHook* fault_hook, std::chrono::milliseconds owner_wait)
    : accounts_(stores.accounts),
      exchanges_(stores.exchanges),
      journal_(stores.journal),
      orphans_(stores.orphans),
      keys_(keys),
      plaid_(plaid),
      clock_(clock),
      random_(random),
      sleep_(std::move(sleep)),
      settings_(settings),
      fault_hook_(fault_hook),
      owner_wait_(owner_wait) {}

void LinkerImpl::Fault(std::string_view point) {
  if (fault_hook_ != nullptr) {
    fault_hook_->At(point);
  }
}

void LinkerImpl::CloseFailed(const std::string& exchange_id, const std::string& failure) {
  if (auto s = exchanges_.FailExchange(exchange_id, failure, clock_.Now()); !s) {
    spdlog::warn("exchange {}: not closed as failed ({}): {}; start-up reconciles it", exchange_id,
                 failure, s.error().message);
  }
}

Result<bool> LinkerImpl::MayHaveMadeAnItem(const domain::PendingExchange& exchange) {
  if (exchange.failure.value_or("").starts_with(kOutcomeUnknown)) {
    return true;
  }
  LINKHUB_ASSIGN_OR_RETURN(auto orphan,
                           orphans_.FindOrphan(domain::OrphanIdForExchange(exchange.id)));
  return orphan.has_value();
}

void LinkerImpl::RecordOrphan(const domain::PendingExchange& exchange,
                              domain::OrphanCertainty certainty, const std::string& reason,
                              const std::string& item_id, const std::string& access_token) {
  domain::OrphanItem orphan;
  orphan.id = domain::OrphanIdForExchange(exchange.id);
  orphan.project_id = exchange.project_id;
  orphan.certainty = certainty;
  orphan.exchange_id = exchange.id;
  orphan.link_session_id = exchange.link_session_id;
  orphan.reason = reason;
  orphan.created_at = clock_.Now();
  Status s = [&]() -> Status {
    if (!item_id.empty()) {
      LINKHUB_ASSIGN_OR_RETURN(orphan.item_id_sealed,
                               keys_.Seal(orphan.project_id, orphan.id, "item_id", item_id));
    }
    if (!access_token.empty()) {
      LINKHUB_ASSIGN_OR_RETURN(
          orphan.access_token_sealed,
          keys_.Seal(orphan.project_id, orphan.id, "access_token", access_token));
    }
    return orphans_.RecordOrphan(orphan);
  }();
  if (!s) {
    spdlog::error(
        "exchange {} (project {}): a {} orphan was not recorded ({}): {}; link_session_id {}",
        exchange.id, exchange.project_id, domain::ToString(certainty), s.error().message, reason,
        exchange.link_session_id.value_or("-"));
  }
}

Result<LinkToken> LinkerImpl::CreateLinkToken(const std::string& project_id,
                                              const LinkTokenInput& in) {
  if (in.origin_owner_id.empty() || in.origin_owner_id.size() > kMaxField) {
    return Unexpected(Invalid("origin_owner_id must be a string of 1 to 255 characters"));
  }
  for (const auto& p : in.products) {
    if (!plaid::IsLinkProduct(p)) {
      return Unexpected(
          Invalid("products: '" + p.substr(0, 64) + "' is not a Plaid product that Link accepts"));
    }
  }
  boost::json::object body{
      {"client_name", settings_.client_name},
      {"language", settings_.language},
      {"country_codes", ToJsonArray(settings_.country_codes)},
      {"user", boost::json::object{
                   {"client_user_id", keys_.ClientUserId(project_id, in.origin_owner_id)}}}};
  std::string redirect = in.redirect_uri.value_or(settings_.redirect_uri);
  if (!redirect.empty()) {
    body["redirect_uri"] = redirect;
  }
  if (in.account_id) {
    LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                             accounts_.GetAccount(project_id, *in.account_id));
    if (account.origin_owner_id != in.origin_owner_id) {
      return Unexpected(Invalid("account " + account.id + " belongs to another origin_owner_id"));
    }
    LINKHUB_ASSIGN_OR_RETURN(std::string access_token, keys_.OpenAccessToken(account));
    body["access_token"] = access_token;  // update mode: no products
    // The update mode the account's reasons call for (hub/account_status.h): the user picks the
    // bank's new accounts when Plaid said there are some.
    for (const auto& r : account.status_reasons) {
      if (RelinkModeFor(r.code) == "update_accounts") {
        body["update"] = boost::json::object{{"account_selection_enabled", true}};
      }
    }
  } else {
    const auto& products = in.products.empty() ? settings_.products : in.products;
    body["products"] = ToJsonArray(products);
    std::vector<std::string> optional;
    for (const auto& p : settings_.optional_products) {
      if (std::find(products.begin(), products.end(), p) == products.end()) {
        optional.push_back(p);
      }
    }
    if (!optional.empty()) {
      body["optional_products"] = ToJsonArray(optional);
    }
    if (std::string webhook = PlaidWebhookUrl(settings_.webhook_base_url, project_id);
        !webhook.empty()) {
      body["webhook"] = webhook;
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object res, plaid_.Call("/link/token/create", body));
  auto token = GetString(res, "link_token");
  auto expiration = GetString(res, "expiration");
  if (!token || !expiration) {
    return Unexpected(
        MakeError(ErrorCode::kUpstream, "Plaid's /link/token/create answer had no link_token"));
  }
  return LinkToken{std::string(*token), std::string(*expiration)};
}

class LinkerImpl::OwnerLock {
 public:
  // Waits at most the owner wait; locked() tells whether it got the owner.
  OwnerLock(LinkerImpl& hub, std::string key) : hub_(hub), key_(std::move(key)) {
    std::unique_lock lock(hub_.owners_mu_);
    auto& slot = hub_.owners_[key_];
    if (!slot) {
      slot = std::make_unique<OwnerSlot>();
    }
    ++slot->users;
    slot_ = slot.get();
    // Under owners_mu_, so the owner's other link cannot finish before this one waits.
    hub_.Fault("exchange.waiting_for_owner");
    locked_ = hub_.owners_cv_.wait_for(lock, hub_.owner_wait_, [this] { return !slot_->busy; });
    if (locked_) {
      slot_->busy = true;
    }
  }
  bool locked() const { return locked_; }
  ~OwnerLock() {
    {
      std::lock_guard lock(hub_.owners_mu_);
      if (locked_) {
        slot_->busy = false;
      }
      if (--slot_->users == 0) {
        hub_.owners_.erase(key_);
      }
    }
    hub_.owners_cv_.notify_all();
  }
  OwnerLock(const OwnerLock&) = delete;
  OwnerLock& operator=(const OwnerLock&) = delete;

 private:
  LinkerImpl& hub_;
  std::string key_;
  OwnerSlot* slot_ = nullptr;
  bool locked_ = false;
};

struct LinkerImpl::InFlight {
  bool done = false;
  std::string project_id;
  std::string origin_owner_id;
  std::optional<Result<domain::LinkedAccount>> result;
};

Result<domain::LinkedAccount> LinkerImpl::LinkAccount(const domain::ConnectSession& session,
                                                      std::string_view public_token,
                                                      const LinkMetadata& metadata) {
  if (session.provider && *session.provider != "plaid") {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "this session is not for Plaid"));
  }
  if (session.account_id) {
    return Relink(session);
  }
  if (public_token.size() > kMaxPublicToken || !public_token.starts_with("public-")) {
    return Unexpected(MakeError(
        ErrorCode::kInvalidArgument,
        "That is not a Plaid public token (they look like public-sandbox-… or "
        "public-production-…): run Plaid Link and use the public_token its onSuccess returns."));
  }
  std::string token_hash = keys_.Hash(public_token);

  // One exchange per public token in this process: a second submit waits (boundedly) for the
  // first and gets its answer — unless it comes from another project or owner, which learns
  // nothing about it.
  std::shared_ptr<InFlight> mine;
  {
    std::unique_lock lock(inflight_mu_);
    if (auto it = inflight_.find(token_hash); it != inflight_.end()) {
      std::shared_ptr<InFlight> theirs = it->second;
      if (theirs->project_id != session.project_id ||
          theirs->origin_owner_id != session.origin_owner_id) {
        return Unexpected(MakeError(ErrorCode::kInvalidArgument, kRunLinkAgain));
      }
      // Under inflight_mu_, so the first exchange cannot finish before this one waits.
      Fault("exchange.waiting_for_first_submit");
      if (!inflight_cv_.wait_for(lock, kInFlightWait, [&] { return theirs->done; })) {
        return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                    "This public token is still being exchanged; try again in a "
                                    "moment."));
      }
      return *theirs->result;
    }
    mine = std::make_shared<InFlight>();
    mine->project_id = session.project_id;
    mine->origin_owner_id = session.origin_owner_id;
    inflight_.emplace(token_hash, mine);
  }
  // Whatever happens below (an exception included), waiters are released.
  Result<domain::LinkedAccount> result =
      Unexpected(MakeError(ErrorCode::kInternal, "the exchange did not finish"));
  struct Finish {
    LinkerImpl& hub;
    std::shared_ptr<InFlight>& mine;
    const std::string& token_hash;
    Result<domain::LinkedAccount>& result;
    ~Finish() {
      {
        std::lock_guard lock(hub.inflight_mu_);
        mine->result = result;
        mine->done = true;
        hub.inflight_.erase(token_hash);
      }
      hub.inflight_cv_.notify_all();
    }
  } finish{*this, mine, token_hash, result};
  result = Exchange(session, public_token, metadata, token_hash);
  metrics::Linkhub().exchanges.With({ExchangeOutcome(result)}).Add();
  // Return a copy: `result` itself must stay intact for `finish`, which runs after the return
  // value is built (a returned local would be moved from).
  Result<domain::LinkedAccount> answer = result;
  return answer;
}

std::string_view LinkerImpl::ExchangeOutcome(const Result<domain::LinkedAccount>& result) {
  if (result) {
    return "linked";
  }
  switch (result.error().code) {
    case ErrorCode::kAlreadyExists:
      return "duplicate";
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return "refused";
    case ErrorCode::kUpstream:
      return "plaid_error";
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
      return "plaid_unavailable";
    default:
      return "failed";
  }
}

Status LinkerImpl::CheckLinkAllowed(const domain::ConnectSession& session,
                                    const LinkMetadata& metadata) {
  LINKHUB_ASSIGN_OR_RETURN(
      auto live, accounts_.ListOwnerAccounts(session.project_id, session.origin_owner_id, "plaid",
                                             kLiveStatuses));
  if (metadata.institution_id) {
    if (const auto* dup =
            FindDuplicate(live, *metadata.institution_id, AccountKeys(metadata.accounts))) {
      return Unexpected(Duplicate(*dup));
    }
  }
  if (!session.multiple && !live.empty()) {
    Error e = MakeError(ErrorCode::kAlreadyExists,
                        "This owner already has a linked Plaid account (" + live.front().id +
                            "). To link another bank, create the connect session with "
                            "\"multiple\": true; to repair this one, re-link it.");
    e.details.emplace_back("existing_account_id", live.front().id);
    return Unexpected(std::move(e));
  }
  return OkStatus();
}

Result<domain::LinkedAccount> LinkerImpl::Exchange(const domain::ConnectSession& session,
                                                   std::string_view public_token,
                                                   const LinkMetadata& metadata,
                                                   const std::string& token_hash) {
  // Serialise with the owner's other links (see owners_); a double submit of this very token
  // never gets here twice (see inflight_).
  OwnerLock owner_lock(*this, std::to_string(session.project_id.size()) + ":" + session.project_id +
                                  "|" + session.origin_owner_id);
  if (!owner_lock.locked()) {
    // Going on would let two links of one owner pass the duplicate and `multiple` checks at once.
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "Another bank link for this user is still being completed; try "
                                "again in a moment."));
  }
  TimePoint now = clock_.Now();
  domain::PendingExchange pending;
  // An earlier attempt reached Plaid without an answer kept: Plaid may hold its Item.
  bool resumed = false;
  // When the token was last sent: it is older than that, so at 30 minutes it has expired and
  // Plaid's INVALID_PUBLIC_TOKEN proves nothing about an Item.
  TimePoint last_attempt = now;
  auto existing = exchanges_.FindExchange(token_hash);
  if (existing) {
    if (existing->project_id != session.project_id ||
        existing->origin_owner_id != session.origin_owner_id) {
      // Someone else's token: it was used, and this session learns nothing about its account.
      return Unexpected(MakeError(ErrorCode::kInvalidArgument, kRunLinkAgain));
    }
    if (existing->state == domain::ExchangeState::kLinked) {
      auto account = accounts_.GetAccount(session.project_id, existing->account_id);
      if (!account && account.error().code == ErrorCode::kNotFound) {
        return Unexpected(MakeError(ErrorCode::kInvalidArgument, kRunLinkAgain));
      }
      return account;  // a double submit after success: the same account
    }
    pending = *existing;
    last_attempt = existing->created_at;
    if (existing->state == domain::ExchangeState::kFailed) {
      LINKHUB_RETURN_IF_ERROR(CheckLinkAllowed(session, metadata));
      // After an attempt without an answer, Plaid may hold its Item: the last attempt's outcome
      // is unknown, or an earlier one's was (a later attempt that never reached Plaid does not
      // undo that; the possible orphan says it).
      LINKHUB_ASSIGN_OR_RETURN(bool suspected, MayHaveMadeAnItem(pending));
      resumed = suspected;
      LINKHUB_RETURN_IF_ERROR(exchanges_.ReopenExchange(pending.id, now));
    } else {
      // Still pending: another request of this process is exchanging it (the in-flight map
      // did not see it, so it is finishing right now), or start-up could not settle it. Treat
      // it as an attempt of unknown outcome.
      if (auto allowed = CheckLinkAllowed(session, metadata); !allowed) {
        return Unexpected(std::move(allowed).error());
      }
      resumed = true;
      spdlog::warn("exchange {}: retrying an exchange still pending (link_session_id {})",
                   pending.id, pending.link_session_id.value_or("-"));
    }
  } else if (existing.error().code != ErrorCode::kNotFound) {
    return Unexpected(std::move(existing).error());
  } else {
    LINKHUB_RETURN_IF_ERROR(CheckLinkAllowed(session, metadata));
    pending.id = "exch_" + NewBase62(random_, 20);
    pending.project_id = session.project_id;
    pending.session_id = session.id;
    pending.public_token_hash = token_hash;
    pending.account_id = "acc_" + NewBase62(random_, 20);
    pending.origin_owner_id = session.origin_owner_id;
    pending.institution_id = metadata.institution_id;
    pending.link_session_id = metadata.link_session_id;
    pending.created_at = now;
    LINKHUB_RETURN_IF_ERROR(exchanges_.BeginExchange(pending));
  }
  // Load any data key rotated in by another process now, so that sealing the answer below needs
  // nothing but memory: the window between Plaid's answer and the commit stays small.
  LINKHUB_RETURN_IF_ERROR(keys_.Refresh());
  Fault("exchange.after_pending");
  if (auto s = journal_.RecordSending(pending.id); !s) {
    spdlog::error("exchange {}: not sent to Plaid, the exchange journal failed: {}", pending.id,
                  s.error().message);
    CloseFailed(pending.id, std::string(kNotSent) + ": the exchange journal failed");
    return Unexpected(MakeError(ErrorCode::kUnavailable,
                                "The bank link could not be recorded, so it was not completed; "
                                "try again in a moment with the same public token."));
  }
  Fault("exchange.after_sending");

  auto exchanged = plaid_.Call("/item/public_token/exchange",
                               boost::json::object{{"public_token", public_token}});
  if (!exchanged) {
    Error e = std::move(exchanged).error();
    std::string failure = e.provider ? e.provider->error_code : std::string(ErrorCodeName(e.code));
    if (IsPlaidError(e, "INVALID_PUBLIC_TOKEN")) {
      if (resumed && now - last_attempt < kPublicTokenLifetime) {
        // An earlier attempt that got no answer (a crash, a lost connection) had reached Plaid,
        // which made an Item whose access token never came back. Plaid has no way to list
        // Items: the orphan record (and this line) is what a support ticket needs.
        failure =
            "INVALID_PUBLIC_TOKEN on a retry: the first attempt made an Item at Plaid that was "
            "never stored";
        spdlog::error("exchange {} (project {}): {} (an orphan); link_session_id {} request_id {}",
                      pending.id, pending.project_id, failure,
                      pending.link_session_id.value_or("-"), e.provider->request_id);
        RecordOrphan(pending, domain::OrphanCertainty::kDefinite,
                     "a retry with the same public token got INVALID_PUBLIC_TOKEN: an earlier "
                     "attempt made an Item whose access token never came back (Plaid request_id " +
                         e.provider->request_id + ")");
      }
      e.message = kRunLinkAgain;
    } else if (!e.provider || e.provider->http_status >= 500) {
      // No answer, or Plaid failing: the outcome is unknown. A retry with the same token is safe,
      // and tells.
      failure = std::string(kOutcomeUnknown) + ": " + e.message;
      RecordOrphan(pending, domain::OrphanCertainty::kPossible,
                   "the token exchange got no answer from Plaid (" + e.message +
                       "); a retry with the same public token settles whether Plaid made an Item");
      if (!e.provider) {
        spdlog::warn("exchange {}: {}", pending.id, e.message);
        e.message =
            "Plaid did not answer the token exchange; try again in a moment with the "
            "same public token.";
      }
    }
    CloseFailed(pending.id, failure);
    journal_.Forget(pending.id);
    return Unexpected(std::move(e));
  }
  auto access_token = GetString(*exchanged, "access_token");
  auto item_id = GetString(*exchanged, "item_id");
  if (!access_token || !item_id || access_token->empty() || item_id->empty()) {
    if (access_token && !access_token->empty()) {
      RemoveItem(std::string(*access_token), "the exchange answer had no item_id");
    }
    CloseFailed(pending.id, "malformed exchange answer");
    journal_.Forget(pending.id);
    return Unexpected(MakeError(ErrorCode::kUpstream,
                                "Plaid's exchange answer lacked the access token or item id"));
  }
  std::string token(*access_token);
  Fault("exchange.after_exchange");

  domain::LinkedAccount account;
  account.id = pending.account_id;
  account.project_id = session.project_id;
  account.origin_owner_id = session.origin_owner_id;
  account.origin_owner_name = session.origin_owner_name;
  account.origin_username = session.origin_username;
  account.label = session.label;
  // StackOne's account type says what the Item is: a sandbox Item is a test account, whatever
  // the session asked for.
  account.type = settings_.environment == "production" ? "production" : "test";
  account.environment = settings_.environment;
  account.products = settings_.products;
  account.institution_id = metadata.institution_id;
  account.institution_name = metadata.institution_name;
  account.accounts_json = AccountsToJson(metadata.accounts);
  account.connect_session_id = session.id;
  account.created_at = account.updated_at = clock_.Now();
  account.item_id_hash = keys_.Hash(*item_id);
  Status stored = [&]() -> Status {
    LINKHUB_ASSIGN_OR_RETURN(account.access_token_sealed,
                             keys_.Seal(account.project_id, account.id, "access_token", token));
    LINKHUB_ASSIGN_OR_RETURN(account.item_id_sealed,
                             keys_.Seal(account.project_id, account.id, "item_id", *item_id));
    // First the journal, flushed: from here a crash loses nothing.
    if (auto j = journal_.RecordAnswer(pending.id, account); !j) {
      spdlog::warn("exchange {}: the answer was not journaled ({}); storing it directly",
                   pending.id, j.error().message);
    }
    Fault("exchange.after_journal");
    return exchanges_.CompleteExchange(pending.id, account, clock_.Now());
  }();
  if (!stored) {
    spdlog::error("exchange {}: storing the account failed ({}); removing item {} at Plaid",
                  pending.id, stored.error().message, *item_id);
    bool removed = RemoveItem(token, "the account could not be stored");
    if (removed) {
      if (auto j = journal_.RecordRemoved(pending.id); !j) {
        spdlog::warn("exchange {}: the removal was not journaled: {}", pending.id,
                     j.error().message);
      }
    } else {
      RecordOrphan(pending, domain::OrphanCertainty::kDefinite,
                   "the account could not be stored and removing its Item at Plaid failed",
                   std::string(*item_id), token);
    }
    CloseFailed(pending.id, removed ? "storing failed; the Item was removed at Plaid"
                                    : "storing failed and the Item could not be removed");
    journal_.Forget(pending.id);
    return Unexpected(MakeError(ErrorCode::kInternal,
                                "The bank was linked at Plaid but the account could not be saved, "
                                "so the link was undone. Please run Plaid Link again."));
  }
  journal_.Forget(pending.id);  // CompleteExchange also forgot a possible orphan of it
  spdlog::info("exchange {}: account {} linked (project {}, item {})", pending.id, account.id,
               account.project_id, *item_id);
  Fault("exchange.after_commit");

  if (auto s = FillDetails(account, token); !s) {
    spdlog::warn("account {}: display details not fetched yet: {}", account.id, s.error().message);
  }
  // With Plaid's own view of the Item, run the duplicate guard again: a pasted token comes
  // without Link's metadata, and metadata comes from the browser. Undo the new link rather than
  // keep a second Item of the same login.
  if (account.institution_id) {
    auto live = accounts_.ListOwnerAccounts(session.project_id, session.origin_owner_id, "plaid",
                                            kLiveStatuses);
    if (live) {
      if (const auto* dup =
              FindDuplicate(*live, *account.institution_id,
                            AccountKeys(AccountsFromJson(account.accounts_json)), account.id)) {
        if (RemoveItem(token, "duplicate of " + dup->id)) {
          if (auto s = accounts_.SoftDeleteAccount(account.project_id, account.id, clock_.Now());
              !s) {
            // Its Item is gone; the row still shows it until deleted again.
            spdlog::warn("account {}: duplicate removed at Plaid but not deleted here: {}",
                         account.id, s.error().message);
          }
          return Unexpected(Duplicate(*dup));
        }
        // The duplicate's Item is still live: keep the account (and its token) visible, marked,
        // so that deleting it retries the removal.
        std::string why = "duplicate of account " + dup->id +
                          "; removing its Item at Plaid failed — delete this account to retry";
        if (auto s = accounts_.SetAccountStatus(
                account.project_id, account.id, domain::AccountStatus::kError,
                {domain::StatusReason{"DUPLICATE_ITEM", why, clock_.Now()}}, clock_.Now());
            !s) {
          spdlog::warn("account {}: not marked as a duplicate: {}", account.id, s.error().message);
        }
        Error e = MakeError(ErrorCode::kUpstream,
                            "This bank login is already linked as account " + dup->id +
                                ", and the second link could not be undone at Plaid: account " +
                                account.id + " is marked as a duplicate; delete it to retry.");
        e.details.emplace_back("existing_account_id", dup->id);
        e.details.emplace_back("duplicate_account_id", account.id);
        return Unexpected(std::move(e));
      }
    }
  }
  Fault("exchange.after_details");
  return account;
}

Result<domain::LinkedAccount> LinkerImpl::Relink(const domain::ConnectSession& session) {
  LINKHUB_ASSIGN_OR_RETURN(domain::LinkedAccount account,
                           accounts_.GetAccount(session.project_id, *session.account_id));
  LINKHUB_ASSIGN_OR_RETURN(std::string token, keys_.OpenAccessToken(account));
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object res,
                           plaid_.Call("/item/get", boost::json::object{{"access_token", token}}));
  const auto* item = GetObject(res, "item");
  const auto* error = item ? GetObject(*item, "error") : nullptr;
  if (error != nullptr) {
    std::string code(GetString(*error, "error_code").value_or("ITEM_ERROR"));
    Error e = MakeError(ErrorCode::kFailedPrecondition,
                        "Plaid still reports " + code +
                            " for this bank login: run Plaid Link in update mode again.");
    e.provider = ProviderError{400, std::string(GetString(*error, "error_type").value_or("")), code,
                               std::string(GetString(*error, "error_message").value_or("")),
                               std::string(GetString(res, "request_id").value_or(""))};
    return Unexpected(std::move(e));
  }
  account.status = domain::AccountStatus::kActive;
  account.status_reasons.clear();
  account.updated_at = clock_.Now();
  LINKHUB_RETURN_IF_ERROR(accounts_.SetAccountStatus(account.project_id, account.id, account.status,
                                                     account.status_reasons, account.updated_at));
  spdlog::info("account {} re-linked (update mode)", account.id);
  if (auto s = FillDetails(account, token); !s) {
    spdlog::warn("account {}: display details not refreshed: {}", account.id, s.error().message);
  }
  return account;
}

Status LinkerImpl::FillDetails(domain::LinkedAccount& account, const std::string& access_token) {
  boost::json::object with_token{{"access_token", access_token}};
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object item_res, plaid_.Call("/item/get", with_token));
  if (const auto* item = GetObject(item_res, "item")) {
    if (auto inst = GetString(*item, "institution_id")) {
      account.institution_id = std::string(*inst);
    }
    auto products = GetStringList(*item, "products");
    for (const auto& p : GetStringList(*item, "consented_products")) {
      if (std::find(products.begin(), products.end(), p) == products.end()) {
        products.push_back(p);
      }
    }
    if (!products.empty()) {
      account.products = std::move(products);
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object acc_res, plaid_.Call("/accounts/get", with_token));
  const auto* list = GetArray(acc_res, "accounts");
  account.accounts_json =
      AccountsToJson(list ? AccountsFromArray(*list) : std::vector<LinkMetadata::Account>{});
  bool complete = true;
  if (account.institution_id) {
    auto inst =
        plaid_.Call("/institutions/get_by_id",
                    boost::json::object{{"institution_id", *account.institution_id},
                                        {"country_codes", ToJsonArray(settings_.country_codes)}});
    if (inst) {
      if (const auto* o = GetObject(*inst, "institution")) {
        if (auto name = GetString(*o, "name")) {
          account.institution_name = std::string(*name);
        }
      }
    } else {
      complete = false;  // fetched again later (FillPendingDetails)
      spdlog::warn("account {}: institution name not fetched: {}", account.id,
                   inst.error().message);
    }
  }
  account.details_pending = !complete;
  account.updated_at = clock_.Now();
  return accounts_.UpdateAccountDetails(account);
}

bool LinkerImpl::RemoveItem(const std::string& access_token, std::string_view why) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto r = plaid_.Call("/item/remove", boost::json::object{{"access_token", access_token}});
    if (r || IsPlaidError(r.error(), "ITEM_NOT_FOUND") ||
        IsPlaidError(r.error(), "INVALID_ACCESS_TOKEN")) {
      spdlog::info("removed an Item at Plaid: {}", why);
      return true;
    }
    spdlog::warn("removing an Item at Plaid failed (attempt {}): {}", attempt, r.error().message);
    if (attempt < 3) {
      sleep_(std::chrono::milliseconds(200 * attempt));
    }
  }
  spdlog::error("an Item could not be removed at Plaid ({}); it stays billed until removed", why);
  return false;
}

Status LinkerImpl::ReconcileExchanges() {
  LINKHUB_ASSIGN_OR_RETURN(auto pending, exchanges_.ListPendingExchanges());
  LINKHUB_ASSIGN_OR_RETURN(auto journal, journal_.Read());
  TimePoint now = clock_.Now();
  std::set<std::string> unsettled;
  for (const auto& p : pending) {
    auto it = journal.find(p.id);
    const store::JournalEntry entry = it == journal.end() ? store::JournalEntry{} : it->second;
    bool expired = now - p.created_at >= kPublicTokenLifetime;
    std::string lsid = p.link_session_id.value_or("-");
    Status settled = OkStatus();
    if (entry.answer && !entry.removed) {
      // Plaid answered and the answer was journaled before the process stopped: store it.
      domain::LinkedAccount account = *entry.answer;
      account.status = domain::AccountStatus::kActive;
      account.details_pending = true;  // fetched by FillPendingDetails
      account.updated_at = now;
      settled = exchanges_.CompleteExchange(p.id, account, now);
      if (settled) {
        spdlog::info(
            "exchange {} (project {}): Plaid had answered before the process stopped; account {} "
            "linked from the exchange journal (link_session_id {})",
            p.id, p.project_id, account.id, lsid);
      } else {
        // The answer cannot be stored: keep its Item known and removable.
        auto token =
            keys_.Open(account.project_id, account.id, "access_token", account.access_token_sealed);
        auto item = keys_.Open(account.project_id, account.id, "item_id", account.item_id_sealed);
        spdlog::error("exchange {} (project {}): the journaled answer could not be stored: {}",
                      p.id, p.project_id, settled.error().message);
        RecordOrphan(p, domain::OrphanCertainty::kDefinite,
                     "Plaid's journaled answer could not be stored after a restart",
                     item ? *item : "", token ? *token : "");
        settled = exchanges_.FailExchange(p.id, "the journaled answer could not be stored", now);
      }
    } else if (entry.removed) {
      settled = exchanges_.FailExchange(p.id, "storing failed; the Item was removed at Plaid", now);
    } else if (entry.sent || !p.journaled) {
      // The request went out (or, begun by a linkhub without the journal, may have): Plaid may
      // have made an Item whose access token died with the process.
      std::string how = p.journaled ? "the process stopped after the token was sent to Plaid and "
                                      "before its answer was kept"
                                    : "the process stopped during an exchange begun before the "
                                      "exchange journal existed";
      RecordOrphan(p, domain::OrphanCertainty::kPossible,
                   how + (expired ? "; its public token has expired, so no retry can settle it"
                                  : "; a retry with the same public token settles it"));
      if (expired) {
        spdlog::error(
            "exchange {} (project {}, account {}): outcome unknown: {}, and its public token has "
            "expired: a possible orphan (linkhub items orphans). If Plaid made an Item, quote "
            "link_session_id {} to Plaid support.",
            p.id, p.project_id, p.account_id, how, lsid);
      } else {
        spdlog::warn(
            "exchange {} (project {}): outcome unknown: {}. A retry with the same public token "
            "settles it (link_session_id {})",
            p.id, p.project_id, how, lsid);
      }
      settled = exchanges_.FailExchange(p.id, std::string(kOutcomeUnknown) + ": " + how, now);
    } else if (auto earlier = MayHaveMadeAnItem(p); !earlier || *earlier) {
      // This attempt never reached Plaid, but an earlier one did without an answer: still
      // unknown, and its possible orphan stays.
      spdlog::warn(
          "exchange {} (project {}): outcome unknown: an earlier attempt reached Plaid without an "
          "answer; a retry with the same public token settles it (link_session_id {})",
          p.id, p.project_id, lsid);
      settled = exchanges_.FailExchange(
          p.id,
          std::string(kOutcomeUnknown) + ": an earlier attempt reached Plaid without an answer",
          now);
    } else {
      spdlog::info(
          "exchange {} (project {}): never reached Plaid before the process stopped; {} "
          "(link_session_id {})",
          p.id, p.project_id,
          expired ? "its public token has expired, and nothing was made at Plaid"
                  : "a retry with the same public token links it safely",
          lsid);
      settled = exchanges_.FailExchange(
          p.id, std::string(kNotSent) + ": the process stopped before Plaid was called", now);
    }
    if (!settled) {
      spdlog::warn("exchange {}: not settled at start-up ({}); tried again at the next", p.id,
                   settled.error().message);
      unsettled.insert(p.id);
    }
  }
  for (const auto& [id, entry] : journal) {
    if (!unsettled.contains(id)) {
      journal_.Forget(id);
    }
  }
  return journal_.Compact();
}

void LinkerImpl::FillPendingDetails() {
  auto accounts = accounts_.ListAccountsWithPendingDetails();
  if (!accounts) {
    spdlog::warn("listing accounts without details failed: {}", accounts.error().message);
    return;
  }
  for (auto& a : *accounts) {
    auto token = keys_.OpenAccessToken(a);
    if (!token) {
      continue;
    }
    if (auto s = FillDetails(a, *token); !s) {
      spdlog::warn("account {}: display details still not fetched: {}", a.id, s.error().message);
    }
  }
}

}  // namespace linkhub::hub
