#include "engine/engine.h"

#include <chrono>
#include <future>

#include "rules/decide.h"
#include "rules/visibility.h"

namespace cocreate {

Engine::Engine(std::unique_ptr<EventStore> store, EngineOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  if (options_.env == nullptr) options_.env = Env::Default();
}

StatusOr<std::unique_ptr<Engine>> Engine::Open(std::unique_ptr<EventStore> store,
                                               EngineOptions options) {
  if (options.admin_token.empty()) return Internal("the engine needs an admin token");
  std::unique_ptr<Engine> engine(new Engine(std::move(store), std::move(options)));
  CC_RETURN_IF_ERROR(engine->Replay());
  engine->committer_ = std::thread([e = engine.get()] { e->CommitLoop(); });
  return engine;
}

Engine::~Engine() { Stop(); }

void Engine::Stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

// REQUIRES: state_mu_ held exclusively, or no other thread running.
Status Engine::Replay() {
  state_ = State();
  CC_RETURN_IF_ERROR(store_->Scan(0, [this](Event e) { return state_.Apply(e); }));
  last_seq_ = state_.last_seq();
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
  std::string digest = Sha256Hex(std::string(token));
  std::shared_lock lock(state_mu_);
  const Principal* p = state_.FindToken(digest);
  if (p == nullptr) return unauthenticated();
  return *p;
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
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) {
      done(Unavailable("the server is shutting down"));
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
  for (;;) {
    std::vector<Pending> round;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      round.swap(queue_);
    }
    CommitRound(round);
  }
}

void Engine::CommitRound(std::vector<Pending>& round) {
  std::vector<StatusOr<Decision>> decisions;
  decisions.reserve(round.size());
  std::vector<Event> log;
  std::vector<StatusOr<Outcome>> answers;
  auto started = std::chrono::steady_clock::now();
  Status store_status;
  {
    std::unique_lock lock(state_mu_);
    for (Pending& pending : round) {
      std::string now = options_.env->Now();
      StatusOr<Decision> d = Decide(state_, pending.principal, pending.command, now);
      if (d.ok()) {
        Status applied;
        for (Event& e : d->events) {
          e.seq = state_.last_seq() + 1;
          applied = state_.Apply(e);
          if (!applied.ok()) break;
          log.push_back(e);
        }
        if (!applied.ok()) d = applied;  // a rules bug; the rebuild below undoes it
      }
      decisions.push_back(std::move(d));
    }
    store_status = store_->Append(log);
    if (!store_status.ok()) {
      Status rebuilt = Replay();
      if (!rebuilt.ok()) store_status = rebuilt;
    }
    for (size_t i = 0; i < round.size(); ++i) {
      const StatusOr<Decision>& d = decisions[i];
      if (!d.ok()) {
        answers.push_back(d.status());
      } else if (!store_status.ok()) {
        answers.push_back(Unavailable("the change could not be stored; retry: " +
                                      store_status.message()));
      } else {
        Outcome o;
        o.status = d->created ? 201 : 200;
        o.body = EncodeOutcome(round[i].principal, d->noun, d->subject);
        if (std::holds_alternative<IssueToken>(round[i].command.body)) {
          const auto& t = std::get<IssueToken>(round[i].command.body);
          o.body = Json::MakeObject({{"organization", Json(t.organization)},
                                     {"role", Json(t.role == Role::kViewer ? "viewer" : "member")}})
                       .Dump();
        }
        answers.push_back(std::move(o));
      }
    }
    last_seq_ = state_.last_seq();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.batches++;
    stats_.commit_seconds += seconds;
    if (!store_status.ok()) stats_.store_failures++;
    for (const auto& a : answers) (a.ok() ? stats_.commands : stats_.rejected)++;
    if (store_status.ok()) stats_.events += log.size();
  }
  for (size_t i = 0; i < round.size(); ++i) round[i].done(std::move(answers[i]));
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
