// The Backstage reader: mapping of each kind, Backstage's reference
// defaults, and refusals of what is not a catalog (CONTRACT §9.23).
#include "import/backstage.h"

#include <gtest/gtest.h>

#include <string>

namespace cocreate {
namespace {

Catalog Read(const std::string& text) {
  BackstageReader reader;
  reader.Add(text, "catalog-info.yaml");
  return reader.Build();
}

TEST(CanonicalRefTest, FillsBackstageDefaultsAndLowerCases) {
  EXPECT_EQ(CanonicalRef("team-a", "group", "default"), "group:default/team-a");
  EXPECT_EQ(CanonicalRef("Group:Team-A", "", "default"), "group:default/team-a");
  EXPECT_EQ(CanonicalRef("component:payments/ledger", "api", "default"),
            "component:payments/ledger");
  EXPECT_EQ(CanonicalRef("ops/db", "resource", "default"), "resource:ops/db");
  EXPECT_EQ(CanonicalRef("db", "resource", "ops"), "resource:ops/db");
  EXPECT_EQ(CanonicalRef("", "group", "default"), "");
  EXPECT_EQ(CanonicalRef("name", "", "default"), "");
  EXPECT_EQ(CanonicalRef("a:b/c/d", "", "default"), "");
}

TEST(BackstageReaderTest, MapsEachKind) {
  Catalog c = Read(R"(
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments, description: Money in and out}
spec: {type: team, profile: {displayName: Payments Team}, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: ledger-db, annotations: {backstage.io/created-at: "2024-03-01"}}
spec: {type: database, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, title: Ledger Service, tags: [java]}
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  dependsOn: [resource:ledger-db, component:fx-rates]
  providesApis: [ledger-api]
  consumesApis: [fx-api, ledger-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: ledger-api}
spec: {type: openapi, owner: payments, lifecycle: production, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {memberOf: [payments]}
)");
  EXPECT_TRUE(c.refused.empty()) << c.refused[0].message;
  ASSERT_EQ(c.organizations.size(), 1u);
  EXPECT_EQ(c.organizations[0].external_id, "group:default/payments");
  EXPECT_EQ(c.organizations[0].name, "Payments Team");
  EXPECT_EQ(*c.organizations[0].description, "Money in and out");
  EXPECT_EQ(c.organizations[0].attributes.Find("source")->Find("type")->as_string(), "team");
  ASSERT_EQ(c.resources.size(), 1u);
  EXPECT_EQ(c.resources[0].owner, "group:default/payments");
  EXPECT_EQ(c.resources[0].kind, "database");
  EXPECT_EQ(c.resources[0]
                .attributes.Find("source")
                ->Find("annotations")
                ->Find("backstage.io/created-at")
                ->as_string(),
            "2024-03-01");
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.services[0].name, "Ledger Service");
  EXPECT_EQ(c.services[0].built_on, std::vector<std::string>{"resource:default/ledger-db"});
  EXPECT_EQ(c.services[0].depends_on, std::vector<std::string>{"component:default/fx-rates"});
  ASSERT_EQ(c.offerings.size(), 1u);
  EXPECT_EQ(c.offerings[0].external_id, "api:default/ledger-api");
  EXPECT_EQ(c.offerings[0].service, "component:default/ledger");
  // Its own API is no relationship; fx-api is consumed by the owner.
  ASSERT_EQ(c.relationships.size(), 1u);
  EXPECT_EQ(c.relationships[0].consumer, "group:default/payments");
  EXPECT_EQ(c.relationships[0].offering, "api:default/fx-api");
}

TEST(BackstageReaderTest, OddInputsAreRefusedNotCrashed) {
  EXPECT_TRUE(Read("").refused.empty());
  EXPECT_TRUE(Read("---\n---\n").refused.empty());

  Catalog bad = Read("apiVersion: backstage.io/v1alpha1\nkind: [unclosed\n");
  ASSERT_EQ(bad.refused.size(), 1u);
  EXPECT_EQ(bad.refused[0].code, "invalid_yaml");
  EXPECT_EQ(bad.refused[0].entity, "catalog-info.yaml");
  EXPECT_GT(bad.refused[0].line, 0);

  Catalog list = Read("- just\n- a list\n");
  ASSERT_EQ(list.refused.size(), 1u);
  EXPECT_EQ(list.refused[0].code, "invalid_entity");
  EXPECT_EQ(list.refused[0].entity, "catalog-info.yaml document 1");

  Catalog scalar = Read("---\nkind: Group\nmetadata: {name: a}\napiVersion: backstage.io/v1alpha1\n---\nplain text\n");
  ASSERT_EQ(scalar.refused.size(), 1u);
  EXPECT_EQ(scalar.refused[0].code, "invalid_entity");
  EXPECT_EQ(scalar.organizations.size(), 1u);

  Catalog no_name = Read("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {}\n");
  ASSERT_EQ(no_name.refused.size(), 1u);
  EXPECT_EQ(no_name.refused[0].code, "missing_field");
  EXPECT_NE(no_name.refused[0].message.find("metadata.name"), std::string::npos);

  Catalog no_owner = Read("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c}\nspec: {type: service}\n");
  ASSERT_EQ(no_owner.refused.size(), 1u);
  EXPECT_EQ(no_owner.refused[0].code, "missing_field");
  EXPECT_EQ(no_owner.refused[0].entity, "component:default/c");

  Catalog wrong_type = Read("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c}\nspec: {owner: [a, b]}\n");
  ASSERT_EQ(wrong_type.refused.size(), 1u);
  EXPECT_EQ(wrong_type.refused[0].code, "invalid_field");

  Catalog twice = Read(
      "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: a}\n---\n"
      "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: A}\n");
  ASSERT_EQ(twice.refused.size(), 1u);
  EXPECT_EQ(twice.refused[0].code, "duplicate_external_id");
  EXPECT_EQ(twice.refused[0].line, 5);
  EXPECT_EQ(twice.organizations.size(), 1u);

  Catalog orphan = Read("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: x}\nspec: {owner: a}\n");
  ASSERT_EQ(orphan.refused.size(), 1u);
  EXPECT_EQ(orphan.refused[0].code, "no_provider");
}

TEST(BackstageReaderTest, DeepAndHugeYamlDoesNotCrash) {
  // Nesting far beyond any catalog: yaml-cpp's depth guard refuses it.
  std::string deep(100000, '[');
  Catalog c = Read(deep);
  ASSERT_EQ(c.refused.size(), 1u);
  EXPECT_EQ(c.refused[0].code, "invalid_yaml");
  std::string deep_map;
  for (int i = 0; i < 1000; ++i) deep_map += std::string(static_cast<size_t>(i), ' ') + "a:\n";
  EXPECT_NO_FATAL_FAILURE(Read(deep_map));
  // Aliases that would expand exponentially are never expanded.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c1 = 'b'; c1 <= 'k'; ++c1) {
    std::string prev(1, static_cast<char>(c1 - 1));
    laughs += std::string(1, c1) + ": &" + std::string(1, c1) + " [*" + prev + ", *" + prev +
              ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
              prev + ", *" + prev + ", *" + prev + "]\n";
  }
  laughs += "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\n  labels: *k\n"
            "  annotations: {x: *k}\n  tags: *k\n";
  Catalog l = Read(laughs);
  EXPECT_EQ(l.organizations.size(), 1u);
  // Many entities in one text.
  std::string many;
  for (int i = 0; i < 5000; ++i) {
    many += "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: g" +
            std::to_string(i) + "}\n";
  }
  EXPECT_EQ(Read(many).organizations.size(), 5000u);
}

}  // namespace
}  // namespace cocreate
