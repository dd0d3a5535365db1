#include "model/timestamp.h"

#include <chrono>

#include "model/env.h"
#include "model/id.h"

namespace cocreate {

namespace {

constexpr size_t kLength = 24;  // 2026-12-03T05:07:09.123Z
// 9999-12-31T23:59:59.999Z: four digits of year end there.
constexpr int64_t kLastMillis = 253402300799999;

void Put(char* at, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Milliseconds of `text` when it is exactly in Now()'s form, else nullopt.
std::optional<int64_t> ParseExactly(std::string_view text) {
  if (text.size() != kLength || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
    return std::nullopt;
  }
  auto digits = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
            minute = digits(14, 2), second = digits(17, 2), milli = digits(20, 3);
  if (year < 1970 || month < 1 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59 || milli < 0) {
    return std::nullopt;
  }
  namespace c = std::chrono;
  const c::year_month_day date{c::year{year}, c::month{static_cast<unsigned>(month)},
                               c::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  const int64_t days = c::sys_days{date}.time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * 60'000 + second * 1000 + milli;
}

}  // namespace

std::optional<std::string> FormatMillisExactly(int64_t millis) {
  if (millis < 0 || millis > kLastMillis) return std::nullopt;
  namespace c = std::chrono;
  const int64_t day_count = millis / 86'400'000;
  int64_t in_day = millis % 86'400'000;
  const c::year_month_day date{c::sys_days{c::days{day_count}}};
  std::string out(kLength, '\0');
  char* p = out.data();
  Put(p, static_cast<int>(date.year()), 4);
  p[4] = '-';
  Put(p + 5, static_cast<int>(static_cast<unsigned>(date.month())), 2);
  p[7] = '-';
  Put(p + 8, static_cast<int>(static_cast<unsigned>(date.day())), 2);
  p[10] = 'T';
  Put(p + 11, static_cast<int>(in_day / 3'600'000), 2);
  in_day %= 3'600'000;
  p[13] = ':';
  Put(p + 14, static_cast<int>(in_day / 60'000), 2);
  in_day %= 60'000;
  p[16] = ':';
  Put(p + 17, static_cast<int>(in_day / 1000), 2);
  p[19] = '.';
  Put(p + 20, static_cast<int>(in_day % 1000), 3);
  p[23] = 'Z';
  return out;
}

Timestamp::Timestamp(std::string_view text) {
  if (text.empty()) return;
  if (std::optional<int64_t> millis = ParseExactly(text)) {
    value_ = *millis;
  } else {
    value_ = -1 - static_cast<int64_t>(Id(text).index());
  }
}

std::optional<Timestamp> Timestamp::FromMillis(int64_t millis) {
  if (millis < 0 || millis > kLastMillis) return std::nullopt;
  Timestamp t;
  t.value_ = millis;
  return t;
}

std::string Timestamp::str() const {
  if (value_ == kEmpty) return {};
  if (value_ < 0) return Id::AtIndex(static_cast<uint32_t>(-1 - value_)).str();
  return *FormatMillisExactly(value_);
}

std::optional<int64_t> MillisOf(const Timestamp& t) {
  if (std::optional<int64_t> millis = t.millis()) return millis;
  if (t.empty()) return std::nullopt;
  return UnixMillis(t.str());
}

std::strong_ordering operator<=>(const Timestamp& a, const Timestamp& b) {
  if (a.value_ >= 0 && b.value_ >= 0) return a.value_ <=> b.value_;
  if (a.value_ == b.value_) return std::strong_ordering::equal;
  return a.str() <=> b.str();
}

}  // namespace cocreate
