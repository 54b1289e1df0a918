#pragma once

#include <memory>
#include <string>

#include "http/http_client.h"

namespace linkhub::http {

struct CurlOptions {
  // Extra CA bundle (PEM) to trust, e.g. a test CA; empty uses the system store.
  std::string ca_file;
  // Largest response body accepted.
  size_t max_response_bytes = 16 << 20;
  // Idle easy handles kept for connection reuse.
  size_t max_idle_handles = 16;
  std::string user_agent = "linkhub";
};

// HttpClient on libcurl (OpenSSL). TLS peer and host verification are always on. Connections are
// reused through a pool of easy handles. Proxies come from the usual environment variables
// (https_proxy, http_proxy, no_proxy), as libcurl reads them. Redirects are not followed.
// Thread-safe.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;
  Result<ClientResponse> Send(const ClientRequest& request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace linkhub::http
