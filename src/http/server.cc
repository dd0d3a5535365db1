#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <limits>
#include <chrono>
#include <thread>
#include <vector>

namespace cocreate {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Shared {
  Router* router;
  HttpCounters* counters;
  Engine* engine;
  const ServerOptions* options;
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> stopping{false};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {
    shared_.counters->connections++;
  }
  ~Session() { shared_.counters->connections--; }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Answers 503 and closes: the server is over its connection cap.
  void Refuse() {
    auto res = std::make_shared<http::response<http::string_body>>(http::status::service_unavailable, 11);
    res->set(http::field::content_type, "application/json");
    res->set(http::field::retry_after, "1");
    res->set(http::field::connection, "close");
    res->body() = R"({"error":{"code":"unavailable","message":"too many connections; retry"}})";
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code, size_t) {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    });
  }

 private:
  void ReadHeader() {
    if (shared_.stopping) return Close();
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    // Beast would refuse a too-large Content-Length while parsing the header,
    // before we can answer 413; the limit is set once the header is in.
    // (Not boost::none: Beast 1.74 compares Content-Length against an empty
    // optional as "over the limit".)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(std::chrono::seconds(shared_.options->request_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return Close();
    auto& req = parser_->get();
    auto length = parser_->content_length();
    if (length && *length > shared_.options->max_body_bytes) {
      keep_alive_ = false;
      unread_body_ = true;
      return Dispatch(true);
    }
    parser_->body_limit(shared_.options->max_body_bytes);
    if (req[http::field::expect] == "100-continue") {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec2, size_t) {
                          if (ec2) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::body_limit) {
                         self->keep_alive_ = false;
                         self->unread_body_ = true;
                         return self->Dispatch(true);
                       }
                       if (ec) return self->Close();
                       self->Dispatch(false);
                     });
  }

  void Dispatch(bool too_large) {
    auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.content_type = std::string(req[http::field::content_type]);
    request.accept = std::string(req[http::field::accept]);
    request.last_event_id = std::string(req["Last-Event-ID"]);
    request.body_too_large = too_large;
    if (!too_large) request.body = std::move(req.body());
    if (too_large) keep_alive_ = false;
    else keep_alive_ = req.keep_alive();
    version_ = req.version();
    shared_.in_flight++;
    shared_.counters->requests++;
    stream_.expires_never();
    shared_.router->Handle(request, [self = shared_from_this()](HttpResponse response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable {
                   self->Respond(std::move(response));
                 });
    });
  }

  void Respond(HttpResponse response) {
    int status_class = response.status / 100;
    if (status_class >= 1 && status_class <= 5) shared_.counters->by_class[status_class]++;
    if (response.stream_events) return StartStream(std::move(response));
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version_);
    res->set(http::field::server, "cocreate");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    for (const auto& [k, v] : response.headers) res->set(k, v);
    res->keep_alive(keep_alive_ && !shared_.stopping);
    res->body() = std::move(response.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(shared_.options->request_timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        self->shared_.in_flight--;
                        if (!ec && self->unread_body_) return self->LingerClose();
                        if (ec || !res->keep_alive()) return self->Close();
                        self->ReadHeader();
                      });
  }

  // Server-Sent Events: a header, then an `id:/event:/data:` frame per event,
  // polled from the engine every 100 ms, and a comment every 15 s to keep
  // proxies from timing out.
  void StartStream(HttpResponse response) {
    shared_.in_flight--;
    principal_ = response.principal;
    stream_after_ = response.stream_after;
    shared_.counters->streams++;
    streaming_ = true;
    auto head = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "Connection: close\r\nX-Accel-Buffering: no\r\n\r\n: cocreate event stream\n\n");
    stream_.expires_never();
    asio::async_write(stream_.socket(), asio::buffer(*head),
                      [self = shared_from_this(), head](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->PollStream();
                      });
  }

  void PollStream() {
    if (shared_.stopping) return Close();
    std::string frames;
    if (shared_.engine->last_seq() > stream_after_) {
      for (auto& [seq, json] : shared_.engine->EventsFrom(principal_, stream_after_, 500)) {
        frames += "id: " + std::to_string(seq) + "\nevent: event\ndata: " + json + "\n\n";
        stream_after_ = seq;
      }
      // Events the caller may not see still advance the cursor.
      if (frames.empty()) stream_after_ = shared_.engine->last_seq();
    }
    auto now = std::chrono::steady_clock::now();
    if (frames.empty() && now - last_write_ > std::chrono::seconds(15)) frames = ": keep-alive\n\n";
    if (frames.empty()) return WaitStream();
    last_write_ = now;
    auto data = std::make_shared<std::string>(std::move(frames));
    asio::async_write(stream_.socket(), asio::buffer(*data),
                      [self = shared_from_this(), data](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->WaitStream();
                      });
  }

  void WaitStream() {
    if (!timer_) timer_.emplace(stream_.get_executor());
    timer_->expires_after(std::chrono::milliseconds(100));
    timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Close();
      self->PollStream();
    });
  }

  // After refusing a body the client is still sending: stop writing, then
  // read and discard what arrives (for at most 5 s) so that closing does not
  // reset the connection before the client has read the answer.
  void LingerClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));
    Drain();
  }

  void Drain() {
    if (!discard_) discard_ = std::make_unique<char[]>(kDiscardSize);
    stream_.async_read_some(asio::buffer(discard_.get(), kDiscardSize),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    if (streaming_) {
      streaming_ = false;
      shared_.counters->streams--;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Shared& shared_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool streaming_ = false;
  bool unread_body_ = false;
  static constexpr size_t kDiscardSize = 64 * 1024;
  std::unique_ptr<char[]> discard_;
  Principal principal_;
  int64_t stream_after_ = 0;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  std::optional<asio::steady_timer> timer_;
};

class Listener {
 public:
  Listener(asio::io_context& ioc, tcp::acceptor& acceptor, Shared& shared)
      : ioc_(ioc), acceptor_(acceptor), shared_(shared) {}

  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        return Accept();
      }
      s.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(s), shared_);
      if (static_cast<size_t>(shared_.counters->connections.load()) >
          shared_.options->max_connections) {
        shared_.counters->connections_refused++;
        session->Refuse();
      } else {
        session->Start();
      }
      Accept();
    });
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor& acceptor_;
  Shared& shared_;
};

}  // namespace

Status Serve(Engine& engine, const ServerOptions& options) {
  int threads = options.threads > 0 ? options.threads
                                    : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(threads);
  HttpCounters counters;
  Router router(engine, counters, options.max_body_bytes, options.web_dir);
  Shared shared{&router, &counters, &engine, &options};

  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return Unavailable("bad listen address '" + options.host + "': " + ec.message());
  tcp::acceptor acceptor(ioc);
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                       ": " + ec.message());
  }
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());

  Listener listener(ioc, acceptor, shared);
  listener.Accept();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> wait_drained = [&] {
    if (shared.in_flight.load() == 0 || std::chrono::steady_clock::now() > deadline) {
      ioc.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](beast::error_code) { wait_drained(); });
  };
  signals.async_wait([&](beast::error_code, int) {
    shared.stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    wait_drained();
  });

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return Status::Ok();
}

}  // namespace cocreate
