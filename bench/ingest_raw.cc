// The raw ingest limit on this machine: event-shaped rows inserted durably by
// a bare SQLite or libpq program, in batches of `--batch` rows per
// transaction (what group commit can at best achieve), and one row per
// transaction. No HTTP, no JSON decoding, no rules.
//
//   ingest_raw --sqlite PATH | --postgres URL  [--rows N] [--batch B]
// Prints one JSON object: {"backend", "rows", "batch", "batched_rows_per_s",
// "single_rows_per_s"}.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

const char* kData =
    R"({"id":"prov-x","relationship":"rel-1","action":"collect","provider":"o1","consumer":"o2",)"
    R"("used":[],"created":[],"modified":[],"transferred":[],"value":{"outcomes":["done"],)"
    R"("costs":[{"amount":3.4,"currency":"EUR","kind":"introduced"}],"risks":[]}})";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Die(const std::string& what) {
  std::fprintf(stderr, "ingest_raw: %s\n", what.c_str());
  std::exit(1);
}

double Sqlite(const std::string& path, int rows, int batch, int64_t& seq) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die(sqlite3_errmsg(db));
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT, at TEXT,"
               " actor TEXT, subject TEXT, data TEXT, private TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?, 'provision.performed', "
                         "'2026-11-27T00:00:00.000Z', 'o1', 'prov-x', ?, 'null')",
                     -1, &ins, nullptr);
  auto start = std::chrono::steady_clock::now();
  for (int done = 0; done < rows; done += batch) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (int i = 0; i < batch; ++i) {
      sqlite3_reset(ins);
      sqlite3_bind_int64(ins, 1, ++seq);
      sqlite3_bind_text(ins, 2, kData, -1, SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE) Die(sqlite3_errmsg(db));
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
  }
  double s = Seconds(start);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return rows / s;
}

double Postgres(const std::string& url, int rows, int batch, int64_t& seq) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) Die(PQerrorMessage(c));
  PQclear(PQexec(c, "CREATE TABLE IF NOT EXISTS raw_events (seq BIGINT PRIMARY KEY, type TEXT,"
                    " at TEXT, actor TEXT, subject TEXT, data JSON, private JSON)"));
  auto start = std::chrono::steady_clock::now();
  for (int done = 0; done < rows; done += batch) {
    // One multi-row INSERT per batch, as the store does: one round trip.
    std::string sql = "INSERT INTO raw_events VALUES ";
    std::vector<std::string> values;
    for (int i = 0; i < batch; ++i) {
      if (i) sql += ',';
      sql += "($" + std::to_string(i + 1) +
             "::bigint,'provision.performed','2026-11-27T00:00:00.000Z','o1','prov-x','" + kData +
             "'::json,'null'::json)";
      values.push_back(std::to_string(++seq));
    }
    std::vector<const char*> params;
    for (const auto& v : values) params.push_back(v.c_str());
    PGresult* r = PQexecParams(c, sql.c_str(), batch, nullptr, params.data(), nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(PQerrorMessage(c));
    PQclear(r);
  }
  double s = Seconds(start);
  PQfinish(c);
  return rows / s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raw durable ingest limit"};
  std::string sqlite_path, pg_url;
  int rows = 50000, batch = 64;
  app.add_option("--sqlite", sqlite_path, "SQLite database file to create");
  app.add_option("--postgres", pg_url, "PostgreSQL URL");
  app.add_option("--rows", rows, "rows to insert")->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "rows per transaction")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  if (sqlite_path.empty() == pg_url.empty()) Die("give exactly one of --sqlite or --postgres");
  int64_t seq = 0;
  double batched, single;
  int single_rows = std::max(1, rows / 20);
  if (!sqlite_path.empty()) {
    batched = Sqlite(sqlite_path, rows, batch, seq);
    single = Sqlite(sqlite_path, single_rows, 1, seq);
  } else {
    batched = Postgres(pg_url, rows, batch, seq);
    single = Postgres(pg_url, single_rows, 1, seq);
  }
  std::printf(
      "{\"backend\": \"%s\", \"rows\": %d, \"batch\": %d, \"batched_rows_per_s\": %.0f, "
      "\"single_rows_per_s\": %.0f}\n",
      sqlite_path.empty() ? "postgresql" : "sqlite", rows, batch, batched, single);
  return 0;
}
