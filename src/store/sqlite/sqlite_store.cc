#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <chrono>
#include <mutex>
#include <thread>

#include "model/codec.h"

namespace cocreate {

namespace {

// The one place SQLite result codes become Status values. A refused
// constraint or a damaged file is Internal (500: a bug, or a database to
// repair; retrying cannot help); everything else (busy, I/O error, full
// disk, read-only file) is Unavailable (503: retry). The message is logged,
// never sent to a client.
Status Translate(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string msg = std::string("store error: ") + what + ": " +
                    (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Internal(msg);
    default:
      return Unavailable(msg);
  }
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  int rc() const { return rc_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Binds `v` without SQLite's copy. REQUIRES: `v` stays valid until the
// statement is stepped and its bindings cleared.
void BindStatic(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s, i)) : "";
}

class SqliteStore final : public EventStore {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    // Every statement is finalized before the close, or it fails.
    insert_.reset();
    read_.reset();
    scan_.reset();
    begin_.reset();
    commit_.reset();
    rollback_.reset();
    sqlite3_close(db_);
  }

  // Configures the connection and creates the schema. The first statement
  // that reads the file takes the exclusive lock; when another process
  // holds it, that fails with SQLITE_BUSY (see OpenSqliteStore).
  Status Init(bool durable, SqliteLocking locking) {
    shared_ = locking == SqliteLocking::kShared;
    // Exclusive locking, set before WAL is first used, keeps the WAL index
    // in heap memory: no -shm file is mapped, so a full or failing disk is
    // an error from a write (503), never a SIGBUS from a mapped page. The
    // price: one process at a time on the file, which is what the embedded
    // store is for (several instances use PostgreSQL). The busy timeout
    // covers a previous process that is still exiting.
    // A new file gets 16 KiB pages (SQLite's default is 4 KiB): a round of
    // events fills fewer pages, so a commit writes fewer WAL frames (each a
    // system call or two) and a checkpoint copies fewer. Measured under the
    // provision load: 0.54 -> 0.26 pwrite and 0.10 -> 0.02 pread calls per
    // event. An existing file keeps its page size (the pragma does nothing
    // once the schema exists).
    std::string pragmas =
        std::string(locking == SqliteLocking::kExclusive ? "PRAGMA locking_mode=EXCLUSIVE; "
                                                         : "") +
        "PRAGMA page_size=16384; PRAGMA busy_timeout=2000; PRAGMA journal_mode=WAL; "
        "PRAGMA synchronous=" +
        (durable ? "FULL" : "OFF") + ";";
    CC_RETURN_IF_ERROR(Exec(pragmas.c_str(), "configure"));
    CC_RETURN_IF_ERROR(Exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS events ("
        "  seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at TEXT NOT NULL,"
        "  actor TEXT NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL,"
        "  private TEXT NOT NULL DEFAULT 'null');"
        // Version 2: webhook deliveries (CONTRACT §8).
        "CREATE TABLE IF NOT EXISTS deliveries ("
        "  webhook TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,"
        "  status TEXT NOT NULL, attempts INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
        "  last_attempt_ms INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL,"
        "  last_error TEXT NOT NULL, PRIMARY KEY (webhook, seq));"
        "CREATE INDEX IF NOT EXISTS deliveries_by_status ON deliveries (status, webhook, seq);",
        "create schema"));
    {
      Stmt get(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
      CC_RETURN_IF_ERROR(Translate(db_, get.rc(), "read schema version"));
      if (sqlite3_step(get.get()) == SQLITE_ROW) {
        int version = sqlite3_column_int(get.get(), 0);
        if (version > kSqliteSchemaVersion) {
          return Unavailable("the database has schema version " + std::to_string(version) +
                             " but this cocreate knows only up to " +
                             std::to_string(kSqliteSchemaVersion) + "; upgrade cocreate");
        }
        if (version < kSqliteSchemaVersion) {  // the tables above brought it up to date
          std::string sql = "UPDATE meta SET value = '" + std::to_string(kSqliteSchemaVersion) +
                            "' WHERE key = 'schema_version'";
          CC_RETURN_IF_ERROR(Exec(sql.c_str(), "write schema version"));
        }
      } else {
        std::string sql = "INSERT INTO meta VALUES ('schema_version', '" +
                          std::to_string(kSqliteSchemaVersion) + "')";
        CC_RETURN_IF_ERROR(Exec(sql.c_str(), "write schema version"));
      }
    }
    insert_ = std::make_unique<Stmt>(
        db_, "INSERT INTO events (seq, type, at, actor, subject, data, private) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)");
    return Translate(db_, insert_->rc(), "prepare insert");
  }

  Status WriteRoundWith(int64_t after, const std::function<Status(Event)>& catch_up,
                        const std::function<RoundWrites()>& decide) override {
    std::lock_guard<std::mutex> lock(mu_);
    // BEGIN IMMEDIATE takes SQLite's write lock: other writers, in this
    // process or another, wait until COMMIT.
    CC_RETURN_IF_ERROR(Step(begin_, "BEGIN IMMEDIATE", "begin"));
    Status st = ScanLocked(after, catch_up);
    RoundWrites writes;
    if (st.ok()) writes = decide();
    const std::vector<Event>& events = writes.events;
    if (st.ok() && !writes.deliveries.empty()) st = InsertDeliveries(writes.deliveries);
    // The texts are bound where they lie (they outlive each step); only
    // those made here are kept in locals for it.
    sqlite3_stmt* s = insert_->get();
    std::string data, private_data;
    for (const Event& e : events) {
      if (!st.ok()) break;
      sqlite3_reset(s);
      sqlite3_bind_int64(s, 1, e.seq);
      BindStatic(s, 2, EventTypeName(e.type));
      BindStatic(s, 3, e.at);
      BindStatic(s, 4, e.actor);
      BindStatic(s, 5, e.subject);
      const bool kept = e.provision != nullptr && !e.provision_text.empty();
      if (!kept) data = EventDataText(e);
      BindStatic(s, 6, kept ? std::string_view(e.provision_text) : std::string_view(data));
      private_data = e.private_data.Dump();
      BindStatic(s, 7, private_data);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) st = Translate(db_, rc, "append event");
      sqlite3_reset(s);
    }
    sqlite3_clear_bindings(s);  // nothing points at the events any more
    if (st.ok()) st = Step(commit_, "COMMIT", "commit");
    if (!st.ok()) (void)Step(rollback_, "ROLLBACK", "rollback");
    return st;
  }

  // With SQLite's normal locking other connections may append too.
  bool Shared() const override { return shared_; }

  // SQLite has no notifications: a shared file is polled every 10 ms for a
  // newer seq than the last one seen (the first call only looks).
  std::optional<int64_t> WaitForAppend(int timeout_ms) override {
    if (!shared_) return EventStore::WaitForAppend(timeout_ms);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      StatusOr<int64_t> last = LastSeq();
      if (last.ok() && *last > seen_seq_) {
        const bool first = seen_seq_ < 0;
        seen_seq_ = *last;
        if (!first) return *last;
      } else if (last.ok() && seen_seq_ < 0) {
        seen_seq_ = *last;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 10)));
    }
  }

  Status Scan(int64_t after, const std::function<Status(Event)>& fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    return ScanLocked(after, fn);
  }

  StatusOr<std::vector<Event>> Read(int64_t after, int64_t upto, int64_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (read_ == nullptr) {
      read_ = std::make_unique<Stmt>(db_, "SELECT seq, type, at, actor, subject, data, private "
                                          "FROM events WHERE seq > ? AND seq <= ? ORDER BY seq "
                                          "LIMIT ?");
    }
    if (read_->rc() != SQLITE_OK) return Translate(db_, read_->rc(), "prepare read");
    sqlite3_stmt* s = read_->get();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int64(s, 2, upto);
    sqlite3_bind_int64(s, 3, limit);
    std::vector<Event> out;
    Status st = StepEvents(s, [&](Event e) {
      out.push_back(std::move(e));
      return Status::Ok();
    });
    sqlite3_reset(s);
    if (!st.ok()) return st;
    return out;
  }

  StatusOr<int64_t> LastSeq() override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT COALESCE(MAX(seq), 0) FROM events");
    CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare last seq"));
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return Translate(db_, rc, "read last seq");
    return static_cast<int64_t>(sqlite3_column_int64(s.get(), 0));
  }

  StatusOr<std::vector<Delivery>> PendingHeads(int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT d.webhook, d.seq, d.type, d.body, d.status, d.attempts, d.created_ms, "
                "d.last_attempt_ms, d.next_attempt_ms, d.last_error FROM deliveries d JOIN "
                "(SELECT webhook, MIN(seq) AS seq FROM deliveries WHERE status = 'pending' "
                "GROUP BY webhook) h ON d.webhook = h.webhook AND d.seq = h.seq "
                "ORDER BY d.webhook LIMIT ?");
    CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare pending deliveries"));
    sqlite3_bind_int64(s.get(), 1, limit);
    return ReadDeliveries(s.get());
  }

  Status UpdateDelivery(const Delivery& d) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "UPDATE deliveries SET status = ?, attempts = ?, last_attempt_ms = ?, "
                "next_attempt_ms = ?, last_error = ? WHERE webhook = ? AND seq = ?");
    CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare delivery update"));
    BindText(s.get(), 1, std::string(DeliveryStatusName(d.status)));
    sqlite3_bind_int64(s.get(), 2, d.attempts);
    sqlite3_bind_int64(s.get(), 3, d.last_attempt_ms);
    sqlite3_bind_int64(s.get(), 4, d.next_attempt_ms);
    BindText(s.get(), 5, d.last_error);
    BindText(s.get(), 6, d.webhook);
    sqlite3_bind_int64(s.get(), 7, d.seq);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Translate(db_, rc, "update delivery");
    if (sqlite3_changes(db_) == 0) {
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
    {
      Stmt s(db_, "SELECT COUNT(*) FROM deliveries WHERE webhook = ? AND (? = '' OR status = ?)");
      CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare delivery count"));
      BindText(s.get(), 1, webhook);
      BindText(s.get(), 2, status_name);
      BindText(s.get(), 3, status_name);
      int rc = sqlite3_step(s.get());
      if (rc != SQLITE_ROW) return Translate(db_, rc, "count deliveries");
      page.total = sqlite3_column_int64(s.get(), 0);
    }
    Stmt s(db_, "SELECT webhook, seq, type, body, status, attempts, created_ms, last_attempt_ms, "
                "next_attempt_ms, last_error FROM deliveries WHERE webhook = ? AND "
                "(? = '' OR status = ?) ORDER BY seq LIMIT ? OFFSET ?");
    CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare delivery list"));
    BindText(s.get(), 1, webhook);
    BindText(s.get(), 2, status_name);
    BindText(s.get(), 3, status_name);
    sqlite3_bind_int64(s.get(), 4, limit);
    sqlite3_bind_int64(s.get(), 5, offset);
    CC_ASSIGN_OR_RETURN(page.items, ReadDeliveries(s.get()));
    return page;
  }

  Status DeleteDeliveries(const std::string& webhook) override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "DELETE FROM deliveries WHERE webhook = ?");
    CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare delivery delete"));
    BindText(s.get(), 1, webhook);
    return Translate(db_, sqlite3_step(s.get()), "delete deliveries");
  }

  std::string Name() const override { return "sqlite"; }

  // True when the last failure was SQLite's "database is locked".
  bool Busy() const { return (sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY; }

 private:
  // REQUIRES: mu_ held.
  // Every round scans for other writers' events first: the statement is
  // prepared once, and reset after each use so that it holds no read
  // transaction open.
  Status ScanLocked(int64_t after, const std::function<Status(Event)>& fn) {
    if (scan_ == nullptr) {
      scan_ = std::make_unique<Stmt>(db_, "SELECT seq, type, at, actor, subject, data, private "
                                          "FROM events WHERE seq > ? ORDER BY seq");
    }
    CC_RETURN_IF_ERROR(Translate(db_, scan_->rc(), "prepare scan"));
    sqlite3_stmt* s = scan_->get();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, after);
    Status st = StepEvents(s, fn);
    sqlite3_reset(s);
    return st;
  }

  // Runs a cached statement without rows (BEGIN, COMMIT, ROLLBACK).
  Status Step(std::unique_ptr<Stmt>& stmt, const char* sql, const char* what) {
    if (stmt == nullptr) stmt = std::make_unique<Stmt>(db_, sql);
    if (stmt->rc() != SQLITE_OK) return Translate(db_, stmt->rc(), what);
    int rc = sqlite3_step(stmt->get());
    sqlite3_reset(stmt->get());
    return Translate(db_, rc, what);
  }

  // Steps a statement selecting (seq, type, at, actor, subject, data,
  // private), handing each row to `fn`. REQUIRES: mu_ held.
  Status StepEvents(sqlite3_stmt* s, const std::function<Status(Event)>& fn) {
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) return Status::Ok();
      if (rc != SQLITE_ROW) return Translate(db_, rc, "scan events");
      Event e;
      e.seq = sqlite3_column_int64(s, 0);
      e.at = ColumnText(s, 2);
      e.actor = ColumnText(s, 3);
      e.subject = ColumnText(s, 4);
      CC_RETURN_IF_ERROR(ReadEventColumns(ColumnText(s, 1), ColumnText(s, 5), ColumnText(s, 6), e));
      CC_RETURN_IF_ERROR(fn(std::move(e)));
    }
  }

  // REQUIRES: mu_ held, inside the round's transaction.
  Status InsertDeliveries(const std::vector<Delivery>& deliveries) {
    Stmt s(db_, "INSERT INTO deliveries (webhook, seq, type, body, status, attempts, created_ms, "
                "last_attempt_ms, next_attempt_ms, last_error) VALUES (?,?,?,?,?,?,?,?,?,?)");
    CC_RETURN_IF_ERROR(Translate(db_, s.rc(), "prepare delivery insert"));
    for (const Delivery& d : deliveries) {
      sqlite3_reset(s.get());
      BindText(s.get(), 1, d.webhook);
      sqlite3_bind_int64(s.get(), 2, d.seq);
      BindText(s.get(), 3, d.type);
      BindText(s.get(), 4, d.body);
      BindText(s.get(), 5, std::string(DeliveryStatusName(d.status)));
      sqlite3_bind_int64(s.get(), 6, d.attempts);
      sqlite3_bind_int64(s.get(), 7, d.created_ms);
      sqlite3_bind_int64(s.get(), 8, d.last_attempt_ms);
      sqlite3_bind_int64(s.get(), 9, d.next_attempt_ms);
      BindText(s.get(), 10, d.last_error);
      int rc = sqlite3_step(s.get());
      if (rc != SQLITE_DONE) return Translate(db_, rc, "insert delivery");
    }
    return Status::Ok();
  }

  // Reads every row of a statement selecting the delivery columns in order.
  StatusOr<std::vector<Delivery>> ReadDeliveries(sqlite3_stmt* s) {
    std::vector<Delivery> out;
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) return out;
      if (rc != SQLITE_ROW) return Translate(db_, rc, "read deliveries");
      Delivery d;
      d.webhook = ColumnText(s, 0);
      d.seq = sqlite3_column_int64(s, 1);
      d.type = ColumnText(s, 2);
      d.body = ColumnText(s, 3);
      std::optional<DeliveryStatus> status = DeliveryStatusFromName(ColumnText(s, 4));
      if (!status) return Internal("delivery " + std::to_string(d.seq) + " has an unknown status");
      d.status = *status;
      d.attempts = sqlite3_column_int64(s, 5);
      d.created_ms = sqlite3_column_int64(s, 6);
      d.last_attempt_ms = sqlite3_column_int64(s, 7);
      d.next_attempt_ms = sqlite3_column_int64(s, 8);
      d.last_error = ColumnText(s, 9);
      out.push_back(std::move(d));
    }
  }

  Status Exec(const char* sql, const char* what) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    return Translate(db_, rc, what);
  }

  bool shared_ = false;  // set once by Init
  int64_t seen_seq_ = -1;  // WaitForAppend's last look; only its caller's thread
  std::mutex mu_;
  sqlite3* db_;
  std::unique_ptr<Stmt> insert_;
  std::unique_ptr<Stmt> read_;  // prepared on the first Read
  // Prepared on first use.
  std::unique_ptr<Stmt> scan_, begin_, commit_, rollback_;
};

}  // namespace

StatusOr<std::unique_ptr<EventStore>> OpenSqliteStore(const std::string& path, bool durable,
                                                      SqliteLocking locking) {
  // A new database file is created 0600 before SQLite opens it; SQLite gives
  // its -wal file the mode of the database file.
  if (path != ":memory:" && path.rfind("file:", 0) != 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status st = Unavailable("cannot open SQLite database '" + path + "': " +
                            (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return st;
  }
  auto store = std::make_unique<SqliteStore>(db);
  Status st = store->Init(durable, locking);
  if (!st.ok() && store->Busy()) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    return Status(Code::kUnavailable, "store_in_use",
                  "the store in " + (dir.empty() ? std::string(".") : dir) +
                      " is in use by another cocreate process");
  }
  CC_RETURN_IF_ERROR(st);
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace cocreate
