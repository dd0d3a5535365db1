#include "graph/questions.h"
#include "graph/traversal.h"

#include <gtest/gtest.h>

#include "rules/testing.h"

namespace cocreate {
namespace {

using testing::Scenario;

// Builds organizations o1..oN and, per call to Link, an offering of `from`
// consumed by `to` through an active relationship.
class QuestionsTest : public ::testing::Test {
 protected:
  void Org(const std::string& id) {
    ASSERT_TRUE(s_.Create(admin_, Noun::kOrganization, R"({"id":")" + id + R"(","name":"n"})").ok());
  }
  std::string Link(const std::string& from, const std::string& to, bool activate = true) {
    std::string n = std::to_string(++links_);
    std::string svc = "s" + n, off = "of" + n, rel = "rel" + n;
    EXPECT_TRUE(s_.Create(admin_, Noun::kService,
                          R"({"id":")" + svc + R"(","provider":")" + from + R"(","name":"s"})")
                    .ok());
    EXPECT_TRUE(s_.Create(admin_, Noun::kOffering,
                          R"({"id":")" + off + R"(","provider":")" + from + R"(","service":")" +
                              svc + R"(","name":"o","audience":"public"})")
                    .ok());
    EXPECT_TRUE(s_.Create(admin_, Noun::kRelationship,
                          R"({"id":")" + rel + R"(","offering":")" + off + R"(","consumer":")" +
                              to + R"(","type":"basic"})")
                    .ok());
    if (activate) {
      EXPECT_TRUE(s_.Move(admin_, rel, LifecycleVerb::kActivate).ok());
    }
    return rel;
  }
  Scenario s_;
  Principal admin_ = Principal::Admin();
  int links_ = 0;
};

TEST_F(QuestionsTest, ChainsShortestFirst) {
  for (auto o : {"a", "b", "c", "d"}) Org(o);
  std::string ab = Link("a", "b"), bc = Link("b", "c"), cd = Link("c", "d"), ad = Link("a", "d");
  auto chains = Chains(s_.state(), "a", "d", 10).value();
  ASSERT_EQ(chains.size(), 2u);
  EXPECT_EQ(chains[0].organizations, (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(chains[0].relationships, (std::vector<std::string>{ad}));
  EXPECT_EQ(chains[1].organizations, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(chains[1].relationships, (std::vector<std::string>{ab, bc, cd}));
  EXPECT_EQ(Chains(s_.state(), "a", "d", 1).value().size(), 1u);
  EXPECT_TRUE(Chains(s_.state(), "d", "a", 10).value().empty());
  EXPECT_EQ(Chains(s_.state(), "a", "zz", 10).status().code(), Code::kNotFound);
}

TEST_F(QuestionsTest, InactiveRelationshipsMakeNoChain) {
  Org("a");
  Org("b");
  Link("a", "b", /*activate=*/false);
  EXPECT_TRUE(Chains(s_.state(), "a", "b", 10).value().empty());
}

TEST_F(QuestionsTest, CyclesAreStronglyConnectedComponents) {
  for (auto o : {"a", "b", "c", "d", "e"}) Org(o);
  std::string ab = Link("a", "b"), bc = Link("b", "c"), ca = Link("c", "a");
  Link("c", "d");  // d hangs off the cycle
  std::string de = Link("d", "e"), ed = Link("e", "d");
  auto cycles = Cycles(s_.state());
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0].organizations, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(cycles[0].relationships, (std::vector<std::string>{ab, bc, ca}));
  EXPECT_EQ(cycles[1].organizations, (std::vector<std::string>{"d", "e"}));
  EXPECT_EQ(cycles[1].relationships, (std::vector<std::string>{de, ed}));
  ASSERT_TRUE(s_.Move(admin_, ca, LifecycleVerb::kSuspend).ok());
  EXPECT_EQ(Cycles(s_.state()).size(), 1u);
}

TEST_F(QuestionsTest, ConcentrationCountsDistinctOrganizationsReached) {
  for (auto o : {"a", "b", "c"}) Org(o);
  Link("a", "b");
  Link("a", "c");
  auto result = Concentrations(s_.state());
  EXPECT_TRUE(result.exact);
  EXPECT_EQ(result.candidates, 6);  // 2 services, 2 offerings, 2 relationships
  ASSERT_FALSE(result.items.empty());
  for (size_t i = 1; i < result.items.size(); ++i) {
    EXPECT_GE(result.items[i - 1].consumers_reached, result.items[i].consumers_reached);
  }
  for (const auto& item : result.items) EXPECT_EQ(item.consumers_reached, 1) << item.id;
}

TEST_F(QuestionsTest, ConcentrationSamplesOverBudget) {
  for (auto o : {"a", "b", "c"}) Org(o);
  Link("a", "b");
  Link("a", "c");
  auto result = Concentrations(s_.state(), /*budget=*/20);
  EXPECT_FALSE(result.exact);
  EXPECT_LT(result.measured, result.candidates);
  EXPECT_GE(result.measured, 1);
}

}  // namespace
}  // namespace cocreate
