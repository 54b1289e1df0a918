#include "http/message.h"

#include <gtest/gtest.h>

namespace linkhub::http {
namespace {

TEST(HeadersTest, CaseInsensitiveGetSetRemove) {
  Headers h;
  h.Add("Content-Type", "a");
  h.Add("X-Thing", "1");
  EXPECT_EQ(*h.Get("content-type"), "a");
  h.Set("CONTENT-TYPE", "b");
  EXPECT_EQ(*h.Get("Content-Type"), "b");
  EXPECT_EQ(h.fields().size(), 2u);
  h.Remove("x-thing");
  EXPECT_FALSE(h.Get("X-Thing").has_value());
}

TEST(RequestTest, DecodesQueryParameters) {
  Request r;
  r.query = "token=a%2Bb&x=1&flag&x=2&name=hello%20world";
  EXPECT_EQ(*r.QueryParam("token"), "a+b");
  EXPECT_EQ(*r.QueryParam("x"), "1");
  EXPECT_EQ(*r.QueryParam("flag"), "");
  EXPECT_EQ(*r.QueryParam("name"), "hello world");
  EXPECT_FALSE(r.QueryParam("missing").has_value());
  EXPECT_EQ(r.QueryParams().size(), 5u);
}

TEST(RequestTest, KeepsQueriesThatBrowsersSendUnencoded) {
  Request r;
  r.query = "ids[]=a&ids[]=b&q=x|y&filter[connectors]=plaid&bad=%zz&sp=a+b";
  auto params = r.QueryParams();
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"ids[]", "a"}));
  EXPECT_EQ(params[1].second, "b");
  EXPECT_EQ(*r.QueryParam("q"), "x|y");
  EXPECT_EQ(*r.QueryParam("filter[connectors]"), "plaid");
  EXPECT_EQ(*r.QueryParam("bad"), "%zz");
  EXPECT_EQ(*r.QueryParam("sp"), "a b");
}

}  // namespace
}  // namespace linkhub::http
