// The graph benchmark's in-process part: loads a store into the engine, then
// asks the same impact questions (100 random starts) of
//   cocreate     the engine's query API (JSON answer, admin principal),
//   csr_limit    a bare C++ CSR BFS over the same edges (the physical limit),
//   sqlite_cte   SQLite, recursive CTE with UNION over a WITHOUT ROWID (src, dst) key,
//   postgresql_cte  PostgreSQL, the same CTE over an indexed (src, dst) key (with --postgres),
// counts mismatches of the number reached, and writes the edges and starts
// for the Python part (igraph, HTTP). Prints one JSON object.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/engine.h"
#include "graph/index.h"
#include "graph/traversal.h"

namespace cocreate {
namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

struct Result {
  std::vector<double> ms;
  std::vector<int64_t> reached;
  double load_s = 0;
  double bytes_per_edge = 0;
  double index_build_s = -1;
};

Json Summary(const Result& r) {
  std::vector<double> sorted = r.ms;
  std::sort(sorted.begin(), sorted.end());
  double total = 0, reached = 0;
  for (double m : r.ms) total += m;
  size_t answered = 0;
  for (int64_t n : r.reached) {
    if (n < 0) continue;  // a start hidden from the member (404)
    reached += static_cast<double>(n);
    ++answered;
  }
  // As bench/graph.py computes them for the systems it runs itself.
  size_t n = sorted.size();
  double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  double p95 = sorted[std::max<size_t>(1, static_cast<size_t>(0.95 * n)) - 1];
  Json out = Json::MakeObject({{"median_ms", Json(median)},
                           {"p95_ms", Json(p95)},
                           {"total_ms", Json(total)},
                           {"mean_reached", Json(reached / std::max<size_t>(1, answered))},
                           {"load_s", Json(r.load_s)},
                           {"bytes_per_edge", Json(r.bytes_per_edge)}});
  if (r.index_build_s >= 0) out.Set("index_build_s", Json(r.index_build_s));
  return out;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "graph_bench: %s\n", why.c_str());
  std::exit(1);
}

int Main(int argc, char** argv) {
  CLI::App app{"cocreate graph benchmark (in-process part)"};
  std::string data_dir, pg_url, edges_out, starts_out;
  int queries = 100;
  uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "store made by cocreate generate")->required();
  app.add_option("--queries", queries, "random start nodes");
  app.add_option("--seed", seed, "seed of the starts");
  app.add_option("--postgres", pg_url, "PostgreSQL URL for postgresql_cte");
  bool no_sql = false;
  app.add_flag("--no-sql", no_sql, "skip sqlite_cte and postgresql_cte (for profiling)");
  app.add_option("--edges-out", edges_out, "write 'src dst' lines here");
  app.add_option("--starts-out", starts_out, "write 'index id' lines here");
  CLI11_PARSE(app, argc, argv);

  std::map<std::string, Result> results;
  auto t0 = Clock::now();
  StoreOptions so;
  so.data_dir = data_dir;
  auto store = EventStore::Open(so);
  if (!store.ok()) Die(store.status().message());
  EngineOptions eo;
  eo.admin_token = "bench";
  auto engine = Engine::Open(std::move(store).value(), eo);
  if (!engine.ok()) Die(engine.status().message());
  double load_s = Ms(t0) / 1000;

  // Nodes and edges, numbered densely.
  std::vector<std::string> names;
  std::unordered_map<std::string, int32_t> index;
  std::vector<std::pair<int32_t, int32_t>> edges;
  (*engine)->Inspect([&](const State& s) {
    for (Noun n : {Noun::kOrganization, Noun::kResource, Noun::kService, Noun::kOffering,
                   Noun::kRelationship}) {
      for (const auto& id : s.Ids(n)) {
        index[id] = static_cast<int32_t>(names.size());
        names.push_back(id);
      }
    }
    for (Noun n : {Noun::kResource, Noun::kService, Noun::kOffering, Noun::kRelationship}) {
      for (const auto& id : s.Ids(n)) {
        int32_t u = index[id];
        ForEachDownstream(s, id, n, [&](const std::string& to, Noun) {
          edges.emplace_back(u, index.at(to));
        });
      }
    }
  });
  // A relationship can reach one resource through several provisions: one edge.
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  results["cocreate"].load_s = load_s;
  // The index's own bytes (adjacencies both ways, node fields, id table),
  // and how long it takes to build from the event log alone.
  double index_build_s = 0;
  const std::vector<Event> log = (*engine)->Log().value();
  (*engine)->Inspect([&](const State& s) {
    auto t = Clock::now();
    GraphIndex index;
    index.BeginBulk();
    for (const Event& e : log) index.Apply(e, s);
    index.EndBulk();
    index_build_s = Ms(t) / 1000;
    results["cocreate"].bytes_per_edge =
        static_cast<double>(index.MemoryBytes()) / std::max<size_t>(1, edges.size());
  });
  results["cocreate"].index_build_s = index_build_s;

  // Starts: resources, services, offerings, relationships (organizations are sinks).
  std::vector<int32_t> candidates;
  (*engine)->Inspect([&](const State& s) {
    for (Noun n : {Noun::kResource, Noun::kService, Noun::kOffering, Noun::kRelationship}) {
      for (const auto& id : s.Ids(n)) candidates.push_back(index[id]);
    }
  });
  std::mt19937_64 rng(seed);
  std::vector<int32_t> starts;
  for (int i = 0; i < queries; ++i) starts.push_back(candidates[rng() % candidates.size()]);

  // cocreate: the engine's query API. The in-memory systems each answer
  // every start once untimed first, as a long-running server would have.
  for (int32_t s : starts) (void)(*engine)->ImpactCounts(Principal::Admin(), names[s], -1);
  for (int32_t s : starts) {
    auto t = Clock::now();
    auto answer = (*engine)->ImpactCounts(Principal::Admin(), names[s], -1);
    double ms = Ms(t);
    if (!answer.ok()) Die(answer.status().message());
    int64_t reached = answer->affected + answer->redacted;
    results["cocreate"].ms.push_back(ms);
    results["cocreate"].reached.push_back(reached);
  }

  // cocreate_member: the same walks for an organization's token (the most
  // connected provider), visibility checked for every node reached.
  {
    Principal member = Principal::Member(names[0]);
    member.role = Role::kViewer;
    for (int32_t s : starts) (void)(*engine)->ImpactCounts(member, names[s], -1);
    Result& r = results["cocreate_member"];
    for (int32_t s : starts) {
      auto t = Clock::now();
      auto answer = (*engine)->ImpactCounts(member, names[s], -1);
      double ms = Ms(t);
      // A start the member may not see answers 404: counted as reaching nothing.
      r.ms.push_back(ms);
      r.reached.push_back(answer.ok() ? answer->affected + answer->redacted : -1);
    }
    r.load_s = results["cocreate"].load_s;
  }

  // csr_limit: offsets and targets, BFS with a visit stamp.
  {
    auto t = Clock::now();
    size_t n = names.size();
    std::vector<int32_t> offsets(n + 1, 0), targets(edges.size());
    for (auto& [u, v] : edges) offsets[u + 1]++;
    for (size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
    std::vector<int32_t> fill(offsets.begin(), offsets.end() - 1);
    for (auto& [u, v] : edges) targets[fill[u]++] = v;
    Result& r = results["csr_limit"];
    r.load_s = Ms(t) / 1000;
    r.bytes_per_edge = (offsets.size() + targets.size()) * 4.0 / std::max<size_t>(1, edges.size());
    std::vector<uint32_t> seen(n, 0);
    std::vector<int32_t> queue(n);
    uint32_t stamp = 0;
    for (int pass = 0; pass < 2; ++pass)
    for (int32_t s : starts) {
      auto q = Clock::now();
      ++stamp;
      size_t head = 0, tail = 0;
      seen[s] = stamp;
      queue[tail++] = s;
      while (head < tail) {
        int32_t u = queue[head++];
        for (int32_t e = offsets[u]; e < offsets[u + 1]; ++e) {
          if (seen[targets[e]] != stamp) {
            seen[targets[e]] = stamp;
            queue[tail++] = targets[e];
          }
        }
      }
      if (pass == 0) continue;  // the untimed warm-up pass
      r.ms.push_back(Ms(q));
      r.reached.push_back(static_cast<int64_t>(tail) - 1);
    }
  }

  const char* cte =
      "WITH RECURSIVE r(n) AS (SELECT dst FROM e WHERE src = $1 UNION "
      "SELECT e.dst FROM e JOIN r ON e.src = r.n) SELECT count(*) FROM r WHERE n <> $1";

  // sqlite_cte.
  if (!no_sql) {
  {
    sqlite3* db = nullptr;
    sqlite3_open(":memory:", &db);
    auto t = Clock::now();
    sqlite3_exec(db, "CREATE TABLE e (src INTEGER, dst INTEGER, PRIMARY KEY (src, dst)) WITHOUT ROWID; BEGIN",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* ins;
    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO e VALUES (?, ?)", -1, &ins, nullptr);
    for (auto& [u, v] : edges) {
      sqlite3_bind_int(ins, 1, u);
      sqlite3_bind_int(ins, 2, v);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    Result& r = results["sqlite_cte"];
    r.load_s = Ms(t) / 1000;
    std::string sql = cte;
    for (size_t at; (at = sql.find("$1")) != std::string::npos;) sql.replace(at, 2, "?1");
    sqlite3_stmt* q;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr);
    for (int32_t s : starts) {
      auto qt = Clock::now();
      sqlite3_bind_int(q, 1, s);
      sqlite3_step(q);
      int64_t count = sqlite3_column_int64(q, 0);
      sqlite3_reset(q);
      r.ms.push_back(Ms(qt));
      r.reached.push_back(count);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
  }

  }
  // postgresql_cte.
  if (!pg_url.empty() && !no_sql) {
    PGconn* c = PQconnectdb(pg_url.c_str());
    if (PQstatus(c) != CONNECTION_OK) Die(PQerrorMessage(c));
    auto exec = [&](const std::string& sql) {
      PGresult* res = PQexec(c, sql.c_str());
      if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK &&
          PQresultStatus(res) != PGRES_COPY_IN) {
        Die(PQerrorMessage(c));
      }
      PQclear(res);
    };
    auto t = Clock::now();
    exec("DROP TABLE IF EXISTS e; CREATE TABLE e (src INT NOT NULL, dst INT NOT NULL)");
    exec("COPY e FROM STDIN");
    std::string chunk;
    for (auto& [u, v] : edges) {
      chunk += std::to_string(u) + '\t' + std::to_string(v) + '\n';
      if (chunk.size() > (1 << 20)) {
        PQputCopyData(c, chunk.data(), static_cast<int>(chunk.size()));
        chunk.clear();
      }
    }
    PQputCopyData(c, chunk.data(), static_cast<int>(chunk.size()));
    PQputCopyEnd(c, nullptr);
    PQclear(PQgetResult(c));
    exec("CREATE UNIQUE INDEX e_src_dst ON e (src, dst); ANALYZE e");
    Result& r = results["postgresql_cte"];
    r.load_s = Ms(t) / 1000;
    for (int32_t s : starts) {
      std::string v = std::to_string(s);
      const char* params[] = {v.c_str()};
      auto qt = Clock::now();
      PGresult* res = PQexecParams(c, cte, 1, nullptr, params, nullptr, nullptr, 0);
      if (PQresultStatus(res) != PGRES_TUPLES_OK) Die(PQerrorMessage(c));
      r.ms.push_back(Ms(qt));
      r.reached.push_back(std::stoll(PQgetvalue(res, 0, 0)));
      PQclear(res);
    }
    PQfinish(c);
  }

  if (!edges_out.empty()) {
    std::ofstream out(edges_out);
    for (auto& [u, v] : edges) out << u << ' ' << v << '\n';
  }
  if (!starts_out.empty()) {
    std::ofstream out(starts_out);
    for (size_t i = 0; i < starts.size(); ++i) {
      out << starts[i] << ' ' << names[starts[i]] << ' ' << results["csr_limit"].reached[i] << '\n';
    }
  }

  int64_t mismatches = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    for (auto& [name, r] : results) {
      if (r.reached[i] < 0) continue;  // a start hidden from the member (404)
      if (r.reached[i] != results["csr_limit"].reached[i]) {
        ++mismatches;
        break;
      }
    }
  }
  Json systems = Json::MakeObject();
  for (auto& [name, r] : results) systems.Set(name, Summary(r));
  Json out = Json::MakeObject({{"nodes", Json(static_cast<int64_t>(names.size()))},
                               {"edges", Json(static_cast<int64_t>(edges.size()))},
                               {"queries", Json(static_cast<int64_t>(starts.size()))},
                               {"mismatches", Json(mismatches)},
                               {"systems", systems}});
  std::printf("%s\n", out.Dump().c_str());
  return 0;
}

}  // namespace
}  // namespace cocreate

int main(int argc, char** argv) { return cocreate::Main(argc, argv); }
