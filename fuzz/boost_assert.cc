// Boost's assertion handler for the fuzz build (LINKHUB_FUZZ defines BOOST_ENABLE_ASSERT_HANDLER):
// a failed BOOST_ASSERT aborts, as without the handler, except for assertions known to be wrong
// in the Boost that Debian 12 ships, which would stop a fuzzer at no fault of linkhub's. Linked
// into every executable of the fuzz build.

#include <boost/assert.hpp>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

struct KnownWrongAssertion {
  std::string_view file_suffix;
  std::string_view expr;
};

// Beast 1.81 asserts that a chunk header being resumed holds at least five bytes, but after the
// final chunk "0\r\n" a read may bring one byte more (four); the code after it then asks for more
// data, as it should. Fixed upstream in boostorg/beast#2861 (Boost 1.86).
//
// Boost.URL 1.81 asserts while counting the segments of a rootless path that holds a character no
// path may ("A:\\"); the parse then fails, as it should. Fixed upstream in boostorg/url#667
// (Boost 1.82).
constexpr KnownWrongAssertion kKnownWrong[] = {
    {"boost/beast/http/impl/basic_parser.ipp", "n >= 5"},
    {"boost/url/detail/path.hpp", "nseg == 0"},
};

bool KnownWrong(const char* expr, const char* file) {
  for (const auto& k : kKnownWrong) {
    if (std::string_view(file).ends_with(k.file_suffix) && k.expr == expr) {
      return true;
    }
  }
  return false;
}

}  // namespace

namespace boost {

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  if (KnownWrong(expr, file)) {
    return;
  }
  std::fprintf(stderr, "%s:%ld: %s: Boost assertion failed: %s\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
  if (KnownWrong(expr, file)) {
    return;
  }
  std::fprintf(stderr, "%s:%ld: %s: Boost assertion failed: %s (%s)\n", file, line, function, expr,
               msg);
  std::abort();
}

}  // namespace boost
