// The server's request reading (http/request_reader.h) over the bytes of one connection: as many
// pipelined requests as the connection carries, read the way the server reads them (header, then
// what is buffered of the body, then the rest), through Beast's synchronous reads over a stream
// that hands the bytes out as a socket would.
//
// Each input is read three times: in one piece, in small segments (a few bytes per read, as TCP
// may deliver them), and in one piece under tiny limits (to reach the 413 and 431 refusals). The
// first two must read the same requests: how bytes are split into reads never changes what a
// request says. Input: the raw bytes a client sends.

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/system/system_error.hpp>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/message.h"
#include "http/request_reader.h"
#include "http/server.h"

namespace linkhub::http {
namespace {

namespace bhttp = boost::beast::http;
using internal::RequestReader;

// A connection carries at most this many requests here (the server has no such bound, but a
// fuzz input of pipelined requests gains nothing past a few).
constexpr int kMaxRequests = 16;
constexpr size_t kInitialReadBufferBytes = 2048;  // as the server reserves

// Hands out `data` at most `segment` bytes a read, then end of file, as a socket whose peer sent
// `data` and closed.
class SegmentedStream {
 public:
  SegmentedStream(std::string_view data, size_t segment) : data_(data), segment_(segment) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    if (data_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(data_.data(), std::min(segment_, data_.size())));
    data_.remove_prefix(n);
    return n;
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) {
      throw boost::system::system_error(ec);
    }
    return n;
  }

 private:
  std::string_view data_;
  size_t segment_;
};

// The accepted request's framing, checked again from its header fields: with Transfer-Encoding,
// Beast reads the body as chunked (so a proxy that goes by the same header delimits it alike) and
// there is no Content-Length beside it; with Content-Length alone, the body is exactly that long.
void CheckFraming(const Request& req, bool chunked) {
  bool has_te = false;
  std::optional<std::string_view> length;
  for (const auto& [name, value] : req.headers.fields()) {
    has_te = has_te || EqualsIgnoreCase(name, "Transfer-Encoding");
    if (EqualsIgnoreCase(name, "Content-Length")) {
      length = value;
    }
  }
  if (has_te) {
    LINKHUB_CHECK(chunked);
    LINKHUB_CHECK(!length);
    return;
  }
  LINKHUB_CHECK(!chunked);
  if (length) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    if (ec == std::errc() && end == length->data() + length->size()) {
      LINKHUB_CHECK(req.body.size() == n);
    }
  }
}

// One line per request read: what the server would act on.
std::string Describe(const RequestReader& reader, const Request& req, bool keep_alive) {
  std::string out = std::to_string(reader.refusal_status()) + " " + req.method + " " + req.target +
                    " keep_alive=" + (keep_alive ? "1" : "0") + "\n";
  for (const auto& [name, value] : req.headers.fields()) {
    out.append(name).append(": ").append(value).append("\n");
  }
  out += "body " + std::to_string(req.body.size()) + ": " + req.body + "\n";
  return out;
}

// Reads the connection as Server::Impl::Serve does, minus the answers; returns what it read.
std::string ReadConnection(std::string_view bytes, size_t segment, size_t max_header_bytes,
                           size_t max_body_bytes) {
  SegmentedStream stream(bytes, segment);
  boost::beast::flat_buffer buffer;
  buffer.reserve(kInitialReadBufferBytes);
  std::string log;
  for (int i = 0; i < kMaxRequests; ++i) {
    RequestReader reader(max_header_bytes, max_body_bytes);
    boost::system::error_code ec;
    bhttp::read_header(stream, buffer, reader.parser(), ec);
    auto step = reader.OnHeader(ec, buffer);
    if (step == RequestReader::Step::kGone) {
      break;
    }
    if (step == RequestReader::Step::kReadBody) {
      bhttp::read(stream, buffer, reader.parser(), ec);
      if (reader.OnBody(ec) == RequestReader::Step::kGone) {
        break;
      }
    }
    bool keep_alive = false;
    Request req = reader.TakeRequest(keep_alive);
    int status = reader.refusal_status();
    LINKHUB_CHECK(status == 0 || status == 400 || status == 413 || status == 431);
    LINKHUB_CHECK(status == 0 || !reader.refusal_message().empty());
    if (status == 0) {
      LINKHUB_CHECK(!req.method.empty() && !req.target.empty());
      LINKHUB_CHECK(req.body.size() <= max_body_bytes);
      LINKHUB_CHECK(req.query.empty() || req.target.find('?') != std::string::npos);
      CheckFraming(req, reader.parser().chunked());
    } else {
      LINKHUB_CHECK(req.body.empty());
    }
    // The request id the server would take from the header, or make.
    if (auto rid = req.headers.Get("X-Request-Id"); rid && internal::ValidRequestId(*rid)) {
      LINKHUB_CHECK(!rid->empty() && rid->size() <= 64);
    }
    log += Describe(reader, req, keep_alive);
    if (status != 0 || !keep_alive) {
      break;  // as the server: a refused request ends the connection
    }
  }
  return log;
}

}  // namespace
}  // namespace linkhub::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using linkhub::http::ReadConnection;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const linkhub::http::ServerOptions defaults;
  std::string whole =
      ReadConnection(bytes, bytes.size() + 1, defaults.max_header_bytes, defaults.max_body_bytes);
  // 1 to 16 bytes a read, chosen by the input so that every split gets tried.
  size_t segment = size == 0 ? 1 : 1 + data[size - 1] % 16;
  std::string split =
      ReadConnection(bytes, segment, defaults.max_header_bytes, defaults.max_body_bytes);
  if (whole != split) {
    std::fprintf(stderr, "read in one piece:\n%s\nread %zu bytes at a time:\n%s\n", whole.c_str(),
                 segment, split.c_str());
    LINKHUB_CHECK(whole == split);
  }
  (void)ReadConnection(bytes, bytes.size() + 1, 256, 16);
  return 0;
}
