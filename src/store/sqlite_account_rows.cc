#include "store/sqlite_account_rows.h"

#include <boost/json.hpp>

#include "core/json.h"
#include "store/sqlite_rows.h"

namespace linkhub::store::internal {

namespace {

std::vector<domain::StatusReason> ReasonsFromJson(const std::string& text) {
  std::vector<domain::StatusReason> out;
  auto v = ParseJson(text);
  if (!v || !v->is_array()) {
    return out;
  }
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) {
      continue;
    }
    const auto& o = e.get_object();
    domain::StatusReason r{std::string(GetString(o, "code").value_or("")),
                           std::string(GetString(o, "description").value_or("")),
                           FromSeconds(GetInt(o, "timestamp").value_or(0)), std::nullopt};
    if (auto until = GetInt(o, "expires_at")) {
      r.expires_at = FromSeconds(*until);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> StringsFromJson(const std::string& text) {
  std::vector<std::string> out;
  auto v = ParseJson(text);
  if (v && v->is_array()) {
    for (const auto& e : v->get_array()) {
      if (e.is_string()) {
        out.emplace_back(e.get_string());
      }
    }
  }
  return out;
}

}  // namespace

std::string ReasonsToJson(const std::vector<domain::StatusReason>& reasons) {
  boost::json::array out;
  for (const auto& r : reasons) {
    boost::json::object reason{
        {"code", r.code}, {"description", r.description}, {"timestamp", Seconds(r.timestamp)}};
    if (r.expires_at) {
      reason["expires_at"] = Seconds(*r.expires_at);
    }
    out.push_back(std::move(reason));
  }
  return ToJson(out);
}

domain::LinkedAccount ReadAccount(const Statement& s) {
  domain::LinkedAccount a;
  a.id = s.ColumnText(0);
  a.project_id = s.ColumnText(1);
  a.provider = s.ColumnText(2);
  a.origin_owner_id = s.ColumnText(3);
  a.origin_owner_name = s.ColumnText(4);
  a.origin_username = s.ColumnOptionalText(5);
  a.label = s.ColumnOptionalText(6);
  a.status = domain::ParseAccountStatus(s.ColumnText(7)).value_or(domain::AccountStatus::kError);
  a.status_reasons = ReasonsFromJson(s.ColumnText(8));
  a.type = s.ColumnText(9);
  a.environment = s.ColumnText(10);
  a.products = StringsFromJson(s.ColumnText(11));
  a.institution_id = s.ColumnOptionalText(12);
  a.institution_name = s.ColumnOptionalText(13);
  a.accounts_json = s.ColumnText(14);
  a.details_pending = s.ColumnInt(15) != 0;
  a.access_token_sealed = s.ColumnText(16);
  a.item_id_sealed = s.ColumnText(17);
  a.item_id_hash = s.ColumnText(18);
  if (!s.ColumnIsNull(19)) {
    a.connect_session_id = s.ColumnInt(19);
  }
  a.created_at = FromSeconds(s.ColumnInt(20));
  a.updated_at = FromSeconds(s.ColumnInt(21));
  a.deleted_at = OptionalTime(s, 22);
  return a;
}

void BindAccount(Statement& ins, const domain::LinkedAccount& a) {
  ins.Bind(1, a.id)
      .Bind(2, a.project_id)
      .Bind(3, a.provider)
      .Bind(4, a.origin_owner_id)
      .Bind(5, a.origin_owner_name)
      .BindOptional(6, a.origin_username)
      .BindOptional(7, a.label)
      .Bind(8, domain::ToString(a.status))
      .Bind(9, ReasonsToJson(a.status_reasons))
      .Bind(10, a.type)
      .Bind(11, a.environment)
      .Bind(12, ToJson(ToJsonArray(a.products)))
      .BindOptional(13, a.institution_id)
      .BindOptional(14, a.institution_name)
      .Bind(15, a.accounts_json)
      .Bind(16, int64_t{a.details_pending ? 1 : 0})
      .Bind(17, a.access_token_sealed)
      .Bind(18, a.item_id_sealed)
      .Bind(19, a.item_id_hash);
  if (a.connect_session_id) {
    ins.Bind(20, *a.connect_session_id);
  } else {
    ins.BindNull(20);
  }
  ins.Bind(21, Seconds(a.created_at)).Bind(22, Seconds(a.updated_at));
}

}  // namespace linkhub::store::internal
