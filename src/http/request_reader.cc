#include "http/request_reader.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>
#include <cctype>
#include <iterator>
#include <vector>

#include "http/beast_parse.h"

namespace linkhub::http::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr size_t kMaxReadBufferBytes = 64 << 10;

// Why a request's framing cannot be trusted, or "" when it can. RFC 9112 §6.3: a request whose
// Transfer-Encoding does not end in chunked cannot be delimited, and one with both
// Transfer-Encoding and Content-Length is how a request is smuggled past a proxy that reads the
// other header. Only plain `chunked` is taken (no request body is sent compressed).
std::string FramingProblem(const bhttp::fields& fields) {
  std::vector<std::string_view> codings;
  bool has_te = false;
  bool has_length = false;
  for (const auto& f : fields) {
    if (f.name() == bhttp::field::content_length) {
      has_length = true;
    }
    if (f.name() != bhttp::field::transfer_encoding) {
      continue;
    }
    has_te = true;
    std::string_view rest = f.value();
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      codings.push_back(token);
    }
  }
  if (!has_te) {
    return "";
  }
  if (has_length) {
    return "a request may not carry both Transfer-Encoding and Content-Length";
  }
  if (codings.size() != 1 || !EqualsIgnoreCase(codings.front(), "chunked")) {
    return "Transfer-Encoding must be chunked, alone";
  }
  return "";
}

// Whether a failed body read is the peer's bad framing (answered 400) rather than the connection
// ending or timing out (no one left to answer).
bool IsBadFraming(const boost::system::error_code& ec) {
  return ec != beast::error::timeout && ec != asio::error::eof &&
         ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
         ec != asio::error::bad_descriptor && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

}  // namespace

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

std::string PercentDecodePath(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

RequestReader::RequestReader(size_t max_header_bytes, size_t max_body_bytes)
    : max_body_bytes_(max_body_bytes) {
  parser_.header_limit(static_cast<uint32_t>(max_header_bytes));
  parser_.body_limit(max_body_bytes);
}

RequestReader::Step RequestReader::Refuse(int status, std::string message) {
  refusal_status_ = status;
  refusal_message_ = std::move(message);
  return Step::kDone;
}

RequestReader::Step RequestReader::OnHeader(const boost::system::error_code& ec,
                                            beast::flat_buffer& buffer) {
  auto too_large = [this] {
    return Refuse(413, "request body larger than " + std::to_string(max_body_bytes_) + " bytes");
  };
  if (ec) {
    if (ec == bhttp::error::body_limit) {
      // Beast checks Content-Length against the body limit as soon as the header is parsed.
      return too_large();
    }
    if (ec == bhttp::error::header_limit) {
      return Refuse(431, "request header fields too large");
    }
    // Nothing of a request arrived: no one to answer. (Not "the buffer is empty": Beast consumes
    // what it parsed before an error, so a header broken in its last bytes leaves none.)
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor ||
        !parser_.got_some()) {
      return Step::kGone;
    }
    return Refuse(400, "malformed HTTP request");
  }
  if (std::string problem = FramingProblem(parser_.get()); !problem.empty()) {
    return Refuse(400, std::move(problem));
  }
  auto content_length = parser_.content_length();
  if (content_length && *content_length > max_body_bytes_) {
    return too_large();
  }
  if (content_length && *content_length > buffer.capacity() - buffer.size()) {
    buffer.reserve(std::min<size_t>(buffer.size() + *content_length, kMaxReadBufferBytes));
  }
  boost::system::error_code bec;
  if (ParseBuffered(buffer, parser_, bec)) {
    return Step::kDone;
  }
  if (!bec) {
    return Step::kReadBody;
  }
  return OnBody(bec);
}

RequestReader::Step RequestReader::OnBody(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return Refuse(413, "request body larger than " + std::to_string(max_body_bytes_) + " bytes");
  }
  if (ec && IsBadFraming(ec)) {
    return Refuse(400, "malformed HTTP request body");  // a malformed chunked body, say
  }
  if (ec) {
    // Timeouts too: tcp_stream has closed the socket, so there is no one to answer.
    return Step::kGone;
  }
  return Step::kDone;
}

Request RequestReader::TakeRequest(bool& keep_alive) {
  Request req;
  keep_alive = false;
  // A body that is too large is refused as soon as the header is parsed, before Beast calls
  // the header done; the header fields are there all the same, for the log line.
  if (parser_.is_header_done() || refusal_status_ == 413) {
    auto& msg = parser_.get();
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = PercentDecodePath(std::string_view(req.target).substr(0, q));
    req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    req.headers.Reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
      req.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    keep_alive = msg.keep_alive();
    if (refusal_status_ == 0) {
      req.body = std::move(msg.body());
    }
  }
  return req;
}

}  // namespace linkhub::http::internal
