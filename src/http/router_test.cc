#include "http/router.h"

#include <gtest/gtest.h>

namespace linkhub::http {
namespace {

Request Req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

Handler Named(const std::string& name) {
  return [name](Request&) { return Response::Text(200, name); };
}

TEST(RouterTest, MatchesLiteralsAndParameters) {
  Router router;
  router.Add("GET", "/accounts", Named("list"));
  router.Add("GET", "/accounts/{id}", Named("get"));
  router.Add("GET", "/accounts/meta", Named("meta"));
  router.Add("DELETE", "/accounts/{id}", Named("delete"));

  Request req = Req("GET", "/accounts/acc_1");
  auto m = router.Find(req);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ((*m.handler)(req).body, "get");
  EXPECT_EQ(req.PathParam("id"), "acc_1");
  EXPECT_EQ(m.pattern, "/accounts/{id}");  // what metrics label the request with

  Request literal = Req("GET", "/accounts/meta");
  m = router.Find(literal);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ((*m.handler)(literal).body, "meta");

  Request trailing = Req("GET", "/accounts/");
  m = router.Find(trailing);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ((*m.handler)(trailing).body, "list");
}

TEST(RouterTest, ReportsMethodMismatchAndMisses) {
  Router router;
  router.Add("GET", "/a/{x}", Named("a"));
  router.Add("PATCH", "/a/{x}", Named("a2"));
  Request post = Req("POST", "/a/1");
  auto m = router.Find(post);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.path_matched);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "HEAD", "PATCH"}));

  // HEAD takes the GET route.
  Request head = Req("HEAD", "/a/1");
  m = router.Find(head);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(head.PathParam("x"), "1");

  Request miss = Req("GET", "/a/1/2");
  m = router.Find(miss);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.path_matched);

  Request empty_param = Req("GET", "/a//");
  EXPECT_EQ(router.Find(empty_param).handler, nullptr);
}

}  // namespace
}  // namespace linkhub::http
