// Tests of the webhook delivery policy: retry schedule, dead after the
// window, which addresses are public, the signature headers, and a POST to
// a port nobody listens on.
#include "http/webhook_sender.h"

#include <gtest/gtest.h>

#include <array>

#include "model/env.h"

namespace cocreate {
namespace {

TEST(RetryDelayTest, FirstRetryWithinFiveSecondsThenDoublingCapped) {
  EXPECT_EQ(RetryDelayMs(1), 1000);
  EXPECT_EQ(RetryDelayMs(2), 2000);
  EXPECT_EQ(RetryDelayMs(3), 4000);
  EXPECT_EQ(RetryDelayMs(10), 512000);
  EXPECT_EQ(RetryDelayMs(11), kMaxRetryDelayMs);
  EXPECT_EQ(RetryDelayMs(1000), kMaxRetryDelayMs);
  // Over 24 h: about 100 attempts, the last ones every 15 minutes.
  int64_t elapsed = 0, attempts = 0;
  while (elapsed <= kDefaultRetryWindowMs) elapsed += RetryDelayMs(++attempts);
  EXPECT_GT(attempts, 90);
  EXPECT_LT(attempts, 110);
}

Delivery Pending() {
  Delivery d;
  d.webhook = "w";
  d.seq = 7;
  d.created_ms = 1'000'000;
  d.next_attempt_ms = 1'000'000;
  return d;
}

TEST(AfterAttemptTest, DeliveredPendingOrDead) {
  PostResult ok{true, 204, ""};
  Delivery d = AfterAttempt(Pending(), ok, 1'000'500, kDefaultRetryWindowMs);
  EXPECT_EQ(d.status, DeliveryStatus::kDelivered);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_attempt_ms, 1'000'500);
  EXPECT_EQ(d.next_attempt_ms, 0);
  EXPECT_EQ(d.last_error, "");

  PostResult failed{false, 500, "500"};
  d = AfterAttempt(Pending(), failed, 1'000'500, kDefaultRetryWindowMs);
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_ms, 1'001'500);  // the first retry a second later
  EXPECT_EQ(d.last_error, "500");
  d = AfterAttempt(d, PostResult{false, 0, "timeout"}, 1'011'500, kDefaultRetryWindowMs);
  EXPECT_EQ(d.attempts, 2);
  EXPECT_EQ(d.next_attempt_ms, 1'013'500);
  EXPECT_EQ(d.last_error, "timeout");
  // A retry that would fall after the window: dead, and no next attempt.
  d = AfterAttempt(Pending(), failed, 1'002'500, 3000);
  EXPECT_EQ(d.status, DeliveryStatus::kDead);
  EXPECT_EQ(d.next_attempt_ms, 0);
}

bool V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  std::array<uint8_t, 4> bytes{a, b, c, d};
  return IsPublicAddress(bytes);
}

TEST(IsPublicAddressTest, RefusesLoopbackPrivateAndSpecialRanges) {
  EXPECT_TRUE(V4(93, 184, 216, 34));
  EXPECT_TRUE(V4(8, 8, 8, 8));
  for (auto a : {std::array<uint8_t, 4>{127, 0, 0, 1}, {10, 1, 2, 3}, {172, 16, 0, 1},
                 {172, 31, 255, 255}, {192, 168, 1, 1}, {169, 254, 169, 254}, {0, 0, 0, 0},
                 {100, 64, 0, 1}, {224, 0, 0, 1}, {255, 255, 255, 255}, {198, 18, 0, 1}}) {
    EXPECT_FALSE(IsPublicAddress(a)) << int(a[0]) << "." << int(a[1]);
  }
  EXPECT_TRUE(V4(172, 32, 0, 1));
  std::array<uint8_t, 16> v6{};
  v6[15] = 1;
  EXPECT_FALSE(IsPublicAddress(v6));  // ::1
  v6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_FALSE(IsPublicAddress(v6));  // unique local
  v6 = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_FALSE(IsPublicAddress(v6));  // link-local
  v6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  EXPECT_FALSE(IsPublicAddress(v6));  // IPv4-mapped loopback
  v6 = {0x26, 0x06, 0x28, 0, 0x02, 0x20, 0, 0x01, 0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46};
  EXPECT_TRUE(IsPublicAddress(v6));
  EXPECT_FALSE(IsPublicAddress(std::array<uint8_t, 3>{1, 2, 3}));
}

TEST(CheckWebhookTargetTest, NumericHostsAreJudgedWithoutDns) {
  EXPECT_EQ(CheckWebhookTarget("http://127.0.0.1:8080/"), TargetCheck::kUnsafe);
  EXPECT_EQ(CheckWebhookTarget("http://[::1]/"), TargetCheck::kUnsafe);
  EXPECT_EQ(CheckWebhookTarget("http://10.0.0.7/"), TargetCheck::kUnsafe);
  EXPECT_EQ(CheckWebhookTarget("http://93.184.216.34/"), TargetCheck::kPublic);
  EXPECT_EQ(CheckWebhookTarget("not a url"), TargetCheck::kNotChecked);
}

TEST(DeliveryHeadersTest, SignTheExactBody) {
  Delivery d = Pending();
  d.body = R"({"seq":7})";
  auto headers = DeliveryHeaders(d, "secret");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].first, "Cocreate-Signature");
  EXPECT_EQ(headers[0].second, "sha256=" + HmacSha256Hex("secret", R"({"seq":7})"));
  EXPECT_EQ(headers[1], std::make_pair(std::string("Cocreate-Event-Seq"), std::string("7")));
  EXPECT_EQ(headers[2], std::make_pair(std::string("Cocreate-Webhook"), std::string("w")));
}

TEST(PostWebhookTest, RefusedConnectionAndUnsafeTarget) {
  // Port 1 on loopback: nobody listens.
  PostResult r = PostWebhook("http://127.0.0.1:1/", "{}", {}, 2000, /*allow_private=*/true);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.error, "connection refused");
  r = PostWebhook("http://127.0.0.1:1/", "{}", {}, 2000, /*allow_private=*/false);
  EXPECT_EQ(r.error, "unsafe_target");  // checked before connecting
}

}  // namespace
}  // namespace cocreate
