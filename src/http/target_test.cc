#include "http/target.h"

#include <gtest/gtest.h>

namespace cocreate {
namespace {

TEST(TargetTest, PercentDecodeKeepsStrayPercents) {
  EXPECT_EQ(PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(PercentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(PercentDecode("%", true), "%");
  EXPECT_EQ(PercentDecode("%4", true), "%4");
  EXPECT_EQ(PercentDecode("%41", true), "A");
  EXPECT_EQ(PercentDecode("%zz%41", true), "%zzA");
  EXPECT_EQ(PercentDecode("%00", true), std::string(1, '\0'));
}

TEST(TargetTest, SplitPathDropsEmptySegmentsAndDecodes) {
  EXPECT_EQ(SplitPath("/a/b%2Fc//d/"), (std::vector<std::string>{"a", "b/c", "d"}));
  EXPECT_TRUE(SplitPath("").empty());
  EXPECT_TRUE(SplitPath("///").empty());
}

TEST(TargetTest, ParseQuery) {
  auto q = ParseQuery("a=1&b=x+y&c&&d=%3D&=e");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, (QueryParams{{"a", "1"}, {"b", "x y"}, {"c", ""}, {"d", "="}, {"", "e"}}));
  EXPECT_TRUE(ParseQuery("")->empty());
  EXPECT_TRUE(ParseQuery("&&&")->empty());
}

TEST(TargetTest, AParameterGivenTwiceIsRefused) {
  auto q = ParseQuery("limit=1&offset=0&limit=1000");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().reason(), "invalid_field");
  EXPECT_EQ(q.status().field(), "limit");
  // The same name spelt two ways is still one name.
  EXPECT_FALSE(ParseQuery("limit=1&%6Cimit=2").ok());
}

TEST(TargetTest, LinearOnHugeInput) {
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "k" + std::to_string(i) + "=%41&";
  auto q = ParseQuery(many);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->size(), 200000u);
  EXPECT_EQ(PercentDecode(std::string(1 << 20, '%'), true).size(), size_t{1} << 20);
}

}  // namespace
}  // namespace cocreate
