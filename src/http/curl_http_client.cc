#include "http/curl_http_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <mutex>
#include <vector>

#include "http/address.h"

namespace linkhub::http {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Transfer {
  std::string body;
  Headers headers;
  size_t limit = 0;
  bool too_large = false;
  bool refused_address = false;  // public_addresses_only met a private address
};

// CURLOPT_OPENSOCKETFUNCTION for public_addresses_only: refuses to open a socket to an address
// that is not public. It sees the address curl is about to connect to, after DNS.
curl_socket_t OpenPublicSocket(void* user, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (!IsPublicAddress(&address->addr)) {
    t->refused_address = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  if (t->body.size() + bytes > t->limit) {
    t->too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  t->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    t->headers = Headers();  // a new response (e.g. after 100 Continue) starts over
    return bytes;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
      }
      while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) {
        s.remove_suffix(1);
      }
      return s;
    };
    t->headers.Add(std::string(trim(line.substr(0, colon))),
                   std::string(trim(line.substr(colon + 1))));
  }
  return bytes;
}

std::once_flag global_init;

}  // namespace

struct CurlHttpClient::Impl {
  CurlOptions options;
  std::mutex mu;
  std::vector<CurlPtr> idle;

  CurlPtr Take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CurlPtr c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    return CurlPtr(curl_easy_init());
  }
  void Give(CurlPtr c) {
    std::lock_guard lock(mu);
    if (idle.size() < options.max_idle_handles) {
      idle.push_back(std::move(c));
    }
  }
};

CurlHttpClient::CurlHttpClient(CurlOptions options) : impl_(std::make_unique<Impl>()) {
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->options = std::move(options);
}

CurlHttpClient::~CurlHttpClient() = default;

Result<ClientResponse> CurlHttpClient::Send(const ClientRequest& request) {
  if (!(request.url.starts_with("http://") || request.url.starts_with("https://"))) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "URL must be http or https"));
  }
  CurlPtr handle = impl_->Take();
  if (!handle) {
    return Unexpected(MakeError(ErrorCode::kInternal, "curl_easy_init failed"));
  }
  CURL* c = handle.get();
  curl_easy_reset(c);  // keeps the connection cache, drops the last request's options
  Transfer t;
  t.limit = impl_->options.max_response_bytes;

  SlistPtr headers;
  for (const auto& [k, v] : request.headers.fields()) {
    std::string line = k;
    line.append(": ").append(v);
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // Without this curl sends "Expect: 100-continue" for larger bodies and waits for it.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  if (!impl_->options.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, impl_->options.ca_file.c_str());
  }
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  if (request.fresh_connection) {
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
  }
  if (request.public_addresses_only) {
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OpenPublicSocket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &t);
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_USERAGENT, impl_->options.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.limit));
  if (request.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t total_us = 0;
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);

  if (rc != CURLE_OK) {
    ErrorCode code = ErrorCode::kUnavailable;
    if (t.refused_address) {
      return Unexpected(MakeError(ErrorCode::kPermissionDenied,
                                  "request to " + UrlForLog(request.url) +
                                      " refused: the host has a loopback, private or reserved "
                                      "address"));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      code = ErrorCode::kDeadlineExceeded;
    } else if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      code = ErrorCode::kResourceExhausted;
    } else if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
      code = ErrorCode::kInvalidArgument;
    }
    spdlog::debug("http client {} {} failed: {}", request.method, UrlForLog(request.url),
                  curl_easy_strerror(rc));
    // The handle may hold a broken connection: do not return it to the pool.
    return Unexpected(MakeError(code, std::string("request to ") + UrlForLog(request.url) +
                                          " failed: " + curl_easy_strerror(rc)));
  }
  impl_->Give(std::move(handle));
  ClientResponse out;
  out.status = static_cast<int>(status);
  out.headers = std::move(t.headers);
  out.body = std::move(t.body);
  out.elapsed = std::chrono::microseconds(total_us);
  return out;
}

}  // namespace linkhub::http
