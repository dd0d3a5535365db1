// Randomized invariant test: long random command sequences (valid and
// invalid, by every kind of principal) against the engine; after each
// command the model's invariants hold and the log is gap-free.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "engine/engine.h"
#include "model/codec.h"
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
    int kind = Pick(175);
    std::string id = "x" + std::to_string(++counter_);
    if (kind >= 140 && s.Ids(Noun::kOrganization).size() >= 3) return Manage(s, p, kind - 140, id);
    if (kind >= 140) kind = 0;
    if (kind >= 100 && s.Ids(Noun::kOrganization).size() >= 3) return Change(s, p, kind - 100, id);
    if (kind >= 100) kind = 0;
    if (kind < 3 || s.Ids(Noun::kOrganization).size() < 3) {
      return {Principal::Admin(),
              Decode(Noun::kOrganization, {{"id", Json(id)}, {"name", Json("org")}})};
    }
    if (kind < 16) {
      return {p, Decode(Noun::kResource, {{"id", Json(id)},
                                          {"owner", Json(Any(s, Noun::kOrganization))},
                                          {"kind", Json(Kind())},
                                          {"name", Json("r")}})};
    }
    if (kind < 26) {
      std::string provider = Any(s, Noun::kOrganization);
      // Often a consumer building on what it was given access to, so that
      // losing the access degrades something.
      const Relationship* rel = s.FindRelationship(Any(s, Noun::kRelationship));
      Json built_on = Json::MakeArray();
      if (rel != nullptr && rel->status == RelationshipStatus::kActive && Pick(2)) {
        provider = rel->consumer;
        for (const auto& r : s.FindOffering(rel->offering)->access) {
          if (s.HasAccess(provider, r)) {
            built_on.Push(Json(r));
            break;
          }
        }
      }
      if (built_on.items().empty() && Pick(2)) {
        built_on.Push(Json(Pick(2) ? Usable(s, provider) : Any(s, Noun::kResource)));
      }
      Json depends = Json::MakeArray();
      if (Pick(3) == 0) depends.Push(Json(Any(s, Noun::kService)));
      if (Pick(2)) p = Principal::Member(provider);
      return {p, Decode(Noun::kService, {{"id", Json(id)}, {"provider", Json(provider)},
                                          {"name", Json("s")}, {"built_on", built_on},
                                          {"depends_on", depends}})};
    }
    if (kind < 36) {
      std::string service = Any(s, Noun::kService);
      const Service* svc = s.FindService(service);
      std::string provider = svc && Pick(5) ? svc->provider : Any(s, Noun::kOrganization);
      Json access = Json::MakeArray();
      if (Pick(4)) {
        std::string r = Any(s, Noun::kResource);
        const auto& owned = s.ResourcesOwnedBy(provider);
        if (!owned.empty() && Pick(4)) {
          r = *std::next(owned.begin(), Pick(static_cast<int>(owned.size())));
        }
        access.Push(Json::MakeObject({{"resource", Json(r)}}));
      }
      Json actions = Json::MakeArray();
      for (const char* e : {"create", "modify", "transfer", "none"}) {
        actions.Push(
            Json::MakeObject({{"name", Json(std::string("do-") + e)}, {"effect", Json(e)}}));
      }
      Json goods = Json::MakeArray();
      goods.Push(Json::MakeObject({{"kind", Json(Kind())}, {"name", Json("g")}}));
      Json audience = Json("public");
      if (Pick(4) == 0 && !s.Ids(Noun::kConsumerGroup).empty()) {
        Json groups = Json::MakeArray();
        groups.Push(Json(Any(s, Noun::kConsumerGroup)));
        audience = Json::MakeObject({{"consumer_groups", groups}});
      }
      Json levels = Json::MakeArray();
      levels.Push(Json::MakeObject({{"metric", Json("uptime")}, {"objective", Json(99.5)},
                                    {"unit", Json("%")}}));
      if (Pick(2)) {
        levels.Push(Json::MakeObject({{"metric", Json("latency")},
                                      {"objective", Json(int64_t{200})},
                                      {"unit", Json("ms")},
                                      {"target", Json("at_most")}}));
      }
      return {p, Decode(Noun::kOffering, {{"id", Json(id)}, {"provider", Json(provider)},
                                           {"service", Json(service)}, {"name", Json("o")},
                                           {"audience", audience}, {"access", access},
                                           {"actions", actions}, {"goods", goods},
                                           {"service_levels", levels}})};
    }
    if (kind < 40) {
      Json members = Json::MakeArray();
      for (int i = 0; i < 3; ++i) members.Push(Json(Any(s, Noun::kOrganization)));
      return {Principal::Admin(),
              Decode(Noun::kConsumerGroup,
                     {{"id", Json(id)}, {"name", Json("g")}, {"members", members}})};
    }
    if (kind < 55) {
      const char* types[] = {"basic", "cooperative", "partnership"};
      std::string consumer = Any(s, Noun::kOrganization);
      if (Pick(2)) p = Principal::Member(consumer);
      return {p, Decode(Noun::kRelationship, {{"id", Json(id)},
                                              {"offering", Json(Any(s, Noun::kOffering))},
                                              {"consumer", Json(consumer)},
                                              {"type", Json(types[Pick(3)])}})};
    }
    if (kind < 75) {
      auto verb = static_cast<LifecycleVerb>(Pick(5));
      // Favour activation so that provisions have something to work on.
      if (Pick(2)) verb = LifecycleVerb::kActivate;
      std::string rel = Any(s, Noun::kRelationship);
      const Relationship* r = s.FindRelationship(rel);
      if (r != nullptr && Pick(4)) p = Principal::Member(r->provider);
      return {p, DecodeLifecycle(rel, verb, nullptr)};
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
        if (!owned.empty())
          target = *std::next(owned.begin(), Pick(static_cast<int>(owned.size())));
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
        if (!owned.empty())
          target = *std::next(owned.begin(), Pick(static_cast<int>(owned.size())));
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

  // A resource `org` owns or has access to, else any.
  std::string Usable(const State& s, const std::string& org) {
    std::vector<std::string> usable(s.ResourcesOwnedBy(org).begin(), s.ResourcesOwnedBy(org).end());
    for (const std::string& rel_id : s.RelationshipsOf(org)) {
      const Relationship& rel = *s.FindRelationship(rel_id);
      if (rel.consumer != org || rel.status != RelationshipStatus::kActive) continue;
      for (const auto& r : s.FindOffering(rel.offering)->access) {
        if (s.HasAccess(org, r)) usable.push_back(r);
      }
    }
    if (usable.empty()) return Any(s, Noun::kResource);
    return usable[Pick(static_cast<int>(usable.size()))];
  }

  // The §6 commands: proposals and their answers, measurements, requests
  // (opened, fulfilled by provisions, declined, cancelled), value, people.
  std::pair<Principal, StatusOr<Command>> Manage(const State& s, Principal p, int kind,
                                                 const std::string& id) {
    std::string rel_id = Any(s, Noun::kRelationship);
    const Relationship* rel = s.FindRelationship(rel_id);
    auto party = [&](bool provider) {
      if (rel == nullptr || Pick(5) == 0) return p;
      return Principal::Member(provider ? rel->provider : rel->consumer);
    };
    // A record of `rel` (or any relationship's), sometimes an unknown id.
    auto record_of = [&](const IdList& ids) -> std::string {
      if (ids.empty() || Pick(10) == 0) return "unknown-" + std::to_string(Pick(3));
      return ids[Pick(static_cast<int>(ids.size()))];
    };
    if (kind < 5) {
      Json body = Json::MakeObject({{"id", Json(id)}});
      const char* types[] = {"basic", "cooperative", "partnership"};
      switch (Pick(4)) {
        case 0: body.Set("type", Json(types[Pick(3)])); break;
        case 1: {
          Json levels = Json::MakeArray();
          levels.Push(Json::MakeObject({{"metric", Json(Pick(2) ? "uptime" : "errors")},
                                        {"objective", Json(static_cast<int64_t>(90 + Pick(10)))}}));
          body.Set("service_levels", levels);
          break;
        }
        case 2: body.Set("renewal", Json(Pick(2) ? "auto" : "none")); break;
        default: body.Set("end", Json(Pick(2) ? "2099-01-01T00:00:00Z" : "2000-01-01T00:00:00Z"));
      }
      return {party(Pick(2)), DecodeProposal(rel_id, body)};
    }
    if (kind < 10) {
      std::string proposal = record_of(rel ? s.ProposalsOf(rel_id) : IdList{});
      const Proposal* pr = s.FindProposal(proposal);
      auto verb = static_cast<ProposalVerb>(Pick(3));
      Principal who = p;
      if (pr != nullptr && Pick(5)) {
        const Relationship& r = *s.FindRelationship(pr->relationship);
        std::string other = pr->by == r.provider ? r.consumer : r.provider;
        who = Principal::Member(verb == ProposalVerb::kWithdraw ? pr->by : other);
      }
      return {who, DecodeAnswer(proposal, verb, nullptr)};
    }
    if (kind < 17) {
      // A month of 2020-2029 (before and after the agreements began); now and
      // then one that ends before it starts (400).
      std::string month = std::to_string(2020 + Pick(10)) + "-0" + std::to_string(1 + Pick(9));
      std::string start = month + "-02T00:00:00Z";
      std::string end = month + (Pick(20) ? "-28T00:00:00Z" : "-01T00:00:00Z");
      Json period = Json::MakeObject({{"start", Json(start)}, {"end", Json(end)}});
      const char* metrics[] = {"uptime", "latency", "errors"};
      Json value = Pick(2) ? Json(static_cast<int64_t>(95 + Pick(10)))
                           : Json(static_cast<int64_t>(150 + Pick(100)));
      return {party(Pick(2)),
              DecodeRecordMeasurement(rel_id, Json::MakeObject({{"id", Json(id)},
                                                                {"metric", Json(metrics[Pick(3)])},
                                                                {"value", value},
                                                                {"period", period}}))};
    }
    const char* actions[] = {"do-create", "do-modify", "do-transfer", "do-none", "do-dance"};
    if (kind < 23) {
      return {party(Pick(5) == 0),
              DecodeOpenRequest(rel_id, Json::MakeObject({{"id", Json(id)},
                                                          {"action", Json(actions[Pick(5)])}}))};
    }
    if (kind < 27) {
      // A provision fulfilling a request: mostly of its own relationship and action.
      std::string request = record_of(rel ? s.RequestsOf(rel_id) : IdList{});
      const ServiceRequest* r = s.FindServiceRequest(request);
      std::string action = r != nullptr && Pick(3) ? r->action : actions[Pick(4)];
      std::string in = r != nullptr && Pick(5) ? r->relationship : rel_id;
      const Relationship* within = s.FindRelationship(in);
      Principal who = within != nullptr && Pick(6) ? Principal::Member(within->provider) : p;
      return {who, DecodeCreate(Noun::kProvision,
                                        Json::MakeObject({{"id", Json(id)},
                                                          {"relationship", Json(in)},
                                                          {"action", Json(action)},
                                                          {"request", Json(request)}}))};
    }
    if (kind < 30) {
      std::string request = record_of(rel ? s.RequestsOf(rel_id) : IdList{});
      auto verb = Pick(2) ? RequestVerb::kDecline : RequestVerb::kCancel;
      return {party(verb == RequestVerb::kDecline), DecodeCloseRequest(request, verb, nullptr)};
    }
    if (kind < 33) {
      Json costs = Json::MakeArray();
      costs.Push(Json::MakeObject({{"amount", Json::Number(Pick(2) ? "0.1" : "12.3456")},
                                   {"currency", Json("EUR")},
                                   {"kind", Json(Pick(2) ? "introduced" : "removed")}}));
      return {party(Pick(2)),
              DecodeValueStatement(rel_id, Json::MakeObject({{"id", Json(id)},
                                                             {"costs", costs}}))};
    }
    std::string org = Any(s, Noun::kOrganization);
    return {Pick(2) ? Principal::Member(org) : p,
            DecodeCreatePerson(org, Json::MakeObject({{"id", Json(id)}, {"name", Json("P")}}))};
  }

  // The §5 commands: PATCH, revisions, retire, close, organization-owned groups.
  std::pair<Principal, StatusOr<Command>> Change(const State& s, Principal p, int kind,
                                                 const std::string& id) {
    auto owner_of = [&](Noun noun, const std::string& x) -> std::string {
      if (noun == Noun::kResource) {
        const Resource* r = s.FindResource(x);
        return r ? r->current().owner.str() : std::string();
      }
      if (noun == Noun::kService) {
        const Service* v = s.FindService(x);
        return v ? v->provider : "";
      }
      const Offering* o = s.FindOffering(x);
      return o ? o->provider : "";
    };
    // Mostly acting for the owner, so that the change gets to its rules.
    auto as_owner = [&](Noun noun, const std::string& x) {
      std::string owner = owner_of(noun, x);
      if (!owner.empty() && Pick(4)) return Principal::Member(owner);
      return p;
    };
    if (kind < 3) {
      Json patch = Json::MakeObject({{"name", Json("renamed")}});
      if (Pick(2)) patch.Set("attributes", Json::MakeObject({{"k", Json(int64_t{Pick(3)})}}));
      return {p, DecodePatch(Noun::kOrganization, Any(s, Noun::kOrganization), patch)};
    }
    if (kind < 5) {
      if (Pick(6)) return Change(s, p, 0, id);  // closing is rare
      return {Pick(4) ? Principal::Admin() : p,
              DecodeRetire(Noun::kOrganization, Any(s, Noun::kOrganization), nullptr)};
    }
    if (kind < 8) {
      Json members = Json::MakeArray();
      members.Push(Json(Any(s, Noun::kOrganization)));
      std::string owner = Any(s, Noun::kOrganization);
      return {Principal::Member(owner),
              DecodeCreate(Noun::kConsumerGroup,
                           Json::MakeObject({{"id", Json(id)}, {"name", Json("own")},
                                             {"members", members}}))};
    }
    if (kind < 11) {
      std::string g = Any(s, Noun::kConsumerGroup);
      const ConsumerGroup* group = s.FindGroup(g);
      Json add = Json::MakeArray();
      add.Push(Json(Any(s, Noun::kOrganization)));
      Json remove = Json::MakeArray();
      if (group && !group->members.empty() && Pick(2)) {
        remove.Push(Json(group->members[Pick(static_cast<int>(group->members.size()))]));
      }
      Principal who = group && !group->owner.empty() && Pick(4) ? Principal::Member(group->owner)
                                                                : Principal::Admin();
      return {who, DecodePatch(Noun::kConsumerGroup, g,
                               Json::MakeObject({{"add", add}, {"remove", remove}}))};
    }
    if (kind < 15) {
      std::string r = Any(s, Noun::kResource);
      Json patch = Json::MakeObject({{"rev", Json(int64_t{Pick(100)})}});
      return {as_owner(Noun::kResource, r),
              DecodeRevision(r, Json::MakeObject({{"attributes", patch}}))};
    }
    if (kind < 21) {
      // Offerings seldom: a retired one takes no requests, which starves the rest.
      static const Noun kNouns[] = {Noun::kResource, Noun::kResource, Noun::kService,
                                    Noun::kService, Noun::kOffering};
      Noun noun = kNouns[Pick(5)];
      std::string x = Any(s, noun);
      return {as_owner(noun, x), DecodeRetire(noun, x, nullptr)};
    }
    if (kind < 31) {
      std::string v = Any(s, Noun::kService);
      const Service* svc = s.FindService(v);
      Json built_on = Json::MakeArray();
      for (int i = Pick(3); i > 0; --i) {
        built_on.Push(Json(svc && Pick(4) ? Usable(s, svc->provider) : Any(s, Noun::kResource)));
      }
      Json depends = Json::MakeArray();
      if (Pick(3) == 0) depends.Push(Json(Any(s, Noun::kService)));
      Json patch = Json::MakeObject({{"built_on", built_on}});
      if (Pick(2)) patch.Set("depends_on", depends);
      return {as_owner(Noun::kService, v), DecodePatch(Noun::kService, v, patch)};
    }
    std::string o = Any(s, Noun::kOffering);
    const Offering* off = s.FindOffering(o);
    Json access = Json::MakeArray();
    for (int i = Pick(3); i > 0; --i) {
      std::string r = Any(s, Noun::kResource);
      if (off && Pick(4)) {
        const auto& owned = s.ResourcesOwnedBy(off->provider);
        if (!owned.empty()) r = *std::next(owned.begin(), Pick(static_cast<int>(owned.size())));
      }
      access.Push(Json::MakeObject({{"resource", Json(r)}}));
    }
    Json patch = Json::MakeObject({{"access", access}});
    if (Pick(3) == 0) {
      Json actions = Json::MakeArray();
      actions.Push(Json::MakeObject({{"name", Json("do-none")}, {"effect", Json("none")}}));
      if (Pick(2)) {
        actions.Push(Json::MakeObject({{"name", Json("do-modify")}, {"effect", Json("modify")}}));
      }
      patch.Set("actions", actions);
    }
    return {as_owner(Noun::kOffering, o), DecodePatch(Noun::kOffering, o, patch)};
  }

  std::mt19937 rng_;
  int counter_ = 0;
};

// Checks every invariant of the model against the state and its event log.
void CheckInvariants(const State& s, const std::vector<Event>& events) {
  // seq is gap-free.
  ASSERT_EQ(static_cast<int64_t>(events.size()), s.last_seq());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq, static_cast<int64_t>(i + 1));

  // Every resource has an owner (an organization) and contiguous versions.
  for (const std::string& id : s.Ids(Noun::kResource)) {
    const Resource& r = *s.FindResource(id);
    ASSERT_FALSE(r.versions.empty());
    for (size_t v = 0; v < r.versions.size(); ++v) {
      ASSERT_EQ(r.versions[v].version, static_cast<int64_t>(v + 1)) << id;
      ASSERT_NE(s.FindOrganization(r.versions[v].owner), nullptr) << id;
    }
    ASSERT_TRUE(s.ResourcesOwnedBy(r.current().owner).count(Id(id))) << id;
  }

  // Replaying the log: no provision on a relationship that was not active,
  // access grants match active relationships and their offering's access as
  // it is now (less retired resources), and no event names a retired or
  // closed object in a new reference.
  std::map<std::string, std::string> status;
  std::set<std::pair<std::string, std::string>> granted;  // (relationship, resource)
  std::map<std::string, int64_t> retired;  // id → seq of its retirement or closing
  auto fresh = [&](const Event& e, const std::string& id) {
    ASSERT_FALSE(retired.count(id)) << "event " << e.seq << " (" << e.type
                                    << ") names retired or closed '" << id << "'";
  };
  for (const Event& e : events) {
    const Json d = EventDataJson(e);
    if (e.type == EventType::kRelationshipRequested) {
      status[e.subject] = "requested";
      fresh(e, StrOr(d, "offering"));
      fresh(e, StrOr(d, "consumer"));
      fresh(e, StrOr(d, "provider"));
    }
    if (EventTypeName(e.type).starts_with("relationship.") &&
        e.type != EventType::kRelationshipRequested) {
      status[e.subject] = d.Find("to")->as_string();
    }
    if (e.type == EventType::kAccessGranted) {
      ASSERT_EQ(status[e.subject], "active") << e.seq;
      for (const auto& r : StrList(d, "resources")) {
        fresh(e, r);
        granted.insert({e.subject, r});
      }
    }
    if (e.type == EventType::kAccessRevoked) {
      for (const auto& r : StrList(d, "resources")) granted.erase({e.subject, r});
    }
    if (e.type == EventType::kProvisionPerformed) {
      ASSERT_EQ(status[d.Find("relationship")->as_string()], "active") << e.seq;
      for (const auto& r : StrList(d, "used")) fresh(e, r);
      for (const auto& r : StrList(d, "transferred")) fresh(e, r);
      for (const Json& m : d.Find("modified")->items()) fresh(e, StrOr(m, "resource"));
    }
    if (e.type == EventType::kServiceCreated || e.type == EventType::kServiceUpdated) {
      const Json& after = e.type == EventType::kServiceCreated ? d : *d.Find("after");
      const Json& before =
          e.type == EventType::kServiceCreated ? Json::MakeObject() : *d.Find("before");
      for (const char* key : {"built_on", "depends_on"}) {
        std::vector<std::string> old = StrList(before, key);
        for (const auto& x : StrList(after, key)) {
          if (std::find(old.begin(), old.end(), x) == old.end()) fresh(e, x);
        }
      }
    }
    if (e.type == EventType::kOfferingCreated) {
      fresh(e, StrOr(d, "service"));
      for (const Json& a : d.Find("access")->items()) fresh(e, StrOr(a, "resource"));
    }
    if (e.type == EventType::kOfferingUpdated && d.Find("after")->Find("access")) {
      std::set<std::string> old;
      if (const Json* b = d.Find("before")->Find("access"); b && b->is_array()) {
        for (const Json& a : b->items()) old.insert(StrOr(a, "resource"));
      }
      for (const Json& a : d.Find("after")->Find("access")->items()) {
        if (!old.count(StrOr(a, "resource"))) fresh(e, StrOr(a, "resource"));
      }
    }
    if (e.type == EventType::kResourceRetired || e.type == EventType::kServiceRetired ||
        e.type == EventType::kOfferingRetired || e.type == EventType::kOrganizationClosed) {
      retired[e.subject] = e.seq;
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (const std::string& id : s.Ids(Noun::kRelationship)) {
    const Relationship& rel = *s.FindRelationship(id);
    ASSERT_EQ(status[id], RelationshipStatusName(rel.status)) << id;
    for (const auto& r : s.FindOffering(rel.offering)->access) {
      bool expect = rel.status == RelationshipStatus::kActive && !s.FindResource(r)->retired;
      ASSERT_EQ(granted.count({id, r}) == 1, expect) << id << " " << r;
      if (expect) {
        ASSERT_TRUE(s.HasAccess(rel.consumer, r));
      }
    }
  }
  for (const auto& [rel, r] : granted) {
    const Relationship& x = *s.FindRelationship(rel);
    const auto& access = s.FindOffering(x.offering)->access;
    ASSERT_TRUE(std::find(access.begin(), access.end(), r) != access.end()) << rel << " " << r;
  }

  // §6: agreement versions are contiguous from 1 and the relationship's type
  // is its agreement's; a fulfilled request names a provision of the same
  // relationship and action, which names it back; a measurement's `met` is
  // a recount against the objective it records.
  for (const std::string& id : s.Ids(Noun::kRelationship)) {
    const Relationship& rel = *s.FindRelationship(id);
    for (size_t v = 0; v < rel.agreements.size(); ++v) {
      ASSERT_EQ(rel.agreements[v].version, static_cast<int64_t>(v + 1)) << id;
    }
    if (!rel.agreements.empty()) {
      ASSERT_EQ(rel.type, rel.agreements.back().type) << id;
    }
    int64_t met = 0, recount = 0;
    for (const std::string& m_id : s.MeasurementsOf(id)) {
      const Measurement& m = *s.FindMeasurement(m_id);
      ASSERT_EQ(m.relationship, id);
      ASSERT_LE(m.agreement_version, static_cast<int64_t>(rel.agreements.size())) << m_id;
      int order = CompareNumbers(m.value, m.objective);
      bool expect = m.target == "at_most" ? order <= 0 : order >= 0;
      ASSERT_EQ(m.met, expect) << m_id;
      met += m.met ? 1 : 0;
      // The workload measures whole numbers and objectives: doubles recount them exactly.
      double value = m.value.as_double(), objective = m.objective.as_double();
      recount += m.target == "at_most" ? value <= objective : value >= objective;
    }
    ASSERT_EQ(met, recount) << id;
    for (const std::string& r_id : s.RequestsOf(id)) {
      const ServiceRequest& r = *s.FindServiceRequest(r_id);
      ASSERT_EQ(r.relationship, id);
      ASSERT_EQ(r.status == RequestStatus::kFulfilled, !r.provision.empty()) << r_id;
      ASSERT_EQ(r.status == RequestStatus::kOpen, r.closed_at.empty()) << r_id;
      if (r.status == RequestStatus::kOpen) {
        ASSERT_TRUE(rel.live()) << r_id;
      }
      if (!r.provision.empty()) {
        const Provision* prov = s.FindProvision(r.provision);
        ASSERT_NE(prov, nullptr) << r_id;
        ASSERT_EQ(prov->relationship, id) << r_id;
        ASSERT_EQ(prov->action, r.action) << r_id;
        ASSERT_EQ(prov->request, r_id);
      }
    }
    for (const std::string& p_id : s.ProvisionsIn(id)) {
      const Provision& prov = *s.FindProvision(p_id);
      if (prov.request.empty()) continue;
      const ServiceRequest* r = s.FindServiceRequest(prov.request);
      ASSERT_NE(r, nullptr) << p_id;
      ASSERT_EQ(r->provision, p_id);
    }
    for (const std::string& p_id : s.ProposalsOf(id)) {
      const Proposal& pr = *s.FindProposal(p_id);
      ASSERT_TRUE(pr.by == rel.provider || pr.by == rel.consumer) << p_id;
      if (pr.status == ProposalStatus::kOpen) {
        ASSERT_TRUE(rel.live()) << p_id;
      }
    }
    for (const std::string& v_id : s.ValueRecordsOf(id)) {
      const ValueRecord& v = *s.FindValueRecord(v_id);
      ASSERT_TRUE(v.party == rel.provider || v.party == rel.consumer) << v_id;
    }
  }

  // What an import checks of a whole log holds for every log the rules write.
  Status consistent = CheckConsistency(s, events);
  ASSERT_TRUE(consistent.ok()) << consistent.ToString();

  // Degraded services match a recomputation from scratch.
  for (const std::string& id : s.Ids(Noun::kService)) {
    const Service& v = *s.FindService(id);
    ASSERT_EQ(v.degraded_by, s.DegradationOf(v)) << id;
  }

  // Role transitions: at most one per organization, only after consuming.
  for (const std::string& id : s.Ids(Noun::kOrganization)) {
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
  int64_t checked_seq = -1;
  std::vector<Event> log;  // the store's log, read as it grows
  for (int i = 0; i < 5000; ++i) {
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
    // A refusal changes nothing (its seq check below proves it); an
    // accepted command is checked against every invariant.
    int64_t seq = engine->last_seq();
    if (outcome.ok() || seq != checked_seq) {
      auto more = engine->Log(log.empty() ? 0 : log.back().seq);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      for (Event& e : *more) log.push_back(std::move(e));
      engine->Inspect([&](const State& s) { CheckInvariants(s, log); });
      if (HasFatalFailure()) return;
    }
    checked_seq = seq;
  }
  // Replaying the log gives the same state, object by object.
  engine->Inspect([&](const State& s) {
    State replayed;
    for (const Event& e : log) ASSERT_TRUE(replayed.Apply(e).ok()) << e.seq;
    for (int n = 0; n < 7; ++n) {
      Noun noun = static_cast<Noun>(n);
      ASSERT_EQ(replayed.Ids(noun), s.Ids(noun));
      for (const std::string& id : s.Ids(noun)) {
        rapidjson::StringBuffer a, b;
        JsonWriter wa(a), wb(b);
        auto encode = [&](const State& st, JsonWriter& w) {
          switch (noun) {
            case Noun::kOrganization: Encode(*st.FindOrganization(id), w); break;
            case Noun::kConsumerGroup: Encode(*st.FindGroup(id), w); break;
            case Noun::kResource: Encode(*st.FindResource(id), w); break;
            case Noun::kService: Encode(*st.FindService(id), w); break;
            case Noun::kOffering: Encode(*st.FindOffering(id), w); break;
            case Noun::kRelationship: Encode(*st.FindRelationship(id), w); break;
            case Noun::kProvision: Encode(*st.FindProvision(id), w); break;
          }
        };
        encode(s, wa);
        encode(replayed, wb);
        ASSERT_EQ(std::string(a.GetString()), std::string(b.GetString())) << id;
      }
    }
  });
  // Attainment as GET service-levels answers it equals a recount of the
  // measurements, metric by metric.
  std::vector<std::string> relationships;
  engine->Inspect([&](const State& s) { relationships = Texts(s.Ids(Noun::kRelationship)); });
  int64_t recounted = 0;
  for (const auto& rel : relationships) {
    std::map<std::string, std::pair<int64_t, int64_t>> expect;  // metric → (measured, met)
    engine->Inspect([&](const State& s) {
      for (const std::string& id : s.MeasurementsOf(rel)) {
        const Measurement& m = *s.FindMeasurement(id);
        expect[m.metric].first++;
        expect[m.metric].second += m.met;
      }
    });
    auto answer = engine->ServiceLevels(Principal::Admin(), rel, TimeWindow{});
    ASSERT_TRUE(answer.ok()) << rel;
    Json levels = Json::Parse(*answer).value();
    for (const Json& item : levels.Find("items")->items()) {
      auto [measured, met] = expect[item.Find("metric")->as_string()];
      ASSERT_EQ(item.Find("measurements")->as_int(), measured) << rel;
      ASSERT_EQ(item.Find("met")->as_int(), met) << rel;
      const Json* attainment = item.Find("attainment");
      if (measured == 0) {
        ASSERT_TRUE(attainment->is_null()) << rel;
      } else {
        ASSERT_DOUBLE_EQ(attainment->as_double(),
                         static_cast<double>(met) / static_cast<double>(measured)) << rel;
        ++recounted;
      }
    }
  }
  EXPECT_GT(recounted, 0);
  std::map<EventType, int> events_by_type;
  for (const Event& e : log) events_by_type[e.type]++;
  // The new commands get through their rules, not only to their refusals.
  for (EventType t : {EventType::kOrganizationUpdated,  EventType::kOrganizationClosed,
                      EventType::kConsumerGroupUpdated, EventType::kResourceRevised,
                      EventType::kResourceRetired,      EventType::kServiceUpdated,
                      EventType::kServiceRetired,       EventType::kOfferingUpdated,
                      EventType::kOfferingRetired,      EventType::kServiceDegraded,
                      EventType::kAgreementProposed,    EventType::kAgreementChanged,
                      EventType::kMeasurementRecorded,  EventType::kServiceLevelBreached,
                      EventType::kRequestOpened,        EventType::kRequestFulfilled,
                      EventType::kRequestDeclined,      EventType::kRequestCancelled,
                      EventType::kValueStated,          EventType::kPersonCreated}) {
    EXPECT_GT(events_by_type[t], 0) << t;
  }
  // (request_mismatch needs an open request and a provision on an active
  // relationship of another action: too rare here; decide_test covers it.)
  for (const char* reason : {"unknown_metric", "request_not_open", "proposal_not_open"}) {
    EXPECT_GT(by_reason[reason], 0) << reason;
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
