#pragma once

// A blocking HTTP client that answers from a script, for tests of code that sends through
// http::HttpClient (the Plaid client's blocking transport).

#include "fakes/http_script.h"
#include "http/http_client.h"

namespace linkhub::fakes {

// Answers each request with the next scripted answer (see HttpScript). Thread-safe.
class ScriptedHttpClient final : public http::HttpClient, public HttpScript {
 public:
  Result<http::ClientResponse> Send(const http::ClientRequest& request) override {
    return Next(request);
  }
};

}  // namespace linkhub::fakes
