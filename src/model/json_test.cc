#include "model/json.h"

#include <gtest/gtest.h>

namespace cocreate {
namespace {

Json P(std::string_view text) {
  auto parsed = Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? parsed.value() : Json();
}

TEST(JsonTest, ParsesEveryKindOfValue) {
  Json j = P(R"({"a": 1, "b": -2.5, "c": "x\u00e9", "d": [true, false, null], "e": {}})");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.Find("a")->as_int(), 1);
  EXPECT_DOUBLE_EQ(j.Find("b")->as_double(), -2.5);
  EXPECT_EQ(j.Find("c")->as_string(), "x\xc3\xa9");
  EXPECT_EQ(j.Find("d")->items().size(), 3u);
  EXPECT_TRUE(j.Find("d")->items()[2].is_null());
  EXPECT_TRUE(j.Find("e")->is_object());
  EXPECT_EQ(j.Find("missing"), nullptr);
}

TEST(JsonTest, TopLevelScalars) {
  EXPECT_TRUE(P("null").is_null());
  EXPECT_TRUE(P("true").as_bool());
  EXPECT_EQ(P("\"s\"").as_string(), "s");
  EXPECT_DOUBLE_EQ(P("3.5").as_double(), 3.5);
}

TEST(JsonTest, MalformedIsInvalidJson) {
  for (std::string_view bad : {"", "{", "{\"a\":}", "[1,]", "{} x", "nul", "{\"a\" 1}", "[1] [2]"}) {
    auto parsed = Json::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(parsed.status().reason(), "invalid_json") << bad;
  }
}

TEST(JsonTest, DeepNestingIsRefusedNotACrash) {
  std::string deep(100000, '[');
  auto parsed = Json::Parse(deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().reason(), "invalid_json");
  std::string nested;
  for (int i = 0; i < 70; ++i) nested += "[";
  for (int i = 0; i < 70; ++i) nested += "]";
  EXPECT_EQ(Json::Parse(nested).status().reason(), "invalid_json");
}

TEST(JsonTest, EqualityIgnoresMemberOrderButNotArrayOrder) {
  EXPECT_EQ(P(R"({"a":1,"b":[1,2]})"), P(R"({"b":[1,2],"a":1})"));
  EXPECT_FALSE(P(R"({"b":[2,1]})") == P(R"({"b":[1,2]})"));
  EXPECT_FALSE(P(R"({"a":1})") == P(R"({"a":1,"b":2})"));
  EXPECT_EQ(P("1"), P("1.0"));
}

TEST(JsonTest, DumpRoundTrips) {
  std::string text = R"({"a":1,"b":[true,null,"x\"y"],"c":{"d":2.5}})";
  EXPECT_EQ(P(text).Dump(), text);
  EXPECT_EQ(P(P(text).Dump()), P(text));
}

// Copies share their containers until one is written (copy on write).
TEST(JsonTest, CopiesBehaveAsIndependentValues) {
  Json a = P(R"({"x":{"y":1},"list":[1,2]})");
  Json b = a;
  b.Set("z", Json(2));
  EXPECT_EQ(a.Find("z"), nullptr);
  EXPECT_NE(b.Find("z"), nullptr);
  // A nested write through the copy leaves the original alone.
  Json c = a;
  for (auto& [key, value] : c.members()) {
    if (key == "x") value.Set("y", Json(5));
    if (key == "list") value.Push(Json(3));
  }
  EXPECT_EQ(a, P(R"({"x":{"y":1},"list":[1,2]})"));
  EXPECT_EQ(c, P(R"({"x":{"y":5},"list":[1,2,3]})"));
  a.Erase("x");
  EXPECT_NE(c.Find("x"), nullptr);
  Json d = c;
  d.Erase("list");
  EXPECT_NE(c.Find("list"), nullptr);
}

// The examples of RFC 7396, Appendix A.
TEST(MergePatchTest, Rfc7396Examples) {
  struct Case { const char* target; const char* patch; const char* result; };
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MergePatch(P(c.target), P(c.patch)), P(c.result))
        << c.target << " + " << c.patch << " = " << MergePatch(P(c.target), P(c.patch)).Dump();
  }
}

}  // namespace
}  // namespace cocreate
