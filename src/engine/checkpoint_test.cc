#include "engine/checkpoint.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "graph/questions.h"

namespace cocreate {
namespace {

namespace fs = std::filesystem;

// A folder of its own per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("cocreate-checkpoint-" + std::to_string(getpid()) + "-" + std::to_string(next_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

std::unique_ptr<EventStore> SqliteStore(const std::string& file) {
  StoreOptions o;
  o.spec = "sqlite:" + file;
  return EventStore::Open(o).value();
}

std::unique_ptr<Engine> OpenEngine(const std::string& db, const std::string& checkpoint,
                                   int64_t every = 0) {
  EngineOptions options;
  options.admin_token = "admin-token";
  options.checkpoint_path = checkpoint;
  options.checkpoint_every = every;
  return Engine::Open(SqliteStore(db), options).value();
}

// Generates `organizations` organizations' ecosystem through `engine`.
void Grow(Engine& engine, int64_t organizations) {
  GeneratorOptions g;
  g.organizations = organizations;
  auto stats = Generate(engine, g);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
}

// An evolved ecosystem (every kind of change) in the SQLite file `db`.
void Populate(const std::string& db, int64_t organizations, uint64_t seed) {
  auto engine = OpenEngine(db, "");
  GeneratorOptions g;
  g.organizations = organizations;
  g.seed = seed;
  g.evolve = true;
  auto stats = Generate(*engine, g);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->rejected, 0);
}

// Every event of the store, private data included (what a start replays).
std::vector<Event> Events(const std::string& db) {
  std::vector<Event> events;
  EXPECT_TRUE(SqliteStore(db)->Scan(0, [&](Event e) {
    events.push_back(std::move(e));
    return Status::Ok();
  }).ok());
  return events;
}

// The state and index after events [0, upto), built as a start without a
// checkpoint builds them.
struct Built {
  State state;
  GraphIndex graph;
};
Built Replay(const std::vector<Event>& events, size_t upto) {
  Built b;
  b.graph.BeginBulk();
  for (size_t i = 0; i < upto; ++i) {
    EXPECT_TRUE(b.state.Apply(events[i]).ok());
    b.graph.Apply(events[i], b.state);
  }
  b.graph.EndBulk();
  return b;
}

std::string CanonicalState(const State& state) {
  std::string out;
  BinaryWriter w(out);
  w.canonical = true;
  state.Save(w);
  return out;
}

// What every walk of the index reads, independent of how its edges are
// split between base and overlay: per node, its id, noun, organization,
// flags a walk reads, and its live edges both ways, sorted.
std::string CanonicalGraph(const GraphIndex& g) {
  std::string out;
  g.ForEachNode([&](NodeId n, Noun noun) {
    out += std::string(g.Id(n)) + " " + std::string(NounName(noun)) + " org=";
    out += g.OrganizationOf(n) == kNoNode ? "-" : std::string(g.Id(g.OrganizationOf(n)));
    out += g.Public(n) ? " public" : "";
    out += g.Find(g.Id(n)) == n ? "" : " LOST";
    for (bool down : {true, false}) {
      // A walk takes the first edge to each target (a fold keeps only that).
      std::vector<std::string> edges;
      std::set<NodeId> seen;
      g.ForEachEdge(n, down, [&](NodeId to, EdgeType type) {
        if (seen.insert(to).second) {
          edges.push_back(std::string(g.Id(to)) + ":" + std::to_string(static_cast<int>(type)));
        }
      });
      std::sort(edges.begin(), edges.end());
      out += down ? " down" : " up";
      for (const std::string& e : edges) out += " " + e;
    }
    out += "\n";
  });
  return out;
}

TEST(CheckpointTest, ACheckpointPlusTheTailIsAFullReplay) {
  TempDir dir;
  Populate(dir / "db", 120, 7);
  const std::vector<Event> events = Events(dir / "db");
  ASSERT_GT(events.size(), 2000u);
  const Built full = Replay(events, events.size());
  const std::string want_state = CanonicalState(full.state);
  const std::string want_graph = CanonicalGraph(full.graph);
  for (size_t cut : {size_t{0}, size_t{1}, events.size() / 3, events.size() - 1, events.size()}) {
    SCOPED_TRACE("checkpoint after " + std::to_string(cut) + " events");
    Built part = Replay(events, cut);
    const JsonDigest last = cut == 0 ? JsonDigest{} : EventFingerprint(events[cut - 1]);
    ASSERT_TRUE(WriteCheckpoint(dir / "cp", EncodeCheckpoint(part.state, part.graph, last)).ok());
    StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    EXPECT_EQ(cp->seq, static_cast<int64_t>(cut));
    EXPECT_EQ(cp->last, last);
    // What was saved reads back as it was, and the tail applies on top.
    EXPECT_EQ(CanonicalState(cp->state), CanonicalState(part.state));
    EXPECT_EQ(CanonicalGraph(cp->graph), CanonicalGraph(part.graph));
    for (size_t i = cut; i < events.size(); ++i) {
      ASSERT_TRUE(cp->state.Apply(events[i]).ok());
      cp->graph.Apply(events[i], cp->state);
    }
    EXPECT_TRUE(CanonicalState(cp->state) == want_state) << "the states differ";
    EXPECT_TRUE(CanonicalGraph(cp->graph) == want_graph) << "the indexes differ";
    // Folding the overlay the tail left changes no answer.
    cp->graph.MaybeStartFold(0);
    cp->graph.FinishFold(true);
    EXPECT_TRUE(CanonicalGraph(cp->graph) == want_graph) << "the folded indexes differ";
  }
}

// Concentration samples on a large graph, keeping budget / edges
// candidates. An index started from a checkpoint still holds the tail in
// its log, where a replay folded everything: folded alike first, both
// count the same edges and sample the same candidates.
TEST(CheckpointTest, ASampledConcentrationIsTheSameAfterACheckpointStart) {
  TempDir dir;
  Populate(dir / "db", 120, 7);
  const std::vector<Event> events = Events(dir / "db");
  Built full = Replay(events, events.size());
  const size_t cut = events.size() / 3;
  Built part = Replay(events, cut);
  ASSERT_TRUE(WriteCheckpoint(dir / "cp", part.state, part.graph, EventFingerprint(events[cut - 1]))
                  .ok());
  StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  for (size_t i = cut; i < events.size(); ++i) {
    ASSERT_TRUE(cp->state.Apply(events[i]).ok());
    cp->graph.Apply(events[i], cp->state);
  }
  EXPECT_NE(cp->graph.edges(), full.graph.edges()) << "the logs should differ before folding";
  cp->graph.FoldAll();
  full.graph.FoldAll();
  EXPECT_EQ(cp->graph.edges(), full.graph.edges());
  const int64_t budget = static_cast<int64_t>(full.graph.edges()) * 40;  // forces a sample
  const ConcentrationResult a = Concentrations(full.graph, budget);
  const ConcentrationResult b = Concentrations(cp->graph, budget);
  EXPECT_FALSE(a.exact);
  EXPECT_EQ(a.measured, b.measured);
  EXPECT_EQ(a.candidates, b.candidates);
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_EQ(a.items[i].id, b.items[i].id);
    EXPECT_EQ(a.items[i].consumers_reached, b.items[i].consumers_reached);
  }
}

// A checkpoint encoded straight into its file (the child's and the stop's
// way) is byte for byte the one encoded in memory, in a file of several
// of the writer's megabyte pieces, and loads.
TEST(CheckpointTest, AStreamedCheckpointIsTheEncodedOne) {
  TempDir dir;
  Populate(dir / "db", 1200, 7);
  const std::vector<Event> events = Events(dir / "db");
  const Built built = Replay(events, events.size());
  const JsonDigest last = EventFingerprint(events.back());
  const std::string encoded = EncodeCheckpoint(built.state, built.graph, last);
  ASSERT_GT(encoded.size(), size_t{3} << 20) << "too small to stream in pieces";
  size_t written = 0;
  ASSERT_TRUE(WriteCheckpoint(dir / "cp", built.state, built.graph, last, &written).ok());
  EXPECT_EQ(written, encoded.size());
  std::ifstream in(dir / "cp", std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(file == encoded) << "the streamed file differs from the encoded bytes";
  StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(CanonicalState(cp->state), CanonicalState(built.state));
  EXPECT_EQ(CanonicalGraph(cp->graph), CanonicalGraph(built.graph));
  // A folder in the file's place: the write fails, naming it, and leaves
  // no temporary file behind.
  fs::create_directory(dir / "folder");
  Status st = WriteCheckpoint(dir / "folder", built.state, built.graph, last);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("folder"), std::string::npos) << st.message();
  for (const auto& entry : fs::directory_iterator(fs::path(dir / "folder").parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
        << entry.path();
  }
}

// Ids are interned per process and never forgotten (model/id.h); a
// checkpoint carries only the ids its state holds, so an id interned and
// never committed (or read from a refused checkpoint) dies with the process.
TEST(CheckpointTest, ItsIdTableHoldsOnlyTheIdsTheStateHolds) {
  TempDir dir;
  Populate(dir / "db", 20, 3);
  const std::vector<Event> events = Events(dir / "db");
  const Built built = Replay(events, events.size());
  const Id stray("checkpoint-test-stray-id-never-committed");
  const std::string bytes = EncodeCheckpoint(built.state, built.graph, JsonDigest{});
  EXPECT_EQ(bytes.find(stray.str()), std::string::npos);
  ASSERT_TRUE(WriteCheckpoint(dir / "cp", bytes).ok());
  StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(CanonicalState(cp->state), CanonicalState(built.state));
}

// A checkpoint passes its checksum before its state is read, so a forger
// can make one whose records and ids disagree; a load refuses that rather
// than serve a state a read would crash on.
TEST(CheckpointTest, AStateWhoseIdsDisagreeWithItsRecordsIsRefused) {
  TempDir dir;
  Populate(dir / "db", 5, 2);
  const std::vector<Event> events = Events(dir / "db");
  const Built built = Replay(events, events.size());
  std::string bytes;
  BinaryWriter out(bytes);
  built.state.Save(out);
  {
    State loaded;
    BinaryReader in(bytes);
    ASSERT_TRUE(loaded.Load(in).ok());
  }
  // The id table comes last: change one service id's text there only, so
  // its handle now names a text its record does not have.
  const std::string id = built.state.Ids(Noun::kService).front().str();
  const size_t at = bytes.rfind(id);
  ASSERT_NE(at, std::string::npos);
  std::string forged = bytes;
  forged[at + id.size() - 1] = '~';
  State loaded;
  BinaryReader in(forged);
  Status st = loaded.Load(in);
  EXPECT_EQ(st.reason(), "bad_checkpoint") << st.ToString();
  EXPECT_NE(st.message().find("inconsistent"), std::string::npos) << st.message();
}

// Reads follow the lists of measurements, people, requests, value records
// and proposals to their records without looking: a forged checkpoint
// whose list names a record it does not hold is refused, not served (a
// read of it crashed the server).
TEST(CheckpointTest, AListedRecordThatIsNotThereIsRefused) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir / "db", "");
    ASSERT_TRUE(LoadDemo(*engine).ok());  // it has each kind of record
  }
  const std::vector<Event> events = Events(dir / "db");
  const Built built = Replay(events, events.size());
  const State& s = built.state;
  std::vector<std::string> listed;  // one of each kind the state holds
  auto first = [&](const IdList& ids, bool& found) {
    if (!found && !ids.empty()) {
      listed.push_back(ids.front().str());
      found = true;
    }
  };
  bool measurement = false, request = false, value = false, proposal = false, person = false;
  for (Id rel : s.Ids(Noun::kRelationship)) {
    first(s.MeasurementsOf(rel.str()), measurement);
    first(s.RequestsOf(rel.str()), request);
    first(s.ValueRecordsOf(rel.str()), value);
    first(s.ProposalsOf(rel.str()), proposal);
  }
  for (Id org : s.Ids(Noun::kOrganization)) first(s.PeopleOf(org.str()), person);
  ASSERT_GE(listed.size(), 4u) << "the ecosystem lacks records to forge";
  std::string bytes;
  BinaryWriter out(bytes);
  s.Save(out);
  // The members, before the table of ids: a flag byte, then as many bytes
  // as the first of the two lengths that end the state says.
  BinaryReader lengths(std::string_view(bytes).substr(bytes.size() - 16));
  const size_t members_end = 1 + lengths.Fixed64();
  ASSERT_LT(members_end, bytes.size());
  for (const std::string& id : listed) {
    SCOPED_TRACE(id);
    // The record renamed wherever its text is written (its key, its own
    // fields), while the list still names it through the table.
    std::string forged = bytes;
    int renamed = 0;
    for (size_t at = forged.find(id); at != std::string::npos && at < members_end;
         at = forged.find(id, at + 1)) {
      forged[at + id.size() - 1] = '~';
      ++renamed;
    }
    ASSERT_GT(renamed, 0);
    State loaded;
    BinaryReader in(forged);
    Status st = loaded.Load(in);
    EXPECT_EQ(st.reason(), "bad_checkpoint") << st.ToString();
    EXPECT_NE(st.message().find("is missing"), std::string::npos) << st.message();
  }
}

// The same answers, through the engine, for a sample of ids and every
// route family that reads the state or the index.
std::vector<std::string> Answers(Engine& engine, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  const Principal admin = Principal::Admin();
  auto add = [&](const StatusOr<std::string>& r) {
    out.push_back(r.ok() ? *r : "error " + r.status().ToString());
  };
  for (int n = 0; n < 7; ++n) {
    add(engine.List(admin, static_cast<Noun>(n), ListQuery{}));
  }
  engine.Inspect([&](const State& s) { out.push_back(std::to_string(s.last_seq())); });
  for (const std::string& id : ids) {
    const Noun* noun = nullptr;
    Noun copy{};
    engine.Inspect([&](const State& s) {
      noun = s.FindNoun(id);
      if (noun != nullptr) copy = *noun;
    });
    if (noun == nullptr) continue;
    add(engine.Get(admin, copy, id));
    const Principal member = Principal::Member(id);
    switch (copy) {
      case Noun::kOrganization:
        add(engine.Get(member, copy, id));
        add(engine.Roles(admin, id));
        add(engine.ValueOf(admin, id));
        add(engine.Breaches(admin, id, {}, {}));
        add(engine.Impact(admin, id, -1, true));
        break;
      case Noun::kResource:
        add(engine.Versions(admin, id));
        add(engine.Impact(admin, id, -1, true));
        add(engine.Impact(admin, id, 2, false));
        break;
      case Noun::kService:
        add(engine.Impact(admin, id, -1, true));
        break;
      case Noun::kOffering:
        add(engine.OfferingVersions(admin, id, {}));
        break;
      case Noun::kRelationship:
        add(engine.Agreements(admin, id));
        add(engine.Proposals(admin, id, {}));
        add(engine.RelationshipValue(admin, id, {}));
        add(engine.ServiceLevels(admin, id, {}));
        add(engine.Requests(admin, id, {}));
        break;
      default:
        break;
    }
  }
  return out;
}

TEST(CheckpointTest, AnEngineStartedFromACheckpointAnswersAsAFullReplay) {
  TempDir dir;
  Populate(dir / "db", 100, 3);
  std::vector<std::string> ids;
  {
    // A start without a checkpoint replays everything; its stop writes one.
    auto engine = OpenEngine(dir / "db", dir / "cp");
    std::mt19937_64 rng(11);
    engine->Inspect([&](const State& s) {
      for (int n = 0; n < 7; ++n) {
        for (const std::string& id : s.Ids(static_cast<Noun>(n))) {
          if (rng() % 8 == 0) ids.push_back(id);
        }
      }
    });
    ASSERT_FALSE(fs::exists(dir / "cp"));
    engine->Stop();
  }
  ASSERT_TRUE(fs::exists(dir / "cp"));
  std::vector<std::string> replayed;
  {
    auto engine = OpenEngine(dir / "db", "");
    replayed = Answers(*engine, ids);
  }
  ASSERT_GT(replayed.size(), 200u);
  const auto logged = static_cast<int64_t>(Events(dir / "db").size());
  auto from_checkpoint = OpenEngine(dir / "db", dir / "cp");
  EXPECT_EQ(from_checkpoint->Stats().last_seq, logged);
  std::vector<std::string> answered = Answers(*from_checkpoint, ids);
  ASSERT_EQ(answered.size(), replayed.size());
  for (size_t i = 0; i < answered.size(); ++i) EXPECT_EQ(answered[i], replayed[i]) << i;
}

// Writes that follow a checkpoint are replayed on top of it at the next
// start, even when the engine was not stopped cleanly.
TEST(CheckpointTest, WritesAfterTheCheckpointAreReplayedOnTop) {
  TempDir dir;
  Populate(dir / "db", 40, 5);
  { OpenEngine(dir / "db", dir / "cp")->Stop(); }
  const std::string checkpoint_bytes = [&] {
    std::ifstream in(dir / "cp", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  // More writes, then the checkpoint is put back as a crash would leave it.
  {
    auto engine = OpenEngine(dir / "db", "");
    Command org = DecodeCreate(Noun::kOrganization,
                               Json::Parse(R"({"id":"late-org","name":"Late"})").value())
                      .value();
    ASSERT_TRUE(engine->Execute(Principal::Admin(), std::move(org)).ok());
  }
  {
    std::ofstream out(dir / "cp", std::ios::binary | std::ios::trunc);
    out << checkpoint_bytes;
  }
  std::string got_state, want_state;
  OpenEngine(dir / "db", "")->Inspect([&](const State& s) { want_state = CanonicalState(s); });
  auto engine = OpenEngine(dir / "db", dir / "cp");
  engine->Inspect([&](const State& s) { got_state = CanonicalState(s); });
  EXPECT_TRUE(got_state == want_state);
  EXPECT_TRUE(engine->Get(Principal::Admin(), Noun::kOrganization, "late-org").ok());
}

TEST(CheckpointTest, ABadCheckpointIsRefusedByNameAndTheStartReplays) {
  TempDir dir;
  Populate(dir / "db", 20, 9);
  { OpenEngine(dir / "db", dir / "cp")->Stop(); }
  std::string good;
  {
    std::ifstream in(dir / "cp", std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(good.size(), 1000u);
  std::string want_state;
  OpenEngine(dir / "db", "")->Inspect([&](const State& s) { want_state = CanonicalState(s); });

  auto put = [&](const std::string& bytes) {
    std::ofstream out(dir / "cp", std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  struct Case {
    std::string name, bytes, why;
  };
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  std::string other_build = good;
  other_build[8] ^= 1;  // the format word
  std::string cut = good.substr(0, good.size() - 1);
  std::string not_one = "not a checkpoint at all, but long enough to have a header of 56 bytes";
  std::vector<Case> cases = {{"flipped byte", flipped, "checksum mismatch"},
                             {"other build", other_build, "made by another build"},
                             {"cut short", cut, "cut short"},
                             {"empty", "", "cut short"},
                             {"foreign file", not_one, "not a checkpoint"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    put(c.bytes);
    StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
    ASSERT_FALSE(cp.ok());
    EXPECT_EQ(cp.status().reason(), "bad_checkpoint");
    EXPECT_NE(cp.status().message().find(c.why), std::string::npos) << cp.status().message();
    // The engine starts anyway, by a full replay, with the same state.
    auto engine = OpenEngine(dir / "db", dir / "cp");
    engine->Inspect([&](const State& s) { EXPECT_TRUE(CanonicalState(s) == want_state); });
  }
  EXPECT_EQ(ReadCheckpoint(dir / "none").status().code(), Code::kNotFound);

  // A valid checkpoint of another store is not used for this one.
  Populate(dir / "other", 20, 10);
  { OpenEngine(dir / "other", dir / "cp")->Stop(); }
  ASSERT_TRUE(ReadCheckpoint(dir / "cp").ok());
  auto engine = OpenEngine(dir / "db", dir / "cp");
  engine->Inspect([&](const State& s) { EXPECT_TRUE(CanonicalState(s) == want_state); });
}

// kill -9 at any moment of a write leaves a checkpoint that reads: the
// previous one or the new one, never a torn one.
TEST(CheckpointTest, KillingAWriterLeavesAReadableCheckpoint) {
  TempDir dir;
  Populate(dir / "db", 60, 2);
  const std::vector<Event> events = Events(dir / "db");
  const Built small = Replay(events, events.size() / 2);
  const Built large = Replay(events, events.size());
  const std::string old_bytes =
      EncodeCheckpoint(small.state, small.graph, EventFingerprint(events[events.size() / 2 - 1]));
  const std::string new_bytes =
      EncodeCheckpoint(large.state, large.graph, EventFingerprint(events.back()));
  std::mt19937_64 rng(5);
  int saw_old = 0, saw_new = 0;
  for (int round = 0; round < 12; ++round) {
    ASSERT_TRUE(WriteCheckpoint(dir / "cp", old_bytes).ok());
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The child writes the new checkpoint over and over until killed.
      for (;;) (void)WriteCheckpoint(dir / "cp", new_bytes);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
    ASSERT_TRUE(cp.ok()) << "round " << round << ": " << cp.status().ToString();
    if (cp->seq == static_cast<int64_t>(events.size())) {
      ++saw_new;
    } else {
      EXPECT_EQ(cp->seq, static_cast<int64_t>(events.size() / 2));
      ++saw_old;
    }
  }
  EXPECT_EQ(saw_old + saw_new, 12);
  // What the killed writers left is removed, but not a file a live writer
  // holds locked (as WriteCheckpoint does), whatever its name says.
  const std::string live = dir / "cp.tmp.1.99";
  std::ofstream(live) << "in progress";
  int held = ::open(live.c_str(), O_RDONLY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  RemoveStaleCheckpointFiles(dir / "cp");
  ::close(held);
  int left = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(dir / "cp").parent_path())) {
    left += entry.path().filename().string().starts_with("cp.tmp.");
  }
  EXPECT_EQ(left, 1);
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(ReadCheckpoint(dir / "cp").ok());
}

// The engine's stats once `done` holds of them, or after `ms` milliseconds
// (the counts follow a file's rename on another thread).
EngineStats StatsOnce(Engine& engine, const std::function<bool(const EngineStats&)>& done,
                      int ms = 2000) {
  EngineStats stats = engine.Stats();
  for (int waited = 0; waited < ms && !done(stats); waited += 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stats = engine.Stats();
  }
  return stats;
}

TEST(CheckpointTest, TheEngineWritesOneEveryNEventsInTheBackground) {
  TempDir dir;
  auto engine = OpenEngine(dir / "db", dir / "cp", /*every=*/500);
  Grow(*engine, 30);
  // The committer checks at least once a second.
  StatusOr<Checkpoint> cp = NotFound("none yet");
  for (int i = 0; i < 100 && !cp.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cp = ReadCheckpoint(dir / "cp");
  }
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_GE(cp->seq, 500);
  EXPECT_LE(cp->seq, engine->Stats().last_seq);
  // /metrics counts it, and the time writes waited for its encoding; the
  // count follows the file's rename.
  EngineStats stats =
      StatsOnce(*engine, [](const EngineStats& s) { return s.checkpoints_written > 0; });
  EXPECT_GE(stats.checkpoints_written, 1u);
  EXPECT_GT(stats.checkpoint_last_pause_seconds, 0);
  EXPECT_GE(stats.checkpoint_pause_seconds, stats.checkpoint_last_pause_seconds);
}

// A hook for the child that encodes a background checkpoint: the first
// child says it started, then waits for `release`; later ones wait for
// `release_more`. Each waits at most 30 s.
std::function<void()> HoldChildren(const std::string& started, const std::string& release,
                                   const std::string& release_more) {
  return [=] {
    const bool first = ::access(started.c_str(), F_OK) != 0;
    if (first) ::close(::open(started.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    const std::string& wait_for = first ? release : release_more;
    for (int i = 0; i < 3000 && ::access(wait_for.c_str(), F_OK) != 0; ++i) ::usleep(10000);
  };
}

bool WaitForFile(const std::string& path, int seconds) {
  for (int i = 0; i < seconds * 100 && !fs::exists(path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return fs::exists(path);
}

std::unique_ptr<Engine> OpenHeldEngine(TempDir& dir) {
  EngineOptions options;
  options.admin_token = "admin-token";
  options.checkpoint_path = dir / "cp";
  options.checkpoint_every = 1;
  options.checkpoint_child_hook =
      HoldChildren(dir / "started", dir / "release", dir / "release-more");
  return Engine::Open(SqliteStore(dir / "db"), options).value();
}

void CreateOrganization(Engine& engine, const std::string& id) {
  Command org = DecodeCreate(Noun::kOrganization,
                             Json::Parse(R"({"id":")" + id + R"(","name":"N"})").value())
                    .value();
  ASSERT_TRUE(engine.Execute(Principal::Admin(), std::move(org)).ok());
}

// A background checkpoint is encoded by a child process holding a copy of
// the state as of the fork: writes go on meanwhile, and what the child
// writes is the state as of its seq, not what the server changed since.
TEST(CheckpointTest, AChildEncodesWhileWritesGoOn) {
  if (!CanCheckpointInChild()) GTEST_SKIP() << "this build encodes checkpoints in the server";
  TempDir dir;
  Populate(dir / "db", 30, 3);
  auto engine = OpenHeldEngine(dir);
  ASSERT_TRUE(WaitForFile(dir / "started", 10)) << "no checkpoint was started";
  // The child is held; the committer is not.
  for (int i = 0; i < 20; ++i) CreateOrganization(*engine, "during-" + std::to_string(i));
  EXPECT_FALSE(fs::exists(dir / "cp"));
  EXPECT_EQ(engine->Stats().checkpoints_written, 0u);
  std::ofstream(dir / "release") << "go";
  ASSERT_TRUE(WaitForFile(dir / "cp", 30));
  StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_LE(cp->seq + 20, engine->Stats().last_seq);
  EngineStats stats =
      StatsOnce(*engine, [](const EngineStats& s) { return s.checkpoints_written > 0; });
  EXPECT_EQ(stats.checkpoints_written, 1u);
  EXPECT_GT(stats.checkpoint_last_pause_seconds, 0);
  // (The store's file is the engine's alone while it is open.)
  engine.reset();
  const std::vector<Event> events = Events(dir / "db");
  const Built want = Replay(events, static_cast<size_t>(cp->seq));
  EXPECT_EQ(cp->last, EventFingerprint(events[cp->seq - 1]));
  EXPECT_TRUE(CanonicalState(cp->state) == CanonicalState(want.state)) << "the states differ";
  EXPECT_TRUE(CanonicalGraph(cp->graph) == CanonicalGraph(want.graph)) << "the indexes differ";
}

// The stop does not wait for a child still writing an older checkpoint: it
// ends it and writes the last state itself, and nothing of the child's
// write is left behind.
TEST(CheckpointTest, TheStopEndsAChildStillWriting) {
  if (!CanCheckpointInChild()) GTEST_SKIP() << "this build encodes checkpoints in the server";
  TempDir dir;
  Populate(dir / "db", 10, 4);
  auto engine = OpenHeldEngine(dir);
  ASSERT_TRUE(WaitForFile(dir / "started", 10)) << "no checkpoint was started";
  CreateOrganization(*engine, "late");
  const int64_t last = engine->Stats().last_seq;
  engine->Stop();
  StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "cp");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->seq, last);
  // Had the stop waited for the child (30 s), it would have written one too.
  EXPECT_EQ(engine->Stats().checkpoints_written, 1u);
  for (const auto& entry : fs::directory_iterator(fs::path(dir / "cp").parent_path())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with("cp.tmp."))
        << entry.path() << " was left behind";
  }
}

// A child killed mid-write (the out-of-memory killer, kill -9) leaves a
// temporary file it held locked; the server removes it at once, counts the
// failure and waits before it forks again.
TEST(CheckpointTest, AKilledChildLeavesNothingAndIsRetriedLater) {
  if (!CanCheckpointInChild()) GTEST_SKIP() << "this build encodes checkpoints in the server";
  TempDir dir;
  Populate(dir / "db", 10, 6);
  EngineOptions options;
  options.admin_token = "admin-token";
  options.checkpoint_path = dir / "cp";
  options.checkpoint_every = 1;
  const std::string started = dir / "started", tmp_prefix = dir / "cp.tmp.";
  options.checkpoint_child_hook = [started, tmp_prefix] {
    // As WriteCheckpoint does: a temporary file, locked until renamed.
    const std::string tmp = tmp_prefix + std::to_string(::getpid()) + ".0";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    (void)::flock(fd, LOCK_EX);
    (void)!::write(fd, "partial", 7);
    const std::string pid = std::to_string(::getpid());
    int marker = ::open(started.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    (void)!::write(marker, (pid + "\n").data(), pid.size() + 1);
    ::close(marker);
    ::pause();  // until killed
  };
  auto engine = Engine::Open(SqliteStore(dir / "db"), options).value();
  ASSERT_TRUE(WaitForFile(started, 10)) << "no checkpoint was started";
  pid_t child = 0;
  std::ifstream(started) >> child;
  ASSERT_GT(child, 0);
  ASSERT_TRUE(fs::exists(tmp_prefix + std::to_string(child) + ".0"));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  EngineStats stats = StatsOnce(
      *engine, [](const EngineStats& s) { return s.checkpoint_failures > 0; }, 5000);
  EXPECT_EQ(stats.checkpoint_failures, 1u);
  EXPECT_FALSE(fs::exists(tmp_prefix + std::to_string(child) + ".0"));
  // The committer checks every round and every second; the retry waits 10 s.
  CreateOrganization(*engine, "after-the-kill");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  std::string line;
  int forks = 0;
  for (std::ifstream in(started); std::getline(in, line);) ++forks;
  EXPECT_EQ(forks, 1);
  EXPECT_EQ(engine->Stats().checkpoint_failures, 1u);
  EXPECT_EQ(engine->Stats().checkpoints_written, 0u);
}

// A write that failed is tried again: the stop writes what the background
// write could not.
TEST(CheckpointTest, AFailedWriteIsRetriedByTheStop) {
  TempDir dir;
  const std::string folder = dir / "not-yet";
  auto engine = OpenEngine(dir / "db", folder + "/cp", /*every=*/200);
  Grow(*engine, 20);
  // The committer looks once a second; its write fails: no such folder.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_FALSE(fs::exists(folder + "/cp"));
  // Encoded (writes waited for it) but not written: not counted. Tried
  // once: the next try waits 10 s (the committer looks every second).
  EXPECT_GT(engine->Stats().checkpoint_pause_seconds, 0);
  EXPECT_EQ(engine->Stats().checkpoints_written, 0u);
  EXPECT_EQ(engine->Stats().checkpoint_failures, 1u);
  fs::create_directories(folder);
  const int64_t last = engine->Stats().last_seq;
  engine->Stop();
  StatusOr<Checkpoint> cp = ReadCheckpoint(folder + "/cp");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->seq, last);
  EXPECT_EQ(engine->Stats().checkpoints_written, 1u);
}

// The stop's own write, when it fails, is counted once and not tried
// again, however often the stop is called.
TEST(CheckpointTest, AFailedStopWriteIsCountedOnce) {
  TempDir dir;
  auto engine = OpenEngine(dir / "db", dir / "missing-folder/cp", /*every=*/0);
  Grow(*engine, 5);
  engine->Stop();
  engine->Stop();
  EXPECT_EQ(engine->Stats().checkpoint_failures, 1u);
  EXPECT_EQ(engine->Stats().checkpoints_written, 0u);
}

// A file planted under the temporary name (a link to another file, a
// FIFO) is neither written through nor waited on: the checkpoint is a new
// file of its own, and what the link pointed at is untouched.
TEST(CheckpointTest, APlantedTemporaryFileIsNotFollowed) {
  TempDir dir;
  Populate(dir / "db", 5, 2);
  const std::vector<Event> events = Events(dir / "db");
  const Built built = Replay(events, events.size());
  { std::ofstream(dir / "victim") << "keep me"; }
  // The names WriteCheckpoint tries: DIR/cp.tmp.PID.N, N counting up.
  const std::string prefix = dir / ("cp.tmp." + std::to_string(getpid()) + ".");
  for (int n = 0; n < 1000; ++n) {
    const std::string name = prefix + std::to_string(n);
    if (n % 2 == 0) {
      fs::create_symlink(dir / "victim", name);
    } else {
      ASSERT_EQ(::mkfifo(name.c_str(), 0600), 0);
    }
  }
  ASSERT_TRUE(WriteCheckpoint(dir / "cp", built.state, built.graph, JsonDigest{}).ok());
  ASSERT_TRUE(WriteCheckpoint(dir / "cp", built.state, built.graph, JsonDigest{}).ok());
  std::ifstream in(dir / "victim");
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "keep me");
  EXPECT_FALSE(fs::is_symlink(dir / "cp"));
  EXPECT_EQ(fs::status(dir / "cp").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(ReadCheckpoint(dir / "cp").ok());
}

TEST(CheckpointTest, SomethingElseInItsPlaceIsRefusedAtOnce) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  StatusOr<Checkpoint> cp = ReadCheckpoint(dir / "fifo");  // never blocks
  ASSERT_FALSE(cp.ok());
  EXPECT_NE(cp.status().message().find("not a regular file"), std::string::npos);
  fs::create_directories(dir / "folder");
  EXPECT_FALSE(ReadCheckpoint(dir / "folder").ok());
}

}  // namespace
}  // namespace cocreate
