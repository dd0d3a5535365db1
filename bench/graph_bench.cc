// The graph benchmark's in-process part: loads a store into the engine, then
// asks the same impact questions of
//   cocreate     the engine's query API (JSON answer, admin principal),
//   csr_limit    a bare C++ CSR BFS over the same edges (the physical limit),
//   sqlite_cte   SQLite, recursive CTE with UNION over a WITHOUT ROWID (src, dst) key,
//   postgresql_cte  PostgreSQL, the same CTE over an indexed (src, dst) key (with --postgres),
// counts mismatches of the number reached, and writes the edges and starts
// for the Python part (igraph, HTTP). Prints one JSON object.
//
// The starts: `--queries` uniformly random resources, services, offerings and
// relationships (the `systems` figures); then more random ones until each
// reach bucket (small < 100 nodes reached, medium 100-10k, large > 10k) holds
// `--bucket-min` of them, as far as `--max-draws` draws find them; then the
// hubs: the `--hubs` starts that reach the most (found by sampling, below).
// Each system answers each start `--repeat` times; the median counts.
// `buckets.<bucket>.<system>` sums up each bucket's starts (the random
// sample's included), `buckets.hubs.<system>` the hubs.
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

enum class Bucket { kSmall, kMedium, kLarge, kHubs };
constexpr const char* kBucketNames[] = {"small", "medium", "large", "hubs"};
Bucket BucketOf(int64_t reached) {
  return reached < 100 ? Bucket::kSmall : reached <= 10'000 ? Bucket::kMedium : Bucket::kLarge;
}

// The edges as offsets and targets, for csr_limit and for choosing starts.
struct Csr {
  std::vector<int32_t> offsets, targets;
  size_t nodes() const { return offsets.size() - 1; }
};

// Breadth-first from `s` with a visit stamp; returns how many nodes were
// reached, the start not counted. `seen` and `queue` hold nodes() entries.
int64_t CsrReach(const Csr& g, int32_t s, std::vector<uint32_t>& seen,
                 std::vector<int32_t>& queue, uint32_t& stamp) {
  ++stamp;
  size_t head = 0, tail = 0;
  seen[s] = stamp;
  queue[tail++] = s;
  while (head < tail) {
    int32_t u = queue[head++];
    for (int32_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) {
      if (seen[g.targets[e]] != stamp) {
        seen[g.targets[e]] = stamp;
        queue[tail++] = g.targets[e];
      }
    }
  }
  return static_cast<int64_t>(tail) - 1;
}

struct Result {
  std::vector<double> ms;
  std::vector<int64_t> reached;
  double load_s = 0;
  double bytes_per_edge = 0;
  double index_build_s = -1;
};

// The figures of the starts `which` (positions in r.ms). A bucket's
// (`kBucket`) says how many starts it holds; the uniform sample's
// (`kSystem`) adds the load figures.
enum class Figures { kSystem, kBucket };
Json Summary(const Result& r, const std::vector<size_t>& which, Figures figures) {
  std::vector<double> sorted;
  double total = 0, reached = 0;
  size_t answered = 0;
  auto add = [&](size_t i) {
    sorted.push_back(r.ms[i]);
    total += r.ms[i];
    if (r.reached[i] < 0) return;  // a start hidden from the member (404)
    reached += static_cast<double>(r.reached[i]);
    ++answered;
  };
  for (size_t i : which) add(i);
  std::sort(sorted.begin(), sorted.end());
  // As bench/graph.py computes them for the systems it runs itself.
  size_t n = sorted.size();
  double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  double p95 = sorted[std::max<size_t>(1, static_cast<size_t>(0.95 * n)) - 1];
  Json out = Json::MakeObject({{"median_ms", Json(median)},
                           {"p95_ms", Json(p95)},
                           {"total_ms", Json(total)},
                           {"mean_reached", Json(reached / std::max<size_t>(1, answered))}});
  if (figures == Figures::kBucket) {
    out.Set("queries", Json(static_cast<int64_t>(n)));
    return out;
  }
  out.Set("load_s", Json(r.load_s));
  out.Set("bytes_per_edge", Json(r.bytes_per_edge));
  if (r.index_build_s >= 0) out.Set("index_build_s", Json(r.index_build_s));
  return out;
}

// Times run(start) for every start: `repeat` runs back to back, keeping the
// median (so a run that another process preempted does not count) and the
// last run's count reached.
template <typename F>
void TimeEach(Result& r, const std::vector<int32_t>& starts, int repeat, F&& run) {
  std::vector<double> runs;
  for (int32_t s : starts) {
    runs.clear();
    int64_t reached = 0;
    for (int i = 0; i < repeat; ++i) {
      auto t = Clock::now();
      reached = run(s);
      runs.push_back(Ms(t));
    }
    std::sort(runs.begin(), runs.end());
    r.ms.push_back(runs[runs.size() / 2]);
    r.reached.push_back(reached);
  }
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "graph_bench: %s\n", why.c_str());
  std::exit(1);
}

int Main(int argc, char** argv) {
  CLI::App app{"cocreate graph benchmark (in-process part)"};
  std::string data_dir, pg_url, edges_out, starts_out;
  int queries = 100, bucket_min = 20, hubs = 10, repeat = 3;
  int64_t max_draws = 100'000;
  uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "store made by cocreate generate")->required();
  app.add_option("--queries", queries, "uniformly random starts (the `systems` figures)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "seed of the starts");
  app.add_option("--bucket-min", bucket_min, "random starts wanted per reach bucket");
  app.add_option("--max-draws", max_draws, "random draws at most to fill the buckets");
  app.add_option("--hubs", hubs, "starts of the hubs bucket");
  app.add_option("--repeat", repeat, "runs per start and system; the median is kept")
      ->check(CLI::PositiveNumber);
  app.add_option("--postgres", pg_url, "PostgreSQL URL for postgresql_cte");
  bool no_sql = false;
  app.add_flag("--no-sql", no_sql, "skip sqlite_cte and postgresql_cte (for profiling)");
  app.add_option("--edges-out", edges_out, "write 'src dst' lines here");
  app.add_option("--starts-out", starts_out,
                 "write 'index id reached bucket in_sample' lines here");
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
      for (const std::string& id : s.Ids(n)) {
        index[id] = static_cast<int32_t>(names.size());
        names.push_back(id);
      }
    }
    for (Noun n : {Noun::kResource, Noun::kService, Noun::kOffering, Noun::kRelationship}) {
      for (const std::string& id : s.Ids(n)) {
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
      for (const std::string& id : s.Ids(n)) candidates.push_back(index[id]);
    }
  });
  // The CSR of csr_limit, built here to choose the starts by their reach.
  Csr csr;
  auto csr_started = Clock::now();
  {
    size_t n = names.size();
    csr.offsets.assign(n + 1, 0);
    csr.targets.resize(edges.size());
    for (auto& [u, v] : edges) csr.offsets[u + 1]++;
    for (size_t i = 0; i < n; ++i) csr.offsets[i + 1] += csr.offsets[i];
    std::vector<int32_t> fill(csr.offsets.begin(), csr.offsets.end() - 1);
    for (auto& [u, v] : edges) csr.targets[fill[u]++] = v;
  }
  double csr_load_s = Ms(csr_started) / 1000;
  std::vector<uint32_t> seen(names.size(), 0);
  std::vector<int32_t> queue(names.size());
  uint32_t stamp = 0;

  std::mt19937_64 rng(seed);
  std::vector<int32_t> starts;
  std::vector<Bucket> bucket;   // of starts[i]
  std::vector<bool> in_sample;  // starts[i] is one of the --queries uniform ones
  size_t per_bucket[3] = {};
  auto draw = [&](bool sample) {
    int32_t s = candidates[rng() % candidates.size()];
    Bucket b = BucketOf(CsrReach(csr, s, seen, queue, stamp));
    size_t& have = per_bucket[static_cast<int>(b)];
    if (!sample && have >= static_cast<size_t>(bucket_min)) return;
    ++have;
    starts.push_back(s);
    bucket.push_back(b);
    in_sample.push_back(sample);
  };
  for (int i = 0; i < queries; ++i) draw(true);
  for (int64_t i = 0; i < max_draws && *std::min_element(std::begin(per_bucket),
                                                         std::end(per_bucket)) <
                                           static_cast<size_t>(bucket_min);
       ++i) {
    draw(false);
  }
  // Hubs: the starts that reach the most. Walking upstream from 1000 random
  // nodes counts, for every start, how many of them it reaches (about
  // 1000 × its reach / nodes); the 200 that reach the most of them are
  // measured exactly, and the widest `hubs` of those kept.
  {
    const size_t n = names.size();
    Csr up;
    up.offsets.assign(n + 1, 0);
    up.targets.resize(edges.size());
    for (auto& [u, v] : edges) up.offsets[v + 1]++;
    for (size_t i = 0; i < n; ++i) up.offsets[i + 1] += up.offsets[i];
    std::vector<int32_t> fill(up.offsets.begin(), up.offsets.end() - 1);
    for (auto& [u, v] : edges) up.targets[fill[v]++] = u;
    std::vector<int32_t> hits(n, 0);
    std::mt19937_64 targets_rng(seed);
    for (int i = 0; i < 1000; ++i) {
      int64_t above = CsrReach(up, static_cast<int32_t>(targets_rng() % n), seen, queue, stamp);
      for (int64_t j = 1; j <= above; ++j) ++hits[queue[j]];
    }
    std::vector<int32_t> ranked = candidates;
    size_t top = std::min<size_t>(200, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + top, ranked.end(),
                      [&](int32_t a, int32_t b) {
                        return hits[a] != hits[b] ? hits[a] > hits[b] : a < b;
                      });
    std::vector<std::pair<int64_t, int32_t>> by_reach;  // (-reach, start)
    for (size_t i = 0; i < top; ++i) {
      by_reach.emplace_back(-CsrReach(csr, ranked[i], seen, queue, stamp), ranked[i]);
    }
    std::sort(by_reach.begin(), by_reach.end());
    for (size_t i = 0; i < by_reach.size() && i < static_cast<size_t>(hubs); ++i) {
      starts.push_back(by_reach[i].second);
      bucket.push_back(Bucket::kHubs);
      in_sample.push_back(false);
    }
  }

  // cocreate: the engine's query API. The in-memory systems each answer
  // every start once untimed first, as a long-running server would have.
  for (int32_t s : starts) (void)(*engine)->ImpactCounts(Principal::Admin(), names[s], -1);
  TimeEach(results["cocreate"], starts, repeat, [&](int32_t s) {
    auto answer = (*engine)->ImpactCounts(Principal::Admin(), names[s], -1);
    if (!answer.ok()) Die(answer.status().message());
    return answer->affected + answer->redacted;
  });

  // cocreate_member: the same walks for an organization's token (the most
  // connected provider), visibility checked for every node reached.
  {
    Principal member = Principal::Member(names[0]);
    member.role = Role::kViewer;
    for (int32_t s : starts) (void)(*engine)->ImpactCounts(member, names[s], -1);
    Result& r = results["cocreate_member"];
    TimeEach(r, starts, repeat, [&](int32_t s) -> int64_t {
      auto answer = (*engine)->ImpactCounts(member, names[s], -1);
      // A start the member may not see answers 404: counted as reaching nothing.
      return answer.ok() ? answer->affected + answer->redacted : -1;
    });
    r.load_s = results["cocreate"].load_s;
  }

  // csr_limit: offsets and targets, BFS with a visit stamp.
  {
    const std::vector<int32_t>& offsets = csr.offsets;
    const std::vector<int32_t>& targets = csr.targets;
    Result& r = results["csr_limit"];
    r.load_s = csr_load_s;
    r.bytes_per_edge = (offsets.size() + targets.size()) * 4.0 / std::max<size_t>(1, edges.size());
    auto bfs = [&](int32_t s) {
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
      return static_cast<int64_t>(tail) - 1;
    };
    for (int32_t s : starts) (void)bfs(s);  // the untimed warm-up pass
    TimeEach(r, starts, repeat, bfs);
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
    TimeEach(r, starts, repeat, [&](int32_t s) {
      sqlite3_bind_int(q, 1, s);
      sqlite3_step(q);
      int64_t count = sqlite3_column_int64(q, 0);
      sqlite3_reset(q);
      return count;
    });
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
    TimeEach(r, starts, repeat, [&](int32_t s) {
      std::string v = std::to_string(s);
      const char* params[] = {v.c_str()};
      PGresult* res = PQexecParams(c, cte, 1, nullptr, params, nullptr, nullptr, 0);
      if (PQresultStatus(res) != PGRES_TUPLES_OK) Die(PQerrorMessage(c));
      int64_t count = std::stoll(PQgetvalue(res, 0, 0));
      PQclear(res);
      return count;
    });
    PQfinish(c);
  }

  if (!edges_out.empty()) {
    std::ofstream out(edges_out);
    for (auto& [u, v] : edges) out << u << ' ' << v << '\n';
  }
  if (!starts_out.empty()) {
    std::ofstream out(starts_out);
    for (size_t i = 0; i < starts.size(); ++i) {
      out << starts[i] << ' ' << names[starts[i]] << ' ' << results["csr_limit"].reached[i] << ' '
          << kBucketNames[static_cast<int>(bucket[i])] << ' ' << (in_sample[i] ? 1 : 0) << '\n';
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
  // `systems`: the uniform sample, as before buckets; `buckets`: each
  // bucket's starts (an empty object when no draw found one).
  std::vector<size_t> sample;
  std::vector<size_t> members[4];
  for (size_t i = 0; i < starts.size(); ++i) {
    if (in_sample[i]) sample.push_back(i);
    members[static_cast<int>(bucket[i])].push_back(i);
  }
  Json systems = Json::MakeObject();
  for (auto& [name, r] : results) systems.Set(name, Summary(r, sample, Figures::kSystem));
  Json buckets = Json::MakeObject();
  for (int b = 0; b < 4; ++b) {
    Json per_system = Json::MakeObject();
    if (!members[b].empty()) {
      for (auto& [name, r] : results) {
        per_system.Set(name, Summary(r, members[b], Figures::kBucket));
      }
    }
    buckets.Set(kBucketNames[b], per_system);
  }
  Json out = Json::MakeObject({{"nodes", Json(static_cast<int64_t>(names.size()))},
                               {"edges", Json(static_cast<int64_t>(edges.size()))},
                               {"queries", Json(static_cast<int64_t>(sample.size()))},
                               {"starts", Json(static_cast<int64_t>(starts.size()))},
                               {"mismatches", Json(mismatches)},
                               {"systems", systems},
                               {"buckets", buckets}});
  std::printf("%s\n", out.Dump().c_str());
  return 0;
}

}  // namespace
}  // namespace cocreate

int main(int argc, char** argv) { return cocreate::Main(argc, argv); }
