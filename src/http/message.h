#pragma once

// HTTP request and response values shared by the server, the router and handlers. Free of Beast
// so that the many files that handle requests compile quickly.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace linkhub::http {

// An ordered list of header fields with case-insensitive look-up.
class Headers {
 public:
  // The first value of `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Replaces every field called `name` with one field.
  void Set(std::string name, std::string value);
  void Add(std::string name, std::string value);
  void Remove(std::string_view name);
  void Reserve(size_t n) { fields_.reserve(n); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Whether a header field may be written as is: a token name and a value without CR, LF or NUL,
// so that a value that came from elsewhere can never split a message.
bool IsWritableField(std::string_view name, std::string_view value);
// Content-Length, Transfer-Encoding and Connection: fields that frame a message, which the
// server and the client write themselves.
bool IsFramingField(std::string_view name);
// Appends "name: value\r\n". REQUIRES: IsWritableField(name, value).
void AppendField(std::string& out, std::string_view name, std::string_view value);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path plus query
  std::string path;    // decoded path, no query
  std::string query;   // raw query string, without '?'
  Headers headers;
  std::string body;
  std::string remote_address;
  std::string request_id;  // from a valid X-Request-Id header, or generated
  std::map<std::string, std::string, std::less<>> path_params;  // filled by the router
  // Set by the server on a Lane::kUpstream route admitted under a key (ServerOptions); "" else.
  std::string upstream_key;

  // The first value of query parameter `name`, percent-decoded; nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // Every (name, value) of the query, percent-decoded, in order.
  std::vector<std::pair<std::string, std::string>> QueryParams() const;
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Test hooks used by fault injection: wait before answering, or close the connection without
  // answering at all.
  std::chrono::milliseconds delay{0};
  bool drop_connection = false;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
};

}  // namespace linkhub::http
