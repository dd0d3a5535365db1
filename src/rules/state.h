// State: the in-memory projection of the event log, and the only thing the
// rules read. It is rebuilt by applying every event in `seq` order; Apply is
// the one place where state changes.
//
// Thread safety: none inside; the engine guards a State with a shared mutex
// (readers shared, the committing writer exclusive).
#ifndef COCREATE_RULES_STATE_H_
#define COCREATE_RULES_STATE_H_

#include <map>
#include <set>
#include <string>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "model/binary.h"
#include "model/id_map.h"
#include "model/status.h"
#include "model/types.h"

namespace cocreate {

// How an organization's roles evolved (GET /organizations/{id}/roles).
struct RoleRecord {
  std::string consumer_since;
  std::string provider_since;
  std::vector<RoleTransition> transitions;
};

// An API token (CONTRACT §5): who it acts for, and until when. The secret
// itself is never kept; `digest` is its SHA-256 and never leaves the server.
struct TokenRecord {
  std::string id;
  Principal principal;
  std::string created_at;
  std::string expires_at;  // empty: never expires
  std::string digest;
};

// A webhook (CONTRACT §8): where and what to deliver. `secret` is the HMAC
// key; it comes from the registration's private data and never leaves the
// server. A deleted webhook is kept (its id stays taken) with `deleted` set.
struct WebhookRecord {
  std::string id;
  std::string organization;  // empty: the admin's, which receives every event
  std::string url;
  std::vector<std::string> events;  // event types, or {"*"}
  std::vector<std::string> exclude_actors;
  std::string secret;
  std::string created_at;
  int64_t seq = 0;  // the registration's event
  bool deleted = false;
  Json request;  // the create request, for idempotent retries
};

// A relationship's type and status from event `seq` on (for answers as of
// a past seq).
struct RelationshipChange {
  int64_t seq = 0;
  RelationshipType type = RelationshipType::kBasic;
  RelationshipStatus status = RelationshipStatus::kRequested;
};

// How a provision touched a resource.
enum class Touch { kCreated, kModified, kTransferred };
struct TouchRecord { Id provision; Touch how; };

class State;

// Checks what the rules guarantee of any log they wrote, beyond what Apply
// checks event by event: a service's recorded degraded_by is what
// State::DegradationOf computes; access is granted exactly to the active
// relationships, for their offering's access less retired resources; every
// actor of `events` (the log `state` was built from) is the admin, "system",
// an organization or a person. Errors: Internal naming the first object at
// fault. For an imported log (cocreate import); a server start never refuses
// what its own store holds.
Status CheckConsistency(const State& state, const std::vector<Event>& events);

class State {
 public:
  // Applies one committed event. Errors only when the log contradicts itself
  // (a corrupt or foreign store): Internal naming the event.
  // REQUIRES: e.seq == last_seq() + 1.
  Status Apply(const Event& e);

  // The state keeps no event log: the store holds it (EventStore::Read).
  int64_t last_seq() const { return last_seq_; }

  // Checkpoints (engine/checkpoint.h): writes every member; Load replaces
  // this state with what Save wrote. A state loaded from Save's bytes
  // answers everything as the saved one did. Load errors: Internal
  // (bad_checkpoint) when the bytes are not a whole state; this state is
  // then unchanged. Unless canonical, a saved state must be the last thing
  // its bytes hold: Load finds the table of ids from the end of `in`.
  void Save(BinaryWriter& out) const;
  Status Load(BinaryReader& in);

  // Lookups; nullptr when absent.
  const Organization* FindOrganization(const std::string& id) const { return Find(orgs_, id); }
  const ConsumerGroup* FindGroup(const std::string& id) const { return Find(groups_, id); }
  const Resource* FindResource(const std::string& id) const { return Find(resources_, id); }
  const Service* FindService(const std::string& id) const { return Find(services_, id); }
  const Offering* FindOffering(const std::string& id) const { return Find(offerings_, id); }
  const Relationship* FindRelationship(const std::string& id) const {
    return Find(relationships_, id);
  }
  const Provision* FindProvision(const std::string& id) const { return Find(provisions_, id); }
  const Proposal* FindProposal(const std::string& id) const { return Find(proposals_, id); }
  // Proposals on a relationship, oldest first.
  const IdList& ProposalsOf(const std::string& relationship) const;
  // True when `id` is taken by any object (nouns, proposals and the records
  // of service relationship management).
  bool IdTaken(const std::string& id) const {
    return KnowsId(id) || proposals_.count(id) != 0 || persons_.count(id) != 0 ||
           measurements_.count(id) != 0 || service_requests_.count(id) != 0 ||
           value_records_.count(id) != 0 || party_roles_.count(id) != 0 ||
           service_orders_.count(id) != 0 || webhooks_.count(id) != 0;
  }
  // TMF641 service orders (CONTRACT §8); nullptr when absent.
  const ServiceOrder* FindServiceOrder(const std::string& id) const {
    return Find(service_orders_, id);
  }
  // Every service order's id, in the order they were placed.
  const std::vector<std::string>& ServiceOrderIds() const { return service_order_ids_; }
  // TMF669 party roles declared through the API, removed ones included
  // (CONTRACT §8); nullptr when absent.
  const PartyRole* FindPartyRole(const std::string& id) const { return Find(party_roles_, id); }
  // Every declared party role's id, in declaration order.
  const std::vector<std::string>& PartyRoleIds() const { return party_role_order_; }

  // Service relationship management (CONTRACT §6); nullptr when absent.
  const Person* FindPerson(const std::string& id) const { return Find(persons_, id); }
  const Measurement* FindMeasurement(const std::string& id) const {
    return Find(measurements_, id);
  }
  const ServiceRequest* FindServiceRequest(const std::string& id) const {
    return Find(service_requests_, id);
  }
  const ValueRecord* FindValueRecord(const std::string& id) const {
    return Find(value_records_, id);
  }
  // Each in creation order.
  const IdList& PeopleOf(const std::string& org) const;
  const IdList& MeasurementsOf(const std::string& relationship) const;
  const IdList& RequestsOf(const std::string& relationship) const;
  const IdList& ValueRecordsOf(const std::string& relationship) const;
  // The seqs of the service_level.breached events whose impact reached `org`
  // (the consumer of the relationship, or an organization downstream).
  const std::vector<int64_t>& BreachesReaching(const std::string& org) const;
  // Relationships whose agreement in force has an `end` (candidates for
  // expiry, CONTRACT §9.17), by id.
  const std::set<std::string>& RelationshipsWithEnd() const { return with_end_; }
  // The service_level.breached event with seq `seq` (without its private
  // data), or nullptr. Breaches are the one kind of event the state keeps
  // whole: GET /organizations/{id}/breaches shows them.
  const Event* FindBreach(int64_t seq) const { return Find(breaches_, seq); }
  // The id of the `noun` (organization, resource, service or offering)
  // whose external_id is `external_id` (CONTRACT §9.23), or nullptr.
  const std::string* FindByExternalId(Noun noun, const std::string& external_id) const {
    return Find(external_ids_[static_cast<size_t>(noun)], external_id);
  }
  // The noun an id names, if any.
  const Noun* FindNoun(const std::string& id) const;
  // The digest (Json::Digest) of the create request an id was made by, for
  // idempotent retries, or nullptr. The request itself stays in the store,
  // in its event's private data.
  const JsonDigest* FindRequest(const std::string& id) const;
  // The live (not revoked) token a digest stands for, or nullptr. Expiry is
  // the caller's to check: it depends on the time of asking.
  const TokenRecord* FindToken(const std::string& digest) const { return Find(tokens_, digest); }
  // The live token with id `id`, or nullptr (absent or revoked).
  const TokenRecord* FindTokenById(const std::string& id) const;
  // Ids of every token ever issued, in issue order (revoked ones included).
  const std::vector<std::string>& TokenIds() const { return token_order_; }
  const RoleRecord* FindRoles(const std::string& org) const { return Find(roles_, org); }
  // A webhook, deleted ones included, or nullptr.
  const WebhookRecord* FindWebhook(const std::string& id) const { return Find(webhooks_, id); }
  // Ids of every webhook ever registered, in registration order.
  const std::vector<std::string>& WebhookIds() const { return webhook_order_; }

  // Ids of one noun in creation order.
  const IdList& Ids(Noun noun) const {
    return order_[static_cast<size_t>(noun)];
  }

  // Relations, each in creation order of the related objects.
  const IdList& ServicesBuiltOn(const std::string& resource) const;
  const IdList& OfferingsAccessing(const std::string& resource) const;
  const IdList& ServicesDependingOn(const std::string& service) const;
  const IdList& OfferingsOf(const std::string& service) const;
  const IdList& RelationshipsOn(const std::string& offering) const;
  const IdList& ProvisionsIn(const std::string& relationship) const;
  const IdList& RelationshipsOf(const std::string& org) const;
  const IdList& GroupsOf(const std::string& org) const;
  const std::vector<TouchRecord>& TouchesOf(const std::string& resource) const;
  // Resources an organization owns now, by id.
  // In text order (Id's).
  const std::set<Id>& ResourcesOwnedBy(const std::string& org) const;
  const IdList& ServicesOf(const std::string& org) const;

  // True when `org` is `offering`'s provider or in its audience.
  bool InAudience(const Offering& offering, const std::string& org) const;
  // True when `org` has access to `resource` through an active relationship:
  // the access.granted events not yet revoked (CONTRACT §5).
  bool HasAccess(const std::string& org, const std::string& resource) const;
  // The relationships that now give `org` access to `resource`.
  const IdList& AccessGrants(const std::string& org,
                                               const std::string& resource) const;
  // True when `relationship` is one of those giving `org` access to `resource`.
  bool GrantsThrough(const std::string& org, const std::string& resource,
                     const std::string& relationship) const;
  // Every access granted now, as (consumer, resource, relationship).
  struct Grant { std::string consumer, resource, relationship; };
  std::vector<Grant> AllGrants() const;
  // The relationship that last granted `org` access to `resource`, or "".
  std::string LastGrant(const std::string& org, const std::string& resource) const;
  // The last relationship (in request order) through which `org` consumed
  // `service` while active, or "".
  std::string LastConsumption(const std::string& org, const std::string& service) const;
  // Why `service` is degraded now, recomputed from scratch: each resource it
  // is built on that its provider neither owns nor has access to, and each
  // service it depends on that its provider neither runs nor consumes
  // through an active relationship (CONTRACT §5). Empty for a retired one.
  std::vector<DegradedBy> DegradationOf(const Service& service) const;

  // Answers as of a past event seq (lineage as of a version): the object as
  // it stood just after event `seq`, or nullptr when it did not exist yet.
  const Service* ServiceAt(const std::string& id, int64_t seq) const;
  const Offering* OfferingAt(const std::string& id, int64_t seq) const;
  const RelationshipChange* RelationshipAt(const std::string& id, int64_t seq) const;
  // Every version of an offering, oldest first (GET /offerings/{id}/versions).
  // Empty when there is no such offering.
  std::vector<const Offering*> OfferingVersions(const std::string& id) const;
  // True when `org` owns `resource` or has access to it.
  bool CanUseResource(const std::string& org, const std::string& resource) const;
  // True when `org` provides `service` or consumes it through an active relationship.
  bool CanUseService(const std::string& org, const std::string& service) const;
  // True when an offering gives access to the resource or a service is built on it.
  bool IsCommitted(const std::string& resource) const;

 private:
  // Reverse indexes, keyed by handle (4 bytes, not a string per entry).
  using Index = IdMap<IdList>;
  // Every member, in one list for Save and Load (state_checkpoint.cc).
  template <typename Ar>
  void Members(Ar& ar);
  template <typename M>
  static const typename M::mapped_type* Find(const M& map, const typename M::key_type& id) {
    auto it = map.find(id);
    return it == map.end() ? nullptr : &it->second;
  }
  // The records of the nouns are keyed by handle (4 bytes, not the id's
  // text a second time); these find one by text without interning it.
  template <typename T>
  static const T* Find(const IdMap<T>& map, const std::string& id) {
    std::optional<Id> key = Id::Find(id);
    if (!key) return nullptr;
    auto it = map.find(*key);
    return it == map.end() ? nullptr : &it->second;
  }
  template <typename T>
  static typename IdMap<T>::iterator FindById(IdMap<T>& map, const std::string& id) {
    std::optional<Id> key = Id::Find(id);
    return key ? map.find(*key) : map.end();
  }
  template <typename T>
  static bool HasId(const IdMap<T>& map, const std::string& id) {
    return Find(map, id) != nullptr;
  }
  Status ApplyRelationshipChange(const Event& e, RelationshipStatus to);
  Status ApplyAccess(const Event& e, bool grant);
  void Unindex(Index& index, Id key, Id id);
  // Keeps `current` as made before a change that is not a new version.
  void KeepOfferingAsMade(const Offering& current);
  // Records a new noun's id; returns it interned, for the indexes to hold.
  Id AddId(Noun noun, const std::string& id, const Event& e);
  // Moves `id` from external_id `before` to `after` (either may be empty).
  void IndexExternalId(Noun noun, const std::string& id, const std::string& before,
                       const std::string& after);

  int64_t last_seq_ = 0;
  std::map<int64_t, Event> breaches_;  // service_level.breached, by seq

  IdMap<Organization> orgs_;
  IdMap<ConsumerGroup> groups_;
  IdMap<Resource> resources_;
  IdMap<Service> services_;
  IdMap<Offering> offerings_;
  IdMap<Relationship> relationships_;
  IdMap<Provision> provisions_;
  // What an id names, when it is one of the seven nouns, and the digest of
  // the request that made it, when a request did: one map, not two, as
  // nearly every object has both (each entry costs its key again).
  // What each id names here, by its handle (Id::index()), not in a map by
  // its text: a byte and a number per id instead of a hash-map node. A noun's
  // kind (kNotNoun: none), and the digest of the create request that named
  // the id, kept for safe retries (0: none; k: request_digests_[k - 1]).
  static constexpr uint8_t kNotNoun = 0xff;
  std::vector<uint8_t> noun_of_;
  std::vector<uint32_t> request_of_;
  std::vector<JsonDigest> request_digests_;
  // The handle of `id` when this state knows it (a noun or a request).
  std::optional<uint32_t> KnownIndex(const std::string& id) const;
  bool KnowsId(const std::string& id) const { return KnownIndex(id).has_value(); }
  // Both vectors cover `index`.
  void CoverIndex(uint32_t index);
  void NoteRequest(const std::string& id, const Event& e);
  // The records of noun_of_ and request_of_ by id, for checkpoints
  // (handles differ between processes).
  struct IdFacts {
    Id id;
    int64_t noun = kNotNoun;
    bool has_request = false;
    JsonDigest request;
  };
  template <typename Ar>
  friend void Fields(Ar& ar, IdFacts& f);  // state_checkpoint.cc
  template <typename Ar>
  void ArchiveIdFacts(Ar& ar);
  // After a load: what readers follow without checking holds (see the .cc).
  Status CheckLoaded() const;
  std::unordered_map<std::string, TokenRecord> tokens_;        // by digest
  std::unordered_map<std::string, std::string> token_digests_;  // id -> digest
  std::vector<std::string> token_order_;
  std::unordered_map<std::string, WebhookRecord> webhooks_;
  std::vector<std::string> webhook_order_;
  std::unordered_map<std::string, RoleRecord> roles_;
  IdList order_[7];
  // external_id -> id, per noun (only the four imported nouns use theirs).
  std::unordered_map<std::string, std::string> external_ids_[7];

  std::unordered_map<std::string, Proposal> proposals_;
  // A service's versions before its current one (see ServiceAt).
  std::unordered_map<std::string, std::vector<Service>> service_history_;
  // An offering's versions before its current one, then the current one as
  // it was made once retiring changed it (see OfferingAt).
  std::unordered_map<std::string, std::vector<Offering>> offering_history_;
  std::unordered_map<std::string, std::vector<RelationshipChange>> relationship_history_;
  // Access by "org\nresource": the relationships granting it now, and the
  // last one that ever did.
  std::unordered_map<std::string, IdList> grants_;
  std::unordered_map<std::string, std::string> last_grant_;

  std::unordered_map<std::string, Person> persons_;
  std::unordered_map<std::string, PartyRole> party_roles_;
  std::vector<std::string> party_role_order_;
  std::unordered_map<std::string, ServiceOrder> service_orders_;
  std::vector<std::string> service_order_ids_;
  std::unordered_map<std::string, Measurement> measurements_;
  std::unordered_map<std::string, ServiceRequest> service_requests_;
  std::unordered_map<std::string, ValueRecord> value_records_;
  Index people_of_, measurements_of_, requests_of_, value_records_of_;
  std::unordered_map<std::string, std::vector<int64_t>> breaches_reaching_;
  std::set<std::string> with_end_;
  void NoteAgreementEnd(const Relationship& rel);

  Index proposals_of_;
  Index built_on_, accessing_, depending_, offerings_of_, relationships_on_, provisions_in_,
      relationships_of_, groups_of_, services_of_;
  std::unordered_map<std::string, std::vector<TouchRecord>> touches_;
  std::unordered_map<std::string, std::set<Id>> owned_;
};

}  // namespace cocreate

#endif  // COCREATE_RULES_STATE_H_
