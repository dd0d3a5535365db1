// Tests of the webhook delivery policy: retry schedule, dead after the
// window, which addresses are public, the signature headers, and a POST to
// a port nobody listens on.
#include "http/webhook_sender.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "model/env.h"
#include "rules/webhooks.h"
#include "store/testing.h"

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

// A store whose reads of the pending heads come back late: what they show
// may have been delivered and recorded meanwhile.
class SlowHeadsStore final : public testing::ForwardingStore {
 public:
  SlowHeadsStore(std::unique_ptr<EventStore> inner, std::chrono::milliseconds delay)
      : ForwardingStore(std::move(inner)), delay_(delay) {}
  StatusOr<std::vector<Delivery>> PendingHeads(int limit) override {
    auto heads = ForwardingStore::PendingHeads(limit);
    std::this_thread::sleep_for(delay_);
    return heads;
  }

 private:
  std::chrono::milliseconds delay_;
};

// A webhook receiver on loopback: notes each request's Cocreate-Event-Seq
// as it arrives, then answers 204 after `delay`.
class Receiver {
 public:
  explicit Receiver(std::chrono::milliseconds delay) : delay_(delay) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes the accept
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::vector<int64_t> seqs() {
    std::lock_guard<std::mutex> lock(mu_);
    return seqs_;
  }

 private:
  void Serve() {
    for (;;) {
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      timeval limit{5, 0};  // a client that stalls does not hold up the test's end
      ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      std::string request;
      char buf[4096];
      size_t head_end = std::string::npos;
      size_t want = 0;
      for (;;) {
        ssize_t n = ::read(conn, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        if (head_end == std::string::npos) {
          head_end = request.find("\r\n\r\n");
          if (head_end == std::string::npos) continue;
          size_t at = request.find("Content-Length: ");
          want = head_end + 4 + (at < head_end ? std::stoul(request.substr(at + 16)) : 0);
        }
        if (request.size() >= want) break;
      }
      size_t at = request.find("Cocreate-Event-Seq: ");
      if (at != std::string::npos) {
        std::lock_guard<std::mutex> lock(mu_);
        seqs_.push_back(std::stoll(request.substr(at + 20)));
      }
      std::this_thread::sleep_for(delay_);
      static constexpr std::string_view kAnswer =
          "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
      (void)!::write(conn, kAnswer.data(), kAnswer.size());
      ::close(conn);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::chrono::milliseconds delay_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int64_t> seqs_;
};

// The dispatcher reads the pending heads while an attempt is in flight (a
// new event poked it); the attempt is recorded before the read returns. What
// the read shows for that webhook is stale and must not be sent again.
TEST(WebhookSenderTest, AHeadReadBeforeItsAttemptWasRecordedIsNotSentAgain) {
  Receiver receiver(std::chrono::milliseconds(200));
  StoreOptions store_options;
  store_options.spec = "sqlite::memory:";
  EngineOptions options;
  options.admin_token = "admin-token";
  options.webhooks_allow_private = true;
  auto engine = Engine::Open(std::make_unique<SlowHeadsStore>(
                                 EventStore::Open(store_options).value(),
                                 std::chrono::milliseconds(500)),
                             options)
                    .value();
  auto create = [&](Noun noun, const std::string& body) {
    auto done = engine->Execute(noun == Noun::kOrganization ? Principal::Admin()
                                                            : Principal::Member("a"),
                                DecodeCreate(noun, Json::Parse(body).value()).value());
    return done.ok() ? Status::Ok() : done.status();
  };
  ASSERT_TRUE(create(Noun::kOrganization, R"({"id":"a","name":"a"})").ok());
  ASSERT_TRUE(engine
                  ->Execute(Principal::Member("a"),
                            DecodeRegisterWebhook(Json::Parse(R"({"id":"h","url":")" +
                                                              receiver.url() +
                                                              R"(","events":["*"],"secret":"k"})")
                                                      .value())
                                .value())
                  .ok());
  WebhookSenderOptions sender_options;
  sender_options.allow_private = true;
  WebhookSender sender(*engine, sender_options);
  sender.Start();
  auto wait_for = [&](size_t n) {
    for (int i = 0; i < 500 && receiver.seqs().size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return receiver.seqs().size() >= n;
  };
  const std::string resource = R"({"owner":"a","kind":"vm","name":"x"})";
  ASSERT_TRUE(create(Noun::kResource, resource).ok());
  ASSERT_TRUE(wait_for(1));
  // The first is at the receiver, not yet answered: this one's write pokes
  // the dispatcher, whose read still shows the first as pending.
  ASSERT_TRUE(create(Noun::kResource, resource).ok());
  ASSERT_TRUE(wait_for(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  sender.Stop();
  std::vector<int64_t> seqs = receiver.seqs();
  std::string sent;
  for (int64_t seq : seqs) sent += std::to_string(seq) + " ";
  ASSERT_EQ(seqs.size(), 2u) << "sent: " << sent;
  EXPECT_LT(seqs[0], seqs[1]);
  engine->Stop();
}

}  // namespace
}  // namespace cocreate
