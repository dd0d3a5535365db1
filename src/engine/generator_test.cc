#include "engine/generator.h"

#include <gtest/gtest.h>

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
  for (const auto& ev : log) out.push_back(ev.type + " " + ev.subject + " " + ev.actor);
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
      created += ev.type == "resource.created" && ev.data.Find("origin")->is_object();
      modified += ev.type == "resource.modified";
      transferred += ev.type == "resource.transferred";
      transitions += ev.type == "role.transitioned";
      suspended += ev.type == "relationship.suspended";
    }
    EXPECT_GT(created, 100);
    EXPECT_GT(modified, 20);
    EXPECT_GT(transferred, 10);
    EXPECT_GT(transitions, 10);
    EXPECT_GT(suspended, 5);
  });
}

}  // namespace
}  // namespace cocreate
