// Test controls under /emulator/*, outside Plaid's namespace: the clock, fault injection, a view
// of Items and webhooks, key rotation and a reset. They take no credentials: the emulator is a
// test tool and listens on loopback by default.
#include "core/json.h"
#include "emulator/emulator.h"

namespace linkhub::emulator {

namespace {

constexpr char kFaultsControl[] =
    "POST /emulator/faults {endpoint, count, error_code?, error_type?, http_status?, "
    "error_message?, delay_ms?, drop_connection?, item_id?}";

constexpr char kFireWebhookControl[] =
    "POST /emulator/items/{item_id}/fire_webhook {webhook_code, webhook_type?, "
    "consent_expiration_time?, error_code?}";

http::Response JsonOk(const boost::json::object& o) {
  return http::Response::Json(200, linkhub::ToJson(o));
}

http::Response BadControl(const http::Request& req, std::string message) {
  return ToResponse(PlaidErrorFor("INVALID_FIELD", std::move(message)), req.request_id);
}

http::Response NoItem(const http::Request& req) {
  PlaidError e = PlaidErrorFor(
      "INVALID_FIELD", "no live Item " + std::string(req.PathParam("item_id")).substr(0, 64));
  e.status = 404;
  return ToResponse(e, req.request_id);
}

std::optional<boost::json::object> BodyObject(const http::Request& req) {
  if (req.body.empty()) {
    return boost::json::object();
  }
  auto v = ParseJson(req.body);
  if (!v || !v->is_object()) {
    return std::nullopt;
  }
  return v->get_object();
}

}  // namespace

void Emulator::RegisterControlRoutes(http::Router& router) {
  router.Add("GET", "/emulator", [](http::Request&) {
    return JsonOk(boost::json::object{
        {"name", "plaid-emulator"},
        {"controls",
         boost::json::array{
             "GET /emulator/clock", "POST /emulator/clock/advance {seconds}",
             "GET /emulator/requests", "GET /emulator/faults", kFaultsControl,
             "DELETE /emulator/faults", "GET /emulator/items", "GET /emulator/webhooks",
             "DELETE /emulator/webhooks", "POST /emulator/webhook_key/rotate",
             "POST /emulator/rate_limits {enabled?, item_per_minute?, client_per_minute?}",
             "POST /emulator/items/{item_id}/reset_login", kFireWebhookControl,
             "POST /emulator/reset"}}});
  });

  router.Add("GET", "/emulator/clock", [this](http::Request&) {
    Tick();
    return JsonOk(boost::json::object{
        {"now", FormatRfc3339Millis(clock_.Now())},
        {"offset_seconds",
         std::chrono::duration_cast<std::chrono::seconds>(clock_.offset()).count()}});
  });

  router.Add("POST", "/emulator/clock/advance", [this](http::Request& req) {
    auto body = BodyObject(req);
    if (!body) {
      return BadControl(req, "body must be a JSON object");
    }
    const auto* v = Find(*body, "seconds");
    if (v == nullptr || !v->is_number()) {
      return BadControl(req, "seconds must be a number");
    }
    double seconds = v->to_number<double>();
    if (!(seconds > 0) || seconds > 10.0 * 365 * 86400) {
      return BadControl(req, "seconds must be > 0 and at most ten years");
    }
    // Bounded in total too: far-future times overflow clocks and make every pull costlier.
    double total = static_cast<double>(
                       std::chrono::duration_cast<std::chrono::seconds>(clock_.offset()).count()) +
                   seconds;
    if (total > 20.0 * 365 * 86400) {
      return BadControl(req, "the clock may move at most twenty years ahead in total");
    }
    clock_.Advance(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(seconds)));
    Tick();  // webhooks that became due fire now, not at the next background tick
    return JsonOk(boost::json::object{{"now", FormatRfc3339Millis(clock_.Now())}});
  });

  router.Add("GET", "/emulator/requests", [this](http::Request&) {
    std::lock_guard lock(mu_);
    boost::json::object counts;
    for (const auto& [key, n] : requests_) {
      counts[key] = n;
    }
    return JsonOk(boost::json::object{{"requests", std::move(counts)}});
  });

  router.Add("GET", "/emulator/faults", [this](http::Request&) {
    std::lock_guard lock(mu_);
    boost::json::array out;
    for (const auto& f : faults_) {
      out.push_back(boost::json::object{
          {"fault_id", f.id},
          {"endpoint", f.endpoint},
          {"item_id",
           f.item_id.empty() ? boost::json::value(nullptr) : boost::json::value(f.item_id)},
          {"remaining", f.remaining},
          {"error_code", f.error ? boost::json::value(f.error->code) : boost::json::value(nullptr)},
          {"http_status",
           f.error ? boost::json::value(f.error->status) : boost::json::value(nullptr)},
          {"delay_ms", f.delay.count()},
          {"drop_connection", f.drop_connection}});
    }
    return JsonOk(boost::json::object{{"faults", std::move(out)}});
  });

  router.Add("POST", "/emulator/faults", [this](http::Request& req) {
    auto body = BodyObject(req);
    if (!body) {
      return BadControl(req, "body must be a JSON object");
    }
    Fault f;
    auto endpoint = GetString(*body, "endpoint");
    if (!endpoint || endpoint->empty() || (*endpoint != "*" && !endpoint->starts_with("/"))) {
      return BadControl(req, "endpoint must be a Plaid path such as /accounts/get, or *");
    }
    f.endpoint = std::string(*endpoint);
    f.item_id = std::string(GetString(*body, "item_id").value_or(""));
    auto count = GetInt(*body, "count").value_or(1);
    if (count < 1 || count > 1000000) {
      return BadControl(req, "count must be between 1 and 1000000");
    }
    f.remaining = static_cast<int>(count);
    auto delay = GetInt(*body, "delay_ms").value_or(0);
    if (delay < 0 || delay > 120000) {
      return BadControl(req, "delay_ms must be between 0 and 120000");
    }
    f.delay = std::chrono::milliseconds(delay);
    f.drop_connection = GetBool(*body, "drop_connection").value_or(false);
    auto code = GetString(*body, "error_code");
    auto status = GetInt(*body, "http_status");
    if (status && (*status < 400 || *status > 599)) {
      return BadControl(req, "http_status must be 4xx or 5xx");
    }
    if (code) {
      f.error = PlaidErrorFor(*code);
      if (f.error->type == "RATE_LIMIT_EXCEEDED" || code->ends_with("_LIMIT")) {
        f.error = RateLimitErrorFor(f.endpoint);
        f.error->code = std::string(*code);
      }
    } else if (status) {
      f.error = PlaidErrorFor(*status == 429   ? "RATE_LIMIT"
                              : *status >= 500 ? "INTERNAL_SERVER_ERROR"
                                               : "INVALID_FIELD");
    }
    if (f.error) {
      if (auto type = GetString(*body, "error_type")) {
        f.error->type = std::string(*type);
      }
      if (status) {
        f.error->status = static_cast<int>(*status);
      }
      if (auto msg = GetString(*body, "error_message")) {
        f.error->message = std::string(*msg);
      }
    }
    if (!f.error && f.delay.count() == 0 && !f.drop_connection) {
      return BadControl(req, "a fault needs error_code, http_status, delay_ms or drop_connection");
    }
    std::lock_guard lock(mu_);
    f.id = next_fault_id_++;
    faults_.push_back(f);
    return JsonOk(boost::json::object{{"fault_id", f.id}});
  });

  router.Add("DELETE", "/emulator/faults", [this](http::Request&) {
    std::lock_guard lock(mu_);
    faults_.clear();
    return JsonOk(boost::json::object{{"cleared", true}});
  });

  router.Add("GET", "/emulator/items", [this](http::Request&) {
    Tick();
    std::lock_guard lock(mu_);
    boost::json::array out;
    for (const auto& [id, item] : items_) {
      boost::json::array accounts;
      for (const auto& a : item.accounts) {
        accounts.push_back(boost::json::object{
            {"account_id", a.account_id},
            {"name", a.tmpl->base.at("name")},
            {"mask", a.tmpl->base.contains("mask") ? a.tmpl->base.at("mask") : nullptr}});
      }
      out.push_back(boost::json::object{
          {"item_id", item.item_id},
          {"client_id", item.client_id},
          {"institution_id", item.institution->id},
          {"products", ToJsonArray(item.billed)},
          {"billed_products", ToJsonArray(item.billed)},
          {"consented_products", ToJsonArray(item.consented)},
          {"webhook",
           item.webhook ? boost::json::value(*item.webhook) : boost::json::value(nullptr)},
          {"error", item.error ? boost::json::value(ToWebhookJson(*item.error))
                               : boost::json::value(nullptr)},
          {"removed", item.removed},
          {"exchanged", item.exchanged},
          {"created_at", FormatRfc3339(item.created_at)},
          {"transactions_extractions",
           item.has_transactions ? static_cast<int64_t>(Extractions(item.tx, Now()).size()) : 0},
          {"accounts", std::move(accounts)}});
    }
    return JsonOk(boost::json::object{{"items", std::move(out)}});
  });

  router.Add("GET", "/emulator/webhooks", [this](http::Request&) {
    Tick();
    boost::json::array out;
    for (const auto& r : webhooks_.Records()) {
      boost::json::array attempts;
      for (const auto& a : r.attempts) {
        attempts.push_back(
            boost::json::object{{"at", FormatRfc3339Millis(a.at)},
                                {"status", a.status},
                                {"error", a.error.empty() ? boost::json::value(nullptr)
                                                          : boost::json::value(a.error)}});
      }
      out.push_back(boost::json::object{{"id", r.id},
                                        {"url", r.url},
                                        {"item_id", r.item_id},
                                        {"webhook_type", r.webhook_type},
                                        {"webhook_code", r.webhook_code},
                                        {"body", r.body},
                                        {"fired_at", FormatRfc3339Millis(r.fired_at)},
                                        {"delivered", r.delivered},
                                        {"gave_up", r.gave_up},
                                        {"attempts", std::move(attempts)}});
    }
    return JsonOk(boost::json::object{{"webhooks", std::move(out)}});
  });

  router.Add("DELETE", "/emulator/webhooks", [this](http::Request&) {
    webhooks_.Clear();
    return JsonOk(boost::json::object{{"cleared", true}});
  });

  router.Add("POST", "/emulator/webhook_key/rotate", [this](http::Request& req) {
    if (auto s = signer_.Rotate(); !s) {
      return ToResponse(PlaidErrorFor("INTERNAL_SERVER_ERROR", s.error().message), req.request_id);
    }
    return JsonOk(boost::json::object{{"kid", signer_.current_kid()}});
  });

  router.Add("POST", "/emulator/rate_limits", [this](http::Request& req) {
    auto body = BodyObject(req);
    if (!body) {
      return BadControl(req, "body must be a JSON object");
    }
    std::lock_guard lock(mu_);
    if (auto enabled = GetBool(*body, "enabled")) {
      config_.rate_limits = *enabled;
    }
    auto clamp = [](int64_t n) {
      return static_cast<int>(std::clamp<int64_t>(n, 0, 1'000'000'000));
    };
    if (auto n = GetInt(*body, "item_per_minute")) {
      config_.item_rate_limit = clamp(*n);
    }
    if (auto n = GetInt(*body, "client_per_minute")) {
      config_.client_rate_limit = clamp(*n);
    }
    rate_windows_.clear();
    return JsonOk(boost::json::object{{"enabled", config_.rate_limits},
                                      {"item_per_minute", config_.item_rate_limit},
                                      {"client_per_minute", config_.client_rate_limit}});
  });

  // The sandbox's reset_login and fire_webhook for an Item named by id: a hub under test holds the
  // access tokens, so a test knows only the item_id it shows.
  router.Add("POST", "/emulator/items/{item_id}/reset_login", [this](http::Request& req) {
    Tick();
    std::lock_guard lock(mu_);
    auto it = items_.find(req.PathParam("item_id"));
    if (it == items_.end() || it->second.removed) {
      return NoItem(req);
    }
    Outcome outcome = ResetLoginLocked(it->second);
    return Answer(outcome, req.request_id);
  });
  router.Add("POST", "/emulator/items/{item_id}/fire_webhook", [this](http::Request& req) {
    auto body = BodyObject(req);
    if (!body) {
      return BadControl(req, "body must be a JSON object");
    }
    auto code = GetString(*body, "webhook_code");
    if (!code || code->empty()) {
      return BadControl(req, "webhook_code is required");
    }
    if (const auto* v = Find(*body, "consent_expiration_time")) {
      if (!v->is_string() || !ParseRfc3339(v->get_string())) {
        return BadControl(req, "consent_expiration_time must be an RFC 3339 time");
      }
    }
    if (const auto* v = Find(*body, "error_code")) {
      if (!v->is_string() || !IsKnownPlaidErrorCode(v->get_string())) {
        return BadControl(req, "error_code must be a Plaid error code");
      }
    }
    Tick();
    std::lock_guard lock(mu_);
    auto it = items_.find(req.PathParam("item_id"));
    if (it == items_.end() || it->second.removed) {
      return NoItem(req);
    }
    Outcome outcome = FireItemWebhookLocked(
        it->second, std::string(GetString(*body, "webhook_type").value_or("")), std::string(*code),
        *body);
    return Answer(outcome, req.request_id);
  });

  router.Add("POST", "/emulator/reset", [this](http::Request&) {
    {
      std::lock_guard lock(mu_);
      items_.clear();
      access_tokens_.clear();
      public_tokens_.clear();
      link_tokens_.clear();
      link_sessions_.clear();
      oauth_states_.clear();
      rate_windows_.clear();
      faults_.clear();
      requests_.clear();
    }
    webhooks_.Clear();
    return JsonOk(boost::json::object{{"reset", true}});
  });
}

}  // namespace linkhub::emulator
