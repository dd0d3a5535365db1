// The nouns of the ITIL 4 service relationship model (CONTRACT §2) as plain
// value types, the events that record every accepted change, and the
// principal on whose behalf a request acts.
#ifndef COCREATE_MODEL_TYPES_H_
#define COCREATE_MODEL_TYPES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/decimal.h"
#include "model/id.h"
#include "model/json.h"
#include "model/timestamp.h"

namespace cocreate {

// The kinds of object an id can name; ids are unique across all of them.
enum class Noun {
  kOrganization, kConsumerGroup, kResource, kService, kOffering, kRelationship, kProvision
};
// "organization", "consumer_group", ... (the `type` of graph answers).
std::string_view NounName(Noun noun);
// "organizations", "consumer-groups", ... (the URL collection).
std::string_view CollectionName(Noun noun);
std::optional<Noun> NounFromCollection(std::string_view collection);

// `external_id` (on organizations, resources, services and offerings): the
// key of the object in the system it was imported from (CONTRACT §9.23),
// unique per noun; empty when it has none.

struct Organization {
  std::string id;
  std::string external_id;
  std::string name;
  std::string description;
  JsonText attributes = JsonText::FromDump("{}");
  Timestamp created_at;
  bool closed = false;  // status "closed" (CONTRACT §5); otherwise "active"
  Timestamp updated_at;  // empty until the first change
};

struct ConsumerGroup {
  std::string id;
  std::string name;
  std::string owner;  // the organization that keeps it, or empty (the admin's)
  std::vector<std::string> members;
  Timestamp created_at;
  Timestamp updated_at;
};

// One state of a resource. Every change (attributes or owner) makes a new one.
// The ids in it (owner, kind, provision) are handles (model/id.h): it is
// made only once the rules accepted the request.
struct ResourceVersion {
  int64_t version = 1;
  Id owner;
  Id kind;
  Id provision;  // the provision that made this version, or empty
  std::string name;
  JsonText attributes = JsonText::FromDump("{}");
  Timestamp at;
  int64_t seq = 0;        // the event that made it (set when applied, never encoded)
};

struct Resource {
  std::string id;
  std::string external_id;  // not versioned: the resource's, whatever its version
  Id origin_provision;  // the provision that created it, or empty
  std::vector<ResourceVersion> versions;  // oldest first; never empty
  bool retired = false;
  Timestamp retired_at;
  const ResourceVersion& current() const { return versions.back(); }
  // The version current just after event `seq`, or nullptr when the
  // resource did not exist yet.
  const ResourceVersion* AsOf(int64_t seq) const;
};

// Why a service is degraded: a resource it is built on, or a service it
// depends on, that its provider lost access to through `relationship`.
struct DegradedBy {
  std::string resource;  // exactly one of resource and service is set
  std::string service;
  std::string relationship;  // the relationship that gave the access, or empty
  bool operator==(const DegradedBy&) const = default;
};

struct Service {
  std::string id;
  std::string external_id;
  std::string provider;
  std::string name;
  std::string description;
  IdList built_on;    // resource ids
  IdList depends_on;  // service ids
  Timestamp created_at;
  Timestamp updated_at;
  bool retired = false;
  std::vector<DegradedBy> degraded_by;  // non-empty: status "degraded"
  int64_t seq = 0;  // the event that made this state (never encoded)
  // "active", "retired" or "degraded".
  std::string_view status() const {
    return retired ? "retired" : degraded_by.empty() ? "active" : "degraded";
  }
};

enum class Effect { kCreate, kModify, kTransfer, kNone };
std::string_view EffectName(Effect e);
std::optional<Effect> EffectFromName(std::string_view s);

struct Good { std::string kind, name; };
struct ServiceAction { std::string name; Effect effect = Effect::kNone; };
// A service level (CONTRACT §6): `target` says which side of the objective
// meets it: "at_least" (the default) or "at_most".
struct ServiceLevel {
  std::string metric;
  Json objective;
  std::string unit;
  std::string target = "at_least";
};
struct Price { Json amount; std::string currency, period; };

struct Offering {
  std::string id;
  std::string external_id;
  std::string provider;
  std::string service;
  std::string name;
  bool audience_public = true;
  std::vector<std::string> audience_groups;  // when not public
  std::vector<Good> goods;
  std::vector<std::string> access;  // resource ids
  std::vector<ServiceAction> actions;
  std::vector<ServiceLevel> service_levels;
  std::optional<Price> price;
  Timestamp created_at;
  Timestamp updated_at;
  int64_t version = 1;  // + 1 on every change (CONTRACT §5)
  bool retired = false;
  int64_t seq = 0;  // the event that made this state (never encoded)
  const ServiceAction* FindAction(std::string_view name) const;
};

enum class RelationshipType { kBasic, kCooperative, kPartnership };
std::string_view RelationshipTypeName(RelationshipType t);
std::optional<RelationshipType> RelationshipTypeFromName(std::string_view s);

// Relationship lifecycle; the transitions are decided in rules/lifecycle.h.
enum class RelationshipStatus { kRequested, kActive, kSuspended, kTerminated, kRejected };
std::string_view RelationshipStatusName(RelationshipStatus s);
std::optional<RelationshipStatus> RelationshipStatusFromName(std::string_view s);

// A person of an organization (CONTRACT §6, people). `organization` is
// empty for a person the admin made without one.
struct Person {
  std::string id;
  std::string organization;
  std::string name;
  std::string email;
  Timestamp created_at;
  // As given through TMF632 (CONTRACT §9.24); `name` is then both joined by
  // a space. Empty for a person made with a plain `name`.
  std::string given_name = {};
  std::string family_name = {};
};

// A party role declared through TMF669 (CONTRACT §8): a role other than the
// provider and consumer roles the rules derive. `engaged_party` is an
// organization or a person, or empty (the role belongs to no party);
// `owner` is the organization that declared it (empty: the admin).
// `details` keeps the other TMF members as given (roleType, status,
// validFor, characteristic, ...).
// A TMF641 service order (CONTRACT §8): the relationships and provisions its
// items caused, in the items' order. Its state is derived from them.
struct OrderItem {
  std::string id;      // the client's item id
  std::string action;  // "add", "modify" or "delete"
  std::string relationship;
  std::string provision;  // for "modify"
};
struct ServiceOrder {
  std::string id;
  std::string orderer;  // the organization that placed it; empty: the admin
  std::string description;
  std::string external_id;
  std::vector<OrderItem> items;
  Timestamp created_at;
};

// The ids of the roles the rules derive (provider and consumer,
// CONTRACT §2), as TMF669 party roles; no declared role takes such an id.: "ORG:provider" and
// "ORG:consumer".
std::string DerivedRoleId(const std::string& org, std::string_view role);
// The organization and role ("provider"/"consumer") a derived id names, or
// nullopt when `id` is not of that form.
std::optional<std::pair<std::string, std::string>> ParseDerivedRoleId(const std::string& id);

struct PartyRole {
  std::string id;
  std::string name;
  std::string engaged_party;
  std::string owner;
  Json details = Json::MakeObject();
  Timestamp created_at;
  Timestamp updated_at;
  bool removed = false;
};

// A person in a role on a relationship: the consumer's `customer`, `user`,
// `sponsor`, or the provider's `relationship_manager`.
struct RoleAssignment {
  std::string person;
  std::string role;
  std::string organization;  // the person's organization (a party)
  Timestamp assigned_at;
};
// True for the roles the consumer's (false: the provider's) people may take;
// nullopt for a role that does not exist.
std::optional<bool> IsConsumerRole(std::string_view role);

// What the two parties of a relationship agreed (CONTRACT §6). Version 1 is
// made on the first activation from the request and the offering; each
// accepted proposal makes the next.
struct Agreement {
  int64_t version = 1;
  RelationshipType type = RelationshipType::kBasic;
  std::vector<ServiceLevel> service_levels;
  std::optional<Price> price;
  std::string start;  // RFC 3339: the activation
  std::string end;    // RFC 3339, or empty: open-ended
  std::string renewal = "none";  // "none" or "auto"
  std::string proposal;  // the accepted proposal that made it, or empty
  Timestamp at;        // when it came into force
};

struct Relationship {
  std::string id;
  std::string offering;
  std::string provider;
  std::string consumer;
  RelationshipType type = RelationshipType::kBasic;
  RelationshipStatus status = RelationshipStatus::kRequested;
  Timestamp requested_at;
  Timestamp updated_at;
  Timestamp activated_at;  // first activation, or empty
  std::vector<Agreement> agreements;  // oldest first; empty until activated
  std::vector<RoleAssignment> roles;  // people in roles on it, in assignment order
  // True while requested, active or suspended.
  bool live() const {
    return status == RelationshipStatus::kRequested || status == RelationshipStatus::kActive ||
           status == RelationshipStatus::kSuspended;
  }
};

enum class ProposalStatus { kOpen, kAccepted, kDeclined, kWithdrawn };
std::string_view ProposalStatusName(ProposalStatus s);

// A proposed change of a relationship's agreement (CONTRACT §6). `changes`
// holds the agreement fields proposed, in the agreement's JSON shape.
struct Proposal {
  std::string id;
  std::string relationship;
  std::string by;  // the proposing party (an organization)
  ProposalStatus status = ProposalStatus::kOpen;
  Json changes = Json::MakeObject();
  std::string note;
  Timestamp created_at;
  Timestamp closed_at;
  std::string reason;  // why it was withdrawn or declined, when a reason was given
};

enum class ValueKind { kIntroduced, kRemoved };
std::string_view ValueKindName(ValueKind k);
std::optional<ValueKind> ValueKindFromName(std::string_view s);

struct Cost { Decimal amount; std::string currency; ValueKind kind = ValueKind::kIntroduced; };
struct Risk { std::string description; ValueKind kind = ValueKind::kIntroduced; };
struct Value {
  std::vector<std::string> outcomes;
  std::vector<Cost> costs;
  std::vector<Risk> risks;
  bool empty() const { return outcomes.empty() && costs.empty() && risks.empty(); }
};

// A period a measurement or a value statement is about (RFC 3339 times).
struct Period {
  std::string start, end;
  bool empty() const { return start.empty() && end.empty(); }
};

// A measurement of a service level (CONTRACT §6): the value measured over a
// period, judged against the objective in force at the period's end.
struct Measurement {
  std::string id;
  std::string relationship;
  std::string by;  // the party that measured it
  std::string metric;
  Json value;
  Period period;
  std::string note;
  Json objective;
  std::string unit;
  std::string target = "at_least";
  bool met = true;
  int64_t agreement_version = 1;
  Timestamp at;
  int64_t end_ms = 0;  // period.end in Unix milliseconds (set when applied, never encoded)
};

enum class RequestStatus { kOpen, kFulfilled, kDeclined, kCancelled };
std::string_view RequestStatusName(RequestStatus s);
std::optional<RequestStatus> RequestStatusFromName(std::string_view s);

// A consumer's request for one of the offering's actions (CONTRACT §6).
struct ServiceRequest {
  std::string id;
  std::string relationship;
  std::string consumer, provider;  // the relationship's parties
  std::string action;
  std::string note;
  Json details = Json::MakeObject();
  RequestStatus status = RequestStatus::kOpen;
  Timestamp opened_at;
  Timestamp closed_at;
  std::string provision;  // the provision that fulfilled it
  std::string reason;     // why it was declined or cancelled
};

// Value as one party of a relationship states it (CONTRACT §6).
struct ValueRecord {
  std::string id;
  std::string relationship;
  std::string party;
  Value value;
  Period period;
  std::string note;
  Timestamp at;
};

struct ModifiedResource { std::string resource; int64_t version = 0; };

struct Provision {
  std::string id;
  std::string relationship;
  std::string action;
  std::string provider;
  std::string consumer;
  std::vector<std::string> used;
  std::vector<std::string> created;
  std::vector<ModifiedResource> modified;
  std::vector<std::string> transferred;
  std::optional<Value> value;
  std::string request;  // the request it fulfilled, or empty
  Timestamp at;
  int64_t seq = 0;  // the event that recorded it (set when applied, never encoded)
};

// One entry of a role transition's evidence (CONTRACT §2, role transition):
// ids of objects that exist, so handles (model/id.h).
struct Evidence {
  Id service, resource, provision, relationship, provider;
};

struct RoleTransition {
  Timestamp at;
  std::vector<Evidence> evidence;
};

// Every kind of event, with its name in the log, the API and webhooks: the
// one table of them.
#define COCREATE_EVENT_TYPES(X) \
  X(kOrganizationCreated, "organization.created") \
  X(kOrganizationUpdated, "organization.updated") \
  X(kOrganizationClosed, "organization.closed") \
  X(kConsumerGroupCreated, "consumer_group.created") \
  X(kConsumerGroupUpdated, "consumer_group.updated") \
  X(kResourceCreated, "resource.created") \
  X(kResourceRevised, "resource.revised") \
  X(kResourceModified, "resource.modified") \
  X(kResourceTransferred, "resource.transferred") \
  X(kResourceRetired, "resource.retired") \
  X(kServiceCreated, "service.created") \
  X(kServiceUpdated, "service.updated") \
  X(kServiceRetired, "service.retired") \
  X(kServiceDegraded, "service.degraded") \
  X(kServiceRestored, "service.restored") \
  X(kOfferingCreated, "offering.created") \
  X(kOfferingUpdated, "offering.updated") \
  X(kOfferingRetired, "offering.retired") \
  X(kRelationshipRequested, "relationship.requested") \
  X(kRelationshipActivated, "relationship.activated") \
  X(kRelationshipRejected, "relationship.rejected") \
  X(kRelationshipSuspended, "relationship.suspended") \
  X(kRelationshipResumed, "relationship.resumed") \
  X(kRelationshipTerminated, "relationship.terminated") \
  X(kProvisionPerformed, "provision.performed") \
  X(kAccessGranted, "access.granted") \
  X(kAccessRevoked, "access.revoked") \
  X(kRoleTransitioned, "role.transitioned") \
  X(kAgreementProposed, "agreement.proposed") \
  X(kAgreementChanged, "agreement.changed") \
  X(kAgreementDeclined, "agreement.declined") \
  X(kAgreementWithdrawn, "agreement.withdrawn") \
  X(kMeasurementRecorded, "measurement.recorded") \
  X(kServiceLevelBreached, "service_level.breached") \
  X(kRequestOpened, "request.opened") \
  X(kRequestFulfilled, "request.fulfilled") \
  X(kRequestDeclined, "request.declined") \
  X(kRequestCancelled, "request.cancelled") \
  X(kValueStated, "value.stated") \
  X(kPersonCreated, "person.created") \
  X(kRoleAssigned, "role.assigned") \
  X(kRoleUnassigned, "role.unassigned") \
  X(kTokenIssued, "token.issued") \
  X(kTokenRevoked, "token.revoked") \
  X(kWebhookRegistered, "webhook.registered") \
  X(kWebhookDeleted, "webhook.deleted") \
  X(kPartyRoleDeclared, "party_role.declared") \
  X(kPartyRoleUpdated, "party_role.updated") \
  X(kPartyRoleRemoved, "party_role.removed") \
  X(kServiceOrderPlaced, "service_order.placed")

enum class EventType : uint8_t {
#define COCREATE_EVENT_TYPE_ENUM(name, text) name,
  COCREATE_EVENT_TYPES(COCREATE_EVENT_TYPE_ENUM)
#undef COCREATE_EVENT_TYPE_ENUM
};
// "organization.created", ...
std::string_view EventTypeName(EventType type);
std::optional<EventType> EventTypeFromName(std::string_view name);
// Every event type's name, in the table's order.
const std::vector<std::string_view>& EventTypeNames();
inline std::ostream& operator<<(std::ostream& os, EventType type) {
  return os << EventTypeName(type);
}

// An accepted change. `private_data` never leaves the server: it holds what
// the store must keep but clients must not see (the create request for
// idempotent retries, a token's digest).
struct Event {
  int64_t seq = 0;
  EventType type = EventType::kOrganizationCreated;
  std::string at;
  std::string actor;
  std::string subject;
  Json data = Json::MakeObject();
  Json private_data;
  // A provision.performed event as the rules made it may carry the provision
  // itself instead of `data` (then null): applying it takes the record as
  // is and a store writes its JSON straight from it, with no tree built,
  // read back or freed on the way (the hot path of every write load).
  // Whatever reads an event's data reads EventDataJson or EventDataText
  // (model/codec.h), which give the same for both forms; an event read from
  // a store always has `data`.
  std::shared_ptr<const Provision> provision;
  // The JSON text of `provision` once it was made (the committer makes it
  // for the provider's answer, which is the same bytes), so the store does
  // not encode it again. Empty: not made yet.
  std::string provision_text;
};

enum class Role { kAdmin, kMember, kViewer };

// "admin", "member", "viewer".
std::string_view RoleName(Role role);

// Who a request acts for: the admin, or an organization as member or viewer,
// possibly through one of its people; or the server itself ("system": the
// admin's rights, for what time brings about, CONTRACT §9.17).
struct Principal {
  Principal() = default;
  Principal(Role r, std::string org) : role(r), organization(std::move(org)) {}
  Role role = Role::kAdmin;
  std::string organization;  // empty for the admin
  std::string person;        // the person a person token acts for, or empty
  bool system = false;
  bool is_admin() const { return role == Role::kAdmin; }
  bool can_write() const { return role != Role::kViewer; }
  // The `actor` recorded on events: the person when there is one.
  std::string actor() const {
    if (system) return "system";
    if (!person.empty()) return person;
    return is_admin() ? "admin" : organization;
  }
  static Principal System() {
    Principal p;
    p.system = true;
    return p;
  }
  static Principal Admin() { return Principal{}; }
  static Principal Member(std::string org) { return Principal{Role::kMember, std::move(org)}; }
};

// Checks a client id against ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$.
bool IsValidId(std::string_view id);

}  // namespace cocreate

#endif  // COCREATE_MODEL_TYPES_H_
