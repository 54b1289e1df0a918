#include "hub/action_pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "core/json.h"
#include "hub/account_status.h"
#include "plaid/http_plaid_client.h"
#include "plaid/retrying_plaid_client.h"

namespace linkhub::hub {

namespace {

constexpr int kMaxSyncPages = 1000;
constexpr int kMaxSyncRestarts = 3;
constexpr std::string_view kSyncEndpoint = "/transactions/sync";

bool HasCode(const Error& e, std::string_view code) {
  return e.provider && e.provider->error_code == code;
}

const Error* ErrorOf(const Result<std::string>& body) { return body ? nullptr : &body.error(); }

}  // namespace

ActionPipeline::ActionPipeline(store::AccountStore& accounts, store::SyncCursorStore& cursors,
                               Keys& keys, plaid::PlaidClient& plaid, plaid::RateBudget* budget,
                               CallLog* call_log, Clock& clock, const LinkSettings& settings,
                               Offload offload)
    : cursors_(cursors),
      plaid_(plaid),
      budget_(budget),
      call_log_(call_log),
      clock_(clock),
      settings_(settings),
      offload_(std::move(offload)),
      cache_(accounts, keys, clock),
      accounts_(accounts) {}

void ActionPipeline::EnableAsync(plaid::AsyncPlaidClient& async,
                                 plaid::RetryingPlaidClient& retrying) {
  async_ = &async;
  retrying_ = &retrying;
}

bool ActionPipeline::IsProxyEndpoint(std::string_view endpoint) {
  return std::any_of(
      plaid::Catalogue().begin(), plaid::Catalogue().end(),
      [&](const plaid::Action& a) { return a.needs_access_token && a.endpoint == endpoint; });
}

void ActionPipeline::OffloadOrRun(std::function<void()> work) {
  if (offload_) {
    offload_(std::move(work));
  } else {
    work();
  }
}

// ---------------------------------------------------------------- the doors

Result<ActionOutcome> ActionPipeline::Run(ActionRequest request) {
  LINKHUB_ASSIGN_OR_RETURN(const plaid::Action* action,
                           ResolveAction(request.action_id, request.input, request.limits.get()));
  LINKHUB_ASSIGN_OR_RETURN(auto target, cache_.Load(request.project_id, request.account_id));
  LINKHUB_ASSIGN_OR_RETURN(ActionPlan plan,
                           PlanAction(*action, request.input, std::move(target), settings_));
  plan.via = request.via;
  plan.request_id = std::move(request.request_id);
  return Execute(plan);
}

void ActionPipeline::Start(ActionRequest request, ActionDone done) {
  auto run_blocking = [this, &request, &done] {
    OffloadOrRun([this, request = std::move(request), done = std::move(done)]() mutable {
      done(Run(std::move(request)));
    });
  };
  if (async_ == nullptr) {
    run_blocking();
    return;
  }
  // What needs neither the account nor Plaid is answered here, exactly as Run() would.
  auto action = ResolveAction(request.action_id, request.input, request.limits.get());
  if (!action) {
    done(Unexpected(std::move(action).error()));
    return;
  }
  // Any status but active goes to Run(): it reads the account afresh, and an account in error
  // that answers again must be written back to active.
  auto target = cache_.Lookup(request.project_id, request.account_id);
  if (!target || target->account.status != domain::AccountStatus::kActive) {
    run_blocking();
    return;
  }
  auto plan = PlanAction(**action, request.input, std::move(target), settings_);
  if (!plan) {
    done(Unexpected(std::move(plan).error()));
    return;
  }
  plan->via = request.via;
  plan->request_id = std::move(request.request_id);
  // A sync reads and writes cursors; a call that changes state at Plaid (a billed refresh) is
  // never exposed to a transport's re-send of a request on a stale connection.
  if (!plan->OneCall() || !plan->action->read_only) {
    OffloadOrRun(
        [this, plan = std::move(*plan), done = std::move(done)]() mutable { done(Execute(plan)); });
    return;
  }
  if (auto admitted = Admit(plan->target->account, plan->endpoint, plan->uses_item); !admitted) {
    done(Unexpected(std::move(admitted).error()));
    return;
  }
  SendAsync(std::move(*plan), std::move(done));
}

Result<std::string> ActionPipeline::Proxy(const std::string& project_id,
                                          const std::string& account_id, std::string_view endpoint,
                                          boost::json::object body, const domain::KeyLimits& limits,
                                          std::string_view request_id) {
  if (!IsProxyEndpoint(endpoint)) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument, "path " + std::string(endpoint.substr(0, 100)) +
                                                   " is not a Plaid endpoint the proxy may call"));
  }
  // A limited key reaches through the proxy only what one of its actions would call.
  if (!limits.Unlimited() && std::none_of(plaid::Catalogue().begin(), plaid::Catalogue().end(),
                                          [&](const plaid::Action& a) {
                                            return a.endpoint == endpoint &&
                                                   CheckKeyAllows(limits, a).has_value();
                                          })) {
    return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                "this API key may not call " + std::string(endpoint) +
                                    ": none of the actions it may run uses it"));
  }
  for (std::string_view key : {"access_token", "client_id", "secret"}) {
    if (body.contains(key)) {
      return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                  "body." + std::string(key) +
                                      " must not be sent: linkhub adds the account's credentials"));
    }
  }
  LINKHUB_ASSIGN_OR_RETURN(auto target, cache_.Load(project_id, account_id));
  const domain::LinkedAccount& account = target->account;
  LINKHUB_RETURN_IF_ERROR(CheckRunnable(account));
  for (const auto& a : plaid::Catalogue()) {
    if (a.endpoint == endpoint && !plaid::Supports(account.products, a)) {
      return Unexpected(NotLinkedWith(account, a));
    }
  }
  body["access_token"] = target->access_token;
  plaid::RawAnswer answer =
      CallFor(account, endpoint, ToJson(body), /*uses_item=*/true, {door::kProxy, request_id});
  NoteOutcome(account, ErrorOf(answer.body));
  return std::move(answer.body);
}

// ---------------------------------------------------------------- transports

Result<ActionOutcome> ActionPipeline::Execute(ActionPlan& plan) {
  if (!plan.OneCall()) {
    return Sync(plan);
  }
  return Finish(plan, CallFor(plan.target->account, plan.endpoint, plan.body_json, plan.uses_item,
                              {plan.via, plan.request_id}));
}

void ActionPipeline::SendAsync(ActionPlan plan, ActionDone done) {
  // The body is kept for a retry: Plaid's answer may say to try again. The endpoint and body
  // are taken before `plan` moves into the callback.
  std::string body = plan.body_json;
  std::string_view endpoint = plan.action->endpoint;
  async_->Send(
      endpoint, std::move(body),
      [this, plan = std::move(plan), done = std::move(done)](plaid::RawAnswer answer) mutable {
        const domain::LinkedAccount& account = plan.target->account;
        Record(account, plan.endpoint, answer.attempt, {plan.via, plan.request_id});
        if (answer.body) {
          done(Finish(plan, std::move(answer)));  // an active account: nothing to write
          return;
        }
        // Retries sleep and a status change writes: both belong on the handler pool.
        OffloadOrRun([this, plan = std::move(plan), answer = std::move(answer),
                      done = std::move(done)]() mutable {
          const domain::LinkedAccount& account = plan.target->account;
          auto first_took = answer.attempt.latency;
          plaid::RawAnswer last =
              retrying_->Continue(plan.endpoint, plan.body_json,
                                  ObserverFor(account, plan.endpoint, {plan.via, plan.request_id}),
                                  plan.uses_item ? BudgetGate(account, plan.endpoint) : nullptr,
                                  std::move(answer), first_took);
          done(Finish(plan, std::move(last)));
        });
      });
}

Result<ActionOutcome> ActionPipeline::Finish(const ActionPlan& plan, plaid::RawAnswer answer) {
  if (plan.uses_item) {
    NoteOutcome(plan.target->account, ErrorOf(answer.body));
  }
  if (!answer.body) {
    return Unexpected(std::move(answer.body).error());
  }
  ActionOutcome out{std::move(*answer.body), std::nullopt};
  if (plan.action->paging == plaid::Paging::kOffset) {
    auto page = plaid::ScanPage(out.data, plan.action->items_key, plan.action->total_key);
    if (page && page->items > 0 && plan.offset + page->items < page->total) {
      out.next = "o:" + std::to_string(plan.offset + page->items);
    }
  }
  return out;
}

plaid::RawAnswer ActionPipeline::CallFor(const domain::LinkedAccount& account,
                                         std::string_view endpoint, std::string body_json,
                                         bool uses_item, Origin origin) {
  if (auto admitted = Admit(account, endpoint, uses_item); !admitted) {
    plaid::RawAnswer refused;
    refused.body = Unexpected(std::move(admitted).error());
    return refused;
  }
  return plaid_.Send(endpoint, std::move(body_json), ObserverFor(account, endpoint, origin),
                     uses_item ? BudgetGate(account, endpoint) : nullptr);
}

Status ActionPipeline::Admit(const domain::LinkedAccount& account, std::string_view endpoint,
                             bool uses_item) {
  if (budget_ == nullptr || !uses_item) {
    return OkStatus();
  }
  return budget_->Acquire(account.item_id_hash, endpoint);
}

plaid::RetryGate ActionPipeline::BudgetGate(const domain::LinkedAccount& account,
                                            std::string_view endpoint) {
  if (budget_ == nullptr) {
    return nullptr;
  }
  // A retry is a request Plaid counts like any other.
  return [this, item = account.item_id_hash, endpoint = std::string(endpoint)] {
    return static_cast<bool>(budget_->Acquire(item, endpoint));
  };
}

void ActionPipeline::Record(const domain::LinkedAccount& account, std::string_view endpoint,
                            const plaid::Attempt& a, Origin origin) {
  if (call_log_ == nullptr) {
    return;
  }
  domain::PlaidCallRecord r;
  r.project_id = account.project_id;
  r.account_id = account.id;
  r.at = clock_.Now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(a.latency);
  r.endpoint = endpoint;
  r.http_status = a.http_status;
  r.error_code = a.error_code;
  r.request_id = a.request_id;
  r.latency_us = a.latency.count();
  r.via = origin.via;
  r.linkhub_request_id = origin.request_id;
  call_log_->Record(std::move(r));
}

plaid::AttemptObserver ActionPipeline::ObserverFor(const domain::LinkedAccount& account,
                                                   std::string_view endpoint, Origin origin) {
  if (call_log_ == nullptr) {
    return nullptr;
  }
  // The observer may outlive `origin`'s request id (a retry on the handler pool): it keeps its
  // own copy.
  return [this, &account, endpoint = std::string(endpoint), via = origin.via,
          request_id = std::string(origin.request_id)](const plaid::Attempt& a) {
    Record(account, endpoint, a, {via, request_id});
  };
}

std::optional<StatusChange> ActionPipeline::NoteOutcome(const domain::LinkedAccount& account,
                                                        const Error* error) {
  if (error == nullptr && account.status != domain::AccountStatus::kError) {
    return std::nullopt;  // the common case, decided without reading the clock
  }
  TimePoint now = clock_.Now();
  auto change = StatusAfterCall(account, error, now);
  if (!change) {
    return std::nullopt;
  }
  if (auto s = accounts_.SetAccountStatus(account.project_id, account.id, change->status,
                                          change->reasons, now);
      !s) {
    spdlog::warn("account {}: status not stored: {}", account.id, s.error().message);
  } else {
    spdlog::info("account {} is now {}", account.id, domain::ToString(change->status));
  }
  return change;
}

// ---------------------------------------------------------------- sync

Result<ActionOutcome> ActionPipeline::Sync(ActionPlan& plan) {
  const SyncPlan& sync = plan.sync;
  // NoteOutcome follows this copy page by page, so a status is written once, not per page.
  domain::LinkedAccount account = plan.target->account;
  const std::string& token = plan.target->access_token;

  std::shared_ptr<std::mutex> lock_for;
  {
    std::lock_guard lock(sync_mu_);
    auto& slot = sync_locks_[account.id + "|" + sync.consumer];
    if (!slot) {
      slot = std::make_shared<std::mutex>();
    }
    lock_for = slot;
  }
  std::lock_guard sync_lock(*lock_for);

  std::string start = sync.cursor;
  if (!sync.own_cursor && !sync.reset) {
    LINKHUB_ASSIGN_OR_RETURN(auto stored,
                             cursors_.GetSyncCursor(account.project_id, account.id, sync.consumer));
    start = stored.value_or("");
  }

  for (int restart = 0;; ++restart) {
    boost::json::array added, modified, removed, accounts;
    std::string cursor = start;
    std::string update_status;
    int pages = 0;
    bool mutated = false;
    while (true) {
      boost::json::object body{{"access_token", token}, {"count", sync.count}};
      if (!cursor.empty()) {
        body["cursor"] = cursor;
      }
      if (sync.only_account) {
        body["options"] = boost::json::object{{"account_id", *sync.only_account}};
      }
      plaid::RawAnswer answer =
          CallFor(account, kSyncEndpoint, ToJson(body), true, {plan.via, plan.request_id});
      if (auto change = NoteOutcome(account, ErrorOf(answer.body))) {
        account.status = change->status;
        account.status_reasons = std::move(change->reasons);
      }
      if (!answer.body) {
        if (HasCode(answer.body.error(), "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION") &&
            restart < kMaxSyncRestarts) {
          mutated = true;  // Plaid's rule: restart the whole update from its first cursor
          break;
        }
        return Unexpected(std::move(answer.body).error());
      }
      auto parsed = ParseJson(*answer.body);
      if (!parsed || !parsed->is_object()) {
        return Unexpected(
            MakeError(ErrorCode::kUpstream, "Plaid's /transactions/sync answer could not be read"));
      }
      const boost::json::object& page = parsed->get_object();
      ++pages;
      for (auto [key, into] : {std::pair<const char*, boost::json::array*>{"added", &added},
                               {"modified", &modified},
                               {"removed", &removed}}) {
        if (const auto* a = GetArray(page, key)) {
          into->insert(into->end(), a->begin(), a->end());
        }
      }
      if (const auto* a = GetArray(page, "accounts")) {
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
      update_status = std::string(GetString(page, "transactions_update_status").value_or(""));
      std::string next(GetString(page, "next_cursor").value_or(""));
      bool has_more = GetBool(page, "has_more").value_or(false);
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
      spdlog::info("account {}: transactions changed during a sync; restarting it", account.id);
      continue;
    }
    if (!sync.own_cursor && cursor != start && !cursor.empty()) {
      LINKHUB_RETURN_IF_ERROR(cursors_.PutSyncCursor(account.project_id, account.id, sync.consumer,
                                                     cursor, clock_.Now()));
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
    return ActionOutcome{ToJson(data), std::nullopt};
  }
}

}  // namespace linkhub::hub
