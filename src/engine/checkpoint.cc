#include "engine/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "engine/checkpoint_format.h"
#include "model/binary.h"
#include "model/codec.h"

namespace cocreate {

namespace {

constexpr char kMagic[8] = {'c', 'o', 'c', 'r', 'c', 'k', 'p', '1'};
constexpr size_t kHeaderSize = 56;  // magic, format, seq, last (2), size, checksum

void PutWord(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetWord(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// The checksum of a header's first 48 bytes and its payload's Checksum64:
// the header's last word.
uint64_t HeaderSum(std::string_view header48, uint64_t payload_sum) {
  std::string both(header48);
  PutWord(both, payload_sum);
  return Checksum64(both);
}

// The header of a checkpoint of `state` whose payload has `size` bytes and
// Checksum64 `payload_sum`.
std::string Header(const State& state, const JsonDigest& last, uint64_t size,
                   uint64_t payload_sum) {
  std::string header(kMagic, sizeof kMagic);
  PutWord(header, CheckpointFormat());
  PutWord(header, static_cast<uint64_t>(state.last_seq()));
  PutWord(header, last.hi);
  PutWord(header, last.lo);
  PutWord(header, size);
  PutWord(header, HeaderSum(header, payload_sum));
  return header;
}

// The payload: the graph index, then the state (State::Save's bytes must
// come last, see there).
void SavePayload(const State& state, const GraphIndex& graph, BinaryWriter& w) {
  graph.Save(w);
  state.Save(w);
  w.Flush();
}

Status Bad(const std::string& path, const std::string& why) {
  return Status(Code::kInternal, "bad_checkpoint", "checkpoint " + path + ": " + why);
}

Status Failed(const std::string& what, const std::string& path) {
  return Internal(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

uint64_t CheckpointFormat() { return COCREATE_CHECKPOINT_FORMAT; }

JsonDigest EventFingerprint(const Event& e) {
  Json j = Json::MakeObject({{"seq", Json(e.seq)},
                             {"type", Json(EventTypeName(e.type))},
                             {"at", Json(e.at)},
                             {"actor", Json(e.actor)},
                             {"subject", Json(e.subject)},
                             {"data", EventDataJson(e)}});
  return j.Digest();
}

std::string EncodeCheckpoint(const State& state, const GraphIndex& graph, const JsonDigest& last,
                             size_t size_hint) {
  std::string out;
  out.reserve(size_hint + size_hint / 8);
  out.resize(kHeaderSize);
  BinaryWriter w(out);
  SavePayload(state, graph, w);
  const std::string_view payload = std::string_view(out).substr(kHeaderSize);
  out.replace(0, kHeaderSize, Header(state, last, payload.size(), Checksum64(payload)));
  return out;
}

namespace {

// Writes a file at `path` crash-safely: `fill` writes its bytes to a
// temporary file, which is then synced and renamed over `path`, and the
// folder synced. `fill` returns Internal naming the failure.
Status WriteFileSafely(const std::string& path, const std::function<Status(int fd)>& fill) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  // A new file of our own, never one found in its place: not through a
  // link planted under its name, nor a FIFO that would hold the write up.
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(tmp.c_str(), kFlags, 0600);
  if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0) fd = ::open(tmp.c_str(), kFlags, 0600);
  if (fd < 0) return Failed("cannot create", tmp);
  // Locked until renamed (or removed): RemoveStaleCheckpointFiles leaves it
  // alone meanwhile.
  (void)::flock(fd, LOCK_EX);
  Status st = fill(fd);
  if (st.ok() && ::fsync(fd) != 0) st = Failed("cannot sync", tmp);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Failed("cannot rename to", path);
  if (!st.ok()) ::unlink(tmp.c_str());
  ::close(fd);  // and with it the lock: the file has its name now, or is gone
  if (!st.ok()) return st;
  // The rename itself is durable once the folder is synced.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

// Writes `n` bytes at `offset` (or at the file's end when negative).
// False, with errno set, when the system refuses.
bool WriteAllTo(int fd, const char* p, size_t n, off_t offset = -1) {
  while (n > 0) {
    ssize_t w = offset < 0 ? ::write(fd, p, n) : ::pwrite(fd, p, n, offset);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    if (offset >= 0) offset += w;
  }
  return true;
}

// Hands the payload to the file as it is encoded, and checksums it on the
// way. After the first failed write it drops the rest.
class FileSink : public BinaryWriter::Sink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  void Put(std::string_view bytes) override {
    if (errno_ != 0) return;
    sum_.Add(bytes);
    size_ += bytes.size();
    if (!WriteAllTo(fd_, bytes.data(), bytes.size())) errno_ = errno;
  }
  int error() const { return errno_; }
  uint64_t size() const { return size_; }
  uint64_t sum() const { return sum_.Finish(); }

 private:
  int fd_;
  int errno_ = 0;
  uint64_t size_ = 0;
  Checksum64Stream sum_;
};

}  // namespace

Status WriteCheckpoint(const std::string& path, const std::string& bytes) {
  return WriteFileSafely(path, [&](int fd) {
    return WriteAllTo(fd, bytes.data(), bytes.size()) ? Status::Ok()
                                                      : Failed("cannot write", path);
  });
}

Status WriteCheckpoint(const std::string& path, const State& state, const GraphIndex& graph,
                       const JsonDigest& last, size_t* bytes) {
  return WriteFileSafely(path, [&](int fd) {
    // The header goes last, over these zeros, once the payload's size and
    // checksum are known; until the rename the file is only a draft.
    const std::string zeros(kHeaderSize, '\0');
    if (!WriteAllTo(fd, zeros.data(), zeros.size())) return Failed("cannot write", path);
    FileSink sink(fd);
    std::string buffer;
    BinaryWriter w(buffer, &sink);
    SavePayload(state, graph, w);
    // Also when the write failed: the log then says how much room it needs.
    if (bytes != nullptr) *bytes = kHeaderSize + sink.size();
    if (sink.error() != 0) {
      errno = sink.error();
      return Failed("cannot write", path);
    }
    const std::string header = Header(state, last, sink.size(), sink.sum());
    if (!WriteAllTo(fd, header.data(), header.size(), 0)) return Failed("cannot write", path);
    return Status::Ok();
  });
}

int RemoveStaleCheckpointFiles(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  int removed = 0;
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // A writer holds its file locked until it renames it: a file we can
    // lock is one whose writer is gone (whatever its pid, even in another
    // container where every process is pid 1).
    const std::string file = dir + "/" + name;
    int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        ::unlink(file.c_str()) == 0) {
      ++removed;
    }
    ::close(fd);
  }
  ::closedir(d);
  return removed;
}

bool CanCheckpointInChild() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  return true;
#endif
}

namespace {

// What the child reports on its pipe: this, then the failure's message.
struct ChildReport {
  uint64_t ok = 0;
  uint64_t bytes = 0;
  double encode_ms = 0;
};

// The child's whole life. Only this thread exists in it: it must not take
// a lock another thread may have held at the fork (the logger's), and it
// leaves by _exit, so that no destructor or atexit handler of the parent's
// runs twice.
[[noreturn]] void RunChild(int fd, pid_t parent, const State& state, const GraphIndex& graph,
                           const JsonDigest& last, const std::string& path,
                           const std::function<void()>& in_child) {
  (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(2);  // the parent died before the line above
  // Ctrl-C or a service manager's SIGTERM to the group ends the child; the
  // parent's stop writes the checkpoint itself.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  // Requests come first; the checkpoint can wait. Short of memory, the
  // kernel ends the child rather than the server.
  (void)::setpriority(PRIO_PROCESS, 0, 10);
  if (int oom = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); oom >= 0) {
    (void)WriteAllTo(oom, "1000", 4);
    ::close(oom);
  }
  if (in_child) in_child();
  const auto started = std::chrono::steady_clock::now();
  size_t bytes = 0;
  Status st = WriteCheckpoint(path, state, graph, last, &bytes);
  ChildReport report;
  // Encoding and writing are one pass; this includes the file's sync.
  report.encode_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count();
  report.ok = st.ok() ? 1 : 0;
  report.bytes = bytes;
  std::string out(reinterpret_cast<const char*>(&report), sizeof report);
  out += st.message();
  (void)WriteAllTo(fd, out.data(), out.size());
  ::_exit(st.ok() ? 0 : 1);
}

}  // namespace

StatusOr<ForkedCheckpoint> ForkedCheckpoint::Start(const State& state, const GraphIndex& graph,
                                                   const JsonDigest& last, const std::string& path,
                                                   const std::function<void()>& in_child) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Failed("cannot make a pipe for", path);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    Status st = Failed("cannot fork to write", path);
    ::close(fds[0]);
    ::close(fds[1]);
    return st;
  }
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(fds[1], parent, state, graph, last, path, in_child);
  }
  ::close(fds[1]);
  return ForkedCheckpoint(pid, fds[0], path);
}

ForkedCheckpoint::ForkedCheckpoint(ForkedCheckpoint&& other) noexcept
    : pid_(other.pid_), fd_(other.fd_), path_(std::move(other.path_)) {
  other.pid_ = -1;
  other.fd_ = -1;
}

ForkedCheckpoint::~ForkedCheckpoint() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Reap();
    RemoveStaleCheckpointFiles(path_);
  }
  if (fd_ >= 0) ::close(fd_);
}

int ForkedCheckpoint::Reap() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

CheckpointWrite ForkedCheckpoint::Wait(std::chrono::milliseconds timeout,
                                       const std::function<bool()>& cancelled) {
  CheckpointWrite result;
  std::string report;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string stopped;
  for (;;) {
    if (cancelled && cancelled()) {
      stopped = "was stopped (the server is stopping)";
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stopped = "timed out after " + std::to_string(timeout.count() / 1000) + " s";
      break;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) {
      stopped = std::string("cannot wait: ") + std::strerror(errno);
      break;
    }
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child exited (or closed its end)
    report.append(buffer, static_cast<size_t>(n));
  }
  if (!stopped.empty()) {
    ::kill(pid_, SIGKILL);
    Reap();
    RemoveStaleCheckpointFiles(path_);
    result.status = Internal("the checkpoint writer " + stopped);
    result.stopped = cancelled && cancelled();
    return result;
  }
  const pid_t pid = pid_;
  const int status = Reap();
  ChildReport r;
  if (report.size() < sizeof r) {
    // Killed (the out-of-memory killer, kill -9, a Ctrl-C to the group) or
    // crashed: its temporary file is unlocked now, and removed here.
    RemoveStaleCheckpointFiles(path_);
    std::string how = "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
      const int sig = WTERMSIG(status);
      how = "was ended by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
      result.stopped = sig == SIGINT || sig == SIGTERM;
    }
    result.status = Internal("the checkpoint writer (pid " + std::to_string(pid) + ") " + how +
                             " before it wrote " + path_);
    return result;
  }
  std::memcpy(&r, report.data(), sizeof r);
  result.bytes = r.bytes;
  result.encode_ms = r.encode_ms;
  result.status = r.ok ? Status::Ok() : Internal(report.substr(sizeof r));
  return result;
}

StatusOr<Checkpoint> ReadCheckpoint(const std::string& path) {
  // Non-blocking, so that a FIFO in its place cannot hold up the start.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no checkpoint at " + path);
    return Failed("cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status failed = Failed("cannot stat", path);
    ::close(fd);
    return failed;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Bad(path, "not a regular file");
  }
  // Mapped, not read: the page cache's pages serve as they are, with no
  // second copy of a file as large as a third of the state.
  const size_t file_size = static_cast<size_t>(st.st_size);
  if (file_size < kHeaderSize) {
    ::close(fd);
    return Bad(path, "cut short");
  }
  void* mapped = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) return Failed("cannot map", path);
  ::madvise(mapped, file_size, MADV_SEQUENTIAL);
  ::madvise(mapped, file_size, MADV_WILLNEED);
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{mapped, file_size};
  std::string_view bytes(static_cast<const char*>(mapped), file_size);
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return Bad(path, "not a checkpoint");
  const char* h = bytes.data();
  if (GetWord(h + 8) != CheckpointFormat()) return Bad(path, "made by another build");
  Checkpoint cp;
  cp.bytes = file_size;
  cp.seq = static_cast<int64_t>(GetWord(h + 16));
  cp.last = JsonDigest{GetWord(h + 24), GetWord(h + 32)};
  const uint64_t size = GetWord(h + 40);
  if (size != bytes.size() - kHeaderSize) return Bad(path, "cut short");
  std::string_view payload = bytes.substr(kHeaderSize);
  if (GetWord(h + 48) != HeaderSum(bytes.substr(0, 48), Checksum64(payload))) {
    return Bad(path, "checksum mismatch");
  }
  BinaryReader r(payload);
  if (Status s = cp.graph.Load(r); !s.ok()) return Bad(path, s.message());
  if (Status s = cp.state.Load(r); !s.ok()) return Bad(path, s.message());
  if (!r.done()) return Bad(path, "bytes after the state");
  if (cp.state.last_seq() != cp.seq) return Bad(path, "the state is not at the header's seq");
  return cp;
}

}  // namespace cocreate
