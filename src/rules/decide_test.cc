// Tests of Decide(), one rule of CONTRACT §2/§3 at a time. Each test starts
// from a small world (see DecideTest::SetUp), runs commands through Decide and
// applies the accepted events to the State, the way the engine does.
#include "rules/decide.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/visibility.h"

namespace cocreate {

// Readable gtest failure messages for Json values.
inline void PrintTo(const Json& j, std::ostream* os) { *os << j.Dump(); }

namespace {

constexpr char kNow[] = "2026-01-01T00:00:00.000Z";

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    ::cocreate::Status assert_ok_ = (expr);                \
    ASSERT_TRUE(assert_ok_.ok()) << assert_ok_.ToString(); \
  } while (0)

// Succeeds when `s` has exactly `code` and `reason`.
::testing::AssertionResult Is(const Status& s, Code code,
                              std::string_view reason) {
  if (s.code() == code && s.reason() == reason)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << HttpStatusOf(s.code()) << " "
         << (s.ok() ? "ok" : s.ToString()) << ", want " << HttpStatusOf(code)
         << " " << reason;
}

Json Body(std::string_view text) {
  StatusOr<Json> j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? j.value() : Json();
}

Principal Admin() { return Principal::Admin(); }
Principal Member(std::string org) { return Principal::Member(std::move(org)); }
Principal Viewer(std::string org) {
  return Principal{Role::kViewer, std::move(org)};
}

using Verb = LifecycleVerb;
using S = RelationshipStatus;

// The world every test starts from:
//   organizations prov, cons, other; consumer group grp = {cons}
//   prov owns tool (technology) and widget (goods); service svc built on tool
//   offering off (public) of svc: goods [goods], access [tool],
//     actions make=create, tune=modify, give=transfer, advise=none
//   cons owns data (information, attributes {"a": 1, "b": {"c": 2}})
//   relationship rel: cons consumes off, status requested
class DecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(Run(Admin(), Noun::kOrganization,
                  R"({"id": "prov", "name": "Provider"})"));
    ASSERT_OK(Run(Admin(), Noun::kOrganization,
                  R"({"id": "cons", "name": "Consumer"})"));
    ASSERT_OK(Run(Admin(), Noun::kOrganization,
                  R"({"id": "other", "name": "Other"})"));
    ASSERT_OK(Run(Admin(), Noun::kConsumerGroup,
                  R"({"id": "grp", "name": "Group", "members": ["cons"]})"));
    ASSERT_OK(Run(
        Member("prov"), Noun::kResource,
        R"({"id": "tool", "owner": "prov", "kind": "technology", "name": "Tool"})"));
    ASSERT_OK(Run(
        Member("prov"), Noun::kResource,
        R"({"id": "widget", "owner": "prov", "kind": "goods", "name": "Widget"})"));
    ASSERT_OK(Run(
        Member("prov"), Noun::kService,
        R"({"id": "svc", "provider": "prov", "name": "Service", "built_on": ["tool"]})"));
    ASSERT_OK(Run(Member("prov"), Noun::kOffering, R"({
        "id": "off", "provider": "prov", "service": "svc", "name": "Offer", "audience": "public",
        "goods": [{"kind": "goods", "name": "Widgets"}],
        "access": [{"resource": "tool"}],
        "actions": [{"name": "make", "effect": "create"}, {"name": "tune", "effect": "modify"},
                    {"name": "give", "effect": "transfer"}, {"name": "advise", "effect": "none"}]})"));
    ASSERT_OK(Run(Member("cons"), Noun::kResource, R"({
        "id": "data", "owner": "cons", "kind": "information", "name": "Data",
        "attributes": {"a": 1, "b": {"c": 2}}})"));
    ASSERT_OK(Run(
        Member("cons"), Noun::kRelationship,
        R"({"id": "rel", "offering": "off", "consumer": "cons", "type": "basic"})"));
  }

  // Decides `cmd` for `p`; on success numbers and applies its events.
  Status Run(const Principal& p, const Command& cmd) {
    StatusOr<Decision> d = Decide(state_, p, cmd, kNow);
    if (!d.ok()) return d.status();
    decision_ = d.value();
    // As the engine does: the decision's events, then their consequences.
    for (size_t i = 0; i < decision_.events.size(); ++i) {
      Event& e = decision_.events[i];
      e.seq = state_.last_seq() + 1;
      Status applied = state_.Apply(e);
      EXPECT_TRUE(applied.ok()) << applied.ToString();
      if (!applied.ok()) return applied;
      log_.push_back(e);
      if (i + 1 == decision_.events.size() && !consequences_done_) {
        consequences_done_ = true;
        for (Event& c : Consequences(state_, decision_.events)) {
          decision_.events.push_back(std::move(c));
        }
      }
    }
    consequences_done_ = false;
    return Status::Ok();
  }

  // Decodes the JSON body of a create of `noun`, then Run()s it.
  Status Run(const Principal& p, Noun noun, std::string_view json) {
    StatusOr<Command> cmd = DecodeCreate(noun, Body(json));
    if (!cmd.ok()) {
      ADD_FAILURE() << "test body does not decode: " << cmd.status().ToString();
      return cmd.status();
    }
    return Run(p, cmd.value());
  }

  Status Lifecycle(const Principal& p, const std::string& rel, Verb verb) {
    StatusOr<Command> cmd = DecodeLifecycle(rel, verb, nullptr);
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }

  Status Provide(std::string_view json) {
    return Run(Member("prov"), Noun::kProvision, json);
  }

  // The types of the events of the last accepted decision, in order.
  std::vector<EventType> EventTypes() const {
    std::vector<EventType> types;
    for (const Event& e : decision_.events) types.push_back(e.type);
    return types;
  }

  S StatusOf(const std::string& rel) const {
    return state_.FindRelationship(rel)->status;
  }
  const ResourceVersion& Current(const std::string& r) const {
    return state_.FindResource(r)->current();
  }

  State state_;
  std::vector<Event> log_;  // every applied event, as the store keeps the log
  Decision decision_;
  bool consequences_done_ = false;
};

using Types = std::vector<EventType>;

// ---- who may do what (403) ----

TEST_F(DecideTest, OnlyTheAdminCreatesOrganizationsAndAdminGroups) {
  EXPECT_TRUE(
      Is(Run(Member("prov"), Noun::kOrganization, R"({"name": "Mine"})"),
         Code::kPermissionDenied, "forbidden"));
  // A member keeps groups of its own organization only (CONTRACT §9.10).
  EXPECT_TRUE(Is(Run(Member("prov"), Noun::kConsumerGroup,
                     R"({"name": "G", "owner": "cons", "members": []})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Run(Admin(), Noun::kOrganization, R"({"name": "Mine"})").ok());
}

TEST_F(DecideTest, ViewerMayNotWrite) {
  EXPECT_TRUE(Is(Run(Viewer("prov"), Noun::kResource,
                     R"({"owner": "prov", "kind": "technology", "name": "T"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Run(Viewer("prov"), Noun::kService,
                     R"({"provider": "prov", "name": "S"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Lifecycle(Viewer("prov"), "rel", Verb::kActivate),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Lifecycle(Viewer("cons"), "rel", Verb::kTerminate),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Run(Viewer("prov"), Noun::kProvision,
                     R"({"relationship": "rel", "action": "advise"})"),
                 Code::kPermissionDenied, "forbidden"));
}

TEST_F(DecideTest, MemberMayNotActInAnothersName) {
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kResource,
                     R"({"owner": "prov", "kind": "technology", "name": "T"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kService,
                     R"({"provider": "prov", "name": "S"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(
      Run(Member("cons"), Noun::kOffering,
          R"({"provider": "prov", "service": "svc", "name": "O", "audience": "public"})"),
      Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(
      Is(Run(Member("cons"), Noun::kRelationship,
             R"({"offering": "off", "consumer": "other", "type": "basic"})"),
         Code::kPermissionDenied, "forbidden"));
}

TEST_F(DecideTest, ForbiddenWinsOverUnprocessable) {
  // The bodies also name unknown things (422), but acting for another is 403.
  EXPECT_TRUE(
      Is(Run(Member("cons"), Noun::kService,
             R"({"provider": "prov", "name": "S", "built_on": ["ghost"]})"),
         Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kResource,
                     R"({"owner": "ghost", "kind": "k", "name": "n"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(
      Is(Run(Member("cons"), Noun::kRelationship,
             R"({"offering": "ghost", "consumer": "other", "type": "basic"})"),
         Code::kPermissionDenied, "forbidden"));
}

// ---- ids: duplicates and idempotent retries ----

TEST_F(DecideTest, FreshCreateMakesAnIdAndOneEvent) {
  ASSERT_OK(Run(Admin(), Noun::kOrganization, R"({"name": "New"})"));
  EXPECT_TRUE(decision_.created);
  EXPECT_EQ(decision_.noun, Noun::kOrganization);
  EXPECT_FALSE(decision_.subject.empty());
  ASSERT_EQ(decision_.events.size(), 1u);
  const Event& e = decision_.events[0];
  EXPECT_EQ(e.type, EventType::kOrganizationCreated);
  EXPECT_EQ(e.subject, decision_.subject);
  EXPECT_EQ(e.actor, "admin");
  EXPECT_EQ(e.at, kNow);
  EXPECT_NE(state_.FindOrganization(decision_.subject), nullptr);
}

TEST_F(DecideTest, IdempotentRetryReturnsTheObjectWithoutEvents) {
  int64_t seq = state_.last_seq();
  ASSERT_OK(Run(Admin(), Noun::kOrganization,
                R"({"name": "Provider", "id": "prov"})"));
  EXPECT_FALSE(decision_.created);
  EXPECT_EQ(decision_.subject, "prov");
  EXPECT_TRUE(decision_.events.empty());

  ASSERT_OK(Run(
      Member("prov"), Noun::kResource,
      R"({"id": "tool", "owner": "prov", "kind": "technology", "name": "Tool"})"));
  EXPECT_FALSE(decision_.created);
  EXPECT_EQ(decision_.noun, Noun::kResource);
  EXPECT_TRUE(decision_.events.empty());
  ASSERT_OK(Run(
      Member("cons"), Noun::kRelationship,
      R"({"id": "rel", "offering": "off", "consumer": "cons", "type": "basic"})"));
  EXPECT_FALSE(decision_.created);
  EXPECT_EQ(state_.last_seq(), seq);
}

TEST_F(DecideTest, SameIdDifferentBodyIsDuplicateId) {
  EXPECT_TRUE(Is(
      Run(Admin(), Noun::kOrganization, R"({"id": "prov", "name": "Renamed"})"),
      Code::kConflict, "duplicate_id"));
  EXPECT_TRUE(Is(
      Run(Member("prov"), Noun::kResource,
          R"({"id": "tool", "owner": "prov", "kind": "technology", "name": "Tool2"})"),
      Code::kConflict, "duplicate_id"));
}

TEST_F(DecideTest, IdsAreUniqueAcrossNouns) {
  EXPECT_TRUE(Is(
      Run(Member("prov"), Noun::kResource,
          R"({"id": "svc", "owner": "prov", "kind": "technology", "name": "T"})"),
      Code::kConflict, "duplicate_id"));
  EXPECT_TRUE(
      Is(Run(Admin(), Noun::kConsumerGroup, R"({"id": "prov", "name": "G"})"),
         Code::kConflict, "duplicate_id"));
}

TEST_F(DecideTest, ProvisionCreatesWithATakenIdIsDuplicateId) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "make",
                             "creates": [{"id": "tool", "kind": "k", "name": "n"}]})"),
                 Code::kConflict, "duplicate_id"));
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "make",
                             "creates": [{"id": "n1", "kind": "k", "name": "n"},
                                         {"id": "n1", "kind": "k", "name": "n"}]})"),
                 Code::kConflict, "duplicate_id"));
  EXPECT_TRUE(
      Is(Provide(R"({"id": "p9", "relationship": "rel", "action": "make",
                             "creates": [{"id": "p9", "kind": "k", "name": "n"}]})"),
         Code::kConflict, "duplicate_id"));
}

// ---- unknown references (422) ----

TEST_F(DecideTest, UnknownReferenceNamesTheField) {
  struct Case {
    Principal p;
    Noun noun;
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {Admin(), Noun::kConsumerGroup,
       R"({"name": "G", "members": ["cons", "ghost"]})", "members[1]"},
      {Admin(), Noun::kResource,
       R"({"owner": "ghost", "kind": "k", "name": "n"})", "owner"},
      {Admin(), Noun::kService, R"({"provider": "ghost", "name": "S"})",
       "provider"},
      {Member("prov"), Noun::kService,
       R"({"provider": "prov", "name": "S", "built_on": ["ghost"]})",
       "built_on[0]"},
      {Member("prov"), Noun::kService,
       R"({"provider": "prov", "name": "S", "depends_on": ["svc", "ghost"]})",
       "depends_on[1]"},
      // A resource id where a service is expected.
      {Member("prov"), Noun::kService,
       R"({"provider": "prov", "name": "S", "depends_on": ["tool"]})",
       "depends_on[0]"},
      {Member("prov"), Noun::kOffering,
       R"({"provider": "prov", "service": "ghost", "name": "O", "audience": "public"})",
       "service"},
      {Member("prov"), Noun::kOffering,
       R"({"provider": "prov", "service": "svc", "name": "O", "audience": "public",
           "access": [{"resource": "tool"}, {"resource": "ghost"}]})",
       "access[1].resource"},
      {Member("prov"), Noun::kOffering,
       R"({"provider": "prov", "service": "svc", "name": "O",
           "audience": {"consumer_groups": ["ghost"]}})",
       "audience.consumer_groups[0]"},
      {Member("cons"), Noun::kRelationship,
       R"({"offering": "ghost", "consumer": "cons", "type": "basic"})",
       "offering"},
      {Admin(), Noun::kRelationship,
       R"({"offering": "off", "consumer": "ghost", "type": "basic"})",
       "consumer"},
      {Member("prov"), Noun::kProvision,
       R"({"relationship": "ghost", "action": "advise"})", "relationship"},
  };
  for (const Case& c : cases) {
    Status s = Run(c.p, c.noun, c.body);
    EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference")) << c.body;
    EXPECT_EQ(s.field(), c.field) << c.body;
  }
}

TEST_F(DecideTest, InvisibleReferencesAreUnknown) {
  // data is cons's and prov has no way to see it; worded as if absent.
  Status s = Run(Member("prov"), Noun::kService,
                 R"({"provider": "prov", "name": "S", "built_on": ["data"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "built_on[0]");
  // rel is not visible to other, so other cannot name it in a provision.
  s = Run(Member("other"), Noun::kProvision,
          R"({"relationship": "rel", "action": "advise"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "relationship");
}

// Ids are interned for good (model/id.h): a refused request must not add
// any, or a client could grow the table with requests that fail.
TEST_F(DecideTest, RefusedLinksInternNothing) {
  const size_t before = Id::Count();
  Status s = Run(Member("prov"), Noun::kService,
                 R"({"provider": "prov", "name": "S", "built_on": ["tool", "ghost-1f7a"],
                     "depends_on": ["svc", "ghost-1f7b"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  s = Run(Member("prov"),
          DecodePatch(Noun::kService, "svc",
                      Json::Parse(R"({"built_on": ["tool", "ghost-1f7c"]})").value())
              .value());
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "built_on[1]");
  EXPECT_EQ(Id::Count(), before);
}

TEST_F(DecideTest, UnknownReferencesInProvisions) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  Status s = Provide(
      R"({"relationship": "rel", "action": "advise", "used": ["ghost"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "used[0]");
  s = Provide(
      R"({"relationship": "rel", "action": "give", "transfers": ["ghost"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "transfers[0]");
  s = Provide(R"({"relationship": "rel", "action": "tune",
                  "modifies": [{"resource": "ghost", "attributes": {}}]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "modifies[0].resource");
}

// ---- services and offerings ----

TEST_F(DecideTest, BuiltOnVisibleButUnusableResource) {
  // A provision that modifies data makes it visible to prov, not usable.
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Provide(R"({"relationship": "rel", "action": "tune",
                        "modifies": [{"resource": "data", "attributes": {"a": 2}}]})"));
  ASSERT_TRUE(CanSee(state_, Member("prov"), Noun::kResource, "data"));
  Status s =
      Run(Member("prov"), Noun::kService,
          R"({"provider": "prov", "name": "S", "built_on": ["tool", "data"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "resource_not_usable"));
  EXPECT_EQ(s.field(), "built_on[1]");
  // The admin sees everything, and is told the same rule.
  s = Run(Admin(), Noun::kService,
          R"({"provider": "other", "name": "S", "built_on": ["tool"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "resource_not_usable"));
}

TEST_F(DecideTest, BuiltOnAccessedResourceOnlyWhileActive) {
  const char* body =
      R"({"provider": "cons", "name": "S", "built_on": ["tool"]})";
  // cons sees tool in off's catalog entry (CONTRACT §9.28) but may not use
  // it before rel is active.
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kService, body),
                 Code::kUnprocessable, "resource_not_usable"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_TRUE(Run(Member("cons"), Noun::kService, body).ok());
}

TEST_F(DecideTest, OfferingAccessOnlyToOwnedResources) {
  // While rel is active cons may see and use tool, but cannot offer access to
  // it.
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Run(
      Member("cons"), Noun::kService,
      R"({"id": "csvc", "provider": "cons", "name": "S", "built_on": ["tool"]})"));
  Status s = Run(
      Member("cons"), Noun::kOffering,
      R"({"provider": "cons", "service": "csvc", "name": "O", "audience": "public",
                     "access": [{"resource": "data"}, {"resource": "tool"}]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "resource_not_usable"));
  EXPECT_EQ(s.field(), "access[1].resource");
}

TEST_F(DecideTest, DependsOnOnlyOwnOrConsumedServices) {
  ASSERT_OK(Run(Member("cons"), Noun::kService,
                R"({"id": "csvc", "provider": "cons", "name": "S"})"));
  ASSERT_OK(
      Run(Member("cons"), Noun::kOffering,
          R"({"id": "coff", "provider": "cons", "service": "csvc", "name": "O",
                    "audience": "public"})"));
  const char* body =
      R"({"provider": "prov", "name": "S2", "depends_on": ["svc", "csvc"]})";
  Status s = Run(Member("prov"), Noun::kService, body);
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "service_not_usable"));
  EXPECT_EQ(s.field(), "depends_on[1]");

  ASSERT_OK(Run(
      Member("prov"), Noun::kRelationship,
      R"({"id": "rel2", "offering": "coff", "consumer": "prov", "type": "basic"})"));
  EXPECT_TRUE(Is(Run(Member("prov"), Noun::kService, body),
                 Code::kUnprocessable, "service_not_usable"))
      << "a requested relationship is not yet active";
  ASSERT_OK(Lifecycle(Member("cons"), "rel2", Verb::kActivate));
  EXPECT_TRUE(Run(Member("prov"), Noun::kService, body).ok());
}

TEST_F(DecideTest, OfferingDescribesTheProvidersOwnService) {
  ASSERT_OK(Run(Member("cons"), Noun::kService,
                R"({"id": "csvc", "provider": "cons", "name": "S"})"));
  ASSERT_OK(
      Run(Member("cons"), Noun::kOffering,
          R"({"id": "coff", "provider": "cons", "service": "csvc", "name": "O",
                    "audience": "public"})"));
  // csvc is visible to prov through the public offering, but is not prov's.
  Status s = Run(
      Member("prov"), Noun::kOffering,
      R"({"provider": "prov", "service": "csvc", "name": "O2", "audience": "public"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "not_provider"));
  EXPECT_EQ(s.field(), "service");
}

// ---- relationships ----

TEST_F(DecideTest, SelfRelationship) {
  Status s =
      Run(Member("prov"), Noun::kRelationship,
          R"({"offering": "off", "consumer": "prov", "type": "partnership"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "self_relationship"));
  EXPECT_EQ(s.field(), "consumer");
}

TEST_F(DecideTest, ConsumerMustBeInTheAudience) {
  ASSERT_OK(Run(
      Member("prov"), Noun::kOffering,
      R"({"id": "goff", "provider": "prov", "service": "svc", "name": "Members only",
                    "audience": {"consumer_groups": ["grp"]}})"));
  Status s =
      Run(Admin(), Noun::kRelationship,
          R"({"offering": "goff", "consumer": "other", "type": "basic"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "not_in_audience"));
  EXPECT_EQ(s.field(), "consumer");
  // An outsider who cannot see goff learns nothing about it (CONTRACT §3):
  // the same answer as for an offering that does not exist.
  s = Run(Member("other"), Noun::kRelationship,
          R"({"offering": "goff", "consumer": "other", "type": "basic"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "offering");
  Status ghost = Run(Member("other"), Noun::kRelationship,
                     R"({"offering": "no-such-offering", "consumer": "other", "type": "basic"})");
  EXPECT_TRUE(Is(ghost, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.message().find("goff") == std::string::npos,
            ghost.message().find("no-such-offering") == std::string::npos)
      << "both worded alike: " << s.message() << " / " << ghost.message();

  ASSERT_OK(Run(
      Member("cons"), Noun::kRelationship,
      R"({"id": "grel", "offering": "goff", "consumer": "cons", "type": "cooperative"})"));
  EXPECT_EQ(EventTypes(), Types{EventType::kRelationshipRequested});
  const Relationship* rel = state_.FindRelationship("grel");
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->provider, "prov");
  EXPECT_EQ(rel->status, S::kRequested);
  EXPECT_EQ(rel->type, RelationshipType::kCooperative);
}

// ---- lifecycle ----

TEST(NextStatusTest, FollowsTheDiagram) {
  const S kStatuses[] = {S::kRequested, S::kActive, S::kSuspended,
                         S::kTerminated, S::kRejected};
  const Verb kVerbs[] = {Verb::kActivate, Verb::kReject, Verb::kSuspend,
                         Verb::kResume, Verb::kTerminate};
  auto expected = [](S from, Verb verb) -> std::optional<S> {
    if (from == S::kRequested && verb == Verb::kActivate) return S::kActive;
    if (from == S::kRequested && verb == Verb::kReject) return S::kRejected;
    if (from == S::kRequested && verb == Verb::kTerminate)
      return S::kTerminated;
    if (from == S::kActive && verb == Verb::kSuspend) return S::kSuspended;
    if (from == S::kActive && verb == Verb::kTerminate) return S::kTerminated;
    if (from == S::kSuspended && verb == Verb::kResume) return S::kActive;
    if (from == S::kSuspended && verb == Verb::kTerminate)
      return S::kTerminated;
    return std::nullopt;
  };
  int allowed = 0;
  for (S from : kStatuses) {
    for (Verb verb : kVerbs) {
      EXPECT_EQ(NextStatus(from, verb), expected(from, verb))
          << RelationshipStatusName(from) << " + " << LifecycleVerbName(verb);
      allowed += expected(from, verb).has_value();
    }
  }
  EXPECT_EQ(allowed, 7);
}

TEST_F(DecideTest, EveryAllowedMoveAndItsEvents) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_EQ(StatusOf("rel"), S::kActive);
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipActivated, EventType::kAccessGranted}));
  EXPECT_FALSE(decision_.created);
  // The first activation carries agreement version 1 (CONTRACT §6).
  EXPECT_EQ(decision_.events[0].data,
            Body(R"({"from": "requested", "to": "active", "agreement": {
                    "version": 1, "type": "basic", "service_levels": [], "price": null,
                    "start": "2026-01-01T00:00:00.000Z", "end": null, "renewal": "none",
                    "proposal": null, "at": "2026-01-01T00:00:00.000Z"}})"));

  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  EXPECT_EQ(StatusOf("rel"), S::kSuspended);
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipSuspended, EventType::kAccessRevoked}));

  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kResume));
  EXPECT_EQ(StatusOf("rel"), S::kActive);
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipResumed, EventType::kAccessGranted}));

  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kTerminate));
  EXPECT_EQ(StatusOf("rel"), S::kTerminated);
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipTerminated, EventType::kAccessRevoked}));
  for (const Event& e : decision_.events) EXPECT_EQ(e.subject, "rel");
}

TEST_F(DecideTest, RejectAndWithdrawFromRequested) {
  ASSERT_OK(Run(
      Member("other"), Noun::kRelationship,
      R"({"id": "rel2", "offering": "off", "consumer": "other", "type": "basic"})"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel2", Verb::kReject));
  EXPECT_EQ(StatusOf("rel2"), S::kRejected);
  EXPECT_EQ(EventTypes(), Types{EventType::kRelationshipRejected});

  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(StatusOf("rel"), S::kTerminated);
  EXPECT_EQ(EventTypes(), Types{EventType::kRelationshipTerminated})
      << "nothing to revoke";
}

TEST_F(DecideTest, TerminateFromSuspended) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(StatusOf("rel"), S::kTerminated);
  EXPECT_EQ(decision_.events.front().type, EventType::kRelationshipTerminated);
}

TEST_F(DecideTest, InvalidTransition) {
  EXPECT_TRUE(Is(Lifecycle(Member("prov"), "rel", Verb::kResume),
                 Code::kConflict, "invalid_transition"));
  EXPECT_TRUE(Is(Lifecycle(Member("prov"), "rel", Verb::kSuspend),
                 Code::kConflict, "invalid_transition"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_TRUE(Is(Lifecycle(Member("prov"), "rel", Verb::kActivate),
                 Code::kConflict, "invalid_transition"));
  EXPECT_TRUE(Is(Lifecycle(Member("prov"), "rel", Verb::kReject),
                 Code::kConflict, "invalid_transition"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kTerminate));
  for (Verb v : {Verb::kActivate, Verb::kReject, Verb::kSuspend, Verb::kResume,
                 Verb::kTerminate}) {
    EXPECT_TRUE(Is(Lifecycle(Member("prov"), "rel", v), Code::kConflict,
                   "invalid_transition"))
        << LifecycleVerbName(v);
  }
  EXPECT_EQ(StatusOf("rel"), S::kTerminated);
}

TEST_F(DecideTest, OnlyTheProviderMovesTheLifecycle) {
  for (Verb v :
       {Verb::kActivate, Verb::kReject, Verb::kSuspend, Verb::kResume}) {
    EXPECT_TRUE(Is(Lifecycle(Member("cons"), "rel", v), Code::kPermissionDenied,
                   "forbidden"))
        << LifecycleVerbName(v);
  }
  EXPECT_EQ(StatusOf("rel"), S::kRequested);
  // 403 is checked before 409: resume from requested is both.
  EXPECT_TRUE(Is(Lifecycle(Member("cons"), "rel", Verb::kResume),
                 Code::kPermissionDenied, "forbidden"));
  // The admin may do anything.
  ASSERT_OK(Lifecycle(Admin(), "rel", Verb::kActivate));
  EXPECT_EQ(decision_.events[0].actor, "admin");
}

TEST_F(DecideTest, ConsumerMayTerminate) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(StatusOf("rel"), S::kTerminated);
  EXPECT_EQ(decision_.events[0].actor, "cons");
}

TEST_F(DecideTest, NonPartyGetsNotFound) {
  EXPECT_TRUE(Is(Lifecycle(Member("other"), "rel", Verb::kActivate),
                 Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(Lifecycle(Member("other"), "rel", Verb::kTerminate),
                 Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(Lifecycle(Viewer("other"), "rel", Verb::kTerminate),
                 Code::kNotFound, "not_found"))
      << "404 is checked before 403";
  EXPECT_TRUE(Is(Lifecycle(Admin(), "ghost", Verb::kActivate), Code::kNotFound,
                 "not_found"));
  EXPECT_TRUE(Is(Lifecycle(Member("prov"), "svc", Verb::kActivate),
                 Code::kNotFound, "not_found"))
      << "an id of another noun is no relationship";
}

TEST_F(DecideTest, AccessExactlyWhileActive) {
  EXPECT_FALSE(state_.HasAccess("cons", "tool"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_TRUE(state_.HasAccess("cons", "tool"));
  EXPECT_TRUE(CanSee(state_, Member("cons"), Noun::kResource, "tool"));
  EXPECT_EQ(decision_.events[1].type, EventType::kAccessGranted);
  EXPECT_EQ(decision_.events[1].subject, "rel");
  EXPECT_EQ(decision_.events[1].data,
            Body(R"({"consumer": "cons", "resources": ["tool"]})"));

  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  EXPECT_FALSE(state_.HasAccess("cons", "tool"));
  EXPECT_EQ(decision_.events[1].type, EventType::kAccessRevoked);
  EXPECT_EQ(decision_.events[1].data,
            Body(R"({"consumer": "cons", "resources": ["tool"]})"));

  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kResume));
  EXPECT_TRUE(state_.HasAccess("cons", "tool"));

  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_FALSE(state_.HasAccess("cons", "tool"));
  EXPECT_FALSE(state_.HasAccess("other", "tool"));
}

// ---- provisions ----

TEST_F(DecideTest, OnlyTheProviderPerformsProvisions) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kProvision,
                     R"({"relationship": "rel", "action": "advise"})"),
                 Code::kPermissionDenied, "forbidden"));
}

TEST_F(DecideTest, ProvisionNeedsAnActiveRelationship) {
  const char* body = R"({"relationship": "rel", "action": "advise"})";
  EXPECT_TRUE(Is(Provide(body), Code::kConflict, "relationship_not_active"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  EXPECT_TRUE(Is(Provide(body), Code::kConflict, "relationship_not_active"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kResume));
  ASSERT_OK(Provide(body));
  EXPECT_EQ(EventTypes(), Types{EventType::kProvisionPerformed});
}

TEST_F(DecideTest, ActionNotOffered) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  Status s = Provide(R"({"relationship": "rel", "action": "repair"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "action_not_offered"));
  EXPECT_EQ(s.field(), "action");
}

TEST_F(DecideTest, EffectNotAllowed) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"relationship": "rel", "action": "advise", "creates": [{"kind": "k", "name": "n"}]})",
       "creates"},
      {R"({"relationship": "rel", "action": "give", "creates": [{"kind": "k", "name": "n"}]})",
       "creates"},
      {R"({"relationship": "rel", "action": "make",
           "modifies": [{"resource": "data", "attributes": {}}]})",
       "modifies"},
      {R"({"relationship": "rel", "action": "tune", "transfers": ["widget"]})",
       "transfers"},
      {R"({"relationship": "rel", "action": "advise", "transfers": ["widget"]})",
       "transfers"},
  };
  for (const Case& c : cases) {
    Status s = Provide(c.body);
    EXPECT_TRUE(Is(s, Code::kUnprocessable, "effect_not_allowed")) << c.body;
    EXPECT_EQ(s.field(), c.field) << c.body;
  }
}

TEST_F(DecideTest, CreatedResourcesBelongToTheConsumer) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Provide(R"({"id": "p1", "relationship": "rel", "action": "make",
                        "creates": [{"id": "report", "kind": "information", "name": "Report",
                                     "attributes": {"pages": 3}},
                                    {"kind": "information", "name": "Annex"}]})"));
  EXPECT_TRUE(decision_.created);
  EXPECT_EQ(decision_.noun, Noun::kProvision);
  EXPECT_EQ(decision_.subject, "p1");
  EXPECT_EQ(EventTypes(), (Types{EventType::kProvisionPerformed, EventType::kResourceCreated,
                                 EventType::kResourceCreated}));
  for (const Event& e : decision_.events) EXPECT_EQ(e.actor, "prov");

  const Provision* p = state_.FindProvision("p1");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->created.size(), 2u);
  EXPECT_EQ(p->created[0], "report");
  EXPECT_EQ(p->provider, "prov");
  EXPECT_EQ(p->consumer, "cons");
  for (const std::string& id : p->created) {
    const Resource* r = state_.FindResource(id);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_EQ(r->origin_provision, "p1");
    ASSERT_EQ(r->versions.size(), 1u);
    EXPECT_EQ(r->current().version, 1);
    EXPECT_EQ(r->current().owner, "cons");
    EXPECT_EQ(r->current().provision, "p1");
  }
  EXPECT_EQ(Current("report").attributes, Body(R"({"pages": 3})"));
  EXPECT_TRUE(state_.ResourcesOwnedBy("cons").count(Id("report")));
}

TEST_F(DecideTest, ModifyIsAMergePatchThatBumpsTheVersion) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_FALSE(CanSee(state_, Member("prov"), Noun::kResource, "data"));
  ASSERT_OK(Provide(R"({"id": "p1", "relationship": "rel", "action": "tune",
                        "modifies": [{"resource": "data",
                                      "attributes": {"a": null, "b": {"d": 3}, "e": "x"}}]})"));
  EXPECT_EQ(EventTypes(), (Types{EventType::kProvisionPerformed, EventType::kResourceModified}));
  EXPECT_EQ(decision_.events[1].subject, "data");

  const Resource* r = state_.FindResource("data");
  ASSERT_EQ(r->versions.size(), 2u);
  EXPECT_EQ(r->current().version, 2);
  EXPECT_EQ(r->current().owner, "cons");
  EXPECT_EQ(r->current().provision, "p1");
  EXPECT_EQ(r->current().attributes,
            Body(R"({"b": {"c": 2, "d": 3}, "e": "x"})"));
  EXPECT_EQ(r->versions[0].attributes, Body(R"({"a": 1, "b": {"c": 2}})"))
      << "old stays readable";

  const Provision* p = state_.FindProvision("p1");
  ASSERT_EQ(p->modified.size(), 1u);
  EXPECT_EQ(p->modified[0].resource, "data");
  EXPECT_EQ(p->modified[0].version, 2);
  EXPECT_TRUE(CanSee(state_, Member("prov"), Noun::kResource, "data"))
      << "naming it makes it visible to the provider";
}

TEST_F(DecideTest, ModifyOnlyConsumerOwnedResources) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  Status s = Provide(R"({"relationship": "rel", "action": "tune",
                         "modifies": [{"resource": "data", "attributes": {}},
                                      {"resource": "tool", "attributes": {"x": 1}}]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "not_consumer_owned"));
  EXPECT_EQ(s.field(), "modifies[1].resource");
  // A resource of a third party: hidden from prov, so unknown; the admin is
  // told why.
  ASSERT_OK(Run(
      Member("other"), Noun::kResource,
      R"({"id": "odata", "owner": "other", "kind": "information", "name": "O"})"));
  const char* third = R"({"relationship": "rel", "action": "tune",
                          "modifies": [{"resource": "odata", "attributes": {}}]})";
  EXPECT_TRUE(Is(Provide(third), Code::kUnprocessable, "unknown_reference"));
  EXPECT_TRUE(Is(Run(Admin(), Noun::kProvision, third), Code::kUnprocessable,
                 "not_consumer_owned"));
}

TEST_F(DecideTest, TransferPassesOwnershipToTheConsumer) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Provide(R"({"id": "p1", "relationship": "rel", "action": "give",
                        "transfers": ["widget"]})"));
  EXPECT_EQ(EventTypes(),
            (Types{EventType::kProvisionPerformed, EventType::kResourceTransferred}));
  EXPECT_EQ(decision_.events[1].subject, "widget");

  const Resource* r = state_.FindResource("widget");
  ASSERT_EQ(r->versions.size(), 2u);
  EXPECT_EQ(r->current().owner, "cons");
  EXPECT_EQ(r->current().version, 2);
  EXPECT_EQ(r->current().provision, "p1");
  EXPECT_EQ(r->versions[0].owner, "prov");
  EXPECT_TRUE(state_.ResourcesOwnedBy("cons").count(Id("widget")));
  EXPECT_FALSE(state_.ResourcesOwnedBy("prov").count(Id("widget")));
  EXPECT_EQ(state_.FindProvision("p1")->transferred,
            std::vector<std::string>{"widget"});
}

TEST_F(DecideTest, NotTransferable) {
  ASSERT_OK(Run(
      Member("prov"), Noun::kResource,
      R"({"id": "gear", "owner": "prov", "kind": "technology", "name": "Gear"})"));
  ASSERT_OK(Run(
      Member("prov"), Noun::kResource,
      R"({"id": "boxed", "owner": "prov", "kind": "goods", "name": "Boxed"})"));
  ASSERT_OK(Run(
      Member("prov"), Noun::kResource,
      R"({"id": "crate", "owner": "prov", "kind": "goods", "name": "Crate"})"));
  ASSERT_OK(
      Run(Member("prov"), Noun::kOffering,
          R"({"id": "off2", "provider": "prov", "service": "svc", "name": "O2",
                    "audience": "public", "access": [{"resource": "boxed"}]})"));
  ASSERT_OK(Run(
      Member("prov"), Noun::kService,
      R"({"id": "svc2", "provider": "prov", "name": "S2", "built_on": ["crate"]})"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));

  for (const char* id : {"gear", "boxed", "crate"}) {
    Status s = Provide(
        std::string(
            R"({"relationship": "rel", "action": "give", "transfers": [")") +
        id + R"("]})");
    EXPECT_TRUE(Is(s, Code::kUnprocessable, "not_transferable")) << id;
    EXPECT_EQ(s.field(), "transfers[0]") << id;
  }
  // Once transferred, widget is no longer the provider's to give.
  const char* twice =
      R"({"relationship": "rel", "action": "give", "transfers": ["widget"]})";
  ASSERT_OK(Provide(twice));
  EXPECT_TRUE(Is(Provide(twice), Code::kUnprocessable, "not_transferable"));
  // Nor is a resource the consumer owns.
  EXPECT_TRUE(Is(
      Run(Admin(), Noun::kProvision,
          R"({"relationship": "rel", "action": "give", "transfers": ["data"]})"),
      Code::kUnprocessable, "not_transferable"));
}

TEST_F(DecideTest, UsedResourcesMustBeUsableByTheProvider) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Provide(R"({"relationship": "rel", "action": "tune",
                        "modifies": [{"resource": "data", "attributes": {}}]})"));
  Status s = Provide(
      R"({"relationship": "rel", "action": "advise", "used": ["tool", "data"]})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "resource_not_usable"));
  EXPECT_EQ(s.field(), "used[1]");
  ASSERT_OK(Provide(
      R"({"id": "p2", "relationship": "rel", "action": "advise", "used": ["tool"],
                        "value": {"outcomes": ["advice"]}})"));
  EXPECT_EQ(state_.FindProvision("p2")->used, std::vector<std::string>{"tool"});
  ASSERT_TRUE(state_.FindProvision("p2")->value.has_value());
  EXPECT_EQ(state_.FindProvision("p2")->value->outcomes,
            std::vector<std::string>{"advice"});
}

TEST_F(DecideTest, ProvisionRetryIsIdempotent) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  const char* body = R"({"id": "p1", "relationship": "rel", "action": "make",
                         "creates": [{"id": "n1", "kind": "k", "name": "n"}]})";
  ASSERT_OK(Provide(body));
  int64_t seq = state_.last_seq();
  ASSERT_OK(Provide(body));
  EXPECT_FALSE(decision_.created);
  EXPECT_TRUE(decision_.events.empty());
  EXPECT_EQ(state_.last_seq(), seq);
}

// A create keeps its request for retries only when the client named the id:
// a server-made id can never be retried, so the event carries no copy of the
// body and the state keeps no digest. Asking about an id never interns it.
TEST_F(DecideTest, OnlyAClientNamedIdKeepsItsRequest) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Provide(R"({"relationship": "rel", "action": "advise"})"));
  ASSERT_EQ(decision_.events.size(), 1u);
  EXPECT_TRUE(decision_.events[0].private_data.is_null());
  const std::string made = decision_.subject;
  EXPECT_EQ(state_.FindRequest(made), nullptr);
  ASSERT_NE(state_.FindNoun(made), nullptr);
  EXPECT_EQ(*state_.FindNoun(made), Noun::kProvision);
  // The same body naming that id is another body: 409, not a retry.
  Status s = Provide(R"({"id": ")" + made + R"(", "relationship": "rel", "action": "advise"})");
  EXPECT_TRUE(Is(s, Code::kConflict, "duplicate_id"));

  ASSERT_OK(Provide(R"({"id": "p-named", "relationship": "rel", "action": "advise"})"));
  EXPECT_FALSE(decision_.events[0].private_data.is_null());
  EXPECT_NE(state_.FindRequest("p-named"), nullptr);

  const size_t before = Id::Count();
  EXPECT_FALSE(state_.IdTaken("never-named-3c1d"));
  EXPECT_EQ(state_.FindNoun("never-named-3c1d"), nullptr);
  EXPECT_EQ(state_.FindRequest("never-named-3c1d"), nullptr);
  EXPECT_EQ(Id::Count(), before);
}

// ---- role transition ----

TEST_F(DecideTest, RoleTransitionWhenAConsumerBecomesAProvider) {
  // cons consumes first, obtains asset (created) and data (modified) through
  // rel...
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipActivated, EventType::kAccessGranted}))
      << "prov was never a consumer";
  ASSERT_OK(Provide(R"({"id": "p1", "relationship": "rel", "action": "make",
                        "creates": [{"id": "asset", "kind": "information", "name": "Asset"}]})"));
  ASSERT_OK(Provide(R"({"id": "p2", "relationship": "rel", "action": "tune",
                        "modifies": [{"resource": "data", "attributes": {"a": 5}}]})"));
  // ...builds a service on them and offers it; other consumes it.
  ASSERT_OK(Run(Member("cons"), Noun::kService,
                R"({"id": "csvc", "provider": "cons", "name": "Crafted",
                    "built_on": ["asset", "tool", "data"]})"));
  ASSERT_OK(Run(
      Member("cons"), Noun::kOffering,
      R"({"id": "coff", "provider": "cons", "service": "csvc", "name": "Crafted offer",
                    "audience": "public"})"));
  ASSERT_OK(Run(
      Member("other"), Noun::kRelationship,
      R"({"id": "rel2", "offering": "coff", "consumer": "other", "type": "basic"})"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel2", Verb::kActivate));

  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipActivated, EventType::kAccessGranted,
                                 EventType::kRoleTransitioned}));
  const Event& t = decision_.events.back();
  EXPECT_EQ(t.subject, "cons");
  EXPECT_EQ(t.actor, "cons");
  ASSERT_NE(t.data.Find("evidence"), nullptr);
  EXPECT_EQ(*t.data.Find("evidence"), Body(R"([
      {"service": "csvc", "resource": "asset", "provision": "p1",
       "relationship": "rel", "provider": "prov"},
      {"service": "csvc", "resource": "data", "provision": "p2",
       "relationship": "rel", "provider": "prov"}])"));
  const RoleRecord* roles = state_.FindRoles("cons");
  ASSERT_NE(roles, nullptr);
  EXPECT_EQ(roles->consumer_since, kNow);
  EXPECT_EQ(roles->provider_since, kNow);
  ASSERT_EQ(roles->transitions.size(), 1u);
  EXPECT_EQ(roles->transitions[0].evidence.size(), 2u);

  // Recorded once: a later activation as provider adds nothing.
  ASSERT_OK(Run(
      Member("prov"), Noun::kRelationship,
      R"({"id": "rel3", "offering": "coff", "consumer": "prov", "type": "basic"})"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel3", Verb::kActivate));
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipActivated, EventType::kAccessGranted}));
  EXPECT_EQ(state_.FindRoles("cons")->transitions.size(), 1u);
}

TEST_F(DecideTest, RoleTransitionWithoutEvidenceHasAnEmptyList) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Run(
      Member("cons"), Noun::kService,
      R"({"id": "csvc", "provider": "cons", "name": "S", "built_on": ["data"]})"));
  ASSERT_OK(
      Run(Member("cons"), Noun::kOffering,
          R"({"id": "coff", "provider": "cons", "service": "csvc", "name": "O",
                    "audience": "public"})"));
  ASSERT_OK(Run(
      Member("other"), Noun::kRelationship,
      R"({"id": "rel2", "offering": "coff", "consumer": "other", "type": "basic"})"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel2", Verb::kActivate));
  ASSERT_EQ(decision_.events.back().type, EventType::kRoleTransitioned);
  const Json* evidence = decision_.events.back().data.Find("evidence");
  ASSERT_NE(evidence, nullptr);
  EXPECT_EQ(*evidence, Json::MakeArray());
}

TEST_F(DecideTest, NoRoleTransitionWhenProviderFirst) {
  // prov provides first (rel), then consumes coff from cons...
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Run(Member("cons"), Noun::kService,
                R"({"id": "csvc", "provider": "cons", "name": "S"})"));
  ASSERT_OK(
      Run(Member("cons"), Noun::kOffering,
          R"({"id": "coff", "provider": "cons", "service": "csvc", "name": "O",
                    "audience": "public"})"));
  ASSERT_OK(Run(
      Member("prov"), Noun::kRelationship,
      R"({"id": "rel2", "offering": "coff", "consumer": "prov", "type": "basic"})"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel2", Verb::kActivate));
  // ...and provides again: no transition for prov.
  ASSERT_OK(Run(
      Member("other"), Noun::kRelationship,
      R"({"id": "rel3", "offering": "off", "consumer": "other", "type": "basic"})"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel3", Verb::kActivate));
  EXPECT_EQ(EventTypes(), (Types{EventType::kRelationshipActivated, EventType::kAccessGranted}));
  const RoleRecord* roles = state_.FindRoles("prov");
  ASSERT_NE(roles, nullptr);
  EXPECT_FALSE(roles->consumer_since.empty());
  EXPECT_TRUE(roles->transitions.empty());
}

// ---- tokens ----

TEST_F(DecideTest, OnlyTheAdminIssuesTokens) {
  auto issue = [&](const Principal& p, std::string_view body) {
    StatusOr<Command> cmd = DecodeIssueToken(Body(body));
    EXPECT_TRUE(cmd.ok());
    std::get<IssueToken>(cmd->body).secret_digest = "digest-1";
    return Run(p, cmd.value());
  };
  EXPECT_TRUE(Is(issue(Member("prov"), R"({"organization": "prov"})"),
                 Code::kPermissionDenied, "forbidden"));
  Status s = issue(Admin(), R"({"organization": "ghost"})");
  EXPECT_TRUE(Is(s, Code::kUnprocessable, "unknown_reference"));
  EXPECT_EQ(s.field(), "organization");

  ASSERT_OK(issue(Admin(), R"({"organization": "cons", "role": "viewer"})"));
  EXPECT_EQ(EventTypes(), Types{EventType::kTokenIssued});
  const Event& e = decision_.events[0];
  EXPECT_EQ(e.subject, "cons");
  EXPECT_EQ(e.data.Dump().find("digest-1"), std::string::npos)
      << "the secret is never in data";
  const TokenRecord* t = state_.FindToken("digest-1");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->principal.role, Role::kViewer);
  EXPECT_EQ(t->principal.organization, "cons");
  EXPECT_EQ(decision_.subject, t->id);
  EXPECT_EQ(e.data.Find("id")->as_string(), t->id);
  EXPECT_EQ(t->created_at, kNow);
  EXPECT_TRUE(t->expires_at.empty()) << "no expires_in: never expires";
  EXPECT_EQ(e.data.Find("expires_at"), nullptr);
}

class TokenTest : public DecideTest {
 protected:
  // Issues a token; returns its id.
  std::string Issue(std::string_view body, const std::string& digest) {
    StatusOr<Command> cmd = DecodeIssueToken(Body(body));
    EXPECT_TRUE(cmd.ok()) << cmd.status().ToString();
    if (!cmd.ok()) return "";
    std::get<IssueToken>(cmd->body).secret_digest = digest;
    Status s = Run(Admin(), cmd.value());
    EXPECT_TRUE(s.ok()) << s.ToString();
    return decision_.subject;
  }
  Status Revoke(const Principal& p, const std::string& id) {
    return Run(p, DecodeRevokeToken(id));
  }
};

TEST_F(TokenTest, ExpiresInBounds) {
  auto code = [](std::string_view body) {
    StatusOr<Command> cmd = DecodeIssueToken(Body(body));
    return cmd.ok() ? std::string("ok") : cmd.status().reason() + ":" + cmd.status().field();
  };
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 59})"), "invalid_field:expires_in");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 60})"), "ok");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 31536000})"), "ok");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 31536001})"),
            "invalid_field:expires_in");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 0})"), "invalid_field:expires_in");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": -60})"), "invalid_field:expires_in");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 120.5})"), "invalid_field:expires_in");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": "120"})"), "invalid_field:expires_in");
  EXPECT_EQ(code(R"({"organization": "cons", "expires_in": 1e30})"), "invalid_field:expires_in");
}

TEST_F(TokenTest, ExpiresAtIsIssueTimePlusExpiresIn) {
  std::string id = Issue(R"({"organization": "cons", "expires_in": 90061})", "d-exp");
  const TokenRecord* t = state_.FindTokenById(id);
  ASSERT_NE(t, nullptr);
  // kNow is 2026-01-01T00:00:00.000Z; 90061 s is 1 day, 1 h, 1 min, 1 s.
  EXPECT_EQ(t->expires_at, "2026-01-02T01:01:01.000Z");
  EXPECT_EQ(decision_.events[0].data.Find("expires_at")->as_string(), t->expires_at);
}

TEST_F(TokenTest, RevokeByAdminOrOwnMember) {
  std::string a = Issue(R"({"organization": "cons"})", "d-a");
  std::string b = Issue(R"({"organization": "cons", "role": "viewer"})", "d-b");
  std::string c = Issue(R"({"organization": "prov"})", "d-c");
  ASSERT_NE(a, b);

  // Another organization's token is not found, as an absent one.
  EXPECT_TRUE(Is(Revoke(Member("prov"), a), Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(Revoke(Member("prov"), "tok-none"), Code::kNotFound, "not_found"));
  // A viewer sees its organization's tokens but may not revoke them.
  EXPECT_TRUE(Is(Revoke(Viewer("cons"), a), Code::kPermissionDenied, "forbidden"));

  ASSERT_OK(Revoke(Member("cons"), b));
  EXPECT_EQ(EventTypes(), Types{EventType::kTokenRevoked});
  const Event& e = decision_.events[0];
  EXPECT_EQ(e.subject, "cons");
  EXPECT_EQ(e.actor, "cons");
  EXPECT_EQ(e.data.Find("id")->as_string(), b);
  EXPECT_EQ(state_.FindToken("d-b"), nullptr) << "a revoked token stands for no one";
  EXPECT_EQ(state_.FindTokenById(b), nullptr);
  EXPECT_NE(state_.FindToken("d-a"), nullptr);
  // Revoked is gone: a second revocation finds nothing.
  EXPECT_TRUE(Is(Revoke(Member("cons"), b), Code::kNotFound, "not_found"));

  ASSERT_OK(Revoke(Admin(), c));
  EXPECT_EQ(decision_.events[0].subject, "prov");
  EXPECT_EQ(state_.FindToken("d-c"), nullptr);
}

TEST_F(TokenTest, TokenEventsAreSeenOnlyByTheirOrganization) {
  std::string a = Issue(R"({"organization": "cons"})", "d-a");
  ASSERT_OK(Revoke(Admin(), a));
  for (const Event& e : log_) {
    if (!EventTypeName(e.type).starts_with("token.")) continue;
    EXPECT_TRUE(CanSeeEvent(state_, Member("cons"), e)) << e.type;
    EXPECT_TRUE(CanSeeEvent(state_, Viewer("cons"), e)) << e.type;
    EXPECT_FALSE(CanSeeEvent(state_, Member("prov"), e)) << e.type;
  }
}

TEST(TokenStateTest, TokensIssuedBeforeIdsGetOneFromTheirSeq) {
  State state;
  Event org;
  org.seq = 1;
  org.type = EventType::kOrganizationCreated;
  org.subject = "o";
  org.data = Json::MakeObject({{"id", Json("o")}, {"name", Json("O")}});
  ASSERT_OK(state.Apply(org));
  Event old;
  old.seq = 2;
  old.type = EventType::kTokenIssued;
  old.at = kNow;
  old.subject = "o";
  old.data = Json::MakeObject({{"organization", Json("o")}, {"role", Json("member")}});
  old.private_data = Json::MakeObject({{"digest", Json("d-old")}});
  ASSERT_OK(state.Apply(old));
  const TokenRecord* t = state.FindToken("d-old");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, "tok-2");
  EXPECT_EQ(state.FindTokenById("tok-2"), t);
}

// ---- CONTRACT §5: every record changes and retires ----

class ChangeTest : public DecideTest {
 protected:
  Status Patch(const Principal& p, Noun noun, const std::string& id, std::string_view json) {
    StatusOr<Command> cmd = DecodePatch(noun, id, Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status Revise(const Principal& p, const std::string& id, std::string_view json) {
    StatusOr<Command> cmd = DecodeRevision(id, Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status RetireIt(const Principal& p, Noun noun, const std::string& id) {
    StatusOr<Command> cmd = DecodeRetire(noun, id, nullptr);
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status Close(const Principal& p, const std::string& org) {
    return RetireIt(p, Noun::kOrganization, org);
  }
  // cons runs "app" built on prov's tool, through the active relationship rel.
  void ConsumerBuildsOnTool() {
    ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
    ASSERT_OK(Run(Member("cons"), Noun::kService,
                  R"({"id": "app", "provider": "cons", "name": "App", "built_on": ["tool"]})"));
  }
  const Event& Last(EventType type) const {
    for (const Event& e : decision_.events) {
      if (e.type == type) return e;
    }
    ADD_FAILURE() << "no " << type << " event";
    static const Event kNone;
    return kNone;
  }
};

TEST_F(ChangeTest, PatchOrganizationByItsMemberOrTheAdmin) {
  ASSERT_OK(Patch(Member("cons"), Noun::kOrganization, "cons",
                  R"({"name": "Consumer Ltd", "attributes": {"tier": "gold"}})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kOrganizationUpdated}));
  EXPECT_EQ(state_.FindOrganization("cons")->name, "Consumer Ltd");
  EXPECT_EQ(state_.FindOrganization("cons")->attributes.Dump(), R"({"tier":"gold"})");
  // Merge patch: null removes a member.
  ASSERT_OK(Patch(Admin(), Noun::kOrganization, "cons", R"({"attributes": {"tier": null}})"));
  EXPECT_EQ(state_.FindOrganization("cons")->attributes.Dump(), "{}");
  // The same patch again changes nothing and records nothing.
  ASSERT_OK(Patch(Admin(), Noun::kOrganization, "cons", R"({"attributes": {"tier": null}})"));
  EXPECT_TRUE(decision_.events.empty());
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kOrganization, "cons", R"({"name": "x"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Patch(Viewer("cons"), Noun::kOrganization, "cons", R"({"name": "x"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Patch(Admin(), Noun::kOrganization, "nobody", R"({"name": "x"})"),
                 Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(Patch(Admin(), Noun::kOrganization, "cons", R"({"id": "x"})"),
                 Code::kInvalidArgument, "invalid_field"));
  EXPECT_TRUE(Is(Patch(Admin(), Noun::kOrganization, "cons", R"({"name": ""})"),
                 Code::kInvalidArgument, "invalid_field"));
}

TEST_F(ChangeTest, CloseNeedsTheAdminAndNoLiveRelationship) {
  EXPECT_TRUE(Is(Close(Member("prov"), "prov"), Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Close(Admin(), "prov"), Code::kConflict, "has_active_relationships"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  ASSERT_OK(Close(Admin(), "prov"));
  // Closing retires its offerings (§9.16).
  EXPECT_EQ(EventTypes(), Types({EventType::kOrganizationClosed, EventType::kOfferingRetired}));
  EXPECT_TRUE(state_.FindOrganization("prov")->closed);
  EXPECT_TRUE(state_.FindOffering("off")->retired);
  ASSERT_OK(Close(Admin(), "prov"));  // already closed: a safe retry
  EXPECT_TRUE(decision_.events.empty());
  // A closed organization is party to no new relationship, gets no token.
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kRelationship,
                     R"({"offering": "off", "consumer": "cons", "type": "basic"})"),
                 Code::kUnprocessable, "organization_closed"));
  IssueToken t{"prov", Role::kMember, 0, "digest"};
  EXPECT_TRUE(Is(Run(Admin(), Command{t, Json::MakeObject()}), Code::kUnprocessable,
                 "organization_closed"));
}

TEST_F(ChangeTest, ClosedComesBeforeRetiredAndAudience) {
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  ASSERT_OK(Close(Admin(), "cons"));
  ASSERT_OK(RetireIt(Member("prov"), Noun::kOffering, "off"));
  // §9.4: organization_closed, then offering_retired, then the v1 rules.
  EXPECT_TRUE(Is(Run(Admin(), Noun::kRelationship,
                     R"({"offering": "off", "consumer": "cons", "type": "basic"})"),
                 Code::kUnprocessable, "organization_closed"));
  EXPECT_TRUE(Is(Run(Member("other"), Noun::kRelationship,
                     R"({"offering": "off", "consumer": "other", "type": "basic"})"),
                 Code::kUnprocessable, "offering_retired"));
}

TEST_F(ChangeTest, OneLiveRelationshipPerConsumerAndOffering) {
  const char* again = R"({"offering": "off", "consumer": "cons", "type": "cooperative"})";
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kRelationship, again), Code::kConflict,
                 "duplicate_relationship"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  EXPECT_TRUE(Is(Run(Member("cons"), Noun::kRelationship, again), Code::kConflict,
                 "duplicate_relationship"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  ASSERT_OK(Run(Member("cons"), Noun::kRelationship, again));
}

TEST_F(ChangeTest, OwnerGroupsAndTheAudienceThatMayNameThem) {
  ASSERT_OK(Run(Member("prov"), Noun::kConsumerGroup,
                R"({"id": "vip", "name": "VIP", "members": ["cons"]})"));
  EXPECT_EQ(state_.FindGroup("vip")->owner, "prov");  // left out: its own organization
  EXPECT_TRUE(Is(Patch(Member("cons"), Noun::kConsumerGroup, "vip", R"({"add": ["other"]})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kConsumerGroup, "grp", R"({"add": ["other"]})"),
                 Code::kPermissionDenied, "forbidden"));  // the admin's group
  ASSERT_OK(Patch(Member("prov"), Noun::kConsumerGroup, "vip",
                  R"({"add": ["other"], "remove": ["cons"]})"));
  EXPECT_EQ(Last(EventType::kConsumerGroupUpdated).data.Dump(),
            R"({"added":["other"],"removed":["cons"]})");
  EXPECT_EQ(state_.FindGroup("vip")->members, std::vector<std::string>({"other"}));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kConsumerGroup, "vip", R"({"add": ["ghost"]})"),
                 Code::kUnprocessable, "unknown_reference"));
  // An audience names admin-made groups and the provider's own (§9.10).
  ASSERT_OK(Run(Member("cons"), Noun::kConsumerGroup,
                R"({"id": "mine", "name": "Mine", "members": []})"));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kOffering, "off",
                       R"({"audience": {"consumer_groups": ["mine"]}})"),
                 Code::kUnprocessable, "unknown_reference"));
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off",
                  R"({"audience": {"consumer_groups": ["vip", "grp"]}})"));
  // other joined vip, so it may now request.
  ASSERT_OK(Run(Member("other"), Noun::kRelationship,
                R"({"offering": "off", "consumer": "other", "type": "basic"})"));
}

TEST_F(ChangeTest, RevisionMakesAVersionWithoutProvision) {
  ASSERT_OK(Revise(Member("prov"), "tool", R"({"name": "Tool 2", "attributes": {"v": 2}})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kResourceRevised}));
  EXPECT_TRUE(decision_.created);
  EXPECT_EQ(decision_.version, 2);
  const ResourceVersion& v = Current("tool");
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.name, "Tool 2");
  EXPECT_EQ(v.attributes.Dump(), R"({"v":2})");
  EXPECT_TRUE(v.provision.empty());
  // cons sees tool (public offering gives access to it) but does not own it.
  EXPECT_TRUE(Is(Revise(Member("cons"), "tool", R"({"attributes": {"v": 3}})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Revise(Member("other"), "data", R"({"attributes": {}})"), Code::kNotFound,
                 "not_found"));
  EXPECT_TRUE(Is(Revise(Member("prov"), "tool", R"({})"), Code::kInvalidArgument,
                 "invalid_field"));
  ASSERT_OK(Run(Member("prov"), Noun::kResource,
                R"({"id": "spare", "owner": "prov", "kind": "goods", "name": "Spare"})"));
  ASSERT_OK(RetireIt(Member("prov"), Noun::kResource, "spare"));
  EXPECT_TRUE(Is(Revise(Member("prov"), "spare", R"({"attributes": {"x": 1}})"),
                 Code::kConflict, "retired"));
}

// CONTRACT §9.23: external_id is set on create and by a change, indexed per
// noun, and unique per noun.
TEST_F(ChangeTest, ExternalIdIsUniquePerNounAndFollowsChanges) {
  ASSERT_OK(Run(Admin(), Noun::kOrganization,
                R"({"id": "team", "name": "Team", "external_id": "group:default/team"})"));
  ASSERT_NE(state_.FindByExternalId(Noun::kOrganization, "group:default/team"), nullptr);
  EXPECT_EQ(*state_.FindByExternalId(Noun::kOrganization, "group:default/team"), "team");
  EXPECT_TRUE(Is(Run(Admin(), Noun::kOrganization,
                            R"({"name": "Twin", "external_id": "group:default/team"})"),
                 Code::kConflict, "duplicate_external_id"));
  // Another noun may use the same external_id.
  ASSERT_OK(Run(
      Member("prov"), Noun::kService,
      R"({"id": "s2", "provider": "prov", "name": "S2", "external_id": "group:default/team"})"));
  EXPECT_EQ(*state_.FindByExternalId(Noun::kService, "group:default/team"), "s2");
  // A change moves the index; the old key is free again.
  ASSERT_OK(
      Patch(Admin(), Noun::kOrganization, "team", R"({"external_id": "group:default/crew"})"));
  EXPECT_EQ(state_.FindOrganization("team")->external_id, "group:default/crew");
  EXPECT_EQ(state_.FindByExternalId(Noun::kOrganization, "group:default/team"), nullptr);
  EXPECT_TRUE(Is(Patch(Admin(), Noun::kOrganization, "cons",
                       R"({"external_id": "group:default/crew"})"),
                 Code::kConflict, "duplicate_external_id"));
  // The same value again records nothing.
  ASSERT_OK(
      Patch(Admin(), Noun::kOrganization, "team", R"({"external_id": "group:default/crew"})"));
  EXPECT_TRUE(decision_.events.empty());
  // null removes it.
  ASSERT_OK(Patch(Admin(), Noun::kOrganization, "team", R"({"external_id": null})"));
  EXPECT_EQ(state_.FindOrganization("team")->external_id, "");
  EXPECT_EQ(state_.FindByExternalId(Noun::kOrganization, "group:default/crew"), nullptr);
  // Services and offerings by PATCH, resources by a revision (a new version).
  ASSERT_OK(Patch(Member("prov"), Noun::kService, "svc", R"({"external_id": "component:svc"})"));
  EXPECT_EQ(*state_.FindByExternalId(Noun::kService, "component:svc"), "svc");
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kService, "s2", R"({"external_id": "component:svc"})"),
                 Code::kConflict, "duplicate_external_id"));
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"external_id": "api:off"})"));
  EXPECT_EQ(state_.FindOffering("off")->external_id, "api:off");
  EXPECT_EQ(state_.FindOffering("off")->version, 2);
  ASSERT_OK(Revise(Member("prov"), "tool", R"({"external_id": "resource:tool"})"));
  EXPECT_EQ(state_.FindResource("tool")->external_id, "resource:tool");
  EXPECT_EQ(Current("tool").version, 2);
  EXPECT_TRUE(
      Is(Run(Member("prov"), Noun::kResource,
             R"({"owner": "prov", "kind": "k", "name": "n", "external_id": "resource:tool"})"),
         Code::kConflict, "duplicate_external_id"));
  // Format: a non-empty text without control characters.
  EXPECT_TRUE(
      Is(DecodeCreate(Noun::kOrganization, Body(R"({"name": "X", "external_id": ""})")).status(),
         Code::kInvalidArgument, "invalid_field"));
  EXPECT_TRUE(
      Is(DecodeCreate(Noun::kOrganization, Body(R"({"name": "X", "external_id": 7})")).status(),
         Code::kInvalidArgument, "invalid_field"));
  EXPECT_TRUE(
      Is(DecodeCreate(Noun::kOrganization, Body("{\"name\": \"X\", \"external_id\": \"a\\nb\"}"))
             .status(),
         Code::kInvalidArgument, "invalid_field"));
}

TEST_F(ChangeTest, InUseCountsOnlyTheOwnersObjects) {
  EXPECT_TRUE(Is(RetireIt(Member("prov"), Noun::kResource, "tool"), Code::kConflict, "in_use"));
  EXPECT_TRUE(Is(RetireIt(Member("prov"), Noun::kService, "svc"), Code::kConflict, "in_use"));
  EXPECT_TRUE(Is(RetireIt(Member("cons"), Noun::kService, "svc"), Code::kPermissionDenied,
                 "forbidden"));
  // A live relationship on an offering that is not retired keeps it in use.
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"access": []})"));
  EXPECT_TRUE(Is(RetireIt(Member("prov"), Noun::kService, "svc"), Code::kConflict, "in_use"));
  // Once the offering is retired, its relationships carry on but no longer
  // count (§9.12: "offerings here: those not retired").
  ASSERT_OK(RetireIt(Member("prov"), Noun::kOffering, "off"));
  ASSERT_OK(RetireIt(Member("prov"), Noun::kService, "svc"));
  // Only retired objects use tool now.
  ASSERT_OK(RetireIt(Member("prov"), Noun::kResource, "tool"));
  EXPECT_EQ(EventTypes(), Types({EventType::kResourceRetired}));
}

TEST_F(ChangeTest, RetiredReferencesAreRefused) {
  ASSERT_OK(Run(Member("prov"), Noun::kResource,
                R"({"id": "old", "owner": "prov", "kind": "technology", "name": "Old"})"));
  ASSERT_OK(RetireIt(Member("prov"), Noun::kResource, "old"));
  EXPECT_TRUE(Is(Run(Member("prov"), Noun::kService,
                     R"({"provider": "prov", "name": "S", "built_on": ["old"]})"),
                 Code::kUnprocessable, "retired_reference"));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kService, "svc", R"({"built_on": ["tool", "old"]})"),
                 Code::kUnprocessable, "retired_reference"));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kOffering, "off",
                       R"({"access": [{"resource": "old"}]})"),
                 Code::kUnprocessable, "retired_reference"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "advise", "used": ["old"]})"),
                 Code::kUnprocessable, "retired_reference"));
}

TEST_F(ChangeTest, PatchServiceChecksTheRulesAgain) {
  ASSERT_OK(Patch(Member("prov"), Noun::kService, "svc",
                  R"({"description": "now on widgets", "built_on": ["widget"]})"));
  EXPECT_EQ(
      Last(EventType::kServiceUpdated).data.Dump(),
      R"({"before":{"description":"","built_on":["tool"]},"after":{"description":"now on widgets","built_on":["widget"]}})");
  EXPECT_EQ(state_.FindService("svc")->built_on, std::vector<std::string>({"widget"}));
  EXPECT_TRUE(state_.ServicesBuiltOn("tool").empty());
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kService, "svc", R"({"built_on": ["data"]})"),
                 Code::kUnprocessable, "unknown_reference"));  // prov cannot see data
  EXPECT_TRUE(Is(Patch(Admin(), Noun::kService, "svc", R"({"built_on": ["data"]})"),
                 Code::kUnprocessable, "resource_not_usable"));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kService, "svc", R"({"provider": "cons"})"),
                 Code::kInvalidArgument, "invalid_field"));
  EXPECT_TRUE(Is(Patch(Member("cons"), Noun::kService, "svc", R"({"name": "x"})"),
                 Code::kPermissionDenied, "forbidden"));
}

TEST_F(ChangeTest, OfferingChangesReachActiveRelationships) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off",
                  R"({"access": [{"resource": "widget"}],
                      "actions": [{"name": "advise", "effect": "none"}]})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kOfferingUpdated, EventType::kAccessGranted,
                                 EventType::kAccessRevoked}));
  EXPECT_EQ(state_.FindOffering("off")->version, 2);
  EXPECT_EQ(state_.OfferingVersions("off").size(), 2u);
  EXPECT_TRUE(state_.HasAccess("cons", "widget"));
  EXPECT_FALSE(state_.HasAccess("cons", "tool"));
  // Removed actions cannot be performed any more.
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "make", "creates": []})"),
                 Code::kUnprocessable, "action_not_offered"));
  ASSERT_OK(Provide(R"({"relationship": "rel", "action": "advise"})"));
  EXPECT_TRUE(Is(Patch(Member("cons"), Noun::kOffering, "off", R"({"name": "x"})"),
                 Code::kPermissionDenied, "forbidden"));
  ASSERT_OK(RetireIt(Member("prov"), Noun::kOffering, "off"));
  EXPECT_TRUE(Is(Patch(Member("prov"), Noun::kOffering, "off", R"({"name": "x"})"),
                 Code::kConflict, "retired"));
  // Existing relationships carry on.
  ASSERT_OK(Provide(R"({"relationship": "rel", "action": "advise"})"));
}

TEST_F(ChangeTest, OfferingVersionsAndPastStatesSurviveRetirement) {
  // An offering never changed is its own only version: no copy is kept.
  const Offering* made = state_.FindOffering("off");
  const int64_t made_seq = made->seq;
  ASSERT_EQ(state_.OfferingVersions("off"), std::vector<const Offering*>{made});
  EXPECT_EQ(state_.OfferingAt("off", made_seq), made);
  EXPECT_EQ(state_.OfferingAt("off", made_seq - 1), nullptr);
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"name": "second"})"));
  const int64_t second_seq = state_.last_seq();
  const Timestamp second_at = state_.FindOffering("off")->updated_at;
  ASSERT_OK(RetireIt(Member("prov"), Noun::kOffering, "off"));
  ASSERT_TRUE(state_.FindOffering("off")->retired);
  // Retiring is not a version: the second version reads as it was made.
  const std::vector<const Offering*> versions = state_.OfferingVersions("off");
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]->version, 1);
  EXPECT_EQ(versions[0]->name, state_.OfferingAt("off", made_seq)->name);
  EXPECT_EQ(versions[1]->version, 2);
  EXPECT_EQ(versions[1]->name, "second");
  EXPECT_FALSE(versions[1]->retired);
  EXPECT_EQ(versions[1]->updated_at, second_at);
  EXPECT_EQ(state_.OfferingAt("off", state_.last_seq()), versions[1]);
  EXPECT_EQ(state_.OfferingAt("off", second_seq), versions[1]);
  EXPECT_EQ(state_.OfferingAt("off", second_seq - 1), versions[0]);
  EXPECT_EQ(state_.OfferingAt("nope", second_seq), nullptr);
  EXPECT_TRUE(state_.OfferingVersions("nope").empty());
}

TEST_F(ChangeTest, LosingAccessDegradesAndRegainingRestores) {
  ConsumerBuildsOnTool();
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  EXPECT_EQ(EventTypes(), Types({EventType::kRelationshipSuspended, EventType::kAccessRevoked,
                                 EventType::kServiceDegraded}));
  EXPECT_EQ(Last(EventType::kServiceDegraded).data.Dump(),
            R"({"degraded_by":[{"resource":"tool","relationship":"rel"}]})");
  EXPECT_EQ(state_.FindService("app")->status(), "degraded");
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kResume));
  EXPECT_EQ(EventTypes(), Types({EventType::kRelationshipResumed, EventType::kAccessGranted,
                                 EventType::kServiceRestored}));
  EXPECT_EQ(state_.FindService("app")->status(), "active");
  // An offering change that removes the access degrades it too.
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"access": []})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kOfferingUpdated, EventType::kAccessRevoked,
                                 EventType::kServiceDegraded}));
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"access": [{"resource": "tool"}]})"));
  EXPECT_EQ(state_.FindService("app")->status(), "active");
  // The consumer may rebuild its service without the lost resource.
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(state_.FindService("app")->status(), "degraded");
  ASSERT_OK(Patch(Member("cons"), Noun::kService, "app", R"({"built_on": []})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kServiceUpdated, EventType::kServiceRestored}));
}

TEST_F(ChangeTest, RetiringAResourceRevokesEveryAccessToIt) {
  ConsumerBuildsOnTool();
  ASSERT_OK(Patch(Member("prov"), Noun::kService, "svc", R"({"built_on": []})"));
  ASSERT_OK(RetireIt(Member("prov"), Noun::kOffering, "off"));
  // Consumers' services never block a retirement (§9.12).
  ASSERT_OK(RetireIt(Member("prov"), Noun::kResource, "tool"));
  EXPECT_EQ(EventTypes(), Types({EventType::kResourceRetired, EventType::kAccessRevoked,
                                 EventType::kServiceDegraded}));
  EXPECT_FALSE(state_.HasAccess("cons", "tool"));
  // A resumption grants the offering's access as it is then: not a retired resource.
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kResume));
  EXPECT_EQ(Last(EventType::kAccessGranted).data.Dump(), R"({"consumer":"cons","resources":[]})");
  EXPECT_EQ(state_.FindService("app")->status(), "degraded");
}

TEST_F(ChangeTest, DependingOnAConsumedServiceDegradesWithTheRelationship) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(Run(Member("cons"), Noun::kService,
                R"({"id": "front", "provider": "cons", "name": "Front", "depends_on": ["svc"]})"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(Last(EventType::kServiceDegraded).data.Dump(),
            R"({"degraded_by":[{"service":"svc","relationship":"rel"}]})");
  for (const std::string& id : state_.Ids(Noun::kService)) {
    const Service& s = *state_.FindService(id);
    EXPECT_EQ(s.degraded_by, state_.DegradationOf(s)) << id;
  }
}

// ---- CONTRACT §6, proposals: the agreement changes only by consent ----

class ProposalTest : public ChangeTest {
 protected:
  Status Propose(const Principal& p, std::string_view json) {
    StatusOr<Command> cmd = DecodeProposal("rel", Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status Answer(const Principal& p, const std::string& id, ProposalVerb verb) {
    StatusOr<Command> cmd = DecodeAnswer(id, verb, nullptr);
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
};

TEST_F(ProposalTest, AcceptedProposalRetypesTheRelationship) {
  EXPECT_TRUE(Is(Propose(Member("cons"), R"({"type": "partnership"})"), Code::kConflict,
                 "relationship_not_active"));
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_EQ(state_.FindRelationship("rel")->agreements.size(), 1u);
  EXPECT_TRUE(Is(Propose(Member("other"), R"({"type": "partnership"})"), Code::kNotFound,
                 "not_found"));
  EXPECT_TRUE(Is(Propose(Viewer("cons"), R"({"type": "partnership"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Propose(Member("cons"), R"({"note": "hi"})"), Code::kInvalidArgument,
                 "invalid_field"));
  ASSERT_OK(Propose(Member("cons"), R"({"id": "p1", "type": "partnership", "renewal": "auto"})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kAgreementProposed}));
  EXPECT_EQ(decision_.shows, Decision::Shows::kProposal);
  EXPECT_EQ(state_.FindProposal("p1")->by, "cons");
  // A retry is the proposer's: the same body from the other party is 409.
  const char* same = R"({"id": "p1", "renewal": "auto", "type": "partnership"})";
  ASSERT_OK(Propose(Member("cons"), same));
  EXPECT_TRUE(Is(Propose(Member("prov"), same), Code::kConflict, "duplicate_id"));
  // The proposer cannot accept its own proposal; the other party can.
  EXPECT_TRUE(Is(Answer(Member("cons"), "p1", ProposalVerb::kAccept), Code::kPermissionDenied,
                 "forbidden"));
  ASSERT_OK(Answer(Member("prov"), "p1", ProposalVerb::kAccept));
  EXPECT_EQ(EventTypes(), Types({EventType::kAgreementChanged}));
  const Relationship& rel = *state_.FindRelationship("rel");
  EXPECT_EQ(rel.type, RelationshipType::kPartnership);
  ASSERT_EQ(rel.agreements.size(), 2u);
  EXPECT_EQ(rel.agreements.back().version, 2);
  EXPECT_EQ(rel.agreements.back().renewal, "auto");
  EXPECT_EQ(rel.agreements.back().proposal, "p1");
  EXPECT_EQ(rel.agreements.back().start, rel.agreements.front().start);
  EXPECT_TRUE(Is(Answer(Member("prov"), "p1", ProposalVerb::kDecline), Code::kConflict,
                 "proposal_not_open"));
}

TEST_F(ProposalTest, DeclineWithdrawAndTermination) {
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kActivate));
  ASSERT_OK(
      Propose(Member("prov"),
              R"({"id": "p1", "price": {"amount": 12.5, "currency": "EUR", "period": "month"}})"));
  ASSERT_OK(Propose(Member("cons"), R"({"id": "p2", "type": "cooperative"})"));
  // An agreement ends after it starts (the fixture's clock is 2026-01-01),
  // in the future, and when it renews itself, a second or more after it starts.
  EXPECT_TRUE(Is(Propose(Member("cons"), R"({"end": "2025-12-31T23:59:59Z"})"),
                 Code::kUnprocessable, "end_before_start"));
  EXPECT_TRUE(
      Is(Propose(Member("cons"), R"({"end": "2026-01-01T00:00:00.500Z", "renewal": "auto"})"),
         Code::kUnprocessable, "term_too_short"));
  ASSERT_OK(Propose(Member("cons"), R"({"id": "p3", "end": "2027-01-01T00:00:00Z"})"));
  EXPECT_TRUE(Is(Answer(Member("prov"), "p2", ProposalVerb::kWithdraw), Code::kPermissionDenied,
                 "forbidden"));
  ASSERT_OK(Answer(Member("cons"), "p1", ProposalVerb::kDecline));
  EXPECT_EQ(EventTypes(), Types({EventType::kAgreementDeclined}));
  ASSERT_OK(Answer(Member("cons"), "p2", ProposalVerb::kWithdraw));
  EXPECT_EQ(state_.FindProposal("p2")->status, ProposalStatus::kWithdrawn);
  // Terminating withdraws what is still open (§9.15).
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(EventTypes(), Types({EventType::kRelationshipTerminated, EventType::kAgreementWithdrawn,
                                 EventType::kAccessRevoked}));
  EXPECT_EQ(state_.FindProposal("p3")->status, ProposalStatus::kWithdrawn);
  EXPECT_EQ(state_.FindProposal("p3")->reason, "relationship_terminated");
  EXPECT_EQ(state_.FindRelationship("rel")->agreements.size(), 1u);
  // A proposal id is taken like any other.
  EXPECT_TRUE(Is(Run(Admin(), Noun::kOrganization, R"({"id": "p3", "name": "x"})"),
                 Code::kConflict, "duplicate_id"));
}

// --- Service relationship management (CONTRACT §6) ---

class ManageTest : public ProposalTest {
 protected:
  void SetUp() override {
    ProposalTest::SetUp();
    ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"service_levels": [
        {"metric": "uptime", "objective": 99.5, "unit": "%"},
        {"metric": "latency", "objective": 200, "unit": "ms", "target": "at_most"}]})"));
    ConsumerBuildsOnTool();  // activates rel; cons's "app" is built on prov's tool
  }
  Status Measure(const Principal& p, std::string_view json) {
    StatusOr<Command> cmd = DecodeRecordMeasurement("rel", Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status Open(const Principal& p, std::string_view json) {
    StatusOr<Command> cmd = DecodeOpenRequest("rel", Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status CloseIt(const Principal& p, const std::string& id, RequestVerb verb) {
    StatusOr<Command> cmd = DecodeCloseRequest(id, verb, nullptr);
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status StateIt(const Principal& p, const std::string& rel, std::string_view json) {
    StatusOr<Command> cmd = DecodeValueStatement(rel, Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status AddPerson(const Principal& p, const std::string& org, std::string_view json) {
    StatusOr<Command> cmd = DecodeCreatePerson(org, Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status Assign(const Principal& p, std::string_view json) {
    StatusOr<Command> cmd = DecodeRoleAssignment("rel", Body(json));
    if (!cmd.ok()) return cmd.status();
    return Run(p, cmd.value());
  }
  Status Unassign(const Principal& p, const std::string& person, const std::string& role) {
    return Run(p, DecodeRoleUnassignment("rel", person, role));
  }
};

TEST_F(ManageTest, MeasurementsAreJudgedAgainstTheObjectiveInForce) {
  constexpr char kJan[] =
      R"("period": {"start": "2025-12-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"})";
  auto body = [&](std::string_view metric, std::string_view value) {
    return "{\"metric\": \"" + std::string(metric) + "\", \"value\": " + std::string(value) +
           ", " + kJan + "}";
  };
  ASSERT_OK(Measure(Member("prov"), body("uptime", "99.5")));  // equal is met (§9.19)
  EXPECT_EQ(EventTypes(), Types({EventType::kMeasurementRecorded}));
  EXPECT_EQ(decision_.shows, Decision::Shows::kMeasurement);
  const Measurement& m = *state_.FindMeasurement(decision_.subject);
  EXPECT_TRUE(m.met);
  EXPECT_EQ(m.by, "prov");
  EXPECT_EQ(m.agreement_version, 1);
  // at_most: 200 is met, 200.0001 is not; notation does not matter.
  ASSERT_OK(Measure(Member("cons"), body("latency", "2e2")));
  EXPECT_TRUE(state_.FindMeasurement(decision_.subject)->met);
  ASSERT_OK(Measure(Member("cons"), body("latency", "200.0001")));
  EXPECT_FALSE(state_.FindMeasurement(decision_.subject)->met);
  EXPECT_EQ(EventTypes(),
            Types({EventType::kMeasurementRecorded, EventType::kServiceLevelBreached}));
  const Event& breach = Last(EventType::kServiceLevelBreached);
  EXPECT_EQ(breach.subject, "rel");
  EXPECT_EQ(breach.data.Find("consumers_reached")->as_int(), 1);  // the engine counts the walk
  // The services that feel the miss: cons's app, built on the tool rel gives access to.
  EXPECT_EQ(breach.private_data.Find("starts")->Dump(), R"(["app"])");
  EXPECT_FALSE(breach.data.Dump().find("app") != std::string::npos);
  ASSERT_OK(Measure(Member("prov"), body("uptime", "0.995e2")));
  EXPECT_TRUE(state_.FindMeasurement(decision_.subject)->met);

  EXPECT_TRUE(Is(Measure(Member("prov"), body("errors", "1")), Code::kUnprocessable,
                 "unknown_metric"));
  EXPECT_TRUE(Is(Measure(Member("other"), body("uptime", "1")), Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(Measure(Viewer("cons"), body("uptime", "1")), Code::kPermissionDenied,
                 "forbidden"));
  EXPECT_TRUE(Is(Measure(Member("cons"), R"({"metric": "uptime", "value": 1, "by": "prov",)" +
                                              std::string(kJan) + "}"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(Measure(Member("prov"), R"({"metric": "uptime", "value": "1"})"),
                 Code::kInvalidArgument, "invalid_field"));
  // A retry is the same party's: the other party sending the same id is 409.
  const std::string retry = R"({"id": "m1", "metric": "uptime", "value": 99.7, )" +
                            std::string(kJan) + "}";
  ASSERT_OK(Measure(Member("cons"), retry));
  ASSERT_OK(Measure(Member("cons"), retry));
  EXPECT_TRUE(decision_.events.empty());
  EXPECT_TRUE(Is(Measure(Member("prov"), retry), Code::kConflict, "duplicate_id"));
  // A later agreement version judges the periods that end after it.
  ASSERT_OK(Propose(Member("cons"), R"({"id": "p9", "service_levels": [
      {"metric": "uptime", "objective": 99.9}]})"));
  ASSERT_OK(Answer(Member("prov"), "p9", ProposalVerb::kAccept));
  ASSERT_OK(Measure(Member("prov"), R"({"metric": "uptime", "value": 99.8, "period":
      {"start": "2026-02-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}})"));
  EXPECT_FALSE(state_.FindMeasurement(decision_.subject)->met);
  EXPECT_EQ(state_.FindMeasurement(decision_.subject)->agreement_version, 2);
  EXPECT_TRUE(Is(Measure(Member("prov"), R"({"metric": "latency", "value": 1, "period":
      {"start": "2026-02-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}})"),
                 Code::kUnprocessable, "unknown_metric"));
  // A metric a later version added is measured, for an earlier period too,
  // against the first version that has it.
  ASSERT_OK(Propose(Member("cons"), R"({"id": "p10", "service_levels": [
      {"metric": "uptime", "objective": 99.9}, {"metric": "errors", "objective": 5,
       "target": "at_most"}]})"));
  ASSERT_OK(Answer(Member("prov"), "p10", ProposalVerb::kAccept));
  ASSERT_OK(Measure(Member("prov"), body("errors", "4")));
  EXPECT_TRUE(state_.FindMeasurement(decision_.subject)->met);
  EXPECT_EQ(state_.FindMeasurement(decision_.subject)->agreement_version, 3);
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_TRUE(Is(Measure(Member("prov"), body("uptime", "1")), Code::kConflict,
                 "relationship_not_active"));
}

TEST_F(ManageTest, RequestsAreOpenedByTheConsumerAndFulfilledByAProvision) {
  EXPECT_TRUE(Is(Open(Member("prov"), R"({"action": "tune"})"), Code::kPermissionDenied,
                 "forbidden"));
  EXPECT_TRUE(Is(Open(Member("cons"), R"({"action": "dance"})"), Code::kUnprocessable,
                 "action_not_offered"));
  ASSERT_OK(Open(Member("cons"), R"({"id": "q1", "action": "advise", "details": {"n": 1}})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kRequestOpened}));
  EXPECT_EQ(decision_.shows, Decision::Shows::kRequest);
  EXPECT_TRUE(decision_.created);
  ASSERT_OK(Open(Member("cons"), R"({"id": "q2", "action": "tune"})"));
  // Another action is a mismatch; an unknown request an unknown reference.
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "tune", "request": "q1",
                             "modifies": [{"resource": "data", "attributes": {"x": 1}}]})"),
                 Code::kUnprocessable, "request_mismatch"));
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "advise", "request": "q0"})"),
                 Code::kUnprocessable, "unknown_reference"));
  ASSERT_OK(Provide(R"({"id": "pv", "relationship": "rel", "action": "advise", "request": "q1"})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kProvisionPerformed, EventType::kRequestFulfilled}));
  EXPECT_EQ(state_.FindServiceRequest("q1")->status, RequestStatus::kFulfilled);
  EXPECT_EQ(state_.FindServiceRequest("q1")->provision, "pv");
  EXPECT_EQ(state_.FindProvision("pv")->request, "q1");
  // Not open is 409, before the 422s (another action too).
  EXPECT_TRUE(Is(Provide(R"({"relationship": "rel", "action": "tune", "request": "q1"})"),
                 Code::kConflict, "request_not_open"));
  EXPECT_TRUE(Is(CloseIt(Member("cons"), "q2", RequestVerb::kDecline), Code::kPermissionDenied,
                 "forbidden"));
  EXPECT_TRUE(Is(CloseIt(Member("prov"), "q2", RequestVerb::kCancel), Code::kPermissionDenied,
                 "forbidden"));
  EXPECT_TRUE(Is(CloseIt(Member("other"), "q2", RequestVerb::kCancel), Code::kNotFound,
                 "not_found"));
  ASSERT_OK(CloseIt(Member("prov"), "q2", RequestVerb::kDecline));
  EXPECT_EQ(EventTypes(), Types({EventType::kRequestDeclined}));
  EXPECT_TRUE(Is(CloseIt(Member("cons"), "q2", RequestVerb::kCancel), Code::kConflict,
                 "request_not_open"));
  // §9.14: an action removed declines its open requests; §9.15: termination cancels.
  ASSERT_OK(Open(Member("cons"), R"({"id": "q3", "action": "give"})"));
  ASSERT_OK(Open(Member("cons"), R"({"id": "q4", "action": "advise"})"));
  ASSERT_OK(Patch(Member("prov"), Noun::kOffering, "off", R"({"actions": [
      {"name": "make", "effect": "create"}, {"name": "advise", "effect": "none"}]})"));
  EXPECT_EQ(state_.FindServiceRequest("q3")->status, RequestStatus::kDeclined);
  EXPECT_EQ(state_.FindServiceRequest("q3")->reason, "action_removed");
  ASSERT_OK(Lifecycle(Member("prov"), "rel", Verb::kSuspend));
  EXPECT_TRUE(Is(Open(Member("cons"), R"({"action": "advise"})"), Code::kConflict,
                 "relationship_not_active"));
  ASSERT_OK(Lifecycle(Member("cons"), "rel", Verb::kTerminate));
  EXPECT_EQ(state_.FindServiceRequest("q4")->status, RequestStatus::kCancelled);
  EXPECT_EQ(state_.FindServiceRequest("q4")->reason, "relationship_terminated");
}

TEST_F(ManageTest, ValueIsStatedByEitherPartyOnly) {
  constexpr char kBody[] =
      R"({"id": "v1", "costs": [{"amount": 0.1, "currency": "EUR", "kind": "introduced"}]})";
  EXPECT_TRUE(Is(StateIt(Admin(), "rel", kBody), Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(StateIt(Member("other"), "rel", kBody), Code::kNotFound, "not_found"));
  EXPECT_TRUE(Is(StateIt(Viewer("cons"), "rel", kBody), Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(StateIt(Member("cons"), "rel", "{}"), Code::kInvalidArgument, "invalid_field"));
  ASSERT_OK(StateIt(Member("cons"), "rel", kBody));
  EXPECT_EQ(EventTypes(), Types({EventType::kValueStated}));
  EXPECT_EQ(state_.FindValueRecord("v1")->party, "cons");
  // A retry with the same body is safe; another body is a duplicate.
  ASSERT_OK(StateIt(Member("cons"), "rel", kBody));
  EXPECT_TRUE(decision_.events.empty());
  EXPECT_TRUE(Is(StateIt(Member("prov"), "rel", kBody), Code::kConflict, "duplicate_id"));
  // A relationship never active has no value yet.
  ASSERT_OK(Run(Member("other"), Noun::kRelationship,
                R"({"id": "rel2", "offering": "off", "consumer": "other", "type": "basic"})"));
  EXPECT_TRUE(Is(StateIt(Member("other"), "rel2", R"({"outcomes": ["x"]})"), Code::kConflict,
                 "relationship_not_active"));
}

TEST_F(ManageTest, PeopleTakeRolesForTheirOwnParty) {
  EXPECT_TRUE(Is(AddPerson(Member("prov"), "cons", R"({"name": "X"})"),
                 Code::kPermissionDenied, "forbidden"));
  EXPECT_TRUE(Is(AddPerson(Admin(), "nobody", R"({"name": "X"})"), Code::kNotFound, "not_found"));
  ASSERT_OK(AddPerson(Member("cons"), "cons", R"({"id": "ana", "name": "Ana"})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kPersonCreated}));
  ASSERT_OK(AddPerson(Admin(), "prov", R"({"id": "bo", "name": "Bo"})"));
  // Actors' names are no ids: a person "system" would pass its acts off as the server's.
  EXPECT_TRUE(Is(AddPerson(Member("cons"), "cons", R"({"id": "system", "name": "S"})"),
                 Code::kConflict, "duplicate_id"));
  EXPECT_TRUE(Is(Run(Admin(), Noun::kOrganization, R"({"id": "admin", "name": "A"})"),
                 Code::kConflict, "duplicate_id"));
  ASSERT_OK(AddPerson(Member("other"), "other", R"({"id": "cy", "name": "Cy"})"));
  EXPECT_TRUE(Is(AddPerson(Member("cons"), "cons", R"({"id": "bo", "name": "Bo"})"),
                 Code::kConflict, "duplicate_id"));

  EXPECT_TRUE(Is(Assign(Member("cons"), R"({"person": "ana", "role": "relationship_manager"})"),
                 Code::kUnprocessable, "role_not_for_party"));
  EXPECT_TRUE(Is(Assign(Member("cons"), R"({"person": "bo", "role": "user"})"),
                 Code::kUnprocessable, "unknown_reference"));
  EXPECT_TRUE(Is(Assign(Admin(), R"({"person": "cy", "role": "user"})"), Code::kUnprocessable,
                 "role_not_for_party"));
  ASSERT_OK(Assign(Member("cons"), R"({"person": "ana", "role": "sponsor"})"));
  EXPECT_EQ(EventTypes(), Types({EventType::kRoleAssigned}));
  EXPECT_EQ(decision_.shows, Decision::Shows::kRoleAssignment);
  ASSERT_OK(Assign(Member("cons"), R"({"person": "ana", "role": "sponsor"})"));
  EXPECT_TRUE(decision_.events.empty());
  EXPECT_FALSE(decision_.created);
  // The provider now sees Ana, but she is not its person to place.
  EXPECT_TRUE(Is(Assign(Member("prov"), R"({"person": "ana", "role": "user"})"),
                 Code::kPermissionDenied, "forbidden"));
  ASSERT_OK(Assign(Member("prov"), R"({"person": "bo", "role": "relationship_manager"})"));
  EXPECT_EQ(state_.FindRelationship("rel")->roles.size(), 2u);
  EXPECT_TRUE(Is(Unassign(Member("prov"), "ana", "sponsor"), Code::kPermissionDenied,
                 "forbidden"));
  EXPECT_TRUE(Is(Unassign(Member("cons"), "ana", "user"), Code::kNotFound, "not_found"));
  ASSERT_OK(Unassign(Member("cons"), "ana", "sponsor"));
  EXPECT_EQ(EventTypes(), Types({EventType::kRoleUnassigned}));
  EXPECT_EQ(decision_.shows, Decision::Shows::kNothing);

  // A person token: the person is the actor, its organization in the data.
  Principal ana = Member("cons");
  ana.person = "ana";
  ASSERT_OK(Open(ana, R"({"action": "advise"})"));
  EXPECT_EQ(decision_.events[0].actor, "ana");
  EXPECT_EQ(decision_.events[0].data.Find("organization")->as_string(), "cons");

  // A closed organization takes on nobody.
  ASSERT_OK(Close(Admin(), "other"));
  EXPECT_TRUE(Is(AddPerson(Admin(), "other", R"({"name": "Di"})"), Code::kUnprocessable,
                 "organization_closed"));
}

TEST_F(ManageTest, AnAgreementThatEndsTerminatesOrRenews) {
  Command expire{ExpireAgreements{}, Json::MakeObject()};
  EXPECT_TRUE(Is(Decide(state_, Admin(), expire, kNow).status(), Code::kPermissionDenied,
                 "forbidden"));
  ASSERT_OK(Propose(Member("cons"), R"({"id": "pe", "end": "2026-03-01T00:00:00Z",
                                        "renewal": "auto"})"));
  ASSERT_OK(Answer(Member("prov"), "pe", ProposalVerb::kAccept));
  // Before the end nothing happens.
  auto early = Decide(state_, Principal::System(), expire, "2026-02-28T00:00:00.000Z");
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->events.empty());
  // Auto: the term moves on by its length (59 days) until it ends after now, as "system".
  auto renewed = Decide(state_, Principal::System(), expire, "2026-06-15T00:00:00.000Z");
  ASSERT_TRUE(renewed.ok());
  ASSERT_EQ(renewed->events.size(), 1u);
  const Event& e = renewed->events[0];
  EXPECT_EQ(e.type, EventType::kAgreementChanged);
  EXPECT_EQ(e.actor, "system");
  const Json& a = *e.data.Find("agreement");
  EXPECT_EQ(a.Find("version")->as_int(), 3);
  EXPECT_EQ(a.Find("start")->as_string(), kNow);  // the agreement's start stays
  EXPECT_EQ(a.Find("end")->as_string(), "2026-06-27T00:00:00.000Z");
  EXPECT_EQ(a.Find("at")->as_string(), "2026-04-29T00:00:00.000Z");  // the term in force
  // None: the relationship terminates, as "system", with what termination brings.
  ASSERT_OK(Propose(Member("prov"), R"({"id": "pn", "renewal": "none"})"));
  ASSERT_OK(Answer(Member("cons"), "pn", ProposalVerb::kAccept));
  // An end that passed since it was proposed cannot be accepted.
  ASSERT_OK(Propose(Member("prov"), R"({"id": "late", "end": "2026-01-01T00:00:01Z"})"));
  auto too_late = Decide(state_, Member("cons"),
                         DecodeAnswer("late", ProposalVerb::kAccept, nullptr).value(),
                         "2026-01-02T00:00:00.000Z");
  EXPECT_TRUE(Is(too_late.status(), Code::kUnprocessable, "end_passed"));
  auto ended = Decide(state_, Principal::System(), expire, "2026-03-02T00:00:00.000Z");
  ASSERT_TRUE(ended.ok());
  ASSERT_FALSE(ended->events.empty());
  EXPECT_EQ(ended->events[0].type, EventType::kRelationshipTerminated);
  EXPECT_EQ(ended->events[0].actor, "system");
  EXPECT_EQ(ended->events[0].data.Find("reason")->as_string(), "agreement_ended");
}

}  // namespace
}  // namespace cocreate
