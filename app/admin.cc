// The admin commands: projects, API keys, data keys and orphaned Items, on the same data
// directory as the server (also while it runs). They go through the hub's classes, as the API does.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "api/api.h"
#include "app/setup.h"
#include "core/json.h"
#include "core/strings.h"
#include "domain/origins.h"
#include "http/curl_http_client.h"
#include "hub/item_webhooks.h"
#include "hub/orphans_impl.h"
#include "hub/projects_impl.h"
#include "plaid/http_plaid_client.h"
#include "store/sqlite_backup.h"

namespace linkhub::app {

namespace {

void PrintJson(const boost::json::value& v) { std::cout << ToPrettyJson(v) << "\n"; }

// An API key's limits as `api-key create` and `list` print them: the allowed actions (null:
// every action) and whether it is read-only.
void AddLimitsJson(boost::json::object& out, const domain::KeyLimits& limits) {
  out["actions"] = limits.actions ? boost::json::value(ToJsonArray(*limits.actions))
                                  : boost::json::value(nullptr);
  out["read_only"] = limits.read_only;
}

boost::json::value TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? boost::json::value(FormatRfc3339(*t)) : boost::json::value(nullptr);
}

// The value of a Result, or Fail() with its message.
template <class T>
T OrFail(Result<T> result) {
  if (!result) {
    Fail(result.error().message);
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(result).value();
  }
}

boost::json::object ProjectJson(const domain::Project& p) {
  return boost::json::object{{"project_id", p.id},
                             {"organization_id", p.numeric_id},
                             {"name", p.name},
                             {"allowed_origins", ToJsonArray(p.allowed_origins)},
                             {"created_at", FormatRfc3339(p.created_at)}};
}

// `items orphans`, `items remove-orphan` and `items update-webhooks`: Plaid is called only to
// change something.
void RunItems(const Options& o, const Commands& c, DataDir& d, Clock& clock) {
  const store::Stores& stores = d.stores();
  if (c.items_orphans->parsed()) {
    hub::OrphansImpl orphans(stores.orphans, *d.keys, nullptr, clock);  // listing needs no Plaid
    boost::json::array out;
    for (const auto& v : OrFail(orphans.List(o.project))) {
      out.push_back(api::OrphanJson(v));
    }
    PrintJson(out);
    return;
  }
  http::CurlOptions curl_options;
  http::CurlHttpClient http_client(curl_options);
  plaid::HttpPlaidClient plaid_client(http_client, clock, PlaidConfigFrom(o));
  if (c.items_update_webhooks->parsed()) {
    const std::string& base = o.plaid_webhook_url.empty() ? o.public_url : o.plaid_webhook_url;
    if (base.empty()) {
      Fail(
          "items update-webhooks needs the URL Plaid should use: --plaid-webhook-url or "
          "--public-url, as given to serve");
    }
    hub::WebhookUpdateReport report = OrFail(hub::UpdateItemWebhooks(
        stores.projects, stores.accounts, *d.keys, plaid_client, base, o.project));
    boost::json::array failed;
    for (const auto& [account_id, why] : report.failed) {
      failed.push_back(boost::json::object{{"account_id", account_id}, {"error", why}});
    }
    PrintJson(boost::json::object{
        {"webhook_base_url", base}, {"updated", report.updated}, {"failed", std::move(failed)}});
    if (!report.failed.empty()) {
      Fail(std::to_string(report.failed.size()) + " Items were not updated (listed above)");
    }
    return;
  }
  hub::OrphansImpl orphans(stores.orphans, *d.keys, &plaid_client, clock);
  PrintJson(api::OrphanJson(OrFail(orphans.Remove(o.project, o.id))));
}

// `backup --to FILE`: the database only, as sealed at rest, so it needs no master key.
int RunBackup(const Options& o, Clock& clock) {
  std::string from = DatabasePath(o.data_dir);
  TimePoint started = clock.Now();  // the snapshot is of a moment after this
  auto report = OrFail(store::BackupSqliteDatabase(from, o.backup_to));
  PrintJson(boost::json::object{{"backup", o.backup_to},
                                {"from", from},
                                {"bytes", report.bytes},
                                {"schema_version", report.schema_version},
                                {"started_at", FormatRfc3339(started)}});
  return 0;
}

}  // namespace

int RunAdmin(const Options& o, const Commands& c) {
  if (c.backup->parsed()) {
    SystemClock clock;
    return RunBackup(o, clock);
  }
  if (o.dev) {
    Fail("admin commands need the server's master key; --dev keys do not outlive a process");
  }
  SystemClock clock;
  SecureRandom random;
  DataDir d = OpenDataDir(o.data_dir, ResolveMasterKey(o, random), clock, random);
  const store::Stores& stores = d.stores();
  hub::ProjectsImpl projects(stores.projects, stores.api_keys, *d.keys, clock, random);
  // Checked before anything is written, so a typo creates nothing.
  auto origins = OrFail(domain::ParseAllowedOrigins(o.allowed_origins.value_or("")));

  if (c.project_create->parsed()) {
    hub::NewProject created = OrFail(projects.Create(o.name, origins));
    boost::json::object out = ProjectJson(created.project);
    out.erase("created_at");
    out["api_key_id"] = created.api_key.stored.id;
    out["api_key"] = created.api_key.key;
    PrintJson(out);
  } else if (c.project_update->parsed()) {
    domain::Project updated = OrFail(projects.SetAllowedOrigins(o.project, origins));
    PrintJson(boost::json::object{{"project_id", updated.id},
                                  {"name", updated.name},
                                  {"allowed_origins", ToJsonArray(updated.allowed_origins)}});
  } else if (c.project_list->parsed()) {
    boost::json::array out;
    for (const auto& p : OrFail(projects.List())) {
      out.push_back(ProjectJson(p));
    }
    PrintJson(out);
  } else if (c.key_create->parsed()) {
    domain::KeyLimits limits;
    if (o.key_actions) {
      limits.actions = SplitCommaList(*o.key_actions);
    }
    limits.read_only = o.key_read_only;
    hub::NewApiKey created = OrFail(projects.CreateApiKey(o.project, o.label, limits));
    boost::json::object out{
        {"project_id", o.project}, {"api_key_id", created.stored.id}, {"api_key", created.key}};
    AddLimitsJson(out, created.stored.limits);
    PrintJson(out);
  } else if (c.key_list->parsed()) {
    boost::json::array out;
    for (const auto& k : OrFail(projects.ListApiKeys(o.project))) {
      out.push_back(boost::json::object{{"id", k.id},
                                        {"prefix", k.prefix},
                                        {"label", k.label},
                                        {"created_at", FormatRfc3339(k.created_at)},
                                        {"revoked_at", TimeOrNull(k.revoked_at)}});
      AddLimitsJson(out.back().as_object(), k.limits);
    }
    PrintJson(out);
  } else if (c.key_revoke->parsed()) {
    OrFail(projects.RevokeApiKey(o.project, o.id));
    PrintJson(boost::json::object{{"revoked", o.id}});
  } else if (c.keys_rotate->parsed()) {
    hub::RotationReport report = OrFail(d.keys->Rotate());
    PrintJson(boost::json::object{{"active_key_id", report.active_key_id},
                                  {"resealed", report.resealed}});
  } else if (c.keys_list->parsed()) {
    boost::json::array out;
    for (const auto& k : OrFail(d.keys->List())) {
      out.push_back(boost::json::object{{"key_id", k.key_id},
                                        {"active", k.active},
                                        {"created_at", FormatRfc3339(k.created_at)},
                                        {"retired_at", TimeOrNull(k.retired_at)}});
    }
    PrintJson(out);
  } else if (c.keys_retire->parsed()) {
    OrFail(d.keys->Retire(o.id));
    PrintJson(boost::json::object{{"retired", o.id}});
  } else if (c.items_orphans->parsed() || c.items_remove_orphan->parsed() ||
             c.items_update_webhooks->parsed()) {
    RunItems(o, c, d, clock);
  }
  return 0;
}

}  // namespace linkhub::app
