// Randomized robustness test of request decoding: structurally valid JSON of
// random shape, and mutations of real bodies, fed to every decoder never
// crash and only ever fail with invalid_field naming a field.
#include <gtest/gtest.h>

#include <random>

#include "rules/commands.h"

namespace cocreate {
namespace {

Json RandomValue(std::mt19937& rng, int depth) {
  static const char* kKeys[] = {"id", "name", "owner", "kind", "provider", "service", "audience",
                                "goods", "access", "actions", "effect", "relationship", "action",
                                "creates", "modifies", "transfers", "used", "value", "costs",
                                "risks", "amount", "currency", "members", "consumer", "type",
                                "organization", "role", "attributes", "resource", "price"};
  switch (depth > 3 ? rng() % 4 : rng() % 6) {
    case 0: return Json();
    case 1: return Json(static_cast<int64_t>(rng() % 100) - 50);
    case 2: return Json(rng() % 2 == 0);
    case 3: {
      static const char* kStrings[] = {"x", "", "public", "create", "basic", "-bad", "EUR",
                                       "introduced", "viewer", "o1"};
      return Json(kStrings[rng() % 10]);
    }
    case 4: {
      Json a = Json::MakeArray();
      for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i) a.Push(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::MakeObject();
      for (int i = 0, n = static_cast<int>(rng() % 6); i < n; ++i) {
        o.Set(kKeys[rng() % std::size(kKeys)], RandomValue(rng, depth + 1));
      }
      return o;
    }
  }
}

TEST(CommandsFuzzTest, RandomBodiesDecodeOrNameTheirField) {
  std::mt19937 rng(11);
  int decoded = 0, refused = 0;
  for (int i = 0; i < 30000; ++i) {
    Json body = RandomValue(rng, 0);
    for (int n = 0; n < 7; ++n) {
      auto c = DecodeCreate(static_cast<Noun>(n), body);
      if (c.ok()) {
        ++decoded;
      } else {
        ASSERT_EQ(c.status().code(), Code::kInvalidArgument) << body.Dump();
        ASSERT_EQ(c.status().reason(), "invalid_field") << body.Dump();
        ++refused;
      }
    }
    auto t = DecodeIssueToken(body);
    if (!t.ok()) {
      ASSERT_EQ(t.status().reason(), "invalid_field") << body.Dump();
    }
  }
  EXPECT_GT(decoded, 10);
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace cocreate
