#include "tmf/tmf.h"

#include <gtest/gtest.h>

#include "tmf/views.h"

namespace cocreate::tmf {
namespace {

Json Parse(std::string_view text) { return Json::Parse(text).value(); }

TEST(ListParamsTest, ReadsPagingFieldsAndKnownFilters) {
  auto p = ParseListParams({{"offset", "5"}, {"limit", "7"}, {"fields", "name, tradingName"},
                            {"tradingName", "Acme"}, {"unknown", "x"}, {"relatedParty.id", "o"}},
                           {"tradingName", "relatedParty"});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->offset, 5);
  EXPECT_EQ(p->limit, 7);
  EXPECT_EQ(p->fields, (std::vector<std::string>{"name", "tradingName"}));
  // Unknown parameters are ignored (CONTRACT §9.24); known ones filter.
  ASSERT_EQ(p->filters.size(), 2u);
}

TEST(ListParamsTest, RefusesMalformedPaging) {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"limit", "0"}, {"limit", "1001"}, {"limit", "ten"}, {"offset", "-1"},
           {"offset", "99999999999999999999"}, {"limit", "5x"}}) {
    auto p = ParseListParams({{key, value}}, {});
    ASSERT_FALSE(p.ok()) << key << "=" << value;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(p.status().field(), key);
  }
}

TEST(MatchesTest, ComparesPathsThroughArraysAndLists) {
  Json doc = Parse(R"({"name":"a,b","n":3,"ok":true,
    "relatedParty":[{"id":"o1","role":"owner"},{"id":"o2"}],"nested":{"x":"y"}})");
  EXPECT_TRUE(Matches(doc, {{"name", "a,b"}}));  // the whole value, commas and all
  EXPECT_TRUE(Matches(doc, {{"relatedParty.id", "o2"}}));
  EXPECT_TRUE(Matches(doc, {{"relatedParty.id", "zz,o1"}}));  // any of a list
  EXPECT_TRUE(Matches(doc, {{"n", "3"}, {"ok", "true"}, {"nested.x", "y"}}));
  EXPECT_FALSE(Matches(doc, {{"relatedParty.id", "o3"}}));
  EXPECT_FALSE(Matches(doc, {{"nested", "y"}}));  // an object is no scalar
  EXPECT_FALSE(Matches(doc, {{"missing", ""}}));
  EXPECT_FALSE(Matches(doc, {{"n", "3"}, {"ok", "false"}}));  // every filter holds
}

TEST(SelectFieldsTest, KeepsIdHrefTypeAndTheNamedFields) {
  Json doc = Parse(R"({"id":"1","href":"/h","@type":"T","name":"n","other":1,"deep":{"a":1}})");
  EXPECT_EQ(SelectFields(doc, {"name", "deep.a"}).Dump(),
            R"({"id":"1","href":"/h","@type":"T","name":"n","deep":{"a":1}})");
  EXPECT_EQ(SelectFields(doc, {}).Dump(), doc.Dump());
  EXPECT_EQ(SelectFields(doc, {"nothing"}).Dump(), R"({"id":"1","href":"/h","@type":"T"})");
}

TEST(DerivedRoleIdTest, RoundTrips) {
  EXPECT_EQ(DerivedRoleId("org-a", "provider"), "org-a:provider");
  auto parsed = ParseDerivedRoleId("org-a:consumer");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "org-a");
  EXPECT_EQ(parsed->second, "consumer");
  EXPECT_FALSE(ParseDerivedRoleId(":provider"));
  EXPECT_FALSE(ParseDerivedRoleId("org-a-provider"));
  EXPECT_FALSE(ParseDerivedRoleId("org-a:owner"));
}

TEST(SplitNameTest, GivenAsGivenOrAtTheLastSpace) {
  Person tmf;
  tmf.name = "Jane van der Berg";
  tmf.given_name = "Jane";
  tmf.family_name = "van der Berg";
  EXPECT_EQ(SplitName(tmf), std::make_pair(std::string("Jane"), std::string("van der Berg")));
  Person native;
  native.name = "Ada King Lovelace";
  EXPECT_EQ(SplitName(native), std::make_pair(std::string("Ada King"), std::string("Lovelace")));
  native.name = "Cher";
  EXPECT_EQ(SplitName(native), std::make_pair(std::string("Cher"), std::string()));
}

}  // namespace
}  // namespace cocreate::tmf
