#include "graph/traversal.h"

#include <gtest/gtest.h>

#include <map>

#include "rules/testing.h"

namespace cocreate {
namespace {

using testing::Scenario;

// Org1 offers s1 (built on r1) through of1; Org2 consumes it, gets c1
// created, builds s2 on c1 and offers it to Org3.
class TraversalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Principal admin = Principal::Admin();
    for (auto org : {"o1", "o2", "o3"}) {
      ASSERT_TRUE(s_.Create(admin, Noun::kOrganization,
                            std::string(R"({"id":")") + org + R"(","name":"x"})").ok());
    }
    Ok(s_.Create(admin, Noun::kResource, R"({"id":"r1","owner":"o1","kind":"vm","name":"r"})"));
    Ok(s_.Create(admin, Noun::kService,
                 R"({"id":"s1","provider":"o1","name":"s","built_on":["r1"]})"));
    Ok(s_.Create(admin, Noun::kOffering,
                 R"({"id":"of1","provider":"o1","service":"s1","name":"o","audience":"public",
                     "access":[{"resource":"r1"}],
                     "actions":[{"name":"make","effect":"create"}]})"));
    Ok(s_.Create(admin, Noun::kRelationship,
                 R"({"id":"rel1","offering":"of1","consumer":"o2","type":"basic"})"));
    Ok(s_.Move(admin, "rel1", LifecycleVerb::kActivate));
    Ok(s_.Create(admin, Noun::kProvision,
                 R"({"id":"p1","relationship":"rel1","action":"make","used":["r1"],
                     "creates":[{"id":"c1","kind":"db","name":"c"}]})"));
    Ok(s_.Create(admin, Noun::kService,
                 R"({"id":"s2","provider":"o2","name":"s","built_on":["c1"]})"));
    Ok(s_.Create(admin, Noun::kOffering,
                 R"({"id":"of2","provider":"o2","service":"s2","name":"o","audience":"public"})"));
    Ok(s_.Create(admin, Noun::kRelationship,
                 R"({"id":"rel2","offering":"of2","consumer":"o3","type":"partnership"})"));
    Ok(s_.Move(admin, "rel2", LifecycleVerb::kActivate));
  }

  static void Ok(const StatusOr<Decision>& d) { ASSERT_TRUE(d.ok()) << d.status().ToString(); }

  std::map<std::string, int> Depths(const std::string& from, int max_depth = -1) {
    auto result = Impact(s_.state(), from, max_depth);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::map<std::string, int> out;
    for (const auto& n : result->nodes) out[n.id] = n.depth;
    return out;
  }

  Scenario s_;
};

TEST_F(TraversalTest, ImpactFollowsTheChainAcrossOrganizations) {
  std::map<std::string, int> expected = {{"s1", 1}, {"of1", 1}, {"rel1", 2}, {"o2", 3},
                                         {"c1", 3}, {"s2", 4},  {"of2", 5},  {"rel2", 6},
                                         {"o3", 7}};
  EXPECT_EQ(Depths("r1"), expected);
}

TEST_F(TraversalTest, DepthBoundsTheWalk) {
  std::map<std::string, int> expected = {{"s1", 1}, {"of1", 1}, {"rel1", 2}};
  EXPECT_EQ(Depths("r1", 2), expected);
  EXPECT_TRUE(Depths("r1", 0).empty());
}

TEST_F(TraversalTest, OrganizationStartsAtItsResourcesAndServices) {
  auto d = Depths("o1");
  EXPECT_EQ(d["r1"], 1);
  EXPECT_EQ(d["s1"], 1);
  EXPECT_EQ(d["o3"], 8);  // s1 (1) → of1 → rel1 → c1 → s2 → of2 → rel2 → o3 (8)
  EXPECT_EQ(d.count("o1"), 0u);
}

TEST_F(TraversalTest, ProvisionStartsAtWhatItTouched) {
  auto d = Depths("p1");
  EXPECT_EQ(d["c1"], 1);
  EXPECT_EQ(d["o3"], 5);
  EXPECT_EQ(d.count("r1"), 0u);  // used is provenance only
}

TEST_F(TraversalTest, ExplainPathIsAShortestPath) {
  auto result = Impact(s_.state(), "r1", -1).value();
  for (size_t i = 0; i < result.nodes.size(); ++i) {
    auto path = result.PathTo(i);
    EXPECT_EQ(path.front(), "r1");
    EXPECT_EQ(path.back(), result.nodes[i].id);
    EXPECT_EQ(static_cast<int>(path.size()) - 1, result.nodes[i].depth);
  }
}

TEST_F(TraversalTest, TerminatedRelationshipsStopTheWalk) {
  Ok(s_.Move(Principal::Admin(), "rel2", LifecycleVerb::kTerminate));
  auto d = Depths("r1");
  EXPECT_EQ(d.count("rel2"), 0u);
  EXPECT_EQ(d.count("o3"), 0u);
}

TEST_F(TraversalTest, ImpactErrors) {
  EXPECT_EQ(Impact(s_.state(), "nope", -1).status().code(), Code::kNotFound);
  Ok(s_.Create(Principal::Admin(), Noun::kConsumerGroup, R"({"id":"g","name":"g","members":[]})"));
  auto r = Impact(s_.state(), "g", -1);
  EXPECT_EQ(r.status().code(), Code::kUnprocessable);
  EXPECT_EQ(r.status().reason(), "invalid_start");
}

TEST_F(TraversalTest, LineageWalksUpstream) {
  auto l = Lineage(s_.state(), "c1").value();
  EXPECT_EQ(l.provisions, std::vector<std::string>{"p1"});
  EXPECT_EQ(l.relationships, std::vector<std::string>{"rel1"});
  EXPECT_EQ(l.offerings, std::vector<std::string>{"of1"});
  EXPECT_EQ(l.services, std::vector<std::string>{"s1"});
  EXPECT_EQ(l.resources, std::vector<std::string>{"r1"});
  EXPECT_EQ(l.organizations, std::vector<std::string>{"o1"});
  EXPECT_EQ(Lineage(s_.state(), "s1").status().code(), Code::kNotFound);
}

TEST_F(TraversalTest, LineageOfAnUntouchedResourceIsEmpty) {
  auto l = Lineage(s_.state(), "r1").value();
  EXPECT_TRUE(l.provisions.empty());
  EXPECT_TRUE(l.organizations.empty());
}

}  // namespace
}  // namespace cocreate
