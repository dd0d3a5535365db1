#include "store/postgres/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <mutex>
#include <set>
#include <vector>

#include "model/codec.h"
#include "model/log.h"
#include "store/postgres/migrations.h"

namespace cocreate {

namespace {

constexpr const char* kChannel = "cocreate_events";
constexpr int64_t kWriterLock = 0x636f637265617465;  // "cocreate"

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// True for the SQLSTATEs after which retrying may work: connection
// exceptions (class 08), the server shutting down or restarting (57P01-57P03),
// insufficient resources (class 53), and serialization failures and deadlocks
// (40001, 40P01), which the transaction's rollback already undid.
bool IsTransient(std::string_view state) {
  return state.substr(0, 2) == "08" || state.substr(0, 2) == "53" || state == "57P01" ||
         state == "57P02" || state == "57P03" || state == "40001" || state == "40P01";
}

// The one place libpq errors become Status values. A lost or refused
// connection and the transient SQLSTATEs above are Unavailable (503: retry);
// everything else the server refuses (constraint 23xxx, syntax 42xxx, ...)
// is Internal (500): a bug or a damaged database, not a reason to retry. The
// SQLSTATE and the driver's text stay in the message, which is logged and
// never sent to a client.
Status Translate(PGconn* conn, const PGresult* res, const std::string& what) {
  std::string detail;
  std::string_view state;
  if (res != nullptr) {
    const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    detail = PQresultErrorMessage(res);
    if (s != nullptr) {
      state = s;
      detail = std::string("[") + s + "] " + detail;
    }
  } else if (conn != nullptr) {
    detail = PQerrorMessage(conn);
  }
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  std::string message = "PostgreSQL " + what + ": " + detail;
  bool connection_lost = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  if (state.empty() || connection_lost || IsTransient(state)) return Unavailable(message);
  return Internal(message);
}

void LogNotice(void*, const char* message) {
  std::string_view text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  LogLine("postgresql notice").Add("detail", text).Warn();
}

class Connection {
 public:
  explicit Connection(std::string url) : url_(std::move(url)) {}
  ~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  // Connects, or reconnects after a broken connection.
  Status Ensure() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = PQconnectdb(url_.c_str());
    prepared_.clear();  // a new connection has no prepared statements
    if (PQstatus(conn_) != CONNECTION_OK) {
      Status st = Translate(conn_, nullptr, "connect");
      PQfinish(conn_);
      conn_ = nullptr;
      return st;
    }
    // Notices (a server shutting down says so) go to the log as JSON lines,
    // not to stderr as libpq's default processor writes them.
    PQsetNoticeProcessor(conn_, &LogNotice, nullptr);
    ResultPtr r(PQexec(conn_, "SET client_min_messages = warning"), PQclear);
    return Status::Ok();
  }

  // `binary`: every parameter is in PostgreSQL's binary format (as
  // BinaryArray makes), not text.
  StatusOr<ResultPtr> Exec(const std::string& sql, const std::vector<std::string>& params = {},
                           const std::string& what = "query", bool binary = false) {
    std::vector<const char*> values = Values(params);
    Formats f(params, binary);
    return Run(what, [&] {
      return PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), f.lengths(), f.formats(), 0);
    });
  }

  // Runs a script of several statements (no parameters) in one round trip;
  // returns the last statement's result.
  StatusOr<ResultPtr> Script(const std::string& sql, const std::string& what) {
    return Run(what, [&] { return PQexec(conn_, sql.c_str()); });
  }
  Status ExecScript(const std::string& sql, const std::string& what) {
    return Script(sql, what).status();
  }

  // Where the connection's transaction stands; PQTRANS_UNKNOWN when there
  // is no usable connection.
  PGTransactionStatusType TransactionStatus() const {
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return PQTRANS_UNKNOWN;
    return PQtransactionStatus(conn_);
  }

  // Unavailable unless the round's transaction is still open on this
  // connection: a round's writes never go out on a new one, which would put
  // them outside the transaction and its writer lock.
  Status StillInTransaction(const std::string& what) const {
    if (TransactionStatus() == PQTRANS_INTRANS) return Status::Ok();
    return Unavailable("PostgreSQL " + what + ": the connection was lost during the round");
  }

  // Sends `sql` and then COMMIT in one round trip (libpq's pipeline mode);
  // returns `sql`'s result once COMMIT said so. REQUIRES: inside a
  // transaction (never a new connection: that would write outside the
  // round's transaction and its lock), which on an error the caller rolls
  // back. A connection left in an unknown state is closed (the next request
  // opens a new one).
  // With a `name`, `sql` is prepared under it once per connection (in its
  // own round trip, the first time), so the server neither parses nor plans
  // it again.
  StatusOr<ResultPtr> ExecAndCommit(const std::string& sql, const std::vector<std::string>& params,
                                    const std::string& what, const std::string& name = "",
                                    bool binary = false) {
    CC_RETURN_IF_ERROR(StillInTransaction(what));
    std::vector<const char*> values = Values(params);
    Formats f(params, binary);
    const int n = static_cast<int>(values.size());
    if (!name.empty() && !prepared_.contains(name)) {
      ResultPtr r(PQprepare(conn_, name.c_str(), sql.c_str(), n, nullptr), PQclear);
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        return Translate(conn_, r.get(), "prepare " + what);
      }
      prepared_.insert(name);
    }
    // The server's session can lose the statement while this connection
    // lives (a pooler that hands it another session): the round is refused
    // as retryable, and the next one prepares it again.
    auto lost_statement = [&](const PGresult* r) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (name.empty() || state == nullptr || std::string_view(state) != "26000") return false;
      prepared_.erase(name);
      return true;
    };
    if (PQenterPipelineMode(conn_) != 1) return Translate(conn_, nullptr, what);
    const bool sent = (name.empty() ? PQsendQueryParams(conn_, sql.c_str(), n, nullptr,
                                                        values.data(), f.lengths(), f.formats(), 0)
                                    : PQsendQueryPrepared(conn_, name.c_str(), n, values.data(),
                                                          f.lengths(), f.formats(), 0)) == 1 &&
                      PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr,
                                        0) == 1 &&
                      PQpipelineSync(conn_) == 1;
    // Every result up to the sync: the statement's, COMMIT's (each followed
    // by a null), then PGRES_PIPELINE_SYNC; a backend terminated after its
    // commit adds its FATAL before a sync that never comes. Two nulls in a
    // row without the sync mean the connection is gone.
    ResultPtr first(nullptr, PQclear);
    Status failed;
    bool committed = false;
    int statement = 0;
    bool synced = false;
    for (int nulls = 0; sent && !synced && nulls < 2;) {
      ResultPtr r(PQgetResult(conn_), PQclear);
      if (r == nullptr) {
        ++nulls;
        continue;
      }
      nulls = 0;
      const ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_PIPELINE_SYNC) {
        synced = true;
        continue;
      }
      const int index = statement++;
      const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
      if (index == 0 && ok) {
        first = std::move(r);
      } else if (index == 1 && ok) {
        committed = first != nullptr && std::string_view(PQcmdStatus(r.get())) == "COMMIT";
      } else if (index == 0 && failed.ok() && lost_statement(r.get())) {
        failed = Unavailable("PostgreSQL " + what + ": the server no longer has the prepared "
                             "statement; it is prepared again for the next round");
      } else if (index <= 1 && failed.ok()) {
        failed = Translate(conn_, r.get(), index == 0 ? what : "commit " + what);
      }
    }
    if (!synced || PQexitPipelineMode(conn_) != 1) {
      if (!committed && failed.ok()) failed = Translate(conn_, nullptr, what);
      PQfinish(conn_);
      conn_ = nullptr;
    }
    // COMMIT answered: the round is stored, whatever came after it.
    if (committed) return first;
    if (failed.ok()) failed = Internal(what + ": the pipeline lost a result");
    return failed;
  }

  PGconn* get() const { return conn_; }

 private:
  static std::vector<const char*> Values(const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    return values;
  }

  // libpq's lengths and formats of parameters: none (every one text), or
  // every one binary with its length.
  class Formats {
   public:
    Formats(const std::vector<std::string>& params, bool binary) {
      if (!binary) return;
      for (const auto& p : params) {
        lengths_.push_back(static_cast<int>(p.size()));
        formats_.push_back(1);
      }
    }
    const int* lengths() const { return lengths_.empty() ? nullptr : lengths_.data(); }
    const int* formats() const { return formats_.empty() ? nullptr : formats_.data(); }

   private:
    std::vector<int> lengths_, formats_;
  };

  // Sends one request. A connection found dead outside a transaction (the
  // server restarted since the last use) is reopened and the request sent
  // once more: nothing of it can have been applied. Inside a transaction the
  // error stands, and the caller's transaction fails as a whole.
  template <typename Send>
  StatusOr<ResultPtr> Run(const std::string& what, Send send) {
    for (int attempt = 0;; ++attempt) {
      CC_RETURN_IF_ERROR(Ensure());
      bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
      ResultPtr r(send(), PQclear);
      ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
      if (attempt == 0 && idle && PQstatus(conn_) == CONNECTION_BAD) continue;
      return Translate(conn_, r.get(), what);
    }
  }

  std::string url_;
  PGconn* conn_ = nullptr;
  std::set<std::string> prepared_;  // statements prepared on conn_
};

// Appends `v` as four bytes, big-endian (PostgreSQL's binary formats).
void AppendBigEndian32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

// An int8 in PostgreSQL's binary format: eight bytes, big-endian.
std::string BinaryInt8(int64_t v) {
  std::string out;
  AppendBigEndian32(out, static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
  AppendBigEndian32(out, static_cast<uint32_t>(static_cast<uint64_t>(v)));
  return out;
}

// A one-dimensional array without nulls in PostgreSQL's binary format
// (what array_recv reads): a header, then each element's length and bytes.
// Nothing in an element is escaped or parsed as an array literal; the
// server checks each one with its type's own receive function (text: valid
// in the database's encoding; json: valid JSON).
class BinaryArray {
 public:
  // Element types by their catalog OIDs (pg_type: int8 20, text 25, json
  // 114; built in, the same on every server).
  static constexpr uint32_t kInt8 = 20, kText = 25, kJson = 114;

  BinaryArray(uint32_t element_type, size_t count) {
    AppendBigEndian32(out_, 1);  // dimensions
    AppendBigEndian32(out_, 0);  // no nulls
    AppendBigEndian32(out_, element_type);
    AppendBigEndian32(out_, static_cast<uint32_t>(count));
    AppendBigEndian32(out_, 1);  // lower bound
  }
  void Add(std::string_view bytes) {
    AppendBigEndian32(out_, static_cast<uint32_t>(bytes.size()));
    out_.append(bytes);
  }
  void AddInt8(int64_t v) {
    AppendBigEndian32(out_, 8);
    out_ += BinaryInt8(v);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

constexpr int kPage = 10000;
constexpr const char* kScanColumns =
    "SELECT seq, type, at, actor, subject, data::text, private::text FROM events ";

// Hands every row of a scan result to `fn`; `after` advances to the last seq.
StatusOr<int> ApplyRows(const PGresult* r, const std::function<Status(Event)>& fn,
                        int64_t& after) {
  int rows = PQntuples(r);
  for (int i = 0; i < rows; ++i) {
    Event e;
    e.seq = std::stoll(PQgetvalue(r, i, 0));
    e.at = PQgetvalue(r, i, 2);
    e.actor = PQgetvalue(r, i, 3);
    e.subject = PQgetvalue(r, i, 4);
    CC_RETURN_IF_ERROR(
        ReadEventColumns(PQgetvalue(r, i, 1), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6), e));
    after = e.seq;
    CC_RETURN_IF_ERROR(fn(std::move(e)));
  }
  return rows;
}

Status ScanWith(Connection& conn, int64_t after, const std::function<Status(Event)>& fn) {
  // Pages of 10k so that a long log never sits in memory twice.
  for (;;) {
    CC_ASSIGN_OR_RETURN(ResultPtr r,
                        conn.Exec(std::string(kScanColumns) +
                                      "WHERE seq > $1 ORDER BY seq LIMIT " + std::to_string(kPage),
                                  {std::to_string(after)}, "scan events"));
    CC_ASSIGN_OR_RETURN(int rows, ApplyRows(r.get(), fn, after));
    if (rows < kPage) return Status::Ok();
  }
}

class PostgresStore final : public EventStore {
 public:
  explicit PostgresStore(const std::string& url) : conn_(url), listen_(url) {}

  Status Migrate() {
    std::lock_guard<std::mutex> lock(mu_);
    CC_RETURN_IF_ERROR(Run("BEGIN"));
    Status st = MigrateLocked();
    if (st.ok()) st = Run("COMMIT");
    if (!st.ok()) (void)Run("ROLLBACK");
    return st;
  }

  // Three round trips: BEGIN + writer lock + the first page of catch-up; the
  // INSERT with its NOTIFY; COMMIT.
  Status WriteRoundWith(int64_t after, const std::function<Status(Event)>& catch_up,
                        const std::function<RoundWrites()>& decide) override {
    std::lock_guard<std::mutex> lock(mu_);
    bool committed = false;
    Status st = RoundLocked(after, catch_up, decide, committed);
    if (st.ok() && !committed) st = Run("COMMIT");
    // Not on a connection that is gone: its transaction went with it (and a
    // new one would only say there is nothing to roll back).
    const PGTransactionStatusType open = conn_.TransactionStatus();
    if (!st.ok() && open != PQTRANS_UNKNOWN && open != PQTRANS_IDLE) (void)Run("ROLLBACK");
    return st;
  }

  Status Scan(int64_t after, const std::function<Status(Event)>& fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    return ScanWith(conn_, after, fn);
  }

  StatusOr<std::vector<Event>> Read(int64_t after, int64_t upto, int64_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    CC_ASSIGN_OR_RETURN(ResultPtr r,
                        conn_.Exec(std::string(kScanColumns) +
                                       "WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                                   {std::to_string(after), std::to_string(upto),
                                    std::to_string(std::max<int64_t>(limit, 0))},
                                   "read events"));
    std::vector<Event> out;
    CC_RETURN_IF_ERROR(ApplyRows(r.get(),
                                 [&](Event e) {
                                   out.push_back(std::move(e));
                                   return Status::Ok();
                                 },
                                 after)
                           .status());
    return out;
  }

  StatusOr<int64_t> LastSeq() override {
    std::lock_guard<std::mutex> lock(mu_);
    CC_ASSIGN_OR_RETURN(ResultPtr r, conn_.Exec("SELECT COALESCE(MAX(seq), 0) FROM events"));
    return static_cast<int64_t>(std::stoll(PQgetvalue(r.get(), 0, 0)));
  }

  StatusOr<std::vector<Delivery>> PendingHeads(int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    CC_ASSIGN_OR_RETURN(
        ResultPtr r,
        conn_.Exec(std::string(kDeliveryColumns) +
                       "d JOIN (SELECT webhook, MIN(seq) AS seq FROM deliveries WHERE status = "
                       "'pending' GROUP BY webhook) h ON d.webhook = h.webhook AND d.seq = h.seq "
                       "ORDER BY d.webhook LIMIT $1",
                   {std::to_string(limit)}, "read pending deliveries"));
    return ReadDeliveries(r.get());
  }

  Status UpdateDelivery(const Delivery& d) override {
    std::lock_guard<std::mutex> lock(mu_);
    CC_ASSIGN_OR_RETURN(
        ResultPtr r,
        conn_.Exec("UPDATE deliveries SET status = $1, attempts = $2::bigint, "
                   "last_attempt_ms = $3::bigint, next_attempt_ms = $4::bigint, last_error = $5 "
                   "WHERE webhook = $6 AND seq = $7::bigint",
                   {std::string(DeliveryStatusName(d.status)), std::to_string(d.attempts),
                    std::to_string(d.last_attempt_ms), std::to_string(d.next_attempt_ms),
                    d.last_error, d.webhook, std::to_string(d.seq)},
                   "update delivery"));
    if (std::string_view(PQcmdTuples(r.get())) == "0") {
      return NotFound("no delivery of event " + std::to_string(d.seq) + " to webhook '" +
                      d.webhook + "'");
    }
    return Status::Ok();
  }

  StatusOr<DeliveryPage> ListDeliveries(const std::string& webhook,
                                        std::optional<DeliveryStatus> status, int64_t limit,
                                        int64_t offset) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string status_name = status ? std::string(DeliveryStatusName(*status)) : "";
    DeliveryPage page;
    CC_ASSIGN_OR_RETURN(ResultPtr count,
                        conn_.Exec("SELECT COUNT(*) FROM deliveries WHERE webhook = $1 AND "
                                   "($2 = '' OR status = $2)",
                                   {webhook, status_name}, "count deliveries"));
    page.total = std::stoll(PQgetvalue(count.get(), 0, 0));
    CC_ASSIGN_OR_RETURN(ResultPtr r,
                        conn_.Exec(std::string(kDeliveryColumns) +
                                       "d WHERE webhook = $1 AND ($2 = '' OR status = $2) "
                                       "ORDER BY seq LIMIT $3::bigint OFFSET $4::bigint",
                                   {webhook, status_name, std::to_string(limit),
                                    std::to_string(offset)},
                                   "list deliveries"));
    CC_ASSIGN_OR_RETURN(page.items, ReadDeliveries(r.get()));
    return page;
  }

  Status DeleteDeliveries(const std::string& webhook) override {
    std::lock_guard<std::mutex> lock(mu_);
    return conn_.Exec("DELETE FROM deliveries WHERE webhook = $1", {webhook}, "delete deliveries")
        .status();
  }

  std::string Name() const override { return "postgresql"; }
  bool Shared() const override { return true; }

  std::optional<int64_t> WaitForAppend(int timeout_ms) override {
    std::lock_guard<std::mutex> lock(listen_mu_);
    if (!listening_ || PQstatus(listen_.get()) != CONNECTION_OK) {
      listening_ = listen_.Exec(std::string("LISTEN ") + kChannel).ok();
      if (!listening_) {
        return EventStore::WaitForAppend(timeout_ms);  // the poll is the fallback
      }
    }
    PGconn* c = listen_.get();
    pollfd fd{PQsocket(c), POLLIN, 0};
    if (::poll(&fd, 1, timeout_ms) <= 0) return std::nullopt;
    if (!PQconsumeInput(c)) {
      listening_ = false;
      return std::nullopt;
    }
    std::optional<int64_t> newest;
    while (PGnotify* n = PQnotifies(c)) {
      // The payload is the last seq of the round that notified.
      std::string_view payload = n->extra != nullptr ? n->extra : "";
      int64_t seq = 0;
      auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), seq);
      if (ec != std::errc() || end != payload.data() + payload.size() || seq < 0) seq = 0;
      // One unreadable payload makes the whole answer "unknown" (0).
      newest = !newest ? seq : (*newest == 0 || seq == 0 ? 0 : std::max(*newest, seq));
      PQfreemem(n);
    }
    return newest;
  }

 private:
  Status Run(const char* sql) { return conn_.Exec(sql).status(); }

  static constexpr const char* kDeliveryColumns =
      "SELECT d.webhook, d.seq, d.type, d.body, d.status, d.attempts, d.created_ms, "
      "d.last_attempt_ms, d.next_attempt_ms, d.last_error FROM deliveries ";

  static StatusOr<std::vector<Delivery>> ReadDeliveries(const PGresult* r) {
    std::vector<Delivery> out;
    int rows = PQntuples(r);
    for (int i = 0; i < rows; ++i) {
      Delivery d;
      d.webhook = PQgetvalue(r, i, 0);
      d.seq = std::stoll(PQgetvalue(r, i, 1));
      d.type = PQgetvalue(r, i, 2);
      d.body = PQgetvalue(r, i, 3);
      std::optional<DeliveryStatus> status = DeliveryStatusFromName(PQgetvalue(r, i, 4));
      if (!status) return Internal("delivery " + std::to_string(d.seq) + " has an unknown status");
      d.status = *status;
      d.attempts = std::stoll(PQgetvalue(r, i, 5));
      d.created_ms = std::stoll(PQgetvalue(r, i, 6));
      d.last_attempt_ms = std::stoll(PQgetvalue(r, i, 7));
      d.next_attempt_ms = std::stoll(PQgetvalue(r, i, 8));
      d.last_error = PQgetvalue(r, i, 9);
      out.push_back(std::move(d));
    }
    return out;
  }

  // REQUIRES: mu_ held, inside the round's transaction. One multi-row
  // INSERT per 500 deliveries.
  Status InsertDeliveries(const std::vector<Delivery>& deliveries) {
    for (size_t start = 0; start < deliveries.size(); start += 500) {
      size_t end = std::min(deliveries.size(), start + 500);
      std::string sql =
          "INSERT INTO deliveries (webhook, seq, type, body, status, attempts, created_ms, "
          "last_attempt_ms, next_attempt_ms, last_error) VALUES ";
      std::vector<std::string> params;
      for (size_t i = start; i < end; ++i) {
        const Delivery& d = deliveries[i];
        // ($1,$2::bigint,...): appended piece by piece (GCC 12 at -O3 sees
        // a false memcpy overlap in `"$" + std::to_string(...)`).
        size_t b = params.size();
        if (i > start) sql += ',';
        sql += '(';
        for (size_t k = 1; k <= 10; ++k) {
          if (k > 1) sql += ',';
          sql += '$';
          sql += std::to_string(b + k);
          if (k == 2 || (k >= 6 && k <= 9)) sql += "::bigint";  // seq, attempts, times
        }
        sql += ')';
        params.push_back(d.webhook);
        params.push_back(std::to_string(d.seq));
        params.push_back(d.type);
        params.push_back(d.body);
        params.push_back(std::string(DeliveryStatusName(d.status)));
        params.push_back(std::to_string(d.attempts));
        params.push_back(std::to_string(d.created_ms));
        params.push_back(std::to_string(d.last_attempt_ms));
        params.push_back(std::to_string(d.next_attempt_ms));
        params.push_back(d.last_error);
      }
      CC_RETURN_IF_ERROR(conn_.Exec(sql, params, "insert deliveries").status());
    }
    return Status::Ok();
  }

  Status MigrateLocked() {
    CC_RETURN_IF_ERROR(Run("SELECT pg_advisory_xact_lock(7364)"));
    CC_RETURN_IF_ERROR(
        Run("CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
    CC_ASSIGN_OR_RETURN(ResultPtr r,
                        conn_.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    int current = std::stoi(PQgetvalue(r.get(), 0, 0));
    if (current > PostgresSchemaVersion()) {
      return Unavailable("the database has schema version " + std::to_string(current) +
                         " but this cocreate knows only up to " +
                         std::to_string(PostgresSchemaVersion()) + "; upgrade cocreate");
    }
    for (const auto& m : kPostgresMigrations) {
      if (m.version <= current) continue;
      CC_RETURN_IF_ERROR(conn_.ExecScript(m.sql, "migration " + std::to_string(m.version)));
      CC_RETURN_IF_ERROR(conn_.Exec("INSERT INTO schema_migrations (version) VALUES ($1)",
                                    {std::to_string(m.version)})
                             .status());
    }
    return Status::Ok();
  }

  // Sets `committed` when the last insert took the COMMIT along.
  Status RoundLocked(int64_t after, const std::function<Status(Event)>& catch_up,
                     const std::function<RoundWrites()>& decide, bool& committed) {
    // The scan is not a prepared statement: its generic plan, made while
    // the table was small, scanned all of it every round (PostgreSQL's CPU
    // per event went from 24 to 73 µs).
    CC_ASSIGN_OR_RETURN(
        ResultPtr first,
        conn_.Script("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kWriterLock) + "); " +
                         kScanColumns + "WHERE seq > " + std::to_string(after) +
                         " ORDER BY seq LIMIT " + std::to_string(kPage),
                     "begin round"));
    CC_ASSIGN_OR_RETURN(int rows, ApplyRows(first.get(), catch_up, after));
    if (rows == kPage) CC_RETURN_IF_ERROR(ScanWith(conn_, after, catch_up));
    RoundWrites writes = decide();
    const std::vector<Event>& events = writes.events;
    CC_RETURN_IF_ERROR(InsertDeliveries(writes.deliveries));
    if (events.empty()) return Status::Ok();
    // One INSERT per 1000 events, the last one carrying the NOTIFY that
    // wakes the other instances and the COMMIT: one round trip each. That
    // last one is prepared once per connection: parsing and planning it
    // every round was 30% of the server's CPU per event (30 -> 21 µs). The
    // columns go as seven arrays, so the statement's text is the same
    // whatever the number of events (and can be prepared); a VALUES list of seven parameters per event cost the server about as
    // much CPU as the rest of the round. The arrays are unnested in the
    // select list, not in FROM: a function in FROM copies every row into a
    // tuple store first, and that memory, given back to the system after
    // each round and faulted in again by the next, cost the server 15% of
    // its CPU per event (35 -> 30 µs).
    constexpr const char* kInsert =
        "INSERT INTO events (seq, type, at, actor, subject, data, private) "
        "SELECT unnest($1::bigint[]), unnest($2::text[]), unnest($3::text[]), "
        "unnest($4::text[]), unnest($5::text[]), unnest($6::json[]), unnest($7::json[])";
    for (size_t start = 0; start < events.size(); start += 1000) {
      size_t end = std::min(events.size(), start + 1000);
      const size_t n = end - start;
      BinaryArray seqs(BinaryArray::kInt8, n), types(BinaryArray::kText, n),
          ats(BinaryArray::kText, n), actors(BinaryArray::kText, n),
          subjects(BinaryArray::kText, n), datas(BinaryArray::kJson, n),
          privates(BinaryArray::kJson, n);
      for (size_t i = start; i < end; ++i) {
        const Event& e = events[i];
        seqs.AddInt8(e.seq);
        types.Add(EventTypeName(e.type));
        ats.Add(e.at);
        actors.Add(e.actor);
        subjects.Add(e.subject);
        datas.Add(EventDataText(e));
        privates.Add(e.private_data.Dump());
      }
      std::vector<std::string> params = {seqs.Take(),     types.Take(), ats.Take(),
                                         actors.Take(),   subjects.Take(), datas.Take(),
                                         privates.Take()};
      if (end < events.size()) {
        CC_RETURN_IF_ERROR(conn_.StillInTransaction("append events"));
        CC_RETURN_IF_ERROR(conn_.Exec(kInsert, params, "append events", true).status());
        continue;
      }
      // The channel and the seq go as binary text and int8.
      const std::string sql = std::string("WITH appended AS (") + kInsert +
                              " RETURNING seq) SELECT pg_notify($8::text, $9::int8::text) FROM "
                              "(SELECT count(*) FROM appended) AS c";
      params.push_back(kChannel);
      params.push_back(BinaryInt8(events.back().seq));
      CC_RETURN_IF_ERROR(conn_.ExecAndCommit(sql, params, "append events",
                                             "cocreate_append_events_v2", true)
                             .status());
      committed = true;
    }
    return Status::Ok();
  }

  std::mutex mu_;
  Connection conn_;  // GUARDED_BY(mu_)
  std::mutex listen_mu_;
  Connection listen_;       // GUARDED_BY(listen_mu_)
  bool listening_ = false;  // GUARDED_BY(listen_mu_)
};

}  // namespace

int PostgresSchemaVersion() {
  int newest = 0;
  for (const auto& m : kPostgresMigrations) newest = std::max(newest, m.version);
  return newest;
}

StatusOr<std::unique_ptr<EventStore>> OpenPostgresStore(const std::string& url) {
  auto store = std::make_unique<PostgresStore>(url);
  CC_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace cocreate
