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

// The checksum of the header's first 48 bytes and the payload.
uint64_t Checksum(std::string_view header48, std::string_view payload) {
  std::string both(header48);
  PutWord(both, Checksum64(payload));
  return Checksum64(both);
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
  state.Save(w);
  graph.Save(w);
  std::string header(kMagic, sizeof kMagic);
  PutWord(header, CheckpointFormat());
  PutWord(header, static_cast<uint64_t>(state.last_seq()));
  PutWord(header, last.hi);
  PutWord(header, last.lo);
  PutWord(header, out.size() - kHeaderSize);
  PutWord(header, Checksum(header, std::string_view(out).substr(kHeaderSize)));
  out.replace(0, kHeaderSize, header);
  return out;
}

Status WriteCheckpoint(const std::string& path, const std::string& bytes) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("cannot create", tmp);
  // Locked until closed: RemoveStaleCheckpointFiles leaves it alone meanwhile.
  (void)::flock(fd, LOCK_EX);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = Failed("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = Failed("cannot sync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Failed("cannot rename to", path);
    ::unlink(tmp.c_str());
    return st;
  }
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

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// The child's whole life. Only this thread exists in it: it must not take
// a lock another thread may have held at the fork (the logger's), and it
// leaves by _exit, so that no destructor or atexit handler of the parent's
// runs twice.
[[noreturn]] void RunChild(int fd, pid_t parent, const State& state, const GraphIndex& graph,
                           const JsonDigest& last, size_t size_hint, const std::string& path,
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
    WriteAll(oom, "1000", 4);
    ::close(oom);
  }
  if (in_child) in_child();
  const auto started = std::chrono::steady_clock::now();
  std::string bytes = EncodeCheckpoint(state, graph, last, size_hint);
  ChildReport report;
  report.encode_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count();
  Status st = WriteCheckpoint(path, bytes);
  report.ok = st.ok() ? 1 : 0;
  report.bytes = bytes.size();
  std::string out(reinterpret_cast<const char*>(&report), sizeof report);
  out += st.message();
  WriteAll(fd, out.data(), out.size());
  ::_exit(st.ok() ? 0 : 1);
}

}  // namespace

StatusOr<ForkedCheckpoint> ForkedCheckpoint::Start(const State& state, const GraphIndex& graph,
                                                   const JsonDigest& last, size_t size_hint,
                                                   const std::string& path,
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
    RunChild(fds[1], parent, state, graph, last, size_hint, path, in_child);
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
  if (GetWord(h + 48) != Checksum(bytes.substr(0, 48), payload)) {
    return Bad(path, "checksum mismatch");
  }
  BinaryReader r(payload);
  if (Status s = cp.state.Load(r); !s.ok()) return Bad(path, s.message());
  if (Status s = cp.graph.Load(r); !s.ok()) return Bad(path, s.message());
  if (!r.done()) return Bad(path, "bytes after the graph index");
  if (cp.state.last_seq() != cp.seq) return Bad(path, "the state is not at the header's seq");
  return cp;
}

}  // namespace cocreate
