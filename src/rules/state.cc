#include "rules/state.h"

#include <algorithm>

#include "model/codec.h"
#include "model/env.h"

namespace cocreate {

namespace {

const IdList kNoIds;

const IdList& Get(const std::unordered_map<std::string, IdList>& index, const std::string& key) {
  auto it = index.find(key);
  return it == index.end() ? kNoIds : it->second;
}

// A handle-keyed index by text: an id never interned has no entry.
const IdList& Get(const IdMap<IdList>& index, const std::string& key) {
  std::optional<Id> id = Id::Find(key);
  if (!id) return kNoIds;
  auto it = index.find(*id);
  return it == index.end() ? kNoIds : it->second;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Status Corrupt(const Event& e, const std::string& what) {
  return Internal("event " + std::to_string(e.seq) + " (" + std::string(EventTypeName(e.type)) +
                  "): " + what);
}

}  // namespace

const IdList& State::ServicesBuiltOn(const std::string& r) const {
  return Get(built_on_, r);
}
const IdList& State::OfferingsAccessing(const std::string& r) const {
  return Get(accessing_, r);
}
const IdList& State::ServicesDependingOn(const std::string& s) const {
  return Get(depending_, s);
}
const IdList& State::OfferingsOf(const std::string& s) const {
  return Get(offerings_of_, s);
}
const IdList& State::RelationshipsOn(const std::string& o) const {
  return Get(relationships_on_, o);
}
const IdList& State::ProvisionsIn(const std::string& r) const {
  return Get(provisions_in_, r);
}
const IdList& State::RelationshipsOf(const std::string& org) const {
  return Get(relationships_of_, org);
}
const IdList& State::GroupsOf(const std::string& org) const {
  return Get(groups_of_, org);
}
const IdList& State::ProposalsOf(const std::string& rel) const {
  return Get(proposals_of_, rel);
}
const IdList& State::PeopleOf(const std::string& org) const {
  return Get(people_of_, org);
}
const IdList& State::MeasurementsOf(const std::string& rel) const {
  return Get(measurements_of_, rel);
}
const IdList& State::RequestsOf(const std::string& rel) const {
  return Get(requests_of_, rel);
}
const IdList& State::ValueRecordsOf(const std::string& rel) const {
  return Get(value_records_of_, rel);
}
const std::vector<int64_t>& State::BreachesReaching(const std::string& org) const {
  static const std::vector<int64_t> kEmpty;
  auto it = breaches_reaching_.find(org);
  return it == breaches_reaching_.end() ? kEmpty : it->second;
}

void State::NoteAgreementEnd(const Relationship& rel) {
  if (rel.live() && !rel.agreements.empty() && !rel.agreements.back().end.empty()) {
    with_end_.insert(rel.id);
  } else {
    with_end_.erase(rel.id);
  }
}

const IdList& State::ServicesOf(const std::string& org) const {
  return Get(services_of_, org);
}
const std::vector<TouchRecord>& State::TouchesOf(const std::string& resource) const {
  static const std::vector<TouchRecord> kEmpty;
  auto it = touches_.find(resource);
  return it == touches_.end() ? kEmpty : it->second;
}
const std::set<Id>& State::ResourcesOwnedBy(const std::string& org) const {
  static const std::set<Id> kEmpty;
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

namespace {
std::string AccessKey(const std::string& org, const std::string& resource) {
  std::string key;
  key.reserve(org.size() + resource.size() + 1);
  key += org;
  key += '\n';
  key += resource;
  return key;
}

// The last element of `history` made at or before `seq`.
template <typename T>
const T* AtSeq(const std::vector<T>& history, int64_t seq) {
  const T* found = nullptr;
  for (const T& x : history) {
    if (x.seq > seq) break;
    found = &x;
  }
  return found;
}
}  // namespace

bool State::HasAccess(const std::string& org, const std::string& resource) const {
  return !AccessGrants(org, resource).empty();
}

const IdList& State::AccessGrants(const std::string& org,
                                                    const std::string& resource) const {
  return Get(grants_, AccessKey(org, resource));
}

bool State::GrantsThrough(const std::string& org, const std::string& resource,
                          const std::string& relationship) const {
  const auto& grants = AccessGrants(org, resource);
  return std::find(grants.begin(), grants.end(), relationship) != grants.end();
}

std::vector<State::Grant> State::AllGrants() const {
  std::vector<Grant> out;
  for (const auto& [key, rels] : grants_) {
    size_t cut = key.find('\n');
    for (const auto& rel : rels) out.push_back({key.substr(0, cut), key.substr(cut + 1), rel});
  }
  return out;
}

std::string State::LastGrant(const std::string& org, const std::string& resource) const {
  auto it = last_grant_.find(AccessKey(org, resource));
  return it == last_grant_.end() ? std::string() : it->second;
}

std::string State::LastConsumption(const std::string& org, const std::string& service) const {
  std::string last;
  const Relationship* best = nullptr;
  for (const std::string& offering_id : OfferingsOf(service)) {
    for (const std::string& rel_id : RelationshipsOn(offering_id)) {
      const Relationship* rel = FindRelationship(rel_id);
      if (rel->consumer != org || rel->activated_at.empty()) continue;
      if (best == nullptr || rel->requested_at > best->requested_at ||
          (rel->requested_at == best->requested_at && rel->id > best->id)) {
        best = rel;
      }
    }
  }
  return best == nullptr ? std::string() : best->id;
}

std::vector<DegradedBy> State::DegradationOf(const Service& service) const {
  std::vector<DegradedBy> out;
  if (service.retired) return out;
  for (const auto& r : service.built_on) {
    const Resource* resource = FindResource(r);
    if (resource == nullptr) continue;
    if (resource->current().owner == service.provider && !resource->retired) continue;
    if (HasAccess(service.provider, r)) continue;
    out.push_back({r, "", LastGrant(service.provider, r)});
  }
  for (const auto& d : service.depends_on) {
    if (CanUseService(service.provider, d)) continue;
    out.push_back({"", d, LastConsumption(service.provider, d)});
  }
  return out;
}

const Service* State::ServiceAt(const std::string& id, int64_t seq) const {
  // The current version answers for every seq from its own on (retiring or
  // degrading it changes none of what a past version is asked for: its
  // name, provider and what it is built on); service_history_ keeps only
  // the versions before it, so a service never changed costs no copy.
  const Service* current = FindService(id);
  if (current == nullptr || current->seq <= seq) return current;
  auto it = service_history_.find(id);
  return it == service_history_.end() ? nullptr : AtSeq(it->second, seq);
}

// offering_history_ keeps an offering's versions before its current one,
// and the current version as it was made once retiring changed it (see
// KeepOfferingAsMade): an offering never changed costs no copy.
const Offering* State::OfferingAt(const std::string& id, int64_t seq) const {
  const Offering* current = FindOffering(id);
  if (current == nullptr) return nullptr;
  auto it = offering_history_.find(id);
  const std::vector<Offering>* past = it == offering_history_.end() ? nullptr : &it->second;
  if (current->seq <= seq) {
    const bool kept = past != nullptr && !past->empty() && past->back().version == current->version;
    return kept ? &past->back() : current;
  }
  return past == nullptr ? nullptr : AtSeq(*past, seq);
}

const RelationshipChange* State::RelationshipAt(const std::string& id, int64_t seq) const {
  auto it = relationship_history_.find(id);
  return it == relationship_history_.end() ? nullptr : AtSeq(it->second, seq);
}

std::vector<const Offering*> State::OfferingVersions(const std::string& id) const {
  std::vector<const Offering*> out;
  const Offering* current = FindOffering(id);
  if (current == nullptr) return out;
  auto it = offering_history_.find(id);
  if (it != offering_history_.end()) {
    for (const Offering& o : it->second) out.push_back(&o);
  }
  if (out.empty() || out.back()->version != current->version) out.push_back(current);
  return out;
}

void State::KeepOfferingAsMade(const Offering& current) {
  std::vector<Offering>& past = offering_history_[current.id];
  if (past.empty() || past.back().version != current.version) past.push_back(current);
}

void State::Unindex(Index& index, Id key, Id id) {
  auto it = index.find(key);
  if (it == index.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), id), v.end());
}

Status State::ApplyAccess(const Event& e, bool grant) {
  std::string consumer = StrOr(e.data, "consumer");
  if (consumer.empty()) {
    const Relationship* rel = FindRelationship(e.subject);
    if (rel == nullptr) return Corrupt(e, "unknown relationship");
    consumer = rel->consumer;
  }
  for (const auto& r : StrList(e.data, "resources")) {
    std::string key = AccessKey(consumer, r);
    auto& rels = grants_[key];
    auto it = std::find(rels.begin(), rels.end(), e.subject);
    if (grant) {
      if (it == rels.end()) rels.emplace_back(e.subject);
      last_grant_[key] = e.subject;
    } else if (it != rels.end()) {
      rels.erase(it);
      if (rels.empty()) grants_.erase(key);
    }
  }
  return Status::Ok();
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
  for (const std::string& offering_id : OfferingsOf(service)) {
    for (const std::string& rel_id : RelationshipsOn(offering_id)) {
      const Relationship* rel = FindRelationship(rel_id);
      if (rel->consumer == org && rel->status == RelationshipStatus::kActive) return true;
    }
  }
  return false;
}

bool State::IsCommitted(const std::string& resource) const {
  return !OfferingsAccessing(resource).empty() || !ServicesBuiltOn(resource).empty();
}

Id State::AddId(Noun noun, const std::string& id, const Event& e) {
  const Id interned = order_[static_cast<size_t>(noun)].emplace_back(id);
  CoverIndex(interned.index());
  noun_of_[interned.index()] = static_cast<uint8_t>(noun);
  NoteRequest(id, e);
  return interned;
}

void State::CoverIndex(uint32_t index) {
  if (index < noun_of_.size()) return;
  // Grown geometrically: ids are interned in the order objects are made.
  const size_t size = std::max<size_t>(index + 1, noun_of_.size() + noun_of_.size() / 2);
  noun_of_.resize(size, kNotNoun);
  request_of_.resize(size, 0);
}

// The digest is kept only when the request named the id (its "id" member):
// a retry names the id and must send the same body, so a body that did not
// name it can never match, and its digest would only take memory (logs
// written before creates kept requests only for client ids hold one for
// every object).
void State::NoteRequest(const std::string& text, const Event& e) {
  const Json* request = e.private_data.Find("request");
  if (request == nullptr) return;
  const Json* named = request->Find("id");
  if (named == nullptr || !named->is_string() || named->as_string() != text) return;
  const Id id(text);
  CoverIndex(id.index());
  request_digests_.push_back(request->Digest());
  request_of_[id.index()] = static_cast<uint32_t>(request_digests_.size());
}

std::optional<uint32_t> State::KnownIndex(const std::string& id) const {
  std::optional<Id> found = Id::Find(id);
  if (!found || found->empty() || found->index() >= noun_of_.size()) return std::nullopt;
  const uint32_t index = found->index();
  if (noun_of_[index] == kNotNoun && request_of_[index] == 0) return std::nullopt;
  return index;
}

const Noun* State::FindNoun(const std::string& id) const {
  static constexpr Noun kNouns[] = {Noun::kOrganization, Noun::kConsumerGroup, Noun::kResource,
                                    Noun::kService,      Noun::kOffering,      Noun::kRelationship,
                                    Noun::kProvision};
  std::optional<uint32_t> index = KnownIndex(id);
  if (!index || noun_of_[*index] == kNotNoun) return nullptr;
  return &kNouns[noun_of_[*index]];
}

const JsonDigest* State::FindRequest(const std::string& id) const {
  std::optional<uint32_t> index = KnownIndex(id);
  if (!index || request_of_[*index] == 0) return nullptr;
  return &request_digests_[request_of_[*index] - 1];
}

void State::IndexExternalId(Noun noun, const std::string& id, const std::string& before,
                            const std::string& after) {
  if (before == after) return;
  auto& index = external_ids_[static_cast<size_t>(noun)];
  if (!before.empty()) {
    auto it = index.find(before);
    if (it != index.end() && it->second == id) index.erase(it);
  }
  // The rules refuse a duplicate; a log that holds one anyway (an imported
  // export) keeps the latest holder rather than refusing to start.
  if (!after.empty()) index[after] = id;
}

Status State::ApplyRelationshipChange(const Event& e, RelationshipStatus to) {
  auto it = FindById(relationships_, e.subject);
  if (it == relationships_.end()) return Corrupt(e, "unknown relationship");
  Relationship& rel = it->second;
  rel.status = to;
  rel.updated_at = e.at;
  relationship_history_[rel.id].push_back({e.seq, rel.type, to});
  if (to == RelationshipStatus::kActive && rel.activated_at.empty()) {
    rel.activated_at = e.at;
    // Agreement version 1 (CONTRACT §6): from the event, or, for a log
    // written before agreements, from the request and the offering as it is.
    Agreement a;
    if (const Json* j = e.data.Find("agreement"); j && j->is_object()) {
      CC_ASSIGN_OR_RETURN(a, DecodeAgreement(*j));
    } else {
      a.type = rel.type;
      if (const Offering* o = FindOffering(rel.offering)) {
        a.service_levels = o->service_levels;
        a.price = o->price;
      }
      a.start = e.at;
      a.at = e.at;
    }
    rel.agreements.push_back(std::move(a));
    RoleRecord& consumer = roles_[rel.consumer];
    if (consumer.consumer_since.empty()) consumer.consumer_since = e.at;
    RoleRecord& provider = roles_[rel.provider];
    if (provider.provider_since.empty()) provider.provider_since = e.at;
  }
  NoteAgreementEnd(rel);
  return Status::Ok();
}

Status State::Apply(const Event& e) {
  if (e.seq != last_seq_ + 1) {
    return Corrupt(e, "expected seq " + std::to_string(last_seq_ + 1));
  }
  const EventType t = e.type;
  if (t == EventType::kOrganizationCreated) {
    CC_ASSIGN_OR_RETURN(Organization o, DecodeOrganization(e.data));
    const Id oid = AddId(Noun::kOrganization, o.id, e);
    IndexExternalId(Noun::kOrganization, o.id, "", o.external_id);
    orgs_[oid] = std::move(o);
  } else if (t == EventType::kConsumerGroupCreated) {
    CC_ASSIGN_OR_RETURN(ConsumerGroup g, DecodeConsumerGroup(e.data));
    const Id gid = AddId(Noun::kConsumerGroup, g.id, e);
    for (const auto& m : g.members) groups_of_[Id(m)].push_back(gid);
    groups_[gid] = std::move(g);
  } else if (t == EventType::kResourceCreated) {
    CC_ASSIGN_OR_RETURN(Resource r, DecodeResource(e.data));
    const Id rid = AddId(Noun::kResource, r.id, e);
    IndexExternalId(Noun::kResource, r.id, "", r.external_id);
    owned_[r.current().owner].insert(rid);
    r.versions.back().seq = e.seq;
    if (!r.origin_provision.empty()) {
      touches_[r.id].push_back({r.origin_provision, Touch::kCreated});
    }
    resources_[rid] = std::move(r);
  } else if (t == EventType::kServiceCreated) {
    CC_ASSIGN_OR_RETURN(Service s, DecodeService(e.data));
    const Id sid = AddId(Noun::kService, s.id, e);
    IndexExternalId(Noun::kService, s.id, "", s.external_id);
    for (const auto& r : s.built_on) built_on_[r].push_back(sid);
    for (const auto& d : s.depends_on) depending_[d].push_back(sid);
    services_of_[Id(s.provider)].push_back(sid);
    s.seq = e.seq;
    services_[sid] = std::move(s);
  } else if (t == EventType::kOfferingCreated) {
    CC_ASSIGN_OR_RETURN(Offering o, DecodeOffering(e.data));
    const Id oid = AddId(Noun::kOffering, o.id, e);
    IndexExternalId(Noun::kOffering, o.id, "", o.external_id);
    for (const auto& r : o.access) accessing_[Id(r)].push_back(oid);
    offerings_of_[Id(o.service)].push_back(oid);
    o.seq = e.seq;
    offerings_[oid] = std::move(o);
  } else if (t == EventType::kTokenIssued) {
    TokenRecord token;
    token.digest = StrOr(e.private_data, "digest");
    if (token.digest.empty()) return Corrupt(e, "token without digest");
    // Tokens issued before they had ids get one from their event.
    token.id = StrOr(e.data, "id", "tok-" + std::to_string(e.seq));
    if (token_digests_.count(token.id)) return Corrupt(e, "token id issued twice");
    std::string role = StrOr(e.data, "role");
    token.principal = Principal{role == "viewer" ? Role::kViewer : Role::kMember, e.subject};
    token.principal.person = StrOr(e.data, "person");
    token.created_at = e.at;
    token.expires_at = StrOr(e.data, "expires_at");
    token_digests_[token.id] = token.digest;
    token_order_.push_back(token.id);
    tokens_[token.digest] = std::move(token);
  } else if (t == EventType::kWebhookRegistered) {
    WebhookRecord w;
    w.id = StrOr(e.data, "id");
    if (w.id.empty() || IdTaken(w.id)) return Corrupt(e, "webhook id missing or taken");
    w.organization = StrOr(e.data, "organization");
    w.url = StrOr(e.data, "url");
    w.events = StrList(e.data, "events");
    w.exclude_actors = StrList(e.data, "exclude_actors");
    w.secret = StrOr(e.private_data, "secret");
    if (w.secret.empty()) return Corrupt(e, "webhook without secret");
    if (const Json* request = e.private_data.Find("request")) w.request = *request;
    w.created_at = e.at;
    w.seq = e.seq;
    webhook_order_.push_back(w.id);
    webhooks_[w.id] = std::move(w);
  } else if (t == EventType::kWebhookDeleted) {
    auto it = webhooks_.find(StrOr(e.data, "id"));
    if (it == webhooks_.end() || it->second.deleted) return Corrupt(e, "unknown webhook");
    it->second.deleted = true;
  } else if (t == EventType::kTokenRevoked) {
    auto it = token_digests_.find(StrOr(e.data, "id"));
    if (it == token_digests_.end()) return Corrupt(e, "unknown token");
    if (tokens_.erase(it->second) == 0) return Corrupt(e, "token revoked twice");
  } else if (t == EventType::kRelationshipRequested) {
    CC_ASSIGN_OR_RETURN(Relationship r, DecodeRelationship(e.data));
    const Id rid = AddId(Noun::kRelationship, r.id, e);
    relationships_on_[Id(r.offering)].push_back(rid);
    relationships_of_[Id(r.provider)].push_back(rid);
    relationships_of_[Id(r.consumer)].push_back(rid);
    relationship_history_[r.id].push_back({e.seq, r.type, r.status});
    relationships_[rid] = std::move(r);
  } else if (t == EventType::kRelationshipActivated || t == EventType::kRelationshipResumed) {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kActive));
  } else if (t == EventType::kRelationshipSuspended) {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kSuspended));
  } else if (t == EventType::kRelationshipTerminated) {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kTerminated));
  } else if (t == EventType::kRelationshipRejected) {
    CC_RETURN_IF_ERROR(ApplyRelationshipChange(e, RelationshipStatus::kRejected));
  } else if (t == EventType::kAccessGranted || t == EventType::kAccessRevoked) {
    CC_RETURN_IF_ERROR(ApplyAccess(e, t == EventType::kAccessGranted));
  } else if (t == EventType::kAgreementProposed) {
    const Json* j = e.data.Find("proposal");
    if (j == nullptr) return Corrupt(e, "no proposal");
    CC_ASSIGN_OR_RETURN(Proposal proposal, DecodeProposal(*j));
    if (IdTaken(proposal.id)) return Corrupt(e, "proposal id taken");
    if (!HasId(relationships_, proposal.relationship)) return Corrupt(e, "unknown relationship");
    NoteRequest(proposal.id, e);
    proposals_of_[Id(proposal.relationship)].emplace_back(proposal.id);
    proposals_[proposal.id] = std::move(proposal);
  } else if (t == EventType::kAgreementChanged && e.data.Find("proposal") == nullptr) {
    // A renewal (CONTRACT §9.17): the agreement moves on without a proposal.
    auto it = FindById(relationships_, e.subject);
    const Json* j = e.data.Find("agreement");
    if (it == relationships_.end() || j == nullptr) return Corrupt(e, "no relationship/agreement");
    CC_ASSIGN_OR_RETURN(Agreement a, DecodeAgreement(*j));
    it->second.updated_at = e.at;
    it->second.agreements.push_back(std::move(a));
    NoteAgreementEnd(it->second);
  } else if (t == EventType::kAgreementChanged || t == EventType::kAgreementDeclined ||
             t == EventType::kAgreementWithdrawn) {
    auto it = proposals_.find(StrOr(e.data, "proposal"));
    if (it == proposals_.end()) return Corrupt(e, "unknown proposal");
    Proposal& proposal = it->second;
    proposal.closed_at = e.at;
    proposal.reason = StrOr(e.data, "reason");
    if (t == EventType::kAgreementChanged) {
      proposal.status = ProposalStatus::kAccepted;
      const Json* j = e.data.Find("agreement");
      if (j == nullptr) return Corrupt(e, "no agreement");
      CC_ASSIGN_OR_RETURN(Agreement a, DecodeAgreement(*j));
      auto found = FindById(relationships_, proposal.relationship);
      if (found == relationships_.end()) return Corrupt(e, "the proposal's relationship is unknown");
      Relationship& rel = found->second;
      rel.type = a.type;  // a relationship's type is its agreement's (§9.3)
      rel.updated_at = e.at;
      relationship_history_[rel.id].push_back({e.seq, rel.type, rel.status});
      rel.agreements.push_back(std::move(a));
      NoteAgreementEnd(rel);
    } else {
      proposal.status = t == EventType::kAgreementDeclined ? ProposalStatus::kDeclined
                                                           : ProposalStatus::kWithdrawn;
    }
  } else if (t == EventType::kOrganizationUpdated) {
    auto it = FindById(orgs_, e.subject);
    if (it == orgs_.end()) return Corrupt(e, "unknown organization");
    const Json* changes = e.data.Find("changes");
    if (changes == nullptr || !changes->is_object()) return Corrupt(e, "no changes");
    Organization& o = it->second;
    if (const Json* v = changes->Find("name"); v && v->is_string()) o.name = v->as_string();
    if (const Json* v = changes->Find("description"); v && v->is_string()) {
      o.description = v->as_string();
    }
    if (const Json* v = changes->Find("attributes")) o.attributes = MergePatch(o.attributes.value(), *v);
    if (const Json* v = changes->Find("external_id")) {
      std::string next = v->is_string() ? v->as_string() : "";
      IndexExternalId(Noun::kOrganization, o.id, o.external_id, next);
      o.external_id = std::move(next);
    }
    o.updated_at = e.at;
  } else if (t == EventType::kOrganizationClosed) {
    auto it = FindById(orgs_, e.subject);
    if (it == orgs_.end()) return Corrupt(e, "unknown organization");
    it->second.closed = true;
    it->second.updated_at = e.at;
  } else if (t == EventType::kConsumerGroupUpdated) {
    auto it = FindById(groups_, e.subject);
    if (it == groups_.end()) return Corrupt(e, "unknown consumer group");
    ConsumerGroup& g = it->second;
    if (const Json* v = e.data.Find("name"); v && v->is_string()) g.name = v->as_string();
    const Id gid(g.id);
    for (const auto& m : StrList(e.data, "removed")) {
      g.members.erase(std::remove(g.members.begin(), g.members.end(), m), g.members.end());
      Unindex(groups_of_, Id(m), gid);
    }
    for (const auto& m : StrList(e.data, "added")) {
      if (Contains(g.members, m)) continue;
      g.members.push_back(m);
      groups_of_[Id(m)].push_back(gid);
    }
    g.updated_at = e.at;
  } else if (t == EventType::kResourceRevised) {
    auto it = FindById(resources_, e.subject);
    if (it == resources_.end()) return Corrupt(e, "unknown resource");
    Resource& r = it->second;
    const Json* attrs = e.data.Find("attributes");
    if (attrs == nullptr || !attrs->is_object()) return Corrupt(e, "no attributes");
    ResourceVersion v = r.current();
    v.version = r.current().version + 1;
    v.at = e.at;
    v.seq = e.seq;
    v.provision = Id();
    v.name = StrOr(e.data, "name", v.name);
    v.attributes = *attrs;
    r.versions.push_back(std::move(v));
    if (const Json* x = e.data.Find("external_id")) {
      std::string next = x->is_string() ? x->as_string() : "";
      IndexExternalId(Noun::kResource, r.id, r.external_id, next);
      r.external_id = std::move(next);
    }
  } else if (t == EventType::kResourceRetired) {
    auto it = FindById(resources_, e.subject);
    if (it == resources_.end()) return Corrupt(e, "unknown resource");
    it->second.retired = true;
    it->second.retired_at = e.at;
  } else if (t == EventType::kServiceUpdated) {
    auto it = FindById(services_, e.subject);
    if (it == services_.end()) return Corrupt(e, "unknown service");
    const Json* after = e.data.Find("after");
    if (after == nullptr || !after->is_object()) return Corrupt(e, "no 'after'");
    Json merged = ToJson(it->second);
    for (const auto& [k, v] : after->members()) merged.Set(k, v);
    CC_ASSIGN_OR_RETURN(Service next, DecodeService(merged));
    Service& cur = it->second;
    const Id sid = it->first;
    for (const auto& r : cur.built_on) Unindex(built_on_, r, sid);
    for (const auto& d : cur.depends_on) Unindex(depending_, d, sid);
    for (const auto& r : next.built_on) built_on_[r].push_back(sid);
    for (const auto& d : next.depends_on) depending_[d].push_back(sid);
    IndexExternalId(Noun::kService, cur.id, cur.external_id, next.external_id);
    next.updated_at = e.at;
    next.seq = e.seq;
    std::vector<Service>& past = service_history_[next.id];
    past.push_back(std::move(cur));
    cur = std::move(next);
  } else if (t == EventType::kServiceRetired) {
    auto it = FindById(services_, e.subject);
    if (it == services_.end()) return Corrupt(e, "unknown service");
    it->second.retired = true;
    it->second.degraded_by.clear();
    it->second.updated_at = e.at;
  } else if (t == EventType::kServiceDegraded || t == EventType::kServiceRestored) {
    auto it = FindById(services_, e.subject);
    if (it == services_.end()) return Corrupt(e, "unknown service");
    std::vector<DegradedBy> by;
    if (t == EventType::kServiceDegraded) {
      const Json* list = e.data.Find("degraded_by");
      if (list == nullptr || !list->is_array()) return Corrupt(e, "no degraded_by");
      CC_ASSIGN_OR_RETURN(by, DecodeDegradedBy(*list));
    }
    it->second.degraded_by = std::move(by);
  } else if (t == EventType::kOfferingUpdated) {
    auto it = FindById(offerings_, e.subject);
    if (it == offerings_.end()) return Corrupt(e, "unknown offering");
    const Json* after = e.data.Find("after");
    if (after == nullptr || !after->is_object()) return Corrupt(e, "no 'after'");
    Json merged = ToJson(it->second);
    for (const auto& [k, v] : after->members()) merged.Set(k, v);
    merged.Set("version", Json(it->second.version + 1));
    CC_ASSIGN_OR_RETURN(Offering next, DecodeOffering(merged));
    Offering& cur = it->second;
    const Id oid = it->first;
    for (const auto& r : cur.access) Unindex(accessing_, Id(r), oid);
    for (const auto& r : next.access) accessing_[Id(r)].push_back(oid);
    IndexExternalId(Noun::kOffering, cur.id, cur.external_id, next.external_id);
    next.updated_at = e.at;
    next.seq = e.seq;
    std::vector<Offering>& past = offering_history_[cur.id];
    if (past.empty() || past.back().version != cur.version) past.push_back(std::move(cur));
    cur = std::move(next);
  } else if (t == EventType::kOfferingRetired) {
    auto it = FindById(offerings_, e.subject);
    if (it == offerings_.end()) return Corrupt(e, "unknown offering");
    KeepOfferingAsMade(it->second);
    it->second.retired = true;
    it->second.updated_at = e.at;
  } else if (t == EventType::kProvisionPerformed) {
    Provision p;
    if (e.provision != nullptr) {
      p = *e.provision;
    } else {
      CC_ASSIGN_OR_RETURN(p, DecodeProvision(e.data));
    }
    const Id pid = AddId(Noun::kProvision, p.id, e);
    provisions_in_[Id(p.relationship)].push_back(pid);
    p.seq = e.seq;
    provisions_[pid] = std::move(p);
  } else if (t == EventType::kResourceModified || t == EventType::kResourceTransferred) {
    auto it = FindById(resources_, e.subject);
    if (it == resources_.end()) return Corrupt(e, "unknown resource");
    Resource& r = it->second;
    ResourceVersion v = r.current();
    v.version = r.current().version + 1;
    v.at = e.at;
    v.seq = e.seq;
    v.provision = Id(StrOr(e.data, "provision"));
    if (t == EventType::kResourceModified) {
      const Json* attrs = e.data.Find("attributes");
      if (attrs == nullptr || !attrs->is_object()) return Corrupt(e, "no attributes");
      v.attributes = *attrs;
      touches_[r.id].push_back({v.provision, Touch::kModified});
    } else {
      std::string to = StrOr(e.data, "to");
      if (to.empty()) return Corrupt(e, "no new owner");
      const Id rid = it->first;
      owned_[v.owner].erase(rid);
      v.owner = Id(to);
      owned_[to].insert(rid);
      touches_[r.id].push_back({v.provision, Touch::kTransferred});
    }
    r.versions.push_back(std::move(v));
  } else if (t == EventType::kPersonCreated) {
    const Json* j = e.data.Find("person");
    if (j == nullptr) return Corrupt(e, "no person");
    CC_ASSIGN_OR_RETURN(Person person, DecodePerson(*j));
    if (IdTaken(person.id)) return Corrupt(e, "person id taken");
    NoteRequest(person.id, e);
    people_of_[Id(person.organization)].emplace_back(person.id);
    persons_[person.id] = std::move(person);
  } else if (t == EventType::kPartyRoleDeclared || t == EventType::kPartyRoleUpdated) {
    const Json* j = e.data.Find("party_role");
    if (j == nullptr) return Corrupt(e, "no party role");
    CC_ASSIGN_OR_RETURN(PartyRole role, DecodePartyRole(*j));
    if (t == EventType::kPartyRoleDeclared) {
      if (IdTaken(role.id)) return Corrupt(e, "party role id taken");
      NoteRequest(role.id, e);
      party_role_order_.push_back(role.id);
      party_roles_[role.id] = std::move(role);
    } else {
      auto it = party_roles_.find(role.id);
      if (it == party_roles_.end() || it->second.removed) return Corrupt(e, "unknown party role");
      it->second = std::move(role);
    }
  } else if (t == EventType::kServiceOrderPlaced) {
    const Json* j = e.data.Find("service_order");
    if (j == nullptr) return Corrupt(e, "no service order");
    CC_ASSIGN_OR_RETURN(ServiceOrder order, DecodeServiceOrder(*j));
    if (IdTaken(order.id)) return Corrupt(e, "service order id taken");
    service_order_ids_.push_back(order.id);
    service_orders_[order.id] = std::move(order);
  } else if (t == EventType::kPartyRoleRemoved) {
    auto it = party_roles_.find(e.subject);
    if (it == party_roles_.end() || it->second.removed) return Corrupt(e, "unknown party role");
    it->second.removed = true;
    it->second.updated_at = e.at;
  } else if (t == EventType::kRoleAssigned || t == EventType::kRoleUnassigned) {
    auto it = FindById(relationships_, e.subject);
    if (it == relationships_.end()) return Corrupt(e, "unknown relationship");
    RoleAssignment a{StrOr(e.data, "person"), StrOr(e.data, "role"),
                     StrOr(e.data, "organization"), e.at};
    auto& roles = it->second.roles;
    auto same = [&](const RoleAssignment& r) { return r.person == a.person && r.role == a.role; };
    if (t == EventType::kRoleAssigned) {
      if (std::any_of(roles.begin(), roles.end(), same)) return Corrupt(e, "role assigned twice");
      roles.push_back(std::move(a));
    } else if (std::erase_if(roles, same) == 0) {
      return Corrupt(e, "role not assigned");
    }
  } else if (t == EventType::kMeasurementRecorded) {
    const Json* j = e.data.Find("measurement");
    if (j == nullptr) return Corrupt(e, "no measurement");
    CC_ASSIGN_OR_RETURN(Measurement m, DecodeMeasurement(*j));
    if (IdTaken(m.id)) return Corrupt(e, "measurement id taken");
    if (!HasId(relationships_, m.relationship)) return Corrupt(e, "unknown relationship");
    NoteRequest(m.id, e);
    m.end_ms = UnixMillis(m.period.end).value_or(0);
    measurements_of_[Id(m.relationship)].emplace_back(m.id);
    measurements_[m.id] = std::move(m);
  } else if (t == EventType::kServiceLevelBreached) {
    // Who the breach reached is kept out of the data (it may name hidden
    // organizations); the store keeps it in the private data.
    if (const Json* reached = e.private_data.Find("reached"); reached && reached->is_array()) {
      for (const Json& org : reached->items()) {
        if (org.is_string()) breaches_reaching_[org.as_string()].push_back(e.seq);
      }
    }
    Event& kept = breaches_[e.seq];
    kept = e;
    kept.private_data = Json();
  } else if (t == EventType::kRequestOpened) {
    const Json* j = e.data.Find("request");
    if (j == nullptr) return Corrupt(e, "no request");
    CC_ASSIGN_OR_RETURN(ServiceRequest r, DecodeServiceRequest(*j));
    if (IdTaken(r.id)) return Corrupt(e, "request id taken");
    if (!HasId(relationships_, r.relationship)) return Corrupt(e, "unknown relationship");
    NoteRequest(r.id, e);
    requests_of_[Id(r.relationship)].emplace_back(r.id);
    service_requests_[r.id] = std::move(r);
  } else if (t == EventType::kRequestFulfilled || t == EventType::kRequestDeclined ||
             t == EventType::kRequestCancelled) {
    auto it = service_requests_.find(e.subject);
    if (it == service_requests_.end()) return Corrupt(e, "unknown request");
    ServiceRequest& r = it->second;
    if (r.status != RequestStatus::kOpen) return Corrupt(e, "request not open");
    r.closed_at = e.at;
    r.reason = StrOr(e.data, "reason");
    if (t == EventType::kRequestFulfilled) {
      r.status = RequestStatus::kFulfilled;
      r.provision = StrOr(e.data, "provision");
    } else {
      r.status =
          t == EventType::kRequestDeclined ? RequestStatus::kDeclined : RequestStatus::kCancelled;
    }
  } else if (t == EventType::kValueStated) {
    const Json* j = e.data.Find("value");
    if (j == nullptr) return Corrupt(e, "no value");
    CC_ASSIGN_OR_RETURN(ValueRecord v, DecodeValueRecord(*j));
    if (IdTaken(v.id)) return Corrupt(e, "value record id taken");
    if (!HasId(relationships_, v.relationship)) return Corrupt(e, "unknown relationship");
    NoteRequest(v.id, e);
    value_records_of_[Id(v.relationship)].emplace_back(v.id);
    value_records_[v.id] = std::move(v);
  } else if (t == EventType::kRoleTransitioned) {
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
  return Status::Ok();
}

Status CheckConsistency(const State& state, const std::vector<Event>& events) {
  // A recorded degradation must be what the access explains. (A log written
  // before degradations were recorded has none, and stays importable.)
  for (const std::string& id : state.Ids(Noun::kService)) {
    const Service& s = *state.FindService(id);
    if (!s.degraded_by.empty() && s.degraded_by != state.DegradationOf(s)) {
      return Internal("service '" + id +
                      "' records a degradation that its access does not explain");
    }
  }
  for (const std::string& id : state.Ids(Noun::kRelationship)) {
    const Relationship& rel = *state.FindRelationship(id);
    for (const auto& r : state.FindOffering(rel.offering)->access) {
      bool granted = state.GrantsThrough(rel.consumer, r, id);
      const Resource* resource = state.FindResource(r);
      bool expected = rel.status == RelationshipStatus::kActive && resource != nullptr &&
                      !resource->retired;
      if (granted != expected) {
        return Internal("relationship '" + id + "' " +
                        (granted ? "grants" : "does not grant") + " access to '" + r +
                        "', which its status and offering contradict");
      }
    }
  }
  for (const State::Grant& g : state.AllGrants()) {
    const Relationship* rel = state.FindRelationship(g.relationship);
    const auto* access = rel ? &state.FindOffering(rel->offering)->access : nullptr;
    if (rel == nullptr || rel->consumer != g.consumer ||
        std::find(access->begin(), access->end(), g.resource) == access->end()) {
      return Internal("'" + g.consumer + "' holds access to '" + g.resource + "' through '" +
                      g.relationship + "', which does not give it");
    }
  }
  for (const Event& e : events) {
    if (e.actor != "admin" && e.actor != "system" && state.FindOrganization(e.actor) == nullptr &&
        state.FindPerson(e.actor) == nullptr) {
      return Internal("event " + std::to_string(e.seq) + " (" + std::string(EventTypeName(e.type)) +
                      ") has actor '" + e.actor + "', who is neither an organization nor a person");
    }
  }
  return Status::Ok();
}

}  // namespace cocreate
