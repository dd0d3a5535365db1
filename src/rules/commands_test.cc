// Tests of the command decoders: every malformed body answers 400
// invalid_field naming the exact field path; well-formed bodies decode to the
// values they spell, with lists left out empty.
#include "rules/commands.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cocreate {

// Readable gtest failure messages for Json values.
inline void PrintTo(const Json& j, std::ostream* os) { *os << j.Dump(); }

namespace {

Json Body(std::string_view text) {
  StatusOr<Json> j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? j.value() : Json();
}

// Succeeds when `s` is 400 invalid_field naming exactly `field`.
::testing::AssertionResult InvalidAt(const Status& s, std::string_view field) {
  if (s.code() == Code::kInvalidArgument && s.reason() == "invalid_field" &&
      s.field() == field) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << HttpStatusOf(s.code()) << " " << s.ToString()
         << " [field '" << s.field() << "'], want 400 invalid_field at '"
         << field << "'";
}

Status CreateError(Noun noun, std::string_view body) {
  StatusOr<Command> c = DecodeCreate(noun, Body(body));
  return c.ok() ? Status::Ok() : c.status();
}

template <typename T>
T Decoded(Noun noun, std::string_view body) {
  StatusOr<Command> c = DecodeCreate(noun, Body(body));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(c->body));
  // The request is kept for idempotent retries, which only a create that
  // names its id can have.
  if (c->ClientId().empty()) {
    EXPECT_TRUE(c->request.is_null()) << "a server-made id is never retried";
  } else {
    EXPECT_EQ(c->request, Body(body)) << "the request is kept for idempotent retries";
  }
  return std::holds_alternative<T>(c->body) ? std::get<T>(c->body) : T{};
}

// ---- any create ----

TEST(DecodeCreateTest, BodyMustBeAnObject) {
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kOrganization, R"([])"), ""));
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kResource, R"("x")"), ""));
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kProvision, R"(null)"), ""));
}

TEST(DecodeCreateTest, ClientIdMustMatchThePattern) {
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOrganization, R"({"id": "-x", "name": "A"})"), "id"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOrganization, R"({"id": "a b", "name": "A"})"), "id"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOrganization, R"({"id": "", "name": "A"})"), "id"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOrganization, R"({"id": 7, "name": "A"})"), "id"));
  std::string long_id(129, 'a');
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kOrganization,
                            R"({"id": ")" + long_id + R"(", "name": "A"})"),
                "id"));
  long_id.pop_back();
  EXPECT_TRUE(CreateError(Noun::kOrganization,
                          R"({"id": ")" + long_id + R"(", "name": "A"})")
                  .ok());
}

TEST(DecodeCreateTest, ClientIdIsReportedPerNoun) {
  auto id_of = [](Noun noun, std::string_view body) {
    StatusOr<Command> c = DecodeCreate(noun, Body(body));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->ClientId() : std::string("<error>");
  };
  EXPECT_EQ(id_of(Noun::kOrganization, R"({"id": "o1", "name": "A"})"), "o1");
  EXPECT_EQ(id_of(Noun::kConsumerGroup, R"({"id": "g1", "name": "G"})"), "g1");
  EXPECT_EQ(id_of(Noun::kResource,
                  R"({"id": "r1", "owner": "o", "kind": "k", "name": "n"})"),
            "r1");
  EXPECT_EQ(
      id_of(Noun::kService, R"({"id": "s1", "provider": "o", "name": "S"})"),
      "s1");
  EXPECT_EQ(
      id_of(
          Noun::kRelationship,
          R"({"id": "rel1", "offering": "f", "consumer": "c", "type": "basic"})"),
      "rel1");
  EXPECT_EQ(id_of(Noun::kProvision,
                  R"({"id": "p1", "relationship": "r", "action": "a"})"),
            "p1");
  EXPECT_EQ(id_of(Noun::kOrganization, R"({"name": "A"})"), "");
}

// ---- organizations ----

TEST(DecodeOrganizationTest, NameIsARequiredNonEmptyString) {
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kOrganization, R"({})"), "name"));
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kOrganization, R"({"name": null})"), "name"));
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kOrganization, R"({"name": ""})"), "name"));
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kOrganization, R"({"name": 3})"), "name"));
}

TEST(DecodeOrganizationTest, OptionalFieldsHaveTheirTypes) {
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOrganization, R"({"name": "A", "description": 1})"),
      "description"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOrganization, R"({"name": "A", "attributes": [1]})"),
      "attributes"));
}

TEST(DecodeOrganizationTest, DecodesValues) {
  auto c = Decoded<CreateOrganization>(
      Noun::kOrganization,
      R"({"id": "acme", "name": "Acme", "description": "d", "attributes": {"tier": 1}})");
  EXPECT_EQ(c.org.id, "acme");
  EXPECT_EQ(c.org.name, "Acme");
  EXPECT_EQ(c.org.description, "d");
  EXPECT_EQ(c.org.attributes, Body(R"({"tier": 1})"));

  auto bare =
      Decoded<CreateOrganization>(Noun::kOrganization, R"({"name": "Acme"})");
  EXPECT_EQ(bare.org.id, "");
  EXPECT_EQ(bare.org.description, "");
  EXPECT_EQ(bare.org.attributes, Json::MakeObject());
}

// ---- consumer groups ----

TEST(DecodeConsumerGroupTest, MembersAreAListOfIds) {
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kConsumerGroup, R"({"name": "G", "members": "a"})"),
      "members"));
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kConsumerGroup,
                                    R"({"name": "G", "members": ["a", 2]})"),
                        "members[1]"));
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kConsumerGroup,
                            R"({"name": "G", "members": ["a", "b c"]})"),
                "members[1]"));
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kConsumerGroup, R"({"members": []})"),
                        "name"));
}

TEST(DecodeConsumerGroupTest, MembersLeftOutAreEmpty) {
  EXPECT_TRUE(
      Decoded<CreateConsumerGroup>(Noun::kConsumerGroup, R"({"name": "G"})")
          .group.members.empty());
  auto c = Decoded<CreateConsumerGroup>(
      Noun::kConsumerGroup, R"({"name": "G", "members": ["a", "b"]})");
  EXPECT_EQ(c.group.members, (std::vector<std::string>{"a", "b"}));
}

// ---- resources ----

TEST(DecodeResourceTest, RequiredFields) {
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kResource, R"({"kind": "k", "name": "n"})"), "owner"));
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kResource,
                            R"({"owner": "bad id", "kind": "k", "name": "n"})"),
                "owner"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kResource, R"({"owner": "o", "name": "n"})"), "kind"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kResource, R"({"owner": "o", "kind": "k"})"), "name"));
  EXPECT_TRUE(InvalidAt(
      CreateError(
          Noun::kResource,
          R"({"owner": "o", "kind": "k", "name": "n", "attributes": 1})"),
      "attributes"));
}

TEST(DecodeResourceTest, DecodesValues) {
  auto c = Decoded<CreateResource>(
      Noun::kResource,
      R"({"id": "r1", "owner": "o", "kind": "technology", "name": "DB", "attributes": {"v": [1]}})");
  EXPECT_EQ(c.owner, "o");
  EXPECT_EQ(c.resource.id, "r1");
  EXPECT_EQ(c.resource.kind, "technology");
  EXPECT_EQ(c.resource.name, "DB");
  EXPECT_EQ(c.resource.attributes, Body(R"({"v": [1]})"));
  EXPECT_EQ(Decoded<CreateResource>(
                Noun::kResource, R"({"owner": "o", "kind": "k", "name": "n"})")
                .resource.attributes,
            Json::MakeObject());
}

// ---- services ----

TEST(DecodeServiceTest, FieldPaths) {
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kService, R"({"name": "S"})"), "provider"));
  EXPECT_TRUE(
      InvalidAt(CreateError(Noun::kService, R"({"provider": "p"})"), "name"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kService,
                  R"({"provider": "p", "name": "S", "built_on": {}})"),
      "built_on"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kService,
                  R"({"provider": "p", "name": "S", "built_on": [1]})"),
      "built_on[0]"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kService,
                  R"({"provider": "p", "name": "S", "depends_on": ["a", ""]})"),
      "depends_on[1]"));
}

TEST(DecodeServiceTest, ListsLeftOutAreEmpty) {
  auto c = Decoded<CreateService>(Noun::kService,
                                  R"({"provider": "p", "name": "S"})");
  EXPECT_EQ(c.service.provider, "p");
  EXPECT_TRUE(c.links.built_on.empty());
  EXPECT_TRUE(c.links.depends_on.empty());
  auto full = Decoded<CreateService>(
      Noun::kService,
      R"({"provider": "p", "name": "S", "built_on": ["r1", "r2"], "depends_on": ["s1"]})");
  EXPECT_EQ(full.links.built_on, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(full.links.depends_on, (std::vector<std::string>{"s1"}));
  // The request's ids stay text: nothing is interned before the rules accept it.
  EXPECT_TRUE(full.service.built_on.empty());
}

// ---- offerings ----

constexpr char kOfferingHead[] =
    R"({"provider": "p", "service": "s", "name": "O")";

Status OfferingError(std::string_view rest) {
  return CreateError(Noun::kOffering,
                     std::string(kOfferingHead) + std::string(rest) + "}");
}

TEST(DecodeOfferingTest, AudienceIsPublicOrConsumerGroups) {
  EXPECT_TRUE(InvalidAt(OfferingError(""), "audience"));
  EXPECT_TRUE(InvalidAt(OfferingError(R"(, "audience": null)"), "audience"));
  EXPECT_TRUE(
      InvalidAt(OfferingError(R"(, "audience": "private")"), "audience"));
  EXPECT_TRUE(InvalidAt(OfferingError(R"(, "audience": ["g"])"), "audience"));
  EXPECT_TRUE(InvalidAt(OfferingError(R"(, "audience": {})"),
                        "audience.consumer_groups"));
  EXPECT_TRUE(
      InvalidAt(OfferingError(R"(, "audience": {"consumer_groups": "g"})"),
                "audience.consumer_groups"));
  EXPECT_TRUE(
      InvalidAt(OfferingError(R"(, "audience": {"consumer_groups": ["g", 1]})"),
                "audience.consumer_groups[1]"));
}

TEST(DecodeOfferingTest, RequiredFields) {
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOffering,
                  R"({"service": "s", "name": "O", "audience": "public"})"),
      "provider"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOffering,
                  R"({"provider": "p", "name": "O", "audience": "public"})"),
      "service"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kOffering,
                  R"({"provider": "p", "service": "s", "audience": "public"})"),
      "name"));
}

TEST(DecodeOfferingTest, ListElementPaths) {
  EXPECT_TRUE(InvalidAt(
      OfferingError(R"(, "audience": "public", "goods": [{"name": "n"}])"),
      "goods[0].kind"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(R"(, "audience": "public", "goods": [{"kind": "k"}])"),
      "goods[0].name"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(R"(, "audience": "public", "goods": ["k"])"), "goods[0]"));
  EXPECT_TRUE(
      InvalidAt(OfferingError(R"(, "audience": "public", "access": [{}])"),
                "access[0].resource"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "access": [{"resource": "r"}, {"resource": "a b"}])"),
      "access[1].resource"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "actions": [{"effect": "none"}])"),
      "actions[0].name"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "actions": [{"name": "a", "effect": "none"}, {"name": "b", "effect": "delete"}])"),
      "actions[1].effect"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(R"(, "audience": "public", "actions": [{"name": "a"}])"),
      "actions[0].effect"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "service_levels": [{"metric": "uptime"}])"),
      "service_levels[0].objective"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "service_levels": [{"objective": 99}])"),
      "service_levels[0].metric"));
}

TEST(DecodeOfferingTest, ActionNamesAreUnique) {
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "actions": [{"name": "a", "effect": "none"}, {"name": "a", "effect": "create"}])"),
      "actions[1].name"));
}

TEST(DecodeOfferingTest, PriceNeedsAnAmountAndCurrency) {
  EXPECT_TRUE(InvalidAt(OfferingError(R"(, "audience": "public", "price": 5)"),
                        "price"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(R"(, "audience": "public", "price": {"currency": "EUR"})"),
      "price.amount"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(
          R"(, "audience": "public", "price": {"amount": "5", "currency": "EUR"})"),
      "price.amount"));
  EXPECT_TRUE(InvalidAt(
      OfferingError(R"(, "audience": "public", "price": {"amount": 5})"),
      "price.currency"));
}

TEST(DecodeOfferingTest, PublicAudienceAndListsLeftOutEmpty) {
  auto c = Decoded<CreateOffering>(
      Noun::kOffering,
      std::string(kOfferingHead) + R"(, "audience": "public"})");
  const Offering& o = c.offering;
  EXPECT_EQ(o.provider, "p");
  EXPECT_EQ(o.service, "s");
  EXPECT_TRUE(o.audience_public);
  EXPECT_TRUE(o.audience_groups.empty());
  EXPECT_TRUE(o.goods.empty());
  EXPECT_TRUE(o.access.empty());
  EXPECT_TRUE(o.actions.empty());
  EXPECT_TRUE(o.service_levels.empty());
  EXPECT_FALSE(o.price.has_value());
}

TEST(DecodeOfferingTest, ConsumerGroupAudienceAndFullBody) {
  auto c =
      Decoded<CreateOffering>(Noun::kOffering, std::string(kOfferingHead) + R"(,
      "audience": {"consumer_groups": ["g1", "g2"]},
      "goods": [{"kind": "goods", "name": "Widgets"}],
      "access": [{"resource": "r1"}],
      "actions": [{"name": "make", "effect": "create"}, {"name": "tune", "effect": "modify"},
                  {"name": "give", "effect": "transfer"}, {"name": "talk", "effect": "none"}],
      "service_levels": [{"metric": "uptime", "objective": 99.9, "unit": "%"}],
      "price": {"amount": 10, "currency": "EUR", "period": "month"}})");
  const Offering& o = c.offering;
  EXPECT_FALSE(o.audience_public);
  EXPECT_EQ(o.audience_groups, (std::vector<std::string>{"g1", "g2"}));
  ASSERT_EQ(o.goods.size(), 1u);
  EXPECT_EQ(o.goods[0].kind, "goods");
  EXPECT_EQ(o.goods[0].name, "Widgets");
  EXPECT_EQ(o.access, (std::vector<std::string>{"r1"}));
  ASSERT_EQ(o.actions.size(), 4u);
  EXPECT_EQ(o.actions[0].effect, Effect::kCreate);
  EXPECT_EQ(o.actions[1].effect, Effect::kModify);
  EXPECT_EQ(o.actions[2].effect, Effect::kTransfer);
  EXPECT_EQ(o.actions[3].effect, Effect::kNone);
  EXPECT_EQ(o.actions[3].name, "talk");
  ASSERT_EQ(o.service_levels.size(), 1u);
  EXPECT_EQ(o.service_levels[0].metric, "uptime");
  EXPECT_EQ(o.service_levels[0].objective, Json(99.9));
  EXPECT_EQ(o.service_levels[0].unit, "%");
  ASSERT_TRUE(o.price.has_value());
  EXPECT_EQ(o.price->amount, Json(10));
  EXPECT_EQ(o.price->currency, "EUR");
  EXPECT_EQ(o.price->period, "month");
}

// ---- relationships ----

TEST(DecodeRelationshipTest, FieldPaths) {
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kRelationship, R"({"consumer": "c", "type": "basic"})"),
      "offering"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kRelationship, R"({"offering": "o", "type": "basic"})"),
      "consumer"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kRelationship, R"({"offering": "o", "consumer": "c"})"),
      "type"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kRelationship,
                  R"({"offering": "o", "consumer": "c", "type": "casual"})"),
      "type"));
}

TEST(DecodeRelationshipTest, DecodesEveryType) {
  for (auto [name, type] :
       {std::pair{"basic", RelationshipType::kBasic},
        std::pair{"cooperative", RelationshipType::kCooperative},
        std::pair{"partnership", RelationshipType::kPartnership}}) {
    auto c = Decoded<CreateRelationship>(
        Noun::kRelationship,
        std::string(R"({"offering": "o", "consumer": "c", "type": ")") + name +
            R"("})");
    EXPECT_EQ(c.relationship.type, type) << name;
    EXPECT_EQ(c.relationship.offering, "o");
    EXPECT_EQ(c.relationship.consumer, "c");
  }
}

// ---- provisions ----

constexpr char kProvisionHead[] = R"({"relationship": "rel", "action": "a")";

Status ProvisionError(std::string_view rest) {
  return CreateError(Noun::kProvision,
                     std::string(kProvisionHead) + std::string(rest) + "}");
}

TEST(DecodeProvisionTest, RequiredFields) {
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kProvision, R"({"action": "a"})"),
                        "relationship"));
  EXPECT_TRUE(InvalidAt(
      CreateError(Noun::kProvision, R"({"relationship": "r"})"), "action"));
}

TEST(DecodeProvisionTest, ListPaths) {
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "used": "r")"), "used"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "used": ["r", null])"), "used[1]"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "creates": {})"), "creates"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "creates": ["x"])"), "creates[0]"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "creates": [{"name": "n"}])"),
                        "creates[0].kind"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "creates": [{"kind": "k", "name": "n"}, {"kind": "k"}])"),
      "creates[1].name"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "creates": [{"id": "a b", "kind": "k", "name": "n"}])"),
      "creates[0].id"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "creates": [{"kind": "k", "name": "n", "attributes": []}])"),
      "creates[0].attributes"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "modifies": [{"attributes": {}}])"),
                        "modifies[0].resource"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "modifies": [{"resource": "r"}])"),
                        "modifies[0].attributes"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(R"(, "modifies": [{"resource": "r", "attributes": 1}])"),
      "modifies[0].attributes"));
  EXPECT_TRUE(
      InvalidAt(ProvisionError(R"(, "transfers": [1])"), "transfers[0]"));
}

TEST(DecodeProvisionTest, ValuePaths) {
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "value": [])"), "value"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "value": {"outcomes": "x"})"),
                        "value.outcomes"));
  EXPECT_TRUE(InvalidAt(ProvisionError(R"(, "value": {"outcomes": ["a", 2]})"),
                        "value.outcomes[1]"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "value": {"costs": [{"amount": 1, "currency": "EUR", "kind": "spent"}]})"),
      "value.costs[0].kind"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "value": {"costs": [{"amount": 1, "currency": "EUR"}]})"),
      "value.costs[0].kind"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "value": {"costs": [{"currency": "EUR", "kind": "introduced"}]})"),
      "value.costs[0].amount"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "value": {"costs": [{"amount": 1, "kind": "introduced"}]})"),
      "value.costs[0].currency"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(R"(, "value": {"risks": [{"kind": "removed"}]})"),
      "value.risks[0].description"));
  EXPECT_TRUE(InvalidAt(
      ProvisionError(
          R"(, "value": {"risks": [{"description": "d", "kind": "removed"}, {"description": "e", "kind": "x"}]})"),
      "value.risks[1].kind"));
}

TEST(DecodeProvisionTest, ListsLeftOutAreEmpty) {
  auto c = Decoded<CreateProvision>(
      Noun::kProvision, R"({"relationship": "rel", "action": "a"})");
  EXPECT_EQ(c.id, "");
  EXPECT_EQ(c.relationship, "rel");
  EXPECT_EQ(c.action, "a");
  EXPECT_TRUE(c.used.empty());
  EXPECT_TRUE(c.creates.empty());
  EXPECT_TRUE(c.modifies.empty());
  EXPECT_TRUE(c.transfers.empty());
  EXPECT_FALSE(c.value.has_value());
}

TEST(DecodeProvisionTest, DecodesListsAndValue) {
  auto c = Decoded<CreateProvision>(Noun::kProvision, R"({
      "id": "p1", "relationship": "rel", "action": "a",
      "used": ["u1"],
      "creates": [{"id": "n1", "kind": "information", "name": "Report", "attributes": {"x": 1}},
                  {"kind": "goods", "name": "Box"}],
      "modifies": [{"resource": "m1", "attributes": {"x": null}}],
      "transfers": ["t1", "t2"],
      "value": {"outcomes": ["faster"],
                "costs": [{"amount": 12.5, "currency": "EUR", "kind": "introduced"},
                          {"amount": 3, "currency": "USD", "kind": "removed"}],
                "risks": [{"description": "lock-in", "kind": "introduced"}]}})");
  EXPECT_EQ(c.id, "p1");
  EXPECT_EQ(c.used, (std::vector<std::string>{"u1"}));
  ASSERT_EQ(c.creates.size(), 2u);
  EXPECT_EQ(c.creates[0].id, "n1");
  EXPECT_EQ(c.creates[0].kind, "information");
  EXPECT_EQ(c.creates[0].name, "Report");
  EXPECT_EQ(c.creates[0].attributes, Body(R"({"x": 1})"));
  EXPECT_EQ(c.creates[1].id, "");
  EXPECT_EQ(c.creates[1].attributes, Json::MakeObject());
  ASSERT_EQ(c.modifies.size(), 1u);
  EXPECT_EQ(c.modifies[0].resource, "m1");
  EXPECT_EQ(c.modifies[0].patch, Body(R"({"x": null})"))
      << "null survives: it is RFC 7396 delete";
  EXPECT_EQ(c.transfers, (std::vector<std::string>{"t1", "t2"}));
  ASSERT_TRUE(c.value.has_value());
  EXPECT_EQ(c.value->outcomes, (std::vector<std::string>{"faster"}));
  ASSERT_EQ(c.value->costs.size(), 2u);
  EXPECT_EQ(c.value->costs[0].amount.ToString(), "12.5");
  EXPECT_EQ(c.value->costs[0].currency, "EUR");
  EXPECT_EQ(c.value->costs[0].kind, ValueKind::kIntroduced);
  EXPECT_EQ(c.value->costs[1].amount.ToString(), "3");
  EXPECT_EQ(c.value->costs[1].kind, ValueKind::kRemoved);
  ASSERT_EQ(c.value->risks.size(), 1u);
  EXPECT_EQ(c.value->risks[0].description, "lock-in");
  EXPECT_EQ(c.value->risks[0].kind, ValueKind::kIntroduced);
}

TEST(DecodeProvisionTest, EmptyValueObjectIsAnEmptyValue) {
  auto c = Decoded<CreateProvision>(
      Noun::kProvision,
      R"({"relationship": "rel", "action": "a", "value": {}})");
  ASSERT_TRUE(c.value.has_value());
  EXPECT_TRUE(c.value->empty());
}

// ---- tokens ----

TEST(DecodeIssueTokenTest, FieldPaths) {
  auto error = [](std::string_view body) {
    StatusOr<Command> c = DecodeIssueToken(Body(body));
    return c.ok() ? Status::Ok() : c.status();
  };
  EXPECT_TRUE(InvalidAt(error(R"([])"), ""));
  EXPECT_TRUE(InvalidAt(error(R"({})"), "organization"));
  EXPECT_TRUE(InvalidAt(error(R"({"organization": "a b"})"), "organization"));
  EXPECT_TRUE(
      InvalidAt(error(R"({"organization": "o", "role": "admin"})"), "role"));
  EXPECT_TRUE(InvalidAt(error(R"({"organization": "o", "role": 1})"), "role"));
}

TEST(DecodeIssueTokenTest, RoleDefaultsToMember) {
  auto token = [](std::string_view body) {
    StatusOr<Command> c = DecodeIssueToken(Body(body));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::get<IssueToken>(c->body) : IssueToken{};
  };
  IssueToken member = token(R"({"organization": "o"})");
  EXPECT_EQ(member.organization, "o");
  EXPECT_EQ(member.role, Role::kMember);
  EXPECT_EQ(member.secret_digest, "") << "the digest never comes from the body";
  EXPECT_EQ(token(R"({"organization": "o", "role": "member"})").role,
            Role::kMember);
  EXPECT_EQ(token(R"({"organization": "o", "role": "viewer"})").role,
            Role::kViewer);
  EXPECT_EQ(
      token(R"({"organization": "o", "secret_digest": "x"})").secret_digest,
      "");
}

// ---- lifecycle ----

TEST(DecodeLifecycleTest, TakesNoBodyOrAnEmptyObject) {
  StatusOr<Command> none =
      DecodeLifecycle("rel", LifecycleVerb::kSuspend, nullptr);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  const auto& change = std::get<ChangeRelationship>(none->body);
  EXPECT_EQ(change.relationship, "rel");
  EXPECT_EQ(change.verb, LifecycleVerb::kSuspend);
  EXPECT_EQ(none->ClientId(), "");

  Json empty = Json::MakeObject();
  EXPECT_TRUE(DecodeLifecycle("rel", LifecycleVerb::kActivate, &empty).ok());
  // The contract's "empty body or {}", and nothing else.
  Json members = Body(R"({"reason": "no"})");
  EXPECT_TRUE(InvalidAt(DecodeLifecycle("rel", LifecycleVerb::kActivate, &members).status(), ""));
  EXPECT_TRUE(InvalidAt(DecodeRetire(Noun::kService, "s", &members).status(), ""));
  EXPECT_TRUE(InvalidAt(DecodeRetire(Noun::kOrganization, "o", &members).status(), ""));
}

TEST(DecodeLifecycleTest, NonObjectBodyIsInvalid) {
  for (std::string_view text : {R"([])", R"("x")", R"(1)", R"(null)"}) {
    Json body = Body(text);
    StatusOr<Command> c =
        DecodeLifecycle("rel", LifecycleVerb::kTerminate, &body);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_TRUE(InvalidAt(c.status(), "")) << text;
  }
}

TEST(DecodeLifecycleTest, VerbNamesRoundTrip) {
  for (auto [verb, name] :
       {std::pair{LifecycleVerb::kActivate, "activate"},
        std::pair{LifecycleVerb::kReject, "reject"},
        std::pair{LifecycleVerb::kSuspend, "suspend"},
        std::pair{LifecycleVerb::kResume, "resume"},
        std::pair{LifecycleVerb::kTerminate, "terminate"}}) {
    EXPECT_EQ(LifecycleVerbName(verb), name);
    EXPECT_EQ(LifecycleVerbFromName(name), verb);
  }
  EXPECT_FALSE(LifecycleVerbFromName("approve").has_value());
}

// ---- changes (CONTRACT §5) and proposals (§6) ----

Status PatchError(Noun noun, std::string_view body) {
  StatusOr<Command> c = DecodePatch(noun, "x", Body(body));
  return c.ok() ? Status::Ok() : c.status();
}

TEST(DecodePatchTest, OnlyTheFieldsANounMayChange) {
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOrganization, R"({"id": "y"})"), "id"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kService, R"({"provider": "y"})"), "provider"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering, R"({"service": "y"})"), "service"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kConsumerGroup, R"({"members": []})"), "members"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOrganization, R"([])"), ""));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOrganization, R"({"name": null})"), "name"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOrganization, R"({"attributes": 3})"), "attributes"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kService, R"({"built_on": null})"), "built_on"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering, R"({"access": null})"), "access"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering, R"({"audience": null})"), "audience"));
  EXPECT_TRUE(PatchError(Noun::kOffering, R"({"price": null})").ok());
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering,
                                   R"({"service_levels": [{"metric": "m", "objective": "99"}]})"),
                        "service_levels[0].objective"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering,
                                   R"({"service_levels": [{"metric": "m", "objective": 1}, {"metric": "m", "objective": 2}]})"),
                        "service_levels[1].metric"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering,
                                   R"({"audience": {"consumer_groups": ["g", "g"]}})"),
                        "audience.consumer_groups[1]"));
  EXPECT_TRUE(PatchError(Noun::kOrganization, R"({"description": null})").ok());
  EXPECT_TRUE(PatchError(Noun::kOffering, R"({})").ok());
}

TEST(DecodePatchTest, ListsNameEachIdOnce) {
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kService, R"({"built_on": ["a", "b", "a"]})"),
                        "built_on[2]"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kService, R"({"depends_on": ["a", "a"]})"),
                        "depends_on[1]"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering,
                                   R"({"access": [{"resource": "a"}, {"resource": "a"}]})"),
                        "access[1].resource"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kConsumerGroup, R"({"add": ["a"], "remove": ["a"]})"),
                        "remove[0]"));
  EXPECT_TRUE(InvalidAt(CreateError(Noun::kService,
                                    R"({"provider": "p", "name": "s", "built_on": ["r", "r"]})"),
                        "built_on[1]"));
  EXPECT_TRUE(InvalidAt(PatchError(Noun::kOffering,
                                   R"({"service_levels": [{"metric": "m", "objective": 1, "target": "about"}]})"),
                        "service_levels[0].target"));
}

TEST(DecodePatchTest, PatchKeepsWhichFieldsWereSent) {
  StatusOr<Command> c = DecodePatch(Noun::kOffering, "o", Body(R"({"name": "n", "price": null})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& patch = std::get<PatchOffering>(c->body);
  EXPECT_EQ(patch.present, std::vector<std::string>({"name", "price"}));
  EXPECT_FALSE(patch.fields.price.has_value());
}

TEST(DecodeRevisionTest, NameOrAttributes) {
  EXPECT_TRUE(InvalidAt(DecodeRevision("r", Body("{}")).status(), "attributes"));
  EXPECT_TRUE(InvalidAt(DecodeRevision("r", Body(R"({"attributes": []})")).status(), "attributes"));
  EXPECT_TRUE(InvalidAt(DecodeRevision("r", Body(R"({"owner": "x"})")).status(), "owner"));
  EXPECT_TRUE(DecodeRevision("r", Body(R"({"name": "n"})")).ok());
}

TEST(DecodeProposalTest, AtLeastOneAgreementFieldInItsShape) {
  EXPECT_TRUE(InvalidAt(DecodeProposal("rel", Body(R"({"note": "n"})")).status(), ""));
  EXPECT_TRUE(InvalidAt(DecodeProposal("rel", Body(R"({"type": "deep"})")).status(), "type"));
  EXPECT_TRUE(InvalidAt(DecodeProposal("rel", Body(R"({"renewal": "yes"})")).status(), "renewal"));
  EXPECT_TRUE(InvalidAt(DecodeProposal("rel", Body(R"({"end": "tomorrow"})")).status(), "end"));
  EXPECT_TRUE(InvalidAt(DecodeProposal("rel", Body(R"({"status": "open"})")).status(), "status"));
  StatusOr<Command> c = DecodeProposal(
      "rel", Body(R"({"end": "2027-01-01T00:00:00Z", "price": {"amount": 1e1, "currency": "EUR"}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(std::get<ProposeAgreement>(c->body).changes.Dump(),
            R"({"price":{"amount":1e1,"currency":"EUR","period":""},"end":"2027-01-01T00:00:00.000Z"})");
}

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

// Nested objects say what they keep: nothing sent is silently dropped.
TEST(NestedFieldsTest, UnknownMembersOfNestedObjectsAreRefusedByPath) {
  auto field = [](StatusOr<Command> c) { return c.ok() ? std::string("ok") : c.status().field(); };
  auto body = [](std::string_view text) { return Json::Parse(text).value(); };
  EXPECT_EQ(field(DecodeValueStatement("rel", body(
                R"({"risks": [{"description": "d", "kind": "introduced", "party": "x"}]})"))),
            "risks[0].party");
  EXPECT_EQ(field(DecodeValueStatement("rel", body(
                R"({"costs": [{"amount": 1, "currency": "EUR", "kind": "removed", "x": 1}]})"))),
            "costs[0].x");
  EXPECT_EQ(field(DecodeValueStatement("rel", body(R"({"outcomes": [""]})"))), "outcomes[0]");
  EXPECT_EQ(field(DecodeProposal("rel", body(
                R"({"service_levels": [{"metric": "a", "objective": 1, "bogus": 1}]})"))),
            "service_levels[0].bogus");
  EXPECT_EQ(field(DecodeProposal("rel", body(
                R"({"price": {"amount": 1, "currency": "EUR", "bogus": 1}})"))),
            "price.bogus");
  EXPECT_EQ(field(DecodeCreate(Noun::kProvision, body(
                R"({"relationship": "r", "action": "a", "value": {"outcomes": [], "why": 1}})"))),
            "value.why");
  EXPECT_EQ(field(DecodeRecordMeasurement("rel", body(
                R"({"metric": "m", "value": 1, "period": {"start": "2026-01-01T00:00:00Z",
                    "end": "2026-02-01T00:00:00Z", "tz": "x"}})"))),
            "period.tz");
}

}  // namespace
}  // namespace cocreate
