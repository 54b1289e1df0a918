#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace linkhub::http {

using Handler = std::function<Response(Request&)>;

// Answers a request; callable once, from any thread.
using Reply = std::function<void(Response)>;
// A route's non-blocking path, run on an I/O thread. It either takes the request — returns true
// and calls `reply` exactly once, now or later, from any thread — or declines it — returns false
// without calling `reply` — and the route's blocking Handler runs on the handler pool instead.
// It must never block: no database, no synchronous outbound call. It must not throw once it has
// started work that will reply (a throw counts as declining, and the blocking handler runs).
using FastHandler = std::function<bool(Request&, Reply)>;

// Which handler pool a route's blocking handler runs on. Routes that may wait on an upstream
// (Plaid) run apart from the rest, admitted per key (see ServerOptions), so that a slow
// upstream never holds the threads that answer everything else.
enum class Lane { kLocal, kUpstream };

// Maps (method, path) to a handler. Patterns are literal segments and `{name}` segments, which
// match one non-empty segment and land in Request::path_params; a literal segment wins over a
// parameter. A HEAD request is routed to the path's GET handler (the server sends no body).
// Not thread-safe while routes are added; safe for concurrent Find() afterwards.
//
// Example:
//   router.Add("GET", "/accounts/{id}", [](Request& r) { return Get(r.PathParam("id")); });
class Router {
 public:
  void Add(std::string method, std::string_view pattern, Handler handler, Lane lane = Lane::kLocal);
  // A route with a non-blocking path tried first (see FastHandler).
  void Add(std::string method, std::string_view pattern, Handler handler, FastHandler fast,
           Lane lane = Lane::kLocal);

  struct Match {
    const Handler* handler = nullptr;   // null when nothing matched
    const FastHandler* fast = nullptr;  // set when the route has a non-blocking path
    Lane lane = Lane::kLocal;
    std::string_view pattern;                  // the route's pattern; lives as long as the router
    bool path_matched = false;                 // true if the path matched another method
    std::vector<std::string> allowed_methods;  // for a 405's Allow header
  };
  // Finds the handler for `request` and fills its path_params.
  Match Find(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" for parameters
    Handler handler;
    FastHandler fast;
    Lane lane = Lane::kLocal;
  };
  std::vector<Route> routes_;
};

// Splits "/a/b/" into {"a", "b"}; empty segments other than a trailing one are kept as "".
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace linkhub::http
