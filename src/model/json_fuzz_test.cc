// Randomized robustness test of the JSON parser (a deterministic stand-in for
// a coverage-guided fuzzer, run in every build including ASan+UBSan): byte
// mutations of seed documents never crash, every failure is invalid_json,
// and every success survives a Dump/Parse round trip unchanged.
#include <gtest/gtest.h>

#include <random>

#include "model/json.h"

namespace cocreate {
namespace {

const char* kSeeds[] = {
    R"({"id":"r1","owner":"o1","kind":"vm","name":"n","attributes":{"a":[1,2.5,-3e10,true,null]}})",
    R"([{"name":"x\u00e9\n","effect":"create"},{"n":{"m":{"o":[]}}}])",
    R"("just a string with \"escapes\" and \\ slashes")",
    R"({"value":{"costs":[{"amount":12.75,"currency":"EUR","kind":"introduced"}]}})",
    "123456789012345678901234567890",
    "[[[[[[]]]]]]",
};

std::string Mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 4), byte(0, 255);
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    size_t at = s.empty() ? 0 : rng() % s.size();
    switch (op(rng)) {
      case 0: if (!s.empty()) s[at] = static_cast<char>(byte(rng)); break;
      case 1: s.insert(at, 1, "{}[],:\"\\0.-e"[rng() % 12]); break;
      case 2: if (!s.empty()) s.erase(at, 1 + rng() % 3); break;
      case 3: s.insert(at, s.substr(at, rng() % 8)); break;
      case 4: s.resize(at); break;
    }
  }
  return s;
}

TEST(JsonFuzzTest, MutatedDocumentsNeverCrashAndRoundTrip) {
  std::mt19937 rng(7);
  int parsed = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input = Mutate(kSeeds[i % std::size(kSeeds)], rng);
    auto j = Json::Parse(input);
    if (!j.ok()) {
      ASSERT_EQ(j.status().reason(), "invalid_json") << input;
      ++refused;
      continue;
    }
    ++parsed;
    auto again = Json::Parse(j->Dump());
    ASSERT_TRUE(again.ok()) << j->Dump();
    ASSERT_TRUE(*again == *j) << input;
  }
  // Both outcomes must actually be exercised.
  EXPECT_GT(parsed, 1000);
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace cocreate
