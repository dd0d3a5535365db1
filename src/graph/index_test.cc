// GraphIndex under change (CONTRACT §5): edges removed and added again,
// live (tombstones and overlay), after a fold, and when built in bulk; and
// impact through a relationship only to what its consumer still owns.
#include "graph/index.h"

#include <gtest/gtest.h>

#include <map>

#include "rules/testing.h"

namespace cocreate {
namespace {

using testing::Scenario;
using Depths = std::map<std::string, int>;

// o1 runs s1 on r1 and offers it (of1) to o2; o2 got c1 created, runs s2 on
// c1 and s3 depending on s2, and offers s2 (of2) to o3.
class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Principal admin = Principal::Admin();
    for (auto org : {"o1", "o2", "o3"}) {
      Ok(s_.Create(admin, Noun::kOrganization,
                   std::string(R"({"id":")") + org + R"(","name":"x"})"));
    }
    Ok(s_.Create(admin, Noun::kResource, R"({"id":"r1","owner":"o1","kind":"vm","name":"r"})"));
    Ok(s_.Create(admin, Noun::kResource, R"({"id":"r2","owner":"o1","kind":"vm","name":"r"})"));
    Ok(s_.Create(admin, Noun::kResource,
                 R"({"id":"d1","owner":"o1","kind":"device","name":"d"})"));
    Ok(s_.Create(admin, Noun::kService,
                 R"({"id":"s1","provider":"o1","name":"s","built_on":["r1"]})"));
    const char* actions = R"("goods":[{"kind":"device","name":"device"}],
        "actions":[{"name":"make","effect":"create"},{"name":"give","effect":"transfer"}])";
    Ok(s_.Create(admin, Noun::kOffering,
                 std::string(R"({"id":"of1","provider":"o1","service":"s1","name":"o",
                     "audience":"public","access":[{"resource":"r1"}],)") + actions + "}"));
    Ok(s_.Create(admin, Noun::kRelationship,
                 R"({"id":"rel1","offering":"of1","consumer":"o2","type":"basic"})"));
    Ok(s_.Move(admin, "rel1", LifecycleVerb::kActivate));
    Ok(s_.Create(admin, Noun::kProvision,
                 R"({"id":"p1","relationship":"rel1","action":"make",
                     "creates":[{"id":"c1","kind":"db","name":"c"}]})"));
    Ok(s_.Create(admin, Noun::kProvision,
                 R"({"id":"p2","relationship":"rel1","action":"give","transfers":["d1"]})"));
    Ok(s_.Create(admin, Noun::kService,
                 R"({"id":"s2","provider":"o2","name":"s","built_on":["c1"]})"));
    Ok(s_.Create(admin, Noun::kService,
                 R"({"id":"s3","provider":"o2","name":"s","depends_on":["s2"]})"));
    Ok(s_.Create(admin, Noun::kOffering,
                 std::string(R"({"id":"of2","provider":"o2","service":"s2","name":"o",
                     "audience":"public",)") + actions + "}"));
    Ok(s_.Create(admin, Noun::kRelationship,
                 R"({"id":"rel2","offering":"of2","consumer":"o3","type":"basic"})"));
    Ok(s_.Move(admin, "rel2", LifecycleVerb::kActivate));
    Sync();
  }

  static void Ok(const StatusOr<Decision>& d) { ASSERT_TRUE(d.ok()) << d.status().ToString(); }

  void Patch(Noun noun, const std::string& id, std::string_view body) {
    Ok(s_.Run(Principal::Admin(), DecodePatch(noun, id, Json::Parse(body).value())));
    Sync();
  }
  void Run(StatusOr<Command> c) {
    Ok(s_.Run(Principal::Admin(), std::move(c)));
    Sync();
  }
  // Applies the events the live index has not seen yet.
  void Sync() {
    const auto& events = s_.events();
    for (; applied_ < events.size(); ++applied_) live_.Apply(events[applied_], s_.state());
  }

  static Depths Walk(const GraphIndex& g, const std::string& from) {
    Reached reached;
    g.WalkDownstream({}, g.Find(from), -1, false, reached, /*expand_exclude=*/true);
    Depths out;
    for (size_t i = 0; i < reached.nodes.size(); ++i) {
      out[std::string(g.Id(reached.nodes[i]))] = static_cast<int>(reached.DepthOf(i));
    }
    return out;
  }
  static std::vector<std::string> Up(const GraphIndex& g, const std::string& from) {
    std::vector<NodeId> nodes;
    g.WalkUpstream(g.Find(from), nodes);
    std::vector<std::string> out;
    for (NodeId n : nodes) out.emplace_back(g.Id(n));
    std::sort(out.begin(), out.end());
    return out;
  }
  // The same walk on the live index, the live index folded, and an index
  // built in bulk from every event.
  void ExpectEverywhere(const std::string& from, const Depths& expected) {
    EXPECT_EQ(Walk(live_, from), expected) << "live, from " << from;
    GraphIndex bulk;
    bulk.BeginBulk();
    for (const Event& e : s_.events()) bulk.Apply(e, s_.state());
    bulk.EndBulk();
    EXPECT_EQ(Walk(bulk, from), expected) << "bulk, from " << from;
    EXPECT_EQ(Up(bulk, "s3"), Up(live_, "s3"));
  }
  // Folds every change into the base at once (as after a bulk load).
  void Fold() {
    live_.EndBulk();
    EXPECT_EQ(live_.overlay_edges(), 0u);
  }

  Scenario s_;
  GraphIndex live_;
  size_t applied_ = 0;
};

const Depths kFromC1 = {{"s2", 1}, {"s3", 2}, {"of2", 2}, {"rel2", 3}, {"o3", 4}};

TEST_F(IndexTest, AnEdgeRemovedThenAddedAgain) {
  ExpectEverywhere("c1", kFromC1);
  Patch(Noun::kService, "s2", R"({"built_on":[]})");
  ExpectEverywhere("c1", {});
  EXPECT_EQ(Up(live_, "s3"), std::vector<std::string>{"s2"});
  Patch(Noun::kService, "s2", R"({"built_on":["c1"]})");
  ExpectEverywhere("c1", kFromC1);
  EXPECT_EQ(Up(live_, "s3"),
            (std::vector<std::string>{"c1", "of1", "p1", "r1", "rel1", "s1", "s2"}));
}

TEST_F(IndexTest, RemovalsSurviveAFoldAndReAddingAfterIt) {
  Patch(Noun::kService, "s3", R"({"depends_on":[]})");
  Fold();
  ExpectEverywhere("c1", {{"s2", 1}, {"of2", 2}, {"rel2", 3}, {"o3", 4}});
  Patch(Noun::kService, "s3", R"({"depends_on":["s2"]})");
  ExpectEverywhere("c1", kFromC1);
  Fold();
  ExpectEverywhere("c1", kFromC1);
  // Removed and added again with a fold in between: once, not twice.
  Reached reached;
  live_.WalkDownstream({}, live_.Find("s2"), -1, false, reached, true);
  EXPECT_EQ(reached.by_noun[static_cast<int>(Noun::kService)], 1);
}

TEST_F(IndexTest, OfferingAccessShrinksAndGrows) {
  ExpectEverywhere("r2", {});
  Patch(Noun::kOffering, "of1", R"({"access":[{"resource":"r2"}]})");
  Depths via_of1 = {{"of1", 1}, {"rel1", 2}, {"o2", 3}, {"c1", 3}, {"d1", 3},
                    {"s2", 4},  {"s3", 5},   {"of2", 5}, {"rel2", 6}, {"o3", 7}};
  ExpectEverywhere("r2", via_of1);
  Depths r1 = {{"s1", 1}};
  for (const auto& [id, d] : via_of1) r1[id] = d;  // through s1 → of1, same depths
  r1.erase("of1");
  r1["of1"] = 2;
  for (auto& [id, d] : r1) {
    if (id != "s1" && id != "of1") d += 1;
  }
  ExpectEverywhere("r1", r1);
}

TEST_F(IndexTest, ARelationshipReachesOnlyWhatItsConsumerStillOwns) {
  Depths all = {{"o2", 1}, {"c1", 1}, {"d1", 1}, {"s2", 2}, {"s3", 3}, {"of2", 3},
                {"rel2", 4}, {"o3", 5}};
  ExpectEverywhere("rel1", all);
  // o2 passes d1 on to o3: rel1 no longer reaches it, rel2 does.
  Run(DecodeCreate(Noun::kProvision, Json::Parse(R"({"id":"p3","relationship":"rel2",
      "action":"give","transfers":["d1"]})").value()));
  all.erase("d1");
  all["d1"] = 5;
  ExpectEverywhere("rel1", all);
  ExpectEverywhere("rel2", {{"o3", 1}, {"d1", 1}});
  // o2 retires c1 (after s2 stops standing on it): rel1 reaches only o2.
  Patch(Noun::kService, "s2", R"({"built_on":[]})");
  Run(DecodeRetire(Noun::kResource, "c1", nullptr));
  ExpectEverywhere("rel1", {{"o2", 1}});
  Fold();
  ExpectEverywhere("rel1", {{"o2", 1}});
  // From the provision itself, what it touched.
  ExpectEverywhere("p1", {{"c1", 1}});
}

// A snapshot answers as the index did when it was taken, overlay and
// tombstones included, while the index changes on and folds.
TEST_F(IndexTest, ASnapshotKeepsAnsweringAsTheIndexDidWhenTaken) {
  Patch(Noun::kService, "s3", R"({"depends_on":[]})");  // a tombstone in the live index
  const Depths before = {{"s2", 1}, {"of2", 2}, {"rel2", 3}, {"o3", 4}};
  ExpectEverywhere("c1", before);
  const std::vector<std::string> up_before = Up(live_, "s3");
  GraphIndex snapshot = live_.Snapshot();
  EXPECT_EQ(Walk(snapshot, "c1"), before);
  EXPECT_EQ(Up(snapshot, "s3"), up_before);
  EXPECT_EQ(snapshot.nodes(), live_.nodes());
  EXPECT_EQ(snapshot.edges(), live_.edges());
  // The index changes: s3 depends on s2 again, and a new service on c1.
  Patch(Noun::kService, "s3", R"({"depends_on":["s2"]})");
  Ok(s_.Create(Principal::Admin(), Noun::kService,
               R"({"id":"s4","provider":"o2","name":"s","built_on":["c1"]})"));
  Sync();
  Depths after = kFromC1;
  after["s4"] = 1;
  ExpectEverywhere("c1", after);
  Fold();
  ExpectEverywhere("c1", after);
  EXPECT_EQ(Walk(snapshot, "c1"), before);
  EXPECT_EQ(Up(snapshot, "s3"), up_before);
  EXPECT_EQ(snapshot.Find("s4"), kNoNode);
}

}  // namespace
}  // namespace cocreate
