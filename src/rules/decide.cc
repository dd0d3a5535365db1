#include "rules/decide.h"

#include <algorithm>
#include <set>

#include "model/codec.h"
#include "model/env.h"
#include "rules/visibility.h"
#include "rules/webhooks.h"

namespace cocreate {

namespace {

// Builds events of one decision with a shared time and actor.
class EventSink {
 public:
  EventSink(const Principal& p, const std::string& now)
      : actor_(p.actor()), now_(now), organization_(p.person.empty() ? "" : p.organization) {}
  Event& Add(EventType type, std::string subject, Json data) {
    Event e;
    e.type = type;
    e.at = now_;
    e.actor = actor_;
    e.subject = std::move(subject);
    e.data = std::move(data);
    // A person acts for its organization (CONTRACT §6, people).
    if (!organization_.empty() && e.data.is_object() && e.data.Find("organization") == nullptr) {
      e.data.Set("organization", Json(organization_));
    }
    events_.push_back(std::move(e));
    return events_.back();
  }
  // A provision.performed event carrying its provision (Event::provision);
  // as JSON data when a person acts, since its data then names the
  // organization too.
  Event& AddProvision(Provision p) {
    if (!organization_.empty()) {
      std::string id = p.id;
      return Add(EventType::kProvisionPerformed, std::move(id), ToJson(p));
    }
    Event& e = Add(EventType::kProvisionPerformed, p.id, Json());
    e.provision = std::make_shared<const Provision>(std::move(p));
    return e;
  }
  std::vector<Event> Take() { return std::move(events_); }

 private:
  std::string actor_;
  std::string now_;
  std::string organization_;  // set when a person acts
  std::vector<Event> events_;
};

Json RequestData(const Json& request) {
  return Json::MakeObject({{"request", request}});
}

// What a create's event keeps for safe retries: the request, only when the
// client named the id. A server-made id is never retried (a retry must send
// the same body, and a body naming the id differs from one that did not), so
// its request is neither logged nor digested in the state.
Json RetryData(const std::string& client_id, const Json& request) {
  return client_id.empty() ? Json() : RequestData(request);
}

// Makes a fresh id "<prefix>-<n>" not yet used in the state nor in `taken`.
std::string NewId(const State& state, std::string_view prefix, std::set<std::string>& taken) {
  int64_t n = state.last_seq() + 1;
  for (;;) {
    std::string id = std::string(prefix) + "-" + std::to_string(n++);
    if (!state.IdTaken(id) && !taken.count(id)) {
      taken.insert(id);
      return id;
    }
  }
}

Status RequireWriter(const Principal& p) {
  if (!p.can_write()) return Forbidden("a viewer token may only read");
  return Status::Ok();
}

Status RequireAdmin(const Principal& p, std::string_view what) {
  if (!p.is_admin()) return Forbidden("only the admin may " + std::string(what));
  return Status::Ok();
}

// An organization acting in its own name only.
Status RequireSelf(const Principal& p, const std::string& org, std::string_view field) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  if (!p.is_admin() && p.organization != org) {
    return Forbidden("your token acts for '" + p.organization + "', so '" + std::string(field) +
                     "' must be '" + p.organization + "'");
  }
  return Status::Ok();
}

// Result of the duplicate-id check of a create.
enum class IdCheck { kFresh, kRetry };

// "admin" and "system" name actors in events; no object may take them.
bool Reserved(const std::string& id) { return id == "admin" || id == "system"; }

Status ReservedId(const std::string& id) {
  return Conflict("duplicate_id", "the id '" + id + "' is reserved: events name their actor so");
}

StatusOr<IdCheck> CheckClientId(const State& state, const std::string& id, Noun noun,
                                const Json& request) {
  if (id.empty()) return IdCheck::kFresh;
  if (Reserved(id)) return ReservedId(id);
  const Noun* existing = state.FindNoun(id);
  if (existing == nullptr && !state.IdTaken(id)) return IdCheck::kFresh;
  const JsonDigest* original = state.FindRequest(id);
  if (existing != nullptr && *existing == noun && original != nullptr &&
      *original == request.Digest()) {
    return IdCheck::kRetry;
  }
  return Conflict("duplicate_id", "the id '" + id +
                                      "' is already taken; a retry must send the same body");
}

Status RequireOrganization(const State& state, const std::string& id, std::string field) {
  if (state.FindOrganization(id) == nullptr) return UnknownReference(std::move(field), id);
  return Status::Ok();
}

// A reference in a body to something of `noun` that the caller must see.
Status RequireVisible(const State& state, const Principal& p, Noun noun, const std::string& id,
                      std::string field) {
  const Noun* n = state.FindNoun(id);
  if (n == nullptr || *n != noun || !CanSee(state, p, noun, id)) {
    return UnknownReference(std::move(field), id);
  }
  return Status::Ok();
}

std::string Indexed(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

// 422 organization_closed when `org` is closed (CONTRACT §5).
Status RequireOpen(const State& state, const std::string& org, std::string field,
                   std::string_view what) {
  const Organization* o = state.FindOrganization(org);
  if (o != nullptr && o->closed) {
    return Unprocessable("organization_closed",
                         "organization '" + org + "' is closed and cannot " + std::string(what),
                         std::move(field));
  }
  return Status::Ok();
}

bool IsRetired(const State& state, Noun noun, const std::string& id) {
  switch (noun) {
    case Noun::kResource: {
      const Resource* r = state.FindResource(id);
      return r != nullptr && r->retired;
    }
    case Noun::kService: {
      const Service* s = state.FindService(id);
      return s != nullptr && s->retired;
    }
    case Noun::kOffering: {
      const Offering* o = state.FindOffering(id);
      return o != nullptr && o->retired;
    }
    default:
      return false;
  }
}

// 422 retired_reference for a new reference to a retired object.
Status RequireNotRetired(const State& state, Noun noun, const std::string& id, std::string field) {
  if (!IsRetired(state, noun, id)) return Status::Ok();
  return Unprocessable("retired_reference",
                       std::string(NounName(noun)) + " '" + id +
                           "' is retired and cannot be named by a new reference",
                       std::move(field));
}

// A change by a member of `org` (or the admin, CONTRACT §9.26).
Status RequireMemberOf(const Principal& p, const std::string& org, std::string_view what) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  if (!p.is_admin() && p.organization != org) {
    return Forbidden("only a member of '" + org + "' may " + std::string(what));
  }
  return Status::Ok();
}

// 409 duplicate_external_id when `external_id` already names another object
// of `noun` than `self` (CONTRACT §9.23: unique per noun).
Status RequireFreeExternalId(const State& state, Noun noun, const std::string& external_id,
                             const std::string& self = "") {
  if (external_id.empty()) return Status::Ok();
  const std::string* holder = state.FindByExternalId(noun, external_id);
  if (holder == nullptr || *holder == self) return Status::Ok();
  return Status(Code::kConflict, "duplicate_external_id",
                "external_id '" + external_id + "' already names " + std::string(NounName(noun)) +
                    " '" + *holder + "'; an external_id names one object of each noun",
                "external_id");
}

Status RetiredConflict(Noun noun, const std::string& id) {
  return Conflict("retired", std::string(NounName(noun)) + " '" + id +
                                 "' is retired; a retired object does not change");
}

// The event that records the creation of a `noun`.
EventType CreatedType(Noun noun) {
  switch (noun) {
    case Noun::kOrganization: return EventType::kOrganizationCreated;
    case Noun::kConsumerGroup: return EventType::kConsumerGroupCreated;
    case Noun::kResource: return EventType::kResourceCreated;
    case Noun::kService: return EventType::kServiceCreated;
    case Noun::kOffering: return EventType::kOfferingCreated;
    case Noun::kRelationship: return EventType::kRelationshipRequested;
    case Noun::kProvision: return EventType::kProvisionPerformed;
  }
  return EventType::kOrganizationCreated;  // unreachable: every noun is listed
}

// Records the creation of `object`, giving it a server-made id when the
// client sent none.
template <typename T>
Decision Created(const State& state, const Principal& p, Noun noun, std::string_view prefix,
                 T object, const Json& request, const std::string& now) {
  std::set<std::string> taken;
  const std::string client_id = object.id;
  if (object.id.empty()) object.id = NewId(state, prefix, taken);
  object.created_at = now;
  EventSink sink(p, now);
  sink.Add(CreatedType(noun), object.id, ToJson(object)).private_data =
      RetryData(client_id, request);
  return Decision{sink.Take(), noun, object.id, true};
}

Decision Retry(Noun noun, const std::string& id) {
  Decision d;
  d.noun = noun;
  d.subject = id;
  d.created = false;
  return d;
}

StatusOr<Decision> DecideOrganization(const State& state, const Principal& p,
                                      const CreateOrganization& c, const Json& request,
                                      const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  CC_RETURN_IF_ERROR(RequireAdmin(p, "create organizations"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, c.org.id, Noun::kOrganization, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kOrganization, c.org.id);
  CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kOrganization, c.org.external_id));
  return Created(state, p, Noun::kOrganization, "org", c.org, request, now);
}

StatusOr<Decision> DecideGroup(const State& state, const Principal& p,
                               const CreateConsumerGroup& c, const Json& request,
                               const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  ConsumerGroup group = c.group;
  // A member keeps groups of its own organization (CONTRACT §9.10).
  if (!p.is_admin() && group.owner.empty()) group.owner = p.organization;
  if (!group.owner.empty()) {
    CC_RETURN_IF_ERROR(RequireSelf(p, group.owner, "owner"));
  }
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckClientId(state, c.group.id, Noun::kConsumerGroup, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kConsumerGroup, c.group.id);
  if (!group.owner.empty()) {
    CC_RETURN_IF_ERROR(RequireOrganization(state, group.owner, "owner"));
    CC_RETURN_IF_ERROR(RequireOpen(state, group.owner, "owner", "keep new consumer groups"));
  }
  for (size_t i = 0; i < group.members.size(); ++i) {
    CC_RETURN_IF_ERROR(RequireOrganization(state, group.members[i], Indexed("members", i)));
  }
  for (size_t i = 0; i < group.members.size(); ++i) {
    CC_RETURN_IF_ERROR(
        RequireOpen(state, group.members[i], Indexed("members", i), "join consumer groups"));
  }
  return Created(state, p, Noun::kConsumerGroup, "group", group, request, now);
}

Resource MakeResource(const std::string& id, const std::string& owner, const NewResource& spec,
                      const std::string& origin, const std::string& now) {
  Resource r;
  r.id = id;
  r.origin_provision = Id(origin);
  ResourceVersion v;
  v.version = 1;
  v.owner = Id(owner);
  v.kind = Id(spec.kind);
  v.name = spec.name;
  v.attributes = spec.attributes;
  v.at = now;
  v.provision = r.origin_provision;
  r.versions.push_back(std::move(v));
  return r;
}

StatusOr<Decision> DecideResource(const State& state, const Principal& p,
                                  const CreateResource& c, const Json& request,
                                  const std::string& now) {
  CC_RETURN_IF_ERROR(RequireSelf(p, c.owner, "owner"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, c.resource.id, Noun::kResource, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kResource, c.resource.id);
  CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kResource, c.external_id));
  CC_RETURN_IF_ERROR(RequireOrganization(state, c.owner, "owner"));
  CC_RETURN_IF_ERROR(RequireOpen(state, c.owner, "owner", "own new resources"));
  std::set<std::string> taken;
  std::string id = c.resource.id.empty() ? NewId(state, "res", taken) : c.resource.id;
  EventSink sink(p, now);
  Resource created = MakeResource(id, c.owner, c.resource, "", now);
  created.external_id = c.external_id;
  sink.Add(EventType::kResourceCreated, id, ToJson(created)).private_data =
      RetryData(c.resource.id, request);
  return Decision{sink.Take(), Noun::kResource, id, true};
}

// `spec`'s id (possibly empty) and provider, with the lists of `links`.
Status CheckServiceLinks(const State& state, const Principal& p, const Service& spec,
                         const ServiceLinks& links);

StatusOr<Decision> DecideService(const State& state, const Principal& p, const CreateService& c,
                                 const Json& request, const std::string& now) {
  Service spec = c.service;
  CC_RETURN_IF_ERROR(RequireSelf(p, spec.provider, "provider"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, spec.id, Noun::kService, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kService, spec.id);
  CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kService, spec.external_id));
  CC_RETURN_IF_ERROR(RequireOrganization(state, spec.provider, "provider"));
  CC_RETURN_IF_ERROR(RequireOpen(state, spec.provider, "provider", "run new services"));
  CC_RETURN_IF_ERROR(CheckServiceLinks(state, p, spec, c.links));
  spec.built_on = Intern(c.links.built_on);
  spec.depends_on = Intern(c.links.depends_on);
  return Created(state, p, Noun::kService, "svc", spec, request, now);
}

// The §2 rules on a service's built_on and depends_on (at create and PATCH).
Status CheckServiceLinks(const State& state, const Principal& p, const Service& spec,
                         const ServiceLinks& links) {
  // §9.4: retired_reference before the v1 rules (unknown_reference among
  // them); only a reference the caller may see can be called retired.
  for (size_t i = 0; i < links.built_on.size(); ++i) {
    if (CanSeeId(state, p, links.built_on[i])) {
      CC_RETURN_IF_ERROR(
          RequireNotRetired(state, Noun::kResource, links.built_on[i], Indexed("built_on", i)));
    }
  }
  for (size_t i = 0; i < links.depends_on.size(); ++i) {
    if (CanSeeId(state, p, links.depends_on[i])) {
      CC_RETURN_IF_ERROR(
          RequireNotRetired(state, Noun::kService, links.depends_on[i], Indexed("depends_on", i)));
    }
  }
  for (size_t i = 0; i < links.built_on.size(); ++i) {
    CC_RETURN_IF_ERROR(
        RequireVisible(state, p, Noun::kResource, links.built_on[i], Indexed("built_on", i)));
  }
  for (size_t i = 0; i < links.depends_on.size(); ++i) {
    CC_RETURN_IF_ERROR(
        RequireVisible(state, p, Noun::kService, links.depends_on[i], Indexed("depends_on", i)));
  }
  for (size_t i = 0; i < links.built_on.size(); ++i) {
    CC_RETURN_IF_ERROR(
        RequireNotRetired(state, Noun::kResource, links.built_on[i], Indexed("built_on", i)));
  }
  for (size_t i = 0; i < links.depends_on.size(); ++i) {
    CC_RETURN_IF_ERROR(
        RequireNotRetired(state, Noun::kService, links.depends_on[i], Indexed("depends_on", i)));
  }
  for (size_t i = 0; i < links.built_on.size(); ++i) {
    const std::string& r = links.built_on[i];
    if (!state.CanUseResource(spec.provider, r)) {
      return Unprocessable("resource_not_usable",
                           "a service may be built only on resources its provider owns or has "
                           "access to through an active relationship; '" +
                               spec.provider + "' cannot use '" + r + "'",
                           Indexed("built_on", i));
    }
  }
  for (size_t i = 0; i < links.depends_on.size(); ++i) {
    const std::string& s = links.depends_on[i];
    if (!state.CanUseService(spec.provider, s)) {
      return Unprocessable("service_not_usable",
                           "a service may depend only on its provider's own services or services "
                           "it consumes through an active relationship; '" +
                               spec.provider + "' does not consume '" + s + "'",
                           Indexed("depends_on", i));
    }
    if (s == spec.id) {
      return Unprocessable("service_not_usable", "a service cannot depend on itself",
                           Indexed("depends_on", i));
    }
  }
  return Status::Ok();
}

Status CheckOfferingLinks(const State& state, const Principal& p, const Offering& spec);

StatusOr<Decision> DecideOffering(const State& state, const Principal& p,
                                  const CreateOffering& c, const Json& request,
                                  const std::string& now) {
  const Offering& spec = c.offering;
  CC_RETURN_IF_ERROR(RequireSelf(p, spec.provider, "provider"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, spec.id, Noun::kOffering, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kOffering, spec.id);
  CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kOffering, spec.external_id));
  CC_RETURN_IF_ERROR(RequireOrganization(state, spec.provider, "provider"));
  CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kService, spec.service, "service"));
  CC_RETURN_IF_ERROR(RequireOpen(state, spec.provider, "provider", "make new offerings"));
  CC_RETURN_IF_ERROR(RequireNotRetired(state, Noun::kService, spec.service, "service"));
  if (state.FindService(spec.service)->provider != spec.provider) {
    return Unprocessable("not_provider",
                         "an offering describes one of its provider's own services; '" +
                             spec.service + "' is not provided by '" + spec.provider + "'",
                         "service");
  }
  CC_RETURN_IF_ERROR(CheckOfferingLinks(state, p, spec));
  return Created(state, p, Noun::kOffering, "off", spec, request, now);
}

// The rules on an offering's access and audience (at create and PATCH).
Status CheckOfferingLinks(const State& state, const Principal& p, const Offering& spec) {
  for (size_t i = 0; i < spec.access.size(); ++i) {
    if (CanSeeId(state, p, spec.access[i])) {
      CC_RETURN_IF_ERROR(RequireNotRetired(state, Noun::kResource, spec.access[i],
                                           Indexed("access", i) + ".resource"));
    }
  }
  for (size_t i = 0; i < spec.access.size(); ++i) {
    const std::string field = Indexed("access", i) + ".resource";
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, spec.access[i], field));
  }
  // An audience names admin-made groups and the provider's own (§9.10).
  for (size_t i = 0; i < spec.audience_groups.size(); ++i) {
    const ConsumerGroup* g = state.FindGroup(spec.audience_groups[i]);
    if (g == nullptr || (!g->owner.empty() && g->owner != spec.provider)) {
      return UnknownReference(Indexed("audience.consumer_groups", i), spec.audience_groups[i]);
    }
  }
  for (size_t i = 0; i < spec.access.size(); ++i) {
    CC_RETURN_IF_ERROR(RequireNotRetired(state, Noun::kResource, spec.access[i],
                                         Indexed("access", i) + ".resource"));
  }
  for (size_t i = 0; i < spec.access.size(); ++i) {
    const std::string field = Indexed("access", i) + ".resource";
    if (state.FindResource(spec.access[i])->current().owner != spec.provider) {
      return Unprocessable("resource_not_usable",
                           "an offering may give access only to resources its provider owns; '" +
                               spec.access[i] + "' is not owned by '" + spec.provider + "'",
                           field);
    }
  }
  return Status::Ok();
}

StatusOr<Decision> DecideRelationship(const State& state, const Principal& p,
                                      const CreateRelationship& c, const Json& request,
                                      const std::string& now) {
  const Relationship& spec = c.relationship;
  CC_RETURN_IF_ERROR(RequireSelf(p, spec.consumer, "consumer"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, spec.id, Noun::kRelationship, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kRelationship, spec.id);
  // One live relationship per consumer and offering (CONTRACT §5). A 409
  // before the 422s (§3 order); it reveals nothing: the consumer is party to
  // that relationship, so it sees the offering.
  for (const std::string& other_id : state.RelationshipsOn(spec.offering)) {
    const Relationship& other = *state.FindRelationship(other_id);
    if (other.consumer == spec.consumer && other.live()) {
      return Conflict("duplicate_relationship",
                      "'" + spec.consumer + "' already has relationship '" + other.id +
                          "' on offering '" + spec.offering + "' (" +
                          std::string(RelationshipStatusName(other.status)) +
                          "); terminate it before requesting another");
    }
  }
  CC_RETURN_IF_ERROR(RequireOrganization(state, spec.consumer, "consumer"));
  CC_RETURN_IF_ERROR(RequireOpen(state, spec.consumer, "consumer", "request new relationships"));
  // An offering the caller may not see is unknown, worded as one that does
  // not exist (CONTRACT §3); `not_in_audience` is left for a caller who sees
  // the offering, e.g. the admin acting for a consumer outside its audience.
  CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kOffering, spec.offering, "offering"));
  const Offering& offering = *state.FindOffering(spec.offering);
  CC_RETURN_IF_ERROR(
      RequireOpen(state, offering.provider, "offering", "be party to new relationships"));
  if (offering.retired) {
    return Unprocessable("offering_retired",
                         "offering '" + offering.id + "' is retired and takes no new requests",
                         "offering");
  }
  if (offering.provider == spec.consumer) {
    return Unprocessable("self_relationship",
                         "an organization cannot consume its own offering", "consumer");
  }
  if (!state.InAudience(offering, spec.consumer)) {
    return Unprocessable("not_in_audience", "'" + spec.consumer +
                                                "' is not in the audience of offering '" +
                                                offering.id + "'",
                         "consumer");
  }
  Relationship rel = spec;
  std::set<std::string> taken;
  if (rel.id.empty()) rel.id = NewId(state, "rel", taken);
  rel.provider = offering.provider;
  rel.status = RelationshipStatus::kRequested;
  rel.requested_at = now;
  rel.updated_at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kRelationshipRequested, rel.id, ToJson(rel)).private_data =
      RetryData(spec.id, request);
  return Decision{sink.Take(), Noun::kRelationship, rel.id, true};
}

Json AccessData(const Relationship& rel, const std::vector<std::string>& ids) {
  Json resources = Json::MakeArray();
  for (const auto& r : ids) resources.Push(Json(r));
  return Json::MakeObject({{"consumer", Json(rel.consumer)}, {"resources", std::move(resources)}});
}

// What an activation or resumption grants: the offering's access as it is
// now, retired resources left out (CONTRACT §9.13).
std::vector<std::string> Grantable(const State& state, const Offering& offering) {
  std::vector<std::string> out;
  for (const auto& r : offering.access) {
    if (!IsRetired(state, Noun::kResource, r)) out.push_back(r);
  }
  return out;
}

// What `rel` grants now (revoked on suspension and termination).
std::vector<std::string> Granted(const State& state, const Relationship& rel) {
  std::vector<std::string> out;
  for (const auto& r : state.FindOffering(rel.offering)->access) {
    if (state.GrantsThrough(rel.consumer, r, rel.id)) out.push_back(r);
  }
  return out;
}

StatusOr<Decision> DecideLifecycle(const State& state, const Principal& p,
                                   const ChangeRelationship& c, const std::string& now) {
  const Relationship* rel = state.FindRelationship(c.relationship);
  if (rel == nullptr || !CanSee(state, p, Noun::kRelationship, rel->id)) {
    return NotFound("no relationship '" + c.relationship + "'");
  }
  CC_RETURN_IF_ERROR(RequireWriter(p));
  std::string_view verb = LifecycleVerbName(c.verb);
  if (c.verb != LifecycleVerb::kTerminate && !p.is_admin() && p.organization != rel->provider) {
    return Forbidden("only the provider '" + rel->provider + "' may " + std::string(verb) +
                     " this relationship");
  }
  auto next = NextStatus(rel->status, c.verb);
  if (!next) {
    return Conflict("invalid_transition",
                    "cannot " + std::string(verb) + " a relationship that is " +
                        std::string(RelationshipStatusName(rel->status)));
  }
  static constexpr std::string_view kPast[] = {"activated", "rejected", "suspended", "resumed",
                                               "terminated"};
  const Offering& offering = *state.FindOffering(rel->offering);
  EventSink sink(p, now);
  Json data = Json::MakeObject({{"from", Json(RelationshipStatusName(rel->status))},
                                {"to", Json(RelationshipStatusName(*next))}});
  if (c.verb == LifecycleVerb::kActivate && rel->activated_at.empty()) {
    // Agreement version 1 (CONTRACT §6): the request's type, the offering's
    // service levels and price, from now on, open-ended.
    Agreement a;
    a.type = rel->type;
    a.service_levels = offering.service_levels;
    a.price = offering.price;
    a.start = now;
    a.at = now;
    data.Set("agreement", ToJson(a));
  }
  sink.Add(*EventTypeFromName("relationship." + std::string(kPast[static_cast<size_t>(c.verb)])),
           rel->id, std::move(data));
  if (*next == RelationshipStatus::kTerminated) {
    // Its open proposals are withdrawn (CONTRACT §9.15).
    for (const std::string& id : state.ProposalsOf(rel->id)) {
      if (state.FindProposal(id)->status != ProposalStatus::kOpen) continue;
      sink.Add(EventType::kAgreementWithdrawn, rel->id,
               Json::MakeObject({{"proposal", Json(id)},
                                 {"reason", Json("relationship_terminated")}}));
    }
    // And its open requests cancelled.
    for (const std::string& id : state.RequestsOf(rel->id)) {
      if (state.FindServiceRequest(id)->status != RequestStatus::kOpen) continue;
      sink.Add(EventType::kRequestCancelled, id,
               Json::MakeObject({{"relationship", Json(rel->id)},
                                 {"reason", Json("relationship_terminated")}}));
    }
  }
  // Every activation and resumption grants, every suspension and
  // termination of an active one revokes (CONTRACT §2), even when the
  // offering gives access to nothing: the event marks the moment.
  if (*next == RelationshipStatus::kActive) {
    sink.Add(EventType::kAccessGranted, rel->id, AccessData(*rel, Grantable(state, offering)));
  } else if (rel->status == RelationshipStatus::kActive) {
    sink.Add(EventType::kAccessRevoked, rel->id, AccessData(*rel, Granted(state, *rel)));
  }
  if (c.verb == LifecycleVerb::kActivate) {
    const RoleRecord* roles = state.FindRoles(rel->provider);
    if (roles != nullptr && !roles->consumer_since.empty() && roles->provider_since.empty()) {
      Json evidence = Json::MakeArray();
      for (const Evidence& e : TransitionEvidence(state, rel->provider)) {
        evidence.Push(ToJson(e));
      }
      sink.Add(EventType::kRoleTransitioned, rel->provider,
               Json::MakeObject({{"from", Json("consumer")},
                                 {"to", Json("provider")},
                                 {"relationship", Json(rel->id)},
                                 {"evidence", std::move(evidence)}}));
    }
  }
  return Decision{sink.Take(), Noun::kRelationship, rel->id, false};
}

StatusOr<Decision> DecideProvision(const State& state, const Principal& p,
                                   const CreateProvision& c, const Json& request,
                                   const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kRelationship, c.relationship, "relationship"));
  const Relationship& rel = *state.FindRelationship(c.relationship);
  if (!p.is_admin() && p.organization != rel.provider) {
    return Forbidden("only the provider '" + rel.provider + "' performs provisions");
  }
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, c.id, Noun::kProvision, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kProvision, c.id);
  std::set<std::string> taken;
  for (size_t i = 0; i < c.creates.size(); ++i) {
    const std::string& id = c.creates[i].id;
    if (id.empty()) continue;
    if (Reserved(id) || state.IdTaken(id) || taken.count(id) || id == c.id) {
      return Conflict("duplicate_id", "the id '" + id + "' in " + Indexed("creates", i) +
                                          " is already taken");
    }
    taken.insert(id);
  }
  if (rel.status != RelationshipStatus::kActive) {
    return Conflict("relationship_not_active",
                    "provisions are performed only within an active relationship; '" + rel.id +
                        "' is " + std::string(RelationshipStatusName(rel.status)));
  }
  // The request it fulfils (CONTRACT §6): one of this relationship's, open
  // (409 before the 422s), for this action.
  const ServiceRequest* fulfils =
      c.request.empty() ? nullptr : state.FindServiceRequest(c.request);
  if (fulfils != nullptr && fulfils->relationship == rel.id &&
      fulfils->status != RequestStatus::kOpen) {
    return Conflict("request_not_open",
                    "request '" + fulfils->id + "' is " +
                        std::string(RequestStatusName(fulfils->status)) + ", not open");
  }
  if (!c.request.empty()) {
    if (fulfils == nullptr || !CanSee(state, p, Noun::kRelationship, fulfils->relationship)) {
      return UnknownReference("request", c.request);
    }
    if (fulfils->relationship != rel.id || fulfils->action != c.action) {
      return Unprocessable("request_mismatch",
                           "request '" + fulfils->id + "' asks for '" + fulfils->action +
                               "' within '" + fulfils->relationship +
                               "'; a provision fulfils it with the same action in the same "
                               "relationship",
                           "request");
    }
  }
  for (size_t i = 0; i < c.used.size(); ++i) {
    if (CanSeeId(state, p, c.used[i])) {
      CC_RETURN_IF_ERROR(
          RequireNotRetired(state, Noun::kResource, c.used[i], Indexed("used", i)));
    }
  }
  for (size_t i = 0; i < c.used.size(); ++i) {
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, c.used[i], Indexed("used", i)));
  }
  for (size_t i = 0; i < c.modifies.size(); ++i) {
    const std::string& id = c.modifies[i].resource;
    const Resource* r = state.FindResource(id);
    if (r != nullptr && r->current().owner == rel.consumer) {
      CC_RETURN_IF_ERROR(RequireNotRetired(state, Noun::kResource, id,
                                           Indexed("modifies", i) + ".resource"));
    }
  }
  for (size_t i = 0; i < c.used.size(); ++i) {
    CC_RETURN_IF_ERROR(RequireNotRetired(state, Noun::kResource, c.used[i], Indexed("used", i)));
  }
  for (size_t i = 0; i < c.transfers.size(); ++i) {
    const std::string& id = c.transfers[i];
    const Noun* noun = state.FindNoun(id);
    if (noun != nullptr && *noun == Noun::kResource && CanSee(state, p, Noun::kResource, id)) {
      CC_RETURN_IF_ERROR(RequireNotRetired(state, Noun::kResource, id, Indexed("transfers", i)));
    }
  }
  const Offering& offering = *state.FindOffering(rel.offering);
  const ServiceAction* action = offering.FindAction(c.action);
  if (action == nullptr) {
    return Unprocessable("action_not_offered", "offering '" + offering.id +
                                                   "' has no action '" + c.action + "'",
                         "action");
  }
  auto not_allowed = [&](std::string_view field) {
    return Unprocessable("effect_not_allowed",
                         "action '" + action->name + "' has effect '" +
                             std::string(EffectName(action->effect)) + "', which does not allow '" +
                             std::string(field) + "'",
                         std::string(field));
  };
  if (!c.creates.empty() && action->effect != Effect::kCreate) return not_allowed("creates");
  if (!c.modifies.empty() && action->effect != Effect::kModify) return not_allowed("modifies");
  if (!c.transfers.empty() && action->effect != Effect::kTransfer) return not_allowed("transfers");

  for (size_t i = 0; i < c.used.size(); ++i) {
    if (!state.CanUseResource(rel.provider, c.used[i])) {
      return Unprocessable("resource_not_usable",
                           "a provision may use only resources its provider owns or has access "
                           "to; '" + rel.provider + "' cannot use '" + c.used[i] + "'",
                           Indexed("used", i));
    }
  }
  std::set<std::string> modified_ids;
  for (size_t i = 0; i < c.modifies.size(); ++i) {
    const std::string& id = c.modifies[i].resource;
    const std::string field = Indexed("modifies", i) + ".resource";
    const Resource* r = state.FindResource(id);
    bool consumer_owned = r != nullptr && r->current().owner == rel.consumer;
    if (!consumer_owned) {
      CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, id, field));
      return Unprocessable("not_consumer_owned",
                           "a provision modifies only resources owned by the consumer '" +
                               rel.consumer + "'; '" + id + "' is not",
                           field);
    }
    if (!modified_ids.insert(id).second) {
      return InvalidField(field, "resource '" + id + "' is listed twice in 'modifies'");
    }
  }
  std::set<std::string> transfer_ids;
  for (size_t i = 0; i < c.transfers.size(); ++i) {
    const std::string& id = c.transfers[i];
    const std::string field = Indexed("transfers", i);
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, id, field));
    const ResourceVersion& v = state.FindResource(id)->current();
    if (v.owner != rel.provider) {
      return Unprocessable("not_transferable", "only resources owned by the provider '" +
                                                   rel.provider + "' can be transferred; '" + id +
                                                   "' is owned by '" + v.owner + "'",
                           field);
    }
    bool is_good = false;
    for (const auto& g : offering.goods) is_good = is_good || g.kind == v.kind;
    if (!is_good) {
      return Unprocessable("not_transferable", "'" + id + "' is of kind '" + v.kind +
                                                   "', which is not among the goods of offering '" +
                                                   offering.id + "'",
                           field);
    }
    if (state.IsCommitted(id)) {
      return Unprocessable("not_transferable",
                           "'" + id + "' cannot be transferred: an offering gives access to it "
                           "or a service is built on it",
                           field);
    }
    if (!transfer_ids.insert(id).second) {
      return InvalidField(field, "resource '" + id + "' is listed twice in 'transfers'");
    }
  }

  Provision prov;
  prov.id = c.id.empty() ? NewId(state, "prov", taken) : c.id;
  prov.relationship = rel.id;
  prov.action = c.action;
  prov.provider = rel.provider;
  prov.consumer = rel.consumer;
  prov.used = c.used;
  prov.value = c.value;
  prov.request = c.request;
  prov.at = now;
  std::vector<Resource> created;
  for (const auto& spec : c.creates) {
    std::string id = spec.id.empty() ? NewId(state, "res", taken) : spec.id;
    created.push_back(MakeResource(id, rel.consumer, spec, prov.id, now));
    prov.created.push_back(id);
  }
  std::vector<Json> modified_data;
  for (const auto& m : c.modifies) {
    const Resource& r = *state.FindResource(m.resource);
    int64_t version = r.current().version + 1;
    prov.modified.push_back({r.id, version});
    modified_data.push_back(Json::MakeObject(
        {{"provision", Json(prov.id)},
         {"version", Json(version)},
         {"attributes", MergePatch(r.current().attributes.value(), m.patch)},
         {"patch", m.patch}}));
  }
  prov.transferred = c.transfers;

  EventSink sink(p, now);
  const std::string prov_id = prov.id;
  sink.AddProvision(std::move(prov)).private_data = RetryData(c.id, request);
  for (const auto& r : created) sink.Add(EventType::kResourceCreated, r.id, ToJson(r));
  for (size_t i = 0; i < c.modifies.size(); ++i) {
    sink.Add(EventType::kResourceModified, c.modifies[i].resource, std::move(modified_data[i]));
  }
  for (const auto& id : c.transfers) {
    const Resource& r = *state.FindResource(id);
    sink.Add(EventType::kResourceTransferred, id,
             Json::MakeObject({{"provision", Json(prov_id)},
                               {"from", Json(rel.provider)},
                               {"to", Json(rel.consumer)},
                               {"version", Json(r.current().version + 1)}}));
  }
  if (!c.request.empty()) {
    sink.Add(EventType::kRequestFulfilled, c.request,
             Json::MakeObject({{"relationship", Json(rel.id)}, {"provision", Json(prov_id)}}));
  }
  return Decision{sink.Take(), Noun::kProvision, prov_id, true};
}

StatusOr<Decision> DecideToken(const State& state, const Principal& p, const IssueToken& c,
                               const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  CC_RETURN_IF_ERROR(RequireAdmin(p, "issue tokens"));
  CC_RETURN_IF_ERROR(RequireOrganization(state, c.organization, "organization"));
  CC_RETURN_IF_ERROR(RequireOpen(state, c.organization, "organization", "be given tokens"));
  if (!c.person.empty()) {
    const Person* person = state.FindPerson(c.person);
    if (person == nullptr || person->organization != c.organization) {
      return UnknownReference("person", c.person);
    }
  }
  if (c.secret_digest.empty()) return Internal("token digest missing");
  // The event's seq makes the id unique; tokens issued before they had ids
  // get theirs the same way, from their own seq (State::Apply).
  std::string id = "tok-" + std::to_string(state.last_seq() + 1);
  Json data = Json::MakeObject(
      {{"id", Json(id)},
       {"organization", Json(c.organization)},
       {"role", Json(RoleName(c.role))}});
  if (!c.person.empty()) data.Set("person", Json(c.person));
  if (c.expires_in > 0) {
    std::optional<int64_t> at = UnixMillis(now);
    if (!at) return Internal("the clock gave a time that is not RFC 3339: " + now);
    data.Set("expires_at", Json(FormatUnixMillis(*at + c.expires_in * 1000)));
  }
  EventSink sink(p, now);
  Event& e = sink.Add(EventType::kTokenIssued, c.organization, std::move(data));
  e.private_data = Json::MakeObject({{"digest", Json(c.secret_digest)}});
  return Decision{sink.Take(), Noun::kOrganization, id, true};
}

StatusOr<Decision> DecideRevokeToken(const State& state, const Principal& p, const RevokeToken& c,
                                     const std::string& now) {
  // Another organization's token is as absent as one never issued.
  const TokenRecord* token = state.FindTokenById(c.id);
  if (token == nullptr || (!p.is_admin() && token->principal.organization != p.organization)) {
    return NotFound("no token '" + c.id + "'");
  }
  CC_RETURN_IF_ERROR(RequireWriter(p));
  EventSink sink(p, now);
  sink.Add(EventType::kTokenRevoked, token->principal.organization,
           Json::MakeObject({{"id", Json(token->id)},
                             {"organization", Json(token->principal.organization)}}));
  return Decision{sink.Take(), Noun::kOrganization, token->id, false};
}


// --- Changes (CONTRACT §5) ---

Decision Unchanged(Noun noun, const std::string& id) { return Retry(noun, id); }

StatusOr<Decision> DecidePatchOrganization(const State& state, const Principal& p,
                                           const PatchOrganization& c, const std::string& now) {
  const Organization* org = state.FindOrganization(c.id);
  if (org == nullptr) return NotFound("no organization '" + c.id + "'");
  CC_RETURN_IF_ERROR(RequireMemberOf(p, org->id, "change organization '" + org->id + "'"));
  auto changes_attributes = [&] {
    const Json attributes = org->attributes.value();
    return !(MergePatch(attributes, *c.attributes) == attributes);
  };
  bool changes_something =
      (c.name && *c.name != org->name) || (c.description && *c.description != org->description) ||
      (c.attributes && changes_attributes()) ||
      (c.external_id && *c.external_id != org->external_id);
  if (!changes_something) return Unchanged(Noun::kOrganization, org->id);
  if (c.external_id) {
    CC_RETURN_IF_ERROR(
        RequireFreeExternalId(state, Noun::kOrganization, *c.external_id, org->id));
  }
  // data.changes is the patch as sent (CONTRACT §5).
  Json changes = Json::MakeObject();
  if (c.name) changes.Set("name", Json(*c.name));
  if (c.description) changes.Set("description", Json(*c.description));
  if (c.attributes) changes.Set("attributes", *c.attributes);
  if (c.external_id) {
    changes.Set("external_id", c.external_id->empty() ? Json() : Json(*c.external_id));
  }
  EventSink sink(p, now);
  sink.Add(EventType::kOrganizationUpdated, org->id,
           Json::MakeObject({{"changes", std::move(changes)}}));
  return Decision{sink.Take(), Noun::kOrganization, org->id, false};
}

StatusOr<Decision> DecideClose(const State& state, const Principal& p, const CloseOrganization& c,
                               const std::string& now) {
  const Organization* org = state.FindOrganization(c.id);
  if (org == nullptr) return NotFound("no organization '" + c.id + "'");
  CC_RETURN_IF_ERROR(RequireWriter(p));
  CC_RETURN_IF_ERROR(RequireAdmin(p, "close organizations"));
  if (org->closed) return Unchanged(Noun::kOrganization, org->id);
  for (const std::string& rel_id : state.RelationshipsOf(org->id)) {
    const Relationship& rel = *state.FindRelationship(rel_id);
    if (rel.live()) {
      return Conflict("has_active_relationships",
                      "organization '" + org->id + "' is party to relationship '" + rel.id +
                          "' (" + std::string(RelationshipStatusName(rel.status)) +
                          "); terminate its relationships before closing it");
    }
  }
  EventSink sink(p, now);
  sink.Add(EventType::kOrganizationClosed, org->id, Json::MakeObject());
  // Closing retires its offerings (CONTRACT §9.16); its tokens stop at once.
  for (const std::string& offering_id : state.Ids(Noun::kOffering)) {
    const Offering& o = *state.FindOffering(offering_id);
    if (o.provider == org->id && !o.retired) {
      sink.Add(EventType::kOfferingRetired, o.id,
               Json::MakeObject({{"reason", Json("organization_closed")}}));
    }
  }
  // ... and removes its webhooks (CONTRACT §9.16): nothing more is delivered.
  for (const auto& webhook_id : state.WebhookIds()) {
    const WebhookRecord& w = *state.FindWebhook(webhook_id);
    if (w.organization == org->id && !w.deleted) {
      sink.Add(EventType::kWebhookDeleted, w.id,
               Json::MakeObject({{"id", Json(w.id)},
                                 {"organization", Json(w.organization)},
                                 {"reason", Json("organization_closed")}}));
    }
  }
  return Decision{sink.Take(), Noun::kOrganization, org->id, false};
}

StatusOr<Decision> DecidePatchGroup(const State& state, const Principal& p,
                                    const PatchConsumerGroup& c, const std::string& now) {
  const ConsumerGroup* group = state.FindGroup(c.id);
  if (group == nullptr) return NotFound("no consumer group '" + c.id + "'");
  CC_RETURN_IF_ERROR(RequireWriter(p));
  if (group->owner.empty()) {
    CC_RETURN_IF_ERROR(RequireAdmin(p, "change consumer group '" + group->id + "'"));
  } else {
    CC_RETURN_IF_ERROR(
        RequireMemberOf(p, group->owner, "change consumer group '" + group->id + "'"));
  }
  auto member = [&](const std::string& org) {
    return std::find(group->members.begin(), group->members.end(), org) != group->members.end();
  };
  Json added = Json::MakeArray();
  Json removed = Json::MakeArray();
  std::set<std::string> seen;
  for (size_t i = 0; i < c.add.size(); ++i) {
    CC_RETURN_IF_ERROR(RequireOrganization(state, c.add[i], Indexed("add", i)));
    if (member(c.add[i]) || !seen.insert(c.add[i]).second) continue;
    CC_RETURN_IF_ERROR(RequireOpen(state, c.add[i], Indexed("add", i), "join consumer groups"));
    added.Push(Json(c.add[i]));
  }
  for (const auto& org : c.remove) {
    if (member(org) && seen.insert(org).second) removed.Push(Json(org));
  }
  Json data = Json::MakeObject();
  if (c.name && *c.name != group->name) data.Set("name", Json(*c.name));
  if (data.members().empty() && added.items().empty() && removed.items().empty()) {
    return Unchanged(Noun::kConsumerGroup, group->id);
  }
  data.Set("added", std::move(added));
  data.Set("removed", std::move(removed));
  EventSink sink(p, now);
  sink.Add(EventType::kConsumerGroupUpdated, group->id, std::move(data));
  return Decision{sink.Take(), Noun::kConsumerGroup, group->id, false};
}

StatusOr<Decision> DecideRevision(const State& state, const Principal& p, const ReviseResource& c,
                                  const std::string& now) {
  const Resource* r = state.FindResource(c.id);
  if (r == nullptr || !CanSee(state, p, Noun::kResource, r->id)) {
    return NotFound("no resource '" + c.id + "'");
  }
  const ResourceVersion& v = r->current();
  CC_RETURN_IF_ERROR(RequireMemberOf(p, v.owner, "revise resource '" + r->id + "'"));
  if (r->retired) return RetiredConflict(Noun::kResource, r->id);
  // A revision that changes nothing makes no version: a retry is safe.
  bool new_external_id = c.external_id && *c.external_id != r->external_id;
  const Json attributes = v.attributes.value();
  Json merged = MergePatch(attributes, c.patch);
  if ((!c.name || *c.name == v.name) && merged == attributes && !new_external_id) {
    Decision same = Unchanged(Noun::kResource, r->id);
    same.version = v.version;
    return same;
  }
  if (new_external_id) {
    CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kResource, *c.external_id, r->id));
  }
  Json changes = Json::MakeObject();
  if (c.name) changes.Set("name", Json(*c.name));
  changes.Set("attributes", c.patch);
  int64_t version = v.version + 1;
  Json data = Json::MakeObject({{"version", Json(version)},
                                {"changes", std::move(changes)},
                                {"name", Json(c.name ? *c.name : v.name)},
                                {"attributes", std::move(merged)}});
  // The external_id is the resource's, not a version's; the revision that
  // changes it says so.
  if (new_external_id) {
    data.Set("external_id", c.external_id->empty() ? Json() : Json(*c.external_id));
  }
  EventSink sink(p, now);
  sink.Add(EventType::kResourceRevised, r->id, std::move(data));
  Decision d{sink.Take(), Noun::kResource, r->id, true};
  d.version = version;
  return d;
}

// A resource, service or offering the caller may see, or 404.
template <typename T>
StatusOr<const T*> Visible(const State& state, const Principal& p, Noun noun, const T* object,
                           const std::string& id) {
  if (object == nullptr || !CanSee(state, p, noun, id)) {
    return NotFound("no " + std::string(NounName(noun)) + " '" + id + "'");
  }
  return object;
}

StatusOr<Decision> DecideRetire(const State& state, const Principal& p, const Retire& c,
                                const std::string& now) {
  EventSink sink(p, now);
  auto in_use = [&](const std::string& what) {
    return Conflict("in_use", std::string(NounName(c.noun)) + " '" + c.id + "' is in use: " +
                                  what + "; retire that first");
  };
  if (c.noun == Noun::kResource) {
    CC_ASSIGN_OR_RETURN(const Resource* r,
                        Visible(state, p, c.noun, state.FindResource(c.id), c.id));
    const std::string& owner = r->current().owner;
    CC_RETURN_IF_ERROR(RequireMemberOf(p, owner, "retire resource '" + r->id + "'"));
    if (r->retired) return Unchanged(c.noun, r->id);
    // Only the owner's own objects keep a resource in use (CONTRACT §9.12).
    for (const std::string& s : state.ServicesBuiltOn(r->id)) {
      const Service& service = *state.FindService(s);
      if (service.provider == owner && !service.retired)
        return in_use("service '" + s + "' is built on it");
    }
    for (const std::string& o : state.OfferingsAccessing(r->id)) {
      const Offering& offering = *state.FindOffering(o);
      if (offering.provider == owner && !offering.retired) {
        return in_use("offering '" + o + "' gives access to it");
      }
    }
    sink.Add(EventType::kResourceRetired, r->id, Json::MakeObject());
    // Every access to it ends.
    for (const std::string& o : state.OfferingsAccessing(r->id)) {
      for (const std::string& rel_id : state.RelationshipsOn(o)) {
        const Relationship& rel = *state.FindRelationship(rel_id);
        if (state.GrantsThrough(rel.consumer, r->id, rel.id)) {
          sink.Add(EventType::kAccessRevoked, rel.id, AccessData(rel, {r->id}));
        }
      }
    }
  } else if (c.noun == Noun::kService) {
    CC_ASSIGN_OR_RETURN(const Service* s, Visible(state, p, c.noun, state.FindService(c.id), c.id));
    CC_RETURN_IF_ERROR(RequireMemberOf(p, s->provider, "retire service '" + s->id + "'"));
    if (s->retired) return Unchanged(c.noun, s->id);
    // Offerings not retired, and live relationships on them (§9.12).
    for (const std::string& o : state.OfferingsOf(s->id)) {
      const Offering& offering = *state.FindOffering(o);
      if (offering.retired) continue;
      for (const std::string& rel_id : state.RelationshipsOn(o)) {
        const Relationship& rel = *state.FindRelationship(rel_id);
        if (rel.live()) {
          return Conflict("in_use", "service '" + s->id + "' is in use: relationship '" + rel.id +
                                        "' on its offering '" + o + "' is " +
                                        std::string(RelationshipStatusName(rel.status)) +
                                        "; terminate it or retire the offering first");
        }
      }
      return in_use("offering '" + o + "' offers it");
    }
    for (const std::string& d : state.ServicesDependingOn(s->id)) {
      const Service& dependent = *state.FindService(d);
      if (dependent.provider == s->provider && !dependent.retired) {
        return in_use("service '" + d + "' depends on it");
      }
    }
    sink.Add(EventType::kServiceRetired, s->id, Json::MakeObject());
  } else {
    CC_ASSIGN_OR_RETURN(const Offering* o,
                        Visible(state, p, c.noun, state.FindOffering(c.id), c.id));
    CC_RETURN_IF_ERROR(RequireMemberOf(p, o->provider, "retire offering '" + o->id + "'"));
    if (o->retired) return Unchanged(c.noun, o->id);
    sink.Add(EventType::kOfferingRetired, o->id, Json::MakeObject());
  }
  return Decision{sink.Take(), c.noun, c.id, false};
}

// The members of `after` that differ from `before`, among `keys`, as
// {"before": {...}, "after": {...}}; nullopt when none differs.
std::optional<Json> Difference(const Json& before, const Json& after,
                               const std::vector<std::string>& keys) {
  Json b = Json::MakeObject();
  Json a = Json::MakeObject();
  for (const auto& k : keys) {
    const Json* x = before.Find(k);
    const Json* y = after.Find(k);
    if (x != nullptr && y != nullptr && *x == *y) continue;
    b.Set(k, x != nullptr ? *x : Json());
    a.Set(k, y != nullptr ? *y : Json());
  }
  if (a.members().empty()) return std::nullopt;
  return Json::MakeObject({{"before", std::move(b)}, {"after", std::move(a)}});
}

StatusOr<Decision> DecidePatchService(const State& state, const Principal& p,
                                      const PatchService& c, const std::string& now) {
  CC_ASSIGN_OR_RETURN(const Service* s,
                      Visible(state, p, Noun::kService, state.FindService(c.id), c.id));
  CC_RETURN_IF_ERROR(RequireMemberOf(p, s->provider, "change service '" + s->id + "'"));
  if (s->retired) return RetiredConflict(Noun::kService, s->id);
  Service next = *s;
  auto present = [&](std::string_view k) {
    return std::find(c.present.begin(), c.present.end(), k) != c.present.end();
  };
  if (present("name")) next.name = c.fields.name;
  if (present("description")) next.description = c.fields.description;
  if (present("external_id")) {
    next.external_id = c.fields.external_id;
    CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kService, next.external_id, s->id));
  }
  // Lists replace; the §2 rules are checked again on the lists sent.
  // (A list left out of the body is empty in c.links.)
  const ServiceLinks& links = c.links;
  // References the service already had stay allowed (a degraded service
  // keeps them); new ones must be usable now.
  ServiceLinks fresh;
  for (const auto& r : links.built_on) {
    if (std::find(s->built_on.begin(), s->built_on.end(), r) == s->built_on.end()) {
      fresh.built_on.push_back(r);
    }
  }
  for (const auto& d : links.depends_on) {
    if (std::find(s->depends_on.begin(), s->depends_on.end(), d) == s->depends_on.end()) {
      fresh.depends_on.push_back(d);
    }
  }
  Status links_ok = CheckServiceLinks(state, p, *s, fresh);
  if (!links_ok.ok()) {
    // Name the field by its position in the body's list.
    std::string field = links_ok.field();
    auto fix = [&](const std::vector<std::string>& sent, const std::vector<std::string>& checked,
                   std::string_view key) {
      if (field.rfind(std::string(key) + "[", 0) != 0) return;
      size_t i = std::stoul(field.substr(key.size() + 1));
      auto it = std::find(sent.begin(), sent.end(), checked[i]);
      field = Indexed(key, static_cast<size_t>(it - sent.begin()));
    };
    fix(links.built_on, fresh.built_on, "built_on");
    fix(links.depends_on, fresh.depends_on, "depends_on");
    return Status(links_ok.code(), links_ok.reason(), links_ok.message(), field);
  }
  if (present("built_on")) next.built_on = Intern(links.built_on);
  if (present("depends_on")) next.depends_on = Intern(links.depends_on);
  std::optional<Json> diff =
      Difference(ToJson(*s), ToJson(next),
                 {"name", "description", "built_on", "depends_on", "external_id"});
  if (!diff) return Unchanged(Noun::kService, s->id);
  EventSink sink(p, now);
  sink.Add(EventType::kServiceUpdated, s->id, std::move(*diff));
  return Decision{sink.Take(), Noun::kService, s->id, false};
}

StatusOr<Decision> DecidePatchOffering(const State& state, const Principal& p,
                                       const PatchOffering& c, const std::string& now) {
  CC_ASSIGN_OR_RETURN(const Offering* o,
                      Visible(state, p, Noun::kOffering, state.FindOffering(c.id), c.id));
  CC_RETURN_IF_ERROR(RequireMemberOf(p, o->provider, "change offering '" + o->id + "'"));
  if (o->retired) return RetiredConflict(Noun::kOffering, o->id);
  Offering next = *o;
  auto present = [&](std::string_view k) {
    return std::find(c.present.begin(), c.present.end(), k) != c.present.end();
  };
  if (present("name")) next.name = c.fields.name;
  if (present("external_id")) {
    next.external_id = c.fields.external_id;
    CC_RETURN_IF_ERROR(RequireFreeExternalId(state, Noun::kOffering, next.external_id, o->id));
  }
  if (present("audience")) {
    next.audience_public = c.fields.audience_public;
    next.audience_groups = c.fields.audience_groups;
  }
  if (present("goods")) next.goods = c.fields.goods;
  if (present("access")) next.access = c.fields.access;
  if (present("actions")) next.actions = c.fields.actions;
  if (present("service_levels")) next.service_levels = c.fields.service_levels;
  if (present("price")) next.price = c.fields.price;
  // Only what the body names is checked: an access the offering already gave
  // to a resource retired since is left as it is.
  Offering checked = next;
  checked.access.clear();
  for (const auto& r : next.access) {
    if (std::find(o->access.begin(), o->access.end(), r) == o->access.end()) {
      checked.access.push_back(r);
    }
  }
  if (!present("audience")) checked.audience_groups.clear();
  Status links_ok = CheckOfferingLinks(state, p, checked);
  if (!links_ok.ok()) {
    std::string field = links_ok.field();
    if (field.rfind("access[", 0) == 0) {
      size_t i = std::stoul(field.substr(7));
      auto it = std::find(next.access.begin(), next.access.end(), checked.access[i]);
      field = Indexed("access", static_cast<size_t>(it - next.access.begin())) + ".resource";
    }
    return Status(links_ok.code(), links_ok.reason(), links_ok.message(), field);
  }
  std::optional<Json> diff =
      Difference(ToJson(*o), ToJson(next), {"name", "audience", "goods", "access", "actions",
                                            "service_levels", "price", "external_id"});
  if (!diff) return Unchanged(Noun::kOffering, o->id);
  diff->Set("version", Json(o->version + 1));
  EventSink sink(p, now);
  sink.Add(EventType::kOfferingUpdated, o->id, std::move(*diff));
  // Access follows at once on every active relationship (CONTRACT §5).
  std::vector<std::string> added, removed;
  for (const auto& r : next.access) {
    if (std::find(o->access.begin(), o->access.end(), r) == o->access.end()) added.push_back(r);
  }
  for (const auto& r : o->access) {
    if (std::find(next.access.begin(), next.access.end(), r) == next.access.end()) {
      removed.push_back(r);
    }
  }
  for (const std::string& rel_id : state.RelationshipsOn(o->id)) {
    const Relationship& rel = *state.FindRelationship(rel_id);
    if (rel.status != RelationshipStatus::kActive) continue;
    std::vector<std::string> revoke;
    for (const auto& r : removed) {
      if (state.GrantsThrough(rel.consumer, r, rel.id)) revoke.push_back(r);
    }
    if (!added.empty()) sink.Add(EventType::kAccessGranted, rel.id, AccessData(rel, added));
    if (!revoke.empty()) sink.Add(EventType::kAccessRevoked, rel.id, AccessData(rel, revoke));
  }
  // Open requests for an action the offering no longer has are declined
  // (CONTRACT §9.14).
  for (const std::string& rel_id : state.RelationshipsOn(o->id)) {
    for (const std::string& id : state.RequestsOf(rel_id)) {
      const ServiceRequest& r = *state.FindServiceRequest(id);
      if (r.status == RequestStatus::kOpen && next.FindAction(r.action) == nullptr) {
        sink.Add(EventType::kRequestDeclined, id,
                 Json::MakeObject({{"relationship", Json(rel_id)},
                                   {"reason", Json("action_removed")}}));
      }
    }
  }
  return Decision{sink.Take(), Noun::kOffering, o->id, false};
}

// --- Agreements (CONTRACT §6, proposals) ---

// The agreement `current` with `changes` applied must end after it starts
// (422 end_before_start) and after `now` (422 end_passed: an end already
// past would end or renew it at once), and a term that renews itself lasts
// at least a second (422 term_too_short), so renewals never outrun the clock.
Status CheckTerm(const Agreement& current, const Json& changes, const std::string& now) {
  // Only a change of the term is judged: a proposal of a new type is not
  // refused because the end passed a moment ago (expiry is about to act).
  if (changes.Find("end") == nullptr && changes.Find("renewal") == nullptr) return Status::Ok();
  std::string end = current.end;
  if (const Json* e = changes.Find("end")) end = e->is_string() ? e->as_string() : "";
  std::string renewal = current.renewal;
  if (const Json* r = changes.Find("renewal"); r != nullptr && r->is_string()) {
    renewal = r->as_string();
  }
  auto end_ms = UnixMillis(end);
  auto start_ms = UnixMillis(current.start);
  auto now_ms = UnixMillis(now);
  if (!end_ms || !start_ms) return Status::Ok();  // open-ended
  if (*end_ms <= *start_ms) {
    return Unprocessable("end_before_start",
                         "'end' must come after the agreement's start (" + current.start + ")",
                         "end");
  }
  if (now_ms && *end_ms <= *now_ms) {
    return Unprocessable("end_passed", "the agreement's end (" + end +
                                           ") has passed; propose an end in the future",
                         "end");
  }
  if (renewal == "auto" && *end_ms - *start_ms < 1000) {
    return Unprocessable("term_too_short",
                         "an agreement that renews itself runs at least one second from its "
                         "start (" + current.start + ") to its end",
                         "end");
  }
  return Status::Ok();
}

// The party `p` acts as on `rel`: its own organization, or for the admin
// `by` (default the provider). Errors: 403 for an outsider or a viewer.
StatusOr<std::string> PartyOf(const Principal& p, const Relationship& rel, const std::string& by) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  if (p.is_admin()) {
    if (by.empty()) return rel.provider;
    if (by != rel.provider && by != rel.consumer) {
      return InvalidField("by", "'by' must be the provider or the consumer of '" + rel.id + "'");
    }
    return by;
  }
  if (!by.empty() && by != p.organization) {
    return Forbidden("your token acts for '" + p.organization + "', so 'by' must be '" +
                     p.organization + "'");
  }
  return p.organization;
}

StatusOr<Decision> DecidePropose(const State& state, const Principal& p, const ProposeAgreement& c,
                                 const Json& request, const std::string& now) {
  const Relationship* rel = state.FindRelationship(c.relationship);
  if (rel == nullptr || !CanSee(state, p, Noun::kRelationship, rel->id)) {
    return NotFound("no relationship '" + c.relationship + "'");
  }
  CC_ASSIGN_OR_RETURN(std::string by, PartyOf(p, *rel, c.by));
  if (Reserved(c.id)) return ReservedId(c.id);
  if (!c.id.empty() && state.IdTaken(c.id)) {
    const Proposal* existing = state.FindProposal(c.id);
    const JsonDigest* original = state.FindRequest(c.id);
    // A retry is the same party's: the other party reusing the id with the
    // same body proposes nothing and learns nothing.
    if (existing != nullptr && existing->relationship == rel->id && existing->by == by &&
        original != nullptr && *original == request.Digest()) {
      Decision d;
      d.subject = c.id;
      d.shows = Decision::Shows::kProposal;
      return d;
    }
    return Conflict("duplicate_id",
                    "the id '" + c.id + "' is already taken; a retry must send the same body");
  }
  if (rel->status != RelationshipStatus::kActive && rel->status != RelationshipStatus::kSuspended) {
    return Conflict("relationship_not_active",
                    "agreements change only while the relationship is active or suspended; '" +
                        rel->id + "' is " + std::string(RelationshipStatusName(rel->status)));
  }
  CC_RETURN_IF_ERROR(CheckTerm(rel->agreements.back(), c.changes, now));
  Proposal proposal;
  std::set<std::string> taken;
  proposal.id = c.id.empty() ? NewId(state, "prop", taken) : c.id;
  proposal.relationship = rel->id;
  proposal.by = by;
  proposal.changes = c.changes;
  proposal.note = c.note;
  proposal.created_at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kAgreementProposed, rel->id,
           Json::MakeObject({{"proposal", ToJson(proposal)}}))
      .private_data = RetryData(c.id, request);
  Decision d{sink.Take(), Noun::kRelationship, proposal.id, true};
  d.shows = Decision::Shows::kProposal;
  return d;
}

StatusOr<Decision> DecideAnswer(const State& state, const Principal& p, const AnswerProposal& c,
                                const std::string& now) {
  const Proposal* proposal = state.FindProposal(c.proposal);
  if (proposal == nullptr || !CanSee(state, p, Noun::kRelationship, proposal->relationship)) {
    return NotFound("no proposal '" + c.proposal + "'");
  }
  const Relationship& rel = *state.FindRelationship(proposal->relationship);
  CC_RETURN_IF_ERROR(RequireWriter(p));
  const std::string other = proposal->by == rel.provider ? rel.consumer : rel.provider;
  std::string_view verb = ProposalVerbName(c.verb);
  if (!p.is_admin()) {
    const std::string& who = c.verb == ProposalVerb::kWithdraw ? proposal->by : other;
    if (p.organization != who) {
      return Forbidden(c.verb == ProposalVerb::kWithdraw
                           ? "only the proposer '" + proposal->by + "' may withdraw it"
                           : "only the other party '" + other + "' may " + std::string(verb) +
                                 " this proposal");
    }
  }
  if (proposal->status != ProposalStatus::kOpen) {
    return Conflict("proposal_not_open",
                    "proposal '" + proposal->id + "' is " +
                        std::string(ProposalStatusName(proposal->status)) + ", not open");
  }
  EventSink sink(p, now);
  Json data = Json::MakeObject({{"proposal", Json(proposal->id)}});
  if (!c.reason.empty()) data.Set("reason", Json(c.reason));
  if (c.verb == ProposalVerb::kAccept) {
    if (rel.status != RelationshipStatus::kActive && rel.status != RelationshipStatus::kSuspended) {
      return Conflict("relationship_not_active",
                      "relationship '" + rel.id + "' is " +
                          std::string(RelationshipStatusName(rel.status)));
    }
    // Time may have passed the proposed end since it was proposed.
    CC_RETURN_IF_ERROR(CheckTerm(rel.agreements.back(), proposal->changes, now));
    // The agreement in force, with the proposed fields replaced.
    Json next = ToJson(rel.agreements.back());
    for (const auto& [k, v] : proposal->changes.members()) next.Set(k, v);
    next.Set("version", Json(rel.agreements.back().version + 1));
    next.Set("proposal", Json(proposal->id));
    next.Set("at", Json(now));
    data.Set("agreement", std::move(next));
    sink.Add(EventType::kAgreementChanged, rel.id, std::move(data));
  } else {
    sink.Add(c.verb == ProposalVerb::kDecline ? EventType::kAgreementDeclined
                                              : EventType::kAgreementWithdrawn,
             rel.id, std::move(data));
  }
  Decision d{sink.Take(), Noun::kRelationship, proposal->id, false};
  d.shows = Decision::Shows::kProposal;
  return d;
}
// --- Service relationship management (CONTRACT §6) ---


// The relationship the URL names, or 404 for one absent or hidden.
StatusOr<const Relationship*> NamedRelationship(const State& state, const Principal& p,
                                                const std::string& id) {
  const Relationship* rel = state.FindRelationship(id);
  if (rel == nullptr || !CanSee(state, p, Noun::kRelationship, id)) {
    return NotFound("no relationship '" + id + "'");
  }
  return rel;
}

// The duplicate-id check of a create that is not a noun: kRetry when `id`
// was made by the same body (`same_kind`: it is of the kind being created).
StatusOr<IdCheck> CheckRecordId(const State& state, const std::string& id, bool same_kind,
                                const Json& request) {
  if (Reserved(id)) return ReservedId(id);
  if (id.empty() || !state.IdTaken(id)) return IdCheck::kFresh;
  const JsonDigest* original = state.FindRequest(id);
  if (same_kind && original != nullptr && *original == request.Digest()) return IdCheck::kRetry;
  return Conflict("duplicate_id",
                  "the id '" + id + "' is already taken; a retry must send the same body");
}

Status RequireActiveOrSuspended(const Relationship& rel, std::string_view what) {
  if (rel.status == RelationshipStatus::kActive || rel.status == RelationshipStatus::kSuspended) {
    return Status::Ok();
  }
  return Conflict("relationship_not_active",
                  std::string(what) + " only while the relationship is active or suspended; '" +
                      rel.id + "' is " + std::string(RelationshipStatusName(rel.status)));
}

Decision Shown(std::vector<Event> events, Decision::Shows shows, std::string subject,
               bool created) {
  Decision d{std::move(events), Noun::kRelationship, std::move(subject), created};
  d.shows = shows;
  return d;
}

// The agreement version in force at `time` (RFC 3339): the last that came
// into force by then; version 1 for a time before it (CONTRACT §9.19).
const Agreement& AgreementAt(const Relationship& rel, const std::string& time) {
  auto t = UnixMillis(time);
  const Agreement* found = &rel.agreements.front();
  for (const Agreement& a : rel.agreements) {
    auto at = MillisOf(a.at);
    if (t && at && *at <= *t) found = &a;
  }
  return *found;
}

// The consumer's services that feel a miss of `rel`'s service levels: those
// built on a resource the relationship gives access to or its provisions
// touched, or depending on the relationship's service (CONTRACT §6).
std::vector<std::string> BreachStarts(const State& state, const Relationship& rel) {
  const Offering& offering = *state.FindOffering(rel.offering);
  std::set<std::string> resources(offering.access.begin(), offering.access.end());
  for (const std::string& prov_id : state.ProvisionsIn(rel.id)) {
    const Provision& prov = *state.FindProvision(prov_id);
    resources.insert(prov.created.begin(), prov.created.end());
    for (const auto& m : prov.modified) resources.insert(m.resource);
    resources.insert(prov.transferred.begin(), prov.transferred.end());
  }
  std::vector<std::string> out;
  for (const std::string& id : state.ServicesOf(rel.consumer)) {
    const Service& s = *state.FindService(id);
    if (s.retired) continue;
    bool feels = std::find(s.depends_on.begin(), s.depends_on.end(), offering.service) !=
                 s.depends_on.end();
    for (const auto& r : s.built_on) feels = feels || resources.count(r) != 0;
    if (feels) out.push_back(id);
  }
  return out;
}

StatusOr<Decision> DecideMeasurement(const State& state, const Principal& p,
                                     const RecordMeasurement& c, const Json& request,
                                     const std::string& now) {
  CC_ASSIGN_OR_RETURN(const Relationship* rel, NamedRelationship(state, p, c.relationship));
  CC_ASSIGN_OR_RETURN(std::string by, PartyOf(p, *rel, c.by));
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckRecordId(state, c.id,
                                    state.FindMeasurement(c.id) != nullptr &&
                                        state.FindMeasurement(c.id)->relationship == rel->id &&
                                        state.FindMeasurement(c.id)->by == by,
                                    request));
  if (check == IdCheck::kRetry) return Shown({}, Decision::Shows::kMeasurement, c.id, false);
  CC_RETURN_IF_ERROR(RequireActiveOrSuspended(*rel, "measurements are recorded"));
  // The objective in force at the period's end; for a metric agreed only
  // later (a proposal added it), the first version that has it: the
  // objective that first applied to it.
  const Agreement* agreement = &AgreementAt(*rel, c.period.end);
  const ServiceLevel* level = nullptr;
  std::string metrics;
  for (const auto& l : agreement->service_levels) {
    metrics += (metrics.empty() ? "" : ", ") + l.metric;
  }
  for (const Agreement& a : rel->agreements) {
    if (a.version < agreement->version || level != nullptr) continue;
    for (const auto& l : a.service_levels) {
      if (l.metric == c.metric) level = &l;
    }
    if (level != nullptr) agreement = &a;
  }
  if (level == nullptr || !level->objective.is_number()) {
    return Unprocessable("unknown_metric",
                         "'" + c.metric + "' is not a service level of the agreement in force "
                         "at the period's end (version " + std::to_string(agreement->version) +
                             (metrics.empty() ? ", which has none)" : ": " + metrics + ")"),
                         "metric");
  }
  Measurement m;
  std::set<std::string> taken;
  m.id = c.id.empty() ? NewId(state, "meas", taken) : c.id;
  m.relationship = rel->id;
  m.by = by;
  m.metric = c.metric;
  m.value = c.value;
  m.period = c.period;
  m.note = c.note;
  m.objective = level->objective;
  m.unit = level->unit;
  m.target = level->target;
  int order = CompareNumbers(c.value, level->objective);
  m.met = level->target == "at_most" ? order <= 0 : order >= 0;  // equal is met (§9.19)
  m.agreement_version = agreement->version;
  m.at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kMeasurementRecorded, rel->id, Json::MakeObject({{"measurement", ToJson(m)}}))
      .private_data = RetryData(c.id, request);
  if (!m.met) {
    // The engine counts `consumers_reached` with its graph index from the
    // starts, and keeps who was reached in the private data.
    Json period = Json::MakeObject({{"start", Json(m.period.start)}, {"end", Json(m.period.end)}});
    Json starts = Json::MakeArray();
    for (const auto& s : BreachStarts(state, *rel)) starts.Push(Json(s));
    Event& e = sink.Add(EventType::kServiceLevelBreached, rel->id,
                        Json::MakeObject({{"measurement", Json(m.id)},
                                          {"metric", Json(m.metric)},
                                          {"value", m.value},
                                          {"objective", m.objective},
                                          {"target", Json(m.target)},
                                          {"unit", Json(m.unit)},
                                          {"period", std::move(period)},
                                          {"consumers_reached", Json(int64_t{1})}}));
    e.private_data = Json::MakeObject({{"consumer", Json(rel->consumer)},
                                       {"starts", std::move(starts)},
                                       {"reached", Json::MakeArray({Json(rel->consumer)})}});
  }
  return Shown(sink.Take(), Decision::Shows::kMeasurement, m.id, true);
}

StatusOr<Decision> DecideOpenRequest(const State& state, const Principal& p,
                                     const OpenRequest& c, const Json& request,
                                     const std::string& now) {
  CC_ASSIGN_OR_RETURN(const Relationship* rel, NamedRelationship(state, p, c.relationship));
  CC_RETURN_IF_ERROR(RequireWriter(p));
  if (!p.is_admin() && p.organization != rel->consumer) {
    return Forbidden("only the consumer '" + rel->consumer + "' opens requests");
  }
  const ServiceRequest* earlier = state.FindServiceRequest(c.id);
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckRecordId(state, c.id,
                                    earlier != nullptr && earlier->relationship == rel->id,
                                    request));
  if (check == IdCheck::kRetry) return Shown({}, Decision::Shows::kRequest, c.id, false);
  if (rel->status != RelationshipStatus::kActive) {
    return Conflict("relationship_not_active",
                    "requests are opened only within an active relationship; '" + rel->id +
                        "' is " + std::string(RelationshipStatusName(rel->status)));
  }
  const Offering& offering = *state.FindOffering(rel->offering);
  if (offering.FindAction(c.action) == nullptr) {
    return Unprocessable("action_not_offered", "offering '" + offering.id +
                                                   "' has no action '" + c.action + "'",
                         "action");
  }
  ServiceRequest r;
  std::set<std::string> taken;
  r.id = c.id.empty() ? NewId(state, "req", taken) : c.id;
  r.relationship = rel->id;
  r.consumer = rel->consumer;
  r.provider = rel->provider;
  r.action = c.action;
  r.note = c.note;
  r.details = c.details;
  r.opened_at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kRequestOpened, r.id, Json::MakeObject({{"request", ToJson(r)}}))
      .private_data = RetryData(c.id, request);
  return Shown(sink.Take(), Decision::Shows::kRequest, r.id, true);
}

StatusOr<Decision> DecideCloseRequest(const State& state, const Principal& p,
                                      const CloseRequest& c, const std::string& now) {
  const ServiceRequest* r = state.FindServiceRequest(c.request);
  if (r == nullptr || !CanSee(state, p, Noun::kRelationship, r->relationship)) {
    return NotFound("no request '" + c.request + "'");
  }
  CC_RETURN_IF_ERROR(RequireWriter(p));
  const bool decline = c.verb == RequestVerb::kDecline;
  const std::string& who = decline ? r->provider : r->consumer;
  if (!p.is_admin() && p.organization != who) {
    return Forbidden(std::string("only the ") + (decline ? "provider" : "consumer") + " '" + who +
                     "' may " + std::string(RequestVerbName(c.verb)) + " this request");
  }
  if (r->status != RequestStatus::kOpen) {
    return Conflict("request_not_open", "request '" + r->id + "' is " +
                                            std::string(RequestStatusName(r->status)) +
                                            ", not open");
  }
  Json data = Json::MakeObject({{"relationship", Json(r->relationship)}});
  if (!c.reason.empty()) data.Set("reason", Json(c.reason));
  EventSink sink(p, now);
  sink.Add(decline ? EventType::kRequestDeclined : EventType::kRequestCancelled, r->id,
           std::move(data));
  return Shown(sink.Take(), Decision::Shows::kRequest, r->id, false);
}

StatusOr<Decision> DecideStateValue(const State& state, const Principal& p, const StateValue& c,
                                    const Json& request, const std::string& now) {
  CC_ASSIGN_OR_RETURN(const Relationship* rel, NamedRelationship(state, p, c.relationship));
  CC_RETURN_IF_ERROR(RequireWriter(p));
  if (p.is_admin()) {
    return Forbidden("only the two parties state value; the admin may read it (GET "
                     "/relationships/" + rel->id + "/value)");
  }
  // A retry is the same party's, on the same relationship.
  const ValueRecord* earlier = state.FindValueRecord(c.id);
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckRecordId(state, c.id,
                                    earlier != nullptr && earlier->relationship == rel->id &&
                                        earlier->party == p.organization,
                                    request));
  if (check == IdCheck::kRetry) return Shown({}, Decision::Shows::kValueRecord, c.id, false);
  if (rel->activated_at.empty()) {
    return Conflict("relationship_not_active",
                    "value is stated on a relationship that has been active; '" + rel->id +
                        "' is " + std::string(RelationshipStatusName(rel->status)));
  }
  ValueRecord v;
  std::set<std::string> taken;
  v.id = c.id.empty() ? NewId(state, "val", taken) : c.id;
  v.relationship = rel->id;
  v.party = p.organization;
  v.value = c.value;
  v.period = c.period;
  v.note = c.note;
  v.at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kValueStated, rel->id, Json::MakeObject({{"value", ToJson(v)}}))
      .private_data = RetryData(c.id, request);
  return Shown(sink.Take(), Decision::Shows::kValueRecord, v.id, true);
}

StatusOr<Decision> DecideCreatePerson(const State& state, const Principal& p,
                                      const CreatePerson& c, const Json& request,
                                      const std::string& now) {
  // A person of no organization is the admin's to make (TMF632, §9.24).
  if (c.organization.empty()) {
    CC_RETURN_IF_ERROR(RequireWriter(p));
    if (!p.is_admin()) return Forbidden("only the admin makes a person of no organization");
  } else {
    const Organization* org = state.FindOrganization(c.organization);
    if (org == nullptr) return NotFound("no organization '" + c.organization + "'");
    CC_RETURN_IF_ERROR(RequireMemberOf(p, org->id, "add people to '" + org->id + "'"));
  }
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckRecordId(state, c.person.id,
                                    state.FindPerson(c.person.id) != nullptr &&
                                        state.FindPerson(c.person.id)->organization ==
                                            c.organization,
                                    request));
  if (check == IdCheck::kRetry) return Shown({}, Decision::Shows::kPerson, c.person.id, false);
  if (!c.organization.empty()) {
    CC_RETURN_IF_ERROR(RequireOpen(state, c.organization, "organization", "take on people"));
  }
  Person person = c.person;
  std::set<std::string> taken;
  if (person.id.empty()) person.id = NewId(state, "person", taken);
  person.organization = c.organization;
  person.created_at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kPersonCreated, person.id, Json::MakeObject({{"person", ToJson(person)}}))
      .private_data = RetryData(c.person.id, request);
  return Shown(sink.Take(), Decision::Shows::kPerson, person.id, true);
}

// The organization a party role engages: the party itself, or the
// organization of the person it names ("" for none).
std::string EngagedOrganization(const State& state, const PartyRole& role) {
  if (const Person* person = state.FindPerson(role.engaged_party)) return person->organization;
  return role.engaged_party;
}

// A declared party role `p` may see and change: the admin, the organization
// that declared it, and the organization it engages (CONTRACT §8).
StatusOr<const PartyRole*> ChangeablePartyRole(const State& state, const Principal& p,
                                              const std::string& id) {
  const PartyRole* role = state.FindPartyRole(id);
  if (role == nullptr || role->removed || !CanSeePartyRole(state, p, *role)) {
    return NotFound("no party role '" + id + "'");
  }
  CC_RETURN_IF_ERROR(RequireWriter(p));
  return role;
}

StatusOr<Decision> DecideDeclarePartyRole(const State& state, const Principal& p,
                                          const DeclarePartyRole& c, const Json& request,
                                          const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  PartyRole role = c.role;
  if (!role.engaged_party.empty()) {
    const Person* person = state.FindPerson(role.engaged_party);
    if (person != nullptr ? !CanSeePerson(state, p, *person)
                          : state.FindOrganization(role.engaged_party) == nullptr) {
      return UnknownReference("engagedParty.id", role.engaged_party);
    }
    std::string org = EngagedOrganization(state, role);
    if (!p.is_admin() && org != p.organization) {
      return Forbidden("a member declares roles only of its own organization and people");
    }
    if (!org.empty()) {
      CC_RETURN_IF_ERROR(RequireOpen(state, org, "engagedParty.id", "take on roles"));
    }
  }
  if (ParseDerivedRoleId(role.id)) {
    return Conflict("duplicate_id", "the id '" + role.id +
                                        "' is reserved: the rules derive provider and consumer "
                                        "roles under ORG:provider and ORG:consumer");
  }
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckRecordId(state, role.id, state.FindPartyRole(role.id) != nullptr,
                                    request));
  if (check == IdCheck::kRetry) return Shown({}, Decision::Shows::kPartyRole, role.id, false);
  std::set<std::string> taken;
  if (role.id.empty()) role.id = NewId(state, "partyrole", taken);
  role.owner = p.is_admin() ? std::string() : p.organization;
  role.created_at = now;
  role.updated_at.clear();
  EventSink sink(p, now);
  sink.Add(EventType::kPartyRoleDeclared, role.id, Json::MakeObject({{"party_role", ToJson(role)}}))
      .private_data = RequestData(request);
  return Shown(sink.Take(), Decision::Shows::kPartyRole, role.id, true);
}

StatusOr<Decision> DecidePatchPartyRole(const State& state, const Principal& p,
                                        const PatchPartyRole& c, const std::string& now) {
  CC_ASSIGN_OR_RETURN(const PartyRole* old, ChangeablePartyRole(state, p, c.id));
  PartyRole role = *old;
  if (c.name) role.name = *c.name;
  role.details = MergePatch(role.details, c.details_patch);
  if (role.name == old->name && role.details == old->details) {
    return Shown({}, Decision::Shows::kPartyRole, role.id, false);  // nothing changed
  }
  role.updated_at = now;
  EventSink sink(p, now);
  sink.Add(EventType::kPartyRoleUpdated, role.id, Json::MakeObject({{"party_role", ToJson(role)}}));
  return Shown(sink.Take(), Decision::Shows::kPartyRole, role.id, false);
}

StatusOr<Decision> DecideRemovePartyRole(const State& state, const Principal& p,
                                         const RemovePartyRole& c, const std::string& now) {
  CC_ASSIGN_OR_RETURN(const PartyRole* role, ChangeablePartyRole(state, p, c.id));
  EventSink sink(p, now);
  sink.Add(EventType::kPartyRoleRemoved, role->id, Json::MakeObject());
  return Shown(sink.Take(), Decision::Shows::kNothing, role->id, false);
}

// A service order's items are decided against the same state, each as the
// native command it stands for; their events, then service_order.placed,
// are the order's. The decoder lets no two items name the same
// relationship or offering, so no item depends on another.
StatusOr<Decision> DecidePlaceOrder(const State& state, const Principal& p, const PlaceOrder& c,
                                    const Json& request, const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  std::set<std::string> taken;
  ServiceOrder order;
  order.id = NewId(state, "order", taken);
  order.orderer = p.is_admin() ? std::string() : p.organization;
  order.description = c.description;
  order.external_id = c.external_id;
  order.created_at = now;
  std::vector<Event> events;
  for (size_t i = 0; i < c.items.size(); ++i) {
    const PlaceOrderItem& item = c.items[i];
    OrderItem record{item.id, item.action, "", ""};
    Command native;
    if (item.action == "add") {
      CreateRelationship add = item.add;
      add.relationship.id = order.id + "-" + std::to_string(i + 1);
      record.relationship = add.relationship.id;
      native = Command{std::move(add), Json::MakeObject()};
    } else if (item.action == "modify") {
      CreateProvision modify = item.modify;
      modify.id = order.id + "-" + std::to_string(i + 1);
      record.relationship = modify.relationship;
      record.provision = modify.id;
      native = Command{std::move(modify), Json::MakeObject()};
    } else {
      record.relationship = item.remove.relationship;
      native = Command{item.remove, Json::MakeObject()};
    }
    StatusOr<Decision> d = Decide(state, p, native, now);
    std::string at = "serviceOrderItem[" + std::to_string(i) + "]";
    if (!d.ok()) {
      // Named as the order names them (TMF641): the offering an `add`
      // names, the service (relationship) of the others, the customer.
      const Status& s = d.status();
      std::string field = s.field();
      if (field == "offering") field = "service.serviceSpecification.id";
      if (field == "relationship" || field.empty())
        field = item.action == "add" ? "" : "service.id";
      if (field == "consumer") field = "relatedParty";
      std::string path = field == "relatedParty" ? field : field.empty() ? at : at + "." + field;
      return Status(s.code(), s.reason(), at + " (" + item.action + "): " + s.message(), path);
    }
    for (Event& e : d->events) events.push_back(std::move(e));
    order.items.push_back(std::move(record));
  }
  EventSink sink(p, now);
  sink.Add(EventType::kServiceOrderPlaced, order.id,
           Json::MakeObject({{"service_order", ToJson(order)}}))
      .private_data = RequestData(request);
  for (Event& e : sink.Take()) events.push_back(std::move(e));
  return Shown(std::move(events), Decision::Shows::kServiceOrder, order.id, true);
}

StatusOr<Decision> DecideRole(const State& state, const Principal& p, const AssignRole& c,
                              const std::string& now) {
  CC_ASSIGN_OR_RETURN(const Relationship* rel, NamedRelationship(state, p, c.relationship));
  CC_RETURN_IF_ERROR(RequireWriter(p));
  auto same = [&](const RoleAssignment& r) { return r.person == c.person && r.role == c.role; };
  const bool assigned = std::any_of(rel->roles.begin(), rel->roles.end(), same);
  const Person* person = state.FindPerson(c.person);
  Decision::Shows shows =
      c.assign ? Decision::Shows::kRoleAssignment : Decision::Shows::kNothing;
  auto answer = [&](std::vector<Event> events, bool created) {
    Decision d = Shown(std::move(events), shows, rel->id, created);
    d.person = c.person;
    d.role = c.role;
    return d;
  };
  if (!c.assign) {
    if (!assigned) {
      return NotFound("'" + c.person + "' is not in role '" + c.role + "' on '" + rel->id + "'");
    }
    if (!p.is_admin() && person->organization != p.organization) {
      return Forbidden("a party unassigns only its own people; '" + c.person + "' is of '" +
                       person->organization + "'");
    }
    EventSink sink(p, now);
    sink.Add(EventType::kRoleUnassigned, rel->id,
             Json::MakeObject({{"person", Json(c.person)},
                               {"role", Json(c.role)},
                               {"organization", Json(person->organization)}}));
    return answer(sink.Take(), false);
  }
  // A person the caller may not see is as absent as one that does not exist.
  bool visible = person != nullptr &&
                 (p.is_admin() || person->organization == p.organization ||
                  (!person->organization.empty() &&
                   (person->organization == rel->provider ||
                    person->organization == rel->consumer) &&
                   std::any_of(rel->roles.begin(), rel->roles.end(),
                               [&](const RoleAssignment& r) { return r.person == c.person; })));
  if (visible && !p.is_admin() && person->organization != p.organization) {
    return Forbidden("a party assigns roles only to its own people; '" + c.person + "' is of '" +
                     person->organization + "'");
  }
  if (assigned) return answer({}, false);  // a safe retry
  if (!rel->live()) {
    return Conflict("relationship_not_active",
                    "roles are assigned on a relationship that is requested, active or "
                    "suspended; '" + rel->id + "' is " +
                        std::string(RelationshipStatusName(rel->status)));
  }
  if (!visible) return UnknownReference("person", c.person);
  const bool consumer_role = *IsConsumerRole(c.role);
  const std::string& side = consumer_role ? rel->consumer : rel->provider;
  if (person->organization != side) {
    return Unprocessable("role_not_for_party",
                         "'" + c.role + "' is a role of the " +
                             (consumer_role ? "consumer '" : "provider '") + side + "'; '" +
                             c.person + "' is of '" + person->organization + "'",
                         "role");
  }
  EventSink sink(p, now);
  sink.Add(EventType::kRoleAssigned, rel->id,
           Json::MakeObject({{"person", Json(c.person)},
                             {"name", Json(person->name)},
                             {"role", Json(c.role)},
                             {"organization", Json(person->organization)}}));
  return answer(sink.Take(), true);
}

// Agreements whose `end` has passed by `now` (CONTRACT §9.17): with renewal
// "none" the relationship terminates; with "auto" the agreement's term moves
// on by its length (start = the old end) until it ends after `now`.
StatusOr<Decision> DecideExpiry(const State& state, const Principal& p, const std::string& now) {
  if (!p.system) return Forbidden("only the server expires agreements");
  auto now_ms = UnixMillis(now);
  if (!now_ms) return Internal("the clock gave a time that is not RFC 3339: " + now);
  std::vector<Event> events;
  for (const auto& id : state.RelationshipsWithEnd()) {
    const Relationship& rel = *state.FindRelationship(id);
    const Agreement& a = rel.agreements.back();
    auto end = UnixMillis(a.end);
    auto start = UnixMillis(a.start);
    if (!end || *end > *now_ms) continue;
    // The term: from the start to the end, or for a renewed version (no
    // proposal made it) from when it came into force, so terms keep their
    // length while `start` stays the agreement's start.
    auto term_start = a.proposal.empty() ? MillisOf(a.at) : start;
    if (a.renewal == "auto" && term_start && *end > *term_start) {
      int64_t length = *end - *term_start;
      // The first term that ends after now, in one step however many passed.
      int64_t next_start = *end + (*now_ms - *end) / length * length;
      Agreement next = a;
      next.version = a.version + 1;
      next.end = FormatUnixMillis(next_start + length);
      next.proposal.clear();
      next.at = FormatUnixMillis(next_start);  // the term in force, however late noticed
      EventSink sink(p, now);
      sink.Add(EventType::kAgreementChanged, rel.id,
               Json::MakeObject({{"agreement", ToJson(next)}, {"reason", Json("renewed")}}));
      for (Event& e : sink.Take()) events.push_back(std::move(e));
    } else {
      CC_ASSIGN_OR_RETURN(Decision d,
                          DecideLifecycle(state, p, {rel.id, LifecycleVerb::kTerminate}, now));
      if (!d.events.empty()) d.events.front().data.Set("reason", Json("agreement_ended"));
      for (Event& e : d.events) events.push_back(std::move(e));
    }
  }
  return Shown(std::move(events), Decision::Shows::kNothing, "", false);
}

}  // namespace

std::optional<RelationshipStatus> NextStatus(RelationshipStatus from, LifecycleVerb verb) {
  using S = RelationshipStatus;
  switch (verb) {
    case LifecycleVerb::kActivate:
      if (from == S::kRequested) return S::kActive;
      break;
    case LifecycleVerb::kReject:
      if (from == S::kRequested) return S::kRejected;
      break;
    case LifecycleVerb::kSuspend:
      if (from == S::kActive) return S::kSuspended;
      break;
    case LifecycleVerb::kResume:
      if (from == S::kSuspended) return S::kActive;
      break;
    case LifecycleVerb::kTerminate:
      if (from == S::kRequested || from == S::kActive || from == S::kSuspended) {
        return S::kTerminated;
      }
      break;
  }
  return std::nullopt;
}

std::vector<Evidence> TransitionEvidence(const State& state, const std::string& org) {
  std::vector<Evidence> out;
  for (const std::string& service_id : state.ServicesOf(org)) {
    const Service& service = *state.FindService(service_id);
    for (const auto& resource_id : service.built_on) {
      for (const TouchRecord& touch : state.TouchesOf(resource_id)) {
        const Provision* prov = state.FindProvision(touch.provision);
        if (prov == nullptr || prov->consumer != org) continue;
        out.push_back({Id(service.id), resource_id, Id(prov->id), Id(prov->relationship),
                       Id(prov->provider)});
        break;  // the earliest provision that obtained it
      }
    }
  }
  return out;
}

StatusOr<Decision> Decide(const State& state, const Principal& principal,
                          const Command& command, const std::string& now) {
  const Json& request = command.request;
  return std::visit(
      [&](const auto& c) -> StatusOr<Decision> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateOrganization>) {
          return DecideOrganization(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreateConsumerGroup>) {
          return DecideGroup(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreateResource>) {
          return DecideResource(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreateService>) {
          return DecideService(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreateOffering>) {
          return DecideOffering(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreateRelationship>) {
          return DecideRelationship(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreateProvision>) {
          return DecideProvision(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, IssueToken>) {
          return DecideToken(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, RevokeToken>) {
          return DecideRevokeToken(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, PatchOrganization>) {
          return DecidePatchOrganization(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, CloseOrganization>) {
          return DecideClose(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, PatchConsumerGroup>) {
          return DecidePatchGroup(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, ReviseResource>) {
          return DecideRevision(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, PatchService>) {
          return DecidePatchService(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, PatchOffering>) {
          return DecidePatchOffering(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, Retire>) {
          return DecideRetire(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, ProposeAgreement>) {
          return DecidePropose(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, AnswerProposal>) {
          return DecideAnswer(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, RecordMeasurement>) {
          return DecideMeasurement(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, OpenRequest>) {
          return DecideOpenRequest(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CloseRequest>) {
          return DecideCloseRequest(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, StateValue>) {
          return DecideStateValue(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, CreatePerson>) {
          return DecideCreatePerson(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, AssignRole>) {
          return DecideRole(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, RegisterWebhook>) {
          return DecideRegisterWebhook(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, DeleteWebhook>) {
          return DecideDeleteWebhook(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, ExpireAgreements>) {
          return DecideExpiry(state, principal, now);
        } else if constexpr (std::is_same_v<T, DeclarePartyRole>) {
          return DecideDeclarePartyRole(state, principal, c, request, now);
        } else if constexpr (std::is_same_v<T, PatchPartyRole>) {
          return DecidePatchPartyRole(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, RemovePartyRole>) {
          return DecideRemovePartyRole(state, principal, c, now);
        } else if constexpr (std::is_same_v<T, PlaceOrder>) {
          return DecidePlaceOrder(state, principal, c, request, now);
        } else {
          return DecideLifecycle(state, principal, c, now);
        }
      },
      command.body);
}

}  // namespace cocreate

namespace cocreate {

std::vector<Event> Consequences(const State& state, const std::vector<Event>& applied) {
  std::vector<Event> out;
  if (applied.empty()) return out;
  // Whose access or consumption may have changed: the consumer of every
  // access or relationship event, and the provider of a changed service.
  std::vector<std::string> orgs;
  std::vector<std::string> services;
  auto add = [](std::vector<std::string>& v, const std::string& s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  for (const Event& e : applied) {
    const std::string_view type = EventTypeName(e.type);
    if (type.starts_with("access.") || type.starts_with("relationship.")) {
      if (const Relationship* rel = state.FindRelationship(e.subject)) add(orgs, rel->consumer);
    } else if (e.type == EventType::kServiceUpdated) {
      add(services, e.subject);
    }
  }
  for (const auto& org : orgs) {
    for (const std::string& s : state.ServicesOf(org)) add(services, s);
  }
  const Event& cause = applied.back();
  for (const auto& id : services) {
    const Service& service = *state.FindService(id);
    if (service.retired) continue;
    std::vector<DegradedBy> now = state.DegradationOf(service);
    if (now == service.degraded_by) continue;
    Event e;
    e.at = cause.at;
    e.actor = cause.actor;
    e.subject = id;
    if (now.empty()) {
      e.type = EventType::kServiceRestored;
      e.data = Json::MakeObject();
    } else {
      e.type = EventType::kServiceDegraded;
      e.data = Json::MakeObject({{"degraded_by", ToJson(now)}});
    }
    // Caused by a person: named with its organization, like the cause.
    if (const Person* person = state.FindPerson(cause.actor)) {
      e.data.Set("organization", Json(person->organization));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cocreate
