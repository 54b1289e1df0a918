#include "mcp/redact.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace linkhub::mcp {
namespace {

TEST(RedactTest, OwnersPersonalDataIsMaskedAndTheRestKept) {
  constexpr std::string_view kAnswer = R"({"accounts":[{"account_id":"a1","mask":"0000",
    "owners":[{"names":["Alberta Bobbeth Charleson"],
      "emails":[{"data":"accountholder0@example.com","primary":true,"type":"primary"}],
      "phone_numbers":[{"data":"1112223333","primary":false,"type":"home"}],
      "addresses":[{"data":{"city":"Malakoff","country":"US","postal_code":"14236",
        "region":"NY","street":"2992 Cameron Road"},"primary":true}]}]}],
    "item":{"item_id":"it1"},"request_id":"r1"})";
  auto redacted = RedactIdentity(kAnswer);
  ASSERT_TRUE(redacted);
  for (std::string_view secret :
       {"Alberta", "accountholder0", "1112223333", "Malakoff", "14236", "Cameron"}) {
    EXPECT_EQ(redacted->find(secret), std::string::npos) << secret;
  }
  auto v = boost::json::parse(*redacted);
  const auto& owner = v.at("accounts").at(0).at("owners").at(0);
  EXPECT_EQ(owner.at("names").at(0).as_string(), kRedacted);
  EXPECT_EQ(owner.at("emails").at(0).at("primary"), true);
  EXPECT_EQ(owner.at("phone_numbers").at(0).at("type"), "home");
  EXPECT_EQ(owner.at("addresses").at(0).at("data").at("city").as_string(), kRedacted);
  EXPECT_EQ(v.at("accounts").at(0).at("mask"), "0000");
  EXPECT_EQ(v.at("item").at("item_id"), "it1");
}

TEST(RedactTest, NotJsonIsAnError) { EXPECT_FALSE(RedactIdentity("not json")); }

}  // namespace
}  // namespace linkhub::mcp
