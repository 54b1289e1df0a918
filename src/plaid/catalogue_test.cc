// Tests of the action catalogue: its ids, the shape of every action's input schema, paging,
// products, and that each schema accepts a sensible input and refuses an unknown field.
#include "plaid/catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/json_schema.h"
#include "plaid/limits.h"
#include "plaid/retrying_plaid_client.h"

namespace linkhub::plaid {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

const std::vector<std::string> kIds = {
    "plaid_list_accounts",       "plaid_get_balances",      "plaid_get_auth",
    "plaid_sync_transactions",   "plaid_list_transactions", "plaid_refresh_transactions",
    "plaid_get_identity",        "plaid_list_holdings",     "plaid_list_investment_transactions",
    "plaid_get_liabilities",     "plaid_get_item",          "plaid_get_institution",
    "plaid_search_institutions",
};

boost::json::value Json(std::string_view text) {
  auto parsed = ParseJson(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : boost::json::value();
}

// A sensible input of each action, using every field its schema knows.
std::map<std::string, boost::json::value> SampleInputs() {
  return {
      {"plaid_list_accounts",
       Json(R"({"account_ids": ["BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp"]})")},
      {"plaid_get_balances", Json(R"({"account_ids": ["acc-1", "acc-2"],
                "min_last_updated_datetime": "2026-01-31T12:00:00Z"})")},
      {"plaid_get_auth", Json(R"({"account_ids": ["acc-1"]})")},
      {"plaid_sync_transactions",
       Json(R"({"consumer": "warehouse", "cursor": "CAESJ...", "reset": false, "count": 250,
                "account_id": "acc-1"})")},
      {"plaid_list_transactions",
       Json(R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "account_ids": ["acc-1"],
                "count": 100, "offset": 0, "next": "o:100"})")},
      {"plaid_refresh_transactions", Json("{}")},
      {"plaid_get_identity", Json(R"({"account_ids": ["acc-1"]})")},
      {"plaid_list_holdings", Json(R"({"account_ids": ["acc-1"]})")},
      {"plaid_list_investment_transactions",
       Json(R"({"start_date": "2025-12-01", "end_date": "2026-01-31", "account_ids": ["acc-1"],
                "count": 500, "offset": 20, "next": "o:40"})")},
      {"plaid_get_liabilities", Json(R"({"account_ids": ["acc-1"]})")},
      {"plaid_get_item", Json("{}")},
      {"plaid_get_institution", Json(R"({"institution_id": "ins_109508", "include_status": true,
                "include_optional_metadata": false})")},
      {"plaid_search_institutions",
       Json(R"({"query": "Platypus", "products": ["transactions", "auth"],
                "include_optional_metadata": true})")},
  };
}

std::vector<std::string> Ids() {
  std::vector<std::string> out;
  for (const auto& a : Catalogue()) {
    out.push_back(a.id);
  }
  return out;
}

const boost::json::object& Properties(const Action& a) {
  return a.input_schema.as_object().at("properties").as_object();
}

const Action& Get(std::string_view id) {
  const Action* a = FindAction(id);
  EXPECT_NE(a, nullptr) << id;
  return a != nullptr ? *a : Catalogue().front();
}

TEST(CatalogueTest, HasTheThirteenActionsInAStableOrder) {
  EXPECT_EQ(Catalogue().size(), 13u);
  EXPECT_THAT(Ids(), ElementsAreArray(kIds));
  // The same vector every time.
  EXPECT_EQ(&Catalogue(), &Catalogue());
}

TEST(CatalogueTest, IdsAreUniqueAndStartWithPlaid) {
  std::set<std::string> seen;
  for (const auto& a : Catalogue()) {
    EXPECT_TRUE(seen.insert(a.id).second) << "duplicate id " << a.id;
    EXPECT_THAT(a.id, StartsWith("plaid_"));
  }
}

TEST(CatalogueTest, EveryActionIsDescribed) {
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    EXPECT_FALSE(a.label.empty());
    EXPECT_FALSE(a.description.empty());
    EXPECT_THAT(a.endpoint, StartsWith("/"));
    EXPECT_THAT(a.tags, Not(IsEmpty()));
    ASSERT_TRUE(a.output.is_object());
    EXPECT_TRUE(a.output.as_object().contains("description"));
    EXPECT_TRUE(a.output.as_object().contains("fields"));
  }
}

TEST(CatalogueTest, EveryInputSchemaIsAClosedObjectSchema) {
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    ASSERT_TRUE(a.input_schema.is_object());
    const auto& schema = a.input_schema.as_object();
    EXPECT_EQ(GetString(schema, "type"), "object");
    ASSERT_NE(Find(schema, "additionalProperties"), nullptr);
    EXPECT_EQ(GetBool(schema, "additionalProperties"), false);
    ASSERT_NE(GetObject(schema, "properties"), nullptr);
    for (const auto& required : GetStringList(schema, "required")) {
      EXPECT_TRUE(Properties(a).contains(required)) << required;
    }
  }
}

TEST(CatalogueTest, EveryOptionFieldIsAPropertyOfTheSchema) {
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    for (const auto& field : a.option_fields) {
      EXPECT_TRUE(Properties(a).contains(field)) << field;
      // Fields the hub consumes itself never reach Plaid, under options or elsewhere.
      EXPECT_NE(field, "next");
      EXPECT_NE(field, "consumer");
      EXPECT_NE(field, "reset");
    }
  }
}

TEST(CatalogueTest, OptionFieldsOfEachAction) {
  EXPECT_THAT(Get("plaid_list_accounts").option_fields, ElementsAre("account_ids"));
  EXPECT_THAT(Get("plaid_get_balances").option_fields,
              ElementsAre("account_ids", "min_last_updated_datetime"));
  EXPECT_THAT(Get("plaid_sync_transactions").option_fields, ElementsAre("account_id"));
  EXPECT_THAT(Get("plaid_list_transactions").option_fields,
              ElementsAre("account_ids", "count", "offset"));
  EXPECT_THAT(Get("plaid_list_investment_transactions").option_fields,
              ElementsAre("account_ids", "count", "offset"));
  EXPECT_THAT(Get("plaid_refresh_transactions").option_fields, IsEmpty());
  EXPECT_THAT(Get("plaid_get_item").option_fields, IsEmpty());
  EXPECT_THAT(Get("plaid_search_institutions").option_fields,
              ElementsAre("include_optional_metadata"));
}

TEST(CatalogueTest, FindActionFindsEachAndNothingElse) {
  for (const auto& id : kIds) {
    const Action* a = FindAction(id);
    ASSERT_NE(a, nullptr) << id;
    EXPECT_EQ(a->id, id);
  }
  EXPECT_EQ(FindAction("plaid_unknown"), nullptr);
  EXPECT_EQ(FindAction(""), nullptr);
  EXPECT_EQ(FindAction("PLAID_LIST_ACCOUNTS"), nullptr);
  EXPECT_EQ(FindAction("plaid_list_accounts "), nullptr);
  EXPECT_EQ(FindAction("plaid_list"), nullptr);
  EXPECT_EQ(FindAction("/accounts/get"), nullptr);
}

TEST(CatalogueTest, EndpointsOfTheActions) {
  std::map<std::string, std::string> endpoints;
  for (const auto& a : Catalogue()) {
    endpoints[a.id] = a.endpoint;
  }
  EXPECT_EQ(endpoints["plaid_list_accounts"], "/accounts/get");
  EXPECT_EQ(endpoints["plaid_get_balances"], "/accounts/balance/get");
  EXPECT_EQ(endpoints["plaid_get_auth"], "/auth/get");
  EXPECT_EQ(endpoints["plaid_sync_transactions"], "/transactions/sync");
  EXPECT_EQ(endpoints["plaid_list_transactions"], "/transactions/get");
  EXPECT_EQ(endpoints["plaid_refresh_transactions"], "/transactions/refresh");
  EXPECT_EQ(endpoints["plaid_get_identity"], "/identity/get");
  EXPECT_EQ(endpoints["plaid_list_holdings"], "/investments/holdings/get");
  EXPECT_EQ(endpoints["plaid_list_investment_transactions"], "/investments/transactions/get");
  EXPECT_EQ(endpoints["plaid_get_liabilities"], "/liabilities/get");
  EXPECT_EQ(endpoints["plaid_get_item"], "/item/get");
  EXPECT_EQ(endpoints["plaid_get_institution"], "/institutions/get_by_id");
  EXPECT_EQ(endpoints["plaid_search_institutions"], "/institutions/search");
}

TEST(CatalogueTest, PagingKinds) {
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    if (a.id == "plaid_sync_transactions") {
      EXPECT_EQ(a.paging, Paging::kSync);
    } else if (a.id == "plaid_list_transactions" || a.id == "plaid_list_investment_transactions") {
      EXPECT_EQ(a.paging, Paging::kOffset);
      EXPECT_TRUE(Properties(a).contains("next"));
      EXPECT_TRUE(Properties(a).contains("offset"));
    } else {
      EXPECT_EQ(a.paging, Paging::kNone);
      EXPECT_TRUE(a.items_key.empty());
      EXPECT_TRUE(a.total_key.empty());
    }
  }
  EXPECT_EQ(Get("plaid_list_transactions").items_key, "transactions");
  EXPECT_EQ(Get("plaid_list_transactions").total_key, "total_transactions");
  EXPECT_EQ(Get("plaid_list_investment_transactions").items_key, "investment_transactions");
  EXPECT_EQ(Get("plaid_list_investment_transactions").total_key, "total_investment_transactions");
}

TEST(CatalogueTest, OnlyRefreshChangesStateAtPlaid) {
  for (const auto& a : Catalogue()) {
    EXPECT_EQ(a.read_only, a.id != "plaid_refresh_transactions") << a.id;
  }
}

TEST(CatalogueTest, ReadOnlyActionsAreExactlyThoseTheRetryingClientRetries) {
  for (const auto& a : Catalogue()) {
    EXPECT_EQ(a.read_only, IsSafeToRepeat(a.endpoint)) << a.id;
  }
}

TEST(CatalogueTest, EveryEndpointHasPlaidsPublishedLimits) {
  for (const auto& a : Catalogue()) {
    EXPECT_NE(LimitFor(a.endpoint), nullptr) << a.id << " " << a.endpoint;
  }
}

TEST(CatalogueTest, OnlyInstitutionActionsWorkWithoutAnAccessToken) {
  for (const auto& a : Catalogue()) {
    bool institutions = a.id == "plaid_get_institution" || a.id == "plaid_search_institutions";
    EXPECT_EQ(a.needs_access_token, !institutions) << a.id;
  }
}

TEST(CatalogueTest, ProductsPerAction) {
  const std::map<std::string, std::string> expected = {
      {"plaid_list_accounts", ""},
      {"plaid_get_balances", ""},
      {"plaid_get_auth", "auth"},
      {"plaid_sync_transactions", "transactions"},
      {"plaid_list_transactions", "transactions"},
      {"plaid_refresh_transactions", "transactions"},
      {"plaid_get_identity", "identity"},
      {"plaid_list_holdings", "investments"},
      {"plaid_list_investment_transactions", "investments"},
      {"plaid_get_liabilities", "liabilities"},
      {"plaid_get_item", ""},
      {"plaid_get_institution", ""},
      {"plaid_search_institutions", ""},
  };
  for (const auto& a : Catalogue()) {
    auto it = expected.find(a.id);
    ASSERT_NE(it, expected.end()) << a.id;
    EXPECT_EQ(a.product, it->second) << a.id;
  }
}

TEST(CatalogueTest, EachSchemaAcceptsASensibleInput) {
  auto samples = SampleInputs();
  ASSERT_EQ(samples.size(), Catalogue().size());
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    auto it = samples.find(a.id);
    ASSERT_NE(it, samples.end());
    Status s = ValidateJson(a.input_schema, it->second);
    EXPECT_TRUE(s) << s.error().message;
    // The sample uses every field the schema knows.
    for (const auto& [field, unused] : Properties(a)) {
      EXPECT_TRUE(it->second.as_object().contains(field)) << field;
    }
  }
}

TEST(CatalogueTest, EachSchemaRefusesAnUnknownField) {
  auto samples = SampleInputs();
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    boost::json::value input = samples.at(a.id);
    input.as_object()["bogus_field"] = 1;
    Status s = ValidateJson(a.input_schema, input);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(s.error().message, HasSubstr("bogus_field"));
    EXPECT_THAT(s.error().message, HasSubstr("is not a known field"));
  }
}

TEST(CatalogueTest, ActionsWithoutRequiredFieldsAcceptAnEmptyInput) {
  for (const auto& a : Catalogue()) {
    SCOPED_TRACE(a.id);
    bool has_required = !GetStringList(a.input_schema.as_object(), "required").empty();
    EXPECT_EQ(!ValidateJson(a.input_schema, boost::json::object{}).has_value(), has_required);
  }
}

TEST(CatalogueTest, SchemasRefuseBadValuesNamingTheField) {
  struct Case {
    const char* action;
    const char* input;
    const char* field;
  };
  const Case cases[] = {
      {"plaid_list_transactions", R"({"end_date": "2026-01-31"})", "start_date"},
      {"plaid_list_transactions", R"({"start_date": "yesterday", "end_date": "2026-01-31"})",
       "start_date"},
      {"plaid_list_transactions",
       R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "count": 501})", "count"},
      {"plaid_list_transactions",
       R"({"start_date": "2026-01-01", "end_date": "2026-01-31", "offset": -1})", "offset"},
      {"plaid_sync_transactions", R"({"count": 0})", "count"},
      {"plaid_sync_transactions", R"({"reset": "yes"})", "reset"},
      {"plaid_sync_transactions", R"({"consumer": ""})", "consumer"},
      {"plaid_search_institutions", R"({"products": ["auth"]})", "query"},
      {"plaid_get_balances", R"({"min_last_updated_datetime": "last week"})",
       "min_last_updated_datetime"},
      {"plaid_list_accounts", R"({"account_ids": "acc-1"})", "account_ids"},
      {"plaid_get_institution", R"({"institution_id": 109508})", "institution_id"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.action) + " " + c.input);
    Status s = ValidateJson(Get(c.action).input_schema, Json(c.input));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(s.error().message, HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace linkhub::plaid
