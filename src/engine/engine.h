// Engine: the state, the rules and the store put together.
//
// Writes go through a single committer thread that takes every command queued
// since its last round (group commit): it decides each against the current
// state, applies the accepted events, appends them all to the store in one
// transaction (one fsync), and only then answers. A command is atomic: either
// all its events are committed or none. If the store refuses a round, the
// state is rebuilt from the store and every command of the round fails with
// 503, so nothing half-applied is ever visible.
//
// Each round runs inside the store's WriteRound, under a writer lock that
// spans every instance sharing the store: first the events other instances
// appended are applied, then the round is decided against that state. A
// shared store is also tailed (notification or a 50 ms poll), so writes made
// through another instance become visible here.
//
// The state lock is not held through the store's commit. The committer
// decides and applies a round under the exclusive lock, encodes its answers,
// releases the lock and only then waits for the commit: for an embedded store
// (not Shared()) a second thread, the syncer, commits the rounds while the
// committer already decides the next ones; for a shared store the round
// commits inside its WriteRoundWith, after the lock is released. Answers to
// commands go out once their round is durable.
//
// Reads take a shared lock on the state and encode answers with the per-noun
// codecs, applying the caller's visibility. The state they read may hold
// rounds still being committed, so an answer read from it must not leave
// before those rounds are durable: a request's reads run inside a ReadScope
// and its answer goes out through WhenDurable (the router does both), which
// holds it back until the store has committed everything the reads saw, and
// drops it (503) if the store refused one of those rounds.
//
// Thread safety: every public method may be called from any thread.
#ifndef COCREATE_ENGINE_ENGINE_H_
#define COCREATE_ENGINE_ENGINE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "graph/index.h"
#include "graph/questions.h"
#include "model/env.h"
#include "model/status.h"
#include "rules/commands.h"
#include "rules/decide.h"
#include "rules/state.h"
#include "store/store.h"

namespace cocreate {

// The answer to an accepted command: an HTTP-ready status and JSON body.
struct Outcome {
  int status = 200;  // 201 for a new object, 204 for a revoked token, 200 otherwise
  std::string body;
  std::string subject;  // the id of the object the command made or changed
};

struct EngineOptions {
  // The admin's bearer token. REQUIRED (non-empty).
  std::string admin_token;
  // Clock and randomness. Default: Env::Default().
  Env* env = nullptr;
  // Accept webhook targets on loopback and private addresses (tests).
  // Default: false (422 unsafe_target).
  bool webhooks_allow_private = false;
  // Where checkpoints of the state and the graph index go (engine/
  // checkpoint.h); a start loads the newest valid one and replays only the
  // events after it. Empty: none are read or written.
  std::string checkpoint_path;
  // A checkpoint is written in the background once this many events have
  // been applied since the last one, and on Stop. 0: only on Stop.
  int64_t checkpoint_every = 250000;
  // Runs in the child process that encodes a background checkpoint, before
  // it encodes (tests: to hold it). Only system calls are safe there.
  std::function<void()> checkpoint_child_hook;
};

struct EngineStats {
  uint64_t commands = 0, rejected = 0, events = 0, batches = 0, store_failures = 0;
  double commit_seconds = 0;
  // Checkpoints whose file was written, those that were not,
  // and the time writes waited for background checkpoints (in all, and the
  // last one's): the fork of the child that encodes it, or its encoding.
  uint64_t checkpoints_written = 0, checkpoint_failures = 0;
  double checkpoint_pause_seconds = 0, checkpoint_last_pause_seconds = 0;
  int64_t last_seq = 0;
  size_t objects = 0;
};

// Query parameters of a list: limit/offset plus equality filters on fields.
// GET /impact without its JSON (Engine::ImpactCounts).
struct ImpactSummary {
  int64_t affected = 0;   // visible nodes reached
  int64_t redacted = 0;   // hidden nodes reached
  int64_t counts[7] = {};  // visible nodes reached, by Noun
};

// A period of time a question is limited to, both ends included (Unix
// milliseconds; nullopt: open).
struct TimeWindow {
  std::optional<int64_t> from, to;
  bool Contains(int64_t t) const { return (!from || t >= *from) && (!to || t <= *to); }
};

struct ListQuery {
  int64_t limit = 100;
  int64_t offset = 0;
  std::map<std::string, std::string> filters;
};

// The equality filters a list of `noun` takes (besides limit and offset).
std::vector<std::string_view> ListFilters(Noun noun);

class Engine {
 public:
  // Replays the store into memory and starts the committer.
  // Errors: whatever the store or a corrupt log reports.
  static StatusOr<std::unique_ptr<Engine>> Open(std::unique_ptr<EventStore> store,
                                                EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The principal a bearer token stands for. Errors: unauthenticated (401)
  // for a token never issued, revoked or expired (checked on every call).
  StatusOr<Principal> Authenticate(std::string_view token) const;

  using Callback = std::function<void(StatusOr<Outcome>)>;
  // Queues `command`; `done` runs on the committer thread once it is durable
  // (or refused). Never blocks on I/O.
  void Submit(const Principal& principal, Command command, Callback done);
  // Submit and wait.
  StatusOr<Outcome> Execute(const Principal& principal, Command command);

  // Reads. Each returns a JSON body or: not_found (404) when the object is
  // absent or hidden from `p`; forbidden (403) where noted.
  StatusOr<std::string> Get(const Principal& p, Noun noun, const std::string& id) const;
  StatusOr<std::string> List(const Principal& p, Noun noun, const ListQuery& q) const;
  StatusOr<std::string> Versions(const Principal& p, const std::string& resource) const;
  // GET /offerings/{id}/versions: every version, oldest first.
  StatusOr<std::string> OfferingVersions(const Principal& p, const std::string& offering,
                                         const ListQuery& q) const;
  StatusOr<std::string> Roles(const Principal& p, const std::string& org) const;
  // Agreements (CONTRACT §6), to the two parties and the admin: the one in
  // force (not_found before the first activation), every version, one
  // proposal, a relationship's proposals.
  StatusOr<std::string> Agreement(const Principal& p, const std::string& rel) const;
  StatusOr<std::string> Agreements(const Principal& p, const std::string& rel,
                                   const ListQuery& q = {}) const;
  StatusOr<std::string> ProposalOf(const Principal& p, const std::string& id) const;
  StatusOr<std::string> Proposals(const Principal& p, const std::string& rel,
                                  const ListQuery& q) const;
  // Forbidden unless `p` is the admin or `org` itself. `window` selects
  // provisions by their time and value statements by their period's end
  // (their time when they have none).
  StatusOr<std::string> ValueOf(const Principal& p, const std::string& org,
                                const TimeWindow& window = {}) const;

  // Service relationship management (CONTRACT §6), to the two parties of a
  // relationship and the admin; not_found for a relationship, request or
  // person absent or hidden.
  // GET /relationships/{id}/value: value as each party states it.
  StatusOr<std::string> RelationshipValue(const Principal& p, const std::string& rel,
                                          const TimeWindow& window) const;
  // GET /relationships/{id}/measurements: ordered by the period's end,
  // filtered by `metric` (when not empty) and the period's end.
  StatusOr<std::string> Measurements(const Principal& p, const std::string& rel,
                                     const std::string& metric, const TimeWindow& window,
                                     const ListQuery& q) const;
  // GET /relationships/{id}/service-levels: per metric, the measurements in
  // `window` (by the period's end), how many met, attainment, the last one
  // and the breaches.
  StatusOr<std::string> ServiceLevels(const Principal& p, const std::string& rel,
                                      const TimeWindow& window) const;
  // GET /organizations/{id}/breaches: the breaches whose impact reached
  // `org`; forbidden unless `p` is the admin or `org` itself.
  StatusOr<std::string> Breaches(const Principal& p, const std::string& org,
                                 const TimeWindow& window, const ListQuery& q) const;
  // GET /relationships/{id}/requests (filter `status`) and GET /requests/{id}.
  StatusOr<std::string> Requests(const Principal& p, const std::string& rel,
                                 const ListQuery& q) const;
  StatusOr<std::string> RequestOf(const Principal& p, const std::string& id) const;
  // GET /requests: the requests of every relationship `p` is party to (all
  // to the admin), filtered by `status` and `as` (consumer or provider).
  StatusOr<std::string> AllRequests(const Principal& p, const ListQuery& q) const;
  // GET /organizations/{id}/people: all of them (with email) to the admin
  // and the organization itself; to others, those it may see, without email.
  StatusOr<std::string> People(const Principal& p, const std::string& org,
                               const ListQuery& q) const;
  StatusOr<std::string> PersonOf(const Principal& p, const std::string& id) const;
  // GET /relationships/{id}/roles.
  StatusOr<std::string> RoleAssignments(const Principal& p, const std::string& rel,
                                        const ListQuery& q) const;
  // `depth` < 0: unbounded. Errors also: invalid_start (422) for a consumer group.
  StatusOr<std::string> Impact(const Principal& p, const std::string& from, int depth,
                               bool explain) const;
  // The impact walk without its JSON: what it reached, by noun (indexed by
  // Noun), and how much of it is hidden from `p`.
  StatusOr<ImpactSummary> ImpactCounts(const Principal& p, const std::string& from,
                                       int depth) const;
  // `redacted`, when given, receives how many reached objects were hidden
  // from `p` (the PROV answer sends it as a header).
  // `version` 0: the latest; otherwise the lineage of that version as things
  // stood when it was made (CONTRACT §5, time); not_found beyond the latest.
  StatusOr<std::string> Lineage(const Principal& p, const std::string& resource,
                                bool prov, int64_t* redacted = nullptr,
                                int64_t version = 0) const;
  // Value chains from one organization to another, shortest first; with
  // `value`, each hop's value as GET /relationships/{id}/value states it.
  StatusOr<std::string> Chains(const Principal& p, const std::string& from, const std::string& to,
                               int limit, bool value = false) const;
  // Cycles among organizations through active relationships.
  std::string Cycles(const Principal& p) const;
  // The organization graph in one answer (for the map): every organization
  // with its role dates, and the relationships visible to `p` as edges;
  // the hidden ones are counted in `redacted`.
  std::string OrganizationGraph(const Principal& p) const;
  // The `top` resources, services, offerings and relationships whose failure
  // reaches the most organizations. Computed without the state lock (on a
  // snapshot of the index) and kept until the next write; the visibility of
  // the items is judged under the lock, as of the answer.
  std::string Concentration(const Principal& p, int top) const;
  // GET /tokens: every token to the admin, its own organization's to a
  // member, never a secret or digest. Errors: forbidden (403) for a viewer.
  StatusOr<std::string> Tokens(const Principal& p, const ListQuery& q) const;
  // Events with seq > after visible to `p`, at most `limit`, read from the
  // store. Errors: unavailable when the store cannot be read.
  StatusOr<std::string> Events(const Principal& p, int64_t after, int64_t limit) const;
  // The same events, one JSON object each, with their seqs (for SSE),
  // examining at most `max_examined` events (< 0: no bound). `examined_to`,
  // when given, receives the seq of the last event examined (`after` when
  // none): a cursor that moves there skips nothing, hidden events included.
  StatusOr<std::vector<std::pair<int64_t, std::string>>> EventsFrom(
      const Principal& p, int64_t after, int64_t limit, int64_t max_examined = -1,
      int64_t* examined_to = nullptr) const;

  // Webhooks (CONTRACT §8; engine/webhook_queries.cc). GET /webhooks: the
  // caller's organization's (all to the admin), in registration order;
  // GET /webhooks/{id}. Never a secret.
  std::string Webhooks(const Principal& p, const ListQuery& q) const;
  StatusOr<std::string> WebhookOf(const Principal& p, const std::string& id) const;
  // GET /webhooks/{id}/deliveries, seq ascending, optionally of one status.
  // Errors: not_found for a webhook absent, deleted or another's;
  // unavailable when the store cannot be read.
  StatusOr<std::string> Deliveries(const Principal& p, const std::string& id,
                                   std::optional<DeliveryStatus> status, const ListQuery& q);

  // For the webhook sender (http/webhook_sender.h). A live webhook's URL
  // and secret, or nullopt once it is deleted (or never was).
  struct WebhookTarget {
    std::string url;
    std::string secret;
  };
  std::optional<WebhookTarget> WebhookTargetOf(const std::string& id) const;
  // The store's delivery calls (EventStore::PendingHeads, UpdateDelivery,
  // DeleteDeliveries), for the sender, which never touches the store itself.
  StatusOr<std::vector<Delivery>> PendingDeliveries(int limit);
  Status RecordDelivery(const Delivery& d);
  Status DropDeliveries(const std::string& webhook);
  // `fn` runs on the committer after each round that wrote deliveries
  // (it must only wake a thread). Replaces the previous one; empty: none.
  void OnDeliveriesWritten(std::function<void()> fn);

  // What a request's reads saw of the state beyond the store's durable
  // log: the highest seq (0: nothing beyond it) and the state's generation
  // then (a store failure discards the rounds not yet durable and starts a
  // new generation).
  struct ReadMark {
    int64_t seq = 0;
    uint64_t generation = 0;
  };
  // While a ReadScope lives, the reads this thread makes record in `mark`
  // what they saw. Scopes nest; the innermost records.
  class ReadScope {
   public:
    explicit ReadScope(ReadMark* mark);
    ~ReadScope();
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;

   private:
    ReadMark* previous_;
  };
  // Calls send(true) once every round `mark` saw is durable (at once when
  // it saw none), or send(false) when the store refused one of them (the
  // answer made from it must not be sent). `send` runs on this thread or
  // on the thread that commits; it must not block.
  void WhenDurable(const ReadMark& mark, std::function<void(bool)> send);

  // The seq of the last durable event.
  int64_t last_seq() const { return last_seq_.load(); }
  // False while the state must be rebuilt from an unreachable store; reads
  // then answer 503 and writes retry the rebuild first.
  bool healthy() const { return healthy_flag_.load(); }

  // Calls fn(state) under the shared lock: for tests and tools that check
  // the projection directly, and the TMF views. What it reads is recorded
  // in the thread's ReadMark like any read.
  template <typename F>
  void Inspect(F&& fn) const {
    ReadLock lock(*this);
    fn(static_cast<const State&>(state_));
  }
  EngineStats Stats() const;
  std::string StoreName() const { return store_->Name(); }
  // The acknowledged log with seq > after, as stored, without private data:
  // for tests and tools (the state keeps no log; EventStore::Read).
  StatusOr<std::vector<Event>> Log(int64_t after = 0) const;

  // Stops the committer after the queued commands are answered.
  void Stop();

 private:
  Engine(std::unique_ptr<EventStore> store, EngineOptions options);
  Status Replay();
  StatusOr<NodeId> ImpactLocked(const Principal& p, const std::string& from, int depth,
                                bool explain, Reached& reached, std::vector<bool>& visible) const;
  // Applies one event to the state and the graph index.
  Status ApplyEvent(const Event& e);
  Status RebuildLocked();
  // Applies what other instances appended since our last seq.
  Status CatchUp();
  void TailLoop();
  void CommitLoop();
  struct Pending {
    Principal principal;
    Command command;
    Callback done;
  };
  void CommitRound(std::vector<Pending>& round);
  // What a decided round hands to the store and, once durable, to its
  // callers.
  struct DecidedRound {
    RoundWrites writes;
    std::vector<Callback> done;
    std::vector<StatusOr<Outcome>> answers;
    size_t rejected = 0;
    size_t events = 0;        // writes.events.size(), kept once they are handed on
    bool deliveries = false;  // !writes.deliveries.empty(), likewise
    std::chrono::steady_clock::time_point started;
  };
  // Decides and applies `round` against state_, and encodes its answers.
  // REQUIRES: state_mu_ held exclusively.
  DecidedRound DecideLocked(std::vector<Pending>& round);
  // A round refused before it was decided: only its callers.
  static DecidedRound Undecided(std::vector<Pending>& round);
  // Commits the rounds the committer decided (embedded stores), in order,
  // several at once when they queue up.
  void SyncLoop();
  // Waits until the syncer has committed every round handed to it.
  void WaitSynced();
  // After `seq` became durable: answers the rounds' callers and releases the
  // reads waiting for it.
  void Durable(int64_t seq, std::vector<DecidedRound>& rounds);
  // After the store refused `rounds` (and the state was rebuilt): fails
  // them with `st` and drops the answers of reads that saw them (those of
  // an older generation). Called without state_mu_.
  void Refused(const Status& st, std::vector<DecidedRound>& rounds);
  // Starts a new generation and rebuilds the state from the store (after a
  // refused commit). REQUIRES: state_mu_ held exclusively.
  void DiscardLocked();
  // Records what a read under the state lock sees. REQUIRES: state_mu_ held.
  void NoteRead() const;
  // A shared lock on the state for a read, recorded in the thread's ReadMark.
  class ReadLock {
   public:
    explicit ReadLock(const Engine& e) : lock_(e.state_mu_) { e.NoteRead(); }
    void unlock() { lock_.unlock(); }

   private:
    std::shared_lock<std::shared_mutex> lock_;
  };
  // Checkpoints. In the background (!wait), a child process encodes and
  // writes it (ForkedCheckpoint): writes wait only for the fork. Where that
  // cannot be, and with `wait`, the state is encoded under the shared lock
  // (writes wait; reads go on) and the file written on checkpoint_writer_,
  // or at once with `wait`. Called by the committer, or after it stopped.
  void Checkpoint(bool wait);
  // The background checkpoint in a child, on checkpoint_writer_: sets
  // `forked` once the committer may go on (false: no child; the committer
  // encodes it itself).
  void CheckpointInChild(std::promise<bool>& forked);
  // The seq and the fingerprint of the checkpoint to write now; false when
  // there is none to write. REQUIRES: state_mu_ held.
  bool CheckpointTarget(int64_t& seq, JsonDigest& last) const;
  // Counts how long writes waited for a checkpoint to start.
  void NoteCheckpointPause(double seconds);
  // Counts and logs a checkpoint's write. When it failed, puts
  // checkpoint_seq_ back to `previous`, so that a later check (after a
  // delay that doubles with each failure in a row, from 10 s to 10 min) or
  // the stop tries again. `stopping`: ended by the stop, not a failure.
  // `at_stop`: the stop's own write, which is not tried again.
  void CheckpointWritten(const Status& st, int64_t seq, int64_t previous, size_t bytes,
                         double encode_ms, std::chrono::steady_clock::time_point started,
                         bool in_child, bool stopping = false, bool at_stop = false);
  // Whether the delay after failed background checkpoints has passed.
  bool CheckpointRetryDue() const;
  // Loads the checkpoint into `state` and `graph` when one matches the
  // store; false (the caller replays everything) otherwise.
  bool LoadCheckpoint(State& state, GraphIndex& graph);
  // The answer to a command: the object, or (version > 0) that version of
  // a resource.
  std::string EncodeOutcome(const Principal& p, Noun noun, const std::string& id,
                            int64_t version = 0) const;
  // A proposal's JSON. REQUIRES: state_mu_ held; it exists.
  std::string EncodeProposal(const std::string& id) const;
  // The answer to a decision that shows a record rather than a noun
  // (proposal, measurement, request, value statement, person, role).
  // REQUIRES: state_mu_ held.
  std::string EncodeRecord(const Principal& p, const Decision& d) const;
  // A provision's answer, when it is the same text as the data of its event
  // among events[begin, end): that text, kept in the event for the store
  // too. Empty otherwise.
  std::string EncodeProvisionOnce(const Principal& p, const Decision& d,
                                  std::vector<Event>& events, size_t begin, size_t end) const;
  // {relationship, provider_stated, consumer_stated}. REQUIRES: state_mu_ held.
  void WriteRelationshipValue(const std::string& rel, const TimeWindow& window,
                              JsonWriter& w) const;
  // Fills a service_level.breached event's `consumers_reached` from the
  // graph index, and keeps who was reached in its private data.
  // REQUIRES: state_mu_ held.
  void CountBreachReach(Event& e) const;
  // True when an agreement's `end` has passed (CONTRACT §9.17).
  bool ExpiryDue() const;
  // A token as GET /tokens lists it. REQUIRES: state_mu_ held; it exists.
  std::string EncodeToken(const std::string& id) const;
  // A webhook as GET /webhooks lists it. REQUIRES: state_mu_ held; it exists.
  std::string EncodeWebhook(const std::string& id) const;
  // Event `e` as GET /events shows it to `p`, judged against the state as
  // it is now. REQUIRES: state_mu_ held.
  std::string EncodeEventFor(const Principal& p, const Event& e) const;
  // Appends to `out` a pending delivery of event `e` for each live
  // webhook that wants it and whose organization may see it, judged now:
  // the committer calls it just after applying the command that recorded
  // the event, so the state is the state as of that seq (and the rest of
  // its atomic command), never a later one. REQUIRES: state_mu_ held.
  // (The body is made from e.data; its private data never goes out.)
  void AddDeliveries(const Event& e, std::vector<Delivery>& out) const;

  std::unique_ptr<EventStore> store_;
  EngineOptions options_;

  mutable std::shared_mutex state_mu_;
  State state_;  // GUARDED_BY(state_mu_)
  GraphIndex graph_;  // GUARDED_BY(state_mu_): the graph of state_
  std::atomic<int64_t> last_seq_{0};  // the last durable seq
  // Bumped when a store failure discards the rounds not yet durable.
  std::atomic<uint64_t> generation_{0};  // written with state_mu_ held exclusively

  // Reads waiting for the rounds they saw to be durable.
  struct Waiter {
    ReadMark mark;
    std::function<void(bool)> send;
  };
  std::mutex durable_mu_;
  std::vector<Waiter> waiters_;  // GUARDED_BY(durable_mu_)
  // Takes out the waiters for which `leave` is true. REQUIRES: durable_mu_.
  std::vector<Waiter> TakeWaitersLocked(const std::function<bool(const Waiter&)>& leave);

  // The syncer (embedded stores): rounds decided and applied, waiting to be
  // committed, oldest first.
  const bool pipelined_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<DecidedRound> sync_queue_;  // GUARDED_BY(sync_mu_)
  size_t queued_commands_ = 0;            // GUARDED_BY(sync_mu_): in sync_queue_
  bool syncing_ = false;                  // GUARDED_BY(sync_mu_): a commit in flight
  bool sync_stopping_ = false;            // GUARDED_BY(sync_mu_)
  std::thread syncer_;
  // A shared store's round decided and not yet committed (the tailer then
  // waits: what it would mark durable may still be refused).
  std::atomic<bool> round_in_flight_{false};
  // Set by a refused commit, cleared by the next that succeeds: meanwhile
  // rounds commit one at a time with the state lock held (CommitRound).
  std::atomic<bool> careful_{false};

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Pending> queue_;   // GUARDED_BY(queue_mu_)
  bool stopping_ = false;        // GUARDED_BY(queue_mu_)
  std::thread committer_;
  std::thread tailer_;  // only for shared stores
  std::thread checkpoint_writer_;  // the last checkpoint's file write, if any
  std::atomic<bool> checkpoint_busy_{false};    // checkpoint_writer_ is still at work
  // After failed background checkpoints: not before this (steady clock, ns),
  // and the delay that follows the next failure.
  std::atomic<int64_t> checkpoint_retry_at_ns_{0};
  std::chrono::seconds checkpoint_backoff_{10};  // written by one checkpoint at a time
  std::atomic<bool> checkpoint_cancel_{false};  // Stop: end a child's write
  std::atomic<bool> stop_checkpoint_tried_{false};  // Stop wrote (or tried) its checkpoint
  std::atomic<int64_t> checkpoint_seq_{0};  // the seq of the last checkpoint read or written
  std::atomic<size_t> checkpoint_bytes_{0};  // its size (the next one's buffer)
  std::atomic<bool> tail_stop_{false};
  bool healthy_ = true;  // GUARDED_BY(state_mu_): false when the state awaits a rebuild
  std::atomic<bool> healthy_flag_{true};  // healthy_, readable without the lock

  // A bearer token already authenticated: whom it acts for and until when.
  struct CachedToken {
    Principal principal;
    std::string id;
    int64_t expires_ms = 0;  // Unix milliseconds; 0: never
  };
  // Lock order: state_mu_ before token_mu_. An entry is added only under the
  // state lock and dropped when the state applies its `token.revoked`, so the
  // cache never outlives a revocation.
  mutable std::mutex token_mu_;
  // Bearer tokens already authenticated → their record.
  mutable std::unordered_map<std::string, CachedToken> token_cache_;  // GUARDED_BY(token_mu_)

  std::mutex listener_mu_;
  std::function<void()> deliveries_listener_;  // GUARDED_BY(listener_mu_)

  mutable std::mutex stats_mu_;
  EngineStats stats_;  // GUARDED_BY(stats_mu_)

  // GET /concentration before visibility, as of state seq concentration_seq_
  // (-1: none yet). Held while one is computed, so callers at the same seq
  // wait for it rather than compute it again. Lock order: concentration_mu_
  // before state_mu_.
  mutable std::mutex concentration_mu_;
  mutable std::shared_ptr<const ConcentrationResult>
      concentration_;                       // GUARDED_BY(concentration_mu_)
  mutable int64_t concentration_seq_ = -1;  // GUARDED_BY(concentration_mu_)
  mutable uint64_t concentration_generation_ = 0;  // GUARDED_BY(concentration_mu_)
};

}  // namespace cocreate

#endif  // COCREATE_ENGINE_ENGINE_H_
