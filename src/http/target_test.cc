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

// A query that does not decode to text is refused, naming the parameter,
// rather than read as a filter that matches nothing.
TEST(TargetTest, AQueryThatIsNotPercentEncodedTextIsRefused) {
  for (const char* bad : {"owner=%zz", "owner=%4", "owner=%", "owner=a%2", "owner=%ff",
                          "owner=%c0%af", "owner=%ed%a0%80", "owner=%f4%90%80%80",
                          "owner=%00", "owner=a%0Ab", "owner=%7f"}) {
    SCOPED_TRACE(bad);
    auto q = ParseQuery(bad);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().reason(), "invalid_field");
    EXPECT_EQ(q.status().field(), "owner");
  }
  for (const char* bad : {"%zz=1", "a%ff=1", "%01=1"}) {
    SCOPED_TRACE(bad);
    auto q = ParseQuery(bad);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().field(), "query");
  }
  // Text in any script, escaped or not, and '+' as a space, are fine.
  auto q = ParseQuery("name=caf%C3%A9+%E2%82%AC&city=K\xc3\xb6ln&e=%F0%9F%98%80");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->at("name"), "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(q->at("city"), "K\xc3\xb6ln");
  EXPECT_EQ(q->at("e"), "\xf0\x9f\x98\x80");
  // A long name is cut in the message on a character's boundary.
  std::string key(63, 'k');
  key += "\xc3\xa9";
  auto twice = ParseQuery(key + "=1&" + key + "=2");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(),
            "the query parameter '" + std::string(63, 'k') + "' is given more than once");
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
