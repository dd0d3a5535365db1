#include "model/types.h"

#include <gtest/gtest.h>

#include "model/codec.h"
#include "model/env.h"

namespace cocreate {
namespace {

TEST(IdTest, ContractPattern) {
  for (std::string_view good : {"a", "A1", "org-1", "x.y_z:w-v", "9"}) {
    EXPECT_TRUE(IsValidId(good)) << good;
  }
  EXPECT_TRUE(IsValidId(std::string(128, 'a')));
  for (std::string_view bad : {"", "-a", ".a", "_a", "a b", "a/b", "é", "a#"}) {
    EXPECT_FALSE(IsValidId(bad)) << bad;
  }
  EXPECT_FALSE(IsValidId(std::string(129, 'a')));
}

TEST(NamesTest, RoundTrip) {
  for (int i = 0; i < 7; ++i) {
    Noun n = static_cast<Noun>(i);
    EXPECT_EQ(NounFromCollection(CollectionName(n)), n);
  }
  EXPECT_EQ(CollectionName(Noun::kConsumerGroup), "consumer-groups");
  EXPECT_EQ(NounName(Noun::kConsumerGroup), "consumer_group");
  for (auto s : {"create", "modify", "transfer", "none"}) EXPECT_EQ(EffectName(*EffectFromName(s)), s);
  for (auto s : {"basic", "cooperative", "partnership"}) {
    EXPECT_EQ(RelationshipTypeName(*RelationshipTypeFromName(s)), s);
  }
  for (auto s : {"requested", "active", "suspended", "terminated", "rejected"}) {
    EXPECT_EQ(RelationshipStatusName(*RelationshipStatusFromName(s)), s);
  }
  EXPECT_FALSE(EffectFromName("delete"));
  EXPECT_FALSE(RelationshipTypeFromName("friendly"));
}

TEST(CodecTest, ResourceRoundTrip) {
  Resource r;
  r.id = "r1";
  r.origin_provision = Id("p1");
  ResourceVersion v;
  v.owner = Id("o1");
  v.kind = Id("vm");
  v.name = "VM";
  v.attributes = Json::Parse(R"({"cpu":4})").value();
  v.at = "2026-01-01T00:00:00.000Z";
  v.provision = Id("p1");
  r.versions.push_back(v);
  Json j = ToJson(r);
  EXPECT_EQ(j.Find("version")->as_int(), 1);
  EXPECT_EQ(j.Find("origin")->Find("provision")->as_string(), "p1");
  Resource back = DecodeResource(j).value();
  EXPECT_EQ(back.id, "r1");
  EXPECT_EQ(back.origin_provision, "p1");
  EXPECT_EQ(back.current().owner, "o1");
  EXPECT_EQ(back.current().attributes, v.attributes);
}

TEST(CodecTest, OfferingRoundTrip) {
  Offering o;
  o.id = "of";
  o.provider = "p";
  o.service = "s";
  o.name = "Offer";
  o.audience_public = false;
  o.audience_groups = {"g1"};
  o.goods = {{"vm", "VM"}};
  o.access = {"r1"};
  o.actions = {{"setup", Effect::kCreate}, {"talk", Effect::kNone}};
  o.service_levels = {{"availability", Json(99.9), "%"}};
  o.price = Price{Json(10), "EUR", "month"};
  Offering back = DecodeOffering(ToJson(o)).value();
  EXPECT_FALSE(back.audience_public);
  EXPECT_EQ(back.audience_groups, o.audience_groups);
  ASSERT_EQ(back.actions.size(), 2u);
  EXPECT_EQ(back.actions[0].effect, Effect::kCreate);
  EXPECT_EQ(back.access, o.access);
  ASSERT_TRUE(back.price);
  EXPECT_EQ(back.price->currency, "EUR");
  EXPECT_EQ(back.service_levels[0].objective, Json(99.9));
}

TEST(CodecTest, RelationshipAndProvisionRoundTrip) {
  Relationship r;
  r.id = "rel";
  r.offering = "of";
  r.provider = "p";
  r.consumer = "c";
  r.type = RelationshipType::kPartnership;
  r.status = RelationshipStatus::kSuspended;
  r.requested_at = "t0";
  r.updated_at = "t1";
  r.activated_at = "t0";
  Relationship rb = DecodeRelationship(ToJson(r)).value();
  EXPECT_EQ(rb.type, RelationshipType::kPartnership);
  EXPECT_EQ(rb.status, RelationshipStatus::kSuspended);
  EXPECT_EQ(rb.consumer, "c");

  Provision p;
  p.id = "pv";
  p.relationship = "rel";
  p.action = "a";
  p.created = {"n1"};
  p.modified = {{"m1", 3}};
  p.transferred = {"t1"};
  p.value = Value{{"ok"},
                  {{Decimal::FromRequest(Json::Number("12.5"), "amount").value(), "EUR",
                    ValueKind::kRemoved}},
                  {{"risk", ValueKind::kIntroduced}}};
  Provision pb = DecodeProvision(ToJson(p)).value();
  EXPECT_EQ(pb.modified[0].version, 3);
  ASSERT_TRUE(pb.value);
  EXPECT_EQ(pb.value->costs[0].amount.ToString(), "12.5");
  EXPECT_EQ(pb.value->costs[0].kind, ValueKind::kRemoved);
  EXPECT_EQ(pb.value->risks[0].description, "risk");
}

// Event data is built without text (ToJson); it must be exactly what the
// answer's text parses to, or a replay from the store would differ from the
// state built when the event was committed.
TEST(CodecTest, ToJsonIsTheParsedTextOfTheEncoding) {
  Provision p;
  p.id = "pv";
  p.relationship = "rel";
  p.action = "a";
  p.used = {"u1", "u2"};
  p.modified = {{"m1", 3}};
  p.request = "req";
  p.at = "2026-01-01T00:00:00.000Z";
  p.value = Value{{"ok"},
                  {{Decimal::FromRequest(Json::Number("1e3"), "amount").value(), "EUR",
                    ValueKind::kRemoved},
                   {Decimal::FromRequest(Json::Number("0.10"), "amount").value(), "EUR",
                    ValueKind::kIntroduced}},
                  {}};
  Resource r;
  r.id = "r";
  r.origin_provision = Id("pv");
  r.versions.push_back({1, Id("o"), Id("vm"), Id("pv"), "n",
                        Json::Parse(R"({"cpu":2.50,"tags":["a"],"x":{}})").value(), "t"});
  auto text = [](const auto& value) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    Encode(value, w);
    return std::string(buf.GetString(), buf.GetSize());
  };
  EXPECT_EQ(ToJson(p).Dump(), Json::Parse(text(p)).value().Dump());
  EXPECT_TRUE(ToJson(p) == Json::Parse(text(p)).value());
  EXPECT_EQ(ToJson(r).Dump(), Json::Parse(text(r)).value().Dump());
  EXPECT_EQ(DecodeProvision(ToJson(p)).value().value->costs[0].amount.ToString(), "1000");
}

// A provision.performed event made by the rules carries the provision
// itself; a store writes EventDataText of it. It must be byte for byte the
// text of the same event carrying the data as JSON (the form a replay reads
// and every other writer makes), or a log would depend on which instance
// wrote it, and migrate's checksum with it.
TEST(CodecTest, AProvisionEventWritesTheSameDataTypedOrAsJson) {
  auto amount = [](const char* text) {
    return Decimal::FromRequest(Json::Number(text), "amount").value();
  };
  std::vector<Provision> cases(3);
  cases[0].id = "pv-min";  // nothing but the required fields
  cases[0].relationship = "rel";
  cases[0].action = "a";
  cases[0].at = "2026-01-01T00:00:00.000Z";
  Provision& full = cases[1];
  full.id = "pv-full";
  full.relationship = "rel";
  full.action = "act";
  full.provider = "p";
  full.consumer = "c";
  full.used = {"u1", "u2"};
  full.created = {"n1"};
  full.modified = {{"m1", 3}, {"m2", 9007199254740993}};
  full.transferred = {"t1"};
  full.request = "req";
  full.at = "2026-12-03T23:59:59.999Z";
  full.value = Value{{"é ☃ \"quoted\" \\ \n\t\u0001", ""},
                     {{amount("999999999999999.9999"), "EUR", ValueKind::kRemoved},
                      {amount("1e-4"), "JPY", ValueKind::kIntroduced},
                      {amount("0.10"), "USD", ValueKind::kIntroduced}},
                     {{"</script>", ValueKind::kRemoved}}};
  cases[2] = full;
  cases[2].id = "pv-odd-time";
  cases[2].at = "1969-07-20T20:17:40Z";  // kept as given (an imported log's form)
  cases[2].value = Value{};
  for (const Provision& p : cases) {
    Event typed;
    typed.type = EventType::kProvisionPerformed;
    typed.data = Json();
    typed.provision = std::make_shared<const Provision>(p);
    Event plain;
    plain.type = EventType::kProvisionPerformed;
    plain.data = ToJson(p);
    EXPECT_EQ(EventDataText(typed), EventDataText(plain)) << p.id;
    EXPECT_EQ(EventDataText(typed), Json::Parse(EventDataText(typed)).value().Dump()) << p.id;
    EXPECT_TRUE(EventDataJson(typed) == plain.data) << p.id;
    Event back = WithEventData(typed);
    EXPECT_EQ(back.provision, nullptr);
    EXPECT_TRUE(back.data == plain.data) << p.id;
    EXPECT_EQ(WithEventData(plain).data.Dump(), plain.data.Dump());
    Provision decoded = DecodeProvision(Json::Parse(EventDataText(typed)).value()).value();
    EXPECT_EQ(ToJson(decoded).Dump(), plain.data.Dump()) << p.id;
  }
}

TEST(CodecTest, BrokenStoredObjectIsInternal) {
  auto r = DecodeResource(Json::Parse(R"({"kind":"vm"})").value());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
}

TEST(EnvTest, Sha256KnownAnswer) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EnvTest, NowIsRfc3339Utc) {
  std::string now = Env::Default()->Now();
  ASSERT_EQ(now.size(), 24u) << now;
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now.back(), 'Z');
}

TEST(StatusTest, CodesMapToHttp) {
  EXPECT_EQ(HttpStatusOf(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusOf(Code::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusOf(Code::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusOf(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(Code::kConflict), 409);
  EXPECT_EQ(HttpStatusOf(Code::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatusOf(Code::kUnsupportedMediaType), 415);
  EXPECT_EQ(HttpStatusOf(Code::kUnprocessable), 422);
  EXPECT_EQ(HttpStatusOf(Code::kUnavailable), 503);
}

}  // namespace
}  // namespace cocreate
