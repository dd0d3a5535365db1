#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/range/iterator_range.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "http/response_text.h"
#include "model/env.h"
#include "model/log.h"

namespace cocreate {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A fresh request id: 16 hex digits. Ids name log lines; they are not secrets.
std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  uint64_t bits = random();
  std::string id(16, '0');
  for (char& c : id) {
    c = kDigits[bits & 15];
    bits >>= 4;
  }
  return id;
}

// Why a request's framing cannot be trusted (RFC 9112 §6.3, and §3.2 for
// Host), or nothing.
// We accept exactly one transfer coding, `chunked`, and never together with
// Content-Length: anything else could make us and a proxy in front of us
// disagree about where the body ends.
std::optional<std::string> FramingError(const http::request_header<>& req) {
  std::string codings;
  bool has_te = false;
  auto encodings = req.equal_range(http::field::transfer_encoding);
  for (const auto& f : boost::make_iterator_range(encodings)) {
    has_te = true;
    codings += std::string(f.value()) + ",";
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is a 400.
  auto hosts = req.equal_range(http::field::host);
  size_t host_count = static_cast<size_t>(std::distance(hosts.first, hosts.second));
  if (req.version() >= 11 && host_count != 1) {
    return host_count == 0 ? "an HTTP/1.1 request needs a Host header"
                           : "a request may have only one Host header";
  }
  // Two credentials: one layer (a proxy, a log) may read one and this
  // server the other.
  auto auths = req.equal_range(http::field::authorization);
  if (std::distance(auths.first, auths.second) > 1) {
    return "a request may have only one Authorization header";
  }
  auto lengths = req.equal_range(http::field::content_length);
  size_t length_count = static_cast<size_t>(std::distance(lengths.first, lengths.second));
  if (has_te && length_count > 0) {
    return "a request may not have both Transfer-Encoding and Content-Length";
  }
  if (length_count > 1) return "a request may have only one Content-Length";
  if (!has_te) return std::nullopt;
  std::vector<std::string> list;
  std::string item;
  for (char c : codings) {
    if (c == ',') {
      if (!item.empty()) list.push_back(item);
      item.clear();
    } else if (c != ' ' && c != '\t') {
      item.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (list.size() != 1 || list[0] != "chunked") {
    return "the only Transfer-Encoding this server accepts is chunked";
  }
  return std::nullopt;
}

// True for errors in what the client sent (as opposed to the connection
// closing or timing out): those are answered 400 before closing.
bool IsParseError(beast::error_code ec) {
  static const auto& kHttpCategory = http::make_error_code(http::error::bad_field).category();
  return ec.category() == kHttpCategory && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

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
  Session(tcp::socket socket, Shared& shared, Listener listener)
      : stream_(std::move(socket)), shared_(shared), listener_(listener) {
    shared_.counters->connections++;
  }
  ~Session() { shared_.counters->connections--; }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Answers 503 and closes: the server is over its connection cap.
  void Refuse() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->RefuseHere(); });
  }

 private:
  void RefuseHere() {
    BeginRequest("", "");
    auto res = std::make_shared<http::response<http::string_body>>(http::status::service_unavailable, 11);
    res->set(http::field::content_type, "application/json");
    res->set(http::field::retry_after, "1");
    res->set(http::field::connection, "close");
    res->set("Request-Id", request_id_);
    res->body() = Router::ErrorBody(
        Status(Code::kUnavailable, "too_many_connections", "too many connections; retry"),
        request_id_);
    res->prepare_payload();
    LogLine("request").Add("request_id", request_id_).Add("status", 503)
        .Add("detail", "refused: over the connection cap").Warn();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code, size_t) {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    });
  }

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
    if (ec) {
      if (IsParseError(ec)) {
        return RejectFraming("the request is not valid HTTP/1.1: " + ec.message());
      }
      return Close();
    }
    // A request that arrives once the server is stopping is not started:
    // the drain may already have seen nothing in flight.
    if (shared_.stopping) return Close();
    auto& req = parser_->get();
    if (auto why = FramingError(req.base())) return RejectFraming(*why);
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
                       if (ec && IsParseError(ec)) {
                         return self->RejectFraming("the request body is not valid HTTP/1.1 "
                                                    "framing: " + ec.message());
                       }
                       if (ec) return self->Close();
                       self->Dispatch(false);
                     });
  }

  // Starts the clock and names the request for its log line and answer.
  void BeginRequest(std::string method, std::string target) {
    request_id_ = NewRequestId();
    started_ = std::chrono::steady_clock::now();
    method_ = std::move(method);
    target_ = std::move(target);
  }

  // Answers 400 and closes: after a framing error nothing that follows on
  // the connection can be trusted to be a request of its own.
  void RejectFraming(std::string why) {
    const auto& req = parser_->get();
    BeginRequest(std::string(req.method_string()), std::string(req.target()));
    head_ = false;
    keep_alive_ = false;
    unread_body_ = true;
    shared_.in_flight++;
    shared_.counters->requests++;
    stream_.expires_never();
    Respond(Router::Error(Status(Code::kInvalidArgument, "bad_request", std::move(why))));
  }

  void Dispatch(bool too_large) {
    auto& req = parser_->get();
    BeginRequest(std::string(req.method_string()), std::string(req.target()));
    // HEAD is answered as GET without the body.
    head_ = req.method() == http::verb::head;
    HttpRequest request;
    request.method = head_ ? "GET" : std::string(req.method_string());
    request.listener = listener_;
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    stream_token_ = std::string(BearerToken(request.authorization));
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
    if (!response.error.ok()) {
      response.body = response.tmf_error
                          ? Router::TmfErrorBody(response.error, response.status, request_id_)
                          : Router::ErrorBody(response.error, request_id_);
    }
    LogRequest(response);
    if (response.stream_events && !head_) return StartStream(std::move(response));
    ResponseText head(response.status, version_);
    head.Set("Server", "cocreate");
    head.Set("Content-Type", response.content_type);
    head.Set("Cache-Control", "no-store");
    head.Set("Request-Id", request_id_);
    for (const auto& [k, v] : response.headers) head.Set(k, v);
    const bool keep_alive = keep_alive_ && !shared_.stopping;
    // The head and the body go out in one write (one sendmsg of two
    // buffers); the body is moved, never copied. A HEAD answer keeps the
    // Content-Length of the GET answer.
    auto out = std::make_shared<std::pair<std::string, std::string>>(
        head.Head(response.body.size(), keep_alive), std::string());
    if (head.SendsBody(head_)) out->second = std::move(response.body);
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(out->first),
                                                       asio::buffer(out->second)};
    stream_.expires_after(std::chrono::seconds(shared_.options->request_timeout_seconds));
    asio::async_write(stream_, buffers,
                      [self = shared_from_this(), out, keep_alive](beast::error_code ec, size_t) {
                        self->shared_.in_flight--;
                        if (!ec && self->unread_body_) return self->LingerClose();
                        if (ec || !keep_alive) return self->Close();
                        self->ReadHeader();
                      });
  }

  // One line per answered request. Never the token, the query or a body:
  // the route pattern when one matched, else the path.
  void LogRequest(const HttpResponse& response) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                         started_).count();
    std::string_view route = response.route;
    if (route.empty()) route = std::string_view(target_).substr(0, target_.find('?'));
    LogLine line("request");
    line.Add("request_id", request_id_)
        .Add("method", method_)
        .Add("route", route)
        .Add("status", response.status)
        .Add("duration_ms", std::round(ms * 1000) / 1000);
    if (response.who.empty()) {
      line.AddNull("principal");
    } else {
      line.Add("principal", response.who).Add("role", response.role);
    }
    if (response.status >= 500 && !response.error.ok()) {
      line.Add("error", response.error.reason()).Add("detail", response.error.message());
      return line.Error();
    }
    line.Batched().Info();
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
        "Request-Id: " + request_id_ + "\r\n"
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
    if (shared_.engine->last_seq() <= stream_after_) return SendStream("", Engine::ReadMark{});
    // Reading the log may wait for the store: that happens on a long-reads
    // thread (Router::Offload), with copies of what it needs, and the frames
    // come back to this connection's thread.
    shared_.router->Offload([self = shared_from_this(), engine = shared_.engine,
                             token = stream_token_, principal = principal_,
                             after = stream_after_] {
      std::string frames;
      // Visibility is judged against the state, which may hold rounds still
      // being committed: the frames wait for them (Engine::WhenDurable).
      Engine::ReadMark mark;
      int64_t examined_to = after;
      bool revoked = false;
      {
        Engine::ReadScope scope(&mark);
        // A token revoked (or expired) while its stream is open ends it.
        revoked = !engine->Authenticate(token).ok();
        // The cursor moves to the last event examined, hidden ones included:
        // an event committed after the scan is found by the next one.
        auto events = revoked ? StatusOr<std::vector<std::pair<int64_t, std::string>>>(
                                    std::vector<std::pair<int64_t, std::string>>{})
                              : engine->EventsFrom(principal, after, 500, 20000, &examined_to);
        // A store out of reach: try again at the next poll, from the same place.
        if (events.ok()) {
          for (auto& [seq, json] : *events) {
            frames += "id: " + std::to_string(seq) + "\nevent: event\ndata: " + json + "\n\n";
          }
        } else {
          examined_to = after;
        }
      }
      asio::post(self->stream_.get_executor(), [self, frames = std::move(frames), mark,
                                                examined_to, revoked]() mutable {
        if (revoked) return self->Close();
        self->stream_after_ = examined_to;
        self->SendStream(std::move(frames), mark);
      });
    });
  }

  // Writes `frames` (or a keep-alive comment when the stream has been quiet
  // for 15 s) once what `mark` saw is durable, then waits for the next poll.
  void SendStream(std::string frames, const Engine::ReadMark& mark) {
    auto now = std::chrono::steady_clock::now();
    if (frames.empty() && now - last_write_ > std::chrono::seconds(15)) frames = ": keep-alive\n\n";
    if (frames.empty()) return WaitStream();
    last_write_ = now;
    auto data = std::make_shared<std::string>(std::move(frames));
    if (mark.seq != 0) {
      shared_.engine->WhenDurable(mark, [self = shared_from_this(), data](bool durable) {
        asio::post(self->stream_.get_executor(), [self, data, durable] {
          if (!durable) return self->Close();  // it saw a round the store refused
          self->WriteStream(data);
        });
      });
      return;
    }
    WriteStream(data);
  }

  void WriteStream(std::shared_ptr<std::string> data) {
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
  Listener listener_;
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
  std::string method_;
  std::string target_;
  bool head_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool streaming_ = false;
  bool unread_body_ = false;
  static constexpr size_t kDiscardSize = 64 * 1024;
  std::unique_ptr<char[]> discard_;
  Principal principal_;
  std::string stream_token_;  // the bearer token of the latest request
  int64_t stream_after_ = 0;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  std::optional<asio::steady_timer> timer_;
};

// Accepts on the control context and hands each connection to the next
// HTTP context in turn: a connection lives on one thread, so its handlers
// need no strand, and answers posted to it from the engine's threads wake
// that thread at most once per batch.
class Acceptor {
 public:
  Acceptor(std::vector<std::unique_ptr<asio::io_context>>& contexts, tcp::acceptor& acceptor,
           Shared& shared, Listener kind)
      : contexts_(contexts), acceptor_(acceptor), shared_(shared), kind_(kind) {}

  void Accept() {
    asio::io_context& target = *contexts_[next_++ % contexts_.size()];
    acceptor_.async_accept(target, [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        return Accept();
      }
      s.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(s), shared_, kind_);
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
  std::vector<std::unique_ptr<asio::io_context>>& contexts_;
  tcp::acceptor& acceptor_;
  Shared& shared_;
  Listener kind_;
  size_t next_ = 0;
};

// Opens, binds and listens; Unavailable with the reason when it cannot.
Status Listen(tcp::acceptor& acceptor, const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Unavailable("bad listen address '" + host + "': " + ec.message());
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                       ec.message());
  }
  return Status::Ok();
}

}  // namespace

Status Serve(Engine& engine, const ServerOptions& options) {
  int threads = options.threads > 0 ? options.threads
                                    : std::max(1u, std::thread::hardware_concurrency());
  // Declared before the io_context, so they outlive it: sessions its
  // destructor drops (answers queued by the engine's stop, idle reads) count
  // themselves out of `counters`.
  HttpCounters counters;
  Router router(engine, counters, options.max_body_bytes, options.web_dir);
  Shared shared{&router, &counters, &engine, &options};
  // One single-threaded io_context per HTTP thread (see Acceptor), and one
  // on the main thread for the listeners, the signals and the drain timer:
  // a request that holds up its HTTP thread never delays accepting or
  // stopping.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    keep_running.push_back(asio::make_work_guard(*contexts.back()));
  }
  asio::io_context control(1);
  // Reads that may compute for long (Router::MayTakeLong) run on threads of
  // their own: on a connection's thread they would hold up every other
  // connection of that thread. Declared after the contexts, so the tasks it
  // still holds at the end (and their sessions) go first.
  asio::io_context long_reads(threads);
  auto long_reads_guard = asio::make_work_guard(long_reads);
  router.SetOffload([&long_reads](Router::Task task) { asio::post(long_reads, std::move(task)); });

  tcp::acceptor acceptor(control);
  CC_RETURN_IF_ERROR(Listen(acceptor, options.host, options.port));
  tcp::acceptor metrics_acceptor(control);
  if (!options.metrics_host.empty()) {
    CC_RETURN_IF_ERROR(Listen(metrics_acceptor, options.metrics_host, options.metrics_port));
  }
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());

  Acceptor api(contexts, acceptor, shared, Listener::kApi);
  api.Accept();
  std::optional<Acceptor> metrics;
  if (metrics_acceptor.is_open()) {
    metrics.emplace(contexts, metrics_acceptor, shared, Listener::kMetrics);
    metrics->Accept();
  }

  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::steady_timer drain(control);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> wait_drained = [&] {
    if (shared.in_flight.load() == 0 || std::chrono::steady_clock::now() > deadline) {
      for (auto& context : contexts) context->stop();
      control.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](beast::error_code) { wait_drained(); });
  };
  signals.async_wait([&](beast::error_code, int) {
    shared.stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    metrics_acceptor.close(ignored);
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    wait_drained();
  });

  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([context = contexts[i].get()] {
      NameThisThread("cc-http");
      context->run();
    });
  }
  std::vector<std::thread> long_pool;
  for (int i = 0; i < threads; ++i) {
    long_pool.emplace_back([&long_reads] {
      NameThisThread("cc-long-reads");
      long_reads.run();
    });
  }
  control.run();
  for (auto& t : pool) t.join();
  long_reads.stop();
  for (auto& t : long_pool) t.join();
  // Answers the engine still holds (a write in its last round) hold their
  // sessions; stopping it lets go of them while their io_context lives, so
  // no session is destroyed on an engine thread after the io_context is.
  engine.Stop();
  return Status::Ok();
}

}  // namespace cocreate
