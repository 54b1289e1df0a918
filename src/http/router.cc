#include "http/router.h"

namespace linkhub::http {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  if (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path.empty()) {
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

void Router::Add(std::string method, std::string_view pattern, Handler handler, Lane lane) {
  Add(std::move(method), pattern, std::move(handler), nullptr, lane);
}

void Router::Add(std::string method, std::string_view pattern, Handler handler, FastHandler fast,
                 Lane lane) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::string(pattern);
  for (auto s : SplitPath(pattern)) {
    r.segments.emplace_back(s);
  }
  r.handler = std::move(handler);
  r.fast = std::move(fast);
  r.lane = lane;
  routes_.push_back(std::move(r));
}

namespace {

bool IsParam(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

// Number of literal segments matched, or -1 for no match. More literals = more specific.
int MatchRoute(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path) {
  if (pattern.size() != path.size()) {
    return -1;
  }
  int literals = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParam(pattern[i])) {
      if (path[i].empty()) {
        return -1;
      }
    } else if (pattern[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

Router::Match Router::Find(Request& request) const {
  Match m;
  auto path = SplitPath(request.path);
  const Route* best = nullptr;
  int best_score = -1;
  for (const auto& r : routes_) {
    int score = MatchRoute(r.segments, path);
    if (score < 0) {
      continue;
    }
    // HEAD is answered as GET, without the body (the server leaves it out).
    bool same = r.method == request.method || (request.method == "HEAD" && r.method == "GET");
    if (!same) {
      m.path_matched = true;
      m.allowed_methods.push_back(r.method);
      if (r.method == "GET") {
        m.allowed_methods.push_back("HEAD");
      }
      continue;
    }
    if (score > best_score) {
      best = &r;
      best_score = score;
    }
  }
  if (best == nullptr) {
    return m;
  }
  request.path_params.clear();
  for (size_t i = 0; i < best->segments.size(); ++i) {
    if (IsParam(best->segments[i])) {
      request.path_params.emplace(best->segments[i].substr(1, best->segments[i].size() - 2),
                                  std::string(path[i]));
    }
  }
  m.handler = &best->handler;
  m.fast = best->fast ? &best->fast : nullptr;
  m.lane = best->lane;
  m.pattern = best->pattern;
  return m;
}

}  // namespace linkhub::http
