// Tests of what an organization's token may see and of the redaction of ids
// it may not see (CONTRACT §3 Visibility, §7, §9.7, §9.8, §9.28).
#include "rules/visibility.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "model/codec.h"
#include "rules/testing.h"

namespace cocreate {
namespace {

Principal Admin() { return Principal::Admin(); }
Principal Member(std::string org) { return Principal::Member(std::move(org)); }

// The world of every test:
//   organizations p, c, d and u (unrelated to everyone)
//   p owns secret (never offered) and tool; service svc built on both;
//     public offering off of svc gives access to tool, action make=create
//   c consumes off (rel1, active); p performs prov1: make creates gift for
//     c, using secret
//   c builds csvc on gift and offers it publicly (coff); d consumes coff
//     (rel2, active), so c turns provider: role.transitioned with evidence
//     {csvc, gift, prov1, rel1, p}
class VisibilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* org : {"p", "c", "d", "u"}) {
      Create(Admin(), Noun::kOrganization,
             std::string(R"({"id": ")") + org + R"(", "name": ")" + org + R"("})");
    }
    Create(Member("p"), Noun::kResource,
           R"({"id": "secret", "owner": "p", "kind": "information", "name": "Secret"})");
    Create(Member("p"), Noun::kResource,
           R"({"id": "tool", "owner": "p", "kind": "technology", "name": "Tool"})");
    Create(Member("p"), Noun::kService,
           R"({"id": "svc", "provider": "p", "name": "S", "built_on": ["secret", "tool"]})");
    Create(Member("p"), Noun::kOffering, R"({"id": "off", "provider": "p", "service": "svc",
        "name": "Off", "audience": "public", "access": [{"resource": "tool"}],
        "actions": [{"name": "make", "effect": "create"}]})");
    Create(Member("c"), Noun::kRelationship,
           R"({"id": "rel1", "offering": "off", "consumer": "c", "type": "basic"})");
    ASSERT_TRUE(world_.Move(Member("p"), "rel1", LifecycleVerb::kActivate).ok());
    Create(Member("p"), Noun::kProvision, R"({"id": "prov1", "relationship": "rel1",
        "action": "make", "used": ["secret"], "creates": [{"id": "gift", "kind": "information",
        "name": "Gift"}]})");
    Create(Member("c"), Noun::kService,
           R"({"id": "csvc", "provider": "c", "name": "CS", "built_on": ["gift"]})");
    Create(Member("c"), Noun::kOffering, R"({"id": "coff", "provider": "c", "service": "csvc",
        "name": "COff", "audience": "public", "actions": [{"name": "use", "effect": "none"}]})");
    Create(Member("d"), Noun::kRelationship,
           R"({"id": "rel2", "offering": "coff", "consumer": "d", "type": "basic"})");
    ASSERT_TRUE(world_.Move(Member("c"), "rel2", LifecycleVerb::kActivate).ok());
  }

  void Create(const Principal& p, Noun noun, std::string_view body) {
    StatusOr<Decision> d = world_.Create(p, noun, body);
    ASSERT_TRUE(d.ok()) << d.status().ToString() << " for " << body;
  }

  const State& state() const { return world_.state(); }

  // `object` encoded for `p` the way the engine does it.
  template <typename T>
  std::string Encoded(const Principal& p, Noun noun, const T& object) {
    VisibleIds visible(state(), p);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    Encode(object, w, Redacts(state(), p, noun, object.id) ? &visible : nullptr);
    return std::string(buf.GetString(), buf.GetSize());
  }

  const Event& LastOfType(EventType type) const {
    const Event* found = nullptr;
    for (const Event& e : world_.events()) {
      if (e.type == type) found = &e;
    }
    EXPECT_NE(found, nullptr) << type;
    return *found;
  }

  testing::Scenario world_;
};

TEST_F(VisibilityTest, WhoSeesWhat) {
  const State& s = state();
  EXPECT_FALSE(CanSeeId(s, Member("u"), "secret"));
  EXPECT_FALSE(CanSeeId(s, Member("u"), "gift"));
  EXPECT_FALSE(CanSeeId(s, Member("u"), "prov1"));
  EXPECT_FALSE(CanSeeId(s, Member("u"), "rel1"));
  EXPECT_TRUE(CanSeeId(s, Member("u"), "svc"));
  EXPECT_TRUE(CanSeeId(s, Member("u"), "csvc"));
  // §9.28: what an offering gives access to is visible with the offering.
  EXPECT_TRUE(CanSeeId(s, Member("u"), "tool"));
  EXPECT_FALSE(CanSeeId(s, Member("c"), "secret"));
  EXPECT_TRUE(CanSeeId(s, Member("c"), "prov1"));
  EXPECT_FALSE(CanSeeId(s, Member("d"), "rel1"));
  EXPECT_TRUE(CanSeeId(s, Member("d"), "rel2"));
}

TEST_F(VisibilityTest, HiddenListEntriesAreLeftOutAndCounted) {
  const Service& svc = *state().FindService("svc");
  EXPECT_EQ(Encoded(Member("u"), Noun::kService, svc).find("secret"), std::string::npos);
  Json u = Json::Parse(Encoded(Member("u"), Noun::kService, svc)).value();
  EXPECT_EQ(u.Find("built_on")->Dump(), R"(["tool"])");
  EXPECT_EQ(u.Find("redacted")->Dump(), R"({"built_on":1})");

  Json csvc = Json::Parse(Encoded(Member("u"), Noun::kService, *state().FindService("csvc")))
                  .value();
  EXPECT_EQ(csvc.Find("built_on")->Dump(), "[]");
  EXPECT_EQ(csvc.Find("redacted")->Dump(), R"({"built_on":1})");
}

TEST_F(VisibilityTest, NoRedactedMemberWhenNothingIsLeftOut) {
  Json off = Json::Parse(Encoded(Member("u"), Noun::kOffering, *state().FindOffering("off")))
                 .value();
  EXPECT_EQ(off.Find("redacted"), nullptr) << off.Dump();
  EXPECT_EQ(off.Find("access")->Dump(), R"([{"resource":"tool"}])");
}

TEST_F(VisibilityTest, OwnObjectsAreNeverRedacted) {
  // §9.7: p named secret itself.
  Json svc = Json::Parse(Encoded(Member("p"), Noun::kService, *state().FindService("svc")))
                 .value();
  EXPECT_EQ(svc.Find("built_on")->Dump(), R"(["secret","tool"])");
  EXPECT_EQ(svc.Find("redacted"), nullptr);
  Json prov = Json::Parse(Encoded(Member("p"), Noun::kProvision, *state().FindProvision("prov1")))
                  .value();
  EXPECT_EQ(prov.Find("used")->Dump(), R"(["secret"])");
  // ... but the consumer of the provision did not name it.
  prov = Json::Parse(Encoded(Member("c"), Noun::kProvision, *state().FindProvision("prov1")))
             .value();
  EXPECT_EQ(prov.Find("used")->Dump(), "[]");
  EXPECT_EQ(prov.Find("redacted")->Dump(), R"({"used":1})");
  EXPECT_EQ(prov.Find("created")->Dump(), R"(["gift"])");
}

TEST_F(VisibilityTest, HiddenSingleIdIsNull) {
  // gift came from prov1: its consumer c sees that, and only c and p do.
  Json gift = Json::Parse(Encoded(Member("c"), Noun::kResource, *state().FindResource("gift")))
                  .value();
  EXPECT_EQ(gift.Find("origin")->Dump(), R"({"provision":"prov1"})");
  // A resource seen through an offering's access, made by a provision the
  // caller was not party to, has a null origin.provision.
  Resource through_access = *state().FindResource("tool");
  through_access.origin_provision = Id("prov1");
  Json tool = Json::Parse(Encoded(Member("u"), Noun::kResource, through_access)).value();
  EXPECT_EQ(tool.Find("origin")->Dump(), R"({"provision":null})");
}

TEST_F(VisibilityTest, RoleTransitionEventHidesTheRelationshipsAndEvidence) {
  const Event& e = LastOfType(EventType::kRoleTransitioned);
  ASSERT_EQ(e.subject, "c");
  EXPECT_EQ(e.data.Find("evidence")->items().size(), 1u);
  EXPECT_TRUE(CanSeeEvent(state(), Member("u"), e)) << "roles are in the directory";

  Json u = VisibleEventData(state(), Member("u"), e);
  EXPECT_TRUE(u.Find("relationship")->is_null()) << u.Dump();
  EXPECT_EQ(u.Find("evidence")->Dump(), "[]");
  EXPECT_EQ(u.Find("redacted")->Dump(), R"({"evidence":1})");

  // d is party to rel2 but sees nothing of c's evidence (gift, prov1, rel1).
  Json d = VisibleEventData(state(), Member("d"), e);
  EXPECT_EQ(d.Find("relationship")->as_string(), "rel2");
  EXPECT_EQ(d.Find("evidence")->Dump(), "[]");

  // c and p see all of it; the admin gets the data as stored.
  Json c = VisibleEventData(state(), Member("c"), e);
  EXPECT_EQ(c.Find("evidence")->items().size(), 1u);
  EXPECT_EQ(c.Find("redacted"), nullptr);
  EXPECT_EQ(VisibleEventData(state(), Admin(), e), e.data);
}

TEST_F(VisibilityTest, CreatedAndPerformedEventsAreFilteredLikeTheObjects) {
  const Event& svc = world_.events()[6];
  ASSERT_EQ(svc.type, EventType::kServiceCreated);
  ASSERT_EQ(svc.subject, "svc");
  Json u = VisibleEventData(state(), Member("u"), svc);
  EXPECT_EQ(u.Find("built_on")->Dump(), R"(["tool"])");
  EXPECT_EQ(u.Find("redacted")->Dump(), R"({"built_on":1})");
  EXPECT_EQ(VisibleEventData(state(), Member("p"), svc), svc.data) << "its own";

  const Event& prov = LastOfType(EventType::kProvisionPerformed);
  Json c = VisibleEventData(state(), Member("c"), prov);
  EXPECT_EQ(c.Find("used")->Dump(), "[]");
  EXPECT_EQ(c.Find("redacted")->Dump(), R"({"used":1})");
  EXPECT_EQ(VisibleEventData(state(), Member("p"), prov), EventDataJson(prov)) << "its own";
}

TEST_F(VisibilityTest, NoEventShowsAHiddenIdToAnOutsider) {
  // Whatever u may see of the log names nothing u may not see.
  const char* hidden[] = {"secret", "gift", "prov1", "rel1", "rel2"};
  int seen = 0;
  for (const Event& e : world_.events()) {
    if (!CanSeeEvent(state(), Member("u"), e)) continue;
    ++seen;
    std::string text = e.subject + " " + VisibleEventData(state(), Member("u"), e).Dump();
    for (const char* id : hidden) {
      EXPECT_EQ(text.find(std::string("\"") + id + "\""), std::string::npos)
          << id << " in " << e.type << ": " << text;
    }
  }
  EXPECT_GT(seen, 5) << "u sees the directory, the public catalog and role changes";
}

}  // namespace
}  // namespace cocreate
