#include "rules/visibility.h"

namespace cocreate {

namespace {

bool PartyTo(const State& state, const std::string& org, const std::string& relationship) {
  const Relationship* rel = state.FindRelationship(relationship);
  return rel != nullptr && (rel->provider == org || rel->consumer == org);
}

bool SeesOffering(const State& state, const std::string& org, const Offering& o) {
  if (state.InAudience(o, org)) return true;  // includes the provider itself
  for (const std::string& rel : state.RelationshipsOn(o.id)) {
    if (PartyTo(state, org, rel)) return true;
  }
  return false;
}

bool SeesService(const State& state, const std::string& org, const Service& s) {
  if (s.provider == org) return true;
  for (const std::string& offering_id : state.OfferingsOf(s.id)) {
    if (SeesOffering(state, org, *state.FindOffering(offering_id))) return true;
  }
  return false;
}

bool SeesResource(const State& state, const std::string& org, const Resource& r) {
  if (r.current().owner == org || state.HasAccess(org, r.id)) return true;
  for (const auto& touch : state.TouchesOf(r.id)) {
    const Provision* p = state.FindProvision(touch.provision);
    if (p != nullptr && (p->provider == org || p->consumer == org)) return true;
  }
  // A catalog says what one would get (CONTRACT §9.28).
  for (const std::string& offering_id : state.OfferingsAccessing(r.id)) {
    if (SeesOffering(state, org, *state.FindOffering(offering_id))) return true;
  }
  return false;
}

}  // namespace

bool CanSee(const State& state, const Principal& p, Noun noun, const std::string& id) {
  if (p.is_admin()) return true;
  const std::string& org = p.organization;
  switch (noun) {
    case Noun::kOrganization:
    case Noun::kConsumerGroup:
      return true;
    case Noun::kResource: return SeesResource(state, org, *state.FindResource(id));
    case Noun::kService: return SeesService(state, org, *state.FindService(id));
    case Noun::kOffering: return SeesOffering(state, org, *state.FindOffering(id));
    case Noun::kRelationship: return PartyTo(state, org, id);
    case Noun::kProvision: return PartyTo(state, org, state.FindProvision(id)->relationship);
  }
  return false;
}

bool CanSeePerson(const State& state, const Principal& p, const Person& person) {
  if (p.is_admin() || person.organization == p.organization) return true;
  // A person in a role on a relationship is visible to the other party (§9.11).
  for (const std::string& rel_id : state.RelationshipsOf(person.organization)) {
    const Relationship& rel = *state.FindRelationship(rel_id);
    if (rel.provider != p.organization && rel.consumer != p.organization) continue;
    for (const auto& r : rel.roles) {
      if (r.person == person.id) return true;
    }
  }
  return false;
}

bool CanSeePartyRole(const State& state, const Principal& p, const PartyRole& role) {
  if (p.is_admin()) return true;
  if (!role.owner.empty() && role.owner == p.organization) return true;
  if (role.engaged_party.empty()) return false;
  if (const Person* person = state.FindPerson(role.engaged_party)) {
    return !person->organization.empty() && person->organization == p.organization;
  }
  return role.engaged_party == p.organization;
}

bool CanSeeId(const State& state, const Principal& p, const std::string& id) {
  if (const Noun* noun = state.FindNoun(id)) return CanSee(state, p, *noun, id);
  // The records of a relationship are seen by whoever sees the relationship.
  if (const ServiceRequest* r = state.FindServiceRequest(id)) {
    return CanSee(state, p, Noun::kRelationship, r->relationship);
  }
  if (const Proposal* r = state.FindProposal(id)) {
    return CanSee(state, p, Noun::kRelationship, r->relationship);
  }
  if (const Measurement* r = state.FindMeasurement(id)) {
    return CanSee(state, p, Noun::kRelationship, r->relationship);
  }
  if (const ValueRecord* r = state.FindValueRecord(id)) {
    return CanSee(state, p, Noun::kRelationship, r->relationship);
  }
  if (const Person* person = state.FindPerson(id)) return CanSeePerson(state, p, *person);
  if (const PartyRole* role = state.FindPartyRole(id)) return CanSeePartyRole(state, p, *role);
  // A service order: to the organization that placed it (and the admin).
  if (const ServiceOrder* order = state.FindServiceOrder(id)) {
    return p.is_admin() || (!order->orderer.empty() && order->orderer == p.organization);
  }
  return false;
}

bool CanSeeEvent(const State& state, const Principal& p, const Event& e) {
  if (p.is_admin()) return true;
  if (e.type == EventType::kTokenIssued || e.type == EventType::kTokenRevoked)
    return e.subject == p.organization;
  if (e.type == EventType::kWebhookRegistered || e.type == EventType::kWebhookDeleted) {
    // Its organization's only; a webhook of the admin is the admin's.
    return !p.organization.empty() && StrOr(e.data, "organization") == p.organization;
  }
  if (e.type == EventType::kPersonCreated) {  // it carries the email: its organization only
    const Person* person = state.FindPerson(e.subject);
    return person != nullptr && person->organization == p.organization;
  }
  return CanSeeId(state, p, e.subject);
}

bool VisibleIds::Shows(const std::string& id) const { return CanSeeId(state_, p_, id); }

bool ShowsEvidence(const IdFilter& filter, const Evidence& e) {
  return filter.Shows(e.service) && filter.Shows(e.resource) && filter.Shows(e.provision) &&
         filter.Shows(e.relationship) && filter.Shows(e.provider);
}

bool Redacts(const State& state, const Principal& p, Noun noun, const std::string& id) {
  if (p.is_admin()) return false;
  const std::string& org = p.organization;
  switch (noun) {
    case Noun::kService: return state.FindService(id)->provider != org;
    case Noun::kOffering: return state.FindOffering(id)->provider != org;
    case Noun::kProvision: return state.FindProvision(id)->provider != org;
    default: return true;
  }
}

namespace {

// Redaction of one event's data, field by field (the Json twin of the
// codecs' filter, for data that is stored as JSON).
class DataRedactor {
 public:
  DataRedactor(Json& data, const IdFilter& filter) : data_(data), filter_(filter) {}

  // A single id at data[key]: null when hidden.
  void Ref(std::string_view key) {
    const Json* v = data_.Find(key);
    if (v != nullptr && v->is_string() && !filter_.Shows(v->as_string())) {
      data_.Set(std::string(key), Json());
    }
  }
  // A single id at data[outer][key].
  void NestedRef(std::string_view outer, std::string_view key) {
    const Json* o = data_.Find(outer);
    if (o == nullptr || !o->is_object()) return;
    const Json* v = o->Find(key);
    if (v == nullptr || !v->is_string() || filter_.Shows(v->as_string())) return;
    Json copy = *o;
    copy.Set(std::string(key), Json());
    data_.Set(std::string(outer), std::move(copy));
  }
  // A list of ids at data[key], or of objects whose id is at `member`.
  void List(std::string_view key, std::string_view member = "") {
    const Json* v = data_.Find(key);
    if (v == nullptr || !v->is_array()) return;
    Json kept = Json::MakeArray();
    int64_t left_out = 0;
    for (const Json& item : v->items()) {
      const Json* id = member.empty() ? &item : item.Find(member);
      if (id != nullptr && id->is_string() && !filter_.Shows(id->as_string())) {
        ++left_out;
      } else {
        kept.Push(item);
      }
    }
    if (left_out == 0) return;
    data_.Set(std::string(key), std::move(kept));
    Count(key, left_out);
  }
  // Degradation reasons: an entry whose resource or service is hidden is left
  // out; a hidden relationship in a kept entry is null.
  void DegradedBy(std::string_view key) {
    const Json* v = data_.Find(key);
    if (v == nullptr || !v->is_array()) return;
    Json kept = Json::MakeArray();
    int64_t left_out = 0;
    for (const Json& item : v->items()) {
      std::string what = StrOr(item, "resource", StrOr(item, "service"));
      if (!filter_.Shows(what)) {
        ++left_out;
        continue;
      }
      Json copy = item;
      DataRedactor(copy, filter_).Ref("relationship");
      kept.Push(std::move(copy));
    }
    if (left_out == 0 && kept == *v) return;
    data_.Set(std::string(key), std::move(kept));
    if (left_out > 0) Count(key, left_out);
  }
  // The same redaction applied inside data[outer] (an object).
  template <typename F>
  void Inside(std::string_view outer, F&& fn) {
    const Json* o = data_.Find(outer);
    if (o == nullptr || !o->is_object()) return;
    Json copy = *o;
    DataRedactor inner(copy, filter_);
    fn(inner);
    data_.Set(std::string(outer), std::move(copy));
  }
  // Role transition evidence: an entry naming anything hidden is left out.
  void Evidence(std::string_view key) {
    const Json* v = data_.Find(key);
    if (v == nullptr || !v->is_array()) return;
    Json kept = Json::MakeArray();
    int64_t left_out = 0;
    for (const Json& item : v->items()) {
      // Read as text: an event's ids are not interned to be filtered.
      bool shows = item.is_object();
      for (const char* member : {"service", "resource", "provision", "relationship", "provider"}) {
        shows = shows && filter_.Shows(StrOr(item, member));
      }
      if (shows) {
        kept.Push(item);
      } else {
        ++left_out;
      }
    }
    if (left_out == 0) return;
    data_.Set(std::string(key), std::move(kept));
    Count(key, left_out);
  }

 private:
  void Count(std::string_view key, int64_t n) {
    const Json* existing = data_.Find("redacted");
    Json counts = existing != nullptr && existing->is_object() ? *existing : Json::MakeObject();
    counts.Set(std::string(key), Json(n));
    data_.Set("redacted", std::move(counts));
  }

  Json& data_;
  const IdFilter& filter_;
};

}  // namespace

Json VisibleEventData(const State& state, const Principal& p, const Event& e) {
  Json data = EventDataJson(e);
  if (p.is_admin() || !data.is_object()) return data;
  VisibleIds visible(state, p);
  DataRedactor r(data, visible);
  const EventType t = e.type;
  const bool own = StrOr(data, "provider") == p.organization;  // §9.7
  if (t == EventType::kServiceCreated) {
    if (!own) {
      r.List("built_on");
      r.List("depends_on");
    }
  } else if (t == EventType::kOfferingCreated) {
    if (!own) {
      r.Ref("service");
      r.List("access", "resource");
    }
  } else if (t == EventType::kProvisionPerformed) {
    r.Ref("relationship");
    r.Ref("request");
    if (!own) r.List("used");
    r.List("created");
    r.List("modified", "resource");
    r.List("transferred");
  } else if (t == EventType::kResourceCreated) {
    r.NestedRef("origin", "provision");
  } else if (t == EventType::kResourceModified || t == EventType::kResourceTransferred) {
    r.Ref("provision");
  } else if (t == EventType::kRelationshipRequested) {
    r.Ref("offering");
  } else if (t == EventType::kAccessGranted || t == EventType::kAccessRevoked) {
    r.List("resources");
  } else if (t == EventType::kRoleTransitioned) {
    r.Ref("relationship");
    r.Evidence("evidence");
  } else if (t == EventType::kServiceUpdated) {
    const Service* s = state.FindService(e.subject);
    if (s == nullptr || s->provider != p.organization) {
      for (std::string_view side : {"before", "after"}) {
        r.Inside(side, [](DataRedactor& in) {
          in.List("built_on");
          in.List("depends_on");
        });
      }
    }
  } else if (t == EventType::kOfferingUpdated) {
    const Offering* o = state.FindOffering(e.subject);
    if (o == nullptr || o->provider != p.organization) {
      for (std::string_view side : {"before", "after"}) {
        r.Inside(side, [](DataRedactor& in) { in.List("access", "resource"); });
      }
    }
  } else if (t == EventType::kServiceDegraded) {
    const Service* s = state.FindService(e.subject);
    if (s == nullptr || s->provider != p.organization) r.DegradedBy("degraded_by");
  } else if (t == EventType::kConsumerGroupCreated || t == EventType::kConsumerGroupUpdated) {
    // An organization's own group shows its members to the owner, and to
    // each member only itself (CONTRACT §9.10).
    const ConsumerGroup* g = state.FindGroup(e.subject);
    if (g != nullptr && !g->owner.empty() && g->owner != p.organization) {
      OnlySelf self(p.organization);
      DataRedactor members(data, self);
      members.List("members");
      members.List("added");
      members.List("removed");
    }
  }
  // organization.*, consumer_group.*, token.* and the relationship moves
  // name only organizations and their own subject.
  return data;
}

}  // namespace cocreate
