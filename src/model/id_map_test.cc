#include "model/id_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "model/binary.h"

namespace cocreate {
namespace {

Id Key(int i) { return Id("id-map-test-" + std::to_string(i)); }

// Every operation, checked against std::map as it grows through many
// rehashes, with keys interned in an order unlike the insertions'.
TEST(IdMapTest, AgreesWithAStdMap) {
  std::vector<Id> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(Key(i));
  std::mt19937_64 rng(11);
  std::shuffle(keys.begin(), keys.end(), rng);
  IdMap<std::string> map;
  std::map<uint32_t, std::string> want;
  std::vector<Id> order;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Id k = keys[rng() % keys.size()];
    if (map.find(k) == map.end()) order.push_back(k);
    map[k] += std::to_string(i) + ",";
    want[k.index()] += std::to_string(i) + ",";
  }
  ASSERT_EQ(map.size(), want.size());
  for (Id k : keys) {
    auto it = map.find(k);
    auto w = want.find(k.index());
    ASSERT_EQ(it == map.end(), w == want.end()) << k.str();
    EXPECT_EQ(map.count(k), w == want.end() ? 0u : 1u);
    if (w != want.end()) {
      EXPECT_EQ(it->first, k);
      EXPECT_EQ(it->second, w->second);
    }
  }
  // Iteration is in the order of insertion, each record once.
  size_t i = 0;
  for (const auto& [k, v] : map) {
    ASSERT_LT(i, order.size());
    EXPECT_EQ(k, order[i++]);
  }
  EXPECT_EQ(i, order.size());
  EXPECT_EQ(map.find(Id()), map.end());
}

// Growing the table moves no record: what a reader holds stays valid (the
// state hands out pointers to records).
TEST(IdMapTest, RecordsNeverMove) {
  IdMap<std::vector<int>> map;
  std::vector<const std::vector<int>*> held;
  for (int i = 0; i < 3000; ++i) {
    map[Key(i)] = {i, i + 1};
    held.push_back(&map.find(Key(i))->second);
  }
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(held[i], &map.find(Key(i))->second);
    EXPECT_EQ((*held[i])[0], i);
  }
}

// A miss is end(), and stays end() when the map grows (as with
// std::unordered_map, whose end() an insert does not move).
TEST(IdMapTest, EndStaysEnd) {
  IdMap<int> map;
  EXPECT_EQ(map.begin(), map.end());
  const auto miss = map.find(Key(7001));
  for (int i = 0; i < 600; ++i) map[Key(7000 + i * 3)] = i;
  EXPECT_EQ(miss, map.end());
  EXPECT_EQ(map.find(Key(7001)), map.end());
  int n = 0;
  for (auto it = map.begin(); it != map.end(); ++it) ++n;
  EXPECT_EQ(n, 600);
}

TEST(IdMapTest, CopiesMovesAndClears) {
  IdMap<std::string> a;
  for (int i = 0; i < 700; ++i) a[Key(i)] = std::string(40, static_cast<char>('a' + i % 26));
  IdMap<std::string> b = a;
  EXPECT_EQ(b.size(), 700u);
  EXPECT_EQ(b.find(Key(3))->second, a.find(Key(3))->second);
  b[Key(3)] = "changed";
  EXPECT_NE(a.find(Key(3))->second, "changed");
  IdMap<std::string> c = std::move(b);
  EXPECT_EQ(c.find(Key(3))->second, "changed");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  c = std::move(a);
  EXPECT_EQ(c.size(), 700u);
  EXPECT_NE(c.find(Key(3))->second, "changed");
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.find(Key(3)), c.end());
  c[Key(1)] = "again";
  EXPECT_EQ(c.size(), 1u);
  c.reserve(10000);
  EXPECT_EQ(c.find(Key(1))->second, "again");
}

// Checkpoints write it as they wrote the hash maps: in iteration order, or
// sorted by key text when canonical; it reads back equal.
TEST(IdMapTest, ArchivesAndReadsBack) {
  IdMap<std::string> map;
  for (int i = 40; i > 0; --i) map[Key(i)] = std::to_string(i * i);
  std::string bytes;
  BinaryWriter w(bytes);
  Archive(w, map);
  BinaryReader r(bytes);
  IdMap<std::string> back;
  Archive(r, back);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(back.size(), map.size());
  auto it = back.begin();
  for (const auto& [k, v] : map) {
    EXPECT_EQ(it->first, k);
    EXPECT_EQ(it->second, v);
    ++it;
  }
  std::string canonical;
  BinaryWriter cw(canonical);
  cw.canonical = true;
  Archive(cw, map);
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : map) sorted[k.str()] = v;
  std::string want;
  BinaryWriter ww(want);
  ww.canonical = true;
  Archive(ww, sorted);
  EXPECT_NE(canonical, bytes);  // (inserted in descending order)
  EXPECT_EQ(canonical, want);
}

}  // namespace
}  // namespace cocreate
