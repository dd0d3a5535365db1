// Conformance tests of the EventStore interface, run against every backend:
// in-memory SQLite, file SQLite, and PostgreSQL (a fresh database per test on
// the cluster COCREATE_TEST_POSTGRES names; script/test starts one).
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include "store/postgres/migrations.h"
#include "store/store.h"

namespace cocreate {
namespace {

Event MakeEvent(int64_t seq, EventType type = EventType::kOrganizationCreated) {
  Event e;
  e.seq = seq;
  e.type = type;
  e.at = "2026-01-01T00:00:00.000Z";
  e.actor = "admin";
  e.subject = "o" + std::to_string(seq);
  e.data = Json::MakeObject({{"id", Json(e.subject)}, {"name", Json("n")}});
  e.private_data = Json::MakeObject({{"request", Json::MakeObject({{"name", Json("n")}})}});
  return e;
}

// A fresh PostgreSQL database per test on the cluster named by
// COCREATE_TEST_POSTGRES (script/test starts one); empty when unset.
class PostgresDatabase {
 public:
  PostgresDatabase() {
    const char* url = std::getenv("COCREATE_TEST_POSTGRES");
    if (url == nullptr || *url == '\0') return;
    admin_url_ = url;
    static int counter = 0;
    name_ = "cc_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    Exec("CREATE DATABASE " + name_);
    url_ = admin_url_.substr(0, admin_url_.rfind('/') + 1) + name_;
  }
  ~PostgresDatabase() {
    if (!name_.empty()) Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  const std::string& url() const { return url_; }

 private:
  void Exec(const std::string& sql) {
    PGconn* c = PQconnectdb(admin_url_.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  }
  std::string admin_url_, name_, url_;
};

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      pg_ = std::make_unique<PostgresDatabase>();
      if (pg_->url().empty()) GTEST_SKIP() << "COCREATE_TEST_POSTGRES is not set";
    }
    // A parameterized test's name holds a '/': flattened, so that TearDown
    // removes the whole folder (nested ones were left behind in /tmp).
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = std::filesystem::temp_directory_path() /
           ("cocreate_store_test_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = Open();
  }
  void TearDown() override {
    store_.reset();
    pg_.reset();
    std::filesystem::remove_all(dir_);
    // Nothing is left behind in the temporary directory.
    if (dir_.empty()) return;  // skipped before SetUp made it
    EXPECT_EQ(dir_.parent_path(), std::filesystem::temp_directory_path());
    EXPECT_FALSE(std::filesystem::exists(dir_));
  }
  std::unique_ptr<EventStore> Open() {
    StoreOptions options;
    options.spec = GetParam() == "postgresql" ? pg_->url() : GetParam();
    if (GetParam() == "sqlite-shared") {
      options.spec = "sqlite";
      options.sqlite_locking = SqliteLocking::kShared;
    }
    options.data_dir = dir_.string();
    auto store = EventStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::vector<Event> All(EventStore& store, int64_t after = 0) {
    std::vector<Event> out;
    EXPECT_TRUE(store.Scan(after, [&](Event e) {
                        out.push_back(std::move(e));
                        return Status::Ok();
                      }).ok());
    return out;
  }
  bool persistent() const { return GetParam() != "sqlite::memory:"; }

  std::filesystem::path dir_;
  std::unique_ptr<PostgresDatabase> pg_;
  std::unique_ptr<EventStore> store_;
};

TEST_P(StoreConformanceTest, EmptyStoreHasSeqZero) {
  EXPECT_EQ(store_->LastSeq().value(), 0);
  EXPECT_TRUE(All(*store_).empty());
}

TEST_P(StoreConformanceTest, AppendThenScanKeepsEveryField) {
  ASSERT_TRUE(store_->Append({MakeEvent(1), MakeEvent(2)}).ok());
  ASSERT_TRUE(store_->Append({MakeEvent(3)}).ok());
  EXPECT_EQ(store_->LastSeq().value(), 3);
  auto events = All(*store_);
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    Event expected = MakeEvent(i + 1);
    EXPECT_EQ(events[i].seq, expected.seq);
    EXPECT_EQ(events[i].type, expected.type);
    EXPECT_EQ(events[i].subject, expected.subject);
    EXPECT_EQ(events[i].data, expected.data);
    EXPECT_EQ(events[i].private_data, expected.private_data);
  }
  EXPECT_EQ(All(*store_, 2).size(), 1u);
}

// Text that a store's own encoding must carry through: quotes, backslashes,
// braces and commas (PostgreSQL's array literals), NUL-free control
// characters, non-ASCII, empty strings and the word NULL.
TEST_P(StoreConformanceTest, AppendKeepsOddTextExactly) {
  std::vector<Event> events;
  const std::vector<std::string> odd = {"\"q\"", "back\\slash\\", "{a,b}", "", "NULL",
                                        "tab\tnew\nline", "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC",
                                        "\\\"{,}\""};
  for (size_t i = 0; i < odd.size(); ++i) {
    Event e = MakeEvent(static_cast<int64_t>(i) + 1);
    e.actor = odd[i];
    e.subject = odd[(i + 1) % odd.size()];
    e.at = odd[(i + 2) % odd.size()];
    e.data = Json::MakeObject({{odd[i], Json(odd[(i + 3) % odd.size()])},
                               {"list", Json::MakeArray({Json(odd[i]), Json(int64_t{-7})})}});
    e.private_data = Json::MakeObject({{"request", Json(odd[i])}});
    events.push_back(std::move(e));
  }
  ASSERT_TRUE(store_->Append(events).ok());
  auto read = All(*store_);
  ASSERT_EQ(read.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(read[i].actor, events[i].actor) << i;
    EXPECT_EQ(read[i].subject, events[i].subject) << i;
    EXPECT_EQ(read[i].at, events[i].at) << i;
    EXPECT_EQ(read[i].data, events[i].data) << i;
    EXPECT_EQ(read[i].private_data, events[i].private_data) << i;
  }
}

// A shared store tells its listeners the newest seq a writer appended, so an
// instance can tell its own rounds' notifications from another's.
TEST_P(StoreConformanceTest, WaitForAppendNamesTheNewestSeq) {
  if (!store_->Shared()) {
    EXPECT_EQ(store_->WaitForAppend(1), std::nullopt);
    return;
  }
  (void)store_->WaitForAppend(1);  // starts listening
  auto other = Open();
  ASSERT_TRUE(other->Append({MakeEvent(1), MakeEvent(2), MakeEvent(3)}).ok());
  std::optional<int64_t> newest;
  for (int i = 0; i < 50 && !newest; ++i) newest = store_->WaitForAppend(100);
  EXPECT_EQ(newest, 3);
}

TEST_P(StoreConformanceTest, ReadReturnsABoundedRangeWithPrivateData) {
  ASSERT_TRUE(store_->Append({MakeEvent(1), MakeEvent(2), MakeEvent(3), MakeEvent(4)}).ok());
  auto middle = store_->Read(1, 3, 10);
  ASSERT_TRUE(middle.ok()) << middle.status().ToString();
  ASSERT_EQ(middle->size(), 2u);
  EXPECT_EQ((*middle)[0].seq, 2);
  EXPECT_EQ((*middle)[1].seq, 3);
  EXPECT_EQ((*middle)[0].private_data, MakeEvent(2).private_data);
  auto limited = store_->Read(0, 4, 3);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 3u);
  EXPECT_EQ(limited->back().seq, 3);
  EXPECT_TRUE(store_->Read(4, 100, 10)->empty());
  EXPECT_TRUE(store_->Read(0, 4, 0)->empty());
  // The prepared statement is reused: a second read sees a later append.
  ASSERT_TRUE(store_->Append({MakeEvent(5)}).ok());
  EXPECT_EQ(store_->Read(4, 5, 10)->size(), 1u);
}

TEST_P(StoreConformanceTest, AppendIsAllOrNothing) {
  ASSERT_TRUE(store_->Append({MakeEvent(1)}).ok());
  // The second event repeats seq 1: the whole batch must be refused, as an
  // internal error (a retry cannot help) on every backend.
  Status st = store_->Append({MakeEvent(2), MakeEvent(1)});
  EXPECT_EQ(st.code(), Code::kInternal) << st.ToString();
  EXPECT_EQ(store_->LastSeq().value(), 1);
  EXPECT_EQ(All(*store_).size(), 1u);
  // And the store still works afterwards.
  ASSERT_TRUE(store_->Append({MakeEvent(2)}).ok());
  EXPECT_EQ(store_->LastSeq().value(), 2);
}

// A round larger than one statement takes (PostgreSQL inserts 1000 events
// per statement): every event kept in order, or, when one in a later
// statement is refused, none.
TEST_P(StoreConformanceTest, ALargeRoundIsKeptWholeOrNotAtAll) {
  std::vector<Event> events;
  for (int64_t seq = 1; seq <= 2345; ++seq) {
    Event e = MakeEvent(seq);
    e.actor = "actor \"" + std::to_string(seq) + "\"";
    events.push_back(std::move(e));
  }
  std::vector<Event> refused = events;
  refused.back().seq = 1500;  // a repeat, in the third statement
  EXPECT_EQ(store_->Append(refused).code(), Code::kInternal);
  EXPECT_EQ(store_->LastSeq().value(), 0);
  ASSERT_TRUE(store_->Append(events).ok());
  auto read = All(*store_);
  ASSERT_EQ(read.size(), events.size());
  for (size_t i = 0; i < read.size(); ++i) {
    ASSERT_EQ(read[i].seq, events[i].seq);
    ASSERT_EQ(read[i].actor, events[i].actor);
    ASSERT_EQ(read[i].data, events[i].data);
  }
}

TEST_P(StoreConformanceTest, ReopenKeepsTheLog) {
  if (!persistent()) GTEST_SKIP() << "in-memory stores do not outlive their handle";
  ASSERT_TRUE(store_->Append({MakeEvent(1), MakeEvent(2)}).ok());
  store_.reset();
  store_ = Open();
  EXPECT_EQ(store_->LastSeq().value(), 2);
  EXPECT_EQ(All(*store_).size(), 2u);
}

TEST_P(StoreConformanceTest, ScanStopsAtTheCallbacksError) {
  ASSERT_TRUE(store_->Append({MakeEvent(1), MakeEvent(2)}).ok());
  int calls = 0;
  Status st = store_->Scan(0, [&](Event) {
    ++calls;
    return Internal("stop");
  });
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(calls, 1);
}

// A second writer appends between rounds: the next round hands its events to
// catch_up before deciding, and the seqs continue after them.
TEST_P(StoreConformanceTest, WriteRoundCatchesUpWithOtherWriters) {
  if (!persistent()) GTEST_SKIP() << "each in-memory handle is its own database";
  if (GetParam() == "sqlite") GTEST_SKIP() << "exclusive locking: one handle per file";
  auto other = Open();
  ASSERT_TRUE(other->Append({MakeEvent(1), MakeEvent(2)}).ok());
  std::vector<int64_t> seen;
  int64_t last_seen_at_decide = 0;
  Status st = store_->WriteRound(
      0,
      [&](Event e) {
        seen.push_back(e.seq);
        return Status::Ok();
      },
      [&] {
        last_seen_at_decide = seen.empty() ? 0 : seen.back();
        return std::vector<Event>{MakeEvent(3)};
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(last_seen_at_decide, 2);
  EXPECT_EQ(other->LastSeq().value(), 3);
}

TEST_P(StoreConformanceTest, RoundThatDecidesNothingWritesNothing) {
  ASSERT_TRUE(store_->WriteRound(0, [](Event) { return Status::Ok(); },
                                 [] { return std::vector<Event>{}; })
                  .ok());
  EXPECT_EQ(store_->LastSeq().value(), 0);
}

// The embedded store holds its file exclusively: no -shm file is mapped
// (a failing disk cannot SIGBUS the process), the database is 0600, and a
// second opener is refused with a message that says why.
Delivery MakeDelivery(const std::string& webhook, int64_t seq) {
  Delivery d;
  d.webhook = webhook;
  d.seq = seq;
  d.type = "organization.created";
  d.body = "{\"seq\":" + std::to_string(seq) + ",\"x\":\"\u00e9\"}";
  d.created_ms = 1000 + seq;
  d.next_attempt_ms = 1000 + seq;
  return d;
}

Status WriteWith(EventStore& store, int64_t after, std::vector<Event> events,
                 std::vector<Delivery> deliveries) {
  return store.WriteRoundWith(
      after, [](Event) { return Status::Ok(); },
      [&] { return RoundWrites{events, deliveries}; });
}

TEST_P(StoreConformanceTest, DeliveriesAreWrittenWithTheirRound) {
  ASSERT_TRUE(WriteWith(*store_, 0, {MakeEvent(1), MakeEvent(2)},
                        {MakeDelivery("w1", 1), MakeDelivery("w1", 2), MakeDelivery("w2", 2)})
                  .ok());
  auto page = store_->ListDeliveries("w1", std::nullopt, 100, 0);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->total, 2);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0], MakeDelivery("w1", 1));  // every field, body bytes included
  EXPECT_EQ(page->items[1].seq, 2);
  auto heads = store_->PendingHeads(100);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 2u);  // the first pending one of each webhook
  EXPECT_EQ((*heads)[0].webhook, "w1");
  EXPECT_EQ((*heads)[0].seq, 1);
  EXPECT_EQ((*heads)[1].webhook, "w2");
  EXPECT_EQ((*heads)[1].seq, 2);
}

TEST_P(StoreConformanceTest, ARefusedRoundKeepsNoDelivery) {
  ASSERT_TRUE(store_->Append({MakeEvent(1)}).ok());
  // seq 1 is taken: the round fails as a whole, its deliveries with it.
  Status st = WriteWith(*store_, 1, {MakeEvent(1)}, {MakeDelivery("w1", 1)});
  EXPECT_FALSE(st.ok());
  auto page = store_->ListDeliveries("w1", std::nullopt, 100, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 0);
  EXPECT_EQ(All(*store_).size(), 1u);
}

TEST_P(StoreConformanceTest, UpdateDeliveryMovesTheHeadAndFiltersByStatus) {
  ASSERT_TRUE(WriteWith(*store_, 0, {MakeEvent(1), MakeEvent(2), MakeEvent(3)},
                        {MakeDelivery("w1", 1), MakeDelivery("w1", 2), MakeDelivery("w1", 3)})
                  .ok());
  Delivery d = MakeDelivery("w1", 1);
  d.status = DeliveryStatus::kDelivered;
  d.attempts = 2;
  d.last_attempt_ms = 5000;
  d.next_attempt_ms = 0;
  d.last_error = "500";
  ASSERT_TRUE(store_->UpdateDelivery(d).ok());
  Delivery dead = MakeDelivery("w1", 2);
  dead.status = DeliveryStatus::kDead;
  dead.last_error = "timeout";
  ASSERT_TRUE(store_->UpdateDelivery(dead).ok());
  auto heads = store_->PendingHeads(100);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0].seq, 3);
  auto delivered = store_->ListDeliveries("w1", DeliveryStatus::kDelivered, 100, 0);
  ASSERT_TRUE(delivered.ok());
  ASSERT_EQ(delivered->total, 1);
  EXPECT_EQ(delivered->items[0], d);
  auto paged = store_->ListDeliveries("w1", std::nullopt, 1, 1);
  ASSERT_TRUE(paged.ok());
  EXPECT_EQ(paged->total, 3);
  ASSERT_EQ(paged->items.size(), 1u);
  EXPECT_EQ(paged->items[0].seq, 2);
  EXPECT_EQ(paged->items[0].last_error, "timeout");
  Status missing = store_->UpdateDelivery(MakeDelivery("w9", 1));
  EXPECT_EQ(missing.code(), Code::kNotFound);
  ASSERT_TRUE(store_->DeleteDeliveries("w1").ok());
  EXPECT_EQ(store_->ListDeliveries("w1", std::nullopt, 100, 0)->total, 0);
  EXPECT_TRUE(store_->DeleteDeliveries("w1").ok());  // none left: still fine
}

TEST_P(StoreConformanceTest, ReopenKeepsTheDeliveries) {
  if (!persistent()) GTEST_SKIP() << "in-memory stores do not outlive their handle";
  ASSERT_TRUE(WriteWith(*store_, 0, {MakeEvent(1)}, {MakeDelivery("w1", 1)}).ok());
  store_.reset();
  store_ = Open();
  auto heads = store_->PendingHeads(100);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0], MakeDelivery("w1", 1));
}

TEST(SqliteStoreTest, ExclusiveLockingRefusesASecondOpenerAndMapsNoShm) {
  auto dir = std::filesystem::temp_directory_path() /
             ("cocreate_store_exclusive_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  StoreOptions options;
  options.data_dir = (dir / "data").string();
  auto store = EventStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Append({MakeEvent(1)}).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "data" / "cocreate.db-shm"));
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "cocreate.db-wal"));
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(dir / "data").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(dir / "data" / "cocreate.db").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir / "data" / "cocreate.db-wal").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto second = EventStore::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_EQ(second.status().reason(), "store_in_use");
  EXPECT_EQ(second.status().message(),
            "the store in " + options.data_dir + " is in use by another cocreate process");
  store->reset();  // closes the first handle
  EXPECT_TRUE(EventStore::Open(options).ok());
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values("sqlite::memory:", "sqlite", "sqlite-shared",
                                           "postgresql"),
                         [](const auto& info) {
                           if (info.param == "sqlite") return std::string("SqliteFile");
                           if (info.param == "sqlite-shared") {
                             return std::string("SqliteFileShared");
                           }
                           if (info.param == "postgresql") return std::string("Postgres");
                           return std::string("SqliteMemory");
                         });

TEST(PostgresStoreTest, RefusesANewerSchemaAndMigratesIdempotently) {
  PostgresDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "COCREATE_TEST_POSTGRES is not set";
  { ASSERT_TRUE(EventStore::Open(StoreOptions{db.url(), "", true}).ok()); }
  { ASSERT_TRUE(EventStore::Open(StoreOptions{db.url(), "", true}).ok()); }  // idempotent
  PGconn* c = PQconnectdb(db.url().c_str());
  PGresult* r = PQexec(c, "INSERT INTO schema_migrations (version) VALUES (999)");
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  auto store = EventStore::Open(StoreOptions{db.url(), "", true});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

// A database made by a cocreate of schema version 2 (with the index on
// `subject` that nothing read) keeps its events and loses that index.
TEST(PostgresStoreTest, MigrationThreeDropsTheSubjectIndexAndKeepsTheLog) {
  PostgresDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "COCREATE_TEST_POSTGRES is not set";
  auto query = [&](const std::string& sql) {
    PGconn* c = PQconnectdb(db.url().c_str());
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
        << sql << ": " << PQerrorMessage(c);
    std::string first = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(c);
    return first;
  };
  query("CREATE TABLE schema_migrations (version INT PRIMARY KEY, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  for (const auto& m : kPostgresMigrations) {
    if (m.version > 2) continue;
    query(m.sql);
    query("INSERT INTO schema_migrations (version) VALUES (" + std::to_string(m.version) + ")");
  }
  query("INSERT INTO events VALUES (1, 'organization.created', '2026-01-01T00:00:00.000Z', "
        "'admin', 'o1', '{\"id\":\"o1\"}', '{}')");
  const std::string kIndexes = "SELECT string_agg(indexname, ',' ORDER BY indexname) "
                               "FROM pg_indexes WHERE tablename = 'events'";
  ASSERT_EQ(query(kIndexes), "events_pkey,events_subject");
  auto store = EventStore::Open(StoreOptions{db.url(), "", true});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(query(kIndexes), "events_pkey");
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"), "3");
  EXPECT_EQ((*store)->LastSeq().value(), 1);
}

// The round's insert is a statement prepared once per connection: a
// connection the server dropped between rounds is replaced, and the new one
// prepares it again.
TEST(PostgresStoreTest, ARoundAfterALostConnectionPreparesItsInsertAgain) {
  PostgresDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "COCREATE_TEST_POSTGRES is not set";
  auto store = EventStore::Open(StoreOptions{db.url(), "", true});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto round = [&](int64_t seq) {
    return (*store)->WriteRound(
        seq - 1, [](Event) { return Status::Ok(); },
        [seq] { return std::vector<Event>{MakeEvent(seq)}; });
  };
  ASSERT_TRUE(round(1).ok());
  ASSERT_TRUE(round(2).ok());  // the prepared statement, reused
  PGconn* c = PQconnectdb(db.url().c_str());
  PGresult* r = PQexec(c,
                       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c);
  EXPECT_GE(std::stoi(PQgetvalue(r, 0, 0)), 1);
  PQclear(r);
  PQfinish(c);
  Status st = round(3);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ((*store)->LastSeq().value(), 3);
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailable) {
  auto store = EventStore::Open(StoreOptions{"postgresql://nobody@127.0.0.1:1/none", "", true});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
}

TEST(StoreOpenTest, UnknownSpecIsInvalidArgument) {
  StoreOptions options;
  options.spec = "mysql://x";
  auto store = EventStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store.status().reason(), "unsupported_store");
}

// A new file is made with 16 KiB pages; a file made with another page size
// (every store before this rule: 4 KiB) keeps it and works as before.
TEST(SqliteStoreTest, NewFilesGetLargePagesAndOlderFilesKeepTheirs) {
  const auto base = std::filesystem::temp_directory_path() /
                    ("cocreate_pages_" + std::to_string(::getpid()));
  const std::string fresh = base.string() + "-new.db", older = base.string() + "-old.db";
  std::filesystem::remove(fresh);
  std::filesystem::remove(older);
  auto page_size = [](const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    int size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return size;
  };
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(older.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
                           "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  for (const std::string& path : {fresh, older}) {
    SCOPED_TRACE(path);
    {
      auto store = OpenSqliteStore(path, true);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      // Enough events to fill many pages of either size.
      for (int64_t seq = 1; seq <= 400; seq += 50) {
        std::vector<Event> round;
        for (int64_t i = seq; i < seq + 50; ++i) {
          Event e = MakeEvent(i);
          e.data.Set("description", Json(std::string(700, 'd')));
          round.push_back(std::move(e));
        }
        ASSERT_TRUE((*store)->Append(round).ok());
      }
    }
    auto reopened = OpenSqliteStore(path, true);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    int64_t count = 0;
    ASSERT_TRUE((*reopened)
                    ->Scan(0, [&](Event e) {
                      EXPECT_EQ(e.seq, ++count);
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(count, 400);
    reopened->reset();
    EXPECT_EQ(page_size(path), path == fresh ? 16384 : 4096);
  }
  for (const std::string& path : {fresh, older}) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
}

TEST(StoreOpenTest, RefusesANewerSchema) {
  auto path = std::filesystem::temp_directory_path() /
              ("cocreate_schema_" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  { ASSERT_TRUE(OpenSqliteStore(path.string(), false).ok()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '999' WHERE key = 'schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(path.string(), false);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace cocreate
