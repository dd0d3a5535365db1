#include "engine/webhooks.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "rules/webhooks.h"

namespace cocreate {

int64_t RetryDelayMs(int64_t failed) {
  int64_t delay = kFirstRetryMs;
  for (int64_t i = 1; i < failed && delay < kMaxRetryDelayMs; ++i) delay *= 2;
  return std::min(delay, kMaxRetryDelayMs);
}

namespace {

bool IsPublicV4(const uint8_t* a) {
  auto in = [&](uint8_t b0, uint8_t b1, int prefix) {
    uint32_t addr = (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | a[3];
    uint32_t net = (uint32_t(b0) << 24) | (uint32_t(b1) << 16);
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix);
    return (addr & mask) == (net & mask);
  };
  auto in24 = [&](uint8_t b0, uint8_t b1, uint8_t b2) {
    return a[0] == b0 && a[1] == b1 && a[2] == b2;
  };
  return !(in(0, 0, 8) ||        // "this network"
           in(10, 0, 8) ||       // private
           in(100, 64, 10) ||    // carrier-grade NAT
           in(127, 0, 8) ||      // loopback
           in(169, 254, 16) ||   // link-local (cloud metadata)
           in(172, 16, 12) ||    // private
           in24(192, 0, 0) ||    // IETF protocol assignments
           in24(192, 0, 2) ||    // documentation
           in(192, 168, 16) ||   // private
           in(198, 18, 15) ||    // benchmarking
           in24(198, 51, 100) || // documentation
           in24(203, 0, 113) ||  // documentation
           in(224, 0, 4) ||      // multicast
           in(240, 0, 4));       // reserved, broadcast
}

}  // namespace

bool IsPublicAddress(std::span<const uint8_t> b) {
  if (b.size() == 4) return IsPublicV4(b.data());
  if (b.size() != 16) return false;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kMapped, 12) == 0 || std::memcmp(b.data(), kNat64, 12) == 0) {
    return IsPublicV4(b.data() + 12);
  }
  bool zero_prefix = std::all_of(b.begin(), b.begin() + 15, [](uint8_t x) { return x == 0; });
  if (zero_prefix && (b[15] == 0 || b[15] == 1)) return false;  // :: and ::1
  if (std::all_of(b.begin(), b.begin() + 12, [](uint8_t x) { return x == 0; })) {
    return false;  // IPv4-compatible (deprecated)
  }
  if ((b[0] & 0xfe) == 0xfc) return false;                 // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local
  if (b[0] == 0xff) return false;                           // multicast
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // documentation
  if (b[0] == 0x01 && b[1] == 0x00 && std::all_of(b.begin() + 2, b.begin() + 8,
                                                  [](uint8_t x) { return x == 0; })) {
    return false;  // 100::/64 discard
  }
  if (b[0] == 0x20 && b[1] == 0x02) {  // 6to4: judged by the IPv4 inside
    return IsPublicV4(b.data() + 2);
  }
  return true;
}

TargetCheck CheckWebhookTarget(const std::string& url) {
  StatusOr<WebhookUrl> parsed = ParseWebhookUrl(url);
  if (!parsed.ok()) return TargetCheck::kNotChecked;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(parsed->host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return TargetCheck::kNotChecked;
  }
  TargetCheck verdict = TargetCheck::kPublic;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    bool is_public = false;
    if (a->ai_family == AF_INET) {
      const auto* in4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      is_public = IsPublicAddress(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(&in4->sin_addr.s_addr), 4));
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      is_public = IsPublicAddress(std::span<const uint8_t>(in6->sin6_addr.s6_addr, 16));
    }
    if (!is_public) verdict = TargetCheck::kUnsafe;
  }
  ::freeaddrinfo(found);
  return verdict;
}

}  // namespace cocreate
