#include "http/router.h"

#include <algorithm>
#include <cassert>
#include <charconv>

#include <fmt/format.h>

#include "http/target.h"
#include "import/import.h"
#include "rules/webhooks.h"

namespace cocreate {

namespace {

// Reads an integer query parameter in [min, max]; `fallback` when absent.
StatusOr<int64_t> IntParam(const std::map<std::string, std::string>& q, const std::string& key,
                           int64_t fallback, int64_t min, int64_t max) {
  auto it = q.find(key);
  if (it == q.end()) return fallback;
  int64_t v = 0;
  const char* first = it->second.data();
  const char* last = first + it->second.size();
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last || v < min || v > max) {
    return InvalidField(key, fmt::format("'{}' must be a whole number from {} to {}", key, min, max));
  }
  return v;
}

// The page a list asks for: `limit` 0-1000 (default 100) and `offset`.
StatusOr<ListQuery> PageParams(const std::map<std::string, std::string>& q) {
  ListQuery page;
  CC_ASSIGN_OR_RETURN(page.limit, IntParam(q, "limit", 100, 0, 1000));
  CC_ASSIGN_OR_RETURN(page.offset, IntParam(q, "offset", 0, 0, INT64_MAX / 2));
  return page;
}

StatusOr<bool> BoolParam(const std::map<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty() || it->second == "false" || it->second == "0") {
    return false;
  }
  if (it->second == "true" || it->second == "1") return true;
  return InvalidField(key, "'" + key + "' must be true or false (or 1 or 0)");
}

// `from` and `to` (RFC 3339, both included) of a period question.
StatusOr<TimeWindow> WindowParams(const std::map<std::string, std::string>& q) {
  TimeWindow window;
  for (const char* key : {"from", "to"}) {
    auto it = q.find(key);
    if (it == q.end()) continue;
    auto ms = UnixMillis(it->second);
    if (!ms) {
      return InvalidField(key, fmt::format("'{}' must be an RFC 3339 time, e.g. "
                                           "2026-01-01T00:00:00Z", key));
    }
    (std::string_view(key) == "from" ? window.from : window.to) = *ms;
  }
  if (window.from && window.to && *window.from > *window.to) {
    return InvalidField("to", "'to' must not come before 'from'");
  }
  return window;
}

HttpResponse Json200(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

void ReplyWith(Router::Reply& reply, StatusOr<std::string> body) {
  reply(body.ok() ? Json200(std::move(body).value()) : Router::Error(body.status()));
}

// application/json, and for PATCH (RFC 7396 merge patches) also
// application/merge-patch+json.
bool IsJsonContentType(std::string_view ct, bool patch) {
  auto semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json" || (patch && lower == "application/merge-patch+json");
}

const char* kHomePage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cocreate</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; line-height: 1.5">
<h1>cocreate</h1>
<p>The service relationship engine is running. The API lives under <code>/api/v1</code>;
its OpenAPI description is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p>Health: <a href="/healthz">/healthz</a> &middot; Metrics: <code>/metrics</code> (admin token, or the
<code>--metrics-listen</code> address)</p>
<p>The browser interface is not built yet; use the API with the token <code>script/server</code> printed.</p>
</body></html>
)";

}  // namespace

// What a client is told of a 500 or 503: the detail (driver text, file
// names) goes to the log with the request id, never into the answer.
std::string_view PublicMessage(const Status& status) {
  switch (status.code()) {
    case Code::kInternal:
      return "internal error";
    case Code::kUnavailable:
      return status.reason() == "unavailable" ? "the store is unavailable; retry"
                                              : std::string_view(status.message());
    default:
      return status.message();
  }
}

std::string Router::ErrorBody(const Status& status, std::string_view request_id) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "error");
  w.StartObject();
  WriteKey(w, "code");
  WriteString(w, status.reason());
  WriteKey(w, "message");
  WriteString(w, PublicMessage(status));
  if (!status.field().empty()) {
    WriteKey(w, "field");
    WriteString(w, status.field());
  }
  if (!request_id.empty()) {
    WriteKey(w, "request_id");
    WriteString(w, request_id);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Router::TmfErrorBody(const Status& status, int http_status,
                                 std::string_view request_id) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "@type");
  WriteString(w, "Error");
  WriteKey(w, "code");
  WriteString(w, status.reason());
  WriteKey(w, "reason");
  WriteString(w, PublicMessage(status));
  WriteKey(w, "message");
  WriteString(w, PublicMessage(status));
  WriteKey(w, "status");
  WriteString(w, std::to_string(http_status));
  if (!status.field().empty()) {
    WriteKey(w, "field");
    WriteString(w, status.field());
  }
  if (!request_id.empty()) {
    WriteKey(w, "request_id");
    WriteString(w, request_id);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string_view BearerToken(std::string_view auth) {
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    return auth.substr(7);
  }
  return {};
}

HttpResponse Router::Error(const Status& status) {
  HttpResponse r;
  r.status = HttpStatusOf(status.code());
  r.body = ErrorBody(status, "");
  r.error = status;
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

void Router::Add(std::string method, std::string pattern, bool takes_body, Handler handler) {
  Route route;
  route.segments = SplitPath(pattern);
  route.info.method = std::move(method);
  route.info.pattern = std::move(pattern);
  route.takes_body = takes_body;
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) {
    out.push_back(r.info);
    out.back().query = r.query;
    out.back().takes_body = r.takes_body;
  }
  return out;
}

void Router::Submit(const Principal& p, StatusOr<Command> command, Reply& reply) {
  if (!command.ok()) {
    reply(Error(command.status()));
    return;
  }
  engine_.Submit(p, std::move(command).value(), [reply = std::move(reply)](StatusOr<Outcome> outcome) {
    if (!outcome.ok()) {
      reply(Error(outcome.status()));
      return;
    }
    HttpResponse r;
    r.status = outcome->status;
    r.body = std::move(outcome->body);
    reply(std::move(r));
  });
}

void Router::TakesQuery(std::string_view method, std::string_view pattern,
                        std::vector<std::string> keys) {
  for (Route& route : routes_) {
    if (route.info.method == method && route.info.pattern == pattern) {
      route.query = std::move(keys);
      return;
    }
  }
  assert(false && "TakesQuery names a route that does not exist");
}

std::string Router::PatternOf(std::string_view path) const {
  std::vector<std::string> segments = SplitPath(path);
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& s = route.segments[i];
      ok = (s.size() > 1 && s.front() == '{') || s == segments[i];
    }
    if (ok) return route.info.pattern;
  }
  return "/{unknown}";
}

// Service relationship management (CONTRACT §6): measurements and service
// levels, requests, value both ways, people and their roles.
void Router::AddRelationshipManagement() {
  // A POST whose body is a JSON object, decoded by `decode(path[0], body)`.
  auto post = [this](std::string pattern, StatusOr<Command> (*decode)(const std::string&,
                                                                      const Json&)) {
    Add("POST", std::move(pattern), true,
        [this, decode](const Principal& p, const HttpRequest&, const Params& params,
                       const Json* body, Reply& reply) {
          if (body == nullptr) {
            return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                      "this request needs a JSON object body")));
          }
          Submit(p, decode(params.path[0], *body), reply);
        });
  };
  post("/relationships/{id}/measurements", DecodeRecordMeasurement);
  post("/relationships/{id}/requests", DecodeOpenRequest);
  post("/relationships/{id}/value", DecodeValueStatement);
  post("/organizations/{id}/people", DecodeCreatePerson);
  post("/relationships/{id}/roles", DecodeRoleAssignment);
  Add("DELETE", "/relationships/{id}/roles/{person}/{role}", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        Submit(p, DecodeRoleUnassignment(params.path[0], params.path[1], params.path[2]), reply);
      });
  for (RequestVerb verb : {RequestVerb::kDecline, RequestVerb::kCancel}) {
    Add("POST", "/requests/{id}/" + std::string(RequestVerbName(verb)), true,
        [this, verb](const Principal& p, const HttpRequest&, const Params& params,
                     const Json* body, Reply& reply) {
          Submit(p, DecodeCloseRequest(params.path[0], verb, body), reply);
        });
  }
  // A GET answered from the path, the page (`limit`, `offset`) and the
  // period (`from`, `to`); which of them a route takes is declared below with
  // TakesQuery, so any other parameter is 400 before this runs.
  using Answer = std::function<StatusOr<std::string>(const Principal&, const Params&,
                                                     const ListQuery&, const TimeWindow&)>;
  auto get = [this](std::string pattern, Answer answer) {
    Add("GET", std::move(pattern), false,
        [answer = std::move(answer)](const Principal& p, const HttpRequest&,
                                     const Params& params, const Json*, Reply& reply) {
          auto page = PageParams(params.query);
          if (!page.ok()) return reply(Error(page.status()));
          auto window = WindowParams(params.query);
          if (!window.ok()) return reply(Error(window.status()));
          ReplyWith(reply, answer(p, params, *page, *window));
        });
  };
  auto query = [](const Params& params, const std::string& key) {
    auto it = params.query.find(key);
    return it == params.query.end() ? std::string() : it->second;
  };
  get("/relationships/{id}/measurements",
      [this, query](const Principal& p, const Params& params, const ListQuery& page,
                    const TimeWindow& window) {
        return engine_.Measurements(p, params.path[0], query(params, "metric"), window, page);
      });
  get("/relationships/{id}/service-levels",
      [this](const Principal& p, const Params& params, const ListQuery&, const TimeWindow& window) {
        return engine_.ServiceLevels(p, params.path[0], window);
      });
  get("/organizations/{id}/breaches",
      [this](const Principal& p, const Params& params, const ListQuery& page,
             const TimeWindow& window) {
        return engine_.Breaches(p, params.path[0], window, page);
      });
  get("/relationships/{id}/requests",
      [this](const Principal& p, const Params& params, ListQuery page, const TimeWindow&) {
        if (auto status = params.query.find("status"); status != params.query.end()) {
          page.filters["status"] = status->second;
        }
        return engine_.Requests(p, params.path[0], page);
      });
  get("/requests",
      [this](const Principal& p, const Params& params, ListQuery page, const TimeWindow&) {
        for (const char* key : {"status", "as"}) {
          if (auto it = params.query.find(key); it != params.query.end()) {
            page.filters[key] = it->second;
          }
        }
        return engine_.AllRequests(p, page);
      });
  get("/requests/{id}",
      [this](const Principal& p, const Params& params, const ListQuery&, const TimeWindow&) {
        return engine_.RequestOf(p, params.path[0]);
      });
  get("/relationships/{id}/value",
      [this](const Principal& p, const Params& params, const ListQuery&, const TimeWindow& window) {
        return engine_.RelationshipValue(p, params.path[0], window);
      });
  get("/organizations/{id}/people",
      [this](const Principal& p, const Params& params, const ListQuery& page, const TimeWindow&) {
        return engine_.People(p, params.path[0], page);
      });
  get("/people/{id}",
      [this](const Principal& p, const Params& params, const ListQuery&, const TimeWindow&) {
        return engine_.PersonOf(p, params.path[0]);
      });
  get("/relationships/{id}/roles",
      [this](const Principal& p, const Params& params, const ListQuery& page, const TimeWindow&) {
        return engine_.RoleAssignments(p, params.path[0], page);
      });
}

void Router::AddNoun(Noun noun) {
  std::string collection = "/" + std::string(CollectionName(noun));
  Add("GET", collection, false,
      [this, noun](const Principal& p, const HttpRequest&, const Params& params, const Json*,
                   Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        ListQuery q = std::move(page).value();
        for (const auto& [k, v] : params.query) {
          if (k != "limit" && k != "offset") q.filters[k] = v;
        }
        ReplyWith(reply, engine_.List(p, noun, q));
      });
  std::vector<std::string> list_keys = {"limit", "offset"};
  for (std::string_view f : ListFilters(noun)) list_keys.emplace_back(f);
  routes_.back().query = std::move(list_keys);
  Add("GET", collection + "/{id}", false,
      [this, noun](const Principal& p, const HttpRequest&, const Params& params, const Json*,
                   Reply& reply) { ReplyWith(reply, engine_.Get(p, noun, params.path[0])); });
  Add("POST", collection, true,
      [this, noun](const Principal& p, const HttpRequest&, const Params&, const Json* body,
                   Reply& reply) {
        if (body == nullptr) {
          return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                    "this request needs a JSON object body")));
        }
        Submit(p, DecodeCreate(noun, *body), reply);
      });
  // The write load's hot path: a provision's body read without a tree.
  if (noun == Noun::kProvision) routes_.back().from_text = DecodeProvisionText;
}

Router::Router(Engine& engine, HttpCounters& counters, size_t max_body_bytes,
               std::string web_dir)
    : engine_(engine),
      counters_(counters),
      max_body_bytes_(max_body_bytes),
      web_(std::move(web_dir)),
      tmf_(engine) {
  for (int n = 0; n < 7; ++n) AddNoun(static_cast<Noun>(n));
  Add("GET", "/organizations/{id}/roles", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { ReplyWith(reply, engine_.Roles(p, params.path[0])); });
  Add("GET", "/organizations/{id}/value", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto window = WindowParams(params.query);
        if (!window.ok()) return reply(Error(window.status()));
        ReplyWith(reply, engine_.ValueOf(p, params.path[0], *window));
      });
  Add("GET", "/resources/{id}/versions", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { ReplyWith(reply, engine_.Versions(p, params.path[0])); });
  Add("GET", "/resources/{id}/lineage", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto format = params.query.find("format");
        bool prov = false;
        if (format != params.query.end() && !format->second.empty()) {
          if (format->second == "prov") {
            prov = true;
          } else if (format->second != "json") {
            return reply(Error(InvalidField("format", "'format' must be json or prov")));
          }
        }
        auto version = IntParam(params.query, "version", 0, 1, INT64_MAX / 2);
        if (!version.ok()) return reply(Error(version.status()));
        int64_t redacted = 0;
        auto answer = engine_.Lineage(p, params.path[0], prov, &redacted, *version);
        if (!answer.ok()) return reply(Error(answer.status()));
        HttpResponse r = Json200(std::move(answer).value());
        // §9.27: every PROV answer says how much was left out, 0 included.
        if (prov) r.headers.emplace_back("Cocreate-Redacted", std::to_string(redacted));
        reply(std::move(r));
      });
  // Changes (CONTRACT §5).
  for (Noun noun : {Noun::kOrganization, Noun::kConsumerGroup, Noun::kService, Noun::kOffering}) {
    Add("PATCH", "/" + std::string(CollectionName(noun)) + "/{id}", true,
        [this, noun](const Principal& p, const HttpRequest&, const Params& params,
                     const Json* body, Reply& reply) {
          if (body == nullptr) {
            return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                      "this request needs a JSON object body")));
          }
          Submit(p, DecodePatch(noun, params.path[0], *body), reply);
        });
  }
  Add("POST", "/organizations/{id}/close", true,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json* body,
             Reply& reply) {
        Submit(p, DecodeRetire(Noun::kOrganization, params.path[0], body), reply);
      });
  for (Noun noun : {Noun::kResource, Noun::kService, Noun::kOffering}) {
    Add("POST", "/" + std::string(CollectionName(noun)) + "/{id}/retire", true,
        [this, noun](const Principal& p, const HttpRequest&, const Params& params,
                     const Json* body, Reply& reply) {
          Submit(p, DecodeRetire(noun, params.path[0], body), reply);
        });
  }
  Add("POST", "/resources/{id}/revisions", true,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json* body,
             Reply& reply) {
        if (body == nullptr) {
          return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                    "this request needs a JSON object body")));
        }
        Submit(p, DecodeRevision(params.path[0], *body), reply);
      });
  Add("GET", "/offerings/{id}/versions", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        ReplyWith(reply, engine_.OfferingVersions(p, params.path[0], *page));
      });
  // Agreements and proposals (CONTRACT §6).
  Add("POST", "/relationships/{id}/proposals", true,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json* body,
             Reply& reply) {
        if (body == nullptr) {
          return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                    "this request needs a JSON object body")));
        }
        Submit(p, DecodeProposal(params.path[0], *body), reply);
      });
  Add("GET", "/relationships/{id}/proposals", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        ReplyWith(reply, engine_.Proposals(p, params.path[0], *page));
      });
  Add("GET", "/relationships/{id}/agreement", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { ReplyWith(reply, engine_.Agreement(p, params.path[0])); });
  Add("GET", "/relationships/{id}/agreements", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        ReplyWith(reply, engine_.Agreements(p, params.path[0], *page));
      });
  Add("GET", "/proposals/{id}", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { ReplyWith(reply, engine_.ProposalOf(p, params.path[0])); });
  for (ProposalVerb verb : {ProposalVerb::kAccept, ProposalVerb::kDecline, ProposalVerb::kWithdraw}) {
    Add("POST", "/proposals/{id}/" + std::string(ProposalVerbName(verb)), true,
        [this, verb](const Principal& p, const HttpRequest&, const Params& params,
                     const Json* body, Reply& reply) {
          Submit(p, DecodeAnswer(params.path[0], verb, body), reply);
        });
  }
  AddRelationshipManagement();
  // Catalog import (CONTRACT §9.23), the admin's. It runs its commands one
  // after the other on this thread and answers with the report.
  Add("POST", "/imports", true,
      [this](const Principal& p, const HttpRequest&, const Params&, const Json* body,
             Reply& reply) {
        if (body == nullptr) {
          return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                    "this request needs a JSON object body")));
        }
        // 400 before 403 (CONTRACT §3).
        StatusOr<ImportRequest> request = DecodeImport(*body);
        if (!request.ok()) return reply(Error(request.status()));
        if (!p.is_admin()) return reply(Error(Forbidden("only the admin may import catalogs")));
        StatusOr<ImportReport> report =
            ImportText(engine_, request->format, request->kind, request->content, "content");
        if (!report.ok()) return reply(Error(report.status()));
        reply(Json200(report->ToJson()));
      });
  for (int v = 0; v < 5; ++v) {
    auto verb = static_cast<LifecycleVerb>(v);
    Add("POST", "/relationships/{id}/" + std::string(LifecycleVerbName(verb)), true,
        [this, verb](const Principal& p, const HttpRequest&, const Params& params,
                     const Json* body, Reply& reply) {
          Submit(p, DecodeLifecycle(params.path[0], verb, body), reply);
        });
  }
  Add("POST", "/tokens", true,
      [this](const Principal& p, const HttpRequest&, const Params&, const Json* body,
             Reply& reply) {
        if (body == nullptr) {
          return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                    "this request needs a JSON object body")));
        }
        Submit(p, DecodeIssueToken(*body), reply);
      });
  Add("GET", "/tokens", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        ReplyWith(reply, engine_.Tokens(p, *page));
      });
  Add("DELETE", "/tokens/{id}", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { Submit(p, DecodeRevokeToken(params.path[0]), reply); });
  // Webhooks (CONTRACT §8): registration and deletion are commands like
  // any other; the deliveries are read from the store.
  Add("POST", "/webhooks", true,
      [this](const Principal& p, const HttpRequest&, const Params&, const Json* body,
             Reply& reply) {
        if (body == nullptr) {
          return reply(Error(Status(Code::kInvalidArgument, "invalid_json",
                                    "this request needs a JSON object body")));
        }
        Submit(p, DecodeRegisterWebhook(*body), reply);
      });
  Add("GET", "/webhooks", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        reply(Json200(engine_.Webhooks(p, *page)));
      });
  Add("GET", "/webhooks/{id}", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { ReplyWith(reply, engine_.WebhookOf(p, params.path[0])); });
  Add("DELETE", "/webhooks/{id}", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) { Submit(p, DecodeDeleteWebhook(params.path[0]), reply); });
  Add("GET", "/webhooks/{id}/deliveries", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto page = PageParams(params.query);
        if (!page.ok()) return reply(Error(page.status()));
        std::optional<DeliveryStatus> status;
        if (auto it = params.query.find("status"); it != params.query.end()) {
          status = DeliveryStatusFromName(it->second);
          if (!status) {
            return reply(Error(InvalidField("status", "'status' must be pending, delivered or dead")));
          }
        }
        ReplyWith(reply, engine_.Deliveries(p, params.path[0], status, *page));
      });
  Add("GET", "/impact", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto from = params.query.find("from");
        if (from == params.query.end() || from->second.empty()) {
          return reply(Error(InvalidField("from", "'from' is required: the id to start from")));
        }
        auto depth = IntParam(params.query, "depth", -1, 0, 1000000);
        if (!depth.ok()) return reply(Error(depth.status()));
        auto explain = BoolParam(params.query, "explain");
        if (!explain.ok()) return reply(Error(explain.status()));
        ReplyWith(reply, engine_.Impact(p, from->second, static_cast<int>(*depth), *explain));
      });
  Add("GET", "/chains", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto from = params.query.find("from");
        auto to = params.query.find("to");
        if (from == params.query.end() || from->second.empty()) {
          return reply(Error(InvalidField("from", "'from' is required: an organization id")));
        }
        if (to == params.query.end() || to->second.empty()) {
          return reply(Error(InvalidField("to", "'to' is required: an organization id")));
        }
        auto limit = IntParam(params.query, "limit", 10, 1, 1000);
        if (!limit.ok()) return reply(Error(limit.status()));
        auto value = BoolParam(params.query, "value");
        if (!value.ok()) return reply(Error(value.status()));
        ReplyWith(reply, engine_.Chains(p, from->second, to->second, static_cast<int>(*limit),
                                        *value));
      });
  Add("GET", "/me", false,
      [](const Principal& p, const HttpRequest&, const Params&, const Json*, Reply& reply) {
        rapidjson::StringBuffer buf;
        JsonWriter w(buf);
        w.StartObject();
        WriteKey(w, "organization");
        if (p.is_admin()) {
          w.Null();
        } else {
          WriteString(w, p.organization);
        }
        WriteKey(w, "role");
        WriteString(w, RoleName(p.role));
        WriteKey(w, "person");
        if (p.person.empty()) {
          w.Null();
        } else {
          WriteString(w, p.person);
        }
        w.EndObject();
        reply(Json200(std::string(buf.GetString(), buf.GetSize())));
      });
  Add("GET", "/graph/organizations", false,
      [this](const Principal& p, const HttpRequest&, const Params&, const Json*, Reply& reply) {
        reply(Json200(engine_.OrganizationGraph(p)));
      });
  Add("GET", "/cycles", false,
      [this](const Principal& p, const HttpRequest&, const Params&, const Json*, Reply& reply) {
        reply(Json200(engine_.Cycles(p)));
      });
  Add("GET", "/analysis/concentration", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto top = IntParam(params.query, "top", 10, 1, 1000);
        if (!top.ok()) return reply(Error(top.status()));
        reply(Json200(engine_.Concentration(p, static_cast<int>(*top))));
      });
  Add("GET", "/events", false,
      [this](const Principal& p, const HttpRequest&, const Params& params, const Json*,
             Reply& reply) {
        auto after = IntParam(params.query, "after", 0, 0, INT64_MAX / 2);
        if (!after.ok()) return reply(Error(after.status()));
        auto limit = IntParam(params.query, "limit", 100, 1, 1000);
        if (!limit.ok()) return reply(Error(limit.status()));
        auto events = engine_.Events(p, *after, *limit);
        if (!events.ok()) return reply(Error(events.status()));
        reply(Json200(std::move(events).value()));
      });
  Add("GET", "/events/stream", false,
      [](const Principal& p, const HttpRequest& req, const Params& params, const Json*,
         Reply& reply) {
        auto after = IntParam(params.query, "after", 0, 0, INT64_MAX / 2);
        if (!after.ok()) return reply(Error(after.status()));
        HttpResponse r;
        r.stream_events = true;
        r.principal = p;
        r.stream_after = *after;
        if (!req.last_event_id.empty()) {
          int64_t last = 0;
          auto [ptr, ec] = std::from_chars(req.last_event_id.data(),
                                           req.last_event_id.data() + req.last_event_id.size(), last);
          // The whole header must be the seq ("600abc" is no seq: ignored).
          bool whole = ptr == req.last_event_id.data() + req.last_event_id.size();
          if (ec == std::errc() && whole && last >= 0) r.stream_after = last;
        }
        r.content_type = "text/event-stream";
        reply(std::move(r));
      });
  TakesQuery("GET", "/tokens", {"limit", "offset"});
  TakesQuery("GET", "/webhooks", {"limit", "offset"});
  TakesQuery("GET", "/webhooks/{id}/deliveries", {"status", "limit", "offset"});
  TakesQuery("GET", "/resources/{id}/lineage", {"format", "version"});
  TakesQuery("GET", "/offerings/{id}/versions", {"limit", "offset"});
  TakesQuery("GET", "/relationships/{id}/proposals", {"limit", "offset"});
  TakesQuery("GET", "/relationships/{id}/agreements", {"limit", "offset"});
  TakesQuery("GET", "/impact", {"from", "depth", "explain"});
  TakesQuery("GET", "/chains", {"from", "to", "limit", "value"});
  TakesQuery("GET", "/organizations/{id}/value", {"from", "to"});
  TakesQuery("GET", "/relationships/{id}/value", {"from", "to"});
  TakesQuery("GET", "/relationships/{id}/measurements", {"metric", "from", "to", "limit", "offset"});
  TakesQuery("GET", "/relationships/{id}/service-levels", {"from", "to"});
  TakesQuery("GET", "/organizations/{id}/breaches", {"from", "to", "limit", "offset"});
  TakesQuery("GET", "/relationships/{id}/requests", {"status", "limit", "offset"});
  TakesQuery("GET", "/requests", {"status", "as", "limit", "offset"});
  TakesQuery("GET", "/organizations/{id}/people", {"limit", "offset"});
  TakesQuery("GET", "/relationships/{id}/roles", {"limit", "offset"});
  TakesQuery("GET", "/analysis/concentration", {"top"});
  TakesQuery("GET", "/events", {"after", "limit"});
  TakesQuery("GET", "/events/stream", {"after"});
}

std::string Router::Metrics() const {
  EngineStats s = engine_.Stats();
  std::string out;
  auto metric = [&](std::string_view name, std::string_view type, std::string_view help,
                    const std::string& value, std::string_view labels = "") {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", name, help, name, type, name,
                       labels, value);
  };
  metric("cocreate_commands_total", "counter", "Commands accepted and committed.",
         std::to_string(s.commands));
  metric("cocreate_commands_rejected_total", "counter", "Commands refused by a rule or the store.",
         std::to_string(s.rejected));
  metric("cocreate_events_total", "counter", "Events committed since start.", std::to_string(s.events));
  metric("cocreate_commit_batches_total", "counter", "Group commits (one transaction each).",
         std::to_string(s.batches));
  metric("cocreate_commit_seconds_total", "counter", "Time spent deciding and committing.",
         fmt::format("{:.6f}", s.commit_seconds));
  metric("cocreate_store_failures_total", "counter", "Commit rounds the store refused.",
         std::to_string(s.store_failures));
  metric("cocreate_checkpoints_written_total", "counter",
         "Checkpoints of the state written to their file.", std::to_string(s.checkpoints_written));
  metric("cocreate_checkpoint_failures_total", "counter",
         "Checkpoints not written (the log says why); retried with a growing delay.",
         std::to_string(s.checkpoint_failures));
  metric("cocreate_checkpoint_pause_seconds_total", "counter",
         "Time writes waited for background checkpoints (a fork, or an encoding in the server).",
         fmt::format("{:.6f}", s.checkpoint_pause_seconds));
  metric("cocreate_checkpoint_last_pause_seconds", "gauge",
         "How long writes waited for the last background checkpoint.",
         fmt::format("{:.6f}", s.checkpoint_last_pause_seconds));
  metric("cocreate_last_seq", "gauge", "The last event seq.", std::to_string(s.last_seq));
  metric("cocreate_objects", "gauge", "Objects in the model.", std::to_string(s.objects));
  metric("cocreate_http_connections", "gauge", "Open HTTP connections.",
         std::to_string(counters_.connections.load()));
  metric("cocreate_http_connections_refused_total", "counter",
         "Connections refused over the connection cap.",
         std::to_string(counters_.connections_refused.load()));
  metric("cocreate_http_event_streams", "gauge", "Open event streams.",
         std::to_string(counters_.streams.load()));
  out += "# HELP cocreate_http_requests_total HTTP requests answered, by status class.\n"
         "# TYPE cocreate_http_requests_total counter\n";
  for (int c = 1; c < 6; ++c) {
    out += fmt::format("cocreate_http_requests_total{{code=\"{}xx\"}} {}\n", c,
                       counters_.by_class[c].load());
  }
  return out;
}

bool Router::MayTakeLong(std::string_view method, std::string_view target) {
  if (method != "GET" && method != "HEAD") return false;
  std::string_view path = target.substr(0, target.find('?'));
  // The same test and the same segments as Dispatch and HandleAs route by
  // (empty segments dropped, each percent-decoded): `/impact/`, `//impact`
  // and `/%69mpact` are the impact route too.
  if (!path.starts_with("/api/v1/")) return false;
  std::vector<std::string> s = SplitPath(path.substr(7));
  if (s.size() == 1) {
    return s[0] == "impact" || s[0] == "chains" || s[0] == "cycles" || s[0] == "events";
  }
  if (s.size() == 2) return s[0] == "analysis" || (s[0] == "graph" && s[1] == "organizations");
  if (s.size() == 3) {
    return (s[0] == "resources" && s[2] == "lineage") ||
           (s[0] == "webhooks" && s[2] == "deliveries");
  }
  return false;
}

void Router::Handle(const HttpRequest& request, Reply reply) {
  if (offload_ && MayTakeLong(request.method, request.target)) {
    offload_([this, request, reply = std::move(reply)]() mutable {
      HandleHere(request, std::move(reply));
    });
    return;
  }
  HandleHere(request, std::move(reply));
}

void Router::HandleHere(const HttpRequest& request, Reply reply) {
  // What this request reads may include rounds still being committed: its
  // answer waits for them (and is dropped if the store refuses them).
  auto mark = std::make_shared<Engine::ReadMark>();
  Engine::ReadScope scope(mark.get());
  Reply fenced = [this, mark, reply = std::move(reply)](HttpResponse r) {
    if (mark->seq == 0) return reply(std::move(r));
    auto answer = std::make_shared<HttpResponse>(std::move(r));
    engine_.WhenDurable(*mark, [this, reply, answer](bool durable) {
      if (durable) return reply(std::move(*answer));
      HttpResponse refused = Error(Unavailable("the store refused a change this answer saw"));
      refused.route = std::move(answer->route);
      refused.who = std::move(answer->who);
      refused.role = std::move(answer->role);
      reply(std::move(refused));
    });
  };
  Dispatch(request, std::move(fenced));
}

void Router::Dispatch(const HttpRequest& request, Reply reply) {
  std::string_view target = request.target;
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  
  if (path == "/healthz") {
    Reply logged = [reply = std::move(reply)](HttpResponse r) {
      r.route = "/healthz";
      reply(std::move(r));
    };
    return logged(Json200("{\"status\":\"ok\"}"));
  }
  if (path == "/metrics") return HandleMetrics(request, std::move(reply));
  if (request.listener == Listener::kMetrics) {
    return reply(Error(NotFound("this address serves only /metrics and /healthz")));
  }
  if (request.method == "GET" && path.rfind("/api/", 0) != 0) {
    if (auto file = web_.Find(path)) {
      HttpResponse r;
      r.content_type = std::move(file->content_type);
      r.body = std::move(file->body);
      r.headers = std::move(file->headers);
      return reply(std::move(r));
    }
    if (path == "/" || path == "/index.html") {
      HttpResponse r;
      r.content_type = "text/html; charset=utf-8";
      r.body = kHomePage;
      return reply(std::move(r));
    }
  }
  if (path == "/api/v1/openapi.json") {
    return reply(Json200(OpenApiDocument()));
  }
  if (path.rfind("/tmf-api/", 0) == 0) return HandleTmf(request, std::move(reply));
  if (path.rfind("/api/v1/", 0) != 0 && path != "/api/v1") {
    return reply(Error(NotFound("no such page: " + std::string(path))));
  }
  // 401 comes before everything else under /api/v1.
  std::string_view token = BearerToken(request.authorization);
  StatusOr<Principal> principal = engine_.Authenticate(token);
  if (!principal.ok()) {
    // The log names the route's pattern, not the path with its ids.
    HttpResponse r = Error(principal.status());
    r.route = "/api/v1" + PatternOf(path.substr(7));
    return reply(std::move(r));
  }
  Reply logged = [reply = std::move(reply), p = *principal](HttpResponse r) {
    r.who = p.actor();
    r.role = RoleName(p.role);
    reply(std::move(r));
  };
  HandleAs(*principal, request, std::move(logged));
}

// /metrics: without a token on the --metrics-listen address; on the API
// address only for the admin token (401 without or with a bad one, 403 for
// an organization's token).
void Router::HandleMetrics(const HttpRequest& request, Reply reply) {
  Reply logged = [reply = std::move(reply)](HttpResponse r) {
    r.route = "/metrics";
    reply(std::move(r));
  };
  if (request.listener != Listener::kMetrics) {
    StatusOr<Principal> principal = engine_.Authenticate(BearerToken(request.authorization));
    if (!principal.ok()) return logged(Error(principal.status()));
    if (!principal->is_admin()) {
      HttpResponse r = Error(Forbidden("only the admin token may read /metrics"));
      r.who = principal->actor();
      r.role = RoleName(principal->role);
      return logged(std::move(r));
    }
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = Metrics();
  if (request.listener != Listener::kMetrics) {
    r.who = "admin";
    r.role = "admin";
  }
  logged(std::move(r));
}

StatusOr<std::optional<Json>> Router::ReadBody(const HttpRequest& request, bool parse) const {
  if (!engine_.healthy()) return Unavailable("the store is out of reach; retry shortly");
  if (request.body_too_large) {
    return Status(Code::kPayloadTooLarge, "payload_too_large",
                  fmt::format("the body is over the limit of {} bytes", max_body_bytes_));
  }
  if (request.body.empty()) return std::optional<Json>();
  if (!IsJsonContentType(request.content_type, request.method == "PATCH")) {
    return Status(Code::kUnsupportedMediaType, "unsupported_media_type",
                  "send the body as Content-Type: application/json");
  }
  if (!parse) return std::optional<Json>();
  CC_ASSIGN_OR_RETURN(Json parsed, Json::ParseBody(request.body));
  return std::optional<Json>(std::move(parsed));
}

void Router::HandleTmf(const HttpRequest& request, Reply reply) {
  std::string_view target = request.target;
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  std::string_view query = qpos == std::string_view::npos ? "" : target.substr(qpos + 1);
  tmf::Request tmf_request;
  tmf_request.method = request.method;
  tmf_request.path = SplitPath(path.substr(tmf::kRoot.size()));
  // The log names the pattern, never the ids.
  const auto& segs = tmf_request.path;
  std::string route = "/tmf-api";
  for (size_t i = 0; i < segs.size() && i < 3; ++i) route += "/" + segs[i];
  if (segs.size() > 3) route += "/{id}";
  if (segs.size() > 4) route += "/...";
  if (route.size() > 120) route = "/tmf-api/{unknown}";
  Reply logged = [reply = std::move(reply), route](HttpResponse r) {
    r.route = route;
    r.tmf_error = true;
    reply(std::move(r));
  };
  StatusOr<Principal> principal = engine_.Authenticate(BearerToken(request.authorization));
  if (!principal.ok()) return logged(Error(principal.status()));
  Reply answer = [logged = std::move(logged), p = *principal](HttpResponse r) {
    r.who = p.actor();
    r.role = RoleName(p.role);
    logged(std::move(r));
  };
  StatusOr<std::optional<Json>> body = ReadBody(request, true);
  if (!body.ok()) return answer(Error(body.status()));
  StatusOr<QueryParams> parsed_query = ParseQuery(query);
  if (!parsed_query.ok()) return answer(Error(parsed_query.status()));
  tmf_request.query = std::move(parsed_query).value();
  tmf_request.body = *body ? &**body : nullptr;
  tmf_.Handle(*principal, tmf_request, [answer](tmf::Answer a) {
    HttpResponse r;
    if (!a.error.ok()) {
      r = Error(a.error);
    } else {
      r.body = std::move(a.body);
    }
    r.status = a.status;
    for (auto& h : a.headers) r.headers.push_back(std::move(h));
    answer(std::move(r));
  });
}

void Router::HandleAs(const Principal& principal, const HttpRequest& request, Reply reply) {
  std::string_view target = request.target;
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  std::string_view query = qpos == std::string_view::npos ? "" : target.substr(qpos + 1);
  std::vector<std::string> segments = SplitPath(path.substr(7));
  const Route* match = nullptr;
  std::vector<std::string> allowed;
  Params params;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> values;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& s = route.segments[i];
      if (s.size() > 1 && s.front() == '{') {
        values.push_back(segments[i]);
      } else {
        ok = s == segments[i];
      }
    }
    if (!ok) continue;
    if (route.info.method != request.method) {
      allowed.push_back(route.info.method);
      continue;
    }
    match = &route;
    params.path = std::move(values);
    break;
  }
  if (match == nullptr) {
    if (!allowed.empty()) {
      HttpResponse r = Error(Status(Code::kInvalidArgument, "method_not_allowed",
                                    request.method + " is not allowed here"));
      r.status = 405;
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end()) allow += ", HEAD";
      r.headers.emplace_back("Allow", allow);
      return reply(std::move(r));
    }
    return reply(Error(NotFound("no such route: " + std::string(path))));
  }
  reply = [inner = std::move(reply), route = match->info.pattern](HttpResponse r) {
    r.route = "/api/v1" + route;
    inner(std::move(r));
  };
  const bool from_text = match->from_text != nullptr;
  StatusOr<std::optional<Json>> body = ReadBody(request, match->takes_body && !from_text);
  if (!body.ok()) return reply(Error(body.status()));
  // Read from the text when it can be (the body passed ReadBody's checks);
  // else parsed, with the same errors in the same order as any route.
  std::optional<Command> command;
  if (from_text && !request.body.empty()) command = match->from_text(request.body);
  if (from_text && !command) {
    body = ReadBody(request, match->takes_body);
    if (!body.ok()) return reply(Error(body.status()));
  }
  StatusOr<QueryParams> parsed_query = ParseQuery(query);
  if (!parsed_query.ok()) return reply(Error(parsed_query.status()));
  params.query = std::move(parsed_query).value();
  // Unknown query parameters are refused everywhere, so that a misspelt
  // filter or period never silently widens an answer.
  for (const auto& [key, value] : params.query) {
    if (std::find(match->query.begin(), match->query.end(), key) != match->query.end()) continue;
    std::string takes;
    for (const auto& k : match->query) takes += (takes.empty() ? "" : ", ") + k;
    return reply(Error(InvalidField(
        key, "'" + key + "' is not a query parameter of " + match->info.method + " /api/v1" +
                 match->info.pattern +
                 (takes.empty() ? std::string(" (it takes none)") : "; it takes " + takes))));
  }
  if (command) return Submit(principal, std::move(*command), reply);
  match->handler(principal, request, params, *body ? &**body : nullptr, reply);
}

}  // namespace cocreate
