// The service relationship management benchmark (CONTRACT §6): one
// relationship with two service levels measured N times and value stated M
// times, then the same questions asked of
//   cocreate    the engine (GET /relationships/{id}/service-levels and
//               /value as their JSON answers, admin principal),
//   sqlite_sql  SQLite over the same rows, as a CMDB keeping measurements and
//               costs in tables would ask them (GROUP BY, SUM over REAL).
// Prints one JSON object: write rates, median answer times, their ratio, the
// bytes each measurement costs in memory, and whether each system's cost sum
// is exact (SQLite sums money in binary floating point).
#include <malloc.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/engine.h"
#include "rules/commands.h"

namespace cocreate {
namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "srm_bench: %s\n", why.c_str());
  std::exit(1);
}

// Resident memory of this process, in bytes (Linux /proc).
int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

template <typename F>
double MedianMs(int repeat, F&& fn) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    auto t = Clock::now();
    fn();
    ms.push_back(Ms(t));
  }
  return Median(ms);
}

void Must(Engine& engine, const Principal& p, StatusOr<Command> command) {
  if (!command.ok()) Die("bad command: " + command.status().ToString());
  auto outcome = engine.Execute(p, std::move(command).value());
  if (!outcome.ok()) Die("refused: " + outcome.status().ToString());
}

Json Parse(std::string_view text) {
  auto j = Json::Parse(text);
  if (!j.ok()) Die("bad JSON in the bench itself");
  return std::move(j).value();
}

// Submits every command at once (the committer groups them) and waits.
void SubmitAll(Engine& engine, const Principal& p, std::vector<Command>& commands) {
  std::atomic<int64_t> refused{0};
  std::vector<std::promise<void>> done(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    engine.Submit(p, std::move(commands[i]), [&, i](StatusOr<Outcome> o) {
      if (!o.ok()) refused++;
      done[i].set_value();
    });
  }
  for (auto& d : done) d.get_future().wait();
  if (refused > 0) Die(std::to_string(refused.load()) + " commands refused");
}

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) Die(error ? error : sql);
}

int Main(int argc, char** argv) {
  CLI::App app{"cocreate service relationship management benchmark"};
  int64_t measurements = 20000, statements = 10000;
  int repeat = 20;
  std::string data_dir;
  app.add_option("--measurements", measurements, "measurements recorded (two metrics)");
  app.add_option("--statements", statements, "value statements of 0.1 EUR each");
  app.add_option("--repeat", repeat, "times each question is asked");
  app.add_option("--data-dir", data_dir, "store folder (default: a fresh temporary one)");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::path dir = data_dir.empty()
                                  ? std::filesystem::temp_directory_path() /
                                        ("srm-bench-" + std::to_string(::getpid()))
                                  : std::filesystem::path(data_dir);
  std::filesystem::create_directories(dir);

  StoreOptions so;
  so.data_dir = dir.string();
  auto store = EventStore::Open(so);
  if (!store.ok()) Die(store.status().message());
  EngineOptions eo;
  eo.admin_token = "bench-admin-token-0123456789abcdef";
  auto opened = Engine::Open(std::move(store).value(), eo);
  if (!opened.ok()) Die(opened.status().message());
  Engine& engine = **opened;
  const Principal admin = Principal::Admin();
  Must(engine, admin, DecodeCreate(Noun::kOrganization, Parse(R"({"id": "p", "name": "P"})")));
  Must(engine, admin, DecodeCreate(Noun::kOrganization, Parse(R"({"id": "c", "name": "C"})")));
  Must(engine, admin, DecodeCreate(Noun::kService, Parse(R"({"id": "s", "provider": "p", "name": "S"})")));
  Must(engine, admin, DecodeCreate(Noun::kOffering, Parse(R"({"id": "o", "provider": "p",
      "service": "s", "name": "O", "audience": "public",
      "actions": [{"name": "a", "effect": "none"}],
      "service_levels": [{"metric": "availability", "objective": 99.9, "unit": "%"},
                         {"metric": "latency", "objective": 250, "unit": "ms", "target": "at_most"}]})")));
  Must(engine, admin, DecodeCreate(Noun::kRelationship,
                                   Parse(R"({"id": "r", "offering": "o", "consumer": "c", "type": "basic"})")));
  Must(engine, admin, DecodeLifecycle("r", LifecycleVerb::kActivate, nullptr));

  // The rows, made once and given to both systems.
  struct Row {
    std::string metric, value, period_end;
    double objective;
    bool at_most;
  };
  std::mt19937 rng(1);
  std::vector<Row> rows;
  for (int64_t i = 0; i < measurements; ++i) {
    bool latency = i % 2 == 1;
    int64_t day = i / 2;
    char end[40];
    std::snprintf(end, sizeof end, "%04lld-01-01T00:00:00Z", static_cast<long long>(2000 + day % 90));
    std::string value = latency ? std::to_string(200 + static_cast<int>(rng() % 80))
                                : "99." + std::to_string(80 + static_cast<int>(rng() % 20));
    rows.push_back({latency ? "latency" : "availability", value, end, latency ? 250.0 : 99.9,
                    latency});
  }
  // In batches, so that the commands in flight weigh little against the state.
  malloc_trim(0);
  const int64_t rss_before = ResidentBytes();
  std::vector<Command> commands;
  double write_s = 0;
  for (size_t from = 0; from < rows.size(); from += 500) {
    for (size_t i = from; i < rows.size() && i < from + 500; ++i) {
      std::string body = "{\"metric\": \"" + rows[i].metric + "\", \"value\": " +
                         rows[i].value + ", \"period\": {\"start\": \"" + rows[i].period_end +
                         "\", \"end\": \"" + rows[i].period_end + "\"}}";
      auto c = DecodeRecordMeasurement("r", Parse(body));
      if (!c.ok()) Die(c.status().ToString());
      commands.push_back(std::move(c).value());
    }
    auto t = Clock::now();
    SubmitAll(engine, admin, commands);
    write_s += Ms(t) / 1000;
    commands.clear();
  }
  malloc_trim(0);
  const int64_t rss_after = ResidentBytes();

  commands.clear();
  for (int64_t i = 0; i < statements; ++i) {
    commands.push_back(DecodeValueStatement("r", Parse(R"({"costs": [{"amount": 0.1,
        "currency": "EUR", "kind": "introduced"}]})")).value());
  }
  auto t = Clock::now();
  SubmitAll(engine, Principal::Member("c"), commands);
  double value_write_s = Ms(t) / 1000;

  std::string levels_answer, value_answer;
  double cocreate_levels_ms = MedianMs(repeat, [&] {
    levels_answer = engine.ServiceLevels(admin, "r", TimeWindow{}).value();
  });
  double cocreate_value_ms = MedianMs(repeat, [&] {
    value_answer = engine.RelationshipValue(admin, "r", TimeWindow{}).value();
  });

  // SQLite over the same rows.
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  Exec(db, "CREATE TABLE m (metric TEXT, value REAL, objective REAL, at_most INTEGER, "
           "period_end TEXT); CREATE INDEX m_metric ON m (metric, period_end);"
           "CREATE TABLE v (party TEXT, amount REAL, currency TEXT, kind TEXT);");
  Exec(db, "BEGIN");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO m VALUES (?, ?, ?, ?, ?)", -1, &insert, nullptr);
  for (const Row& r : rows) {
    sqlite3_bind_text(insert, 1, r.metric.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(insert, 2, std::stod(r.value));
    sqlite3_bind_double(insert, 3, r.objective);
    sqlite3_bind_int(insert, 4, r.at_most);
    sqlite3_bind_text(insert, 5, r.period_end.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  sqlite3_prepare_v2(db, "INSERT INTO v VALUES ('c', 0.1, 'EUR', 'introduced')", -1, &insert,
                     nullptr);
  for (int64_t i = 0; i < statements; ++i) {
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  Exec(db, "COMMIT");
  // Per metric: count, met, attainment, the last one, and the breaches.
  const char* levels_sql =
      "WITH j AS (SELECT *, CASE WHEN at_most THEN value <= objective ELSE value >= objective END "
      "AS met FROM m) SELECT metric, COUNT(*), SUM(met), 1.0 * SUM(met) / COUNT(*), "
      "MAX(period_end) FROM j GROUP BY metric "
      "UNION ALL SELECT metric, value, objective, 0, period_end FROM j WHERE NOT met";
  int64_t sql_rows = 0;
  double sqlite_levels_ms = MedianMs(repeat, [&] {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, levels_sql, -1, &q, nullptr);
    sql_rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) ++sql_rows;
    sqlite3_finalize(q);
  });
  double sqlite_sum = 0;
  double sqlite_value_ms = MedianMs(repeat, [&] {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT currency, kind, SUM(amount) FROM v GROUP BY currency, kind",
                       -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW) sqlite_sum = sqlite3_column_double(q, 2);
    sqlite3_finalize(q);
  });
  sqlite3_close(db);

  // Exactness: the statements sum to statements / 10 EUR.
  Json value = Parse(value_answer);
  const Json* eur = value.Find("consumer_stated")->Find("costs")->Find("introduced")->Find("EUR");
  std::string expected = std::to_string(statements / 10);
  if (statements % 10 != 0) expected += "." + std::to_string(statements % 10);
  char sqlite_text[64];
  std::snprintf(sqlite_text, sizeof sqlite_text, "%.17g", sqlite_sum);
  Json levels = Parse(levels_answer);
  int64_t breaches = 0;
  for (const Json& item : levels.Find("items")->items()) {
    breaches += static_cast<int64_t>(item.Find("breaches")->items().size());
  }

  Json out = Json::MakeObject(
      {{"measurements", Json(measurements)},
       {"statements", Json(statements)},
       {"breaches", Json(breaches)},
       {"sqlite_rows", Json(sql_rows)},
       {"cocreate_measurements_per_s", Json(static_cast<double>(measurements) / write_s)},
       {"cocreate_statements_per_s", Json(static_cast<double>(statements) / value_write_s)},
       {"cocreate_bytes_per_measurement",
        Json(static_cast<double>(rss_after - rss_before) / static_cast<double>(measurements))},
       {"service_levels_ms", Json::MakeObject({{"cocreate", Json(cocreate_levels_ms)},
                                              {"sqlite_sql", Json(sqlite_levels_ms)},
                                              {"ratio", Json(cocreate_levels_ms / sqlite_levels_ms)}})},
       {"value_ms", Json::MakeObject({{"cocreate", Json(cocreate_value_ms)},
                                     {"sqlite_sql", Json(sqlite_value_ms)},
                                     {"ratio", Json(cocreate_value_ms / sqlite_value_ms)}})},
       {"cost_sum", Json::MakeObject({{"expected", Json(expected)},
                                     {"cocreate", Json(eur ? eur->NumberText() : "missing")},
                                     {"cocreate_exact", Json(eur && eur->NumberText() == expected)},
                                     {"sqlite_sql", Json(std::string(sqlite_text))},
                                     {"sqlite_exact", Json(std::string(sqlite_text) == expected)}})}});
  std::printf("%s\n", out.Dump().c_str());
  engine.Stop();
  if (data_dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace cocreate

int main(int argc, char** argv) { return cocreate::Main(argc, argv); }
