#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "engine/checkpoint.h"
#include "model/codec.h"
#include "model/log.h"
#include "rules/decide.h"
#include "rules/visibility.h"
#include "engine/webhooks.h"

namespace cocreate {

Engine::Engine(std::unique_ptr<EventStore> store, EngineOptions options)
    : store_(std::move(store)), options_(std::move(options)), pipelined_(!store_->Shared()) {
  if (options_.env == nullptr) options_.env = Env::Default();
}

StatusOr<std::unique_ptr<Engine>> Engine::Open(std::unique_ptr<EventStore> store,
                                               EngineOptions options) {
  if (options.admin_token.empty()) return Internal("the engine needs an admin token");
  std::unique_ptr<Engine> engine(new Engine(std::move(store), std::move(options)));
  CC_RETURN_IF_ERROR(engine->Replay());
  engine->committer_ = std::thread([e = engine.get()] { e->CommitLoop(); });
  if (engine->pipelined_) engine->syncer_ = std::thread([e = engine.get()] { e->SyncLoop(); });
  if (engine->store_->Shared()) {
    engine->tailer_ = std::thread([e = engine.get()] { e->TailLoop(); });
  }
  return engine;
}

Engine::~Engine() {
  Stop();
  if (checkpoint_writer_.joinable()) checkpoint_writer_.join();
}

void Engine::Stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  tail_stop_ = true;
  if (tailer_.joinable()) tailer_.join();
  // Nothing changes the state any more: the next start loads this one
  // (unless the last background write already holds it and succeeded).
  // A child still writing an older one is stopped: this one replaces it.
  checkpoint_cancel_ = true;
  if (checkpoint_writer_.joinable()) checkpoint_writer_.join();
  // Once, however often the stop is called (the server's, then the
  // engine's own at its end): a write that failed is not tried again.
  if (!stop_checkpoint_tried_.exchange(true)) Checkpoint(true);
}

bool Engine::LoadCheckpoint(State& state, GraphIndex& graph) {
  auto started = std::chrono::steady_clock::now();
  if (int removed = RemoveStaleCheckpointFiles(options_.checkpoint_path); removed > 0) {
    LogLine("removed the temporary files of interrupted checkpoint writes")
        .Add("files", removed)
        .Info();
  }
  StatusOr<cocreate::Checkpoint> cp = ReadCheckpoint(options_.checkpoint_path);
  if (!cp.ok()) {
    if (cp.status().code() != Code::kNotFound) {
      LogLine("checkpoint not used; replaying the whole log")
          .Add("detail", cp.status().message())
          .Warn();
    }
    return false;
  }
  if (cp->seq > 0) {
    // A checkpoint of another store, or of events this store no longer
    // holds (a restored backup), must not be used.
    StatusOr<std::vector<Event>> at = store_->Read(cp->seq - 1, cp->seq, 1);
    if (!at.ok() || at->size() != 1 || !(EventFingerprint(at->front()) == cp->last)) {
      LogLine("checkpoint not used; replaying the whole log")
          .Add("detail", "its event " + std::to_string(cp->seq) + " is not the store's")
          .Warn();
      return false;
    }
  }
  state = std::move(cp->state);
  graph = std::move(cp->graph);
  checkpoint_seq_ = cp->seq;
  checkpoint_bytes_ = cp->bytes;
  LogLine("checkpoint loaded")
      .Add("seq", cp->seq)
      .Add("ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           started).count())
      .Info();
  return true;
}

bool Engine::CheckpointTarget(int64_t& seq, JsonDigest& last) const {
  seq = state_.last_seq();
  if (!healthy_ || seq == checkpoint_seq_.load()) return false;
  last = JsonDigest{};
  if (seq == 0) return true;
  StatusOr<std::vector<Event>> at = store_->Read(seq - 1, seq, 1);
  if (!at.ok() || at->size() != 1) {
    LogLine("checkpoint skipped: the store did not answer")
        .Add("seq", seq)
        .Add("detail", at.ok() ? "event missing" : at.status().message())
        .Warn();
    return false;
  }
  last = EventFingerprint(at->front());
  return true;
}

void Engine::NoteCheckpointPause(double seconds) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.checkpoint_pause_seconds += seconds;
  stats_.checkpoint_last_pause_seconds = seconds;
}

bool Engine::CheckpointRetryDue() const {
  return std::chrono::steady_clock::now().time_since_epoch().count() >=
         checkpoint_retry_at_ns_.load();
}

void Engine::CheckpointWritten(const Status& st, int64_t seq, int64_t previous, size_t bytes,
                               double encode_ms, std::chrono::steady_clock::time_point started,
                               bool in_child, bool stopping, bool at_stop) {
  std::chrono::seconds retry_in{0};
  if (!st.ok()) {
    int64_t expected = seq;
    checkpoint_seq_.compare_exchange_strong(expected, previous);
    if (at_stop) {
      std::lock_guard<std::mutex> lock(stats_mu_);
      stats_.checkpoint_failures++;
    } else if (!stopping) {
      // A full disk or a folder in the file's place fails again at once:
      // wait before the next try instead of encoding the state every round.
      retry_in = checkpoint_backoff_;
      checkpoint_backoff_ = std::min(checkpoint_backoff_ * 2, std::chrono::seconds(600));
      checkpoint_retry_at_ns_ =
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::steady_clock::now().time_since_epoch() + retry_in)
              .count();
      std::lock_guard<std::mutex> lock(stats_mu_);
      stats_.checkpoint_failures++;
    }
  } else {
    checkpoint_bytes_ = bytes;
    checkpoint_backoff_ = std::chrono::seconds(10);
    checkpoint_retry_at_ns_ = 0;
    // What a writer killed just before this server started (and still
    // holding its file locked then) left behind goes now.
    if (int removed = RemoveStaleCheckpointFiles(options_.checkpoint_path); removed > 0) {
      LogLine("removed the temporary files of checkpoint writes that did not finish")
          .Add("files", removed)
          .Info();
    }
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.checkpoints_written++;
  }
  LogLine line(st.ok() ? "checkpoint written" : "checkpoint not written");
  line.Add("seq", seq).Add("bytes", static_cast<int64_t>(bytes));
  line.Add("encode_ms", encode_ms).Add("encoded_by", in_child ? "child" : "server");
  line.Add("ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           started).count());
  if (st.ok()) {
    line.Info();
  } else if (stopping) {
    line.Add("detail", st.message()).Info();
  } else if (at_stop) {
    // Not tried again: the next start replays the events since the last
    // checkpoint written.
    line.Add("detail", st.message()).Warn();
  } else {
    line.Add("detail", st.message()).Add("retry_in_s", static_cast<int64_t>(retry_in.count()));
    line.Warn();
  }
}

void Engine::CheckpointInChild(std::promise<bool>& forked) {
  const auto started = std::chrono::steady_clock::now();
  int64_t seq = 0;
  std::optional<ForkedCheckpoint> child;
  {
    std::shared_lock lock(state_mu_);
    JsonDigest last;
    if (!CheckpointTarget(seq, last)) {
      forked.set_value(true);  // nothing to write: nothing for the committer to do either
      return;
    }
    StatusOr<ForkedCheckpoint> started_child =
        ForkedCheckpoint::Start(state_, graph_, last, options_.checkpoint_path,
                                options_.checkpoint_child_hook);
    if (!started_child.ok()) {
      LogLine("checkpoint encoded in the server: no child process")
          .Add("detail", started_child.status().message())
          .Warn();
      forked.set_value(false);
      return;
    }
    child.emplace(std::move(*started_child));
  }
  // Taken as done now, so the committer does not start another.
  const int64_t previous = checkpoint_seq_.exchange(seq);
  const double pause_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  NoteCheckpointPause(pause_s);
  forked.set_value(true);  // `forked` is gone after this
  // Generous: a 3.7 GB checkpoint took 50 s to encode and write here.
  const auto timeout = std::chrono::minutes(10) +
                       std::chrono::seconds(checkpoint_bytes_.load() / (10 << 20));
  CheckpointWrite w = child->Wait(std::chrono::duration_cast<std::chrono::milliseconds>(timeout),
                                  [this] { return checkpoint_cancel_.load(); });
  CheckpointWritten(w.status, seq, previous, w.bytes, w.encode_ms, started, true,
                    w.stopped || checkpoint_cancel_.load());
}

void Engine::Checkpoint(bool wait) {
  if (options_.checkpoint_path.empty()) return;
  if (checkpoint_writer_.joinable()) checkpoint_writer_.join();
  if (!wait && CanCheckpointInChild()) {
    std::promise<bool> forked;
    std::future<bool> done = forked.get_future();
    checkpoint_busy_ = true;
    checkpoint_writer_ = std::thread([this, &forked] {
      NameThisThread("cc-checkpoint");
      CheckpointInChild(forked);
      checkpoint_busy_ = false;
    });
    if (done.get()) return;
    checkpoint_writer_.join();
  }
  const auto started = std::chrono::steady_clock::now();
  int64_t seq = 0;
  if (wait) {
    // At the stop nothing changes the state any more: encoded straight
    // into the file, never whole in memory.
    std::shared_lock lock(state_mu_);
    JsonDigest last;
    if (!CheckpointTarget(seq, last)) return;
    const int64_t previous = checkpoint_seq_.exchange(seq);
    size_t bytes = 0;
    Status st = WriteCheckpoint(options_.checkpoint_path, state_, graph_, last, &bytes);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    CheckpointWritten(st, seq, previous, bytes, ms, started, false, false, true);
    return;
  }
  // In the server, in the background: encoded under the lock, written
  // after it (writes wait only for the encoding).
  std::string bytes;
  {
    std::shared_lock lock(state_mu_);
    JsonDigest last;
    if (!CheckpointTarget(seq, last)) return;
    bytes = EncodeCheckpoint(state_, graph_, last, checkpoint_bytes_.load());
  }
  // Taken as done now, so the committer does not start another; put back
  // if the write fails, so the next check (or the stop) tries again.
  const int64_t previous = checkpoint_seq_.exchange(seq);
  const double encode_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count();
  NoteCheckpointPause(encode_ms / 1000);
  checkpoint_busy_ = true;
  checkpoint_writer_ = std::thread([this, path = options_.checkpoint_path,
                                    bytes = std::move(bytes), seq, previous, encode_ms, started] {
    NameThisThread("cc-checkpoint");
    CheckpointWritten(WriteCheckpoint(path, bytes), seq, previous, bytes.size(), encode_ms,
                      started, false);
    checkpoint_busy_ = false;
  });
}

// REQUIRES: state_mu_ held exclusively, or no other thread running.
Status Engine::Replay() {
  State fresh;
  GraphIndex graph;
  // From a checkpoint, the tail goes into the index's overlay (folded in the
  // background later); from nothing, the whole log is folded at once.
  const bool from_checkpoint =
      !options_.checkpoint_path.empty() && LoadCheckpoint(fresh, graph);
  if (!from_checkpoint) graph.BeginBulk();
  CC_RETURN_IF_ERROR(store_->Scan(fresh.last_seq(), [&](Event e) {
    if (Status st = fresh.Apply(e); !st.ok()) {
      return Status(st.code(), st.reason(),
                    "event seq " + std::to_string(e.seq) + " (" +
                        std::string(EventTypeName(e.type)) +
                        ") cannot be applied: " + st.message());
    }
    graph.Apply(e, fresh);
    return Status::Ok();
  }));
  if (!from_checkpoint) graph.EndBulk();
  state_ = std::move(fresh);
  {
    // The cache may hold tokens the rebuilt state no longer knows.
    std::lock_guard<std::mutex> lock(token_mu_);
    token_cache_.clear();
  }
  graph_.FinishFold(true);
  graph_ = std::move(graph);
  graph_.MaybeStartFold();
  last_seq_ = state_.last_seq();
  return Status::Ok();
}

Status Engine::ApplyEvent(const Event& e) {
  CC_RETURN_IF_ERROR(state_.Apply(e));
  graph_.Apply(e, state_);
  if (e.type == EventType::kTokenRevoked) {
    // From this event on, the token answers 401 (CONTRACT §5).
    const std::string id = StrOr(e.data, "id");
    std::lock_guard<std::mutex> lock(token_mu_);
    std::erase_if(token_cache_, [&](const auto& entry) { return entry.second.id == id; });
  } else if (e.type == EventType::kOrganizationClosed) {
    // A closed organization's tokens stop at once (CONTRACT §5).
    std::lock_guard<std::mutex> lock(token_mu_);
    std::erase_if(token_cache_, [&](const auto& entry) {
      return entry.second.principal.organization == e.subject;
    });
  }
  return Status::Ok();
}

StatusOr<Principal> Engine::Authenticate(std::string_view token) const {
  auto unauthenticated = [] {
    return Status(Code::kUnauthenticated, "unauthenticated",
                  "send a valid token as 'Authorization: Bearer TOKEN'");
  };
  if (token.empty()) return unauthenticated();
  const std::string& admin = options_.admin_token;
  if (token.size() == admin.size()) {
    unsigned char diff = 0;  // constant-time compare
    for (size_t i = 0; i < admin.size(); ++i) diff |= token[i] ^ admin[i];
    if (diff == 0) return Principal::Admin();
  }
  auto valid = [&](const CachedToken& t) -> StatusOr<Principal> {
    if (t.expires_ms != 0) {
      std::optional<int64_t> now = UnixMillis(options_.env->Now());
      if (!now || *now >= t.expires_ms) return unauthenticated();
    }
    return t.principal;
  };
  std::string key(token);
  {
    // The cache spares the digest and, above all, the state lock the
    // committer holds exclusively while it commits. Revocation drops entries
    // (ApplyEvent); expiry is checked here on every call.
    std::lock_guard<std::mutex> lock(token_mu_);
    auto it = token_cache_.find(key);
    if (it != token_cache_.end()) return valid(it->second);
  }
  std::string digest = Sha256Hex(key);
  // Only a refusal can rest on a round still being committed (a revocation,
  // a closed organization): a token's secret is given out once the token is
  // durable. So only a refusal is recorded in the request's ReadMark; a
  // write authenticated here is not held back by a round it never saw.
  std::shared_lock state_lock(state_mu_);
  const TokenRecord* record = state_.FindToken(digest);
  const Organization* org =
      record == nullptr ? nullptr : state_.FindOrganization(record->principal.organization);
  if (record == nullptr || org == nullptr || org->closed) {
    NoteRead();
    return unauthenticated();
  }
  CachedToken found{record->principal, record->id, 0};
  if (!record->expires_at.empty()) {
    std::optional<int64_t> expires = UnixMillis(record->expires_at);
    found.expires_ms = expires ? *expires : 1;  // unreadable: treat as expired
  }
  // Added under the state lock, so a revocation applied after this look
  // finds the entry and drops it.
  std::lock_guard<std::mutex> lock(token_mu_);
  token_cache_.emplace(std::move(key), found);
  return valid(found);
}

void Engine::Submit(const Principal& principal, Command command, Callback done) {
  if (auto* token = std::get_if<IssueToken>(&command.body)) {
    // The secret is made here and only its digest goes into the log.
    std::string secret = "cc_" + options_.env->RandomHex(24);
    token->secret_digest = Sha256Hex(secret);
    done = [secret, inner = std::move(done)](StatusOr<Outcome> r) {
      if (r.ok()) {
        // The stored answer names the organization; add the secret once.
        Json body = Json::Parse(r->body).value();
        body.Set("token", Json(secret));
        r->body = body.Dump();
      }
      inner(std::move(r));
    };
  }
  if (auto* webhook = std::get_if<RegisterWebhook>(&command.body)) {
    // Resolved here, on the caller's thread, never on the committer; the
    // sender checks the addresses again at each delivery (DNS rebinding).
    webhook->target = options_.webhooks_allow_private ? TargetCheck::kPublic
                                                      : CheckWebhookTarget(webhook->url);
  }
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) {
      done(Status(Code::kUnavailable, "shutting_down", "the server is shutting down; retry"));
      return;
    }
    queue_.push_back(Pending{principal, std::move(command), std::move(done)});
  }
  queue_cv_.notify_one();
}

StatusOr<Outcome> Engine::Execute(const Principal& principal, Command command) {
  std::promise<StatusOr<Outcome>> promise;
  auto future = promise.get_future();
  Submit(principal, std::move(command),
         [&promise](StatusOr<Outcome> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void Engine::CommitLoop() {
  NameThisThread("cc-commit");
  auto last_expiry_check = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<Pending> round;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      // Woken by a command, or after a second to let time do its part.
      queue_cv_.wait_for(lock, std::chrono::seconds(1),
                         [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;  // stopping and drained
      round.swap(queue_);
    }
    // Once a second, busy or not: an agreement whose end has passed
    // terminates or renews (CONTRACT §9.17), as a round of its own.
    auto now = std::chrono::steady_clock::now();
    if (now - last_expiry_check >= std::chrono::seconds(1)) {
      last_expiry_check = now;
      if (ExpiryDue()) {
        std::vector<Pending> expiry;
        expiry.push_back(Pending{Principal::System(),
                                 Command{ExpireAgreements{}, Json::MakeObject()},
                                 [](StatusOr<Outcome>) {}});
        CommitRound(expiry);
      }
    }
    if (!round.empty()) CommitRound(round);
    // Not while the last one is still being written: the committer never
    // waits for a checkpoint's file.
    if (options_.checkpoint_every > 0 && !checkpoint_busy_.load() &&
        last_seq_.load() - checkpoint_seq_.load() >= options_.checkpoint_every &&
        CheckpointRetryDue()) {
      WaitSynced();  // a checkpoint holds durable rounds only
      Checkpoint(false);
    }
  }
}

namespace {

// The ReadMark of the request this thread is serving (Engine::ReadScope).
thread_local Engine::ReadMark* t_read_mark = nullptr;

// At most this many decided commands wait for the syncer (besides the
// commit in flight): the committer stops deciding beyond them, so the state
// never runs far ahead of the store.
constexpr size_t kMaxQueuedCommands = 4096;

// The generation of a ReadMark that saw refused rounds: never current.
constexpr uint64_t kRefusedGeneration = ~uint64_t{0};

}  // namespace

Engine::ReadScope::ReadScope(ReadMark* mark) : previous_(t_read_mark) { t_read_mark = mark; }

Engine::ReadScope::~ReadScope() { t_read_mark = previous_; }

void Engine::NoteRead() const {
  ReadMark* mark = t_read_mark;
  if (mark == nullptr) return;
  const int64_t seq = state_.last_seq();
  if (seq <= last_seq_.load()) return;  // everything this read sees is durable
  // Beyond the durable log while unhealthy: rounds the store refused that
  // a failed rebuild left in the state. Nothing read from them goes out.
  const uint64_t generation = healthy_ ? generation_.load() : kRefusedGeneration;
  mark->generation = mark->seq == 0 || mark->generation == generation ? generation
                                                                       : kRefusedGeneration;
  mark->seq = std::max(mark->seq, seq);
}

void Engine::WhenDurable(const ReadMark& mark, std::function<void(bool)> send) {
  if (mark.seq == 0) return send(true);
  bool ok = false;
  {
    std::lock_guard<std::mutex> lock(durable_mu_);
    ok = generation_.load() == mark.generation;
    if (ok && last_seq_.load() < mark.seq) {
      waiters_.push_back(Waiter{mark, std::move(send)});
      return;
    }
  }
  send(ok);
}

Engine::DecidedRound Engine::DecideLocked(std::vector<Pending>& round) {
  DecidedRound out;
  out.started = std::chrono::steady_clock::now();
  std::vector<StatusOr<Decision>> decisions;
  decisions.reserve(round.size());
  // Where each command's events start in out.writes.events.
  std::vector<size_t> first_event;
  first_event.reserve(round.size() + 1);
  for (Pending& pending : round) {
    first_event.push_back(out.writes.events.size());
    std::string now = options_.env->Now();
    StatusOr<Decision> d = Decide(state_, pending.principal, pending.command, now);
    if (d.ok()) {
      for (Event& e : d->events) {
        if (e.type == EventType::kServiceLevelBreached) CountBreachReach(e);
      }
      Status applied;
      auto apply = [&](std::vector<Event>& events, size_t from) {
        for (size_t i = from; i < events.size() && applied.ok(); ++i) {
          events[i].seq = state_.last_seq() + 1;
          applied = ApplyEvent(events[i]);
          if (applied.ok()) out.writes.events.push_back(events[i]);
        }
      };
      apply(d->events, 0);
      // What the change implies (degraded services) is part of it.
      if (applied.ok()) {
        size_t from = d->events.size();
        for (Event& e : Consequences(state_, d->events)) d->events.push_back(std::move(e));
        apply(d->events, from);
      }
      if (!applied.ok()) d = applied;  // a rules bug; the store refuses nothing of it
      // Webhook deliveries are judged now, against the state as of this
      // command (CONTRACT §9.22): the event's seq, with the rest of its own
      // command applied (a provision's created resources exist), never a
      // later state.
      if (applied.ok()) {
        for (const Event& e : d->events) AddDeliveries(e, out.writes.deliveries);
      }
    }
    decisions.push_back(std::move(d));
  }
  first_event.push_back(out.writes.events.size());
  // The answers are encoded now, as of this round: by the time it is durable
  // the state may hold later rounds.
  for (size_t i = 0; i < round.size(); ++i) {
    const StatusOr<Decision>& d = decisions[i];
    if (!d.ok()) {
      out.answers.push_back(d.status());
      out.rejected++;
      continue;
    }
    Outcome o;
    o.status = d->created ? 201 : 200;
    o.subject = d->subject;
    if (std::holds_alternative<RevokeToken>(round[i].command.body) ||
        d->shows == Decision::Shows::kNothing) {
      o.status = 204;
    } else if (std::holds_alternative<IssueToken>(round[i].command.body)) {
      o.body = EncodeToken(d->subject);  // Submit adds the secret
    } else if (d->shows == Decision::Shows::kNoun) {
      o.body = EncodeProvisionOnce(round[i].principal, *d, out.writes.events, first_event[i],
                                   first_event[i + 1]);
      if (o.body.empty()) {
        o.body = EncodeOutcome(round[i].principal, d->noun, d->subject, d->version);
      }
    } else {
      o.body = EncodeRecord(round[i].principal, *d);
    }
    out.answers.push_back(std::move(o));
  }
  for (Pending& pending : round) out.done.push_back(std::move(pending.done));
  out.events = out.writes.events.size();
  out.deliveries = !out.writes.deliveries.empty();
  // Swap in a folded graph base if one is ready; start one if the overlay
  // has grown. Readers never wait for the build itself.
  graph_.FinishFold(false);
  graph_.MaybeStartFold();
  return out;
}

std::string Engine::EncodeProvisionOnce(const Principal& p, const Decision& d,
                                        std::vector<Event>& events, size_t begin,
                                        size_t end) const {
  // A provision never changes once made, and its provider (or the admin)
  // sees it unredacted: the answer is then the event's data, byte for byte.
  if (d.noun != Noun::kProvision || Redacts(state_, p, Noun::kProvision, d.subject)) return {};
  for (size_t i = begin; i < end; ++i) {
    Event& e = events[i];
    if (e.provision == nullptr || e.subject != d.subject) continue;
    e.provision_text = EventDataText(e);
    return e.provision_text;
  }
  return {};
}

void Engine::CommitRound(std::vector<Pending>& round) {
  // After a refusal, until a commit succeeds again, rounds commit with the
  // state lock held, as one step: while the store keeps refusing (a full
  // disk), reads then see only durable rounds and still answer, rather
  // than each seeing a round about to be refused and answering 503.
  const bool careful = careful_.load();
  if (careful) WaitSynced();
  if (pipelined_ && !careful) {
    {
      // Room in the syncer's queue first, without the state lock.
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [this] { return queued_commands_ < kMaxQueuedCommands; });
    }
    std::unique_lock lock(state_mu_);
    Status st = healthy_ ? Status::Ok() : RebuildLocked();
    if (st.ok()) {
      DecidedRound decided = DecideLocked(round);
      // Queued under the state lock: a refused commit rebuilds the state
      // under it too, and then fails every round queued, so no round decided
      // on a discarded state is ever committed.
      {
        std::lock_guard<std::mutex> sync_lock(sync_mu_);
        queued_commands_ += decided.done.size();
        sync_queue_.push_back(std::move(decided));
      }
      sync_cv_.notify_all();
      return;
    }
    lock.unlock();
    std::vector<DecidedRound> failed;
    failed.push_back(Undecided(round));
    Refused(st, failed);
    return;
  }
  // A shared store (or a careful round): the round is decided inside the
  // store's round (under its writer lock, after the events other instances
  // appended), and the state lock is released before the commit unless
  // careful.
  std::vector<DecidedRound> decided(1);
  std::unique_lock lock(state_mu_);
  Status st = healthy_ ? Status::Ok() : RebuildLocked();
  int64_t last = 0;
  bool was_decided = false;
  if (st.ok()) {
    st = store_->WriteRoundWith(
        state_.last_seq(), [this](Event e) { return ApplyEvent(e); },
        [&]() {
          decided[0] = DecideLocked(round);
          was_decided = true;
          last = state_.last_seq();
          round_in_flight_ = true;
          if (!careful) lock.unlock();
          return std::move(decided[0].writes);
        });
  }
  if (st.ok()) {
    if (lock.owns_lock()) {
      // Durable before the lock goes: a read that follows sees no round
      // beyond the durable log.
      {
        std::lock_guard<std::mutex> durable_lock(durable_mu_);
        if (last > last_seq_.load()) last_seq_ = last;
      }
      lock.unlock();
    }
    careful_ = false;
    Durable(last, decided);
    round_in_flight_ = false;
    return;
  }
  if (!lock.owns_lock()) lock.lock();
  if (!was_decided) decided[0] = Undecided(round);
  DiscardLocked();
  round_in_flight_ = false;
  lock.unlock();
  Refused(st, decided);
}

Engine::DecidedRound Engine::Undecided(std::vector<Pending>& round) {
  DecidedRound out;
  for (Pending& pending : round) out.done.push_back(std::move(pending.done));
  return out;
}

std::vector<Engine::Waiter> Engine::TakeWaitersLocked(
    const std::function<bool(const Waiter&)>& leave) {
  auto staying = std::partition(waiters_.begin(), waiters_.end(),
                                [&](const Waiter& w) { return !leave(w); });
  std::vector<Waiter> out(std::make_move_iterator(staying),
                          std::make_move_iterator(waiters_.end()));
  waiters_.erase(staying, waiters_.end());
  return out;
}

void Engine::DiscardLocked() {
  // The state may hold events the store did not keep: rebuild it. If the
  // store is out of reach, the engine answers 503 until a rebuild works.
  {
    std::lock_guard<std::mutex> lock(durable_mu_);
    generation_++;
  }
  healthy_ = false;
  healthy_flag_ = false;
  careful_ = true;
  (void)RebuildLocked();
}

void Engine::SyncLoop() {
  NameThisThread("cc-sync");
  for (;;) {
    std::vector<DecidedRound> batch;
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [this] { return sync_stopping_ || !sync_queue_.empty(); });
      if (sync_queue_.empty()) return;  // stopping and drained
      batch.swap(sync_queue_);
      queued_commands_ = 0;
      syncing_ = true;
    }
    sync_cv_.notify_all();  // the committer may be waiting for room
    RoundWrites all;
    for (DecidedRound& r : batch) {
      for (Event& e : r.writes.events) all.events.push_back(std::move(e));
      for (Delivery& d : r.writes.deliveries) all.deliveries.push_back(std::move(d));
    }
    const int64_t after = last_seq_.load();
    const int64_t last = all.events.empty() ? after : all.events.back().seq;
    Status st;
    if (!all.events.empty() || !all.deliveries.empty()) {
      st = store_->WriteRoundWith(
          after,
          [](Event e) {
            return Internal("another writer appended event " + std::to_string(e.seq) +
                            " to a store this server owns");
          },
          [&all] { return std::move(all); });
    }
    if (st.ok()) {
      Durable(last, batch);
    } else {
      {
        std::unique_lock lock(state_mu_);
        // The rounds queued since were decided on top of the refused ones.
        {
          std::lock_guard<std::mutex> sync_lock(sync_mu_);
          for (DecidedRound& r : sync_queue_) batch.push_back(std::move(r));
          sync_queue_.clear();
          queued_commands_ = 0;
        }
        DiscardLocked();
      }
      Refused(st, batch);
    }
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      syncing_ = false;
    }
    sync_cv_.notify_all();
  }
}

void Engine::WaitSynced() {
  if (!pipelined_) return;
  std::unique_lock<std::mutex> lock(sync_mu_);
  sync_cv_.wait(lock, [this] { return sync_queue_.empty() && !syncing_; });
}

void Engine::Durable(int64_t seq, std::vector<DecidedRound>& rounds) {
  std::vector<Waiter> ready;
  {
    std::lock_guard<std::mutex> lock(durable_mu_);
    if (seq > last_seq_.load()) last_seq_ = seq;
    ready = TakeWaitersLocked([seq](const Waiter& w) { return w.mark.seq <= seq; });
  }
  const auto now = std::chrono::steady_clock::now();
  bool deliveries = false;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    // One batch per store commit, timed from its oldest round's decision.
    stats_.batches++;
    if (!rounds.empty()) {
      stats_.commit_seconds +=
          std::chrono::duration<double>(now - rounds.front().started).count();
    }
    for (const DecidedRound& r : rounds) {
      stats_.rejected += r.rejected;
      stats_.commands += r.answers.size() - r.rejected;
      stats_.events += r.events;
      deliveries = deliveries || r.deliveries;
    }
  }
  if (deliveries) {
    std::lock_guard<std::mutex> lock(listener_mu_);
    if (deliveries_listener_) deliveries_listener_();
  }
  for (DecidedRound& r : rounds) {
    for (size_t i = 0; i < r.done.size(); ++i) r.done[i](std::move(r.answers[i]));
  }
  for (Waiter& w : ready) w.send(true);
}

void Engine::Refused(const Status& st, std::vector<DecidedRound>& rounds) {
  std::vector<Waiter> dropped;
  {
    // The waiters of an older generation saw rounds now discarded; those
    // of this one read the rebuilt state (or rounds decided on it).
    std::lock_guard<std::mutex> lock(durable_mu_);
    const uint64_t generation = generation_.load();
    dropped = TakeWaitersLocked(
        [generation](const Waiter& w) { return w.mark.generation != generation; });
  }
  size_t commands = 0;
  for (const DecidedRound& r : rounds) commands += r.done.size();
  LogLine("store refused a commit")
      .Add("error", st.reason())
      .Add("detail", st.message())
      .Add("commands", static_cast<int64_t>(commands))
      .Error();
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.batches++;
    stats_.store_failures++;
    stats_.rejected += commands;
  }
  // The client sees a stable message (http/router.cc); the detail is logged
  // above and, with each request's id, by the server.
  const std::string detail = "the change was not stored: " + st.message();
  for (DecidedRound& r : rounds) {
    for (Callback& done : r.done) {
      done(st.code() == Code::kUnavailable ? Unavailable(detail) : Internal(detail));
    }
  }
  for (Waiter& w : dropped) w.send(false);
}

// REQUIRES: state_mu_ held exclusively.
Status Engine::RebuildLocked() {
  Status st = Replay();  // sets last_seq_ when it succeeds
  healthy_ = st.ok();
  healthy_flag_ = healthy_;
  return st;
}

Status Engine::CatchUp() {
  std::unique_lock lock(state_mu_);
  if (round_in_flight_.load()) return Status::Ok();  // the next round catches up
  if (!healthy_) return RebuildLocked();
  Status st = store_->Scan(state_.last_seq(), [this](Event e) { return ApplyEvent(e); });
  // What was applied came from the store, so it is durable, even when the
  // scan stopped part-way (an unreachable store: keep serving what we have).
  last_seq_ = state_.last_seq();
  if (!st.ok()) return st;
  graph_.FinishFold(false);
  graph_.MaybeStartFold();
  return Status::Ok();
}

void Engine::TailLoop() {
  NameThisThread("cc-tail");
  bool tail_failing = false;
  while (!tail_stop_.load()) {
    // Woken by a notification, or every 50 ms. This instance's own rounds
    // notify too: a notification of nothing newer than what it holds is
    // skipped, so it does not take the state lock and a round trip to the
    // store from the committer after each round.
    std::optional<int64_t> notified = store_->WaitForAppend(50);
    if (tail_stop_.load()) break;
    // (Not while unhealthy: the catch-up is then what rebuilds the state.)
    if (notified && *notified > 0 && *notified <= last_seq_.load() && healthy_flag_.load()) {
      continue;
    }
    Status st = CatchUp();
    // One line when catching up starts failing and one when it works again,
    // not one every 50 ms.
    if (!st.ok() && !tail_failing) {
      LogLine("catching up with the store failed").Add("detail", st.ToString()).Warn();
    } else if (st.ok() && tail_failing) {
      LogLine("caught up with the store again").Info();
    }
    tail_failing = !st.ok();
  }
}

EngineStats Engine::Stats() const {
  EngineStats s;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    s = stats_;
  }
  s.last_seq = last_seq_.load();
  std::shared_lock lock(state_mu_);
  for (int n = 0; n < 7; ++n) s.objects += state_.Ids(static_cast<Noun>(n)).size();
  return s;
}

}  // namespace cocreate
