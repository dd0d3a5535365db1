// EventStore: the durable, append-only event log that is cocreate's source of
// truth. Backends live in one folder each (store/sqlite/); SQL never leaves
// them. Open() picks a backend from a URL-like spec.
#ifndef COCREATE_STORE_STORE_H_
#define COCREATE_STORE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"

namespace cocreate {

struct StoreOptions {
  // "sqlite" (DATA_DIR/cocreate.db), "sqlite::memory:" (in memory, for
  // tests), or "sqlite:PATH". Default: "sqlite".
  std::string spec = "sqlite";
  // Folder for the embedded database. Default: "./cocreate-data".
  std::string data_dir = "./cocreate-data";
  // When true every Append is on disk before it returns (fsync). Default: true.
  bool durable = true;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Opens (creating when absent) the store `options` names.
  // Errors: InvalidArgument for an unknown spec; Unavailable when the
  // database cannot be opened or its schema is newer than this build knows.
  static StatusOr<std::unique_ptr<EventStore>> Open(const StoreOptions& options);

  // Appends `events` in one transaction: all or none. On success they are
  // durable. REQUIRES: their seqs continue the log without a gap.
  // Errors: Unavailable when the write fails (nothing of it is kept).
  virtual Status Append(const std::vector<Event>& events) = 0;

  // Calls `fn` for every event with seq > after, in order; stops at its
  // first error and returns it.
  virtual Status Scan(int64_t after, const std::function<Status(Event)>& fn) = 0;

  // The highest seq stored, 0 when empty.
  virtual StatusOr<int64_t> LastSeq() = 0;

  // A short name for /metrics and logs ("sqlite").
  virtual std::string Name() const = 0;
};

}  // namespace cocreate

#endif  // COCREATE_STORE_STORE_H_
