#include "plaid/http_plaid_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <cctype>

#include "core/json.h"
#include "core/metric_families.h"

namespace linkhub::plaid {

bool IsSafeToRepeat(std::string_view endpoint) {
  static constexpr std::array<std::string_view, 14> kReads = {"/accounts/get",
                                                              "/accounts/balance/get",
                                                              "/auth/get",
                                                              "/identity/get",
                                                              "/institutions/get_by_id",
                                                              "/institutions/search",
                                                              "/investments/holdings/get",
                                                              "/investments/transactions/get",
                                                              "/item/get",
                                                              "/liabilities/get",
                                                              "/transactions/get",
                                                              "/transactions/sync",
                                                              "/link/token/get",
                                                              "/webhook_verification_key/get"};
  return std::find(kReads.begin(), kReads.end(), endpoint) != kReads.end();
}

Result<std::string> BaseUrlForEnvironment(std::string_view env) {
  if (env == "sandbox") {
    return std::string("https://sandbox.plaid.com");
  }
  if (env == "production") {
    return std::string("https://production.plaid.com");
  }
  return Unexpected(
      MakeError(ErrorCode::kInvalidArgument,
                "Plaid environment must be sandbox or production, got '" + std::string(env) + "'"));
}

std::string RedactTokens(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t dash = std::string_view::npos;
    for (std::string_view prefix : {"access-", "public-", "link-"}) {
      if (text.substr(i).starts_with(prefix)) {
        dash = i + prefix.size();
        break;
      }
    }
    // "<kind>-<environment>-<id>": keep "<kind>-<environment>-", drop the id.
    size_t env_end = dash == std::string_view::npos ? dash : text.find('-', dash);
    bool token = env_end != std::string_view::npos && env_end > dash && env_end - dash <= 12;
    for (size_t k = dash; token && k < env_end; ++k) {
      token = std::islower(static_cast<unsigned char>(text[k])) != 0;
    }
    if (!token) {
      out.push_back(text[i++]);
      continue;
    }
    out.append(text.substr(i, env_end + 1 - i));
    out.append("[redacted]");
    i = env_end + 1;
    while (i < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '-')) {
      ++i;
    }
  }
  return out;
}

Error ErrorForPlaid(int http_status, const boost::json::object& body) {
  ProviderError p;
  p.http_status = http_status;
  p.error_type = std::string(GetString(body, "error_type").value_or(""));
  p.error_code = std::string(GetString(body, "error_code").value_or(""));
  // Plaid's messages may name the tokens of the request ("... for the following access tokens:
  // access-sandbox-…"); they go to logs, API errors and browsers, so the tokens go first.
  p.error_message = RedactTokens(GetString(body, "error_message").value_or(""));
  p.request_id = std::string(GetString(body, "request_id").value_or(""));
  ErrorCode code = ErrorCode::kUpstream;
  const std::string& t = p.error_type;
  if (p.error_code == "INVALID_API_KEYS" || p.error_code == "UNAUTHORIZED_ENVIRONMENT") {
    code = ErrorCode::kInternal;
  } else if (t == "INVALID_REQUEST" || t == "INVALID_INPUT") {
    code = ErrorCode::kInvalidArgument;
  } else if (t == "ITEM_ERROR" || t == "TRANSACTIONS_ERROR" || t == "OAUTH_ERROR") {
    code = ErrorCode::kFailedPrecondition;
  } else if (t == "RATE_LIMIT_EXCEEDED" || http_status == 429) {
    code = ErrorCode::kResourceExhausted;
  } else if (t == "INSTITUTION_ERROR" || p.error_code == "PLANNED_MAINTENANCE") {
    code = ErrorCode::kUnavailable;
  }
  std::string message = "Plaid answered " + std::to_string(http_status);
  if (!p.error_code.empty()) {
    message += " " + p.error_type + "/" + p.error_code;
  }
  if (!p.error_message.empty()) {
    message += ": " + p.error_message;
  }
  if (code == ErrorCode::kInternal) {
    message = "Plaid refused linkhub's own credentials (" + message +
              "): the operator must check --plaid-client-id, --plaid-secret and --plaid-env";
  }
  return Error{code, std::move(message), std::move(p), {}};
}

Attempt AttemptOfError(const Error& error, std::chrono::microseconds latency) {
  Attempt a;
  a.latency = latency;
  if (const auto& p = error.provider) {
    a.http_status = p->http_status;
    a.error_code = p->error_code;
    a.request_id = p->request_id;
  }
  return a;
}

Result<boost::json::object> PlaidClient::Call(std::string_view endpoint,
                                              const boost::json::object& body) {
  RawAnswer answer = Send(endpoint, ToJson(body), nullptr, nullptr);
  if (!answer.body) {
    return Unexpected(std::move(answer.body).error());
  }
  auto parsed = ParseJson(*answer.body);
  if (!parsed || !parsed->is_object()) {
    // Send() checked the text is one object; only a depth beyond ParseJson's bound lands here.
    return Unexpected(MakeError(
        ErrorCode::kUpstream, "Plaid " + std::string(endpoint) + " answered an unreadable object"));
  }
  return std::move(parsed->get_object());
}

HttpPlaidClient::HttpPlaidClient(http::HttpClient& http, Clock& clock, PlaidConfig config)
    : http_(http), clock_(clock), config_(std::move(config)) {}

namespace {

http::ClientRequest PlaidRequest(const PlaidConfig& config, std::string_view endpoint,
                                 std::string body) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = config.base_url + std::string(endpoint);
  req.body = std::move(body);
  req.timeout = config.timeout;
  // A call that is not safe to repeat goes on a connection of its own, which no transport sends
  // again: a re-send after a pooled connection died unanswered would bill a refresh twice, or
  // make a single-use public token's second exchange hide the Item the first one created.
  req.fresh_connection = !IsSafeToRepeat(endpoint);
  req.headers.Reserve(4);
  req.headers.Add("Content-Type", "application/json");
  req.headers.Add("PLAID-CLIENT-ID", config.client_id);
  req.headers.Add("PLAID-SECRET", config.secret);
  req.headers.Add("Plaid-Version", "2020-09-14");
  return req;
}

struct AnswerFacts {
  std::string_view request_id;
  std::string_view item_id;
  std::string_view error_code;
};

// Plaid's error codes are upper-case words ("ITEM_LOGIN_REQUIRED"); anything else an answer holds
// is counted as "other", so that no answer can make a series of its own.
std::string_view ErrorCodeLabel(std::string_view code) {
  if (code.empty()) {
    return "none";
  }
  bool word = code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
                return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
              });
  return word ? code : "other";
}

// The call's line in the log and its count in the metrics. `endpoint` is one linkhub calls (the
// proxy takes only allow-listed ones), so it is a bounded label.
void LogCall(std::string_view endpoint, int status, const AnswerFacts& f, double ms) {
  const auto& families = metrics::Linkhub();
  families.plaid_requests.With({endpoint, std::to_string(status), ErrorCodeLabel(f.error_code)})
      .Add();
  families.plaid_duration.With({endpoint}).Observe(ms / 1000);
  spdlog::info("plaid endpoint={} status={} error_code={} plaid_request_id={} item_id={} ms={:.0f}",
               endpoint, status, f.error_code.empty() ? "-" : f.error_code,
               f.request_id.empty() ? "-" : f.request_id, f.item_id.empty() ? "-" : f.item_id, ms);
}

// No answer from Plaid. The transport's own words (which name Plaid's address and differ between
// libcurl and Beast) go to the log only: the caller gets one sentence per kind of failure.
Error Unreachable(std::string_view endpoint, const Error& e, double ms) {
  spdlog::warn("plaid {} failed after {:.0f}ms: {}", endpoint, ms, e.message);
  const auto& families = metrics::Linkhub();
  families.plaid_requests
      .With({endpoint, "none", e.code == ErrorCode::kDeadlineExceeded ? "timeout" : "connection"})
      .Add();
  families.plaid_duration.With({endpoint}).Observe(ms / 1000);
  std::string what = "Plaid did not answer " + std::string(endpoint);
  // A write may have reached Plaid before the answer was lost: say so, since nothing re-sends it.
  std::string unknown =
      IsSafeToRepeat(endpoint) ? "" : ", so whether Plaid carried it out is unknown";
  switch (e.code) {
    case ErrorCode::kDeadlineExceeded:
      return MakeError(e.code, what + " in time" + unknown);
    case ErrorCode::kResourceExhausted:
      return MakeError(e.code, "Plaid's answer to " + std::string(endpoint) +
                                   " was larger than linkhub accepts");
    case ErrorCode::kInvalidArgument:
      return MakeError(ErrorCode::kInternal,
                       "linkhub could not send " + std::string(endpoint) +
                           " to Plaid: the operator must check the Plaid base URL");
    default:
      return MakeError(ErrorCode::kUnavailable, what + ": the connection failed" + unknown);
  }
}

// Whether what follows a JSON value is only whitespace: write_some stops at the end of the first
// value, so text after it would otherwise pass unseen.
bool OnlySpace(std::string_view rest) {
  return rest.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Checks that `text` is one JSON object and picks out what the log line needs, without building
// a DOM: a success is passed on as sent.
class ScanHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::string request_id;
  std::string item_id;
  bool top_is_object = false;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    if (depth_ == 0) {
      top_is_object = true;
    }
    in_item_ = depth_ == 1 && key_ == "item";
    ++depth_;
    key_.clear();
    return depth_ <= 64;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    --depth_;
    if (depth_ <= 1) {
      in_item_ = false;
    }
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    ++depth_;
    return depth_ <= 64;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    --depth_;
    return true;
  }
  // Only keys of the top-level object and of "item" matter; the rest (most of an answer) are
  // not copied.
  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
    if (depth_ <= 2) {
      StartKey();
      key_.append(s);
    }
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code&) {
    if (depth_ <= 2) {
      StartKey();
      key_.append(s);
      key_complete_ = true;
    }
    return true;
  }
  bool on_string_part(std::string_view s, std::size_t, boost::system::error_code&) {
    if (Wanted()) {
      value_.append(s);
    }
    return true;
  }
  bool on_string(std::string_view s, std::size_t, boost::system::error_code&) {
    if (Wanted()) {
      value_.append(s);
      if (depth_ == 1 && key_ == "request_id") {
        request_id = std::move(value_);
      } else if (item_id.empty()) {
        item_id = std::move(value_);
      }
      value_.clear();
    }
    key_.clear();
    return true;
  }
  bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, std::string_view, boost::system::error_code&) { return Scalar(); }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code&) { return Scalar(); }
  bool on_double(double, std::string_view, boost::system::error_code&) { return Scalar(); }
  bool on_bool(bool, boost::system::error_code&) { return Scalar(); }
  bool on_null(boost::system::error_code&) { return Scalar(); }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  bool Wanted() const {
    return (depth_ == 1 && (key_ == "request_id" || key_ == "item_id")) ||
           (depth_ == 2 && in_item_ && key_ == "item_id");
  }
  bool Scalar() {
    key_.clear();
    return true;
  }
  // A key's parts arrive in pieces; the first piece of the next key replaces the last one.
  void StartKey() {
    if (key_complete_) {
      key_.clear();
      key_complete_ = false;
    }
  }
  int depth_ = 0;
  bool in_item_ = false;
  bool key_complete_ = false;
  std::string key_;
  std::string value_;
};

// Counts the elements of one top-level array and reads one top-level integer, as ScanPage says.
class PageScanHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  PageScanHandler(std::string_view items_key, std::string_view total_key)
      : items_key_(items_key), total_key_(total_key) {}

  PageFacts facts;
  bool top_is_object = false;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) { return Open(true); }
  bool on_object_end(std::size_t, boost::system::error_code&) { return Close(); }
  bool on_array_begin(boost::system::error_code&) {
    bool items = depth_ == 1 && key_ == items_key_;
    if (!Open(false)) {
      return false;
    }
    in_items_ = in_items_ || items;
    items_depth_ = items ? depth_ : items_depth_;
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    if (in_items_ && depth_ == items_depth_) {
      in_items_ = false;
    }
    return Close();
  }
  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
    if (depth_ == 1) {
      StartKey();
      key_.append(s);
    }
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code&) {
    if (depth_ == 1) {
      StartKey();
      key_.append(s);
      key_complete_ = true;
    }
    return true;
  }
  bool on_string_part(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, boost::system::error_code&) { return Value(); }
  bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t v, std::string_view, boost::system::error_code&) {
    if (depth_ == 1 && key_ == total_key_) {
      facts.total = v;
    }
    return Value();
  }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code&) { return Value(); }
  bool on_double(double, std::string_view, boost::system::error_code&) { return Value(); }
  bool on_bool(bool, boost::system::error_code&) { return Value(); }
  bool on_null(boost::system::error_code&) { return Value(); }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  bool Open(bool object) {
    if (depth_ == 0) {
      top_is_object = object;
    }
    CountElement();
    ++depth_;
    key_.clear();
    return depth_ <= 64;
  }
  bool Close() {
    --depth_;
    key_.clear();
    return true;
  }
  bool Value() {
    CountElement();
    key_.clear();
    return true;
  }
  // An element that starts directly inside the items array.
  void CountElement() {
    if (in_items_ && depth_ == items_depth_) {
      ++facts.items;
    }
  }
  void StartKey() {
    if (key_complete_) {
      key_.clear();
      key_complete_ = false;
    }
  }
  std::string_view items_key_;
  std::string_view total_key_;
  int depth_ = 0;
  bool in_items_ = false;
  int items_depth_ = 0;
  bool key_complete_ = false;
  std::string key_;
};

}  // namespace

RawAnswer InterpretAnswer(std::string_view endpoint, Result<http::ClientResponse> res,
                          std::chrono::microseconds latency) {
  double ms = static_cast<double>(latency.count()) / 1000.0;
  RawAnswer answer;
  if (!res) {
    answer.body = Unexpected(Unreachable(endpoint, res.error(), ms));
    answer.attempt.latency = latency;
    return answer;
  }
  if (res->status >= 200 && res->status < 300) {
    // The common case: scan, do not parse; the bytes are passed on as Plaid sent them.
    boost::json::basic_parser<ScanHandler> scan(boost::json::parse_options{});
    boost::system::error_code ec;
    size_t used = scan.write_some(false, res->body.data(), res->body.size(), ec);
    if (!ec && scan.handler().top_is_object &&
        OnlySpace(std::string_view(res->body).substr(used))) {
      const ScanHandler& h = scan.handler();
      LogCall(endpoint, res->status, {h.request_id, h.item_id, ""}, ms);
      answer.attempt = Attempt{res->status, "", h.request_id, latency};
      answer.body = std::move(res->body);
      return answer;
    }
  }
  // Failures (rarer) are parsed for Plaid's error.
  auto parsed = ParseJson(res->body);
  const boost::json::object* obj = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
  AnswerFacts facts;
  if (obj != nullptr) {
    facts.request_id = GetString(*obj, "request_id").value_or("");
    facts.error_code = GetString(*obj, "error_code").value_or("");
  }
  LogCall(endpoint, res->status, facts, ms);
  Error e = obj == nullptr ? MakeError(ErrorCode::kUpstream,
                                       "Plaid " + std::string(endpoint) + " answered " +
                                           std::to_string(res->status) + " without a JSON object")
                           : ErrorForPlaid(res->status, *obj);
  answer.attempt = AttemptOfError(e, latency);
  if (obj == nullptr) {
    answer.attempt.http_status = res->status;
  }
  answer.body = Unexpected(std::move(e));
  return answer;
}

std::optional<PageFacts> ScanPage(std::string_view json, std::string_view items_key,
                                  std::string_view total_key) {
  boost::json::basic_parser<PageScanHandler> scan(boost::json::parse_options{}, items_key,
                                                  total_key);
  boost::system::error_code ec;
  size_t used = scan.write_some(false, json.data(), json.size(), ec);
  if (ec || !scan.handler().top_is_object || !OnlySpace(json.substr(used))) {
    return std::nullopt;
  }
  return scan.handler().facts;
}

RawAnswer HttpPlaidClient::Send(std::string_view endpoint, std::string body_json,
                                const AttemptObserver& observer, const RetryGate& /*may_retry*/) {
  auto started = clock_.MonotonicNow();
  auto res = http_.Send(PlaidRequest(config_, endpoint, std::move(body_json)));
  auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.MonotonicNow() - started);
  RawAnswer answer = InterpretAnswer(endpoint, std::move(res), latency);
  if (observer) {
    observer(answer.attempt);
  }
  return answer;
}

AsyncPlaidClient::AsyncPlaidClient(http::AsyncHttpClient& http, Clock& clock, PlaidConfig config)
    : http_(http), clock_(clock), config_(std::move(config)) {}

void AsyncPlaidClient::Send(std::string_view endpoint, std::string body_json, RawDone done) {
  auto started = clock_.MonotonicNow();
  http_.SendAsync(PlaidRequest(config_, endpoint, std::move(body_json)),
                  [this, endpoint = std::string(endpoint), started,
                   done = std::move(done)](Result<http::ClientResponse> res) {
                    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
                        clock_.MonotonicNow() - started);
                    done(InterpretAnswer(endpoint, std::move(res), latency));
                  });
}

}  // namespace linkhub::plaid
