// EventStore: the durable, append-only event log that is cocreate's source of
// truth. Backends live in one folder each (store/sqlite/); SQL never leaves
// them. Open() picks a backend from a URL-like spec.
#ifndef COCREATE_STORE_STORE_H_
#define COCREATE_STORE_STORE_H_

#include <chrono>
#include <functional>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"

namespace cocreate {

// How the embedded SQLite store locks its file.
enum class SqliteLocking {
  // One connection holds the file from open to close (PRAGMA
  // locking_mode=EXCLUSIVE): no -shm file, and a second process is refused.
  kExclusive,
  // SQLite's normal locking, with a shared-memory WAL index in the -shm file:
  // several connections may write in turn (tests of several writers).
  kShared,
};

struct StoreOptions {
  // "sqlite" (DATA_DIR/cocreate.db), "sqlite::memory:" (in memory, for
  // tests), or "sqlite:PATH". Default: "sqlite".
  std::string spec = "sqlite";
  // Folder for the embedded database. Default: "./cocreate-data".
  std::string data_dir = "./cocreate-data";
  // When true every Append is on disk before it returns (fsync). Default: true.
  bool durable = true;
  // Locking of the SQLite file stores. Default: kExclusive.
  SqliteLocking sqlite_locking = SqliteLocking::kExclusive;
};

// Creates `dir` and its missing parents; `dir` itself, when created, is
// mode 0700 (an existing folder keeps its mode). Errors: Unavailable.
Status CreatePrivateDir(const std::string& dir);

// Webhook deliveries (CONTRACT §8): one per (webhook, event seq), kept beside
// the log so that none is lost across a restart.
//
//   pending ──(2xx)──────────────────────────▶ delivered
//      │ └─(failure, retry window left)─▶ pending (attempts + 1, next_attempt_ms later)
//      └───(failure, retry window spent)──────▶ dead
// The engine writes pending deliveries with the events they carry
// (WriteRoundWith); the webhook sender moves them on (UpdateDelivery).
enum class DeliveryStatus { kPending, kDelivered, kDead };
std::string_view DeliveryStatusName(DeliveryStatus s);
std::optional<DeliveryStatus> DeliveryStatusFromName(std::string_view s);

struct Delivery {
  std::string webhook;
  int64_t seq = 0;
  std::string type;  // the event's type
  std::string body;  // the exact bytes POSTed: the event as the webhook's organization sees it
  DeliveryStatus status = DeliveryStatus::kPending;
  int64_t attempts = 0;
  int64_t created_ms = 0;       // Unix milliseconds: when the event was committed
  int64_t last_attempt_ms = 0;  // 0: never attempted
  int64_t next_attempt_ms = 0;  // when pending: not before; otherwise 0
  std::string last_error;  // "" / an HTTP status ("500") / "timeout" / "connection refused" ...
  bool operator==(const Delivery&) const = default;
};

// What one write round appends: the events, and the deliveries of them.
struct RoundWrites {
  std::vector<Event> events;
  std::vector<Delivery> deliveries;
};

// A page of one webhook's deliveries, oldest seq first.
struct DeliveryPage {
  std::vector<Delivery> items;
  int64_t total = 0;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Opens (creating when absent) the store `options` names. The data dir,
  // when created, is mode 0700 and the database file 0600.
  // Errors: InvalidArgument for an unknown spec; Unavailable when the
  // database cannot be opened, its schema is newer than this build knows, or
  // (reason "store_in_use") another process has the embedded store open.
  static StatusOr<std::unique_ptr<EventStore>> Open(const StoreOptions& options);

  // One write transaction, under the store's writer lock, which excludes
  // every other writer of the same store, in this process or another:
  //  1. calls catch_up(e) for each event after seq `after` that another
  //     writer appended (a store shared by several instances);
  //  2. calls decide(), which returns the events to append (their seqs
  //     continue the log without a gap);
  //  3. appends them and commits: all or none. On success they are durable.
  // Errors: Unavailable when the store cannot be reached or refuses the write
  // (nothing of the round is kept), or whatever catch_up returns.
  Status WriteRound(int64_t after, const std::function<Status(Event)>& catch_up,
                    const std::function<std::vector<Event>()>& decide);
  // The same round, which also inserts the deliveries decide() returns, in
  // the same transaction as the events: all or none. A delivery that exists
  // already (same webhook and seq) is an Internal error.
  virtual Status WriteRoundWith(int64_t after, const std::function<Status(Event)>& catch_up,
                                const std::function<RoundWrites()>& decide) = 0;

  // Appends `events` in one transaction (a WriteRound that only appends).
  Status Append(const std::vector<Event>& events);

  // True when other processes may append to this store (so readers must
  // tail it); false for an embedded store owned by one process.
  virtual bool Shared() const { return false; }

  // Blocks until a writer (this process's too) may have appended, or
  // `timeout_ms` passes. Returns the newest seq the notifications named (0
  // when they named none readable), or nullopt when none came. Default:
  // sleeps the timeout.
  virtual std::optional<int64_t> WaitForAppend(int timeout_ms);

  // Calls `fn` for every event with seq > after, in order; stops at its
  // first error and returns it.
  virtual Status Scan(int64_t after, const std::function<Status(Event)>& fn) = 0;

  // At most `limit` events with after < seq <= upto, in order, each with its
  // private data: the engine reads the log here when asked for it (/events,
  // SSE, a retry's original request) rather than keeping it in memory.
  // Errors: Unavailable.
  virtual StatusOr<std::vector<Event>> Read(int64_t after, int64_t upto, int64_t limit) = 0;

  // The highest seq stored, 0 when empty.
  virtual StatusOr<int64_t> LastSeq() = 0;

  // Deliveries. The first pending delivery (lowest seq) of each webhook that
  // has one, at most `limit`, by webhook id: the only ones the sender may
  // attempt, since a webhook's deliveries go out in seq order.
  // Errors: Unavailable.
  virtual StatusOr<std::vector<Delivery>> PendingHeads(int limit) = 0;
  // Records an attempt's outcome: status, attempts, times and last_error of
  // the delivery (webhook, seq). Errors: NotFound (reason "not_found") when
  // there is no such delivery; Unavailable.
  virtual Status UpdateDelivery(const Delivery& d) = 0;
  // One webhook's deliveries, seq ascending, optionally of one status,
  // `offset` skipped, at most `limit`; `total` counts them all.
  virtual StatusOr<DeliveryPage> ListDeliveries(const std::string& webhook,
                                                std::optional<DeliveryStatus> status,
                                                int64_t limit, int64_t offset) = 0;
  // Removes every delivery of a webhook (once it is deleted). Succeeds
  // when there is none.
  virtual Status DeleteDeliveries(const std::string& webhook) = 0;

  // A short name for /metrics and logs ("sqlite").
  virtual std::string Name() const = 0;
};

// Fills e.type, e.data and e.private_data from a stored row's text (for the
// backends). Errors: Internal naming the event's seq and type, so that a log
// that cannot be read says where (an unknown type: a newer build's log).
Status ReadEventColumns(std::string_view type, std::string_view data,
                        std::string_view private_data, Event& e);

}  // namespace cocreate

#endif  // COCREATE_STORE_STORE_H_
