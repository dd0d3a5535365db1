// The HTTP limit on this machine: a bare Boost.Beast HTTP/1.1 server that does
// for each POST what cocreate's front end must do at least, and nothing else.
// It reads the request, parses the body with simdjson On-Demand (every field
// visited, so the parse is not skipped), writes a small JSON answer with
// RapidJSON's Writer and sends 201. No authentication, no rules, no storage.
// Invalid JSON is a 400; a GET is a 200 (a readiness probe); anything else a 405.
//
//   http_limit --listen HOST:PORT [--threads N]
//
// Each thread runs its own io_context; one acceptor hands the accepted
// connections to them in turn, so a connection stays on one thread and no
// strand or lock is needed. Runs until SIGINT or SIGTERM.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace od = simdjson::ondemand;

// Linux clamps this to net.core.somaxconn.
constexpr int kBacklog = 4096;

void Die(const std::string& what) {
  std::fprintf(stderr, "http_limit: %s\n", what.c_str());
  std::exit(1);
}

// What a parse took in: enough to answer with. Every value is read with its
// error checked, and the errors decide between 201 and 400, so the walk is
// real work the compiler cannot drop.
struct Seen {
  std::string relationship;
  std::string action;
  int64_t values = 0;
};

// Visits `value` and everything inside it. Returns the first error.
simdjson::error_code Walk(od::value value, Seen& seen, std::string_view key, int depth) {
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  seen.values++;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto err = value.get_object().get(object)) return err;
      for (auto field : object) {
        std::string_view name;
        if (auto err = field.unescaped_key().get(name)) return err;
        if (auto err = Walk(field.value(), seen, name, depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto err = value.get_array().get(array)) return err;
      for (auto element : array) {
        od::value item;
        if (auto err = element.get(item)) return err;
        if (auto err = Walk(item, seen, "", depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      if (auto err = value.get_string().get(text)) return err;
      if (depth == 1 && key == "relationship") seen.relationship = text;
      if (depth == 1 && key == "action") seen.action = text;
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double number;
      return value.get_double().get(number);
    }
    case od::json_type::boolean: {
      bool flag;
      return value.get_bool().get(flag);
    }
    case od::json_type::null: {
      bool is_null;
      if (auto err = value.is_null().get(is_null)) return err;
      return is_null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// Parses `body` as one JSON object. False when it is not valid JSON or not an
// object, or has anything after it.
bool Parse(const std::string& body, Seen& seen) {
  thread_local od::parser parser;
  simdjson::padded_string padded(body);  // as src/model/json.cc does
  od::document doc;
  if (parser.iterate(padded).get(doc)) return false;
  od::object object;
  if (doc.get_object().get(object)) return false;
  for (auto field : object) {
    std::string_view name;
    if (field.unescaped_key().get(name)) return false;
    if (Walk(field.value(), seen, name, 1)) return false;
  }
  // At the end of the document there is no current location (as in
  // src/model/json.cc); anything else is trailing content.
  return doc.current_location().error() != simdjson::SUCCESS;
}

// The 201 answer: a made-up id and what was asked for.
std::string Created(const Seen& seen, uint64_t id) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("id");
  std::string name = "prov-" + std::to_string(id);
  w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.Key("relationship");
  w.String(seen.relationship.data(), static_cast<rapidjson::SizeType>(seen.relationship.size()));
  w.Key("action");
  w.String(seen.action.data(), static_cast<rapidjson::SizeType>(seen.action.size()));
  w.Key("values");
  w.Int64(seen.values);
  w.EndObject();
  return std::string(out.GetString(), out.GetSize());
}

std::string Error(std::string_view reason) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("error");
  w.String(reason.data(), static_cast<rapidjson::SizeType>(reason.size()));
  w.EndObject();
  return std::string(out.GetString(), out.GetSize());
}

// One connection: read a request, answer it, repeat while keep-alive holds.
// Runs on one io_context thread only.
class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

  // Starts reading on the connection's own thread.
  void Start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    request_ = {};
    http::async_read(socket_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Answer();
                     });
  }

  void Answer() {
    thread_local uint64_t next_id = 0;
    response_ = {};
    response_.version(request_.version());
    response_.set(http::field::server, "http_limit");
    response_.set(http::field::content_type, "application/json");
    if (request_.method() == http::verb::post) {
      Seen seen;
      if (Parse(request_.body(), seen)) {
        response_.result(http::status::created);
        response_.body() = Created(seen, ++next_id);
      } else {
        response_.result(http::status::bad_request);
        response_.body() = Error("the body is not a valid JSON object");
      }
    } else if (request_.method() == http::verb::get) {
      response_.result(http::status::ok);
      response_.body() = R"({"status":"ok"})";
    } else {
      response_.result(http::status::method_not_allowed);
      response_.body() = Error("only POST and GET");
    }
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(socket_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec || !self->response_.keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

// Accepts on the first io_context and places each connection on the next
// one in turn.
class Acceptor {
 public:
  Acceptor(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& contexts)
      : acceptor_(acceptor), contexts_(contexts) {}

  void Accept() {
    asio::io_context& target = *contexts_[next_++ % contexts_.size()];
    acceptor_.async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket))->Start();
      }
      Accept();
    });
  }

 private:
  tcp::acceptor& acceptor_;
  std::vector<std::unique_ptr<asio::io_context>>& contexts_;
  size_t next_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bare HTTP + JSON limit for the ingest benchmark"};
  std::string listen;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  app.add_option("--listen", listen, "HOST:PORT to listen on")->required();
  app.add_option("--threads", threads, "io_context threads (default: one per core)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  auto colon = listen.rfind(':');
  if (colon == std::string::npos) Die("--listen wants HOST:PORT, not '" + listen + "'");
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port <= 0 || port > 65535) Die("bad port in '" + listen + "'");

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  for (auto& c : contexts) work.push_back(asio::make_work_guard(*c));

  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) Die("bad listen address '" + host + "': " + ec.message());
  tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  tcp::acceptor acceptor(*contexts[0]);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(kBacklog, ec);
  if (ec) Die("cannot listen on " + listen + ": " + ec.message());

  Acceptor accept(acceptor, contexts);
  accept.Accept();

  asio::signal_set signals(*contexts[0], SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    for (auto& c : contexts) c->stop();
  });

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&contexts, i] { contexts[i]->run(); });
  contexts[0]->run();
  for (auto& t : pool) t.join();
  return 0;
}
