// Webhook delivery policy (CONTRACT §8, §9.22), as pure functions the engine
// and the sender (http/webhook_sender.h) share: which addresses a delivery
// may go to, and when a failed delivery is tried again.
#ifndef COCREATE_ENGINE_WEBHOOKS_H_
#define COCREATE_ENGINE_WEBHOOKS_H_

#include <cstdint>
#include <span>
#include <string>

#include "rules/commands.h"

namespace cocreate {

// Retry schedule: after the n-th failed attempt (n >= 1) the next one comes
// kFirstRetryMs * 2^(n-1) later, at most kMaxRetryDelayMs; so 1 s, 2 s, 4 s,
// ... 15 min, 15 min, ... until the retry window (24 h by default, counted
// from the event's commit) is spent, and the delivery is dead.
inline constexpr int64_t kFirstRetryMs = 1000;
inline constexpr int64_t kMaxRetryDelayMs = 15 * 60 * 1000;
inline constexpr int64_t kDefaultRetryWindowMs = 24LL * 60 * 60 * 1000;
// How long one attempt may take, connection to answer.
inline constexpr int64_t kDeliveryTimeoutMs = 10'000;

// The delay before the attempt that follows the `failed`-th failure.
// REQUIRES: failed >= 1.
int64_t RetryDelayMs(int64_t failed);

// True when an IP address (4 bytes for IPv4, 16 for IPv6, network order)
// is a public unicast address: not loopback, private (RFC 1918, unique
// local), link-local, carrier-grade NAT, unspecified, multicast, broadcast,
// documentation or benchmarking ranges; an IPv4-mapped or NAT64 IPv6
// address is judged by the IPv4 address inside it.
bool IsPublicAddress(std::span<const uint8_t> bytes);

// Resolves the host of `url` (numeric hosts without DNS) and judges every
// address it has: kUnsafe when one is not public, kPublic when all are,
// kNotChecked when the URL does not parse or the name does not resolve
// (delivery checks again, so nothing unsafe is ever contacted). Blocks on
// DNS: never call it on the committer.
TargetCheck CheckWebhookTarget(const std::string& url);

}  // namespace cocreate

#endif  // COCREATE_ENGINE_WEBHOOKS_H_
