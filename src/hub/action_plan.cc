#include "hub/action_plan.h"

#include <algorithm>
#include <cctype>

#include "core/json.h"
#include "core/json_schema.h"
#include "core/strings.h"

namespace linkhub::hub {

namespace {

bool IsConsumerChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == ':';
}

Result<SyncPlan> PlanSync(const boost::json::object& input) {
  SyncPlan sync;
  sync.consumer = std::string(GetString(input, "consumer").value_or("default"));
  // Plain names only: the stored key appends "|account:<id>" for a filtered sync.
  if (!std::all_of(sync.consumer.begin(), sync.consumer.end(), IsConsumerChar)) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                "consumer may hold only letters, digits, '_', '-', '.' and ':'"));
  }
  if (auto only = GetString(input, "account_id")) {
    sync.only_account = std::string(*only);
    sync.consumer += "|account:" + *sync.only_account;  // cursors are bound to the filter
  }
  sync.own_cursor = input.contains("cursor");
  if (sync.own_cursor) {
    sync.cursor = std::string(GetString(input, "cursor").value_or(""));
  }
  sync.reset = GetBool(input, "reset").value_or(false);
  sync.count = GetInt(input, "count").value_or(100);
  return sync;
}

}  // namespace

Error NotLinkedWith(const domain::LinkedAccount& account, const plaid::Action& action) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   "account " + account.id + " was not linked with Plaid's '" + action.product +
                       "' product, which " + action.id +
                       " needs; re-link it with that product (a connect session with account_id, "
                       "or a link token that asks for it)");
}

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

Result<const plaid::Action*> ResolveAction(std::string_view action_id,
                                           const boost::json::object& input,
                                           const domain::KeyLimits* limits) {
  const plaid::Action* action = plaid::FindAction(action_id);
  if (action == nullptr) {
    return Unexpected(MakeError(
        ErrorCode::kNotFound,
        "unknown action '" + std::string(action_id.substr(0, 100)) + "'; GET /actions lists them"));
  }
  if (limits != nullptr) {
    LINKHUB_RETURN_IF_ERROR(CheckKeyAllows(*limits, *action));
  }
  LINKHUB_RETURN_IF_ERROR(ValidateJson(action->input_schema, input));
  return action;
}

Status CheckRunnable(const domain::LinkedAccount& account) {
  if (account.status == domain::AccountStatus::kInactive || account.access_token_sealed.empty()) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "account " + account.id +
                                    " is inactive: Plaid no longer accepts its Item (removed or "
                                    "revoked); link the bank again"));
  }
  if (account.status == domain::AccountStatus::kSuspended) {
    return Unexpected(MakeError(ErrorCode::kFailedPrecondition,
                                "account " + account.id +
                                    " is suspended by its project's operator: no action runs on it "
                                    "until it is resumed"));
  }
  return OkStatus();
}

Result<ActionPlan> PlanAction(const plaid::Action& action, const boost::json::object& input,
                              std::shared_ptr<const OpenedAccount> target,
                              const LinkSettings& settings) {
  const domain::LinkedAccount& account = target->account;
  LINKHUB_RETURN_IF_ERROR(CheckRunnable(account));
  if (!plaid::Supports(account.products, action)) {
    return Unexpected(NotLinkedWith(account, action));
  }
  ActionPlan plan;
  plan.action = &action;
  plan.endpoint = action.endpoint;
  plan.uses_item = action.needs_access_token;
  if (action.paging == plaid::Paging::kSync) {
    LINKHUB_ASSIGN_OR_RETURN(plan.sync, PlanSync(input));
    plan.target = std::move(target);
    return plan;
  }
  boost::json::object body;
  if (action.paging == plaid::Paging::kOffset) {
    plan.offset = GetInt(input, "offset").value_or(0);
    if (auto next = GetString(input, "next")) {
      // `next` is "o:<offset>" from the previous page.
      auto n = ParsePrefixedInt64(*next, "o:");
      if (!n) {
        return Unexpected(
            MakeError(ErrorCode::kInvalidArgument, "next is not a cursor this action returned"));
      }
      plan.offset = *n;
    }
    boost::json::object paged = input;
    paged["offset"] = plan.offset;
    body = PlaidBody(action, paged, target->access_token);
  } else {
    body = PlaidBody(action, input, target->access_token);
    if (action.endpoint == "/institutions/get_by_id" || action.endpoint == "/institutions/search") {
      body["country_codes"] = ToJsonArray(settings.country_codes);
    }
    if (action.endpoint == "/institutions/get_by_id" && !body.contains("institution_id")) {
      if (!account.institution_id) {
        return Unexpected(MakeError(ErrorCode::kInvalidArgument,
                                    "institution_id is required: this account's institution is "
                                    "not known yet"));
      }
      body["institution_id"] = *account.institution_id;
    }
  }
  plan.body_json = ToJson(body);
  plan.target = std::move(target);
  return plan;
}

}  // namespace linkhub::hub
