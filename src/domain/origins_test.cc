#include "domain/origins.h"

#include <gtest/gtest.h>

namespace linkhub::domain {
namespace {

TEST(OriginsTest, NormalizesAndAcceptsPlainOrigins) {
  EXPECT_EQ(*NormalizeOrigin("https://App.Example.com"), "https://app.example.com");
  EXPECT_EQ(*NormalizeOrigin("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
  EXPECT_EQ(*NormalizeOrigin("https://localhost"), "https://localhost");
}

TEST(OriginsTest, RefusesWhatIsNotAnOrigin) {
  for (const char* bad :
       {"", "app.example.com", "ftp://x.example", "https://", "https://a.example/",
        "https://a.example/path", "https://a.example?x=1", "https://user@a.example",
        "https://a.example:0", "https://a.example:70000", "https://a.example:x", "null", "*",
        "https://.example", "https://a b.example", "https://a.example;frame-ancestors *"}) {
    auto r = NormalizeOrigin(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(OriginsTest, ParsesListsWithoutDuplicates) {
  auto list = ParseAllowedOrigins(" https://a.example, https://A.example ,http://b.example:8080,");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
  // Browsers leave the default port out of Origin.
  EXPECT_EQ(
      *ParseAllowedOrigins("https://c.example:443,http://d.example:80,https://e.example:80"),
      (std::vector<std::string>{"https://c.example", "http://d.example", "https://e.example:80"}));
  auto empty = ParseAllowedOrigins("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(ParseAllowedOrigins("https://a.example,not-an-origin"));
  std::string many;
  for (int i = 0; i <= static_cast<int>(kMaxAllowedOrigins); ++i) {
    many += "https://h" + std::to_string(i) + ".example,";
  }
  EXPECT_FALSE(ParseAllowedOrigins(many));
}

TEST(OriginsTest, AnEmptyListAllowsAnyOriginAListOnlyItsOwn) {
  EXPECT_TRUE(OriginAllowed({}, "https://anything.example"));
  std::vector<std::string> list{"https://a.example", "http://127.0.0.1:3000"};
  EXPECT_TRUE(OriginAllowed(list, "https://a.example"));
  EXPECT_TRUE(OriginAllowed(list, "HTTPS://A.EXAMPLE"));
  EXPECT_TRUE(OriginAllowed(list, "http://127.0.0.1:3000"));
  EXPECT_FALSE(OriginAllowed(list, "http://127.0.0.1:3001"));
  EXPECT_FALSE(OriginAllowed(list, "https://a.example.evil.example"));
  EXPECT_FALSE(OriginAllowed(list, "null"));
}

}  // namespace
}  // namespace linkhub::domain
