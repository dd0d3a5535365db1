// Router: the HTTP API of CONTRACT §3, independent of the network code.
// It turns a parsed request into a response, checking in the contract's
// order: 401 (token), 413 (size), 415 (content type), 400 (JSON and fields),
// then the engine's 404/403/409/422.
#ifndef COCREATE_HTTP_ROUTER_H_
#define COCREATE_HTTP_ROUTER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "http/static_files.h"
#include "tmf/tmf.h"

namespace cocreate {

// Which listener a request came in on: the API address, or the separate
// --metrics-listen address (which serves /metrics without a token, /healthz,
// and nothing else).
enum class Listener { kApi, kMetrics };

struct HttpRequest {
  std::string method;  // "GET", "POST", ... (HEAD arrives here as GET)
  std::string target;  // path and query, as sent
  std::string authorization;
  std::string content_type;
  std::string accept;
  std::string last_event_id;
  std::string body;
  bool body_too_large = false;  // the server refused to read a body over the limit
  Listener listener = Listener::kApi;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for GET /events/stream: the server streams events to `principal`
  // starting after seq `stream_after` instead of sending `body`.
  bool stream_events = false;
  Principal principal;
  int64_t stream_after = 0;
  // Set on error answers (Router::Error): the server renders the body again
  // with the request id, and logs the message of a 500/503, which the client
  // never sees.
  Status error;
  // The error body is TMF630's Error shape (a /tmf-api answer).
  bool tmf_error = false;
  // For the request log: the route pattern that matched (empty: none did)
  // and who asked ("admin", an organization id; empty: nobody known).
  std::string route;
  std::string who;
  std::string role;
};

// Counters the server and router keep for /metrics.
struct HttpCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> by_class[6] = {};  // index: status / 100
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<int64_t> streams{0};
};

// One route of the API: method and path pattern under /api/v1 (segments in
// braces match any one segment).
struct RouteInfo {
  std::string method;
  std::string pattern;
  // Filled by Router::Routes() (for the OpenAPI document's tests): the query
  // parameters the route takes, and whether it reads a JSON body.
  std::vector<std::string> query;
  bool takes_body = false;
};

class Router {
 public:
  using Reply = std::function<void(HttpResponse)>;
  // `web_dir`, when not empty, serves the web UI from that folder instead of
  // the files embedded at build time.
  Router(Engine& engine, HttpCounters& counters, size_t max_body_bytes,
         std::string web_dir = "");

  // Answers `request` by calling `reply` exactly once, possibly on another
  // thread (writes answer once they are durable).
  void Handle(const HttpRequest& request, Reply reply);
  // Requests that may compute for long (see MayTakeLong) are handed to
  // `offload`, which runs the task on another thread, so that they do not
  // hold up the other connections of the thread that read them. Without
  // it, every request is handled on the calling thread. Set before serving.
  using Task = std::function<void()>;
  void SetOffload(std::function<void(Task)> offload) { offload_ = std::move(offload); }
  // Runs `task` where SetOffload said, or here without an offload.
  void Offload(Task task) {
    if (offload_) return offload_(std::move(task));
    task();
  }
  // True for the reads whose work grows with the graph or the log rather
  // than with the answer's page, or that read the store: impact, chains,
  // cycles, the organization graph, concentration, lineage, the event log
  // and a webhook's deliveries.
  static bool MayTakeLong(std::string_view method, std::string_view target);
  // Handle for an already authenticated principal (in-process callers such
  // as the demo loader); /api/v1 routes only.
  void HandleAs(const Principal& principal, const HttpRequest& request, Reply reply);

  // Every API route the router serves (for the OpenAPI completeness test).
  std::vector<RouteInfo> Routes() const;

  // An error answer in the contract's shape. 500 and 503 answers carry a
  // stable message only; `status.message()` stays in `error` for the log.
  static HttpResponse Error(const Status& status);
  // The body of an error answer: {"error": {"code", "message", "field"?,
  // "request_id"?}}, `request_id` when not empty.
  static std::string ErrorBody(const Status& status, std::string_view request_id);
  // The same in TMF630's shape: {"@type": "Error", "code", "reason",
  // "message", "status", "field"?, "request_id"?}.
  static std::string TmfErrorBody(const Status& status, int http_status,
                                  std::string_view request_id);

 private:
  // Handle, on this thread.
  void HandleHere(const HttpRequest& request, Reply reply);
  // Handle without the durability fence.
  void Dispatch(const HttpRequest& request, Reply reply);
  struct Params {
    std::vector<std::string> path;  // the values of the pattern's {..} segments
    std::map<std::string, std::string> query;
  };
  using Handler = std::function<void(const Principal&, const HttpRequest&, const Params&,
                                     const Json* body, Reply&)>;
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;
    bool takes_body = false;
    Handler handler;
    // The query parameters the route takes; any other is 400.
    std::vector<std::string> query;
    // Set for a create the rules can read straight from the body's text
    // (DecodeProvisionText): tried before a tree is built; when it gives
    // nothing, the body is parsed and `handler` called as for any route.
    std::function<std::optional<Command>(std::string_view)> from_text;
  };
  void Add(std::string method, std::string pattern, bool takes_body, Handler handler);
  void AddNoun(Noun noun);
  void AddRelationshipManagement();
  // The pattern of the route `path` (below /api/v1) names, whatever the
  // method; "/{unknown}" when none does. For the log, which never holds ids
  // of requests that were not authenticated.
  std::string PatternOf(std::string_view path) const;
  // Declares the query parameters of the route `method` `pattern`.
  void TakesQuery(std::string_view method, std::string_view pattern,
                  std::vector<std::string> keys);
  // Hands the command to the engine; `reply` is moved into its callback
  // (a handler's last use of it).
  void Submit(const Principal& p, StatusOr<Command> command, Reply& reply);
  std::string Metrics() const;
  void HandleMetrics(const HttpRequest& request, Reply reply);
  // /tmf-api/...: the TM Forum Open APIs (tmf/tmf.h).
  void HandleTmf(const HttpRequest& request, Reply reply);
  // The checks every request with a body goes through, in the contract's
  // order: 503 (store out of reach), 413, 415, then (when `parse`) the JSON
  // itself (400). The parsed body, or nothing when there is none.
  StatusOr<std::optional<Json>> ReadBody(const HttpRequest& request, bool parse) const;

  Engine& engine_;
  HttpCounters& counters_;
  size_t max_body_bytes_;
  StaticFiles web_;
  tmf::Api tmf_;
  std::vector<Route> routes_;
  std::function<void(Task)> offload_;
};

// The token of an `Authorization: Bearer TOKEN` header; empty when there is none.
std::string_view BearerToken(std::string_view authorization);

// The OpenAPI 3 document of the API, as JSON text.
const std::string& OpenApiDocument();

}  // namespace cocreate

#endif  // COCREATE_HTTP_ROUTER_H_
