#include "http/router.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>

#include "cli/cli.h"

namespace cocreate {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.spec = "sqlite::memory:";
    EngineOptions options;
    options.admin_token = "admin";
    engine_ = Engine::Open(EventStore::Open(o).value(), options).value();
    router_ = std::make_unique<Router>(*engine_, counters_, 1024);
  }

  HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::string token = "admin", std::string content_type = "application/json",
                    bool too_large = false, Listener listener = Listener::kApi) {
    HttpRequest r;
    r.listener = listener;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    if (!token.empty()) r.authorization = "Bearer " + token;
    r.content_type = std::move(content_type);
    r.body_too_large = too_large;
    std::promise<HttpResponse> done;
    router_->Handle(r, [&](HttpResponse response) { done.set_value(std::move(response)); });
    return done.get_future().get();
  }

  static std::string Code(const HttpResponse& r) {
    auto j = Json::Parse(r.body);
    if (!j.ok() || !j->Find("error")) return "";
    return j->Find("error")->Find("code")->as_string();
  }

  std::unique_ptr<Engine> engine_;
  HttpCounters counters_;
  std::unique_ptr<Router> router_;
};

// Every route the router serves is in the OpenAPI document, with its method.
TEST_F(RouterTest, OpenApiDocumentsEveryRoute) {
  Json doc = Json::Parse(OpenApiDocument()).value();
  EXPECT_EQ(doc.Find("openapi")->as_string().substr(0, 2), "3.");
  const Json* paths = doc.Find("paths");
  ASSERT_NE(paths, nullptr);
  auto routes = router_->Routes();
  EXPECT_GT(routes.size(), 25u);
  for (const RouteInfo& route : routes) {
    const Json* item = paths->Find(route.pattern);
    ASSERT_NE(item, nullptr) << "missing from openapi.json: " << route.pattern;
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    EXPECT_NE(item->Find(method), nullptr) << route.method << " " << route.pattern;
  }
}

TEST_F(RouterTest, ErrorOrder401Then413Then415Then400) {
  EXPECT_EQ(Call("POST", "/api/v1/organizations", "{", "", "text/plain", true).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/organizations", "{", "bad", "text/plain", true).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/organizations", "{", "admin", "text/plain", true).status, 413);
  auto r415 = Call("POST", "/api/v1/organizations", "{", "admin", "text/plain");
  EXPECT_EQ(r415.status, 415);
  EXPECT_EQ(Code(r415), "unsupported_media_type");
  auto r400 = Call("POST", "/api/v1/organizations", "{");
  EXPECT_EQ(r400.status, 400);
  EXPECT_EQ(Code(r400), "invalid_json");
  auto field = Call("POST", "/api/v1/organizations", R"({"name": 3})");
  EXPECT_EQ(field.status, 400);
  EXPECT_EQ(Code(field), "invalid_field");
  EXPECT_NE(field.body.find("\"field\":\"name\""), std::string::npos);
}

// Reads whose work grows with the graph or the log are handed to the
// offload hook (the server runs them on threads of their own); the rest,
// writes included, are handled on the calling thread.
TEST_F(RouterTest, LongReadsGoToTheOffloadAndTheRestAreHandledHere) {
  std::vector<Router::Task> handed;
  router_->SetOffload([&](Router::Task task) { handed.push_back(std::move(task)); });
  int answered = 0;
  auto send = [&](std::string method, std::string target) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.authorization = "Bearer admin";
    router_->Handle(r, [&](HttpResponse) { ++answered; });
  };
  send("GET", "/api/v1/analysis/concentration?top=3");
  send("GET", "/api/v1/impact?from=x");
  send("GET", "/api/v1/events?after=0");
  send("GET", "/api/v1/resources/r1/lineage");
  send("GET", "/api/v1/%69mpact/?from=x");
  EXPECT_EQ(handed.size(), 5u);
  EXPECT_EQ(answered, 0);  // nothing of them ran on this thread
  send("GET", "/healthz");
  send("GET", "/api/v1/organizations");
  send("GET", "/api/v1/resources/r1");
  send("GET", "/api/v1/events/stream");
  EXPECT_EQ(handed.size(), 5u);
  EXPECT_EQ(answered, 4);
  for (auto& task : handed) task();
  EXPECT_EQ(answered, 9);

  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1/cycles"));
  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1/chains?from=a&to=b"));
  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1/graph/organizations"));
  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1/webhooks/w1/deliveries?status=failed"));
  // Routing drops empty segments and decodes each: so does the test.
  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1/impact/?from=x"));
  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1//impact?from=x"));
  EXPECT_TRUE(Router::MayTakeLong("GET", "/api/v1/%69mpact?from=x"));
  EXPECT_TRUE(Router::MayTakeLong("HEAD", "/api/v1/resources/r%2F1/lineage"));
  EXPECT_FALSE(Router::MayTakeLong("POST", "/api/v1/events"));
  EXPECT_FALSE(Router::MayTakeLong("GET", "/api/v1/eventsx"));
  EXPECT_FALSE(Router::MayTakeLong("GET", "/api/v1/resources/lineage"));
  EXPECT_FALSE(Router::MayTakeLong("GET", "/impact"));
}

TEST_F(RouterTest, ContentTypeWithCharsetIsJson) {
  EXPECT_EQ(Call("POST", "/api/v1/organizations", R"({"name":"a"})", "admin",
                 "application/json; charset=utf-8").status,
            201);
}

TEST_F(RouterTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(Call("GET", "/api/v1/nothing").status, 404);
  auto r = Call("DELETE", "/api/v1/organizations");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Call("GET", "/healthz", "", "").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/openapi.json", "", "").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/organizations", "", "").status, 401);
}

TEST_F(RouterTest, QueryParametersAreChecked) {
  EXPECT_EQ(Code(Call("GET", "/api/v1/organizations?limit=abc")), "invalid_field");
  EXPECT_EQ(Code(Call("GET", "/api/v1/organizations?limit=-1")), "invalid_field");
  EXPECT_EQ(Code(Call("GET", "/api/v1/organizations?limit=")), "invalid_field");
  // An unknown filter is 400 on an empty store too (it used to pass there).
  EXPECT_EQ(Code(Call("GET", "/api/v1/organizations?color=red")), "invalid_field");
  EXPECT_EQ(Code(Call("GET", "/api/v1/relationships?statu=active")), "invalid_field");
  EXPECT_EQ(Call("GET", "/api/v1/relationships?status=active").status, 200);
  Call("POST", "/api/v1/organizations", R"({"id":"o1","name":"a"})");
  // Every GET route refuses a parameter it does not take, before anything else.
  for (const auto& route : router_->Routes()) {
    if (route.method != "GET" || route.pattern == "/openapi.json") continue;
    std::string path = "/api/v1" + route.pattern;
    for (size_t at; (at = path.find("{id}")) != std::string::npos;) path.replace(at, 4, "o1");
    auto r = Call("GET", path + "?since=2026-01-01T00:00:00Z");
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    EXPECT_NE(r.body.find("since"), std::string::npos) << path << ": " << r.body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/impact").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/impact?from=nope").status, 404);
  EXPECT_EQ(Code(Call("GET", "/api/v1/events?after=x")), "invalid_field");
}

TEST_F(RouterTest, MetricsArePrometheusText) {
  Call("POST", "/api/v1/organizations", R"({"name":"a"})");
  auto r = Call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find("# TYPE cocreate_commands_total counter\ncocreate_commands_total 1\n"),
            std::string::npos)
      << r.body;
}

// /metrics on the API address is the admin's; on the metrics address it
// needs no token, and that address serves nothing of the API.
TEST_F(RouterTest, MetricsAreForTheAdminOrTheMetricsAddress) {
  Call("POST", "/api/v1/organizations", R"({"id":"m","name":"m"})");
  auto issued = Json::Parse(Call("POST", "/api/v1/tokens", R"({"organization":"m"})").body);
  ASSERT_TRUE(issued.ok());
  std::string member = issued->Find("token")->as_string();
  EXPECT_EQ(Call("GET", "/metrics", "", "").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", "wrong").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", member).status, 403);
  EXPECT_EQ(Call("GET", "/metrics", "", "", "", false, Listener::kMetrics).status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "", "", "", false, Listener::kMetrics).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/organizations", "", "admin", "", false, Listener::kMetrics).status,
            404);
}

// A 500 or 503 tells the client a stable message and the request id; the
// detail (driver text) stays in `error` for the log.
TEST_F(RouterTest, InternalErrorsKeepTheirDetailOutOfTheAnswer) {
  HttpResponse unavailable = Router::Error(Unavailable("PostgreSQL commit: [08006] server gone"));
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(unavailable.body.find("08006"), std::string::npos) << unavailable.body;
  EXPECT_EQ(unavailable.error.message(), "PostgreSQL commit: [08006] server gone");
  HttpResponse internal = Router::Error(Internal("PostgreSQL append: [23505] duplicate key"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(Router::ErrorBody(internal.error, "0123456789abcdef"),
            R"({"error":{"code":"internal","message":"internal error",)"
            R"("request_id":"0123456789abcdef"}})");
  EXPECT_EQ(Router::ErrorBody(Unavailable("disk I/O error"), ""),
            R"({"error":{"code":"unavailable","message":"the store is unavailable; retry"}})");
  // Other errors keep their message.
  EXPECT_EQ(Router::ErrorBody(NotFound("no such route: /x"), "r"),
            R"({"error":{"code":"not_found","message":"no such route: /x","request_id":"r"}})");
}

// The demo ecosystem loads through the API and tells the whole story.
TEST_F(RouterTest, DemoEcosystemMeetsTheContract) {
  Status loaded = LoadDemo(*engine_);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  std::vector<Event> log = engine_->Log().value();
  engine_->Inspect([&log](const State& s) {
    EXPECT_GE(s.Ids(Noun::kOrganization).size(), 5u);
    std::set<RelationshipType> active_types;
    std::map<std::string, std::set<std::string>> provides_to;  // active relationships
    for (const std::string& id : s.Ids(Noun::kRelationship)) {
      const Relationship& r = *s.FindRelationship(id);
      if (r.status != RelationshipStatus::kActive) continue;
      active_types.insert(r.type);
      provides_to[r.provider].insert(r.consumer);
    }
    EXPECT_EQ(active_types.size(), 3u) << "every relationship type, active";
    // The longest simple chain of organizations along active relationships.
    std::function<int(const std::string&, std::set<std::string>&)> longest =
        [&](const std::string& org, std::set<std::string>& on_path) {
          int best = 1;
          for (const auto& next : provides_to[org]) {
            if (on_path.count(next)) continue;
            on_path.insert(next);
            best = std::max(best, 1 + longest(next, on_path));
            on_path.erase(next);
          }
          return best;
        };
    int chain = 0;
    bool cycle = false;
    for (const std::string& id : s.Ids(Noun::kOrganization)) {
      std::set<std::string> on_path{id};
      chain = std::max(chain, longest(id, on_path));
      // A cycle: some organization reaches itself again.
      std::set<std::string> seen;
      std::vector<std::string> stack(provides_to[id].begin(), provides_to[id].end());
      while (!stack.empty()) {
        std::string o = stack.back();
        stack.pop_back();
        if (o == id) cycle = true;
        if (!seen.insert(o).second) continue;
        for (const auto& n : provides_to[o]) stack.push_back(n);
      }
    }
    EXPECT_GE(chain, 5) << "a chain of at least five organizations";
    EXPECT_TRUE(cycle) << "a cycle among organizations";
    std::set<EventType> types;
    int transitions = 0;
    for (const auto& e : log) {
      types.insert(e.type);
      transitions += e.type == EventType::kRoleTransitioned;
    }
    EXPECT_GE(transitions, 2);
    for (EventType t : {EventType::kResourceModified, EventType::kResourceTransferred,
                        EventType::kAccessGranted}) {
      EXPECT_TRUE(types.count(t)) << t;
    }
    bool created_by_provision = false;
    for (const std::string& id : s.Ids(Noun::kResource)) {
      created_by_provision |= !s.FindResource(id)->origin_provision.empty();
    }
    EXPECT_TRUE(created_by_provision);
  });
}

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

TEST_F(RouterTest, MeNamesTheTokensOrganizationAndRole) {
  auto admin = Call("GET", "/api/v1/me");
  EXPECT_EQ(admin.status, 200);
  EXPECT_EQ(admin.body, R"({"organization":null,"role":"admin","person":null})");
  ASSERT_EQ(Call("POST", "/api/v1/organizations", R"({"id":"o1","name":"O"})").status, 201);
  auto issued = Call("POST", "/api/v1/tokens", R"({"organization":"o1","role":"viewer"})");
  ASSERT_EQ(issued.status, 201);
  std::string token = Json::Parse(issued.body)->Find("token")->as_string();
  auto viewer = Call("GET", "/api/v1/me", "", token);
  EXPECT_EQ(viewer.body, R"({"organization":"o1","role":"viewer","person":null})");
  EXPECT_EQ(Call("GET", "/api/v1/me", "", "").status, 401);
  // A person token names its person (CONTRACT §6, people).
  ASSERT_EQ(Call("POST", "/api/v1/organizations/o1/people", R"({"id":"ana","name":"Ana"})").status,
            201);
  auto person = Call("POST", "/api/v1/tokens", R"({"organization":"o1","person":"ana"})");
  ASSERT_EQ(person.status, 201);
  std::string person_token = Json::Parse(person.body)->Find("token")->as_string();
  EXPECT_EQ(Call("GET", "/api/v1/me", "", person_token).body,
            R"({"organization":"o1","role":"member","person":"ana"})");
  // Someone else's person, or nobody, is no person for o1's token.
  EXPECT_EQ(Call("POST", "/api/v1/tokens", R"({"organization":"o1","person":"nobody"})").status,
            422);
}

// A web folder given at start-up is served at /, with caching that fits
// Vite's content-hashed asset names, and nothing outside it is reachable.
TEST_F(RouterTest, ServesTheWebUiFromAFolder) {
  std::string dir = ::testing::TempDir() + "/cocreate-web-test";
  std::filesystem::create_directories(dir + "/assets");
  std::ofstream(dir + "/index.html") << "<!doctype html><title>ui</title>";
  std::ofstream(dir + "/assets/app-1a2b.js") << "console.log(1)";
  std::ofstream(::testing::TempDir() + "/secret.txt") << "no";
  Router router(*engine_, counters_, 1024, dir);
  auto get = [&](std::string target) {
    HttpRequest r;
    r.method = "GET";
    r.target = std::move(target);
    std::promise<HttpResponse> done;
    router.Handle(r, [&](HttpResponse response) { done.set_value(std::move(response)); });
    return done.get_future().get();
  };
  auto index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>ui</title>");
  auto js = get("/assets/app-1a2b.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  bool immutable = false;
  for (auto& [k, v] : js.headers)
    immutable |= k == "Cache-Control" && v.find("immutable") != v.npos;
  EXPECT_TRUE(immutable);
  EXPECT_EQ(get("/assets/missing.js").status, 404);
  EXPECT_EQ(get("/../secret.txt").status, 404);
  EXPECT_EQ(get("/assets/../../secret.txt").status, 404);
  EXPECT_EQ(get("/assets").status, 404);
  // The API is never shadowed by a file.
  EXPECT_EQ(get("/api/v1/organizations").status, 401);
}

TEST(StaticFilesTest, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("/noext"), "application/octet-stream");
}

}  // namespace
}  // namespace cocreate
