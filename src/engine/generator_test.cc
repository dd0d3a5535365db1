#include "engine/generator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "graph/index.h"
#include "graph/questions.h"

namespace cocreate {
namespace {

std::unique_ptr<Engine> Fresh() {
  StoreOptions o;
  o.spec = "sqlite::memory:";
  EngineOptions eo;
  eo.admin_token = "t";
  return Engine::Open(EventStore::Open(o).value(), eo).value();
}

// The log's shape: every event's type, subject and actor, in order.
std::vector<std::string> Shape(Engine& e) {
  std::vector<std::string> out;
  const std::vector<Event> log = e.Log().value();
  for (const auto& ev : log)
    out.push_back(std::string(EventTypeName(ev.type)) + " " + ev.subject + " " + ev.actor);
  return out;
}

TEST(GeneratorTest, SameSeedSameEcosystemEveryRuleRespected) {
  auto a = Fresh(), b = Fresh(), c = Fresh();
  GeneratorOptions g;
  g.organizations = 200;
  g.seed = 5;
  auto sa = Generate(*a, g);
  ASSERT_TRUE(sa.ok()) << sa.status().ToString();
  EXPECT_EQ(sa->rejected, 0);
  ASSERT_TRUE(Generate(*b, g).ok());
  g.seed = 6;
  ASSERT_TRUE(Generate(*c, g).ok());
  EXPECT_EQ(Shape(*a), Shape(*b));
  EXPECT_NE(Shape(*a), Shape(*c));
}

TEST(GeneratorTest, TheStoryHasChainsCyclesAndEveryEffect) {
  auto e = Fresh();
  GeneratorOptions g;
  g.organizations = 400;
  g.seed = 9;
  ASSERT_TRUE(Generate(*e, g).ok());
  std::vector<Event> log = e->Log().value();
  e->Inspect([&log](const State& s) {
    EXPECT_EQ(s.Ids(Noun::kOrganization).size(), 400u);
    EXPECT_FALSE(Cycles(s).empty()) << "some organizations provide back upstream";
    int created = 0, modified = 0, transferred = 0, transitions = 0, suspended = 0;
    for (const auto& ev : log) {
      created += ev.type == EventType::kResourceCreated && ev.data.Find("origin")->is_object();
      modified += ev.type == EventType::kResourceModified;
      transferred += ev.type == EventType::kResourceTransferred;
      transitions += ev.type == EventType::kRoleTransitioned;
      suspended += ev.type == EventType::kRelationshipSuspended;
    }
    EXPECT_GT(created, 100);
    EXPECT_GT(modified, 20);
    EXPECT_GT(transferred, 10);
    EXPECT_GT(transitions, 10);
    EXPECT_GT(suspended, 5);
  });
}

// The impact graph as the bench counts it: its nodes are the organizations,
// resources, services, offerings and relationships; `reach` holds how many
// of them an impact walk from each resource, service, offering and
// relationship reaches (the start not counted).
struct Reach {
  int64_t nodes = 0;
  std::vector<int64_t> reach;
};

Reach ReachOfEveryStart(Engine& e) {
  Reach out;
  const std::vector<Event> log = e.Log().value();
  e.Inspect([&](const State& s) {
    GraphIndex index;
    index.BeginBulk();
    for (const Event& ev : log) index.Apply(ev, s);
    index.EndBulk();
    Reached reached;
    index.ForEachNode([&](NodeId n, Noun noun) {
      if (noun == Noun::kProvision || noun == Noun::kConsumerGroup) return;
      ++out.nodes;
      if (noun == Noun::kOrganization) return;
      index.WalkDownstream({}, n, -1, false, reached, /*expand_exclude=*/true);
      out.reach.push_back(static_cast<int64_t>(reached.nodes.size()));
    });
  });
  std::sort(out.reach.rbegin(), out.reach.rend());
  return out;
}

// kHubs: a few hyperscalers everything builds on, so the widest impact
// starts (a hyperscaler's control plane, the regions its identity service
// runs in, the identity service) reach far more than a third of the
// ecosystem; the same seed makes the same ecosystem.
TEST(GeneratorTest, HubsShapeReachesMostOfTheEcosystemFromAFewStarts) {
  auto a = Fresh(), b = Fresh();
  GeneratorOptions g;
  g.organizations = 200;
  g.fanout = 8;
  g.seed = 3;
  g.shape = GeneratorShape::kHubs;
  auto stats = Generate(*a, g);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rejected, 0);
  ASSERT_TRUE(Generate(*b, g).ok());
  EXPECT_EQ(Shape(*a), Shape(*b));
  Reach hubs = ReachOfEveryStart(*a);
  int64_t wide = 0;  // starts that reach at least 30% of all nodes
  for (int64_t r : hubs.reach) wide += r * 10 >= hubs.nodes * 3;
  EXPECT_GE(hubs.reach[0] * 10, hubs.nodes * 3) << hubs.reach[0] << " of " << hubs.nodes;
  EXPECT_GE(wide, 3);
  EXPECT_LT(wide * 100, static_cast<int64_t>(hubs.reach.size())) << "only a few hubs";
  // The same organizations in the default shape: no start comes close.
  auto tiers = Fresh();
  g.shape = GeneratorShape::kTiers;
  ASSERT_TRUE(Generate(*tiers, g).ok());
  Reach flat = ReachOfEveryStart(*tiers);
  EXPECT_LT(flat.reach[0] * 10, flat.nodes * 3) << flat.reach[0] << " of " << flat.nodes;
}

TEST(GeneratorTest, HubsShapeEvolvesThroughTheRules) {
  auto e = Fresh();
  GeneratorOptions g;
  g.organizations = 120;
  g.fanout = 4;
  g.evolve = true;
  g.shape = GeneratorShape::kHubs;
  auto stats = Generate(*e, g);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rejected, 0);
}

}  // namespace
}  // namespace cocreate
