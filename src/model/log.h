// Log: the process's structured log, one JSON object per line on stderr,
// written through spdlog. Every line has "time" (RFC 3339 UTC, milliseconds),
// "level" and "msg", then the fields its writer adds. Tokens and request
// bodies are never logged.
//
//   LogLine("request").Add("request_id", id).Add("status", 404).Info();
//
// Thread-safe: lines from several threads never interleave. A line reaches
// stderr at once, with every line before it, unless it is marked Batched():
// those wait for the next unbatched line or 32 KiB of them, 100 ms on a busy
// server and 1 s on a quiet one at most, or the process's exit (so the
// one-line-per-request log is a write(2) per batch, not per request).
#ifndef COCREATE_MODEL_LOG_H_
#define COCREATE_MODEL_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cocreate {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error" or "off"; false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel& level);

// Sends every later line to stderr as JSON, from `level` up. Until it is
// called (unit tests), lines go to spdlog's default logger.
void InitLog(LogLevel level);

// One log line under construction; written by Info/Warn/Error.
class LogLine {
 public:
  explicit LogLine(std::string_view msg);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& Add(std::string_view key, std::string_view value);
  LogLine& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  LogLine& Add(std::string_view key, int64_t value);
  LogLine& Add(std::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  LogLine& Add(std::string_view key, double value);
  LogLine& AddNull(std::string_view key);
  // Lets this line wait (see above). Warnings and errors never wait.
  LogLine& Batched() {
    batched_ = true;
    return *this;
  }

  void Debug();
  void Info();
  void Warn();
  void Error();

  // The line's text as it is built (log.cc); public only for log.cc's
  // spare lines.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  bool batched_ = false;
  void Write(int level);
};

}  // namespace cocreate

#endif  // COCREATE_MODEL_LOG_H_
