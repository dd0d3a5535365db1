// Timestamp: a time a record keeps, in 8 bytes. The times the server writes
// ("2026-12-03T05:07:09.123Z", Env::Now's form) are kept as milliseconds since
// the epoch; any other text (an imported log's "2026-12-03T05:07:09Z", a
// year before 1970) is interned as an Id, so it reads back exactly as given.
// A std::string would cost 64 bytes here: 24 characters do not fit inline.
//
// It reads as its text wherever a std::string is taken, and compares as the
// text does: equal texts are equal timestamps, and the order is the texts'.
#ifndef COCREATE_MODEL_TIMESTAMP_H_
#define COCREATE_MODEL_TIMESTAMP_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace cocreate {

class Timestamp {
 public:
  // The empty time "" (not yet, never).
  Timestamp() = default;
  // Implicit, as the strings it replaces were.
  Timestamp(std::string_view text);                                      // NOLINT
  Timestamp(const std::string& text) : Timestamp(std::string_view(text)) {}  // NOLINT
  Timestamp(const char* text) : Timestamp(std::string_view(text)) {}         // NOLINT

  // The timestamp of Now()'s form for `millis`; nullopt unless 1970 <= its
  // year <= 9999 (how a checkpoint reads one back).
  static std::optional<Timestamp> FromMillis(int64_t millis);

  std::string str() const;
  operator std::string() const { return str(); }  // NOLINT
  bool empty() const { return value_ == kEmpty; }
  void clear() { value_ = kEmpty; }
  // Milliseconds since the epoch when the text is in Now()'s form.
  std::optional<int64_t> millis() const {
    if (value_ < 0) return std::nullopt;
    return value_;
  }

  friend bool operator==(const Timestamp& a, const Timestamp& b) { return a.value_ == b.value_; }
  friend bool operator==(const Timestamp& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const Timestamp& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const Timestamp& a, const char* b) { return a.str() == b; }
  friend std::strong_ordering operator<=>(const Timestamp& a, const Timestamp& b);
  friend std::strong_ordering operator<=>(const Timestamp& a, std::string_view b) {
    return a.str() <=> b;
  }
  friend std::strong_ordering operator<=>(const Timestamp& a, const std::string& b) {
    return a.str() <=> b;
  }

 private:
  // >= 0: milliseconds; kEmpty: ""; else -1 - the index of an interned Id.
  static constexpr int64_t kEmpty = INT64_MIN;
  int64_t value_ = kEmpty;
};

// The text of Now()'s form for `millis` since the epoch, as FormatUnixMillis
// writes it, for 1970 through 9999; nullopt outside.
std::optional<std::string> FormatMillisExactly(int64_t millis);

// Milliseconds since the epoch of `t` when it is an RFC 3339 time
// (UnixMillis), whatever its form; nullopt otherwise.
std::optional<int64_t> MillisOf(const Timestamp& t);

inline std::string operator+(std::string a, const Timestamp& b) { return a.append(b.str()); }
inline std::string operator+(const char* a, const Timestamp& b) { return a + b.str(); }
inline std::ostream& operator<<(std::ostream& os, const Timestamp& t) { return os << t.str(); }

}  // namespace cocreate

#endif  // COCREATE_MODEL_TIMESTAMP_H_
