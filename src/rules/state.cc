#include "rules/state.h"

#include <algorithm>

#include "model/codec.h"

namespace cocreate {

namespace {

const std::vector<std::string>& Get(
    const std::unordered_map<std::string, std::vector<std::string>>& index,
    const std::string& key) {
  static const std::vector<std::string> kEmpty;
  auto it = index.find(key);
  return it == index.end() ? kEmpty : it->second;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Status Corrupt(const Event& e, const std::string& what) {
  return Internal("event " + std::to_string(e.seq) + " (" + e.type + "): " + what);
}

}  // namespace

const std::vector<std::string>& State::ServicesBuiltOn(const std::string& r) const {
  return Get(built_on_, r);
}
const std::vector<std::string>& State::OfferingsAccessing(const std::string& r) const {
  return Get(accessing_, r);
}
const std::vector<std::string>& State::ServicesDependingOn(const std::string& s) const {
  return Get(depending_, s);
}
const std::vector<std::string>& State::OfferingsOf(const std::string& s) const {
  return Get(offerings_of_, s);
}
const std::vector<std::string>& State::RelationshipsOn(const std::string& o) const {
  return Get(relationships_on_, o);
}
const std::vector<std::string>& State::ProvisionsIn(const std::string& r) const {
  return Get(provisions_in_, r);
}
const std::vector<std::string>& State::RelationshipsOf(const std::string& org) const {
  return Get(relationships_of_, org);
}
const std::vector<std::string>& State::GroupsOf(const std::string& org) const {
  return Get(groups_of_, org);
}
const std::vector<std::string>& State::ServicesOf(const std::string& org) const {
  return Get(services_of_, org);
}
const std::vector<TouchRecord>& State::TouchesOf(const std::string& resource) const {
  static const std::vector<TouchRecord> kEmpty;
  auto it = touches_.find(resource);
  return it == touches_.end() ? kEmpty : it->second;
}
const std::set<std::string>& State::ResourcesOwnedBy(const std::string& org) const {
  static const std::set<std::string> kEmpty;
  auto it = owned_.find(org);
  return it == owned_.end() ? kEmpty : it->second;
}

const TokenRecord* State::FindTokenById(const std::string& id) const {
  auto it = token_digests_.find(id);
  return it == token_digests_.end() ? nullptr : Find(tokens_, it->second);
}

bool State::InAudience(const Offering& offering, const std::string& org) const {
  if (offering.provider == org || offering.audience_public) return true;
  for (const auto& g : offering.audience_groups) {
    const ConsumerGroup* group = FindGroup(g);
    if (group != nullptr && Contains(group->members, org)) return true;
  }
  return false;
}

bool State::HasAccess(const std::string& org, const std::string& resource) const {
  for (const auto& offering_id : OfferingsAccessing(resource)) {
    for (const auto& rel_id : RelationshipsOn(offering_id)) {
      const Relationship* rel = FindRelationship(rel_id);
      if (rel->consumer == org && rel->status == RelationshipStatus::kActive) return true;
    }
  }
  return false;
}

bool State::CanUseResource(const std::string& org, const std::string& resource) const {
  const Resource* r = FindResource(resource);
  if (r == nullptr) return false;
  return r->current().owner == org || HasAccess(org, resource);
}

bool State::CanUseService(const std::string& org, const std::string& service) const {
  const Service* s = FindService(service);
  if (s == nullptr) return false;
  if (s->provider == org) return true;
  for (const auto& offering_id : OfferingsOf(service)) {
    for (const auto& rel_id : RelationshipsOn(offering_id)) {
      const Relationship* rel = FindRelationship(rel_id);
      if (rel->consumer == org && rel->status == RelationshipStatus::kActive) return true;
    }
  }
  return false;
}

bool State::IsCommitted(const std::string& resource) const {
  return !OfferingsAccessing(resource).empty() || !ServicesBuiltOn(resource).empty();
}

void State::AddId(Noun noun, const std::string& id, const Event& e) {
  nouns_[id] = noun;
  order_[static_cast<size_t>(noun)].push_back(id);
  if (const Json* request = e.private_data.Find("request")) requests_[id] = *request;
}

Status State::ApplyRelationshipChange(const Event& e, RelationshipStatus to) {
  auto it = relationships_.find(e.subject);
  if (it == relationships_.end()) return Corrupt(e, "unknown relationship");
  Relationship& rel = it->second;
  rel.status = to;
  rel.updated_at = e.at;
  if (to == RelationshipStatus::kActive && rel.activated_at.empty()) {
    rel.activated_at = e.at;
    RoleRecord& consumer = roles_[rel.consumer];
    if (consumer.consumer_since.empty()) consumer.consumer_since = e.at;
    RoleRecord& provider = roles_[rel.provider];
    if (provider.provider_since.empty()) provider.provider_since = e.at;
  }
  return Status::Ok();
}

Status State::Apply(const Event& e) {
  if (e.seq != last_seq_ + 1) {
    return Corrupt(e, "expected seq " + std::to_string(last_seq_ + 1));
  }
  const std::string& t = e.type;
  if (t == "organization.created") {
    CC_ASSIGN_OR_RETURN(Organization o, DecodeOrganization(e.data));
    AddId(Noun::kOrganization, o.id, e);
    orgs_[o.id] = std::move(o);
  } else if (t == "consumer_group.created") {
    CC_ASSIGN_OR_RETURN(ConsumerGroup g, DecodeConsumerGroup(e.data));
    AddId(Noun::kConsumerGroup, g.id, e);
    for (const auto& m : g.members) groups_of_[m].push_back(g.id);
    groups_[g.id] = std::move(g);
  } else if (t == "resource.created") {
    CC_ASSIGN_OR_RETURN(Resource r, DecodeResource(e.data));
    AddId(Noun::kResource, r.id, e);
    owned_[r.current().owner].insert(r.id);
    if (!r.origin_provision.empty()) {
      touches_[r.id].push_back({r.origin_provision, Touch::kCreated});
    }
    resources_[r.id] = std::move(r);
  } else if (t == "service.created") {
    CC_ASSIGN_OR_RETURN(Service s, DecodeService(e.data));
    AddId(Noun::kService, s.id, e);
    for (const auto& r : s.built_on) built_on_[r].push_back(s.id);
    for (const auto& d : s.depends_on) depending_[d].push_back(s.id);
    services_of_[s.provider].push_back(s.id);
    services_[s.id] = std::move(s);
  } else if (t == "offering.created") {
    CC_ASSIGN_OR_RETURN(Offering o, DecodeOffering(e.data));
    AddId(Noun::kOffering, o.id, e);
    for (const auto& r : o.access) accessing_[r].push_back(o.id);
    offerings_of_[o.service].push_back(o.id);
    offerings_[o.id] = std::move(o);
  } else if (t == "token.issued") {
    TokenRecord token;
    token.digest = StrOr(e.private_data, "digest");
    if (token.digest.empty()) return Corrupt(e, "token without digest");
    // Tokens issued before they had ids get one from their event.
    token.id = StrOr(e.data, "id", "tok-" + std::to_string(e.seq));
    if (token_digests_.count(token.id)) return Corrupt(e, "token id issued twice");
    std::string role = StrOr(e.data, "role");
    token.principal = Principal{role == "viewer" ? Role::kViewer : Role::kMember, e.subject};
    token.created_at = e.at;
    token.expires_at = StrOr(e.data, "expires_at");
    token_digests_[token.id] = token.digest;
    token_order_.push_back(token.id);
    tokens_[token.digest] = std::move(token);
  } else if (t == "token.revoked") {
    auto it = token_digests_.find(StrOr(e.data, "id"));
    if (it == token_digests_.end()) return Corrupt(e, "unknown token");
    if (tokens_.erase(it->second) == 0) return Corrupt(e, "token revoked twice");
  } else if (t == "relationship.requested") {
    CC_ASSIGN_OR_RETURN(Relationship r, DecodeRelationship(e.data));
    AddId(Noun::kRelationship, r.id, e);
    relationships_on_[r.offering].push_back(r.id);
    relationships_of_[r.provider].push_back(r.id);
    relationships_of_[r.consumer].push_back(r.id);
    relationships_[r.id] = std::move(r);
  } else if (t == "relationship.activated" || t == "relationship.resumed") {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kActive));
  } else if (t == "relationship.suspended") {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kSuspended));
  } else if (t == "relationship.terminated") {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kTerminated));
  } else if (t == "relationship.rejected") {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kRejected));
  } else if (t == "access.granted" || t == "access.revoked") {
    // Access is derived from relationship status; the event documents it.
  } else if (t == "provision.performed") {
    CC_ASSIGN_OR_RETURN(Provision p, DecodeProvision(e.data));
    AddId(Noun::kProvision, p.id, e);
    provisions_in_[p.relationship].push_back(p.id);
    provisions_[p.id] = std::move(p);
  } else if (t == "resource.modified" || t == "resource.transferred") {
    auto it = resources_.find(e.subject);
    if (it == resources_.end()) return Corrupt(e, "unknown resource");
    Resource& r = it->second;
    ResourceVersion v = r.current();
    v.version = r.current().version + 1;
    v.at = e.at;
    v.provision = StrOr(e.data, "provision");
    if (t == "resource.modified") {
      const Json* attrs = e.data.Find("attributes");
      if (attrs == nullptr || !attrs->is_object()) return Corrupt(e, "no attributes");
      v.attributes = *attrs;
      touches_[r.id].push_back({v.provision, Touch::kModified});
    } else {
      std::string to = StrOr(e.data, "to");
      if (to.empty()) return Corrupt(e, "no new owner");
      owned_[v.owner].erase(r.id);
      owned_[to].insert(r.id);
      v.owner = to;
      touches_[r.id].push_back({v.provision, Touch::kTransferred});
    }
    r.versions.push_back(std::move(v));
  } else if (t == "role.transitioned") {
    RoleTransition transition;
    transition.at = e.at;
    if (const Json* ev = e.data.Find("evidence"); ev && ev->is_array()) {
      for (const Json& item : ev->items()) {
        CC_ASSIGN_OR_RETURN(Evidence evidence, DecodeEvidence(item));
        transition.evidence.push_back(std::move(evidence));
      }
    }
    roles_[e.subject].transitions.push_back(std::move(transition));
  } else {
    return Corrupt(e, "unknown event type");
  }
  last_seq_ = e.seq;
  events_.push_back(e);
  events_.back().private_data = Json();  // kept in requests_/tokens_ where needed
  return Status::Ok();
}

}  // namespace cocreate
