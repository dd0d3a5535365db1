// Env: the one seam for the clock and randomness, so tests can fix time and
// secrets (leveldb's Env). Default() is the real machine.
#ifndef COCREATE_MODEL_ENV_H_
#define COCREATE_MODEL_ENV_H_

#include <string>

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

// SHA-256 of `text`, hex-encoded (how token secrets are stored).
std::string Sha256Hex(const std::string& text);

}  // namespace cocreate

#endif  // COCREATE_MODEL_ENV_H_
