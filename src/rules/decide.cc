#include "rules/decide.h"

#include <set>

#include "model/codec.h"
#include "model/env.h"
#include "rules/visibility.h"

namespace cocreate {

namespace {

// Builds events of one decision with a shared time and actor.
class EventSink {
 public:
  EventSink(const Principal& p, const std::string& now) : actor_(p.actor()), now_(now) {}
  Event& Add(std::string type, std::string subject, Json data) {
    Event e;
    e.type = std::move(type);
    e.at = now_;
    e.actor = actor_;
    e.subject = std::move(subject);
    e.data = std::move(data);
    events_.push_back(std::move(e));
    return events_.back();
  }
  std::vector<Event> Take() { return std::move(events_); }

 private:
  std::string actor_;
  std::string now_;
  std::vector<Event> events_;
};

Json RequestData(const Json& request) {
  return Json::MakeObject({{"request", request}});
}

// Makes a fresh id "<prefix>-<n>" not yet used in the state nor in `taken`.
std::string NewId(const State& state, std::string_view prefix, std::set<std::string>& taken) {
  int64_t n = state.last_seq() + 1;
  for (;;) {
    std::string id = std::string(prefix) + "-" + std::to_string(n++);
    if (state.FindNoun(id) == nullptr && !taken.count(id)) {
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

StatusOr<IdCheck> CheckClientId(const State& state, const std::string& id, Noun noun,
                                const Json& request) {
  if (id.empty()) return IdCheck::kFresh;
  const Noun* existing = state.FindNoun(id);
  if (existing == nullptr) return IdCheck::kFresh;
  const Json* original = state.FindRequest(id);
  if (*existing == noun && original != nullptr && *original == request) return IdCheck::kRetry;
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

// Records the creation of `object`, giving it a server-made id when the
// client sent none.
template <typename T>
Decision Created(const State& state, const Principal& p, Noun noun, std::string_view prefix,
                 T object, const Json& request, const std::string& now) {
  std::set<std::string> taken;
  if (object.id.empty()) object.id = NewId(state, prefix, taken);
  object.created_at = now;
  EventSink sink(p, now);
  std::string type = std::string(NounName(noun)) + ".created";
  sink.Add(std::move(type), object.id, ToJson(object)).private_data = RequestData(request);
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
  return Created(state, p, Noun::kOrganization, "org", c.org, request, now);
}

StatusOr<Decision> DecideGroup(const State& state, const Principal& p,
                               const CreateConsumerGroup& c, const Json& request,
                               const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  CC_RETURN_IF_ERROR(RequireAdmin(p, "create consumer groups"));
  CC_ASSIGN_OR_RETURN(IdCheck check,
                      CheckClientId(state, c.group.id, Noun::kConsumerGroup, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kConsumerGroup, c.group.id);
  ConsumerGroup group = c.group;
  for (size_t i = 0; i < group.members.size(); ++i) {
    CC_RETURN_IF_ERROR(RequireOrganization(state, group.members[i], Indexed("members", i)));
  }
  return Created(state, p, Noun::kConsumerGroup, "group", group, request, now);
}

Resource MakeResource(const std::string& id, const std::string& owner, const NewResource& spec,
                      const std::string& origin, const std::string& now) {
  Resource r;
  r.id = id;
  r.origin_provision = origin;
  ResourceVersion v;
  v.version = 1;
  v.owner = owner;
  v.kind = spec.kind;
  v.name = spec.name;
  v.attributes = spec.attributes;
  v.at = now;
  v.provision = origin;
  r.versions.push_back(std::move(v));
  return r;
}

StatusOr<Decision> DecideResource(const State& state, const Principal& p,
                                  const CreateResource& c, const Json& request,
                                  const std::string& now) {
  CC_RETURN_IF_ERROR(RequireSelf(p, c.owner, "owner"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, c.resource.id, Noun::kResource, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kResource, c.resource.id);
  CC_RETURN_IF_ERROR(RequireOrganization(state, c.owner, "owner"));
  std::set<std::string> taken;
  std::string id = c.resource.id.empty() ? NewId(state, "res", taken) : c.resource.id;
  EventSink sink(p, now);
  sink.Add("resource.created", id, ToJson(MakeResource(id, c.owner, c.resource, "", now)))
      .private_data = RequestData(request);
  return Decision{sink.Take(), Noun::kResource, id, true};
}

StatusOr<Decision> DecideService(const State& state, const Principal& p, const CreateService& c,
                                 const Json& request, const std::string& now) {
  const Service& spec = c.service;
  CC_RETURN_IF_ERROR(RequireSelf(p, spec.provider, "provider"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, spec.id, Noun::kService, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kService, spec.id);
  CC_RETURN_IF_ERROR(RequireOrganization(state, spec.provider, "provider"));
  for (size_t i = 0; i < spec.built_on.size(); ++i) {
    const std::string& r = spec.built_on[i];
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, r, Indexed("built_on", i)));
    if (!state.CanUseResource(spec.provider, r)) {
      return Unprocessable("resource_not_usable",
                           "a service may be built only on resources its provider owns or has "
                           "access to through an active relationship; '" +
                               spec.provider + "' cannot use '" + r + "'",
                           Indexed("built_on", i));
    }
  }
  for (size_t i = 0; i < spec.depends_on.size(); ++i) {
    const std::string& s = spec.depends_on[i];
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kService, s, Indexed("depends_on", i)));
    if (!state.CanUseService(spec.provider, s)) {
      return Unprocessable("service_not_usable",
                           "a service may depend only on its provider's own services or services "
                           "it consumes through an active relationship; '" +
                               spec.provider + "' does not consume '" + s + "'",
                           Indexed("depends_on", i));
    }
  }
  return Created(state, p, Noun::kService, "svc", spec, request, now);
}

StatusOr<Decision> DecideOffering(const State& state, const Principal& p,
                                  const CreateOffering& c, const Json& request,
                                  const std::string& now) {
  const Offering& spec = c.offering;
  CC_RETURN_IF_ERROR(RequireSelf(p, spec.provider, "provider"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, spec.id, Noun::kOffering, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kOffering, spec.id);
  CC_RETURN_IF_ERROR(RequireOrganization(state, spec.provider, "provider"));
  CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kService, spec.service, "service"));
  if (state.FindService(spec.service)->provider != spec.provider) {
    return Unprocessable("not_provider",
                         "an offering describes one of its provider's own services; '" +
                             spec.service + "' is not provided by '" + spec.provider + "'",
                         "service");
  }
  for (size_t i = 0; i < spec.access.size(); ++i) {
    const std::string field = Indexed("access", i) + ".resource";
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, spec.access[i], field));
    if (state.FindResource(spec.access[i])->current().owner != spec.provider) {
      return Unprocessable("resource_not_usable",
                           "an offering may give access only to resources its provider owns; '" +
                               spec.access[i] + "' is not owned by '" + spec.provider + "'",
                           field);
    }
  }
  for (size_t i = 0; i < spec.audience_groups.size(); ++i) {
    if (state.FindGroup(spec.audience_groups[i]) == nullptr) {
      return UnknownReference(Indexed("audience.consumer_groups", i), spec.audience_groups[i]);
    }
  }
  return Created(state, p, Noun::kOffering, "off", spec, request, now);
}

StatusOr<Decision> DecideRelationship(const State& state, const Principal& p,
                                      const CreateRelationship& c, const Json& request,
                                      const std::string& now) {
  const Relationship& spec = c.relationship;
  CC_RETURN_IF_ERROR(RequireSelf(p, spec.consumer, "consumer"));
  CC_ASSIGN_OR_RETURN(IdCheck check, CheckClientId(state, spec.id, Noun::kRelationship, request));
  if (check == IdCheck::kRetry) return Retry(Noun::kRelationship, spec.id);
  CC_RETURN_IF_ERROR(RequireOrganization(state, spec.consumer, "consumer"));
  // An offering the caller may not see is unknown, worded as one that does
  // not exist (CONTRACT §3); `not_in_audience` is left for a caller who sees
  // the offering, e.g. the admin acting for a consumer outside its audience.
  CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kOffering, spec.offering, "offering"));
  const Offering& offering = *state.FindOffering(spec.offering);
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
  sink.Add("relationship.requested", rel.id, ToJson(rel)).private_data = RequestData(request);
  return Decision{sink.Take(), Noun::kRelationship, rel.id, true};
}

Json AccessData(const Relationship& rel, const Offering& offering) {
  Json resources = Json::MakeArray();
  for (const auto& r : offering.access) resources.Push(Json(r));
  return Json::MakeObject({{"consumer", Json(rel.consumer)}, {"resources", std::move(resources)}});
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
  sink.Add("relationship." + std::string(kPast[static_cast<size_t>(c.verb)]), rel->id,
           std::move(data));
  if (*next == RelationshipStatus::kActive) {
    sink.Add("access.granted", rel->id, AccessData(*rel, offering));
  } else if (rel->status == RelationshipStatus::kActive) {
    sink.Add("access.revoked", rel->id, AccessData(*rel, offering));
  }
  if (c.verb == LifecycleVerb::kActivate) {
    const RoleRecord* roles = state.FindRoles(rel->provider);
    if (roles != nullptr && !roles->consumer_since.empty() && roles->provider_since.empty()) {
      Json evidence = Json::MakeArray();
      for (const Evidence& e : TransitionEvidence(state, rel->provider)) {
        evidence.Push(ToJson(e));
      }
      sink.Add("role.transitioned", rel->provider,
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
    if (state.FindNoun(id) != nullptr || taken.count(id) || id == c.id) {
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
    CC_RETURN_IF_ERROR(RequireVisible(state, p, Noun::kResource, c.used[i], Indexed("used", i)));
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
         {"attributes", MergePatch(r.current().attributes, m.patch)},
         {"patch", m.patch}}));
  }
  prov.transferred = c.transfers;

  EventSink sink(p, now);
  sink.Add("provision.performed", prov.id, ToJson(prov)).private_data = RequestData(request);
  for (const auto& r : created) sink.Add("resource.created", r.id, ToJson(r));
  for (size_t i = 0; i < c.modifies.size(); ++i) {
    sink.Add("resource.modified", c.modifies[i].resource, std::move(modified_data[i]));
  }
  for (const auto& id : c.transfers) {
    const Resource& r = *state.FindResource(id);
    sink.Add("resource.transferred", id,
             Json::MakeObject({{"provision", Json(prov.id)},
                               {"from", Json(rel.provider)},
                               {"to", Json(rel.consumer)},
                               {"version", Json(r.current().version + 1)}}));
  }
  return Decision{sink.Take(), Noun::kProvision, prov.id, true};
}

StatusOr<Decision> DecideToken(const State& state, const Principal& p, const IssueToken& c,
                               const std::string& now) {
  CC_RETURN_IF_ERROR(RequireWriter(p));
  CC_RETURN_IF_ERROR(RequireAdmin(p, "issue tokens"));
  CC_RETURN_IF_ERROR(RequireOrganization(state, c.organization, "organization"));
  if (c.secret_digest.empty()) return Internal("token digest missing");
  // The event's seq makes the id unique; tokens issued before they had ids
  // get theirs the same way, from their own seq (State::Apply).
  std::string id = "tok-" + std::to_string(state.last_seq() + 1);
  Json data = Json::MakeObject(
      {{"id", Json(id)},
       {"organization", Json(c.organization)},
       {"role", Json(RoleName(c.role))}});
  if (c.expires_in > 0) {
    std::optional<int64_t> at = UnixMillis(now);
    if (!at) return Internal("the clock gave a time that is not RFC 3339: " + now);
    data.Set("expires_at", Json(FormatUnixMillis(*at + c.expires_in * 1000)));
  }
  EventSink sink(p, now);
  Event& e = sink.Add("token.issued", c.organization, std::move(data));
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
  sink.Add("token.revoked", token->principal.organization,
           Json::MakeObject({{"id", Json(token->id)},
                             {"organization", Json(token->principal.organization)}}));
  return Decision{sink.Take(), Noun::kOrganization, token->id, false};
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
  for (const auto& service_id : state.ServicesOf(org)) {
    const Service& service = *state.FindService(service_id);
    for (const auto& resource_id : service.built_on) {
      for (const TouchRecord& touch : state.TouchesOf(resource_id)) {
        const Provision* prov = state.FindProvision(touch.provision);
        if (prov == nullptr || prov->consumer != org) continue;
        out.push_back({service.id, resource_id, prov->id, prov->relationship, prov->provider});
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
        } else {
          return DecideLifecycle(state, principal, c, now);
        }
      },
      command.body);
}

}  // namespace cocreate
