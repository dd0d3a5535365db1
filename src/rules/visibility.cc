#include "rules/visibility.h"

namespace cocreate {

namespace {

bool PartyTo(const State& state, const std::string& org, const std::string& relationship) {
  const Relationship* rel = state.FindRelationship(relationship);
  return rel != nullptr && (rel->provider == org || rel->consumer == org);
}

bool SeesOffering(const State& state, const std::string& org, const Offering& o) {
  if (state.InAudience(o, org)) return true;  // includes the provider itself
  for (const auto& rel : state.RelationshipsOn(o.id)) {
    if (PartyTo(state, org, rel)) return true;
  }
  return false;
}

bool SeesService(const State& state, const std::string& org, const Service& s) {
  if (s.provider == org) return true;
  for (const auto& offering_id : state.OfferingsOf(s.id)) {
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

bool CanSeeId(const State& state, const Principal& p, const std::string& id) {
  const Noun* noun = state.FindNoun(id);
  return noun != nullptr && CanSee(state, p, *noun, id);
}

bool CanSeeEvent(const State& state, const Principal& p, const Event& e) {
  if (p.is_admin()) return true;
  if (e.type == "token.issued") return e.subject == p.organization;
  return CanSeeId(state, p, e.subject);
}

}  // namespace cocreate
