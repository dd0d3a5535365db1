// Conformance tests of the EventStore interface, run against every backend
// spec this build has (in-memory SQLite and file SQLite).
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/store.h"

namespace cocreate {
namespace {

Event MakeEvent(int64_t seq, std::string type = "organization.created") {
  Event e;
  e.seq = seq;
  e.type = std::move(type);
  e.at = "2026-01-01T00:00:00.000Z";
  e.actor = "admin";
  e.subject = "o" + std::to_string(seq);
  e.data = Json::MakeObject({{"id", Json(e.subject)}, {"name", Json("n")}});
  e.private_data = Json::MakeObject({{"request", Json::MakeObject({{"name", Json("n")}})}});
  return e;
}

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cocreate_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<EventStore> Open() {
    StoreOptions options;
    options.spec = GetParam();
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

TEST_P(StoreConformanceTest, AppendIsAllOrNothing) {
  ASSERT_TRUE(store_->Append({MakeEvent(1)}).ok());
  // The second event repeats seq 1: the whole batch must be refused.
  Status st = store_->Append({MakeEvent(2), MakeEvent(1)});
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_EQ(store_->LastSeq().value(), 1);
  EXPECT_EQ(All(*store_).size(), 1u);
  // And the store still works afterwards.
  ASSERT_TRUE(store_->Append({MakeEvent(2)}).ok());
  EXPECT_EQ(store_->LastSeq().value(), 2);
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

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values("sqlite::memory:", "sqlite"),
                         [](const auto& info) {
                           return info.param == "sqlite" ? std::string("SqliteFile")
                                                         : std::string("SqliteMemory");
                         });

TEST(StoreOpenTest, UnknownSpecIsInvalidArgument) {
  StoreOptions options;
  options.spec = "mysql://x";
  auto store = EventStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store.status().reason(), "unsupported_store");
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
