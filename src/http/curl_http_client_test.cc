#include "http/curl_http_client.h"

#include <gtest/gtest.h>

namespace linkhub::http {
namespace {

TEST(CurlHttpClientTest, RejectsNonHttpSchemes) {
  CurlHttpClient client;
  ClientRequest req;
  req.url = "file:///etc/passwd";
  auto r = client.Send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(CurlHttpClientTest, ConnectionRefusedIsUnavailable) {
  CurlHttpClient client;
  ClientRequest req;
  req.url = "http://127.0.0.1:1/x";  // port 1: nothing listens there
  auto r = client.Send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST(CurlHttpClientTest, ErrorMessagesNeverCarryTheQueryString) {
  CurlHttpClient client;
  ClientRequest req;
  for (const char* url :
       {"http://127.0.0.1:1/x?secret=hunter2", "http://user:hunter2@127.0.0.1:1/x",
        "http://127.0.0.1:1/hooks/hunter2"}) {
    req.url = url;
    auto r = client.Send(req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("http://127.0.0.1:1"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace linkhub::http
