// The OpenAPI document (openapi.cc) against the router it describes: every
// route with its method, exactly the query parameters the route takes, a
// request body where the route reads one, the error answers every route
// shares, and no schema left as a placeholder.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "http/router.h"

namespace cocreate {
namespace {

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.spec = "sqlite::memory:";
    EngineOptions options;
    options.admin_token = "admin";
    engine_ = Engine::Open(EventStore::Open(o).value(), options).value();
    router_ = std::make_unique<Router>(*engine_, counters_, 1024);
    auto parsed = Json::Parse(OpenApiDocument());
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    doc_ = std::move(parsed).value();
  }

  // The operation object of `route`, or nullptr.
  const Json* Operation(const RouteInfo& route) const {
    const Json* item = doc_.Find("paths") ? doc_.Find("paths")->Find(route.pattern) : nullptr;
    if (item == nullptr) return nullptr;
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    return item->Find(method);
  }

  // Calls `visit(schema, where)` for every schema in the document: the
  // components and every schema nested in them, and those of parameters.
  void ForEachSchema(const Json& node, const std::string& where,
                     const std::function<void(const Json&, const std::string&)>& visit) const {
    if (!node.is_object()) return;
    visit(node, where);
    for (const char* key : {"items", "additionalProperties", "not"}) {
      if (const Json* child = node.Find(key); child && child->is_object()) {
        ForEachSchema(*child, where + "." + key, visit);
      }
    }
    if (const Json* props = node.Find("properties")) {
      for (const auto& [name, child] : props->members()) {
        ForEachSchema(child, where + ".properties." + name, visit);
      }
    }
    for (const char* key : {"oneOf", "anyOf", "allOf"}) {
      if (const Json* list = node.Find(key)) {
        for (size_t i = 0; i < list->items().size(); ++i) {
          ForEachSchema(list->items()[i], where + "." + key + "[" + std::to_string(i) + "]",
                        visit);
        }
      }
    }
  }

  std::unique_ptr<Engine> engine_;
  HttpCounters counters_;
  std::unique_ptr<Router> router_;
  Json doc_;
};

TEST_F(OpenApiTest, EveryRouteIsDocumentedWithItsMethod) {
  EXPECT_EQ(doc_.Find("openapi")->as_string().substr(0, 2), "3.");
  auto routes = router_->Routes();
  EXPECT_GT(routes.size(), 25u);
  for (const RouteInfo& route : routes) {
    EXPECT_NE(Operation(route), nullptr) << "missing from openapi.json: " << route.method << " "
                                         << route.pattern;
  }
}

// And nothing is documented that the router does not serve.
TEST_F(OpenApiTest, EveryDocumentedOperationIsARoute) {
  std::set<std::string> served = {"get /openapi.json"};  // answered before the routes
  for (const RouteInfo& route : router_->Routes()) {
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    served.insert(method + " " + route.pattern);
  }
  for (const auto& [path, item] : doc_.Find("paths")->members()) {
    for (const auto& [method, op] : item.members()) {
      EXPECT_TRUE(served.count(method + " " + path)) << method << " " << path << " is no route";
    }
  }
}

// The query parameters documented for a route are exactly those the router
// takes (any other is 400), so every list filter is in the document.
TEST_F(OpenApiTest, QueryParametersAreThoseTheRouteTakes) {
  for (const RouteInfo& route : router_->Routes()) {
    const Json* op = Operation(route);
    if (op == nullptr) continue;  // EveryRouteIsDocumentedWithItsMethod says so
    std::set<std::string> documented;
    std::set<std::string> in_path;
    for (const Json& p : op->Find("parameters")->items()) {
      ASSERT_TRUE(p.is_object()) << route.pattern << ": a parameter missing from kParameters";
      ASSERT_NE(p.Find("schema"), nullptr) << route.pattern;
      const std::string& name = p.Find("name")->as_string();
      (p.Find("in")->as_string() == "query" ? documented : in_path).insert(name);
    }
    std::set<std::string> taken(route.query.begin(), route.query.end());
    EXPECT_EQ(documented, taken) << route.method << " " << route.pattern;
    for (size_t at = route.pattern.find('{'); at != std::string::npos;
         at = route.pattern.find('{', at + 1)) {
      std::string name = route.pattern.substr(at + 1, route.pattern.find('}', at) - at - 1);
      EXPECT_TRUE(in_path.count(name)) << route.pattern << ": path parameter " << name;
    }
  }
}

// A route that reads a JSON body documents it; one that reads none does not.
// Every route answers 400, 401 and 503 (with Retry-After); with a body also
// 413 and 415.
TEST_F(OpenApiTest, BodiesAndSharedErrorAnswers) {
  for (const RouteInfo& route : router_->Routes()) {
    const Json* op = Operation(route);
    if (op == nullptr) continue;
    std::string what = route.method + " " + route.pattern;
    const Json* body = op->Find("requestBody");
    EXPECT_EQ(body != nullptr, route.takes_body) << what;
    const Json* responses = op->Find("responses");
    std::vector<std::string> codes = {"400", "401", "503"};
    if (route.takes_body) codes.insert(codes.end(), {"413", "415"});
    for (const std::string& code : codes) EXPECT_NE(responses->Find(code), nullptr) << what << " " << code;
    bool success = false;
    for (const auto& [code, answer] : responses->members()) success = success || code[0] == '2';
    EXPECT_TRUE(success) << what;
  }
  const Json* unavailable = doc_.Find("components")->Find("responses")->Find("503");
  ASSERT_NE(unavailable, nullptr);
  EXPECT_NE(unavailable->Find("headers")->Find("Retry-After"), nullptr);
  const Json* stream = doc_.Find("paths")->Find("/events/stream")->Find("get");
  EXPECT_NE(stream->Find("responses")->Find("200")->Find("content")->Find("text/event-stream"),
            nullptr);
}

// What is wrong with one schema (not its nested ones), or "" when nothing:
// an object says what its members are (properties), or that it is a map or
// free-form by design (additionalProperties, with a description when it is
// `true`), or that it has none (additionalProperties: false), or is made of
// others (allOf, oneOf: OpenAPI 3.0 needs `type` beside `nullable`); an array
// says what it holds; every schema has a type or is made of others.
std::string SchemaProblem(const Json& s) {
  if (s.Find("$ref")) return "";
  bool composed = s.Find("oneOf") || s.Find("anyOf") || s.Find("allOf");
  const Json* type = s.Find("type");
  if (!type && !composed) return "a schema without a type";
  if (type && type->as_string() == "object" && !composed) {
    const Json* props = s.Find("properties");
    const Json* extra = s.Find("additionalProperties");
    bool described = props && !props->members().empty();
    bool map = extra && extra->is_object();
    bool free_form = extra && extra->is_bool() && extra->as_bool() && s.Find("description");
    bool closed_empty = extra && extra->is_bool() && !extra->as_bool();
    if (!(described || map || free_form || closed_empty)) {
      return "an object with no properties (if it is free-form, say additionalProperties: true "
             "and why in a description)";
    }
  }
  if (type && type->as_string() == "array" && !s.Find("items")) return "an array without items";
  return "";
}

TEST(SchemaProblemTest, CatchesPlaceholders) {
  for (const char* bad : {R"({"type":"object"})", R"({})", R"({"type":"array"})",
                          R"({"type":"object","properties":{}})",
                          R"({"type":"object","additionalProperties":true})"}) {
    EXPECT_NE(SchemaProblem(Json::Parse(bad).value()), "") << bad;
  }
  for (const char* good :
       {R"({"type":"object","properties":{"a":{"type":"string"}}})",
        R"({"type":"object","additionalProperties":{"type":"integer"}})",
        R"({"type":"object","additionalProperties":true,"description":"free-form: why"})",
        R"({"oneOf":[{"type":"string"}]})", R"({"$ref":"#/components/schemas/Id"})"}) {
    EXPECT_EQ(SchemaProblem(Json::Parse(good).value()), "") << good;
  }
}

// No schema in the document, nested ones included, is a placeholder, and
// every $ref names a schema that exists.
TEST_F(OpenApiTest, NoPlaceholderSchemas) {
  const Json* schemas = doc_.Find("components")->Find("schemas");
  ASSERT_NE(schemas, nullptr);
  int seen = 0;
  auto check = [&](const Json& s, const std::string& where) {
    ++seen;
    EXPECT_EQ(SchemaProblem(s), "") << where;
    if (const Json* ref = s.Find("$ref")) {
      const std::string prefix = "#/components/schemas/";
      ASSERT_EQ(ref->as_string().rfind(prefix, 0), 0u) << where;
      EXPECT_NE(schemas->Find(ref->as_string().substr(prefix.size())), nullptr) << where;
    }
  };
  for (const auto& [name, schema] : schemas->members()) {
    ForEachSchema(schema, "#/components/schemas/" + name, check);
  }
  // The schemas of parameters, bodies and answers, wherever they are.
  std::function<void(const Json&, const std::string&)> walk = [&](const Json& node,
                                                                   const std::string& where) {
    if (node.is_array()) {
      for (const Json& item : node.items()) walk(item, where);
      return;
    }
    if (!node.is_object()) return;
    for (const auto& [key, value] : node.members()) {
      if (key == "schema") {
        ForEachSchema(value, where, check);
      } else {
        walk(value, where + "/" + key);
      }
    }
  };
  walk(*doc_.Find("paths"), "#/paths");
  walk(*doc_.Find("components")->Find("responses"), "#/components/responses");
  EXPECT_GT(seen, 500);  // the walk reached the schemas (no vacuous pass)
}

}  // namespace
}  // namespace cocreate
