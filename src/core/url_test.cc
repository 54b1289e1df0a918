#include "core/url.h"

#include <gtest/gtest.h>

namespace linkhub {
namespace {

TEST(ParseHttpUrlTest, TakesHttpAndHttpsWithTheirPorts) {
  auto a = ParseHttpUrl("https://hooks.example.com/linkhub?x=1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->scheme, "https");
  EXPECT_EQ(a->host, "hooks.example.com");
  EXPECT_EQ(a->port, 443);
  auto b = ParseHttpUrl("http://127.0.0.1:8080/in");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 8080);
  auto c = ParseHttpUrl("http://[::1]:9/x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
}

TEST(ParseHttpUrlTest, RefusesWhatIsNotAPlainHttpUrl) {
  for (const char* bad :
       {"", "hooks.example.com/x", "ftp://example.com/", "file:///etc/passwd",
        "https://user:pass@example.com/", "https://example.com/#frag", "https:///nohost",
        "http://example.com:0/", "javascript:alert(1)", "https://exa mple.com/"}) {
    SCOPED_TRACE(bad);
    auto r = ParseHttpUrl(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(ParseHttpUrl("https://example.com/" + std::string(3000, 'a')));
}

}  // namespace
}  // namespace linkhub
