#pragma once

// An asynchronous HTTP client that answers from a script, for tests of code that sends through
// http::AsyncHttpClient (the action pipeline's asynchronous transport).

#include "fakes/http_script.h"
#include "http/async_http_client.h"

namespace linkhub::fakes {

// Answers each request at once, inside SendAsync, with the next scripted answer (see
// HttpScript). Thread-safe.
class ScriptedAsyncHttp final : public http::AsyncHttpClient, public HttpScript {
 public:
  void SendAsync(http::ClientRequest request, http::SendDone done) override {
    done(Next(std::move(request)));
  }
};

}  // namespace linkhub::fakes
