// EventStore: the durable, append-only event log that is cocreate's source of
// truth. Backends live in one folder each (store/sqlite/); SQL never leaves
// them. Open() picks a backend from a URL-like spec.
#ifndef COCREATE_STORE_STORE_H_
#define COCREATE_STORE_STORE_H_

#include <chrono>
#include <functional>
#include <thread>
#include <memory>
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
  virtual Status WriteRound(int64_t after, const std::function<Status(Event)>& catch_up,
                            const std::function<std::vector<Event>()>& decide) = 0;

  // Appends `events` in one transaction (a WriteRound that only appends).
  Status Append(const std::vector<Event>& events);

  // True when other processes may append to this store (so readers must
  // tail it); false for an embedded store owned by one process.
  virtual bool Shared() const { return false; }

  // Blocks until another writer may have appended, or `timeout_ms` passes.
  // Returns true when notified. Default: sleeps the timeout.
  virtual bool WaitForAppend(int timeout_ms);

  // Calls `fn` for every event with seq > after, in order; stops at its
  // first error and returns it.
  virtual Status Scan(int64_t after, const std::function<Status(Event)>& fn) = 0;

  // The highest seq stored, 0 when empty.
  virtual StatusOr<int64_t> LastSeq() = 0;

  // A short name for /metrics and logs ("sqlite").
  virtual std::string Name() const = 0;
};

// Fills e.data and e.private_data from a stored row's JSON text (for the
// backends). Errors: Internal naming the event's seq and type, so that a log
// that cannot be read says where.
Status ReadEventColumns(std::string_view data, std::string_view private_data, Event& e);

}  // namespace cocreate

#endif  // COCREATE_STORE_STORE_H_
