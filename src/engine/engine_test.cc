#include "engine/engine.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "engine/generator.h"
#include "model/codec.h"
#include "rules/webhooks.h"
#include "store/testing.h"

namespace cocreate {
namespace {

// Wraps a store to inject faults: fail the Nth Append, or hold Appends at a
// gate until the test opens it.
class FaultyStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status WriteRoundWith(int64_t after, const std::function<Status(Event)>& catch_up,
                        const std::function<RoundWrites()>& decide) override {
    int n = ++appends_;
    if (gate_) gate_->wait();
    if (n == fail_on_) {
      (void)decide();  // the round is decided, then its commit fails
      return Unavailable("injected fault");
    }
    return ForwardingStore::WriteRoundWith(after, catch_up, decide);
  }
  std::string Name() const override { return "faulty"; }

  std::atomic<int> appends_{0};
  int fail_on_ = -1;
  std::shared_future<void>* gate_ = nullptr;
};

std::unique_ptr<EventStore> MemoryStore() {
  StoreOptions o;
  o.spec = "sqlite::memory:";
  return EventStore::Open(o).value();
}

Command Org(const std::string& id) {
  return DecodeCreate(Noun::kOrganization,
                      Json::Parse(R"({"id":")" + id + R"(","name":"n"})").value())
      .value();
}

std::unique_ptr<Engine> OpenEngine(std::unique_ptr<EventStore> store) {
  EngineOptions options;
  options.admin_token = "admin-token";
  return Engine::Open(std::move(store), options).value();
}

TEST(EngineTest, CreateThenGet) {
  auto engine = OpenEngine(MemoryStore());
  auto outcome = engine->Execute(Principal::Admin(), Org("o1"));
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->status, 201);
  EXPECT_NE(outcome->body.find("\"id\":\"o1\""), std::string::npos);
  EXPECT_TRUE(engine->Get(Principal::Admin(), Noun::kOrganization, "o1").ok());
  EXPECT_EQ(engine->Get(Principal::Admin(), Noun::kOrganization, "o2").status().code(),
            Code::kNotFound);
  auto retry = engine->Execute(Principal::Admin(), Org("o1"));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->status, 200);
  EXPECT_EQ(engine->last_seq(), 1);
}

TEST(EngineTest, RulesErrorsPassThrough) {
  auto engine = OpenEngine(MemoryStore());
  auto outcome = engine->Execute(Principal::Member("x"), Org("o1"));
  EXPECT_EQ(outcome.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(engine->last_seq(), 0);
}

TEST(EngineTest, TokensAuthenticate) {
  auto engine = OpenEngine(MemoryStore());
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("o1")).ok());
  EXPECT_TRUE(engine->Authenticate("admin-token")->is_admin());
  EXPECT_EQ(engine->Authenticate("nope").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(engine->Authenticate("").status().code(), Code::kUnauthenticated);
  auto issued = engine->Execute(
      Principal::Admin(),
      DecodeIssueToken(Json::Parse(R"({"organization":"o1","role":"viewer"})").value()).value());
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->status, 201);
  Json body = Json::Parse(issued->body).value();
  std::string token = body.Find("token")->as_string();
  auto p = engine->Authenticate(token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->organization, "o1");
  EXPECT_EQ(p->role, Role::kViewer);
  // The secret never reaches the log.
  EXPECT_EQ(engine->Events(Principal::Admin(), 0, 100).value().find(token), std::string::npos);
}

// A clock the test sets; randomness from the real machine.
class FakeClockEnv final : public Env {
 public:
  std::string Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return FormatUnixMillis(now_ms_);
  }
  std::string RandomHex(int bytes) override { return Env::Default()->RandomHex(bytes); }
  void Advance(int64_t ms) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ms_ += ms;
  }

 private:
  std::mutex mu_;
  int64_t now_ms_ = *UnixMillis("2026-01-01T00:00:00.000Z");
};

std::string IssueToken(Engine& engine, std::string_view body) {
  auto issued = engine.Execute(Principal::Admin(),
                               DecodeIssueToken(Json::Parse(body).value()).value());
  EXPECT_TRUE(issued.ok()) << issued.status().ToString();
  return issued.ok() ? issued->body : "";
}

TEST(EngineTest, ExpiredTokenIsRefusedEvenWhenCached) {
  FakeClockEnv clock;
  EngineOptions options;
  options.admin_token = "admin-token";
  options.env = &clock;
  auto engine = Engine::Open(MemoryStore(), options).value();
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("o1")).ok());
  Json body = Json::Parse(IssueToken(*engine, R"({"organization":"o1","expires_in":60})")).value();
  EXPECT_EQ(body.Find("expires_at")->as_string(), "2026-01-01T00:01:00.000Z");
  EXPECT_EQ(body.Find("created_at")->as_string(), "2026-01-01T00:00:00.000Z");
  std::string token = body.Find("token")->as_string();
  ASSERT_TRUE(engine->Authenticate(token).ok());  // now cached
  clock.Advance(59'999);
  EXPECT_TRUE(engine->Authenticate(token).ok());
  clock.Advance(1);
  EXPECT_EQ(engine->Authenticate(token).status().code(), Code::kUnauthenticated);
}

TEST(EngineTest, RevokedTokenIsRefusedAtOnceAndAfterRestart) {
  auto path = std::filesystem::temp_directory_path() /
              ("cocreate-revoke-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  StoreOptions o;
  o.spec = "sqlite:" + path.string();
  std::string token, id;
  {
    auto engine = OpenEngine(EventStore::Open(o).value());
    ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("o1")).ok());
    Json body = Json::Parse(IssueToken(*engine, R"({"organization":"o1"})")).value();
    token = body.Find("token")->as_string();
    id = body.Find("id")->as_string();
    ASSERT_TRUE(engine->Authenticate(token).ok());  // now cached
    auto revoked = engine->Execute(Principal::Member("o1"), DecodeRevokeToken(id));
    ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
    EXPECT_EQ(revoked->status, 204);
    EXPECT_EQ(revoked->body, "");
    EXPECT_EQ(engine->Authenticate(token).status().code(), Code::kUnauthenticated);
    EXPECT_EQ(engine->Tokens(Principal::Admin(), ListQuery())->find(id), std::string::npos);
  }
  auto engine = OpenEngine(EventStore::Open(o).value());
  EXPECT_EQ(engine->Authenticate(token).status().code(), Code::kUnauthenticated);
  std::filesystem::remove(path);
}

TEST(EngineTest, TokenListsShowNoSecret) {
  auto engine = OpenEngine(MemoryStore());
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("o1")).ok());
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("o2")).ok());
  Json t1 = Json::Parse(IssueToken(*engine, R"({"organization":"o1"})")).value();
  Json t2 = Json::Parse(IssueToken(*engine, R"({"organization":"o2","role":"viewer"})")).value();
  std::string all = engine->Tokens(Principal::Admin(), ListQuery()).value();
  EXPECT_NE(all.find(t1.Find("id")->as_string()), std::string::npos);
  EXPECT_NE(all.find(t2.Find("id")->as_string()), std::string::npos);
  EXPECT_EQ(all.find(t1.Find("token")->as_string()), std::string::npos);
  EXPECT_EQ(all.find("digest"), std::string::npos);
  std::string own = engine->Tokens(Principal::Member("o1"), ListQuery()).value();
  EXPECT_NE(own.find(t1.Find("id")->as_string()), std::string::npos);
  EXPECT_EQ(own.find(t2.Find("id")->as_string()), std::string::npos);
  EXPECT_EQ(engine->Tokens(Principal{Role::kViewer, "o2"}, ListQuery()).status().code(),
            Code::kPermissionDenied);
}

TEST(EngineTest, RestartReplaysTheLog) {
  auto dir = std::filesystem::temp_directory_path() /
             ("cocreate_engine_restart_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  StoreOptions o;
  o.data_dir = dir.string();
  {
    auto engine = OpenEngine(EventStore::Open(o).value());
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("o" + std::to_string(i))).ok());
  }
  auto engine = OpenEngine(EventStore::Open(o).value());
  EXPECT_EQ(engine->last_seq(), 20);
  EXPECT_TRUE(engine->Get(Principal::Admin(), Noun::kOrganization, "o19").ok());
  // Idempotency survives the restart too.
  EXPECT_EQ(engine->Execute(Principal::Admin(), Org("o3"))->status, 200);
  std::filesystem::remove_all(dir);
}

// A provision's answer to its provider (or the admin) is made once and
// stored as its event's data: the answer is what GET shows, and the log
// holds the record as performed.
TEST(EngineTest, AProvisionsAnswerIsTheTextOfItsEventAndOfGet) {
  auto engine = OpenEngine(MemoryStore());
  GeneratorOptions g;
  g.organizations = 12;
  ASSERT_TRUE(Generate(*engine, g).ok());
  std::string rel, provider, consumer, action;
  engine->Inspect([&](const State& state) {
    for (const std::string& id : state.Ids(Noun::kRelationship)) {
      const Relationship& r = *state.FindRelationship(id);
      if (r.status != RelationshipStatus::kActive || !rel.empty()) continue;
      for (const ServiceAction& a : state.FindOffering(r.offering)->actions) {
        if (a.effect != Effect::kNone || !rel.empty()) continue;
        rel = r.id;
        provider = r.provider;
        consumer = r.consumer;
        action = a.name;
      }
    }
  });
  ASSERT_FALSE(rel.empty());
  auto perform = [&](const Principal& p, const std::string& id) {
    return engine->Execute(
        p, DecodeCreate(Noun::kProvision,
                        Json::Parse(R"({"id":")" + id + R"(","relationship":")" + rel +
                                    R"(","action":")" + action +
                                    R"(","value":{"costs":[{"amount":1.10,)"
                                    R"("currency":"EUR","kind":"introduced"}]}})")
                            .value())
               .value());
  };
  const int64_t before = engine->last_seq();
  for (const auto& [who, id] : std::vector<std::pair<Principal, std::string>>{
           {Principal::Member(provider), "prov-by-provider"},
           {Principal::Admin(), "prov-by-admin"}}) {
    SCOPED_TRACE(id);
    auto answer = perform(who, id);
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ(answer->status, 201);
    EXPECT_EQ(answer->body, engine->Get(who, Noun::kProvision, id).value());
    // A retry answers the same record, made from the state this time.
    auto retry = perform(who, id);
    ASSERT_TRUE(retry.ok()) << retry.status().ToString();
    EXPECT_EQ(retry->status, 200);
    EXPECT_EQ(retry->body, answer->body);
  }
  // The consumer may not perform it.
  EXPECT_FALSE(perform(Principal::Member(consumer), "prov-by-consumer").ok());
  auto log = engine->Log(before);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  for (const Event& e : *log) {
    EXPECT_EQ(e.type, EventType::kProvisionPerformed);
    EXPECT_EQ(EventDataText(e), engine->Get(Principal::Admin(), Noun::kProvision, e.subject).value());
  }
}

// Commands queued while a commit is in progress share the next commit.
TEST(EngineTest, GroupCommitSharesOneAppendAcrossWaitingCommands) {
  auto faulty = std::make_unique<FaultyStore>(MemoryStore());
  FaultyStore* store = faulty.get();
  std::promise<void> open;
  std::shared_future<void> gate = open.get_future().share();
  store->gate_ = &gate;
  auto engine = OpenEngine(std::move(faulty));

  std::promise<void> first_done;
  engine->Submit(Principal::Admin(), Org("first"), [&](StatusOr<Outcome> r) {
    EXPECT_TRUE(r.ok());
    first_done.set_value();
  });
  while (store->appends_.load() < 1) std::this_thread::yield();  // the first round is at the gate
  constexpr int kWaiting = 50;
  std::atomic<int> ok{0};
  std::promise<void> all_done;
  for (int i = 0; i < kWaiting; ++i) {
    engine->Submit(Principal::Admin(), Org("w" + std::to_string(i)), [&](StatusOr<Outcome> r) {
      if (r.ok() && ++ok == kWaiting) all_done.set_value();
    });
  }
  // The committer decides them while the first round commits (the state
  // lock is not held through a commit); they wait for the next commit.
  for (bool all_decided = false; !all_decided; std::this_thread::yield()) {
    engine->Inspect([&](const State& s) { all_decided = s.last_seq() == kWaiting + 1; });
  }
  EXPECT_EQ(ok.load(), 0);
  open.set_value();
  first_done.get_future().wait();
  all_done.get_future().wait();
  EXPECT_EQ(store->appends_.load(), 2);  // 51 commands, 2 transactions
  EXPECT_EQ(engine->Stats().batches, 2u);
  EXPECT_EQ(engine->last_seq(), kWaiting + 1);
}

// A refused commit answers 503 and leaves nothing half-applied.
TEST(EngineTest, FailedCommitRollsBackTheState) {
  auto faulty = std::make_unique<FaultyStore>(MemoryStore());
  FaultyStore* store = faulty.get();
  auto engine = OpenEngine(std::move(faulty));
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("a")).ok());
  store->fail_on_ = 2;
  auto failed = engine->Execute(Principal::Admin(), Org("b"));
  EXPECT_EQ(failed.status().code(), Code::kUnavailable);
  EXPECT_EQ(engine->Get(Principal::Admin(), Noun::kOrganization, "b").status().code(),
            Code::kNotFound);
  EXPECT_EQ(engine->last_seq(), 1);
  // The same command succeeds afterwards, with the next seq: no gap.
  auto retried = engine->Execute(Principal::Admin(), Org("b"));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->status, 201);
  EXPECT_EQ(engine->last_seq(), 2);
  EXPECT_EQ(engine->Stats().store_failures, 1u);
}

// Fault injection at every append of a multi-event command sequence: after
// each failure the engine's state equals a replay of what the store holds.
TEST(EngineTest, EveryFailurePointLeavesStateEqualToTheStore) {
  for (int fail_on = 1; fail_on <= 6; ++fail_on) {
    auto faulty = std::make_unique<FaultyStore>(MemoryStore());
    FaultyStore* store = faulty.get();
    store->fail_on_ = fail_on;
    auto engine = OpenEngine(std::move(faulty));
    const char* steps[] = {
        R"({"id":"o1","name":"n"})", R"({"id":"o2","name":"n"})",
    };
    int ok = 0;
    for (const char* s : steps) {
      ok += engine->Execute(Principal::Admin(),
                            DecodeCreate(Noun::kOrganization, Json::Parse(s).value()).value())
                .ok();
    }
    auto r = engine->Execute(
        Principal::Admin(),
        DecodeCreate(Noun::kResource,
                     Json::Parse(R"({"id":"r","owner":"o1","kind":"k","name":"n"})").value())
            .value());
    ok += r.ok();
    auto t = engine->Execute(
        Principal::Admin(),
        DecodeIssueToken(Json::Parse(R"({"organization":"o2"})").value()).value());
    ok += t.ok();
    int64_t stored = 0;
    ASSERT_TRUE(store->Scan(0, [&](Event) { ++stored; return Status::Ok(); }).ok());
    EXPECT_EQ(engine->last_seq(), stored) << "fail_on=" << fail_on;
    EXPECT_EQ(stored, ok) << "fail_on=" << fail_on;  // one event per accepted command here
  }
}

// Two engines writing to one store: each round first applies what the other
// appended, so seqs never collide and each sees the other's objects.
TEST(EngineTest, WritersSharingAStoreCatchUpBeforeDeciding) {
  auto dir = std::filesystem::temp_directory_path() /
             ("cocreate_engine_shared_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  StoreOptions o;
  o.data_dir = dir.string();
  o.sqlite_locking = SqliteLocking::kShared;
  auto a = OpenEngine(EventStore::Open(o).value());
  auto b = OpenEngine(EventStore::Open(o).value());
  ASSERT_TRUE(a->Execute(Principal::Admin(), Org("from-a")).ok());
  // b has not seen from-a; its round catches up first, then decides.
  auto dup = b->Execute(
      Principal::Admin(),
      DecodeCreate(Noun::kOrganization, Json::Parse(R"({"id":"from-a","name":"other"})").value())
          .value());
  EXPECT_EQ(dup.status().reason(), "duplicate_id");
  ASSERT_TRUE(b->Execute(Principal::Admin(), Org("from-b")).ok());
  EXPECT_EQ(b->last_seq(), 2);
  EXPECT_TRUE(b->Get(Principal::Admin(), Noun::kOrganization, "from-a").ok());
  ASSERT_TRUE(a->Execute(Principal::Admin(), Org("again-a")).ok());
  EXPECT_EQ(a->last_seq(), 3);
  EXPECT_TRUE(a->Get(Principal::Admin(), Noun::kOrganization, "from-b").ok());
  a.reset();
  b.reset();
  std::filesystem::remove_all(dir);
}

// Holds each round between its decision and its commit while `hold_` is
// set, and then refuses it if `refuse_` is set; `shared_` makes the engine
// treat it as a store other instances write to (the round is then decided
// inside the store's round, not by the syncer).
class HeldCommitStore final : public testing::ForwardingStore {
 public:
  HeldCommitStore(std::unique_ptr<EventStore> inner, bool shared)
      : ForwardingStore(std::move(inner)), shared_(shared) {}
  bool Shared() const override { return shared_; }
  Status WriteRoundWith(int64_t after, const std::function<Status(Event)>& catch_up,
                        const std::function<RoundWrites()>& decide) override {
    if (!hold_) return ForwardingStore::WriteRoundWith(after, catch_up, decide);
    bool refuse = refuse_;
    std::promise<void> open;
    {
      std::lock_guard<std::mutex> lock(mu_);
      gate_ = std::make_unique<std::promise<void>>();
      open_ = gate_->get_future().share();
    }
    auto held = [&]() {
      RoundWrites writes = decide();
      decided_ = true;
      std::shared_future<void> gate;
      {
        std::lock_guard<std::mutex> lock(mu_);
        gate = open_;
      }
      gate.wait();
      return writes;
    };
    if (refuse) {
      (void)held();
      return Unavailable("injected fault");
    }
    return ForwardingStore::WriteRoundWith(after, catch_up, held);
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_->set_value();
  }
  Status Scan(int64_t after, const std::function<Status(Event)>& fn) override {
    if (fail_scans_) return Unavailable("injected scan fault");
    return ForwardingStore::Scan(after, fn);
  }

  const bool shared_;
  std::atomic<bool> hold_{false}, refuse_{false}, decided_{false}, fail_scans_{false};

 private:
  std::mutex mu_;
  std::unique_ptr<std::promise<void>> gate_;
  std::shared_future<void> open_;
};

class CommitWithoutStateLockTest : public ::testing::TestWithParam<bool> {};

// Readers go on while a round commits (the state lock is not held through
// the store's commit), yet nothing they saw of it leaves before it is
// durable, and nothing at all if the store refuses it.
TEST_P(CommitWithoutStateLockTest, ReadsGoOnButWaitForTheRoundTheySaw) {
  auto held_store = std::make_unique<HeldCommitStore>(MemoryStore(), GetParam());
  HeldCommitStore* store = held_store.get();
  auto engine = OpenEngine(std::move(held_store));
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("a")).ok());
  auto issued = engine->Execute(
      Principal::Admin(), DecodeIssueToken(Json::Parse(R"({"organization":"a"})").value()).value());
  ASSERT_TRUE(issued.ok());
  const std::string token = StrOr(Json::Parse(issued->body).value(), "token");
  ASSERT_FALSE(token.empty());

  for (bool refuse : {false, true}) {
    SCOPED_TRACE(refuse ? "refused" : "committed");
    const std::string id = refuse ? "refused" : "committed";
    const int64_t before = engine->last_seq();
    store->decided_ = false;
    store->refuse_ = refuse;
    store->hold_ = true;
    std::promise<StatusOr<Outcome>> answered;
    engine->Submit(Principal::Admin(), Org(id),
                   [&](StatusOr<Outcome> r) { answered.set_value(std::move(r)); });
    while (!store->decided_.load()) std::this_thread::yield();

    // A read does not wait for the commit: it sees the round...
    Engine::ReadMark mark;
    auto read = std::async(std::launch::async, [&] {
      Engine::ReadScope scope(&mark);
      return engine->Get(Principal::Admin(), Noun::kOrganization, id);
    });
    ASSERT_EQ(read.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(read.get().ok());
    EXPECT_EQ(mark.seq, before + 1);
    EXPECT_EQ(engine->last_seq(), before);  // not durable yet
    // A token that authenticates rests on nothing undurable (its secret
    // was given out once it was durable): a write it makes is not held
    // back, or refused, for a round it never read. A refusal is recorded.
    Engine::ReadMark auth_mark, refusal_mark;
    {
      Engine::ReadScope scope(&auth_mark);
      EXPECT_TRUE(engine->Authenticate(token).ok());
    }
    {
      Engine::ReadScope scope(&refusal_mark);
      EXPECT_FALSE(engine->Authenticate("cc_not_a_token_" + id).ok());
    }
    EXPECT_EQ(auth_mark.seq, 0);
    EXPECT_EQ(refusal_mark.seq, before + 1);
    // ...but its answer is held back until the round is durable.
    std::promise<bool> sent;
    engine->WhenDurable(mark, [&](bool durable) { sent.set_value(durable); });
    auto sent_future = sent.get_future();
    EXPECT_EQ(sent_future.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
    store->hold_ = false;
    store->Open();
    auto outcome = answered.get_future().get();
    EXPECT_EQ(sent_future.get(), !refuse);
    if (refuse) {
      EXPECT_EQ(outcome.status().code(), Code::kUnavailable);
      EXPECT_EQ(engine->Get(Principal::Admin(), Noun::kOrganization, id).status().code(),
                Code::kNotFound);
      EXPECT_EQ(engine->last_seq(), before);
      // A mark from before the refusal is refused too, even for a seq a
      // later round reuses.
      ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("after")).ok());
      bool late = true;
      engine->WhenDurable(mark, [&](bool durable) { late = durable; });
      EXPECT_FALSE(late);
    } else {
      ASSERT_TRUE(outcome.ok());
      EXPECT_EQ(outcome->status, 201);
      EXPECT_EQ(engine->last_seq(), before + 1);
      // Once it is durable a read marks nothing and its answer goes at once.
      Engine::ReadMark durable_mark;
      {
        Engine::ReadScope scope(&durable_mark);
        EXPECT_TRUE(engine->Get(Principal::Admin(), Noun::kOrganization, id).ok());
      }
      EXPECT_EQ(durable_mark.seq, 0);
    }
  }
}

// When the rebuild after a refusal fails too, the refused round is still in
// the state: what is read from it never goes out, even once later rounds
// reuse its seq.
TEST_P(CommitWithoutStateLockTest, ReadsOfARefusedRoundLeftByAFailedRebuildNeverGoOut) {
  auto held_store = std::make_unique<HeldCommitStore>(MemoryStore(), GetParam());
  HeldCommitStore* store = held_store.get();
  auto engine = OpenEngine(std::move(held_store));
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("a")).ok());
  store->refuse_ = true;
  store->fail_scans_ = true;
  store->hold_ = true;
  std::promise<StatusOr<Outcome>> answered;
  engine->Submit(Principal::Admin(), Org("refused"),
                 [&](StatusOr<Outcome> r) { answered.set_value(std::move(r)); });
  while (!store->decided_.load()) std::this_thread::yield();
  store->hold_ = false;
  store->Open();
  EXPECT_EQ(answered.get_future().get().status().code(), Code::kUnavailable);
  EXPECT_FALSE(engine->healthy());
  Engine::ReadMark mark;
  {
    Engine::ReadScope scope(&mark);
    engine->Inspect([](const State&) {});
  }
  EXPECT_EQ(mark.seq, 2);
  bool sent = true;
  engine->WhenDurable(mark, [&](bool durable) { sent = durable; });
  EXPECT_FALSE(sent);
  // While the store is still out of reach, a round fails before it is
  // decided (its rebuild fails first).
  EXPECT_EQ(engine->Execute(Principal::Admin(), Org("while-down")).status().code(),
            Code::kUnavailable);
  // The store comes back: the next round rebuilds, and seq 2 is reused.
  store->fail_scans_ = false;
  store->refuse_ = false;
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("b")).ok());
  EXPECT_EQ(engine->last_seq(), 2);
  EXPECT_EQ(engine->Get(Principal::Admin(), Noun::kOrganization, "refused").status().code(),
            Code::kNotFound);
  sent = true;
  engine->WhenDurable(mark, [&](bool durable) { sent = durable; });
  EXPECT_FALSE(sent);
}

// While the store refuses commits (a full disk), reads keep answering: after
// a refusal rounds commit with the state lock held until one succeeds, so
// no read sees a round the store is about to refuse.
TEST_P(CommitWithoutStateLockTest, AfterARefusalRoundsCommitUnderTheLockUntilOneSucceeds) {
  auto held_store = std::make_unique<HeldCommitStore>(MemoryStore(), GetParam());
  HeldCommitStore* store = held_store.get();
  auto engine = OpenEngine(std::move(held_store));
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("a")).ok());
  auto held_round = [&](const std::string& id, bool refuse) {
    store->decided_ = false;
    store->refuse_ = refuse;
    store->hold_ = true;
    auto answered = std::make_shared<std::promise<StatusOr<Outcome>>>();
    engine->Submit(Principal::Admin(), Org(id),
                   [answered](StatusOr<Outcome> r) { answered->set_value(std::move(r)); });
    while (!store->decided_.load()) std::this_thread::yield();
    return answered->get_future();
  };
  auto read = [&](Engine::ReadMark& mark) {
    return std::async(std::launch::async, [&engine, &mark] {
      Engine::ReadScope scope(&mark);
      return engine->Get(Principal::Admin(), Noun::kOrganization, "a").ok();
    });
  };

  auto refused = held_round("x", true);
  store->hold_ = false;
  store->Open();
  EXPECT_EQ(refused.get().status().code(), Code::kUnavailable);

  // Careful: the read waits for the lock, and sees only durable rounds.
  auto careful = held_round("y", false);
  Engine::ReadMark careful_mark;
  auto careful_read = read(careful_mark);
  EXPECT_EQ(careful_read.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  store->hold_ = false;
  store->Open();
  ASSERT_TRUE(careful.get().ok());
  EXPECT_TRUE(careful_read.get());
  EXPECT_EQ(careful_mark.seq, 0);

  // The commit succeeded: the lock is released through commits again.
  auto again = held_round("z", false);
  Engine::ReadMark mark;
  auto fast_read = read(mark);
  ASSERT_EQ(fast_read.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(fast_read.get());
  EXPECT_EQ(mark.seq, engine->last_seq() + 1);
  store->hold_ = false;
  store->Open();
  ASSERT_TRUE(again.get().ok());
}

INSTANTIATE_TEST_SUITE_P(Stores, CommitWithoutStateLockTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Shared" : "Embedded");
                         });

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

// A start that meets an event it cannot apply says which one (#9 item 1: the
// replay refused a stored body and the server only said it would not start).
TEST(EngineOpenTest, AnEventThatCannotBeAppliedIsNamedBySeqAndType) {
  auto store = MemoryStore();
  Event good;
  good.seq = 1;
  good.type = EventType::kOrganizationCreated;
  good.at = "2026-12-01T00:00:00Z";
  good.actor = "admin";
  good.subject = "o1";
  good.data = Json::Parse(R"({"id":"o1","name":"n"})").value();
  Event bad = good;
  bad.seq = 2;
  bad.type = EventType::kResourceCreated;
  bad.subject = "r1";
  bad.data = Json::Parse(R"({"id":"r1","versions":"not a list"})").value();
  ASSERT_TRUE(store->Append({good, bad}).ok());
  EngineOptions options;
  options.admin_token = "admin-token";
  auto engine = Engine::Open(std::move(store), options);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("event seq 2 (resource.created)"), std::string::npos)
      << engine.status().ToString();
}

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

// Webhooks (CONTRACT §8): a delivery is written with its event, for the
// organizations that may see it, showing the event as GET /events does.
TEST(EngineWebhookTest, DeliveriesAreWrittenWithTheirEventsAsTheOrganizationSeesThem) {
  auto engine = OpenEngine(MemoryStore());
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("a")).ok());
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("b")).ok());
  auto hook = engine->Execute(
      Principal::Member("a"),
      DecodeRegisterWebhook(
          Json::Parse(R"({"id":"h","url":"http://93.184.216.34/","events":["*"],"secret":"k"})")
              .value())
          .value());
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  EXPECT_EQ(hook->status, 201);
  EXPECT_EQ(hook->body.find("\"k\""), std::string::npos);  // no secret in the answer
  auto resource = [&](const std::string& owner) {
    return engine->Execute(
        Principal::Member(owner),
        DecodeCreate(Noun::kResource, Json::Parse(R"({"owner":")" + owner +
                                                  R"(","kind":"vm","name":"x"})")
                                          .value())
            .value());
  };
  ASSERT_TRUE(resource("b").ok());  // hidden from a: no delivery
  ASSERT_TRUE(resource("a").ok());
  auto page = engine->Deliveries(Principal::Member("a"), "h", std::nullopt, ListQuery{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  Json listed = Json::Parse(*page).value();
  ASSERT_EQ(listed.Find("total")->as_int(), 1);
  const Json& item = listed.Find("items")->items()[0];
  EXPECT_EQ(item.Find("type")->as_string(), "resource.created");
  EXPECT_EQ(item.Find("status")->as_string(), "pending");
  auto heads = engine->PendingDeliveries(10);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 1u);
  auto shown = engine->EventsFrom(Principal::Member("a"), (*heads)[0].seq - 1, 1).value();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ((*heads)[0].body, shown[0].second);  // the bytes GET /events shows to a
  // Another organization does not see the webhook or its deliveries.
  EXPECT_EQ(engine->Deliveries(Principal::Member("b"), "h", std::nullopt, ListQuery{})
                .status()
                .code(),
            Code::kNotFound);
  auto target = engine->WebhookTargetOf("h");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->secret, "k");
}

TEST(EngineWebhookTest, LoopbackTargetsAreUnsafeUnlessAllowed) {
  auto engine = OpenEngine(MemoryStore());
  ASSERT_TRUE(engine->Execute(Principal::Admin(), Org("a")).ok());
  Json body = Json::Parse(R"({"url":"http://127.0.0.1:9/","events":["*"],"secret":"k"})").value();
  auto refused = engine->Execute(Principal::Member("a"), DecodeRegisterWebhook(body).value());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "unsafe_target");
  EngineOptions options;
  options.admin_token = "admin-token";
  options.webhooks_allow_private = true;
  auto allowing = Engine::Open(MemoryStore(), options).value();
  ASSERT_TRUE(allowing->Execute(Principal::Admin(), Org("a")).ok());
  EXPECT_TRUE(allowing->Execute(Principal::Member("a"), DecodeRegisterWebhook(body).value()).ok());
}

}  // namespace
}  // namespace cocreate
