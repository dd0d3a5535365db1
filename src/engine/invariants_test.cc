// Randomized invariant test: long random command sequences (valid and
// invalid, by every kind of principal) against the engine; after each
// command the model's invariants hold and the log is gap-free.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "engine/engine.h"
#include "rules/decide.h"

namespace cocreate {
namespace {

class RandomWorkload {
 public:
  explicit RandomWorkload(uint32_t seed) : rng_(seed) {}

  // A random command body and principal; references are drawn from what was
  // created so far, with some unknown ids mixed in.
  std::pair<Principal, StatusOr<Command>> Next(const State& s) {
    Principal p = PickPrincipal(s);
    int kind = Pick(100);
    std::string id = "x" + std::to_string(++counter_);
    if (kind < 6 || s.Ids(Noun::kOrganization).size() < 3) {
      return {Principal::Admin(), Decode(Noun::kOrganization, {{"id", Json(id)}, {"name", Json("org")}})};
    }
    if (kind < 16) {
      return {p, Decode(Noun::kResource, {{"id", Json(id)}, {"owner", Json(Any(s, Noun::kOrganization))},
                                           {"kind", Json(Kind())}, {"name", Json("r")}})};
    }
    if (kind < 26) {
      Json built_on = Json::MakeArray();
      if (Pick(2)) built_on.Push(Json(Any(s, Noun::kResource)));
      Json depends = Json::MakeArray();
      if (Pick(3) == 0) depends.Push(Json(Any(s, Noun::kService)));
      return {p, Decode(Noun::kService, {{"id", Json(id)}, {"provider", Json(Any(s, Noun::kOrganization))},
                                          {"name", Json("s")}, {"built_on", built_on},
                                          {"depends_on", depends}})};
    }
    if (kind < 36) {
      std::string service = Any(s, Noun::kService);
      const Service* svc = s.FindService(service);
      std::string provider = svc && Pick(5) ? svc->provider : Any(s, Noun::kOrganization);
      Json access = Json::MakeArray();
      if (Pick(2)) access.Push(Json::MakeObject({{"resource", Json(Any(s, Noun::kResource))}}));
      Json actions = Json::MakeArray();
      for (const char* e : {"create", "modify", "transfer", "none"}) {
        actions.Push(Json::MakeObject({{"name", Json(std::string("do-") + e)}, {"effect", Json(e)}}));
      }
      Json goods = Json::MakeArray();
      goods.Push(Json::MakeObject({{"kind", Json(Kind())}, {"name", Json("g")}}));
      Json audience = Json("public");
      if (Pick(4) == 0 && !s.Ids(Noun::kConsumerGroup).empty()) {
        Json groups = Json::MakeArray();
        groups.Push(Json(Any(s, Noun::kConsumerGroup)));
        audience = Json::MakeObject({{"consumer_groups", groups}});
      }
      return {p, Decode(Noun::kOffering, {{"id", Json(id)}, {"provider", Json(provider)},
                                           {"service", Json(service)}, {"name", Json("o")},
                                           {"audience", audience}, {"access", access},
                                           {"actions", actions}, {"goods", goods}})};
    }
    if (kind < 40) {
      Json members = Json::MakeArray();
      for (int i = 0; i < 3; ++i) members.Push(Json(Any(s, Noun::kOrganization)));
      return {Principal::Admin(), Decode(Noun::kConsumerGroup, {{"id", Json(id)}, {"name", Json("g")},
                                                                {"members", members}})};
    }
    if (kind < 55) {
      const char* types[] = {"basic", "cooperative", "partnership"};
      return {p, Decode(Noun::kRelationship, {{"id", Json(id)}, {"offering", Json(Any(s, Noun::kOffering))},
                                               {"consumer", Json(Any(s, Noun::kOrganization))},
                                               {"type", Json(types[Pick(3)])}})};
    }
    if (kind < 75) {
      auto verb = static_cast<LifecycleVerb>(Pick(5));
      // Favour activation so that provisions have something to work on.
      if (Pick(2)) verb = LifecycleVerb::kActivate;
      return {p, DecodeLifecycle(Any(s, Noun::kRelationship), verb, nullptr)};
    }
    std::string rel_id = Any(s, Noun::kRelationship);
    const Relationship* rel = s.FindRelationship(rel_id);
    const char* effects[] = {"create", "modify", "transfer", "none"};
    std::string effect = effects[Pick(4)];
    Json body = Json::MakeObject({{"id", Json(id)}, {"relationship", Json(rel_id)},
                                  {"action", Json("do-" + effect)}});
    if (effect == "create") {
      Json creates = Json::MakeArray();
      creates.Push(Json::MakeObject({{"kind", Json(Kind())}, {"name", Json("made")}}));
      body.Set("creates", creates);
    } else if (effect == "modify") {
      Json modifies = Json::MakeArray();
      std::string target = Any(s, Noun::kResource);
      if (rel && Pick(3)) {
        const auto& owned = s.ResourcesOwnedBy(rel->consumer);
        if (!owned.empty()) target = *std::next(owned.begin(), Pick(static_cast<int>(owned.size())));
      }
      Json patch = Json::MakeObject({{"n", Json(static_cast<int64_t>(Pick(1000)))}});
      if (Pick(2)) patch.Set("gone", Json());
      modifies.Push(Json::MakeObject({{"resource", Json(target)}, {"attributes", patch}}));
      body.Set("modifies", modifies);
    } else if (effect == "transfer") {
      Json transfers = Json::MakeArray();
      std::string target = Any(s, Noun::kResource);
      if (rel && Pick(3)) {
        const auto& owned = s.ResourcesOwnedBy(rel->provider);
        if (!owned.empty()) target = *std::next(owned.begin(), Pick(static_cast<int>(owned.size())));
      }
      transfers.Push(Json(target));
      body.Set("transfers", transfers);
    }
    if (rel && Pick(4)) p = Principal::Member(rel->provider);
    return {p, DecodeCreate(Noun::kProvision, body)};
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string Kind() { return Pick(2) ? "vm" : "dataset"; }
  std::string Any(const State& s, Noun noun) {
    const auto& ids = s.Ids(noun);
    if (ids.empty() || Pick(20) == 0) return "unknown-" + std::to_string(Pick(5));
    return ids[Pick(static_cast<int>(ids.size()))];
  }
  Principal PickPrincipal(const State& s) {
    int r = Pick(10);
    if (r < 3) return Principal::Admin();
    Principal p = Principal::Member(Any(s, Noun::kOrganization));
    if (r == 9) p.role = Role::kViewer;
    return p;
  }
  StatusOr<Command> Decode(Noun noun, Json::Object members) {
    return DecodeCreate(noun, Json::MakeObject(std::move(members)));
  }

  std::mt19937 rng_;
  int counter_ = 0;
};

// Checks every invariant of the model against the state and its event log.
void CheckInvariants(const State& s) {
  // seq is gap-free.
  const auto& events = s.events();
  ASSERT_EQ(static_cast<int64_t>(events.size()), s.last_seq());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq, static_cast<int64_t>(i + 1));

  // Every resource has an owner (an organization) and contiguous versions.
  for (const auto& id : s.Ids(Noun::kResource)) {
    const Resource& r = *s.FindResource(id);
    ASSERT_FALSE(r.versions.empty());
    for (size_t v = 0; v < r.versions.size(); ++v) {
      ASSERT_EQ(r.versions[v].version, static_cast<int64_t>(v + 1)) << id;
      ASSERT_NE(s.FindOrganization(r.versions[v].owner), nullptr) << id;
    }
    ASSERT_TRUE(s.ResourcesOwnedBy(r.current().owner).count(id)) << id;
  }

  // Replaying the log: no provision on a relationship that was not active,
  // and access grants match active relationships.
  std::map<std::string, std::string> status;
  std::map<std::string, bool> granted;
  for (const Event& e : events) {
    if (e.type == "relationship.requested") status[e.subject] = "requested";
    if (e.type.rfind("relationship.", 0) == 0 && e.type != "relationship.requested") {
      status[e.subject] = e.data.Find("to")->as_string();
    }
    if (e.type == "access.granted") {
      ASSERT_EQ(status[e.subject], "active") << e.seq;
      granted[e.subject] = true;
    }
    if (e.type == "access.revoked") granted[e.subject] = false;
    if (e.type == "provision.performed") {
      ASSERT_EQ(status[e.data.Find("relationship")->as_string()], "active") << e.seq;
    }
  }
  for (const auto& id : s.Ids(Noun::kRelationship)) {
    const Relationship& rel = *s.FindRelationship(id);
    ASSERT_EQ(granted[id], rel.status == RelationshipStatus::kActive) << id;
    ASSERT_EQ(status[id], RelationshipStatusName(rel.status)) << id;
    for (const auto& r : s.FindOffering(rel.offering)->access) {
      if (rel.status == RelationshipStatus::kActive) {
        ASSERT_TRUE(s.HasAccess(rel.consumer, r));
      }
    }
  }

  // Role transitions: at most one per organization, only after consuming.
  for (const auto& id : s.Ids(Noun::kOrganization)) {
    const RoleRecord* roles = s.FindRoles(id);
    if (roles == nullptr) continue;
    ASSERT_LE(roles->transitions.size(), 1u) << id;
    if (!roles->transitions.empty()) {
      ASSERT_FALSE(roles->consumer_since.empty());
      ASSERT_LE(roles->consumer_since, roles->provider_since);
    }
  }
}

class InvariantsTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(InvariantsTest, RandomCommandSequencesKeepTheInvariants) {
  StoreOptions o;
  o.spec = "sqlite::memory:";
  EngineOptions options;
  options.admin_token = "t";
  auto engine = Engine::Open(EventStore::Open(o).value(), options).value();
  RandomWorkload workload(GetParam());
  int accepted = 0;
  std::map<std::string, int> by_reason;
  for (int i = 0; i < 1500; ++i) {
    std::pair<Principal, StatusOr<Command>> next{Principal::Admin(), Internal("unset")};
    engine->Inspect([&](const State& s) { next = workload.Next(s); });
    if (!next.second.ok()) continue;
    auto outcome = engine->Execute(next.first, std::move(next.second).value());
    if (outcome.ok()) {
      ++accepted;
    } else {
      ASSERT_NE(outcome.status().code(), Code::kInternal) << outcome.status().ToString();
      ASSERT_NE(outcome.status().code(), Code::kUnavailable) << outcome.status().ToString();
      by_reason[outcome.status().reason()]++;
    }
    engine->Inspect([&](const State& s) { CheckInvariants(s); });
    if (HasFatalFailure()) return;
  }
  // The workload must exercise both sides: accepted commands and refusals.
  EXPECT_GT(accepted, 300);
  EXPECT_GT(by_reason.size(), 5u);
  int64_t provisions = 0;
  engine->Inspect([&](const State& s) { provisions = s.Ids(Noun::kProvision).size(); });
  EXPECT_GT(provisions, 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, InvariantsTest, ::testing::Values(1u, 2u, 3u, 42u));

}  // namespace
}  // namespace cocreate
