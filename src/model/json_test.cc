#include "model/json.h"

#include <limits>
#include <string>
#include <utility>
#include <vector>

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
  auto nest = [](int levels) {
    std::string s(levels, '[');
    return s + std::string(levels, ']');
  };
  // A body nests at most kMaxBodyDepth levels below its top; a stored
  // document (a body inside an event) a few more.
  EXPECT_TRUE(Json::ParseBody(nest(Json::kMaxBodyDepth + 1)).ok());
  EXPECT_EQ(Json::ParseBody(nest(Json::kMaxBodyDepth + 2)).status().reason(), "invalid_json");
  EXPECT_TRUE(Json::Parse(nest(Json::kMaxBodyDepth + 2)).ok());
  EXPECT_EQ(Json::Parse(nest(Json::kMaxStoredDepth + 2)).status().reason(), "invalid_json");
}

// CONTRACT §7: whatever a body may hold can be stored inside an event and
// read back. The deepest body, wrapped as an event's data and private copy
// are, parses again.
TEST(JsonTest, DeepestBodySurvivesBeingStoredInAnEvent) {
  // The deepest body the door lets in: one more level is refused.
  auto body_of = [](int arrays) {
    return R"({"attributes":{"a":)" + std::string(arrays, '[') + "1" +
           std::string(arrays, ']') + "}}";
  };
  int arrays = 1;
  while (Json::ParseBody(body_of(arrays + 1)).ok()) ++arrays;
  EXPECT_GE(arrays, Json::kMaxBodyDepth - 3);
  auto parsed = Json::ParseBody(body_of(arrays));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  Json event = Json::MakeObject();
  Json data = Json::MakeObject();
  Json resource = Json::MakeObject();
  Json versions = Json::MakeArray();
  versions.Push(*parsed);
  resource.Set("versions", versions);
  data.Set("resource", resource);
  event.Set("data", data);
  auto again = Json::Parse(event.Dump(), Json::kMaxStoredDepth + 1);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, event);
}

TEST(JsonTest, NumbersKeepTheirDigits) {
  for (const char* n : {"3.14159265358979323846", "1e19", "1E+19", "18446744073709551615",
                        "9223372036854775808", "-9.3e18", "-0", "0.1", "1e400", "-1e-400",
                        "123456789012345678901234567890.123456789"}) {
    auto parsed = Json::Parse(n);
    ASSERT_TRUE(parsed.ok()) << n << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->Dump(), n);
    auto in_object = Json::Parse(std::string(R"({"x":[)") + n + "]}");
    ASSERT_TRUE(in_object.ok()) << n;
    EXPECT_EQ(in_object->Dump(), std::string(R"({"x":[)") + n + "]}");
    // And again after a second round trip.
    EXPECT_EQ(Json::Parse(in_object->Dump())->Dump(), in_object->Dump());
  }
  EXPECT_TRUE(P("9223372036854775807").is_int());
  EXPECT_EQ(P("-9223372036854775808").as_int(), INT64_MIN);
  EXPECT_FALSE(P("9223372036854775808").is_int());
  EXPECT_EQ(P("1e19").as_double(), 1e19);
}

TEST(JsonTest, NumbersCompareByExactValue) {
  EXPECT_EQ(P("1"), P("1.0"));
  EXPECT_EQ(P("1"), P("1e0"));
  EXPECT_EQ(P("100"), P("1E2"));
  EXPECT_EQ(P("1e19"), P("10000000000000000000"));
  EXPECT_EQ(P("0"), P("-0.0e7"));
  EXPECT_EQ(P("0.5"), Json(0.5));
  EXPECT_FALSE(P("3.14159265358979323846") == P("3.14159265358979323847"));
  EXPECT_FALSE(P("18446744073709551615") == P("18446744073709551616"));
  EXPECT_FALSE(P("1") == P("-1"));
}

TEST(JsonTest, MalformedNumbersAreRefused) {
  for (const char* n : {"01", "1.", ".5", "1e", "+1", "--1", "1.2.3", "0x10", "NaN", "1e+"}) {
    EXPECT_FALSE(Json::Parse(std::string("[") + n + "]").ok()) << n;
  }
}

TEST(JsonTest, ABodyHoldsAtMostMaxBodyValues) {
  auto body = [](int64_t zeros) {
    std::string s = "[";  // the array itself is one value
    for (int64_t i = 0; i < zeros; ++i) s += i ? ",0" : "0";
    return s + "]";
  };
  EXPECT_TRUE(Json::ParseBody(body(Json::kMaxBodyValues - 1)).ok());
  auto over = Json::ParseBody(body(Json::kMaxBodyValues));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().reason(), "invalid_json");
  // Stored documents are never refused for their size.
  EXPECT_TRUE(Json::Parse(body(Json::kMaxBodyValues * 2)).ok());
}

TEST(JsonTest, DuplicateMemberNamesAreRefused) {
  auto small = Json::Parse(R"({"a":1,"b":2,"a":3})");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("\"a\""), std::string::npos);
  std::string big = "{";
  for (int i = 0; i < 1000; ++i) big += "\"k" + std::to_string(i) + "\":1,";
  EXPECT_TRUE(Json::Parse(big.substr(0, big.size() - 1) + "}").ok());
  EXPECT_FALSE(Json::Parse(big + "\"k500\":2}").ok());
}

// CONTRACT §7: parsing is linear. 200,000 members (about 2.4 MB) are parsed,
// compared and merge-patched; with a quadratic step each would take minutes.
// The test counts nothing against a clock: it finishes or times out.
TEST(JsonTest, LargeObjectsAreHandledInLinearTime) {
  std::string text = "{";
  for (int i = 0; i < 200000; ++i) {
    if (i) text += ",";
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  text += "}";
  auto a = Json::ParseBody(text);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->members().size(), 200000u);
  auto b = Json::Parse(text);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  Json patched = MergePatch(*a, *b);
  EXPECT_EQ(patched, *a);
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
TEST(MergeDiffTest, TurnsOneObjectIntoAnother) {
  Json from = Json::Parse(R"({"a": 1, "b": {"c": 2, "d": 3}, "e": 5})").value();
  Json to = Json::Parse(R"({"a": 1, "b": {"c": 2}, "f": [1]})").value();
  Json patch = MergeDiff(from, to);
  EXPECT_EQ(patch.Dump(), R"({"e":null,"b":{"d":null},"f":[1]})");
  EXPECT_EQ(MergePatch(from, patch), to);
  EXPECT_TRUE(MergeDiff(to, to).members().empty());
}

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

// A digest stands for a retry's comparison: equal exactly when operator==
// says so, whatever the member order or the way a number is written.
TEST(JsonDigestTest, EqualValuesEqualDigestsAndOnlyThose) {
  auto P = [](std::string_view text) { return Json::Parse(text).value(); };
  const std::vector<std::pair<std::string, std::string>> same = {
      {R"({"a":1,"b":[1,{"c":2}]})", R"({"b":[1,{"c":2}],"a":1})"},
      {R"({"n":1})", R"({"n":1.0})"},
      {R"({"n":1})", R"({"n":1e0})"},
      {R"({"n":99.95})", R"({"n":9995e-2})"},
      {R"({"n":0})", R"({"n":-0.0})"},
      {R"({"s":"é"})", "{\"s\":\"\xc3\xa9\"}"},
  };
  for (const auto& [a, b] : same) {
    ASSERT_EQ(P(a), P(b)) << a << " vs " << b;
    EXPECT_EQ(P(a).Digest(), P(b).Digest()) << a << " vs " << b;
  }
  const std::vector<std::pair<std::string, std::string>> different = {
      {R"({"n":0})", R"({"n":"0"})"},
      {R"({"n":1})", R"({"n":"1e0"})"},
      {R"({"n":1.5})", R"({"n":"15e-1"})"},
      {R"([1,2])", R"([2,1])"},
      {R"({"a":null})", R"({})"},
      {R"({"a":true})", R"({"a":"true"})"},
      {R"({"a":1})", R"({"a":1,"b":1})"},
      {R"({"a":{"b":1}})", R"({"a":{"b":2}})"},
  };
  for (const auto& [a, b] : different) {
    ASSERT_FALSE(P(a) == P(b)) << a << " vs " << b;
    EXPECT_NE(P(a).Digest(), P(b).Digest()) << a << " vs " << b;
    EXPECT_NE(P(a).CanonicalText(), P(b).CanonicalText()) << a << " vs " << b;
  }
}

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

// Every object member and every record's attributes hold a Json: its size
// is memory per object (docs/scaling.md).
TEST(JsonTest, AValueIsAtMost64Bytes) {
  EXPECT_LE(sizeof(Json), 64u);
  // Numbers keep one representation: an int64 reads back as a double, a
  // literal's double as an int.
  EXPECT_EQ(Json(int64_t{1} << 53).as_double(), 9007199254740992.0);
  EXPECT_EQ(Json(2.5).as_int(), 2);
  EXPECT_TRUE(Json(int64_t{3}) == Json(3.0));
  EXPECT_FALSE(Json(int64_t{3}) == Json(3.5));
  // Copies share an array until one changes.
  Json a = Json::MakeArray({Json(1), Json(2)});
  Json b = a;
  b.Push(Json(3));
  EXPECT_EQ(a.items().size(), 2u);
  EXPECT_EQ(b.items().size(), 3u);
  EXPECT_FALSE(a == b);
}

// How a value is held, beyond what == compares: int or literal, and order.
std::string Shape(const Json& v) {
  switch (v.type()) {
    case Json::Type::kNumber:
      return v.is_int() ? "i" + std::to_string(v.as_int()) : "n" + v.literal();
    case Json::Type::kArray: {
      std::string out = "[";
      for (const Json& item : v.items()) out += Shape(item) + ",";
      return out + "]";
    }
    case Json::Type::kObject: {
      std::string out = "{";
      for (const auto& [k, item] : v.members()) out += k + ":" + Shape(item) + ",";
      return out + "}";
    }
    default:
      return v.Dump();
  }
}

// A JsonBuilder gives exactly what writing the text and parsing it back
// gives: the same members in the same order, and each number held the same
// way (int64 or literal), computed doubles included.
TEST(JsonTextTest, KeepsTheCompactTextAndWritesItAsIs) {
  const char* text = R"({"size":42,"tags":["a","b"],"ratio":1.50,"big":123456789012345678901})";
  Json value = Json::Parse(text).value();
  JsonText kept(value);
  EXPECT_EQ(kept.Dump(), value.Dump());
  EXPECT_EQ(kept.value(), value);
  // Written into an answer exactly as kept; into a builder as the value.
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "attributes");
  kept.Write(w);
  w.EndObject();
  EXPECT_EQ(std::string(buf.GetString()), "{\"attributes\":" + value.Dump() + "}");
  JsonBuilder b;
  kept.Write(b);
  EXPECT_EQ(b.Take(), value);
  // Equal as values are, member order aside.
  EXPECT_EQ(JsonText(Json::Parse(R"({"a":1,"b":2})").value()),
            JsonText(Json::Parse(R"({"b":2,"a":1})").value()));
  EXPECT_FALSE(JsonText(Json::Parse(R"({"a":1})").value()) ==
               JsonText(Json::Parse(R"({"a":2})").value()));
  EXPECT_EQ(JsonText::FromDump("{}").value(), Json::MakeObject());
  EXPECT_TRUE(JsonText::FromDump("{broken").value().is_null());
}

TEST(JsonBuilderTest, BuildsWhatTheTextWouldParseTo) {
  std::vector<Json> values = {
      Json::Parse(R"({"a":[1,-0,1.0,1e2,0.1,18446744073709551615,-9223372036854775808],)"
                  R"("b":{"c":null,"d":true,"e":"\u00e9\n"},"f":[],"g":{}})").value(),
      Json(2.0),  // computed doubles: text makes them an int and a literal
      Json(0.1),
      Json(1e300),
      Json::MakeArray({Json(3.0), Json::MakeObject({{"x", Json(-2.5)}}), Json::Number("7")}),
      Json("plain"),
      Json(),
  };
  for (const Json& v : values) {
    JsonBuilder built;
    v.Write(built);
    JsonBuilder whole;
    whole.Value(v);
    Json parsed = Json::Parse(v.Dump()).value();
    EXPECT_EQ(Shape(built.Take()), Shape(parsed)) << v.Dump();
    EXPECT_EQ(Shape(whole.Take()), Shape(parsed)) << v.Dump();
  }
  // Writer calls: keys, nesting, raw numbers, and a double RapidJSON refuses.
  JsonBuilder b;
  b.StartObject();
  WriteKey(b, "list");
  b.StartArray();
  b.Int64(-4);
  b.RawValue("12.50", 5, rapidjson::kNumberType);
  b.Double(std::numeric_limits<double>::infinity());
  b.EndArray();
  WriteKey(b, "after");
  WriteString(b, "x");
  b.EndObject();
  EXPECT_EQ(Shape(b.Take()), "{list:[i-4,n12.50,null,],after:\"x\",}");
}

// A value given whole is shared, not copied, when text would not change it.
TEST(JsonBuilderTest, SharesAValueTextWouldNotChange) {
  Json big = Json::Parse(R"({"k":[1,2,{"deep":"yes"}]})").value();
  JsonBuilder b;
  b.StartArray();
  b.Value(big);
  b.EndArray();
  const Json out = b.Take();
  const Json& original = big;
  EXPECT_EQ(&out.items()[0].members(), &original.members());
}

// The room a parse keeps between parses holds no value once it is over,
// even when it failed part-way deep inside a wide body (a body built to
// fail at each depth once kept a whole body's values at each), and stays
// small whatever came before.
TEST(JsonTest, AParseKeepsNoValueAndLittleRoomAfterIt) {
  auto body = [](int depth, int values, bool fail) {
    std::string text;
    for (int d = 0; d < depth; ++d) text += "{\"a\":";
    text += "[";
    for (int i = 0; i < values; ++i) text += (i ? "," : "") + std::string("\"some text of a value\"");
    text += fail ? ",tru]" : "]";
    for (int d = 0; d < depth; ++d) text += "}";
    return text;
  };
  const size_t most = 2 * 8 * 64;  // two kinds, kDepths levels of kKeep slots
  for (int depth : {0, 1, 3, 7, 8, 20}) {
    SCOPED_TRACE(depth);
    EXPECT_FALSE(Json::ParseBody(body(depth, 20000, true)).ok());
    EXPECT_EQ(JsonScratchOnThisThread().values, 0u);
    EXPECT_LE(JsonScratchOnThisThread().slots, most);
    StatusOr<Json> ok = Json::ParseBody(body(depth, 20000, false));
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(JsonScratchOnThisThread().values, 0u);
    EXPECT_LE(JsonScratchOnThisThread().slots, most);
  }
  // Over the value budget, and a name twice deep inside: the same.
  EXPECT_FALSE(Json::Parse(body(4, 300, false), 64, 100).ok());
  EXPECT_FALSE(Json::ParseBody(R"({"a":[{"b":1,"c":{"d":1,"d":2}}]})").ok());
  EXPECT_EQ(JsonScratchOnThisThread().values, 0u);
  // And what comes after reads as it should.
  StatusOr<Json> after = Json::ParseBody(R"({"x":[1,{"y":2}],"z":{}})");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->Dump(), R"({"x":[1,{"y":2}],"z":{}})");
}

}  // namespace
}  // namespace cocreate
