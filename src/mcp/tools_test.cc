#include "mcp/tools.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace linkhub::mcp {
namespace {

TEST(ToolsTest, ToolCarriesTheActionsSchemaAndHints) {
  const plaid::Action* list = plaid::FindAction("plaid_list_accounts");
  ASSERT_NE(list, nullptr);
  boost::json::object tool = ToolJson(*list);
  EXPECT_EQ(tool.at("name"), "plaid_list_accounts");
  EXPECT_EQ(tool.at("inputSchema"), list->input_schema);
  const auto& hints = tool.at("annotations").as_object();
  EXPECT_EQ(hints.at("readOnlyHint"), true);
  EXPECT_EQ(hints.at("idempotentHint"), true);
  EXPECT_EQ(hints.at("destructiveHint"), false);
  EXPECT_EQ(hints.at("openWorldHint"), true);

  const plaid::Action* refresh = plaid::FindAction("plaid_refresh_transactions");
  ASSERT_NE(refresh, nullptr);
  boost::json::object refresh_tool = ToolJson(*refresh);
  const auto& refresh_hints = refresh_tool.at("annotations").as_object();
  EXPECT_EQ(refresh_hints.at("readOnlyHint"), false);
  EXPECT_EQ(refresh_hints.at("idempotentHint"), false);
}

TEST(ToolsTest, DescriptionSaysWhatComesBackAndHowItPages) {
  std::string list = ToolDescription(*plaid::FindAction("plaid_list_transactions"));
  EXPECT_NE(list.find("Returns an object with: transactions"), std::string::npos) << list;
  EXPECT_NE(list.find("linkhub/next"), std::string::npos) << list;
  std::string refresh = ToolDescription(*plaid::FindAction("plaid_refresh_transactions"));
  EXPECT_NE(refresh.find("only when asked"), std::string::npos) << refresh;
}

TEST(ToolsTest, ToolsFollowProductsAndKeyLimits) {
  auto names = [](const std::vector<const plaid::Action*>& tools) {
    std::vector<std::string> out;
    out.reserve(tools.size());
    for (const auto* t : tools) {
      out.push_back(t->id);
    }
    return out;
  };
  auto has = [](const std::vector<std::string>& v, std::string_view id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  auto all = names(ToolsFor({"transactions"}, {}));
  EXPECT_TRUE(has(all, "plaid_list_accounts"));
  EXPECT_TRUE(has(all, "plaid_sync_transactions"));
  EXPECT_FALSE(has(all, "plaid_get_identity"));  // not linked with identity

  domain::KeyLimits read_only;
  read_only.read_only = true;
  auto reads = names(ToolsFor({"transactions"}, read_only));
  EXPECT_TRUE(has(reads, "plaid_sync_transactions"));
  EXPECT_FALSE(has(reads, "plaid_refresh_transactions"));

  domain::KeyLimits listed;
  listed.actions = std::vector<std::string>{"plaid_get_item", "plaid_get_identity"};
  EXPECT_EQ(names(ToolsFor({"transactions", "identity"}, listed)),
            (std::vector<std::string>{"plaid_get_identity", "plaid_get_item"}));
}

}  // namespace
}  // namespace linkhub::mcp
