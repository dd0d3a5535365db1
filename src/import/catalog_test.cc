// ApplyCatalog over a real engine (in-memory SQLite): what is created, what
// a re-import changes (nothing, when nothing changed), and what is refused
// and why (CONTRACT §9.23).
#include "import/catalog.h"

#include <gtest/gtest.h>

#include "import/backstage.h"
#include "import/csv.h"
#include "import/import.h"

namespace cocreate {
namespace {

std::unique_ptr<Engine> MemoryEngine() {
  StoreOptions o;
  o.spec = "sqlite::memory:";
  EngineOptions options;
  options.admin_token = "admin-token-admin-token-admin-token";
  return Engine::Open(EventStore::Open(o).value(), options).value();
}

const char kCatalog[] = R"(
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: storefront}
spec: {type: team}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: ledger-db}
spec: {type: database, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, description: Double-entry ledger}
spec: {type: service, owner: payments, dependsOn: [resource:ledger-db], providesApis: [ledger-api]}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: ledger-api}
spec: {type: openapi, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec:
  type: service
  owner: storefront
  consumesApis: [ledger-api]
  dependsOn: [component:ledger]
)";

ImportReport Import(Engine& engine, const std::string& text) {
  StatusOr<ImportReport> r = ImportText(engine, "backstage", "", text, "catalog-info.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : ImportReport{};
}

std::string IdOf(Engine& engine, Noun noun, const std::string& external_id) {
  std::string id;
  engine.Inspect([&](const State& s) {
    if (const std::string* found = s.FindByExternalId(noun, external_id)) id = *found;
  });
  return id;
}

TEST(ApplyCatalogTest, BackstageThroughTheRulesAndIdempotent) {
  auto engine = MemoryEngine();
  ImportReport first = Import(*engine, kCatalog);
  EXPECT_EQ(first.ToJson(), R"({"created":7,"updated":0,"unchanged":0,"refused":[]})");
  std::string ledger = IdOf(*engine, Noun::kService, "component:default/ledger");
  std::string checkout = IdOf(*engine, Noun::kService, "component:default/checkout");
  std::string offering = IdOf(*engine, Noun::kOffering, "api:default/ledger-api");
  std::string storefront = IdOf(*engine, Noun::kOrganization, "group:default/storefront");
  ASSERT_FALSE(ledger.empty());
  ASSERT_FALSE(offering.empty());
  engine->Inspect([&](const State& s) {
    EXPECT_EQ(s.FindService(ledger)->built_on,
              std::vector<std::string>{*s.FindByExternalId(Noun::kResource, "resource:default/ledger-db")});
    EXPECT_EQ(s.FindService(ledger)->description, "Double-entry ledger");
    const Offering& o = *s.FindOffering(offering);
    EXPECT_TRUE(o.audience_public);
    ASSERT_EQ(o.actions.size(), 1u);
    EXPECT_EQ(o.actions[0].name, "use");
    EXPECT_EQ(o.actions[0].effect, Effect::kNone);
    ASSERT_EQ(s.RelationshipsOn(offering).size(), 1u);
    const Relationship& rel = *s.FindRelationship(s.RelationshipsOn(offering)[0]);
    EXPECT_EQ(rel.consumer, storefront);
    EXPECT_EQ(rel.status, RelationshipStatus::kActive);
    EXPECT_EQ(rel.type, RelationshipType::kBasic);
    // Another team's service, usable once the relationship is active.
    EXPECT_EQ(s.FindService(checkout)->depends_on, std::vector<std::string>{ledger});
  });
  int64_t seq = engine->last_seq();
  ImportReport second = Import(*engine, kCatalog);
  EXPECT_EQ(second.ToJson(), R"({"created":0,"updated":0,"unchanged":7,"refused":[]})");
  EXPECT_EQ(engine->last_seq(), seq);

  // A changed field updates in place.
  std::string changed = kCatalog;
  changed.replace(changed.find("Double-entry ledger"), 19, "The ledger");
  ImportReport third = Import(*engine, changed);
  EXPECT_EQ(third.ToJson(), R"({"created":0,"updated":1,"unchanged":6,"refused":[]})");
  EXPECT_EQ(IdOf(*engine, Noun::kService, "component:default/ledger"), ledger);
  engine->Inspect([&](const State& s) { EXPECT_EQ(s.FindService(ledger)->description, "The ledger"); });
}

TEST(ApplyCatalogTest, RefusalsNameTheRuleAndSpreadToDependents) {
  auto engine = MemoryEngine();
  ImportReport r = Import(*engine, R"(
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orphan}
spec: {type: service, owner: nobody, providesApis: [orphan-api]}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: orphan-api}
spec: {type: openapi, owner: nobody}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: lonely}
spec: {type: service, owner: team, dependsOn: [resource:missing]}
)");
  EXPECT_EQ(r.created, 1);
  ASSERT_EQ(r.refused.size(), 3u);
  EXPECT_EQ(r.refused[0].entity, "component:default/orphan");
  EXPECT_EQ(r.refused[0].code, "unknown_reference");
  EXPECT_NE(r.refused[0].message.find("group:default/nobody"), std::string::npos);
  EXPECT_EQ(r.refused[1].entity, "component:default/lonely");
  EXPECT_EQ(r.refused[1].code, "unknown_reference");
  EXPECT_EQ(r.refused[2].entity, "api:default/orphan-api");
  EXPECT_EQ(r.refused[2].code, "refused_reference");
  EXPECT_GT(r.refused[2].line, 0);
}

TEST(ApplyCatalogTest, ADependencyOnAnotherTeamNeedsARelationship) {
  auto engine = MemoryEngine();
  ImportReport r = Import(*engine, R"(
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: a}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: b}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: x}
spec: {owner: a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: y}
spec: {owner: b, dependsOn: [component:x]}
)");
  EXPECT_EQ(r.created, 3);
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].entity, "component:default/y");
  EXPECT_EQ(r.refused[0].code, "service_not_usable");
  // Nothing half-applied: y is not there at all.
  EXPECT_EQ(IdOf(*engine, Noun::kService, "component:default/y"), "");
}

TEST(ApplyCatalogTest, CsvByExternalIdOrIdAndDuplicates) {
  auto engine = MemoryEngine();
  ASSERT_TRUE(ImportText(*engine, "csv", "organizations",
                         "external_id,name,description\nacme,Acme,\"Anvils, rockets\"\n", "o.csv")
                  .ok());
  std::string acme = IdOf(*engine, Noun::kOrganization, "acme");
  ImportReport res = *ImportText(*engine, "csv", "resources",
                                 "external_id,owner,kind,name,attributes.size\n"
                                 "db,acme,database,Main DB,large\n"
                                 "disk," + acme + ",technology,Disk,\n"
                                 "ghost,nobody,technology,Ghost,\n", "r.csv");
  EXPECT_EQ(res.created, 2);
  ASSERT_EQ(res.refused.size(), 1u);
  EXPECT_EQ(res.refused[0].code, "unknown_reference");
  EXPECT_EQ(res.refused[0].line, 4);
  engine->Inspect([&](const State& s) {
    const Resource& db = *s.FindResource(*s.FindByExternalId(Noun::kResource, "db"));
    EXPECT_EQ(db.current().attributes.Dump(), R"({"source":{"format":"csv"},"size":"large"})");
  });
  ImportReport svc = *ImportText(*engine, "csv", "services",
                                 "external_id,provider,name,built_on,depends_on\n"
                                 "shop,acme,Shop,db disk,base\n"
                                 "base,acme,Base,,\n"
                                 "bad,acme,Bad,ghost,\n", "s.csv");
  EXPECT_EQ(svc.created, 2);
  ASSERT_EQ(svc.refused.size(), 1u);
  EXPECT_EQ(svc.refused[0].entity, "bad");
  EXPECT_EQ(svc.refused[0].code, "unknown_reference");  // refused by an earlier import
  // A revision when an attribute changes; the external_id stays the key.
  ImportReport again = *ImportText(*engine, "csv", "resources",
                                   "external_id,owner,kind,name,attributes.size\n"
                                   "db,acme,database,Main DB,small\n", "r.csv");
  EXPECT_EQ(again.updated, 1);
  engine->Inspect([&](const State& s) {
    const Resource& db = *s.FindResource(*s.FindByExternalId(Noun::kResource, "db"));
    EXPECT_EQ(db.current().version, 2);
    EXPECT_EQ(db.current().attributes.value().Find("size")->as_string(), "small");
  });
  // Changing an owner is a transfer, not an import.
  ASSERT_TRUE(ImportText(*engine, "csv", "organizations", "external_id,name\nglobex,Globex\n", "o.csv").ok());
  ImportReport moved = *ImportText(*engine, "csv", "resources",
                                   "external_id,owner,kind,name\ndb,globex,database,Main DB\n", "r.csv");
  ASSERT_EQ(moved.refused.size(), 1u);
  EXPECT_EQ(moved.refused[0].code, "owner_mismatch");
}

TEST(ApplyCatalogTest, RequestChecks) {
  auto bad = [](std::string_view body) {
    return DecodeImport(Json::Parse(body).value()).status();
  };
  EXPECT_EQ(bad(R"({"format": "xml", "content": ""})").field(), "format");
  EXPECT_EQ(bad(R"({"format": "csv", "content": ""})").field(), "kind");
  EXPECT_EQ(bad(R"({"format": "csv", "kind": "people", "content": ""})").field(), "kind");
  EXPECT_EQ(bad(R"({"format": "backstage", "kind": "services", "content": ""})").field(), "kind");
  EXPECT_EQ(bad(R"({"format": "backstage"})").field(), "content");
  EXPECT_EQ(bad(R"({"format": "backstage", "content": 3})").field(), "content");
  EXPECT_EQ(bad(R"({"format": "backstage", "content": "", "x": 1})").field(), "x");
  EXPECT_TRUE(DecodeImport(Json::Parse(R"({"format": "backstage", "content": ""})").value()).ok());
}

}  // namespace
}  // namespace cocreate
