// Differential tests of the graph walks: on generated ecosystems of
// thousands of nodes, every impact and lineage answer of graph/traversal
// equals the answer of the same question asked of SQLite as a recursive CTE
// and of a plain BFS, both over an edge list derived independently from the
// event log (not from the State's indexes).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <deque>
#include <map>
#include <random>
#include <set>

#include "engine/generator.h"
#include "graph/index.h"
#include "graph/questions.h"
#include "graph/traversal.h"
#include "model/codec.h"
#include "rules/visibility.h"

namespace cocreate {
namespace {

using Edges = std::map<std::string, std::set<std::string>>;

// The contract's edges, read off the events alone.
struct Graph {
  Edges down;      // downstream (impact), organizations are sinks
  Edges up;        // upstream (lineage)
  Edges org_seed;  // organization → its resources and services (impact start only)
  std::map<std::string, std::string> noun;  // id → type name
};

Graph FromEvents(const std::vector<Event>& events) {
  Graph g;
  std::map<std::string, std::string> status, consumer, offering_of, owner;
  std::map<std::string, std::set<std::string>> offering_rels, touched_by_rel;
  for (const Event& e : events) {
    const Json& d = e.data;
    if (e.type == "organization.created") g.noun[e.subject] = "organization";
    if (e.type == "resource.created") {
      g.noun[e.subject] = "resource";
      owner[e.subject] = StrOr(d, "owner");
    }
    if (e.type == "resource.transferred") owner[e.subject] = StrOr(d, "to");
    if (e.type == "service.created") {
      g.noun[e.subject] = "service";
      g.org_seed[StrOr(d, "provider")].insert(e.subject);
      for (const auto& r : StrList(d, "built_on")) {
        g.down[r].insert(e.subject);
        g.up[e.subject].insert(r);
      }
      for (const auto& s : StrList(d, "depends_on")) {
        g.down[s].insert(e.subject);
        g.up[e.subject].insert(s);
      }
    }
    if (e.type == "offering.created") {
      g.noun[e.subject] = "offering";
      g.down[StrOr(d, "service")].insert(e.subject);
      g.up[e.subject].insert(StrOr(d, "service"));
      for (const Json& a : d.Find("access")->items()) g.down[StrOr(a, "resource")].insert(e.subject);
    }
    if (e.type == "relationship.requested") {
      g.noun[e.subject] = "relationship";
      consumer[e.subject] = StrOr(d, "consumer");
      offering_of[e.subject] = StrOr(d, "offering");
      g.up[e.subject].insert(StrOr(d, "offering"));
      status[e.subject] = "requested";
    }
    if (e.type.rfind("relationship.", 0) == 0 && e.type != "relationship.requested") {
      status[e.subject] = StrOr(d, "to");
    }
    if (e.type == "provision.performed") {
      std::string rel = StrOr(d, "relationship");
      g.up[e.subject].insert(rel);
      for (const auto& r : StrList(d, "used")) g.up[e.subject].insert(r);
      std::vector<std::string> touched = StrList(d, "created");
      for (const auto& r : StrList(d, "transferred")) touched.push_back(r);
      for (const Json& m : d.Find("modified")->items()) touched.push_back(StrOr(m, "resource"));
      for (const auto& r : touched) {
        g.down[e.subject].insert(r);  // provision start
        g.up[r].insert(e.subject);
        touched_by_rel[rel].insert(r);
      }
    }
  }
  for (const auto& [rel, st] : status) {
    if (st == "active" || st == "suspended") g.down[offering_of[rel]].insert(rel);
    g.down[rel].insert(consumer[rel]);
    for (const auto& r : touched_by_rel[rel]) g.down[rel].insert(r);
  }
  for (const auto& [r, o] : owner) g.org_seed[o].insert(r);
  return g;
}

// id → smallest depth, the start excluded.
using Reach = std::map<std::string, int>;

std::set<std::string> Seeds(const Graph& g, const std::string& start) {
  const Edges& from = g.noun.at(start) == "organization" ? g.org_seed : g.down;
  auto it = from.find(start);
  return it == from.end() ? std::set<std::string>() : it->second;
}

Reach Bfs(const Edges& edges, const std::set<std::string>& seeds, const std::string& start) {
  Reach out;
  std::deque<std::string> queue;
  for (const auto& s : seeds) {
    if (s != start && out.emplace(s, 1).second) queue.push_back(s);
  }
  while (!queue.empty()) {
    std::string at = queue.front();
    queue.pop_front();
    auto it = edges.find(at);
    if (it == edges.end()) continue;
    for (const auto& next : it->second) {
      if (next != start && out.emplace(next, out[at] + 1).second) queue.push_back(next);
    }
  }
  return out;
}

class SqliteEdges {
 public:
  explicit SqliteEdges(const Edges& edges) {
    sqlite3_open(":memory:", &db_);
    Exec("CREATE TABLE edges (src TEXT, dst TEXT, PRIMARY KEY (src, dst)) WITHOUT ROWID;"
         "CREATE TABLE seeds (id TEXT PRIMARY KEY) WITHOUT ROWID;");
    Exec("BEGIN");
    sqlite3_stmt* ins;
    sqlite3_prepare_v2(db_, "INSERT INTO edges VALUES (?, ?)", -1, &ins, nullptr);
    for (const auto& [src, dsts] : edges) {
      for (const auto& dst : dsts) {
        sqlite3_bind_text(ins, 1, src.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, dst.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(ins);
        sqlite3_reset(ins);
      }
    }
    sqlite3_finalize(ins);
    Exec("COMMIT");
  }
  ~SqliteEdges() { sqlite3_close(db_); }

  // The recursive CTE: (id, depth) pairs bounded by `max_depth`, then the
  // smallest depth per id.
  Reach Walk(const std::set<std::string>& seeds, const std::string& start, int max_depth) {
    Exec("DELETE FROM seeds");
    sqlite3_stmt* ins;
    sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO seeds VALUES (?)", -1, &ins, nullptr);
    for (const auto& s : seeds) {
      sqlite3_bind_text(ins, 1, s.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_stmt* q;
    sqlite3_prepare_v2(db_,
                       "WITH RECURSIVE walk(id, depth) AS ("
                       "  SELECT id, 1 FROM seeds"
                       "  UNION"
                       "  SELECT e.dst, w.depth + 1 FROM edges e JOIN walk w ON e.src = w.id"
                       "  WHERE w.depth < ?1)"
                       "SELECT id, MIN(depth) FROM walk WHERE id != ?2 GROUP BY id",
                       -1, &q, nullptr);
    sqlite3_bind_int(q, 1, max_depth);
    sqlite3_bind_text(q, 2, start.c_str(), -1, SQLITE_TRANSIENT);
    Reach out;
    while (sqlite3_step(q) == SQLITE_ROW) {
      out[reinterpret_cast<const char*>(sqlite3_column_text(q, 0))] = sqlite3_column_int(q, 1);
    }
    sqlite3_finalize(q);
    return out;
  }

 private:
  void Exec(const char* sql) { ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK); }
  sqlite3* db_ = nullptr;
};

class DifferentialTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(DifferentialTest, ImpactAndLineageAgreeWithCteAndBfs) {
  StoreOptions o;
  o.spec = "sqlite::memory:";
  EngineOptions eo;
  eo.admin_token = "t";
  auto engine = Engine::Open(EventStore::Open(o).value(), eo).value();
  GeneratorOptions g;
  g.organizations = 300;
  g.seed = GetParam();
  auto stats = Generate(*engine, g);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->rejected, 0);

  std::vector<std::pair<std::string, Reach>> expected_impact;
  std::vector<std::pair<std::string, std::set<std::string>>> expected_lineage;
  engine->Inspect([&](const State& state) {
    Graph graph = FromEvents(state.events());
    SqliteEdges down(graph.down), up(graph.up);
    std::vector<std::string> ids;
    for (const auto& [id, type] : graph.noun) ids.push_back(id);
    for (const auto& id : state.Ids(Noun::kProvision)) {
      ids.push_back(id);
      graph.noun[id] = "provision";
    }
    ASSERT_GT(ids.size(), 2000u) << "a network of thousands of nodes";
    std::mt19937 rng(static_cast<uint32_t>(GetParam()));
    int compared = 0, nontrivial = 0;
    constexpr int kMaxDepth = 40;
    // The graph index built from the same events in two halves: a folded
    // base for the first, the overlay for the rest.
    GraphIndex index;
    index.BeginBulk();
    const auto& events = state.events();
    for (size_t k = 0; k < events.size() / 2; ++k) index.Apply(events[k], state);
    index.EndBulk();
    for (size_t k = events.size() / 2; k < events.size(); ++k) index.Apply(events[k], state);
    ASSERT_GT(index.overlay_edges(), 0u);
    GraphIndex folded;
    folded.BeginBulk();
    for (const Event& e : events) folded.Apply(e, state);
    folded.EndBulk();
    auto index_reach = [&](const GraphIndex& g, const std::string& start, int max_depth = -1) {
      NodeId n = g.Find(start);
      std::vector<NodeId> starts;
      if (g.NounOf(n) == Noun::kOrganization) {
        for (const auto& r : state.ResourcesOwnedBy(start)) starts.push_back(g.Find(r));
        for (const auto& sv : state.ServicesOf(start)) starts.push_back(g.Find(sv));
      }
      Reached reached;
      // An organization starts from its resources and services; any other
      // node from its own edges.
      bool expand = g.NounOf(n) != Noun::kOrganization;
      g.WalkDownstream(starts, n, max_depth, max_depth == 2, reached, expand);
      Reach out;
      int64_t by_noun[7] = {};
      for (size_t k = 0; k < reached.nodes.size(); ++k) {
        out[std::string(g.Id(reached.nodes[k]))] = static_cast<int>(reached.DepthOf(k));
        by_noun[static_cast<size_t>(g.NounOf(reached.nodes[k]))]++;
      }
      for (int k = 0; k < 7; ++k) EXPECT_EQ(by_noun[k], reached.by_noun[k]) << start;
      return out;
    };
    for (int i = 0; i < 150; ++i) {
      const std::string& start = ids[rng() % ids.size()];
      // Impact.
      auto impact = Impact(state, start, -1);
      ASSERT_TRUE(impact.ok()) << start;
      Reach engine_reach;
      for (const auto& n : impact->nodes) engine_reach[n.id] = n.depth;
      std::set<std::string> seeds = Seeds(graph, start);
      Reach bfs = Bfs(graph.down, seeds, start);
      for (const auto& [id, depth] : bfs) ASSERT_LT(depth, kMaxDepth);
      Reach cte = down.Walk(seeds, start, kMaxDepth);
      ASSERT_EQ(engine_reach, bfs) << "impact from " << start;
      ASSERT_EQ(engine_reach, cte) << "impact from " << start;
      ASSERT_EQ(index_reach(index, start), bfs) << "index (base + overlay) impact from " << start;
      ASSERT_EQ(index_reach(folded, start), bfs) << "index (folded) impact from " << start;
      expected_impact.emplace_back(start, bfs);
      for (int max_depth : {1, 2, 3}) {
        Reach shallow;
        for (const auto& [id, d] : bfs) {
          if (d <= max_depth) shallow[id] = d;
        }
        ASSERT_EQ(index_reach(index, start, max_depth), shallow)
            << "index impact from " << start << " to depth " << max_depth;
      }
      nontrivial += engine_reach.size() > 5;
      ++compared;
      // Lineage, for resources.
      if (graph.noun[start] != "resource") continue;
      auto lineage = Lineage(state, start);
      ASSERT_TRUE(lineage.ok());
      std::set<std::string> engine_up;
      for (const auto* list : {&lineage->provisions, &lineage->resources, &lineage->services,
                               &lineage->offerings, &lineage->relationships}) {
        engine_up.insert(list->begin(), list->end());
      }
      std::set<std::string> useeds;
      auto it = graph.up.find(start);
      if (it != graph.up.end()) useeds = it->second;
      std::set<std::string> bfs_up, cte_up;
      for (const auto& [id, d] : Bfs(graph.up, useeds, start)) bfs_up.insert(id);
      for (const auto& [id, d] : up.Walk(useeds, start, kMaxDepth)) cte_up.insert(id);
      ASSERT_EQ(engine_up, bfs_up) << "lineage of " << start;
      ASSERT_EQ(engine_up, cte_up) << "lineage of " << start;
      for (const GraphIndex* g : {&index, &folded}) {
        std::vector<NodeId> up_nodes;
        g->WalkUpstream(g->Find(start), up_nodes);
        std::set<std::string> index_up;
        for (NodeId n : up_nodes) index_up.emplace(g->Id(n));
        ASSERT_EQ(index_up, bfs_up) << "index lineage of " << start;
      }
      expected_lineage.emplace_back(start, bfs_up);
    }
    EXPECT_EQ(compared, 150);
    EXPECT_GT(nontrivial, 10) << "the starts must reach something";
    // Concentration from the index equals the one from the state's walks.
    ConcentrationResult by_state = Concentrations(state);
    ConcentrationResult by_index = Concentrations(index);
    ASSERT_TRUE(by_state.exact);
    ASSERT_TRUE(by_index.exact);
    std::map<std::string, int64_t> a, b;
    for (const auto& c : by_state.items) a[c.id] = c.consumers_reached;
    for (const auto& c : by_index.items) b[c.id] = c.consumers_reached;
    ASSERT_EQ(a, b);
    ASSERT_GT(by_index.items.front().consumers_reached, 10);
    // A small budget samples, deterministically, with exact counts.
    ConcentrationResult sampled = Concentrations(index, 50 * static_cast<int64_t>(index.edges()));
    EXPECT_FALSE(sampled.exact);
    EXPECT_EQ(sampled.measured, 50);
    for (const auto& c : sampled.items) EXPECT_EQ(c.consumers_reached, b[c.id]) << c.id;
    // Fold the overlay in the background while walks go on; the answers
    // stay the same before, during and after the swap.
    size_t overlay = index.overlay_edges();
    index.MaybeStartFold(0);
    int walks_during_fold = 0;
    do {
      const auto& [start, reach] = expected_impact[walks_during_fold % expected_impact.size()];
      ASSERT_EQ(index_reach(index, start), reach) << "during the fold, from " << start;
      ++walks_during_fold;
    } while (!index.FinishFold(false));
    EXPECT_EQ(index.overlay_edges(), 0u) << "was " << overlay;
    for (const auto& [start, reach] : expected_impact) {
      ASSERT_EQ(index_reach(index, start), reach) << "after the fold, from " << start;
    }
  });
  // The engine's answers (from its live index, as the routes give them).
  for (const auto& [start, reach] : expected_impact) {
    auto body = engine->Impact(Principal::Admin(), start, -1, false);
    ASSERT_TRUE(body.ok()) << start;
    Json j = Json::Parse(*body).value();
    Reach got;
    for (const Json& a : j.Find("affected")->items()) {
      got[a.Find("id")->as_string()] = static_cast<int>(a.Find("depth")->as_int());
    }
    ASSERT_EQ(got, reach) << "GET /impact from " << start;
  }
  // For an organization's token the same walk, with every reached node
  // checked against the visibility rules one by one.
  for (const char* org : {"g-org-0", "g-org-7", "g-org-150"}) {
    Principal member = Principal::Member(org);
    int checked = 0;
    for (const auto& [start, reach] : expected_impact) {
      auto answer = engine->ImpactCounts(member, start, -1);
      bool start_visible = false;
      int64_t visible = 0, hidden = 0;
      engine->Inspect([&](const State& state) {
        start_visible = CanSeeId(state, member, start);
        for (const auto& [id, d] : reach) {
          (CanSee(state, member, *state.FindNoun(id), id) ? visible : hidden)++;
        }
      });
      if (!start_visible) {
        EXPECT_FALSE(answer.ok()) << start;
        continue;
      }
      ASSERT_TRUE(answer.ok()) << start;
      EXPECT_EQ(answer->affected, visible) << org << " from " << start;
      EXPECT_EQ(answer->redacted, hidden) << org << " from " << start;
      ++checked;
    }
    EXPECT_GT(checked, 10) << org;
  }
  for (const auto& [start, up] : expected_lineage) {
    auto body = engine->Lineage(Principal::Admin(), start, false);
    ASSERT_TRUE(body.ok()) << start;
    Json j = Json::Parse(*body).value();
    std::set<std::string> got;
    for (const char* k : {"provisions", "resources", "services", "offerings", "relationships"}) {
      for (const Json& a : j.Find(k)->items()) got.insert(a.Find("id")->as_string());
    }
    ASSERT_EQ(got, up) << "GET /resources/" << start << "/lineage";
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace cocreate
