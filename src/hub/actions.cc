#include "hub/actions.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "core/json.h"
#include "core/json_schema.h"
#include "core/strings.h"
#include "plaid/http_plaid_client.h"
#include "plaid/retrying_plaid_client.h"
#include "vault/hashing.h"

namespace linkhub::hub {

namespace {

constexpr int kMaxSyncPages = 1000;
constexpr int kMaxSyncRestarts = 3;

bool HasCode(const Error& e, std::string_view code) {
  return e.provider && e.provider->error_code == code;
}

Error NotLinkedWith(const store::LinkedAccount& account, const plaid::Action& action) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   "account " + account.id + " was not linked with Plaid's '" + action.product +
                       "' product, which " + action.id +
                       " needs; re-link it with that product (a connect session with account_id, "
                       "or a link token that asks for it)");
}

// Plaid's body for an action: the access token, then the input's fields, those Plaid expects
// under `options` moved there.
boost::json::object PlaidBody(const plaid::Action& action, const boost::json::object& input,
                              const std::string& access_token) {
  boost::json::object body;
  if (action.needs_access_token) {
    body["access_token"] = access_token;
  }
  boost::json::object options;
  for (const auto& [key, value] : input) {
    if (key == "next" || key == "consumer" || key == "reset") {
      continue;
    }
    bool is_option = std::find(action.option_fields.begin(), action.option_fields.end(),
                               std::string_view(key)) != action.option_fields.end();
    (is_option ? options : body)[key] = value;
  }
  if (!options.empty()) {
    body["options"] = std::move(options);
  }
  return body;
}

}  // namespace

ActionRunner::ActionRunner(store::HubStore& store, Keys& keys, plaid::PlaidClient& plaid,
                           plaid::RateBudget* budget, Clock& clock, const LinkSettings& settings)
    : store_(store),
      keys_(keys),
      plaid_(plaid),
      budget_(budget),
      clock_(clock),
      settings_(settings) {}

bool ActionRunner::Supports(const store::LinkedAccount& account, const plaid::Action& action) {
  return action.product.empty() || std::find(account.products.begin(), account.products.end(),
                                             action.product) != account.products.end();
}

bool ActionRunner::IsProxyEndpoint(std::string_view endpoint) {
  for (const auto& a : plaid::Catalogue()) {
    if (a.needs_access_token && a.endpoint == endpoint) {
      return true;
    }
  }
  return false;
}

Result<ActionRunner::Target> ActionRunner::Load(const std::string& project_id,
                                                const std::string& account_id) {
  std::optional<uint64_t> write_count = store_.WriteCount();
  LINKHUB_ASSIGN_OR_RETURN(store::LinkedAccount account, store_.GetAccount(project_id, account_id));
  bool usable = account.status != "inactive" && account.status != "suspended" &&
                !account.access_token_sealed.empty();
  std::string token;
  if (usable) {
    LINKHUB_ASSIGN_OR_RETURN(token, keys_.Open(account.project_id, account.id, "access_token",
                                               account.access_token_sealed));
  }
  if (write_count) {
    auto fast = std::make_shared<FastAccount>();
    fast->account = account;
    fast->access_token = token;
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= 10'000) {
      cache_.clear();  // a bound, not an eviction policy: the cache only saves reads
    }
    cache_[project_id + "\n" + account_id] =
        CachedAccount{std::move(fast), std::chrono::steady_clock::now(), *write_count};
  }
  if (account.status == "inactive" || account.access_token_sealed.empty()) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "account " + account.id +
                                    " is inactive: Plaid no longer accepts its Item (removed or "
                                    "revoked); link the bank again"));
  }
  if (account.status == "suspended") {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "account " + account.id +
                                    " is suspended by its project's operator: no action runs on it "
                                    "until it is resumed"));
  }
  return Target{std::move(account), std::move(token)};
}

void ActionRunner::NoteOutcome(store::LinkedAccount& account,
                               const Result<boost::json::object>& result) {
  std::string status = account.status;
  std::vector<store::StatusReason> reasons = account.status_reasons;
  if (result) {
    if (account.status != "error") {
      return;
    }
    status = "active";  // the Item answers again: the user fixed it
    reasons.clear();
  } else if (HasCode(result.error(), "ITEM_LOGIN_REQUIRED") ||
             HasCode(result.error(), "PENDING_EXPIRATION") ||
             HasCode(result.error(), "ACCESS_NOT_GRANTED")) {
    status = "error";
    reasons = {store::StatusReason{result.error().provider->error_code,
                                   "Plaid needs the user to log in again: re-link the account "
                                   "(Plaid Link in update mode). " +
                                       result.error().provider->error_message,
                                   clock_.Now()}};
  } else if (HasCode(result.error(), "INVALID_ACCESS_TOKEN") ||
             HasCode(result.error(), "ITEM_NOT_FOUND")) {
    status = "inactive";
    reasons = {store::StatusReason{result.error().provider->error_code,
                                   "Plaid no longer knows this Item (removed or revoked): link the "
                                   "bank again.",
                                   clock_.Now()}};
  } else {
    return;
  }
  auto first_code = [](const std::vector<store::StatusReason>& r) {
    return r.empty() ? std::string() : r.front().code;
  };
  if (status == account.status && first_code(reasons) == first_code(account.status_reasons)) {
    return;
  }
  account.status = status;
  account.status_reasons = std::move(reasons);
  account.updated_at = clock_.Now();
  if (auto s = store_.SetAccountStatus(account.project_id, account.id, account.status,
                                       account.status_reasons, account.updated_at);
      !s) {
    spdlog::warn("account {}: status not stored: {}", account.id, s.error().message);
  } else {
    spdlog::info("account {} is now {}", account.id, account.status);
  }
}

ActionRunner::FastAccount::~FastAccount() { vault::Wipe(access_token); }

plaid::RetryGate ActionRunner::BudgetGate(const store::LinkedAccount& account,
                                          std::string_view endpoint) {
  if (budget_ == nullptr) {
    return nullptr;
  }
  // A retry is a request Plaid counts like any other.
  return [this, item = account.item_id_hash, endpoint = std::string(endpoint)] {
    return static_cast<bool>(budget_->Acquire(item, endpoint));
  };
}

void ActionRunner::Record(std::string_view project_id, std::string_view account_id,
                          std::string_view endpoint, const plaid::Attempt& a) {
  if (call_log_ == nullptr) {
    return;
  }
  store::PlaidCallRecord r;
  r.project_id = project_id;
  r.account_id = account_id;
  r.at = clock_.Now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(a.latency);
  r.endpoint = endpoint;
  r.http_status = a.http_status;
  r.error_code = a.error_code;
  r.request_id = a.request_id;
  r.latency_us = a.latency.count();
  call_log_->Record(std::move(r));
}

plaid::AttemptObserver ActionRunner::ObserverFor(const store::LinkedAccount& account,
                                                 std::string_view endpoint) {
  if (call_log_ == nullptr) {
    return nullptr;
  }
  return [this, project_id = account.project_id, account_id = account.id,
          endpoint = std::string(endpoint)](const plaid::Attempt& a) {
    Record(project_id, account_id, endpoint, a);
  };
}

Result<boost::json::object> ActionRunner::CallFor(store::LinkedAccount& account,
                                                  std::string_view endpoint,
                                                  const boost::json::object& body, bool uses_item) {
  if (budget_ != nullptr && uses_item) {
    LINKHUB_RETURN_IF_ERROR(budget_->Acquire(account.item_id_hash, endpoint));
  }
  auto result = plaid_.ObservedCall(endpoint, body, ObserverFor(account, endpoint),
                                    uses_item ? BudgetGate(account, endpoint) : nullptr);
  if (uses_item) {
    NoteOutcome(account, result);
  }
  return result;
}

Result<ActionResult> ActionRunner::Run(const std::string& project_id, const std::string& account_id,
                                       std::string_view action_id,
                                       const boost::json::object& input) {
  const plaid::Action* action = plaid::FindAction(action_id);
  if (action == nullptr) {
    return Unexpected(MakeError(
        ErrorCode::kNotFound,
        "unknown action '" + std::string(action_id.substr(0, 100)) + "'; GET /actions lists them"));
  }
  LINKHUB_RETURN_IF_ERROR(ValidateJson(action->input_schema, input));
  LINKHUB_ASSIGN_OR_RETURN(Target target, Load(project_id, account_id));
  if (!Supports(target.account, *action)) {
    return Unexpected(NotLinkedWith(target.account, *action));
  }
  if (action->paging == plaid::Paging::kSync) {
    return Sync(target, input);
  }
  if (action->paging == plaid::Paging::kOffset) {
    return Paged(target, *action, input);
  }
  boost::json::object body = PlaidBody(*action, input, target.access_token);
  if (action->endpoint == "/institutions/get_by_id" || action->endpoint == "/institutions/search") {
    body["country_codes"] = ToJsonArray(settings_.country_codes);
  }
  if (action->endpoint == "/institutions/get_by_id" && !body.contains("institution_id")) {
    if (!target.account.institution_id) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  "institution_id is required: this account's institution is not "
                                  "known yet"));
    }
    body["institution_id"] = *target.account.institution_id;
  }
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object res, CallFor(target.account, action->endpoint, body,
                                                            action->needs_access_token));
  return ActionResult{std::move(res), std::nullopt};
}

void ActionRunner::EnableFastPath(plaid::AsyncPlaidClient& async,
                                  plaid::RetryingPlaidClient& retrying, Offload offload) {
  async_ = &async;
  retrying_ = &retrying;
  offload_ = std::move(offload);
}

std::shared_ptr<const ActionRunner::FastAccount> ActionRunner::Cached(
    const std::string& project_id, const std::string& account_id) {
  std::optional<uint64_t> write_count = store_.WriteCount();
  if (!write_count) {
    return nullptr;
  }
  std::string key;
  key.reserve(project_id.size() + account_id.size() + 1);
  key.append(project_id).append("\n").append(account_id);
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || it->second.write_count != *write_count) {
    return nullptr;
  }
  auto age = std::chrono::steady_clock::now() - it->second.read_at;
  if (age >= kAccountCacheTtl) {
    return nullptr;
  }
  // Past half its life, one request reads the account again (through Run()) while the others
  // still use this copy, so that the entry does not expire for all of them at once.
  if (age >= kAccountCacheTtl / 2 && !it->second.refreshing) {
    it->second.refreshing = true;
    return nullptr;
  }
  return it->second.account;
}

bool ActionRunner::TryRunFast(const std::string& project_id, const std::string& account_id,
                              std::string_view action_id, const boost::json::object& input,
                              FastDone done) {
  if (async_ == nullptr) {
    return false;
  }
  const plaid::Action* action = plaid::FindAction(action_id);
  // Paged and sync actions read and write cursors; institution look-ups need the account's
  // institution and the configured countries. Run() does those.
  // A call that changes state at Plaid (a billed refresh) is never sent twice by a stale-
  // connection re-send, so it too stays on Run().
  if (action == nullptr || action->paging != plaid::Paging::kNone || !action->needs_access_token ||
      !action->read_only) {
    return false;
  }
  if (!ValidateJson(action->input_schema, input)) {
    return false;  // Run() words the error
  }
  std::shared_ptr<const FastAccount> cached = Cached(project_id, account_id);
  // Any status but active needs Run(): it refuses, or (for error) records the recovery.
  if (!cached || cached->account.status != "active" || cached->access_token.empty() ||
      !Supports(cached->account, *action)) {
    return false;
  }
  const store::LinkedAccount& account = cached->account;
  if (budget_ != nullptr && !budget_->Acquire(account.item_id_hash, action->endpoint)) {
    return false;  // Run() answers the 429 (a refused Acquire counts nothing)
  }
  std::string wire = ToJson(PlaidBody(*action, input, cached->access_token));
  async_->CallRaw(
      action->endpoint, wire,
      [this, cached = std::move(cached), action, wire,
       done = std::move(done)](plaid::RawAnswer answer) mutable {
        const store::LinkedAccount& account = cached->account;
        Record(account.project_id, account.id, action->endpoint, answer.attempt);
        if (answer.body) {
          done(std::move(answer.body));  // the account is active: nothing to record
          return;
        }
        // NoteOutcome updates its own copy of the account. The body is parsed again: this path
        // is rare, and keeping the parsed form for it would cost every request.
        offload_([this, account = store::LinkedAccount(account), action, wire = std::move(wire),
                  error = std::move(answer.body).error(), first_took = answer.attempt.latency,
                  done = std::move(done)]() mutable {
          boost::json::object body = boost::json::parse(wire).as_object();
          auto result = retrying_->Continue(
              action->endpoint, body, ObserverFor(account, action->endpoint),
              BudgetGate(account, action->endpoint), Unexpected(std::move(error)), first_took);
          NoteOutcome(account, result);
          if (!result) {
            done(Unexpected(std::move(result).error()));
            return;
          }
          done(ToJson(*result));
        });
      });
  return true;
}

Result<ActionResult> ActionRunner::Paged(Target& target, const plaid::Action& action,
                                         boost::json::object input) {
  int64_t offset = GetInt(input, "offset").value_or(0);
  if (auto next = GetString(input, "next")) {
    // `next` is "o:<offset>" from the previous page.
    auto n = ParsePrefixedInt64(*next, "o:");
    if (!n) {
      return Unexpected(
          MakeError(ErrorCode::kInvalidArgument, "next is not a cursor this action returned"));
    }
    offset = *n;
  }
  input["offset"] = offset;
  boost::json::object body = PlaidBody(action, input, target.access_token);
  LINKHUB_ASSIGN_OR_RETURN(boost::json::object res, CallFor(target.account, action.endpoint, body));
  int64_t got = 0;
  if (const auto* items = GetArray(res, action.items_key)) {
    got = static_cast<int64_t>(items->size());
  }
  int64_t total = GetInt(res, action.total_key).value_or(0);
  ActionResult out{std::move(res), std::nullopt};
  if (got > 0 && offset + got < total) {
    out.next = "o:" + std::to_string(offset + got);
  }
  return out;
}

Result<ActionResult> ActionRunner::Sync(Target& target, const boost::json::object& input) {
  std::string consumer(GetString(input, "consumer").value_or("default"));
  // Plain names only: the stored key appends "|account:<id>" for a filtered sync.
  if (!std::all_of(consumer.begin(), consumer.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
               c == ':';
      })) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "consumer may hold only letters, digits, '_', '-', '.' and ':'"));
  }
  auto only_account = GetString(input, "account_id");
  if (only_account) {
    consumer += "|account:" + std::string(*only_account);  // cursors are bound to the filter
  }
  const bool own_cursor = input.contains("cursor");
  const int64_t count = GetInt(input, "count").value_or(100);

  std::shared_ptr<std::mutex> lock_for;
  {
    std::lock_guard lock(sync_mu_);
    auto& slot = sync_locks_[target.account.id + "|" + consumer];
    if (!slot) {
      slot = std::make_shared<std::mutex>();
    }
    lock_for = slot;
  }
  std::lock_guard sync_lock(*lock_for);

  std::string start;
  if (own_cursor) {
    start = std::string(GetString(input, "cursor").value_or(""));
  } else if (!GetBool(input, "reset").value_or(false)) {
    LINKHUB_ASSIGN_OR_RETURN(
        auto stored, store_.GetSyncCursor(target.account.project_id, target.account.id, consumer));
    start = stored.value_or("");
  }

  for (int restart = 0;; ++restart) {
    boost::json::array added, modified, removed, accounts;
    std::string cursor = start;
    std::string update_status;
    int pages = 0;
    bool mutated = false;
    while (true) {
      boost::json::object body{{"access_token", target.access_token}, {"count", count}};
      if (!cursor.empty()) {
        body["cursor"] = cursor;
      }
      if (only_account) {
        body["options"] = boost::json::object{{"account_id", *only_account}};
      }
      auto page = CallFor(target.account, "/transactions/sync", body);
      if (!page) {
        if (HasCode(page.error(), "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION") &&
            restart < kMaxSyncRestarts) {
          mutated = true;  // Plaid's rule: restart the whole update from its first cursor
          break;
        }
        return Unexpected(std::move(page).error());
      }
      ++pages;
      for (auto [key, into] : {std::pair<const char*, boost::json::array*>{"added", &added},
                               {"modified", &modified},
                               {"removed", &removed}}) {
        if (const auto* a = GetArray(*page, key)) {
          into->insert(into->end(), a->begin(), a->end());
        }
      }
      if (const auto* a = GetArray(*page, "accounts")) {
        // Plaid lists only the accounts of each page's transactions: merge them by id.
        for (const auto& acc : *a) {
          const auto* o = acc.if_object();
          auto id = o ? GetString(*o, "account_id") : std::nullopt;
          bool seen = id && std::any_of(accounts.begin(), accounts.end(), [&](const auto& x) {
                        return x.is_object() && GetString(x.get_object(), "account_id") == id;
                      });
          if (!seen) {
            accounts.push_back(acc);
          }
        }
      }
      update_status = std::string(GetString(*page, "transactions_update_status").value_or(""));
      std::string next(GetString(*page, "next_cursor").value_or(""));
      bool has_more = GetBool(*page, "has_more").value_or(false);
      if (next.empty()) {
        break;  // Plaid has no data yet: nothing to read, nothing to store
      }
      cursor = std::move(next);
      if (!has_more) {
        break;
      }
      if (pages >= kMaxSyncPages) {
        return Unexpected(MakeError(ErrorCode::kUpstream,
                                    "the transaction update is larger than linkhub reads at "
                                    "once; nothing was stored, try again"));
      }
    }
    if (mutated) {
      spdlog::info("account {}: transactions changed during a sync; restarting it",
                   target.account.id);
      continue;
    }
    if (!own_cursor && cursor != start && !cursor.empty()) {
      LINKHUB_RETURN_IF_ERROR(store_.PutSyncCursor(target.account.project_id, target.account.id,
                                                   consumer, cursor, clock_.Now()));
    }
    boost::json::object data{{"added", std::move(added)},
                             {"modified", std::move(modified)},
                             {"removed", std::move(removed)},
                             {"accounts", std::move(accounts)},
                             {"next_cursor", cursor},
                             {"has_more", false},
                             {"transactions_update_status", update_status},
                             {"pages", pages},
                             {"restarts", restart}};
    return ActionResult{std::move(data), std::nullopt};
  }
}

Result<boost::json::object> ActionRunner::Proxy(const std::string& project_id,
                                                const std::string& account_id,
                                                std::string_view endpoint,
                                                boost::json::object body) {
  if (!IsProxyEndpoint(endpoint)) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "path " + std::string(endpoint.substr(0, 100)) +
                                                   " is not a Plaid endpoint the proxy may call"));
  }
  for (std::string_view key : {"access_token", "client_id", "secret"}) {
    if (body.contains(key)) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  "body." + std::string(key) +
                                      " must not be sent: linkhub adds the account's credentials"));
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(Target target, Load(project_id, account_id));
  for (const auto& a : plaid::Catalogue()) {
    if (a.endpoint == endpoint && !Supports(target.account, a)) {
      return Unexpected(NotLinkedWith(target.account, a));
    }
  }
  body["access_token"] = target.access_token;
  return CallFor(target.account, endpoint, body);
}

}  // namespace linkhub::hub
