#pragma once

// Internal to the http module (it includes Beast): how the server turns the bytes of one request
// into a Request, apart from the socket and its timers, so that the same code runs under the
// server's asynchronous reads and under a test's (or a fuzzer's) synchronous ones.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "http/message.h"

namespace linkhub::http::internal {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Reads one request, in the server's order:
//   1. read_header(stream, buffer, parser()), then OnHeader(ec, buffer);
//   2. on kReadBody, read(stream, buffer, parser()), then OnBody(ec);
//   3. unless kGone, TakeRequest().
// A request is refused (refusal_status() != 0) for a malformed or over-limit header, framing
// that cannot be trusted (RFC 9112 §6.3) or a body over the limit; after a refusal the rest of
// the stream cannot be trusted either. One reader per request; not thread-safe.
class RequestReader {
 public:
  enum class Step {
    kGone,      // the peer went away or idled out: nothing to answer
    kReadBody,  // the header is sound and the body is not all buffered yet
    kDone,      // the request is read, or refused
  };

  RequestReader(size_t max_header_bytes, size_t max_body_bytes);

  RequestParser& parser() { return parser_; }
  // After the header read that ended with `ec`. May parse what `buffer` already holds of the
  // body (consuming it) and may reserve room in `buffer` for the rest.
  Step OnHeader(const boost::system::error_code& ec, boost::beast::flat_buffer& buffer);
  // After the body read that ended with `ec`. REQUIRES: OnHeader() returned kReadBody.
  Step OnBody(const boost::system::error_code& ec);

  // 0, or the status (400, 413, 431) to refuse the request with, and why (safe to send).
  int refusal_status() const { return refusal_status_; }
  const std::string& refusal_message() const { return refusal_message_; }

  // The request as read: method, target, percent-decoded path, raw query, header fields in
  // order, and the body (empty when refused). A refused request has its header fields when
  // they were read, for the log line. Sets `keep_alive` from the message (false without a
  // header). Leaves remote_address, request_id and path_params to the caller. Call once.
  Request TakeRequest(bool& keep_alive);

 private:
  Step Refuse(int status, std::string message);

  RequestParser parser_;
  size_t max_body_bytes_;
  int refusal_status_ = 0;
  std::string refusal_message_;
};

// Whether `id` may be taken as a request id from an X-Request-Id header: 1 to 64 letters,
// digits, '-' and '_' (it is echoed in a header and in log lines).
bool ValidRequestId(std::string_view id);

// The path part of a request target with %XX escapes decoded (other bytes, and malformed
// escapes, kept as they are).
std::string PercentDecodePath(std::string_view in);

}  // namespace linkhub::http::internal
