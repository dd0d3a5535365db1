// WebhookSender: delivers the pending webhook deliveries the engine wrote
// with their events (CONTRACT §8), on threads of its own, never on the
// committer's or the HTTP server's.
//
// A dispatcher thread asks the store for the first pending delivery of each
// webhook (EventStore::PendingHeads) and hands those that are due to a pool
// of `concurrency` workers; a webhook has at most one attempt in flight, and
// its next delivery is not sent before the earlier one is delivered or dead,
// so each webhook receives strictly in seq order. A worker POSTs the body
// with Beast's HTTP client (its own io_context per attempt, one deadline for
// resolve, connect, TLS, write and the answer's header), checks every
// address the host resolves to (DNS rebinding), and records the outcome
// (AfterAttempt). The dispatcher wakes when the committer writes deliveries,
// when an attempt ends, when a retry falls due, and at least once a second.
//
// Stop() lets the attempts in flight finish and records them, and sends no
// other: so after a graceful stop every delivery is either recorded as
// delivered or still pending, and a restart sends each pending one once.
//
// Thread safety: Start and Stop from one thread; the rest is internal.
#ifndef COCREATE_HTTP_WEBHOOK_SENDER_H_
#define COCREATE_HTTP_WEBHOOK_SENDER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/webhooks.h"

namespace cocreate {

struct WebhookSenderOptions {
  // Deliver to loopback and private addresses too. Default: false.
  bool allow_private = false;
  // How long a delivery is retried, from its event's commit. Default: 24 h.
  int64_t retry_window_ms = kDefaultRetryWindowMs;
  // One attempt's deadline. Default: 10 s.
  int64_t timeout_ms = kDeliveryTimeoutMs;
  // Attempts in flight at once (webhooks served in parallel). Default: 4.
  int concurrency = 4;
};

// The outcome of one POST.
struct PostResult {
  bool delivered = false;  // a 2xx answer
  int status = 0;          // the HTTP status, 0 when none came
  // Empty when delivered; otherwise what a client may be told: the status
  // ("500"), "timeout", "connection refused", "connection failed",
  // "unresolvable host", "unsafe_target", "tls handshake failed",
  // "invalid answer".
  std::string error;
};

// POSTs `body` to `url` with `headers` (Content-Type is added), within
// `timeout_ms`. Unless `allow_private`, refuses ("unsafe_target") a host
// any of whose addresses is not public, before connecting.
PostResult PostWebhook(const std::string& url, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       int64_t timeout_ms, bool allow_private);

// The delivery after an attempt that ended with `r` at `now_ms`: delivered;
// or pending again, RetryDelayMs(attempts) later; or dead when that would
// fall after its retry window (counted from created_ms).
Delivery AfterAttempt(Delivery d, const PostResult& r, int64_t now_ms, int64_t retry_window_ms);

// The headers of a delivery: Cocreate-Signature (sha256=HMAC-SHA256 of the
// body keyed with the secret, hex), Cocreate-Event-Seq, Cocreate-Webhook.
std::vector<std::pair<std::string, std::string>> DeliveryHeaders(const Delivery& d,
                                                                 const std::string& secret);

class WebhookSender {
 public:
  WebhookSender(Engine& engine, WebhookSenderOptions options);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Starts the dispatcher and the workers, and asks the engine to wake the
  // dispatcher after each round that writes deliveries.
  void Start();
  // Waits for the attempts in flight and records them; sends nothing else.
  void Stop();

 private:
  void Dispatch();
  void Work();
  void Attempt(const Delivery& d);
  void Poke();

  Engine& engine_;
  WebhookSenderOptions options_;
  std::mutex mu_;
  std::condition_variable dispatch_cv_;
  std::condition_variable work_cv_;
  bool stopping_ = false;             // GUARDED_BY(mu_)
  bool poked_ = false;                // GUARDED_BY(mu_)
  std::set<std::string> busy_;        // GUARDED_BY(mu_): webhooks queued or in flight
  std::deque<Delivery> queue_;        // GUARDED_BY(mu_): due, not yet taken by a worker
  // A read of the pending heads that began before an attempt was recorded
  // may still show that delivery: each webhook's last recorded attempt is
  // numbered, and a head read before it is not queued. Only the attempts
  // recorded since the last read begun are kept (GUARDED_BY(mu_)).
  uint64_t attempts_done_ = 0;
  std::unordered_map<std::string, uint64_t> last_done_;
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace cocreate

#endif  // COCREATE_HTTP_WEBHOOK_SENDER_H_
