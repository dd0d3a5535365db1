// Env: the one seam for the clock and randomness, so tests can fix time and
// secrets (leveldb's Env). Default() is the real machine.
#ifndef COCREATE_MODEL_ENV_H_
#define COCREATE_MODEL_ENV_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cocreate {

class Env {
 public:
  virtual ~Env() = default;
  // The current time as RFC 3339 UTC with milliseconds, e.g. 2026-11-27T17:20:00.123Z.
  virtual std::string Now() = 0;
  // `bytes` random bytes from the OS, hex-encoded.
  virtual std::string RandomHex(int bytes) = 0;
  // The process-wide real environment. Thread-safe.
  static Env* Default();
};

// Milliseconds since the Unix epoch of an RFC 3339 UTC time as Now() writes
// it ("2026-11-27T17:20:00.123Z"; the fraction may be left out), or nullopt
// when `time` is not one.
std::optional<int64_t> UnixMillis(std::string_view time);
// The RFC 3339 UTC time, with milliseconds, of `millis` since the epoch.
std::string FormatUnixMillis(int64_t millis);

// Names the calling thread as `top -H`, `ps -L`, perf and /proc show it
// (Linux keeps the first 15 characters). Not for the main thread, whose
// name is the process's.
void NameThisThread(const char* name);

// SHA-256 of `text`, hex-encoded (how token secrets are stored).
std::string Sha256Hex(const std::string& text);
// The first 16 bytes of SHA-256 of `text`, as two big-endian words.
std::pair<uint64_t, uint64_t> Sha256Prefix(std::string_view text);
// HMAC-SHA256 of `message` keyed with `key`, lowercase hex (how webhook
// deliveries are signed, CONTRACT §8).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

}  // namespace cocreate

#endif  // COCREATE_MODEL_ENV_H_
