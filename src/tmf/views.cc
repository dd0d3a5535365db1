#include "tmf/views.h"

#include <algorithm>

#include "rules/visibility.h"

namespace cocreate::tmf {

namespace {

std::string Href(std::string_view base, std::string_view resource, const std::string& id) {
  std::string out(base);
  out += resource;
  out += '/';
  out += id;
  return out;
}

// A reference to another TMF resource: {id, href, name, role?, @referredType}.
Json Ref(const std::string& id, std::string href, const std::string& name,
         std::string_view referred, std::string_view role = "") {
  Json ref = Json::MakeObject({{"id", Json(id)}, {"href", Json(std::move(href))}});
  if (!name.empty()) ref.Set("name", Json(name));
  if (!role.empty()) ref.Set("role", Json(std::string(role)));
  ref.Set("@referredType", Json(std::string(referred)));
  return ref;
}

Json OrganizationRef(const State& s, const std::string& org, std::string_view role = "") {
  const Organization* o = s.FindOrganization(org);
  return Ref(org, Href(kPartyBase, "organization", org), o ? o->name : std::string(),
             "Organization", role);
}

// [{name, value, valueType}] from an attributes object, in its order.
Json Characteristics(const Json& attributes) {
  Json out = Json::MakeArray();
  if (!attributes.is_object()) return out;
  for (const auto& [key, value] : attributes.members()) {
    std::string_view type = value.is_string()   ? "string"
                            : value.is_number() ? "number"
                            : value.is_bool()   ? "boolean"
                            : value.is_array()  ? "array"
                            : value.is_object() ? "object"
                                                : "null";
    out.Push(Json::MakeObject({{"name", Json(key)},
                               {"value", value},
                               {"valueType", Json(std::string(type))}}));
  }
  return out;
}

bool OpenOrganization(const State& s, const std::string& id) {
  const Organization* o = s.FindOrganization(id);
  return o != nullptr && !o->closed;
}

void SetIf(Json& doc, std::string key, const std::string& value) {
  if (!value.empty()) doc.Set(std::move(key), Json(value));
}

}  // namespace

std::pair<std::string, std::string> SplitName(const Person& person) {
  if (!person.given_name.empty() || !person.family_name.empty()) {
    return {person.given_name, person.family_name};
  }
  size_t space = person.name.rfind(' ');
  if (space == std::string::npos) return {person.name, ""};
  return {person.name.substr(0, space), person.name.substr(space + 1)};
}

std::optional<Json> OrganizationView(const State& s, const Principal& p, const std::string& id) {
  const Organization* o = s.FindOrganization(id);
  if (o == nullptr || o->closed || !CanSee(s, p, Noun::kOrganization, id)) return std::nullopt;
  Json doc = Json::MakeObject({{"id", Json(o->id)},
                               {"href", Json(Href(kPartyBase, "organization", o->id))},
                               {"@type", Json("Organization")},
                               {"@baseType", Json("Party")},
                               {"tradingName", Json(o->name)},
                               {"name", Json(o->name)}});
  SetIf(doc, "description", o->description);
  doc.Set("status", Json("validated"));
  doc.Set("existsDuring", Json::MakeObject({{"startDateTime", Json(o->created_at)}}));
  if (Json attributes = o->attributes.value();
      attributes.is_object() && !attributes.members().empty()) {
    doc.Set("partyCharacteristic", Characteristics(attributes));
  }
  return doc;
}

std::optional<Json> IndividualView(const State& s, const Principal& p, const std::string& id) {
  const Person* person = s.FindPerson(id);
  if (person == nullptr || !CanSeePerson(s, p, *person)) return std::nullopt;
  auto [given, family] = SplitName(*person);
  Json doc = Json::MakeObject({{"id", Json(person->id)},
                               {"href", Json(Href(kPartyBase, "individual", person->id))},
                               {"@type", Json("Individual")},
                               {"@baseType", Json("Party")},
                               {"givenName", Json(given)},
                               {"familyName", Json(family)},
                               {"fullName", Json(person->name)},
                               {"status", Json("validated")}});
  // The email only to those who see it natively: the person's organization
  // and the admin (CONTRACT §9.11).
  bool own = p.is_admin() || (!person->organization.empty() &&
                              person->organization == p.organization);
  if (own && !person->email.empty()) {
    doc.Set("contactMedium",
            Json::MakeArray({Json::MakeObject(
                {{"mediumType", Json("email")},
                 {"preferred", Json(true)},
                 {"characteristic",
                  Json::MakeObject({{"emailAddress", Json(person->email)}})}})}));
  }
  if (!person->organization.empty()) {
    doc.Set("relatedParty",
            Json::MakeArray({OrganizationRef(s, person->organization, "organization")}));
  }
  return doc;
}

std::optional<Json> PartyRoleView(const State& s, const Principal& p, const std::string& id) {
  if (auto derived = ParseDerivedRoleId(id)) {
    const auto& [org, role] = *derived;
    if (!OpenOrganization(s, org) || !CanSee(s, p, Noun::kOrganization, org)) return std::nullopt;
    const RoleRecord* roles = s.FindRoles(org);
    if (roles == nullptr) return std::nullopt;
    const std::string& since = role == "provider" ? roles->provider_since : roles->consumer_since;
    if (since.empty()) return std::nullopt;
    return Json::MakeObject(
        {{"id", Json(id)},
         {"href", Json(Href(kPartyRoleBase, "partyRole", id))},
         {"@type", Json("PartyRole")},
         {"name", Json(role)},
         {"roleType", Json::MakeObject({{"name", Json(role)}})},
         {"status", Json("active")},
         {"engagedParty", OrganizationRef(s, org)},
         {"validFor", Json::MakeObject({{"startDateTime", Json(since)}})}});
  }
  const PartyRole* role = s.FindPartyRole(id);
  if (role == nullptr || role->removed || !CanSeePartyRole(s, p, *role)) return std::nullopt;
  Json doc = Json::MakeObject({{"id", Json(role->id)},
                               {"href", Json(Href(kPartyRoleBase, "partyRole", role->id))},
                               {"@type", Json("PartyRole")},
                               {"name", Json(role->name)},
                               {"roleType", Json::MakeObject()}});
  for (const auto& [key, value] : role->details.members()) doc.Set(key, value);
  if (!role->engaged_party.empty()) {
    if (const Person* person = s.FindPerson(role->engaged_party)) {
      doc.Set("engagedParty", Ref(person->id, Href(kPartyBase, "individual", person->id),
                                  person->name, "Individual"));
    } else {
      doc.Set("engagedParty", OrganizationRef(s, role->engaged_party));
    }
  }
  return doc;
}

std::optional<Json> ResourceView(const State& s, const Principal& p, const std::string& id) {
  const Resource* r = s.FindResource(id);
  if (r == nullptr || r->retired || !CanSee(s, p, Noun::kResource, id)) return std::nullopt;
  const ResourceVersion& v = r->current();
  Json doc = Json::MakeObject(
      {{"id", Json(r->id)},
       {"href", Json(Href(kResourceBase, "resource", r->id))},
       {"@type", Json(v.kind.str())},
       {"@baseType", Json("Resource")},
       {"name", Json(v.name)},
       {"resourceVersion", Json(std::to_string(v.version))},
       {"resourceStatus", Json("available")},
       {"startOperatingDate", Json(r->versions.front().at)},
       {"resourceCharacteristic", Characteristics(v.attributes.value())},
       {"relatedParty", Json::MakeArray({OrganizationRef(s, v.owner, "owner")})}});
  return doc;
}

std::optional<Json> ServiceSpecificationView(const State& s, const Principal& p,
                                             const std::string& id) {
  const Service* svc = s.FindService(id);
  if (svc == nullptr || svc->retired || !CanSee(s, p, Noun::kService, id)) return std::nullopt;
  Json doc = Json::MakeObject({{"id", Json(svc->id)},
                               {"href", Json(Href(kCatalogBase, "serviceSpecification", svc->id))},
                               {"@type", Json("ServiceSpecification")},
                               {"name", Json(svc->name)}});
  SetIf(doc, "description", svc->description);
  doc.Set("lifecycleStatus", Json(std::string(svc->status())));
  doc.Set("lastUpdate", Json(svc->updated_at.empty() ? svc->created_at : svc->updated_at));
  doc.Set("relatedParty", Json::MakeArray({OrganizationRef(s, svc->provider, "provider")}));
  // What it is built on and depends on, as far as the caller may see it
  // (CONTRACT §9.28): the owner sees every reference (§9.7).
  bool own = p.is_admin() || svc->provider == p.organization;
  Json resources = Json::MakeArray();
  for (const auto& rid : svc->built_on) {
    const Resource* r = s.FindResource(rid);
    if (r == nullptr || (!own && !CanSeeId(s, p, rid))) continue;
    resources.Push(Ref(rid, Href(kResourceBase, "resource", rid), r->current().name, "Resource"));
  }
  doc.Set("resourceSpecification", std::move(resources));
  Json depends = Json::MakeArray();
  for (const auto& sid : svc->depends_on) {
    const Service* d = s.FindService(sid);
    if (d == nullptr || (!own && !CanSeeId(s, p, sid))) continue;
    Json ref = Ref(sid, Href(kCatalogBase, "serviceSpecification", sid), d->name,
                   "ServiceSpecification");
    ref.Set("relationshipType", Json("dependency"));
    depends.Push(std::move(ref));
  }
  doc.Set("serviceSpecRelationship", std::move(depends));
  return doc;
}

std::optional<Json> ServiceCandidateView(const State& s, const Principal& p,
                                         const std::string& id) {
  const Offering* o = s.FindOffering(id);
  if (o == nullptr || o->retired || !CanSee(s, p, Noun::kOffering, id)) return std::nullopt;
  const Service* svc = s.FindService(o->service);
  Json doc = Json::MakeObject(
      {{"id", Json(o->id)},
       {"href", Json(Href(kCatalogBase, "serviceCandidate", o->id))},
       {"@type", Json("ServiceCandidate")},
       {"name", Json(o->name)},
       {"version", Json(std::to_string(o->version))},
       {"lifecycleStatus", Json("active")},
       {"lastUpdate", Json(o->updated_at.empty() ? o->created_at : o->updated_at)},
       {"serviceSpecification",
        Ref(o->service, Href(kCatalogBase, "serviceSpecification", o->service),
            svc ? svc->name : std::string(), "ServiceSpecification")},
       {"category", Json::MakeArray({Ref(o->provider, Href(kCatalogBase, "serviceCatalog",
                                                           o->provider),
                                         std::string(), "ServiceCatalog")})}});
  return doc;
}

std::optional<Json> ServiceCatalogView(const State& s, const Principal& p, const std::string& id) {
  const Organization* org = s.FindOrganization(id);
  if (org == nullptr || org->closed) return std::nullopt;
  Json candidates = Json::MakeArray();
  for (const std::string& sid : s.ServicesOf(id)) {
    for (const std::string& oid : s.OfferingsOf(sid)) {
      const Offering* o = s.FindOffering(oid);
      if (o->retired || !CanSee(s, p, Noun::kOffering, oid)) continue;
      candidates.Push(Ref(oid, Href(kCatalogBase, "serviceCandidate", oid), o->name,
                          "ServiceCandidate"));
    }
  }
  if (candidates.items().empty()) return std::nullopt;
  return Json::MakeObject({{"id", Json(org->id)},
                           {"href", Json(Href(kCatalogBase, "serviceCatalog", org->id))},
                           {"@type", Json("ServiceCatalog")},
                           {"name", Json(org->name)},
                           {"lifecycleStatus", Json("active")},
                           {"relatedParty", Json::MakeArray({OrganizationRef(s, id, "provider")})},
                           {"serviceCandidate", std::move(candidates)}});
}

std::optional<Json> InventoryServiceView(const State& s, const Principal& p,
                                         const std::string& id) {
  const Relationship* rel = s.FindRelationship(id);
  if (rel == nullptr || !CanSee(s, p, Noun::kRelationship, id)) return std::nullopt;
  const Offering* o = s.FindOffering(rel->offering);
  std::string_view state;
  switch (rel->status) {
    case RelationshipStatus::kRequested: state = "reserved"; break;
    case RelationshipStatus::kActive: state = "active"; break;
    case RelationshipStatus::kSuspended: state = "inactive"; break;
    case RelationshipStatus::kTerminated:
    case RelationshipStatus::kRejected: state = "terminated"; break;
  }
  Json doc = Json::MakeObject({{"id", Json(rel->id)},
                               {"href", Json(Href(kInventoryBase, "service", rel->id))},
                               {"@type", Json("Service")},
                               {"name", Json(o ? o->name : rel->offering)},
                               {"state", Json(std::string(state))},
                               {"serviceType", Json(std::string(RelationshipTypeName(rel->type)))},
                               {"isServiceEnabled", Json(rel->status == RelationshipStatus::kActive)}});
  SetIf(doc, "startDate", rel->activated_at);
  if (!rel->live()) SetIf(doc, "endDate", rel->updated_at);
  if (o != nullptr) {
    const Service* svc = s.FindService(o->service);
    doc.Set("serviceSpecification",
            Ref(o->service, Href(kCatalogBase, "serviceSpecification", o->service),
                svc ? svc->name : std::string(), "ServiceSpecification"));
    doc.Set("serviceCandidate", Ref(o->id, Href(kCatalogBase, "serviceCandidate", o->id),
                                    o->name, "ServiceCandidate"));
  }
  doc.Set("relatedParty", Json::MakeArray({OrganizationRef(s, rel->provider, "provider"),
                                           OrganizationRef(s, rel->consumer, "customer")}));
  // The resources it gives access to, then those its provisions touched,
  // each once, as far as the caller may see them.
  Json supporting = Json::MakeArray();
  std::vector<std::string> seen;
  auto add = [&](const std::string& rid) {
    if (std::find(seen.begin(), seen.end(), rid) != seen.end()) return;
    seen.push_back(rid);
    const Resource* r = s.FindResource(rid);
    if (r == nullptr || !CanSeeId(s, p, rid)) return;
    supporting.Push(Ref(rid, Href(kResourceBase, "resource", rid), r->current().name, "Resource"));
  };
  if (o != nullptr) {
    for (const auto& rid : o->access) add(rid);
  }
  for (const std::string& pid : s.ProvisionsIn(rel->id)) {
    const Provision* prov = s.FindProvision(pid);
    for (const auto& rid : prov->created) add(rid);
    for (const auto& m : prov->modified) add(m.resource);
    for (const auto& rid : prov->transferred) add(rid);
  }
  doc.Set("supportingResource", std::move(supporting));
  return doc;
}

std::optional<Json> ServiceOrderView(const State& s, const Principal& p, const std::string& id) {
  const ServiceOrder* order = s.FindServiceOrder(id);
  if (order == nullptr || !CanSeeId(s, p, id)) return std::nullopt;
  // Each item's state follows what it caused: an added relationship is
  // in progress while requested, completed once activated, failed when
  // rejected or ended before it ever was active.
  Json items = Json::MakeArray();
  int in_progress = 0, completed = 0, failed = 0;
  for (const auto& item : order->items) {
    std::string_view state = "completed";
    if (item.action == "add") {
      const Relationship* rel = s.FindRelationship(item.relationship);
      if (rel == nullptr || rel->status == RelationshipStatus::kRejected ||
          (rel->status == RelationshipStatus::kTerminated && rel->activated_at.empty())) {
        state = "failed";
      } else if (rel->status == RelationshipStatus::kRequested) {
        state = "inProgress";
      }
    }
    (state == "completed" ? completed : state == "failed" ? failed : in_progress)++;
    items.Push(Json::MakeObject(
        {{"id", Json(item.id)},
         {"@type", Json("ServiceOrderItem")},
         {"action", Json(item.action)},
         {"state", Json(std::string(state))},
         {"service", Ref(item.relationship, Href(kInventoryBase, "service", item.relationship),
                         std::string(), "Service")}}));
  }
  std::string_view state = in_progress > 0 ? "inProgress"
                           : failed == 0   ? "completed"
                           : completed == 0 ? "failed"
                                            : "partial";
  Json doc = Json::MakeObject({{"id", Json(order->id)},
                               {"href", Json(Href(kOrderingBase, "serviceOrder", order->id))},
                               {"@type", Json("ServiceOrder")},
                               {"state", Json(std::string(state))},
                               {"orderDate", Json(order->created_at)}});
  SetIf(doc, "description", order->description);
  SetIf(doc, "externalId", order->external_id);
  if (!order->orderer.empty()) {
    doc.Set("relatedParty", Json::MakeArray({OrganizationRef(s, order->orderer, "customer")}));
  }
  doc.Set("serviceOrderItem", std::move(items));
  return doc;
}

std::vector<std::string> ServiceOrderIds(const State& s) { return s.ServiceOrderIds(); }

std::vector<std::string> OrganizationIds(const State& s) { return Texts(s.Ids(Noun::kOrganization)); }

std::vector<std::string> IndividualIds(const State& s) {
  std::vector<std::string> out = Texts(s.PeopleOf(""));
  for (const std::string& org : s.Ids(Noun::kOrganization)) {
    const auto& people = s.PeopleOf(org);
    out.insert(out.end(), people.begin(), people.end());
  }
  return out;
}

std::vector<std::string> PartyRoleIds(const State& s) {
  std::vector<std::string> out;
  for (const std::string& org : s.Ids(Noun::kOrganization)) {
    const RoleRecord* roles = s.FindRoles(org);
    if (roles == nullptr) continue;
    if (!roles->provider_since.empty()) out.push_back(DerivedRoleId(org, "provider"));
    if (!roles->consumer_since.empty()) out.push_back(DerivedRoleId(org, "consumer"));
  }
  const auto& declared = s.PartyRoleIds();
  out.insert(out.end(), declared.begin(), declared.end());
  return out;
}

std::vector<std::string> ResourceIds(const State& s) { return Texts(s.Ids(Noun::kResource)); }
std::vector<std::string> ServiceIds(const State& s) { return Texts(s.Ids(Noun::kService)); }
std::vector<std::string> OfferingIds(const State& s) { return Texts(s.Ids(Noun::kOffering)); }
std::vector<std::string> RelationshipIds(const State& s) { return Texts(s.Ids(Noun::kRelationship)); }

}  // namespace cocreate::tmf
