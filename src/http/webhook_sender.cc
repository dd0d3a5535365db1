#include "http/webhook_sender.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <future>
#include <optional>

#include "model/env.h"
#include "model/log.h"
#include "rules/webhooks.h"

namespace cocreate {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsPublic(const net::ip::address& a) {
  if (a.is_v4()) {
    auto bytes = a.to_v4().to_bytes();
    return IsPublicAddress(std::span<const uint8_t>(bytes.data(), bytes.size()));
  }
  auto bytes = a.to_v6().to_bytes();
  return IsPublicAddress(std::span<const uint8_t>(bytes.data(), bytes.size()));
}

std::string ConnectError(const beast::error_code& ec) {
  if (ec == net::error::connection_refused) return "connection refused";
  return "connection failed";
}

// One POST over `Stream` (a tcp_stream, or an ssl_stream over one): a chain
// of asynchronous steps on the caller's io_context, which the caller runs
// until the deadline. Each step fills `result` and stops the chain on error.
template <typename Stream>
class Exchange {
 public:
  Exchange(Stream& stream, tcp::resolver& resolver, const WebhookUrl& url,
           http::request<http::string_body>& request, bool allow_private, PostResult& result,
           bool& done)
      : stream_(stream),
        resolver_(resolver),
        url_(url),
        request_(request),
        allow_private_(allow_private),
        result_(result),
        done_(done) {}

  void Start() {
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [this](beast::error_code ec, tcp::resolver::results_type found) {
                              OnResolve(ec, std::move(found));
                            });
  }

 private:
  void Fail(std::string error) {
    result_.error = std::move(error);
    done_ = true;
  }

  void OnResolve(beast::error_code ec, tcp::resolver::results_type found) {
    if (ec || found.empty()) return Fail("unresolvable host");
    if (!allow_private_) {
      // Every address, as resolved now: a name that once pointed at a public
      // address may point at a private one by the time of delivery.
      for (const auto& entry : found) {
        if (!IsPublic(entry.endpoint().address())) return Fail("unsafe_target");
      }
    }
    beast::get_lowest_layer(stream_).async_connect(
        found, [this](beast::error_code ec, const tcp::endpoint&) { OnConnect(ec); });
  }

  void OnConnect(beast::error_code ec) {
    if (ec) return Fail(ConnectError(ec));
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Write();
    } else {
      stream_.async_handshake(ssl::stream_base::client, [this](beast::error_code ec) {
        if (ec) return Fail("tls handshake failed");
        Write();
      });
    }
  }

  void Write() {
    http::async_write(stream_, request_, [this](beast::error_code ec, size_t) {
      if (ec) return Fail("connection failed");
      parser_.body_limit(64 * 1024);
      http::async_read_header(stream_, buffer_, parser_, [this](beast::error_code ec, size_t) {
        if (ec) return Fail(ec == http::error::end_of_stream ? "connection failed"
                                                             : "invalid answer");
        int status = static_cast<int>(parser_.get().result_int());
        result_.status = status;
        result_.delivered = status >= 200 && status < 300;
        if (!result_.delivered) result_.error = std::to_string(status);
        done_ = true;
      });
    });
  }

  Stream& stream_;
  tcp::resolver& resolver_;
  const WebhookUrl& url_;
  http::request<http::string_body>& request_;
  bool allow_private_;
  PostResult& result_;
  bool& done_;
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
};

}  // namespace

PostResult PostWebhook(const std::string& url, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       int64_t timeout_ms, bool allow_private) {
  PostResult result;
  StatusOr<WebhookUrl> parsed = ParseWebhookUrl(url);
  if (!parsed.ok()) {
    result.error = "invalid url";
    return result;
  }
  const WebhookUrl& u = *parsed;
  http::request<http::string_body> request{http::verb::post, u.target, 11};
  bool default_port = u.port == (u.https ? 443 : 80);
  std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  request.set(http::field::host, default_port ? host : host + ":" + std::to_string(u.port));
  request.set(http::field::user_agent, "cocreate-webhooks");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();

  // Objects are destroyed in reverse order: the io_context last, so a chain
  // cut short by the deadline is abandoned with nothing left running.
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  bool done = false;
  if (u.https) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    stream.set_verify_callback(ssl::host_name_verification(u.host));
    // SNI, so that a shared host answers with the right certificate.
    SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());
    Exchange<beast::ssl_stream<beast::tcp_stream>> exchange(stream, resolver, u, request,
                                                            allow_private, result, done);
    exchange.Start();
    ioc.run_for(std::chrono::milliseconds(timeout_ms));
  } else {
    beast::tcp_stream stream(ioc);
    Exchange<beast::tcp_stream> exchange(stream, resolver, u, request, allow_private, result,
                                         done);
    exchange.Start();
    ioc.run_for(std::chrono::milliseconds(timeout_ms));
  }
  if (!done) {
    result = PostResult{};
    result.error = "timeout";
  }
  return result;
}

Delivery AfterAttempt(Delivery d, const PostResult& r, int64_t now_ms, int64_t retry_window_ms) {
  d.attempts += 1;
  d.last_attempt_ms = now_ms;
  if (r.delivered) {
    d.status = DeliveryStatus::kDelivered;
    d.next_attempt_ms = 0;
    d.last_error.clear();
    return d;
  }
  d.last_error = r.error.empty() ? "failed" : r.error;
  int64_t next = now_ms + RetryDelayMs(d.attempts);
  if (next > d.created_ms + retry_window_ms) {
    d.status = DeliveryStatus::kDead;
    d.next_attempt_ms = 0;
  } else {
    d.status = DeliveryStatus::kPending;
    d.next_attempt_ms = next;
  }
  return d;
}

std::vector<std::pair<std::string, std::string>> DeliveryHeaders(const Delivery& d,
                                                                 const std::string& secret) {
  return {{"Cocreate-Signature", "sha256=" + HmacSha256Hex(secret, d.body)},
          {"Cocreate-Event-Seq", std::to_string(d.seq)},
          {"Cocreate-Webhook", d.webhook}};
}

WebhookSender::WebhookSender(Engine& engine, WebhookSenderOptions options)
    : engine_(engine), options_(options) {
  if (options_.concurrency < 1) options_.concurrency = 1;
}

WebhookSender::~WebhookSender() { Stop(); }

void WebhookSender::Start() {
  engine_.OnDeliveriesWritten([this] { Poke(); });
  dispatcher_ = std::thread([this] { Dispatch(); });
  for (int i = 0; i < options_.concurrency; ++i) workers_.emplace_back([this] { Work(); });
}

void WebhookSender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !dispatcher_.joinable()) return;
    stopping_ = true;
  }
  engine_.OnDeliveriesWritten(nullptr);
  dispatch_cv_.notify_all();
  work_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
}

void WebhookSender::Poke() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poked_ = true;
  }
  dispatch_cv_.notify_one();
}

void WebhookSender::Dispatch() {
  NameThisThread("cc-webhooks");
  bool failing = false;
  for (;;) {
    uint64_t read_after = 0;  // the attempts recorded before this read
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      poked_ = false;
      read_after = attempts_done_;
      last_done_.clear();  // what is there is older than this read
    }
    int64_t now = NowMs();
    int64_t wake = now + 1000;  // at least once a second (other instances' deliveries)
    StatusOr<std::vector<Delivery>> heads = engine_.PendingDeliveries(10000);
    if (!heads.ok()) {
      if (!failing) {
        LogLine("webhook deliveries cannot be read").Add("detail", heads.status().ToString()).Warn();
      }
      failing = true;
    } else {
      failing = false;
      std::lock_guard<std::mutex> lock(mu_);
      for (Delivery& d : *heads) {
        if (busy_.count(d.webhook)) continue;
        // Recorded while this read ran: `d` may be what was just delivered.
        // The worker poked, so the next read shows what is due now.
        if (auto it = last_done_.find(d.webhook); it != last_done_.end() && it->second > read_after)
          continue;
        if (d.next_attempt_ms <= now) {
          busy_.insert(d.webhook);
          queue_.push_back(std::move(d));
        } else {
          wake = std::min(wake, d.next_attempt_ms);
        }
      }
    }
    work_cv_.notify_all();
    std::unique_lock<std::mutex> lock(mu_);
    dispatch_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wake - now, 1)),
                          [this] { return stopping_ || poked_; });
  }
}

void WebhookSender::Work() {
  NameThisThread("cc-webhook");
  for (;;) {
    Delivery d;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // On stop, what no worker has taken yet stays pending in the store.
      if (stopping_) return;
      d = std::move(queue_.front());
      queue_.pop_front();
    }
    Attempt(d);
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_.erase(d.webhook);
      last_done_[d.webhook] = ++attempts_done_;
      poked_ = true;
    }
    dispatch_cv_.notify_one();
  }
}

void WebhookSender::Attempt(const Delivery& d) {
  Engine::ReadMark mark;
  std::optional<Engine::WebhookTarget> target;
  {
    Engine::ReadScope scope(&mark);
    target = engine_.WebhookTargetOf(d.webhook);
  }
  if (mark.seq != 0) {
    // The state read may hold a deletion (or a new URL) still being
    // committed: act on it only once it is durable. If the store refuses
    // it, the delivery stays pending and is tried again.
    std::promise<bool> durable;
    engine_.WhenDurable(mark, [&durable](bool ok) { durable.set_value(ok); });
    if (!durable.get_future().get()) return;
  }
  if (!target) {
    // Deleted (or its organization closed): nothing more goes out.
    Status st = engine_.DropDeliveries(d.webhook);
    if (!st.ok()) LogLine("webhook deliveries not dropped").Add("detail", st.ToString()).Warn();
    return;
  }
  PostResult r = PostWebhook(target->url, d.body, DeliveryHeaders(d, target->secret),
                             options_.timeout_ms, options_.allow_private);
  Delivery next = AfterAttempt(d, r, NowMs(), options_.retry_window_ms);
  Status st = engine_.RecordDelivery(next);
  LogLine line("webhook delivery");
  line.Add("webhook", d.webhook)
      .Add("seq", d.seq)
      .Add("status", DeliveryStatusName(next.status))
      .Add("attempts", next.attempts);
  if (!r.delivered) line.Add("error", r.error);
  if (!st.ok()) {
    // Still pending in the store, so it is sent again: at least once.
    line.Add("record_error", st.ToString()).Warn();
  } else if (r.delivered) {
    line.Debug();
  } else {
    line.Info();
  }
}

}  // namespace cocreate
