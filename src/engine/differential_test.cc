// Differential tests of the graph walks: on generated ecosystems of
// thousands of nodes that then change (patches, access changes, revisions,
// transfers, retirements), every impact answer of graph/traversal and of the
// graph index equals the answer of the same question asked of SQLite as a
// recursive CTE and of a plain BFS, both over an edge list derived
// independently from the event log (not from the State's indexes); every
// lineage as of a version equals a walk of histories read off the events
// and a recursive CTE over seq-bounded rows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "engine/generator.h"
#include "graph/index.h"
#include "graph/lineage.h"
#include "graph/questions.h"
#include "graph/traversal.h"
#include "model/codec.h"
#include "rules/visibility.h"

namespace cocreate {
namespace {

using Edges = std::map<std::string, std::set<std::string>>;

// The contract's edges as they stand after the last event, read off the
// events alone.
struct Graph {
  Edges down;      // downstream (impact), organizations are sinks
  Edges up;        // upstream (the current-state index walk)
  Edges org_seed;  // organization → its resources and services (impact start only)
  std::map<std::string, std::string> noun;  // id → type name
  int cut_by_ownership = 0;  // relationship → resource edges left out (§3)
};

std::vector<std::string> AccessOf(const Json& offering) {
  std::vector<std::string> out;
  if (const Json* a = offering.Find("access"); a && a->is_array()) {
    for (const Json& x : a->items()) out.push_back(StrOr(x, "resource"));
  }
  return out;
}

Graph FromEvents(const std::vector<Event>& events) {
  Graph g;
  std::map<std::string, std::string> status, consumer, offering_of, owner, service_of;
  std::map<std::string, std::vector<std::string>> built_on, depends_on, access;
  std::map<std::string, std::set<std::string>> touched_by_rel;
  std::set<std::string> retired;
  for (const Event& e : events) {
    const Json d = EventDataJson(e);
    if (e.type == EventType::kOrganizationCreated) g.noun[e.subject] = "organization";
    if (e.type == EventType::kResourceCreated) {
      g.noun[e.subject] = "resource";
      owner[e.subject] = StrOr(d, "owner");
    }
    if (e.type == EventType::kResourceTransferred) owner[e.subject] = StrOr(d, "to");
    if (e.type == EventType::kResourceRetired) retired.insert(e.subject);
    if (e.type == EventType::kServiceCreated) {
      g.noun[e.subject] = "service";
      g.org_seed[StrOr(d, "provider")].insert(e.subject);
      built_on[e.subject] = StrList(d, "built_on");
      depends_on[e.subject] = StrList(d, "depends_on");
    }
    if (e.type == EventType::kServiceUpdated) {
      const Json& after = *d.Find("after");
      if (after.Find("built_on")) built_on[e.subject] = StrList(after, "built_on");
      if (after.Find("depends_on")) depends_on[e.subject] = StrList(after, "depends_on");
    }
    if (e.type == EventType::kOfferingCreated) {
      g.noun[e.subject] = "offering";
      service_of[e.subject] = StrOr(d, "service");
      access[e.subject] = AccessOf(d);
    }
    if (e.type == EventType::kOfferingUpdated && d.Find("after")->Find("access")) {
      access[e.subject] = AccessOf(*d.Find("after"));
    }
    if (e.type == EventType::kRelationshipRequested) {
      g.noun[e.subject] = "relationship";
      consumer[e.subject] = StrOr(d, "consumer");
      offering_of[e.subject] = StrOr(d, "offering");
      g.up[e.subject].insert(StrOr(d, "offering"));
      status[e.subject] = "requested";
    }
    if (EventTypeName(e.type).starts_with("relationship.") &&
        e.type != EventType::kRelationshipRequested) {
      status[e.subject] = StrOr(d, "to");
    }
    if (e.type == EventType::kProvisionPerformed) {
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
  for (const auto& [s, list] : built_on) {
    for (const auto& r : list) {
      g.down[r].insert(s);
      g.up[s].insert(r);
    }
  }
  for (const auto& [s, list] : depends_on) {
    for (const auto& x : list) {
      g.down[x].insert(s);
      g.up[s].insert(x);
    }
  }
  for (const auto& [o, svc] : service_of) {
    g.down[svc].insert(o);
    g.up[o].insert(svc);
    for (const auto& r : access[o]) g.down[r].insert(o);
  }
  for (const auto& [rel, st] : status) {
    if (st == "active" || st == "suspended") g.down[offering_of[rel]].insert(rel);
    g.down[rel].insert(consumer[rel]);
    // Only what the consumer still owns and has not retired (CONTRACT §3).
    for (const auto& r : touched_by_rel[rel]) {
      if (owner[r] == consumer[rel] && !retired.count(r)) {
        g.down[rel].insert(r);
      } else {
        ++g.cut_by_ownership;
      }
    }
  }
  for (const auto& [r, o] : owner) g.org_seed[o].insert(r);
  return g;
}

// Lineage as of a version (CONTRACT §5, Time), from the events alone: each
// object's history as the events wrote it, walked with its seq bounds.
class History {
 public:
  explicit History(const std::vector<Event>& events) {
    for (const Event& e : events) {
      const Json d = EventDataJson(e);
      if (e.type == EventType::kResourceCreated) {
        std::string origin;
        if (const Json* o = d.Find("origin"); o && o->is_object()) origin = StrOr(*o, "provision");
        versions_[e.subject].push_back({e.seq, origin, StrOr(d, "owner")});
      } else if (e.type == EventType::kResourceModified ||
                 e.type == EventType::kResourceTransferred) {
        auto& v = versions_[e.subject];
        std::string to =
            e.type == EventType::kResourceTransferred ? StrOr(d, "to") : v.back().owner;
        v.push_back({e.seq, StrOr(d, "provision"), to});
      } else if (e.type == EventType::kResourceRevised) {
        auto& v = versions_[e.subject];
        v.push_back({e.seq, "", v.back().owner});
      } else if (e.type == EventType::kProvisionPerformed) {
        provisions_[e.subject] = {e.seq, StrOr(d, "relationship"), StrList(d, "used")};
      } else if (e.type == EventType::kRelationshipRequested) {
        offering_of_[e.subject] = StrOr(d, "offering");
      } else if (e.type == EventType::kOfferingCreated) {
        offerings_[e.subject].push_back({e.seq, 1});
        service_of_[e.subject] = StrOr(d, "service");
      } else if (e.type == EventType::kOfferingUpdated) {
        offerings_[e.subject].push_back({e.seq, d.Find("version")->as_int()});
      } else if (e.type == EventType::kServiceCreated) {
        services_[e.subject].push_back({e.seq, StrList(d, "built_on"), StrList(d, "depends_on")});
      } else if (e.type == EventType::kServiceUpdated) {
        ServiceAt next = services_[e.subject].back();
        next.seq = e.seq;
        const Json& after = *d.Find("after");
        if (after.Find("built_on")) next.built_on = StrList(after, "built_on");
        if (after.Find("depends_on")) next.depends_on = StrList(after, "depends_on");
        services_[e.subject].push_back(std::move(next));
      }
    }
  }

  int64_t Latest(const std::string& r) const {
    return static_cast<int64_t>(versions_.at(r).size());
  }

  // "provision:ID", "relationship:ID", "service:ID", "offering:ID@V" and
  // "resource:ID@V" (the start resource left out).
  std::set<std::string> Lineage(const std::string& start, int64_t version) const {
    std::set<std::string> out;
    std::set<std::string> walked;
    std::deque<std::tuple<std::string, std::string, int64_t>> queue;  // kind, id, version|seq
    auto push = [&](const std::string& kind, const std::string& id, int64_t n) {
      if (walked.insert(kind + ":" + id + "#" + std::to_string(n)).second) {
        queue.emplace_back(kind, id, n);
      }
    };
    auto resource_at = [&](const std::string& r, int64_t seq) {
      int64_t v = 0;
      for (const auto& x : versions_.at(r)) v += x.seq <= seq;
      if (v > 0) push("resource", r, v);
    };
    push("resource", start, version);
    while (!queue.empty()) {
      auto [kind, id, n] = queue.front();
      queue.pop_front();
      if (kind == "resource") {
        if (id != start) out.insert("resource:" + id + "@" + std::to_string(n));
        for (int64_t k = 0; k < n; ++k) {
          const std::string& p = versions_.at(id)[k].provision;
          if (!p.empty()) push("provision", p, provisions_.at(p).seq);
        }
      } else if (kind == "provision") {
        out.insert("provision:" + id);
        const auto& p = provisions_.at(id);
        push("relationship", p.relationship, n);
        for (const auto& u : p.used) resource_at(u, n);
      } else if (kind == "relationship") {
        out.insert("relationship:" + id);
        push("offering", offering_of_.at(id), n);
      } else if (kind == "offering") {
        int64_t v = 0;
        for (const auto& x : offerings_.at(id)) {
          if (x.seq <= n) v = x.version;
        }
        out.insert("offering:" + id + "@" + std::to_string(v));
        push("service", service_of_.at(id), n);
      } else if (kind == "service") {
        out.insert("service:" + id);
        const ServiceAt* at = nullptr;
        for (const auto& x : services_.at(id)) {
          if (x.seq <= n) at = &x;
        }
        for (const auto& r : at->built_on) resource_at(r, n);
        for (const auto& x : at->depends_on) push("service", x, n);
      }
    }
    return out;
  }

 private:
  struct Version {
    int64_t seq;
    std::string provision, owner;
  };
  struct ProvisionAt {
    int64_t seq;
    std::string relationship;
    std::vector<std::string> used;
  };
  struct OfferingAt {
    int64_t seq, version;
  };
  struct ServiceAt {
    int64_t seq;
    std::vector<std::string> built_on, depends_on;
  };
  std::map<std::string, std::vector<Version>> versions_;
  std::map<std::string, ProvisionAt> provisions_;
  std::map<std::string, std::string> offering_of_, service_of_;
  std::map<std::string, std::vector<OfferingAt>> offerings_;
  std::map<std::string, std::vector<ServiceAt>> services_;
};

// Lineage as of a version as one recursive SQL query (SQLite, several
// recursive SELECTs) over rows valid for seq in [seq_from, seq_to), loaded
// from the events alone. A walk row is (kind, id, n): n is a resource's
// version, or for the others the seq they are read as of.
class SqliteHistory {
 public:
  explicit SqliteHistory(const std::vector<Event>& events) {
    sqlite3_open(":memory:", &db_);
    Exec("CREATE TABLE version (res TEXT, v INT, seq_from INT, seq_to INT, provision TEXT);"
         "CREATE TABLE provision (id TEXT PRIMARY KEY, seq INT, rel TEXT);"
         "CREATE TABLE used (provision TEXT, res TEXT);"
         "CREATE TABLE rel (id TEXT PRIMARY KEY, offering TEXT);"
         "CREATE TABLE offering (id TEXT, v INT, seq_from INT, seq_to INT, service TEXT);"
         "CREATE TABLE built_on (service TEXT, res TEXT, seq_from INT, seq_to INT);"
         "CREATE TABLE depends (service TEXT, dep TEXT, seq_from INT, seq_to INT);"
         "CREATE INDEX version_res ON version (res);"
         "CREATE INDEX used_provision ON used (provision);"
         "CREATE INDEX offering_id ON offering (id);"
         "CREATE INDEX built_on_service ON built_on (service);"
         "CREATE INDEX depends_service ON depends (service);");
    Exec("BEGIN");
    // Open intervals, closed when the next state of the same object comes.
    struct Open {
      int64_t from = 0;
      int64_t version = 0;
      std::string a;                     // provision (versions) or service (offerings)
      std::vector<std::string> b, c;     // built_on, depends_on (services)
    };
    std::map<std::string, Open> versions, offerings, services;
    const int64_t kForever = int64_t{1} << 62;
    auto close_version = [&](const std::string& r, const Open& o, int64_t to) {
      Insert("INSERT INTO version VALUES (?, ?, ?, ?, ?)", {r}, {o.version, o.from, to}, {o.a});
    };
    auto close_offering = [&](const std::string& id, const Open& o, int64_t to) {
      Insert("INSERT INTO offering VALUES (?, ?, ?, ?, ?)", {id}, {o.version, o.from, to}, {o.a});
    };
    auto close_service = [&](const std::string& id, const Open& o, int64_t to) {
      for (const auto& r : o.b)
        Insert("INSERT INTO built_on VALUES (?, ?, ?, ?)", {id, r}, {o.from, to}, {});
      for (const auto& d : o.c)
        Insert("INSERT INTO depends VALUES (?, ?, ?, ?)", {id, d}, {o.from, to}, {});
    };
    for (const Event& e : events) {
      const Json d = EventDataJson(e);
      const std::string& id = e.subject;
      if (e.type == EventType::kResourceCreated) {
        std::string origin;
        if (const Json* o = d.Find("origin"); o && o->is_object()) origin = StrOr(*o, "provision");
        versions[id] = {e.seq, 1, origin, {}, {}};
      } else if (e.type == EventType::kResourceModified ||
                 e.type == EventType::kResourceTransferred ||
                 e.type == EventType::kResourceRevised) {
        Open& o = versions[id];
        close_version(id, o, e.seq);
        o = {e.seq,
             o.version + 1,
             e.type == EventType::kResourceRevised ? "" : StrOr(d, "provision"),
             {},
             {}};
      } else if (e.type == EventType::kProvisionPerformed) {
        Insert("INSERT INTO provision VALUES (?, ?, ?)", {id}, {e.seq}, {StrOr(d, "relationship")});
        for (const auto& u : StrList(d, "used"))
          Insert("INSERT INTO used VALUES (?, ?)", {id, u}, {}, {});
      } else if (e.type == EventType::kRelationshipRequested) {
        Insert("INSERT INTO rel VALUES (?, ?)", {id, StrOr(d, "offering")}, {}, {});
      } else if (e.type == EventType::kOfferingCreated) {
        offerings[id] = {e.seq, 1, StrOr(d, "service"), {}, {}};
      } else if (e.type == EventType::kOfferingUpdated) {
        Open& o = offerings[id];
        close_offering(id, o, e.seq);
        o = {e.seq, d.Find("version")->as_int(), o.a, {}, {}};
      } else if (e.type == EventType::kServiceCreated) {
        services[id] = {e.seq, 0, "", StrList(d, "built_on"), StrList(d, "depends_on")};
      } else if (e.type == EventType::kServiceUpdated) {
        Open& o = services[id];
        close_service(id, o, e.seq);
        const Json& after = *d.Find("after");
        o.from = e.seq;
        if (after.Find("built_on")) o.b = StrList(after, "built_on");
        if (after.Find("depends_on")) o.c = StrList(after, "depends_on");
      }
    }
    for (const auto& [id, o] : versions) close_version(id, o, kForever);
    for (const auto& [id, o] : offerings) close_offering(id, o, kForever);
    for (const auto& [id, o] : services) close_service(id, o, kForever);
    Exec("COMMIT");
  }
  ~SqliteHistory() {
    for (auto& [sql, st] : statements_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }

  std::set<std::string> Lineage(const std::string& start, int64_t version) {
    static const char* kQuery =
        "WITH RECURSIVE walk(kind, id, n) AS ("
        "  SELECT 'resource', ?1, ?2"
        "  UNION SELECT 'provision', v.provision, p.seq FROM walk w"
        "    JOIN version v ON w.kind = 'resource' AND v.res = w.id AND v.v <= w.n"
        "    JOIN provision p ON p.id = v.provision"
        "  UNION SELECT 'relationship', p.rel, w.n FROM walk w"
        "    JOIN provision p ON w.kind = 'provision' AND p.id = w.id"
        "  UNION SELECT 'resource', u.res, v.v FROM walk w"
        "    JOIN used u ON w.kind = 'provision' AND u.provision = w.id"
        "    JOIN version v ON v.res = u.res AND v.seq_from <= w.n AND w.n < v.seq_to"
        "  UNION SELECT 'offering', r.offering, w.n FROM walk w"
        "    JOIN rel r ON w.kind = 'relationship' AND r.id = w.id"
        "  UNION SELECT 'service', o.service, w.n FROM walk w"
        "    JOIN offering o ON w.kind = 'offering' AND o.id = w.id"
        "      AND o.seq_from <= w.n AND w.n < o.seq_to"
        "  UNION SELECT 'resource', b.res, v.v FROM walk w"
        "    JOIN built_on b ON w.kind = 'service' AND b.service = w.id"
        "      AND b.seq_from <= w.n AND w.n < b.seq_to"
        "    JOIN version v ON v.res = b.res AND v.seq_from <= w.n AND w.n < v.seq_to"
        "  UNION SELECT 'service', d.dep, w.n FROM walk w"
        "    JOIN depends d ON w.kind = 'service' AND d.service = w.id"
        "      AND d.seq_from <= w.n AND w.n < d.seq_to)"
        "SELECT kind || ':' || id FROM walk WHERE kind IN ('provision', 'relationship', 'service')"
        " UNION SELECT 'offering:' || w.id || '@' || o.v FROM walk w JOIN offering o"
        "   ON w.kind = 'offering' AND o.id = w.id AND o.seq_from <= w.n AND w.n < o.seq_to"
        " UNION SELECT 'resource:' || id || '@' || n FROM walk"
        "   WHERE kind = 'resource' AND id != ?1";
    sqlite3_stmt* q;
    EXPECT_EQ(sqlite3_prepare_v2(db_, kQuery, -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    sqlite3_bind_text(q, 1, start.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, version);
    std::set<std::string> out;
    while (sqlite3_step(q) == SQLITE_ROW) {
      out.insert(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    }
    sqlite3_finalize(q);
    return out;
  }

 private:
  void Exec(const char* sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }
  // Binds the texts first, then the integers, then the trailing texts.
  void Insert(const char* sql, std::vector<std::string> texts, std::vector<int64_t> ints,
              std::vector<std::string> tail) {
    sqlite3_stmt*& st = statements_[sql];
    if (st == nullptr) sqlite3_prepare_v2(db_, sql, -1, &st, nullptr);
    int k = 0;
    for (const auto& t : texts) sqlite3_bind_text(st, ++k, t.c_str(), -1, SQLITE_TRANSIENT);
    for (int64_t i : ints) sqlite3_bind_int64(st, ++k, i);
    for (const auto& t : tail) sqlite3_bind_text(st, ++k, t.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_reset(st);
  }
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_;
};

// The same strings from a LineageResult.
std::set<std::string> Flatten(const LineageResult& l) {
  std::set<std::string> out;
  for (const auto& i : l.provisions) out.insert("provision:" + i.id);
  for (const auto& i : l.relationships) out.insert("relationship:" + i.id);
  for (const auto& i : l.services) out.insert("service:" + i.id);
  for (const auto& i : l.offerings)
    out.insert("offering:" + i.id + "@" + std::to_string(i.version));
  for (const auto& i : l.resources)
    out.insert("resource:" + i.id + "@" + std::to_string(i.version));
  return out;
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
  void Exec(const char* sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  }
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
  g.evolve = true;  // patches, access changes, revisions, transfers on, retirements
  auto stats = Generate(*engine, g);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->rejected, 0);

  std::vector<std::pair<std::string, Reach>> expected_impact;
  // (resource, version) → the lineage as strings (see History::Lineage).
  std::vector<std::pair<std::pair<std::string, int64_t>, std::set<std::string>>> expected_lineage;
  const std::vector<Event> events = engine->Log().value();
  engine->Inspect([&](const State& state) {
    // Every kind of change is in the log, so every one is exercised.
    std::map<EventType, int> kinds;
    for (const Event& e : events) kinds[e.type]++;
    for (EventType t :
         {EventType::kServiceUpdated, EventType::kOfferingUpdated, EventType::kAccessGranted,
          EventType::kAccessRevoked, EventType::kResourceRevised, EventType::kResourceRetired,
          EventType::kResourceTransferred, EventType::kResourceModified, EventType::kServiceRetired,
          EventType::kOfferingRetired, EventType::kServiceDegraded,
          EventType::kRelationshipSuspended, EventType::kRelationshipResumed,
          EventType::kOrganizationUpdated}) {
      EXPECT_GT(kinds[t], 5) << t;
    }
    EXPECT_GT(kinds[EventType::kServiceRestored], 0);
    for (EventType t : {EventType::kConsumerGroupUpdated, EventType::kOrganizationClosed}) {
      EXPECT_EQ(kinds[t], 1) << t;
    }
    Graph graph = FromEvents(events);
    History history(events);
    SqliteHistory sql_history(events);
    SqliteEdges down(graph.down), up(graph.up);
    std::vector<std::string> ids;
    for (const auto& [id, type] : graph.noun) ids.push_back(id);
    for (const std::string& id : state.Ids(Noun::kProvision)) {
      ids.push_back(id);
      graph.noun[id] = "provision";
    }
    ASSERT_GT(ids.size(), 2000u) << "a network of thousands of nodes";
    std::mt19937 rng(static_cast<uint32_t>(GetParam()));
    int compared = 0, nontrivial = 0, older_versions = 0;
    constexpr int kMaxDepth = 40;
    // The graph index built from the same events in two halves: a folded
    // base for the first, the overlay for the rest.
    GraphIndex index;
    index.BeginBulk();
    for (size_t k = 0; k < events.size() / 2; ++k) index.Apply(events[k], state);
    index.EndBulk();
    for (size_t k = events.size() / 2; k < events.size(); ++k) index.Apply(events[k], state);
    ASSERT_GT(index.overlay_edges(), 0u);
    GraphIndex folded;
    folded.BeginBulk();
    for (const Event& e : events) folded.Apply(e, state);
    folded.EndBulk();
    // Built live, folding in the background whenever the overlay is large
    // enough, so folds land in the middle of the changes (removals in a
    // folded prefix, re-additions in the replayed rest).
    GraphIndex stepped;
    int installs = 0, installs_after_changes = 0;
    bool changed = false;
    for (const Event& e : events) {
      stepped.Apply(e, state);
      changed =
          changed || e.type == EventType::kServiceUpdated || e.type == EventType::kOfferingUpdated;
      if (stepped.FinishFold(e.seq % 64 == 0)) {
        ++installs;
        installs_after_changes += changed;
      }
      stepped.MaybeStartFold(0);
    }
    stepped.FinishFold(true);
    EXPECT_GT(installs, 3);
    EXPECT_GT(installs_after_changes, 0);
    EXPECT_GT(graph.cut_by_ownership, 5) << "relationships whose resources moved on or retired";
    auto index_reach = [&](const GraphIndex& g, const std::string& start, int max_depth = -1) {
      NodeId n = g.Find(start);
      std::vector<NodeId> starts;
      if (g.NounOf(n) == Noun::kOrganization) {
        for (const auto& r : state.ResourcesOwnedBy(start)) starts.push_back(g.Find(r));
        for (const std::string& sv : state.ServicesOf(start)) starts.push_back(g.Find(sv));
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
      ASSERT_EQ(index_reach(stepped, start), bfs) << "index (stepped folds) impact from " << start;
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
      // Lineage, for resources: the index's walk of the present against
      // the current edges; the time-aware walk against the history.
      if (graph.noun[start] != "resource") continue;
      std::set<std::string> useeds;
      auto it = graph.up.find(start);
      if (it != graph.up.end()) useeds = it->second;
      std::set<std::string> bfs_up, cte_up;
      for (const auto& [id, d] : Bfs(graph.up, useeds, start)) bfs_up.insert(id);
      for (const auto& [id, d] : up.Walk(useeds, start, kMaxDepth)) cte_up.insert(id);
      ASSERT_EQ(bfs_up, cte_up) << "lineage of " << start;
      for (const GraphIndex* g : {&index, &folded, &stepped}) {
        std::vector<NodeId> up_nodes;
        g->WalkUpstream(g->Find(start), up_nodes);
        std::set<std::string> index_up;
        for (NodeId n : up_nodes) index_up.emplace(g->Id(n));
        ASSERT_EQ(index_up, bfs_up) << "index lineage of " << start;
      }
      const int64_t latest = history.Latest(start);
      ASSERT_EQ(latest, state.FindResource(start)->current().version) << start;
      for (int64_t version :
           {int64_t{0}, latest, int64_t{1} + static_cast<int64_t>(rng() % latest)}) {
        auto lineage = Lineage(state, start, version);
        ASSERT_TRUE(lineage.ok()) << start;
        std::set<std::string> want = history.Lineage(start, version == 0 ? latest : version);
        ASSERT_EQ(Flatten(*lineage), want) << "lineage of " << start << " version " << version;
        ASSERT_EQ(sql_history.Lineage(start, version == 0 ? latest : version), want)
            << "SQL lineage of " << start << " version " << version;
        expected_lineage.push_back({{start, version}, want});
        older_versions += version != 0 && version < latest && !want.empty();
      }
      EXPECT_EQ(Lineage(state, start, latest + 1).status().code(), Code::kNotFound);
    }
    EXPECT_GT(older_versions, 3) << "lineage as of an older version, not empty";
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
  for (const auto& [asked, want] : expected_lineage) {
    const auto& [start, version] = asked;
    auto body = engine->Lineage(Principal::Admin(), start, false, nullptr, version);
    ASSERT_TRUE(body.ok()) << start;
    Json j = Json::Parse(*body).value();
    std::set<std::string> got;
    for (const char* k : {"provisions", "relationships", "services"}) {
      std::string noun(k, std::strlen(k) - 1);
      for (const Json& a : j.Find(k)->items()) got.insert(noun + ":" + a.Find("id")->as_string());
    }
    for (const char* k : {"offerings", "resources"}) {
      std::string noun(k, std::strlen(k) - 1);
      for (const Json& a : j.Find(k)->items()) {
        got.insert(noun + ":" + a.Find("id")->as_string() + "@" +
                   std::to_string(a.Find("version")->as_int()));
      }
    }
    ASSERT_EQ(got, want) << "GET /resources/" << start << "/lineage?version=" << version;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, ::testing::Values(1u, 2u, 3u));

// GET /concentration, computed off the state lock on a snapshot of the index
// and kept per seq: the same items as Concentrations on an index built from
// the log, before and after a write that changes them.
TEST(ConcentrationTest, TheEnginesAnswerFollowsEveryWrite) {
  StoreOptions o;
  o.spec = "sqlite::memory:";
  EngineOptions eo;
  eo.admin_token = "t";
  auto engine = Engine::Open(EventStore::Open(o).value(), eo).value();
  GeneratorOptions g;
  g.organizations = 120;
  g.seed = 4;
  g.evolve = true;
  ASSERT_TRUE(Generate(*engine, g).ok());
  const int kTop = 20;
  // The top items as the engine lists them, and as the index says.
  auto listed = [&] {
    Json j = Json::Parse(engine->Concentration(Principal::Admin(), kTop)).value();
    std::vector<std::pair<std::string, int64_t>> out;
    for (const Json& item : j.Find("items")->items()) {
      out.emplace_back(item.Find("id")->as_string(), item.Find("consumers_reached")->as_int());
    }
    EXPECT_TRUE(j.Find("exact")->as_bool());
    return out;
  };
  auto expected = [&] {
    std::vector<std::pair<std::string, int64_t>> out;
    const std::vector<Event> log = engine->Log().value();
    engine->Inspect([&](const State& state) {
      GraphIndex index;
      index.BeginBulk();
      for (const Event& e : log) index.Apply(e, state);
      index.EndBulk();
      for (const auto& c : Concentrations(index).items) {
        if (out.size() == kTop) break;
        out.emplace_back(c.id, c.consumers_reached);
      }
    });
    return out;
  };
  const auto before = listed();
  ASSERT_EQ(before.size(), static_cast<size_t>(kTop));
  EXPECT_EQ(before, expected());
  EXPECT_EQ(listed(), before) << "asked again at the same seq";
  // A newcomer takes up an offering the top item reaches: one more
  // organization reached from it.
  std::string offering;
  engine->Inspect([&](const State& state) {
    auto walk = Impact(state, before.front().first, -1);
    ASSERT_TRUE(walk.ok());
    for (const auto& n : walk->nodes) {
      if (n.noun == Noun::kOffering && offering.empty()) offering = n.id;
    }
  });
  ASSERT_FALSE(offering.empty());
  auto run = [&](StatusOr<Command> c) {
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto done = engine->Execute(Principal::Admin(), std::move(c).value());
    ASSERT_TRUE(done.ok()) << done.status().ToString();
  };
  auto create = [&](Noun noun, const std::string& body) {
    run(DecodeCreate(noun, Json::Parse(body).value()));
  };
  create(Noun::kOrganization, R"({"id":"newcomer","name":"newcomer"})");
  create(Noun::kRelationship, R"({"id":"rel-newcomer","offering":")" + offering +
                                  R"(","consumer":"newcomer","type":"basic"})");
  run(DecodeLifecycle("rel-newcomer", LifecycleVerb::kActivate, nullptr));
  const auto after = listed();
  EXPECT_EQ(after, expected());
  std::map<std::string, int64_t> was(before.begin(), before.end());
  std::map<std::string, int64_t> is(after.begin(), after.end());
  EXPECT_EQ(is[before.front().first], was[before.front().first] + 1);
}

}  // namespace
}  // namespace cocreate
