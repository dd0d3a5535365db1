#include "model/env.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <utility>

#include "model/timestamp.h"

namespace cocreate {

namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

class RealEnv final : public Env {
 public:
  std::string Now() override {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    return FormatUnixMillis(ms.count());
  }

  std::string RandomHex(int bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<unsigned char> data(bytes);
    for (auto& b : data) b = static_cast<unsigned char>(device_());
    return Hex(data.data(), data.size());
  }

 private:
  std::mutex mu_;
  std::random_device device_;
};

}  // namespace

std::optional<int64_t> UnixMillis(std::string_view time) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM), RFC 3339 section 5.6:
  // every field in its range (no normalising of 2026-02-30 into March).
  auto digits = [&](size_t at, size_t n) -> std::optional<int> {
    if (at + n > time.size()) return std::nullopt;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (time[i] < '0' || time[i] > '9') return std::nullopt;
      v = v * 10 + (time[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
       minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || time.size() < 20 ||
      time[4] != '-' || time[7] != '-' || (time[10] != 'T' && time[10] != 't') ||
      time[13] != ':' || time[16] != ':') {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month < 1 || *month > 12) return std::nullopt;
  int days = kDays[*month - 1] + (*month == 2 && leap ? 1 : 0);
  if (*day < 1 || *day > days || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  int64_t millis = 0;
  size_t at = 19;
  if (time[at] == '.') {
    int64_t scale = 100;
    size_t first = ++at;
    for (; at < time.size() && time[at] >= '0' && time[at] <= '9'; ++at) {
      millis += (time[at] - '0') * scale;
      scale /= 10;
    }
    if (at == first) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (at + 1 == time.size() && (time[at] == 'Z' || time[at] == 'z')) {
    // UTC
  } else if (at + 6 == time.size() && (time[at] == '+' || time[at] == '-') &&
             time[at + 3] == ':') {
    auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = (*oh * 60 + *om) * (time[at] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis - offset_minutes * 60'000;
}

std::string FormatUnixMillis(int64_t millis) {
  if (std::optional<std::string> exact = FormatMillisExactly(millis)) return std::move(*exact);
  std::time_t secs = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis % 1000));
  return buf;
}

Env* Env::Default() {
  static RealEnv env;
  return &env;
}

void NameThisThread(const char* name) {
  char shortened[16] = {};
  std::snprintf(shortened, sizeof(shortened), "%s", name);
  (void)pthread_setname_np(pthread_self(), shortened);
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  return Hex(digest, len);
}

std::pair<uint64_t, uint64_t> Sha256Prefix(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | digest[i];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | digest[i];
  return {hi, lo};
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return Hex(mac, len);
}

}  // namespace cocreate
