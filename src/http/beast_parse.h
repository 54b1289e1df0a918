#pragma once

// Internal to the http module (it includes Beast).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

namespace linkhub::http::internal {

// After async_read_header: hands the parser what is already buffered. Returns true when that
// completed the message, so no further read is needed; `ec` is set on a parse error (including
// the body limit). Most requests and answers arrive in one read, and Beast's async_read on a
// message that is already complete still goes through a composed operation and a post.
template <bool isRequest, class Body, class Allocator>
bool ParseBuffered(boost::beast::flat_buffer& buffer,
                   boost::beast::http::parser<isRequest, Body, Allocator>& parser,
                   boost::system::error_code& ec) {
  while (!parser.is_done() && buffer.size() > 0) {
    size_t n = parser.put(buffer.data(), ec);
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      break;
    }
    if (ec) {
      return false;
    }
    buffer.consume(n);
    if (n == 0) {
      break;
    }
  }
  return parser.is_done();
}

}  // namespace linkhub::http::internal
