#include "hub/plaid_webhooks_impl.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "core/ids.h"
#include "core/json.h"
#include "hub/account_status.h"

namespace linkhub::hub {

namespace {

// The fields of a webhook body the hub reads.
struct ParsedWebhook {
  PlaidWebhookNews news;
  std::optional<std::string> item_id;
};

Result<ParsedWebhook> ParseWebhook(std::string_view raw_body) {
  auto parsed = ParseJsonUniqueKeys(raw_body);
  if (!parsed || !parsed->is_object()) {
    return Unexpected(Invalid("the body is not one JSON object"));
  }
  const auto& o = parsed->get_object();
  auto type = GetString(o, "webhook_type");
  auto code = GetString(o, "webhook_code");
  if (!type || !code || type->empty() || code->empty() || type->size() > 64 || code->size() > 64) {
    return Unexpected(Invalid("the body has no webhook_type and webhook_code"));
  }
  ParsedWebhook w;
  w.news.webhook_type = std::string(*type);
  w.news.webhook_code = std::string(*code);
  if (auto item = GetString(o, "item_id"); item && !item->empty()) {
    w.item_id = std::string(*item);
  }
  if (const auto* error = GetObject(o, "error")) {
    if (auto ec = GetString(*error, "error_code")) {
      w.news.error_code = std::string(*ec);
    }
    if (auto em = GetString(*error, "error_message")) {
      w.news.error_message = std::string(*em);
    }
  }
  if (auto when = GetString(o, "consent_expiration_time")) {
    w.news.consent_expiration_time = ParseRfc3339(*when);
  }
  return w;
}

// The project id of a request's path as a log may show it: it is anyone's input until the
// webhook is verified.
std::string ForLog(std::string_view project_id) {
  std::string out(project_id.substr(0, 64));
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      c = '?';
    }
  }
  return out;
}

std::string ReasonOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kInvalidArgument:
      return "invalid";
    case ErrorCode::kNotFound:
      return "unknown_project";
    case ErrorCode::kUnavailable:
      return "key_unavailable";
    default:
      return "error";
  }
}

}  // namespace

PlaidWebhooksImpl::PlaidWebhooksImpl(PlaidWebhookStores stores, Keys& keys,
                                     plaid::WebhookVerifier& verifier, Clock& clock, Random& random,
                                     FaultHook* faults)
    : stores_(stores),
      keys_(keys),
      verifier_(verifier),
      clock_(clock),
      random_(random),
      faults_(faults) {}

void PlaidWebhooksImpl::Refuse(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++refused_[reason];
}

std::map<std::string, uint64_t> PlaidWebhooksImpl::Refusals() const {
  std::lock_guard lock(mu_);
  return refused_;
}

Result<WebhookReceipt> PlaidWebhooksImpl::Receive(const std::string& project_id,
                                                  std::string_view verification_header,
                                                  std::string_view raw_body) {
  auto refuse = [&](Error e) -> Result<WebhookReceipt> {
    Refuse(ReasonOf(e.code));
    // The reason never quotes the header or the body.
    spdlog::warn("Plaid webhook for project {} refused ({} bytes): {}", ForLog(project_id),
                 raw_body.size(), e.message);
    return Unexpected(std::move(e));
  };
  if (raw_body.size() > kMaxBodyBytes) {
    return refuse(Invalid("the body is larger than 1 MB"));
  }
  // Nothing is read from the body before Plaid's signature of it is checked.
  if (auto verified = verifier_.Verify(verification_header, raw_body); !verified) {
    return refuse(std::move(verified).error());
  }
  auto parsed = ParseWebhook(raw_body);
  if (!parsed) {
    return refuse(std::move(parsed).error());
  }
  if (auto project = stores_.projects.GetProject(project_id); !project) {
    if (project.error().code != ErrorCode::kNotFound) {
      return Unexpected(std::move(project).error());
    }
    return refuse(MakeError(ErrorCode::kNotFound, "project " + ForLog(project_id) + " not found"));
  }
  domain::PlaidWebhook w;
  w.id = "pwh_" + NewBase62(random_, 22);
  w.project_id = project_id;
  w.body_hash = keys_.Hash(raw_body);
  LINKHUB_ASSIGN_OR_RETURN(w.body_sealed, keys_.Seal(project_id, w.id, "body", raw_body));
  w.webhook_type = parsed->news.webhook_type;
  w.webhook_code = parsed->news.webhook_code;
  w.item_id_hash = parsed->item_id ? keys_.Hash(*parsed->item_id) : "";
  w.received_at = clock_.Now();
  WebhookReceipt receipt{w.id, false};
  if (auto kept = stores_.inbox.ReceiveWebhook(w, w.received_at - kDuplicateWindow); !kept) {
    if (kept.error().code != ErrorCode::kAlreadyExists) {
      return Unexpected(std::move(kept).error());
    }
    receipt.duplicate = true;
    spdlog::info("Plaid webhook {} {} for project {}: a duplicate, already kept", w.webhook_type,
                 w.webhook_code, project_id);
    return receipt;
  }
  spdlog::info("Plaid webhook {} {} for project {} kept as {}", w.webhook_type, w.webhook_code,
               project_id, w.id);
  {
    std::lock_guard lock(mu_);
    pending_ = true;
  }
  wake_.notify_one();
  return receipt;
}

Status PlaidWebhooksImpl::Apply(const domain::PlaidWebhook& webhook) {
  LINKHUB_ASSIGN_OR_RETURN(std::string body,
                           keys_.Open(webhook.project_id, webhook.id, "body", webhook.body_sealed));
  auto parsed = ParseWebhook(body);
  const TimePoint now = clock_.Now();
  auto finish = [&](const std::optional<std::string>& account_id, const std::string& outcome,
                    std::optional<domain::EventType> event = std::nullopt) {
    spdlog::info("Plaid webhook {} ({} {}): {}", webhook.id, webhook.webhook_type,
                 webhook.webhook_code, outcome);
    return stores_.inbox.FinishWebhook(webhook.id, account_id, outcome, event, now);
  };
  if (!parsed) {
    return finish(std::nullopt, "unreadable: " + parsed.error().message);
  }
  if (webhook.item_id_hash.empty()) {
    return finish(std::nullopt, "names no Item: nothing to do");
  }
  LINKHUB_ASSIGN_OR_RETURN(
      std::optional<domain::LinkedAccount> account,
      stores_.accounts.FindAccountByItem(webhook.project_id, webhook.item_id_hash));
  if (!account) {
    // Plaid holds an Item for this project that no account does: the one window the exchange
    // cannot close (a crash after Plaid's answer, before the commit) shows here.
    domain::OrphanItem orphan;
    orphan.id = domain::OrphanIdForItem(webhook.item_id_hash);
    orphan.project_id = webhook.project_id;
    orphan.certainty = domain::OrphanCertainty::kDefinite;
    orphan.item_id_hash = webhook.item_id_hash;
    LINKHUB_ASSIGN_OR_RETURN(
        orphan.item_id_sealed,
        keys_.Seal(webhook.project_id, orphan.id, "item_id", parsed->item_id.value_or("")));
    orphan.reason = "Plaid sent a " + webhook.webhook_type + " " + webhook.webhook_code +
                    " webhook for an Item no account holds";
    orphan.created_at = now;
    LINKHUB_RETURN_IF_ERROR(stores_.orphans.RecordOrphan(orphan));
    return finish(std::nullopt, "no account holds this Item: reported as orphan " + orphan.id);
  }
  WebhookVerdict verdict = StatusAfterWebhook(*account, parsed->news, now);
  if (verdict.change) {
    LINKHUB_RETURN_IF_ERROR(stores_.accounts.SetAccountStatus(
        account->project_id, account->id, verdict.change->status, verdict.change->reasons, now));
    if (faults_ != nullptr) {
      faults_->At("plaid_webhook.after_status");
    }
  }
  return finish(account->id, verdict.outcome,
                verdict.transactions_updates
                    ? std::optional(domain::EventType::kTransactionsUpdatesAvailable)
                    : std::nullopt);
}

Result<size_t> PlaidWebhooksImpl::ApplyPending() {
  std::lock_guard apply(apply_mu_);
  size_t applied = 0;
  while (true) {
    LINKHUB_ASSIGN_OR_RETURN(auto batch, stores_.inbox.ListUnapplied(100));
    size_t before = applied;
    for (const auto& w : batch) {
      if (auto s = Apply(w); !s) {
        spdlog::error("Plaid webhook {} could not be applied (kept for later): {}", w.id,
                      s.error().message);
        continue;
      }
      ++applied;
    }
    if (batch.size() < 100 || applied == before) {
      return applied;
    }
  }
}

void PlaidWebhooksImpl::Run() {
  // Applied webhooks are kept a month for the accounts' timelines; their duplicates are long
  // past by then (Plaid retries for a day at most).
  constexpr auto kKeep = std::chrono::hours(24 * 30);
  while (true) {
    {
      std::unique_lock lock(mu_);
      // A periodic look too: a webhook whose apply failed (the database busy) is tried again.
      wake_.wait_for(lock, std::chrono::seconds(30), [this] { return pending_ || stopping_; });
      if (stopping_) {
        return;
      }
      pending_ = false;
    }
    if (auto n = ApplyPending(); !n) {
      spdlog::error("applying Plaid webhooks failed: {}", n.error().message);
    } else if (*n > 0 && on_applied_) {
      on_applied_();
    }
    if (auto s = stores_.inbox.PruneApplied(clock_.Now() - kKeep); !s) {
      spdlog::warn("pruning applied Plaid webhooks failed: {}", s.error().message);
    }
  }
}

void PlaidWebhooksImpl::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
}

}  // namespace linkhub::hub
