#include "model/id.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cocreate {
namespace {

TEST(IdTest, EqualTextsShareOneHandle) {
  Id a("id-test-a"), b("id-test-b"), a2(std::string("id-test-a"));
  EXPECT_EQ(a, a2);
  EXPECT_EQ(a.index(), a2.index());
  EXPECT_NE(a, b);
  EXPECT_EQ(a.str(), "id-test-a");
  EXPECT_EQ(a, "id-test-a");
  EXPECT_EQ(a, std::string("id-test-a"));
  EXPECT_EQ(a + "/x", "id-test-a/x");
  EXPECT_EQ(std::string("x/") + b, "x/id-test-b");
}

TEST(IdTest, FindLooksUpWithoutInterning) {
  const size_t before = Id::Count();
  EXPECT_FALSE(Id::Find("id-test-find-9a2e").has_value());
  EXPECT_EQ(Id::Count(), before);
  Id made("id-test-find-9a2e");
  ASSERT_TRUE(Id::Find("id-test-find-9a2e").has_value());
  EXPECT_EQ(*Id::Find("id-test-find-9a2e"), made);
  EXPECT_EQ(Id::Find("")->index(), 0u);
}

TEST(IdTest, TheEmptyIdIsTheDefault) {
  const size_t before = Id::Count();
  Id empty(""), none;
  EXPECT_EQ(empty, none);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.str(), "");
  EXPECT_EQ(Id::Count(), before);
}

TEST(IdTest, OrderedAndComparedByText) {
  Id z("id-test-z"), m("id-test-m");
  EXPECT_TRUE(m < z);
  EXPECT_FALSE(z < m);
  EXPECT_FALSE(m < m);
  IdList ids = Intern({"id-test-m", "id-test-z"});
  EXPECT_EQ(ids, (std::vector<std::string>{"id-test-m", "id-test-z"}));
  EXPECT_FALSE(ids == (std::vector<std::string>{"id-test-m"}));
  EXPECT_EQ(Texts(ids), (std::vector<std::string>{"id-test-m", "id-test-z"}));
}

TEST(IdTest, ManyIdsAcrossChunksAndGrowthKeepTheirText) {
  // More than one chunk (16,384) and several table growths.
  std::vector<Id> ids;
  for (int i = 0; i < 40000; ++i) ids.emplace_back("id-test-many-" + std::to_string(i));
  for (int i = 0; i < 40000; ++i) {
    ASSERT_EQ(ids[i].str(), "id-test-many-" + std::to_string(i));
    ASSERT_EQ(Id("id-test-many-" + std::to_string(i)), ids[i]);
  }
  std::set<uint32_t> distinct;
  for (Id id : ids) distinct.insert(id.index());
  EXPECT_EQ(distinct.size(), ids.size());
}

TEST(IdTest, ReadersNeverSeeATextMoveWhileOthersIntern) {
  // A reader holds references to texts while two writers intern (and grow
  // the table and add chunks); every text reads back unchanged.
  std::vector<Id> held;
  for (int i = 0; i < 1000; ++i) held.emplace_back("id-test-held-" + std::to_string(i));
  std::vector<const std::string*> refs;
  for (Id id : held) refs.push_back(&id.str());
  std::vector<std::thread> writers;
  std::vector<std::vector<Id>> made(2);
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([w, &made] {
      for (int i = 0; i < 30000; ++i) {
        // Both writers intern the same texts: each text gets one handle.
        made[w].emplace_back("id-test-race-" + std::to_string(i));
      }
    });
  }
  for (int round = 0; round < 50; ++round) {
    for (size_t i = 0; i < refs.size(); ++i) {
      ASSERT_EQ(*refs[i], "id-test-held-" + std::to_string(i));
    }
  }
  for (auto& t : writers) t.join();
  for (int i = 0; i < 30000; ++i) {
    ASSERT_EQ(made[0][i], made[1][i]);
    ASSERT_EQ(made[0][i].str(), "id-test-race-" + std::to_string(i));
  }
}

}  // namespace
}  // namespace cocreate
