// The reference walks (traversal.h) and lineage (lineage.h) share this
// fixture's chain of three organizations.
#include "graph/traversal.h"
#include "graph/lineage.h"

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

  StatusOr<Decision> Patch(Noun noun, const std::string& id, std::string_view body) {
    return s_.Run(Principal::Admin(), DecodePatch(noun, id, Json::Parse(body).value()));
  }

  // "id" or "id@version" for each item.
  static std::vector<std::string> Ids(const std::vector<LineageItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) {
      out.push_back(i.version == 0 ? i.id : i.id + "@" + std::to_string(i.version));
    }
    return out;
  }

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
  EXPECT_EQ(l.version, 1);
  EXPECT_EQ(Ids(l.provisions), std::vector<std::string>{"p1"});
  EXPECT_EQ(Ids(l.relationships), std::vector<std::string>{"rel1"});
  EXPECT_EQ(Ids(l.offerings), std::vector<std::string>{"of1@1"});
  EXPECT_EQ(Ids(l.services), std::vector<std::string>{"s1"});
  EXPECT_EQ(Ids(l.resources), std::vector<std::string>{"r1@1"});
  EXPECT_EQ(l.organizations, std::vector<std::string>{"o1"});
  EXPECT_EQ(Lineage(s_.state(), "s1").status().code(), Code::kNotFound);
  EXPECT_EQ(Lineage(s_.state(), "c1", 2).status().code(), Code::kNotFound);
}

TEST_F(TraversalTest, LineageOfAnUntouchedResourceIsEmpty) {
  auto l = Lineage(s_.state(), "r1").value();
  EXPECT_TRUE(l.provisions.empty());
  EXPECT_TRUE(l.organizations.empty());
}

// Between c1's versions 1 and 2, s1 moved from r1 to r1b and r1 was
// revised: each version's lineage shows things as they stood when the
// provision that made it ran, and nothing later.
TEST_F(TraversalTest, LineageAsOfAVersionFollowsTime) {
  Principal admin = Principal::Admin();
  Ok(s_.Create(admin, Noun::kResource, R"({"id":"r1b","owner":"o1","kind":"vm","name":"b"})"));
  Ok(Patch(Noun::kService, "s1", R"({"built_on":["r1b"]})"));
  Ok(Patch(Noun::kOffering, "of1",
           R"({"actions":[{"name":"make","effect":"create"},{"name":"tune","effect":"modify"}]})"));
  Ok(s_.Run(admin, DecodeRevision("r1", Json::Parse(R"({"attributes":{"x":1}})").value())));
  Ok(s_.Create(admin, Noun::kProvision,
               R"({"id":"p3","relationship":"rel1","action":"tune","used":["r1"],
                   "modifies":[{"resource":"c1","attributes":{"tuned":true}}]})"));
  ASSERT_EQ(s_.state().FindResource("c1")->current().version, 2);

  auto v1 = Lineage(s_.state(), "c1", 1).value();
  EXPECT_EQ(Ids(v1.provisions), std::vector<std::string>{"p1"});
  EXPECT_EQ(Ids(v1.offerings), std::vector<std::string>{"of1@1"});
  EXPECT_EQ(Ids(v1.services), std::vector<std::string>{"s1"});
  EXPECT_EQ(Ids(v1.resources), std::vector<std::string>{"r1@1"});

  for (int64_t latest : {0, 2}) {
    auto v2 = Lineage(s_.state(), "c1", latest).value();
    EXPECT_EQ(v2.version, 2);
    EXPECT_EQ(Ids(v2.provisions), (std::vector<std::string>{"p1", "p3"}));
    EXPECT_EQ(Ids(v2.relationships), std::vector<std::string>{"rel1"});
    EXPECT_EQ(Ids(v2.offerings), (std::vector<std::string>{"of1@1", "of1@2"}));
    EXPECT_EQ(Ids(v2.services), std::vector<std::string>{"s1"});
    // p1 used r1 at version 1 when s1 stood on it; p3 used r1 at version 2
    // when s1 stood on r1b.
    EXPECT_EQ(Ids(v2.resources), (std::vector<std::string>{"r1@1", "r1@2", "r1b@1"}));
    EXPECT_EQ(v2.organizations, std::vector<std::string>{"o1"});
  }
}

// o2 passes d1, obtained through rel1, on to o3 through rel3; then retires
// c1: rel1 reaches neither any more (CONTRACT §3).
TEST_F(TraversalTest, ImpactThroughARelationshipFollowsOwnership) {
  Principal admin = Principal::Admin();
  Ok(s_.Create(admin, Noun::kResource, R"({"id":"d1","owner":"o1","kind":"device","name":"d"})"));
  const char* give = R"({"goods":[{"kind":"device","name":"device"}],
      "actions":[{"name":"make","effect":"create"},{"name":"give","effect":"transfer"}]})";
  Ok(Patch(Noun::kOffering, "of1", give));
  Ok(Patch(Noun::kOffering, "of2", give));
  Ok(s_.Create(admin, Noun::kProvision,
               R"({"id":"p2","relationship":"rel1","action":"give","transfers":["d1"]})"));
  std::map<std::string, int> before = {{"o2", 1}, {"c1", 1}, {"d1", 1}, {"s2", 2},
                                       {"of2", 3}, {"rel2", 4}, {"o3", 5}};
  EXPECT_EQ(Depths("rel1"), before);

  Ok(s_.Create(admin, Noun::kProvision,
               R"({"id":"p4","relationship":"rel2","action":"give","transfers":["d1"]})"));
  std::map<std::string, int> transferred = {{"o2", 1}, {"c1", 1}, {"s2", 2},
                                            {"of2", 3}, {"rel2", 4}, {"o3", 5}, {"d1", 5}};
  EXPECT_EQ(Depths("rel1"), transferred) << "d1 is reached through rel2 only";
  EXPECT_EQ(Depths("rel2"), (std::map<std::string, int>{{"o3", 1}, {"d1", 1}}));

  Ok(Patch(Noun::kService, "s2", R"({"built_on":[]})"));
  Ok(s_.Run(admin, DecodeRetire(Noun::kResource, "c1", nullptr)));
  EXPECT_EQ(Depths("rel1"), (std::map<std::string, int>{{"o2", 1}}));
  // A provision still starts at what it touched.
  EXPECT_EQ(Depths("p1"), (std::map<std::string, int>{{"c1", 1}}));
}

}  // namespace
}  // namespace cocreate
