#include "model/log.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "model/json.h"

namespace cocreate {

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  if (text == "debug") level = LogLevel::kDebug;
  else if (text == "info") level = LogLevel::kInfo;
  else if (text == "warn") level = LogLevel::kWarn;
  else if (text == "error") level = LogLevel::kError;
  else if (text == "off") level = LogLevel::kOff;
  else return false;
  return true;
}

namespace {

// Formatted lines kept until flush() (spdlog's own stderr sink flushes after
// every line), then written to file descriptor 2 with as few write(2) calls
// as the kernel takes.
class BatchingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (pending_.empty()) first_ = msg.time;
    pending_.append(line.data(), line.size());
    if (pending_.size() >= kMaxPending || msg.time - first_ >= kMaxWait) flush_();
  }

  // A stderr that takes no more (a non-blocking pipe nobody reads, a full
  // disk, a closed pipe) loses whole lines, never parts: the rest of a line
  // cut short stays pending and goes out first next time.
  void flush_() override {
    if (torn_) {
      pending_.clear();
      return;
    }
    // At exit there is no next time: the pipe gets longer to take it all.
    size_t done = Write(pending_, exiting_ ? kExitStallMs : kStallMs);
    // Is a line written in part (now, or by an earlier flush) first in line?
    begun_ = done > 0 ? pending_[done - 1] != '\n' : begun_;
    if (done == pending_.size() || !begun_) {
      begun_ = false;
      pending_.clear();
      return;
    }
    if (exiting_) {
      // A line stays cut short; whatever came after it would follow the cut.
      torn_ = true;
      pending_.clear();
      return;
    }
    pending_.erase(0, done);
    pending_.resize(pending_.find('\n') + 1);  // every line ends with one
  }

 public:
  // The last flush, at exit.
  void Finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    exiting_ = true;
    flush_();
  }

 private:
  // Writes as much of `text` as fd 2 takes, waiting at most `stall_ms` each
  // time it takes nothing; returns how much it took.
  static size_t Write(std::string_view text, int stall_ms) {
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(2, text.data() + done, text.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd writable{2, POLLOUT, 0};
        if (::poll(&writable, 1, stall_ms) > 0) continue;
      }
      break;
    }
    return done;
  }

 private:
  static constexpr size_t kMaxPending = 32 * 1024;
  static constexpr int kStallMs = 100;  // how long a full pipe may hold a flush
  static constexpr int kExitStallMs = 2000;  // ... and the last flush, at exit
  static constexpr std::chrono::milliseconds kMaxWait{100};
  std::string pending_;
  bool begun_ = false;  // pending_ starts with the rest of a line cut short
  bool exiting_ = false;
  bool torn_ = false;  // at exit, a line was left cut short: write nothing more
  spdlog::log_clock::time_point first_;  // of the oldest pending line
};

}  // namespace

void InitLog(LogLevel level) {
  static const auto sink = std::make_shared<BatchingStderrSink>();
  auto logger = std::make_shared<spdlog::logger>("cocreate", sink);
  // The message is the rest of the JSON object: `"msg":...,"key":...`.
  logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err,
      spdlog::level::off};
  logger->set_level(kLevels[static_cast<int>(level)]);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  // A quiet server's batched lines wait at most this long (a busy one's,
  // 100 ms: the sink); the rest reach stderr at exit.
  spdlog::flush_every(std::chrono::seconds(1));
  static const bool at_exit = std::atexit([] { sink->Finish(); }) == 0;
  (void)at_exit;
}

struct LogLine::Impl {
  rapidjson::StringBuffer buf;
  JsonWriter w{buf};
};

namespace {

// Lines a thread has finished with, kept with their buffers' room: every
// request writes one, and a line made anew cost four allocations.
struct SpareLines {
  static constexpr size_t kMax = 4;
  std::vector<std::unique_ptr<LogLine::Impl>> lines;
  ~SpareLines();
};
// Set once this thread's spares are gone (a line made in a destructor that
// runs after them is then made and freed as before).
thread_local bool t_spares_gone = false;
thread_local SpareLines t_spares;
SpareLines::~SpareLines() { t_spares_gone = true; }

}  // namespace

LogLine::LogLine(std::string_view msg) {
  if (!t_spares_gone && !t_spares.lines.empty()) {
    impl_ = std::move(t_spares.lines.back());
    t_spares.lines.pop_back();
  } else {
    impl_ = std::make_unique<Impl>();
  }
  impl_->w.StartObject();
  Add("msg", msg);
}

LogLine::~LogLine() {
  // A line of ordinary size goes back for the next; a huge one is freed.
  if (impl_ == nullptr || t_spares_gone || t_spares.lines.size() >= SpareLines::kMax ||
      impl_->buf.GetSize() > (size_t{64} << 10)) {
    return;
  }
  impl_->buf.Clear();
  impl_->w.Reset(impl_->buf);
  t_spares.lines.push_back(std::move(impl_));
}

LogLine& LogLine::Add(std::string_view key, std::string_view value) {
  WriteKey(impl_->w, key);
  WriteString(impl_->w, value);
  return *this;
}

LogLine& LogLine::Add(std::string_view key, int64_t value) {
  WriteKey(impl_->w, key);
  impl_->w.Int64(value);
  return *this;
}

LogLine& LogLine::Add(std::string_view key, double value) {
  WriteKey(impl_->w, key);
  impl_->w.Double(value);
  return *this;
}

LogLine& LogLine::AddNull(std::string_view key) {
  WriteKey(impl_->w, key);
  impl_->w.Null();
  return *this;
}

void LogLine::Debug() { Write(spdlog::level::debug); }
void LogLine::Info() { Write(spdlog::level::info); }
void LogLine::Warn() { Write(spdlog::level::warn); }
void LogLine::Error() { Write(spdlog::level::err); }

void LogLine::Write(int level) {
  auto lvl = static_cast<spdlog::level::level_enum>(level);
  if (!spdlog::default_logger_raw()->should_log(lvl)) return;
  impl_->w.EndObject();
  // Without the object's braces: the pattern supplies them around time and level.
  std::string_view text(impl_->buf.GetString(), impl_->buf.GetSize());
  text = text.substr(1, text.size() - 2);
  spdlog::logger* logger = spdlog::default_logger_raw();
  logger->log(lvl, "{}", text);
  if (!batched_ && lvl < spdlog::level::warn) logger->flush();  // warn and up flush anyway
}

}  // namespace cocreate
