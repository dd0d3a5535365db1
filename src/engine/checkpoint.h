// Checkpoints: the state and the graph index as of one event, in a file, so
// that a start loads them and replays only the events after it instead of
// the whole log (docs/scaling.md).
//
// File: a 56-byte header (magic, format, seq, the fingerprint of event `seq`,
// payload size, checksum) and the payload (GraphIndex::Save, State::Save).
// `format` changes whenever the sources that define the layout or how the
// state is derived from events change, so a checkpoint made by another
// build is never loaded. WriteCheckpoint writes a temporary file, syncs it
// and renames it over the old one, so a crash (kill -9) at any moment leaves
// the previous checkpoint or the new one, never a torn one; the checksum
// catches what the disk may still tear.
//
// Which checkpoint belongs to which store: the caller compares the
// fingerprint with event `seq` as its store holds it (EventFingerprint).
#ifndef COCREATE_ENGINE_CHECKPOINT_H_
#define COCREATE_ENGINE_CHECKPOINT_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "graph/index.h"
#include "model/status.h"
#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

// The checkpoint format of this build (a digest of its layout's sources).
uint64_t CheckpointFormat();

// What identifies an event: a digest of its seq, type, at, actor, subject
// and data.
JsonDigest EventFingerprint(const Event& e);

// The bytes of a checkpoint of `state` and `graph`, whose last event is
// `last` (seq 0 and any fingerprint for an empty state). `size_hint` (the
// last checkpoint's size, say) spares the buffer's regrowth.
// REQUIRES: no concurrent change of state or graph (a shared lock).
std::string EncodeCheckpoint(const State& state, const GraphIndex& graph,
                             const JsonDigest& last, size_t size_hint = 0);

// Writes `bytes` to `path` crash-safely (temporary file, fsync, rename,
// fsync of the folder). Errors: Internal naming the path and the failure.
Status WriteCheckpoint(const std::string& path, const std::string& bytes);

// Writes the checkpoint EncodeCheckpoint would make to `path` as the
// function above does, encoding it straight into the file: it is never
// whole in memory (3.7 GB at 10 M objects). The same bytes. Sets `*bytes`
// to the bytes it wrote or tried to write (the file's size when written).
// REQUIRES: no concurrent change of state or graph (a shared lock).
Status WriteCheckpoint(const std::string& path, const State& state, const GraphIndex& graph,
                       const JsonDigest& last, size_t* bytes = nullptr);

// Removes the temporary files of checkpoint writes at `path` whose process
// no longer runs (a crash or kill -9 mid-write leaves one). Returns how many.
int RemoveStaleCheckpointFiles(const std::string& path);

// Whether this build encodes background checkpoints in a child process
// (ForkedCheckpoint). Not under AddressSanitizer: GCC 12's does not hold its
// allocator's locks across fork, so a child could wait forever on a lock
// another thread held at the fork.
bool CanCheckpointInChild();

// What a checkpoint write in a child process did.
struct CheckpointWrite {
  Status status;         // Internal naming why when not written
  size_t bytes = 0;      // the file's size, once written
  double encode_ms = 0;  // the child's encoding
  bool stopped = false;  // ended by `cancelled`, or by SIGINT/SIGTERM (a stop)
};

// A checkpoint encoded and written by a child process: fork() gives the
// child a copy of the state as it is at the fork, so the caller may change
// its state as soon as Start returns while the child encodes (copy on
// write: pages the caller changes meanwhile are copied, 4 KiB each). The
// child runs at a lower priority, takes no lock but the id table's (whose
// fork handlers release it), logs nothing, dies with the thread that
// started it (PR_SET_PDEATHSIG), and is the first the out-of-memory killer
// picks. It inherits the server's descriptors and never uses them.
class ForkedCheckpoint {
 public:
  // Forks a child that runs `in_child` (tests: to hold it), then writes
  // `state` and `graph` to `path` as WriteCheckpoint does.
  // REQUIRES: no concurrent change of state or graph during the call.
  // Errors: Internal when the system cannot fork.
  static StatusOr<ForkedCheckpoint> Start(const State& state, const GraphIndex& graph,
                                          const JsonDigest& last, const std::string& path,
                                          const std::function<void()>& in_child = nullptr);

  ForkedCheckpoint(ForkedCheckpoint&& other) noexcept;
  ForkedCheckpoint& operator=(ForkedCheckpoint&&) = delete;
  // Kills and reaps the child when Wait was not called.
  ~ForkedCheckpoint();

  // Waits for the child to finish, at most `timeout`; polls `cancelled`
  // every 100 ms. A child that times out or is cancelled is killed. Whenever
  // the child did not write the file, what it left is removed. Call once.
  CheckpointWrite Wait(std::chrono::milliseconds timeout,
                       const std::function<bool()>& cancelled = nullptr);

 private:
  ForkedCheckpoint(pid_t pid, int fd, std::string path) : pid_(pid), fd_(fd), path_(std::move(path)) {}
  int Reap();  // the child's wait status

  pid_t pid_ = -1;
  int fd_ = -1;  // the pipe the child reports on
  std::string path_;
};

struct Checkpoint {
  int64_t seq = 0;
  size_t bytes = 0;  // the file's size
  JsonDigest last;
  State state;
  GraphIndex graph;
};

// Reads the checkpoint at `path`. Errors: NotFound when there is none;
// Internal (bad_checkpoint) naming what is wrong when it is of another
// format, torn, corrupt or malformed.
StatusOr<Checkpoint> ReadCheckpoint(const std::string& path);

}  // namespace cocreate

#endif  // COCREATE_ENGINE_CHECKPOINT_H_
