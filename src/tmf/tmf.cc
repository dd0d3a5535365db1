// Routing of the TMF Open APIs and their writes: each TMF body becomes the
// native command it stands for (docs/tmf.md), decided by the same rules.

#include "tmf/tmf.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <unordered_set>

#include "rules/commands.h"
#include "rules/webhooks.h"
#include "tmf/views.h"

namespace cocreate::tmf {

namespace {

// ---- Bodies ---------------------------------------------------------------

Status BadMember(std::string member, std::string message) {
  return InvalidField(std::move(member), std::move(message));
}

// 400 for a member `what` does not take, and for the server's own id and
// href (TMF630: server-owned fields on a POST or PATCH).
Status OnlyMembers(const Json& body, const std::vector<std::string_view>& allowed,
                   std::string_view what) {
  if (!body.is_object()) return InvalidField("", std::string(what) + " must be a JSON object");
  for (const auto& [key, value] : body.members()) {
    if (key == "id" || key == "href") {
      return BadMember(key, "'" + key + "' is the server's to set; leave it out");
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return BadMember(key, "'" + key + "' is not a field of " + std::string(what) +
                                " that cocreate keeps (docs/tmf.md lists them)");
    }
  }
  return Status::Ok();
}

// A string member: nullopt when absent or null. 400 when of another type.
StatusOr<std::optional<std::string>> StringMember(const Json& body, const std::string& key) {
  const Json* v = body.Find(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return BadMember(key, "'" + key + "' must be a string");
  return std::optional<std::string>(v->as_string());
}

// @type, when given, must be `expected` (@baseType likewise, when given).
Status TypeIs(const Json& body, std::string_view expected, std::string_view base) {
  for (auto [key, want] : {std::pair<std::string, std::string_view>{"@type", expected},
                           std::pair<std::string, std::string_view>{"@baseType", base}}) {
    const Json* v = body.Find(key);
    if (v == nullptr || v->is_null() || want.empty()) continue;
    if (!v->is_string() || v->as_string() != want) {
      return BadMember(key, "'" + key + "' must be \"" + std::string(want) + "\" here");
    }
  }
  return Status::Ok();
}

// attributes from [{name, value}] (TMF characteristics); 400 for a
// malformed or repeated entry.
StatusOr<Json> AttributesFrom(const Json& body, const std::string& key) {
  const Json* list = body.Find(key);
  Json out = Json::MakeObject();
  std::unordered_set<std::string_view> names;
  if (list == nullptr || list->is_null()) return out;
  if (!list->is_array()) return BadMember(key, "'" + key + "' must be a list of {name, value}");
  for (size_t i = 0; i < list->items().size(); ++i) {
    const Json& c = list->items()[i];
    std::string at = key + "[" + std::to_string(i) + "]";
    const Json* name = c.is_object() ? c.Find("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->as_string().empty()) {
      return BadMember(at + ".name", "'" + at + ".name' must be a non-empty string");
    }
    for (const auto& [k, v] : c.members()) {
      if (k != "name" && k != "value" && k != "valueType" && k != "@type") {
        return BadMember(at + "." + k, "a characteristic keeps only name and value");
      }
    }
    if (!names.insert(name->as_string()).second) {
      return BadMember(at + ".name", "'" + name->as_string() + "' is named twice in '" + key + "'");
    }
    const Json* value = c.Find("value");
    if (value == nullptr || value->is_null()) {
      return BadMember(at + ".value", "'" + at + ".value' is required and not null");
    }
    out.members().emplace_back(name->as_string(), *value);  // unique: checked above
  }
  return out;
}

// The id of the party in a list of related parties with role `role`
// (case-insensitive), or "" when none has it.
StatusOr<std::string> PartyWithRole(const Json& body, const std::string& key,
                                    std::string_view role) {
  const Json* list = body.Find(key);
  if (list == nullptr || list->is_null()) return std::string();
  if (!list->is_array()) return BadMember(key, "'" + key + "' must be a list of party references");
  for (size_t i = 0; i < list->items().size(); ++i) {
    const Json& ref = list->items()[i];
    std::string at = key + "[" + std::to_string(i) + "]";
    const Json* id = ref.is_object() ? ref.Find("id") : nullptr;
    const Json* r = ref.is_object() ? ref.Find("role") : nullptr;
    if (id == nullptr || !id->is_string() || id->as_string().empty()) {
      return BadMember(at + ".id", "'" + at + ".id' must name a party");
    }
    std::string lower = r != nullptr && r->is_string() ? r->as_string() : "";
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != role) {
      return BadMember(at + ".role", "cocreate keeps one related party here, with role \"" +
                                         std::string(role) + "\"");
    }
    if (list->items().size() > 1) {
      return BadMember(key, "'" + key + "' names one party, with role \"" + std::string(role) +
                                "\"");
    }
    return id->as_string();
  }
  return std::string();
}

// ---- Writes, resource by resource -----------------------------------------

// What a write becomes: the native command, or nothing to do (a PATCH that
// changes nothing answers the object as it stands).
using Write = StatusOr<std::optional<Command>>;

Write Native(StatusOr<Command> c) {
  if (!c.ok()) return c.status();
  return std::optional<Command>(std::move(c).value());
}

const std::vector<std::string_view> kOrganizationMembers = {
    "tradingName", "name", "description", "partyCharacteristic", "@type", "@baseType"};

// The organization's name in a body: `tradingName` or `name` (the same
// field here), nullopt when neither is given. 400 when they differ or the
// name is removed (null).
StatusOr<std::optional<std::string>> OrganizationName(const Json& b) {
  CC_RETURN_IF_ERROR(OnlyMembers(b, kOrganizationMembers, "an organization"));
  CC_RETURN_IF_ERROR(TypeIs(b, "Organization", "Party"));
  for (const char* key : {"tradingName", "name"}) {
    if (const Json* n = b.Find(key); n != nullptr && n->is_null()) {
      return BadMember(key, "an organization keeps its name; it cannot be removed");
    }
  }
  CC_ASSIGN_OR_RETURN(auto trading, StringMember(b, "tradingName"));
  CC_ASSIGN_OR_RETURN(auto name, StringMember(b, "name"));
  if (trading && name && *trading != *name) {
    return BadMember("name", "'name' and 'tradingName' are the same field here; send one");
  }
  return trading ? trading : name;
}

Write CreateOrganizationFrom(const State&, const Principal&, const Json& b) {
  CC_ASSIGN_OR_RETURN(auto name, OrganizationName(b));
  if (!name) return BadMember("tradingName", "'tradingName' is required");
  Json native = Json::MakeObject({{"name", Json(*name)}});
  CC_ASSIGN_OR_RETURN(auto description, StringMember(b, "description"));
  if (description) native.Set("description", Json(*description));
  CC_ASSIGN_OR_RETURN(Json attributes, AttributesFrom(b, "partyCharacteristic"));
  if (!attributes.members().empty()) native.Set("attributes", std::move(attributes));
  return Native(DecodeCreate(Noun::kOrganization, native));
}

Write PatchOrganizationFrom(const State& s, const Principal&, const std::string& id,
                            const Json& b) {
  CC_ASSIGN_OR_RETURN(auto name, OrganizationName(b));
  const Organization* org = s.FindOrganization(id);
  Json native = Json::MakeObject();
  if (name) native.Set("name", Json(*name));
  // A merge patch's null removes: the description becomes empty.
  if (const Json* d = b.Find("description"); d != nullptr && d->is_null()) {
    native.Set("description", Json(""));
  }
  CC_ASSIGN_OR_RETURN(auto description, StringMember(b, "description"));
  if (description) native.Set("description", Json(*description));
  if (b.Find("partyCharacteristic") != nullptr) {
    CC_ASSIGN_OR_RETURN(Json attributes, AttributesFrom(b, "partyCharacteristic"));
    Json patch = MergeDiff(org->attributes.value(), attributes);
    if (!patch.members().empty()) native.Set("attributes", std::move(patch));
  }
  if (native.members().empty()) return std::optional<Command>();
  return Native(DecodePatch(Noun::kOrganization, id, native));
}

Write CreateIndividualFrom(const State&, const Principal& p, const Json& b) {
  CC_RETURN_IF_ERROR(OnlyMembers(
      b, {"givenName", "familyName", "fullName", "contactMedium", "@type", "@baseType"},
      "an individual"));
  CC_RETURN_IF_ERROR(TypeIs(b, "Individual", "Party"));
  CC_ASSIGN_OR_RETURN(auto given, StringMember(b, "givenName"));
  CC_ASSIGN_OR_RETURN(auto family, StringMember(b, "familyName"));
  CC_ASSIGN_OR_RETURN(auto full, StringMember(b, "fullName"));
  CreatePerson c;
  c.organization = p.is_admin() ? std::string() : p.organization;
  c.person.given_name = given.value_or("");
  c.person.family_name = family.value_or("");
  std::string joined = c.person.given_name;
  if (!joined.empty() && !c.person.family_name.empty()) joined += ' ';
  joined += c.person.family_name;
  if (joined.empty()) {
    if (!full || full->empty()) {
      return BadMember("givenName", "an individual needs 'givenName' or 'familyName'");
    }
    joined = *full;
  } else if (full && *full != joined) {
    return BadMember("fullName", "'fullName' must be 'givenName' and 'familyName' joined by a "
                                 "space, or left out");
  }
  if (joined.size() > 1000) return BadMember("givenName", "the name is over 1000 characters");
  c.person.name = joined;
  if (const Json* media = b.Find("contactMedium"); media != nullptr && !media->is_null()) {
    if (!media->is_array()) return BadMember("contactMedium", "'contactMedium' must be a list");
    for (size_t i = 0; i < media->items().size(); ++i) {
      const Json& m = media->items()[i];
      std::string at = "contactMedium[" + std::to_string(i) + "]";
      const Json* type = m.is_object() ? m.Find("mediumType") : nullptr;
      const Json* ch = m.is_object() ? m.Find("characteristic") : nullptr;
      const Json* email = ch != nullptr && ch->is_object() ? ch->Find("emailAddress") : nullptr;
      if (type == nullptr || !type->is_string() || type->as_string() != "email" ||
          email == nullptr || !email->is_string()) {
        return BadMember(at, "cocreate keeps one contact medium: {\"mediumType\": \"email\", "
                             "\"characteristic\": {\"emailAddress\": ...}}");
      }
      if (!c.person.email.empty()) return BadMember(at, "only one email address is kept");
      c.person.email = email->as_string();
    }
  }
  // The native decoder checks the email and the name as it would for
  // POST /organizations/{id}/people.
  Json check = Json::MakeObject({{"name", Json(c.person.name)}});
  if (!c.person.email.empty()) check.Set("email", Json(c.person.email));
  CC_RETURN_IF_ERROR(DecodeCreatePerson(c.organization, check).status());
  return std::optional<Command>(Command{std::move(c), b});
}

const std::vector<std::string_view> kPartyRoleMembers = {
    "name", "roleType", "engagedParty", "description", "status", "statusReason", "validFor",
    "characteristic", "contactMedium", "account", "agreement", "creditProfile", "paymentMethod",
    "relatedParty", "@type", "@baseType", "@schemaLocation"};

// The members of a party role kept in `details`, type-checked.
StatusOr<Json> PartyRoleDetails(const Json& b) {
  Json details = Json::MakeObject();
  for (const auto& [key, value] : b.members()) {
    if (key == "name" || key == "engagedParty") continue;
    if (value.is_null()) {
      details.Set(key, value);  // a PATCH removes it
      continue;
    }
    std::string_view want = key == "roleType" || key == "validFor"                   ? "an object"
                            : key == "description" || key == "status" ||
                                      key == "statusReason" || key[0] == '@' ? "a string"
                                                                             : "a list";
    bool ok = want == "an object" ? value.is_object()
              : want == "a string" ? value.is_string()
                                   : value.is_array();
    if (!ok) return BadMember(key, "'" + key + "' must be " + std::string(want));
    details.Set(key, value);
  }
  if (const Json* t = b.Find("@type"); t != nullptr && t->is_string() &&
                                       t->as_string() != "PartyRole") {
    return BadMember("@type", "'@type' must be \"PartyRole\" here");
  }
  return details;
}

StatusOr<std::string> EngagedPartyId(const Json& b) {
  const Json* e = b.Find("engagedParty");
  if (e == nullptr || e->is_null()) return std::string();
  const Json* id = e->is_object() ? e->Find("id") : nullptr;
  if (id == nullptr || !id->is_string() || id->as_string().empty()) {
    return BadMember("engagedParty.id", "'engagedParty' must be a reference {\"id\": ...}");
  }
  return id->as_string();
}

Write CreatePartyRoleFrom(const State&, const Principal&, const Json& b) {
  CC_RETURN_IF_ERROR(OnlyMembers(b, kPartyRoleMembers, "a party role"));
  CC_ASSIGN_OR_RETURN(auto name, StringMember(b, "name"));
  if (!name || name->empty()) return BadMember("name", "'name' is required");
  if (name->size() > 1000) return BadMember("name", "'name' is over 1000 characters");
  DeclarePartyRole c;
  c.role.name = *name;
  CC_ASSIGN_OR_RETURN(c.role.engaged_party, EngagedPartyId(b));
  CC_ASSIGN_OR_RETURN(c.role.details, PartyRoleDetails(b));
  Json cleaned = Json::MakeObject();
  for (const auto& [k, v] : c.role.details.members()) {
    if (!v.is_null()) cleaned.Set(k, v);
  }
  if (cleaned.Find("roleType") == nullptr) cleaned.Set("roleType", Json::MakeObject());
  c.role.details = std::move(cleaned);
  return std::optional<Command>(Command{std::move(c), b});
}

Status DerivedRoleIsReadOnly(const std::string& id) {
  return Forbidden("'" + id + "' is derived from the relationships and is read-only; it "
                   "changes as the organization provides and consumes");
}

Write PatchPartyRoleFrom(const State& s, const Principal&, const std::string& id, const Json& b) {
  if (ParseDerivedRoleId(id)) return DerivedRoleIsReadOnly(id);
  CC_RETURN_IF_ERROR(OnlyMembers(b, kPartyRoleMembers, "a party role"));
  PatchPartyRole c;
  c.id = id;
  CC_ASSIGN_OR_RETURN(auto name, StringMember(b, "name"));
  if (name && name->empty()) return BadMember("name", "'name' must not be empty");
  c.name = name;
  CC_ASSIGN_OR_RETURN(std::string engaged, EngagedPartyId(b));
  const PartyRole* role = s.FindPartyRole(id);
  if (b.Find("engagedParty") != nullptr && role != nullptr && engaged != role->engaged_party) {
    return BadMember("engagedParty", "a party role keeps its engaged party; declare a new role");
  }
  CC_ASSIGN_OR_RETURN(c.details_patch, PartyRoleDetails(b));
  return std::optional<Command>(Command{std::move(c), b});
}

Write DeletePartyRoleFrom(const State&, const Principal&, const std::string& id) {
  if (ParseDerivedRoleId(id)) return DerivedRoleIsReadOnly(id);
  return std::optional<Command>(Command{RemovePartyRole{id}, Json::MakeObject()});
}

const std::vector<std::string_view> kResourceMembers = {
    "name", "@type", "@baseType", "resourceCharacteristic", "relatedParty"};

Write CreateResourceFrom(const State&, const Principal& p, const Json& b) {
  CC_RETURN_IF_ERROR(OnlyMembers(b, kResourceMembers, "a resource"));
  CC_RETURN_IF_ERROR(TypeIs(b, "", "Resource"));
  CC_ASSIGN_OR_RETURN(auto name, StringMember(b, "name"));
  if (!name) return BadMember("name", "'name' is required");
  CC_ASSIGN_OR_RETURN(auto kind, StringMember(b, "@type"));
  CC_ASSIGN_OR_RETURN(std::string owner, PartyWithRole(b, "relatedParty", "owner"));
  if (owner.empty()) {
    if (p.is_admin()) {
      return BadMember("relatedParty", "the admin names the owner: relatedParty [{\"id\": ORG, "
                                       "\"role\": \"owner\"}]");
    }
    owner = p.organization;
  }
  Json native = Json::MakeObject({{"owner", Json(owner)},
                                  {"kind", Json(kind && !kind->empty() ? *kind : "Resource")},
                                  {"name", Json(*name)}});
  CC_ASSIGN_OR_RETURN(Json attributes, AttributesFrom(b, "resourceCharacteristic"));
  native.Set("attributes", std::move(attributes));
  return Native(DecodeCreate(Noun::kResource, native));
}

Write PatchResourceFrom(const State& s, const Principal&, const std::string& id, const Json& b) {
  CC_RETURN_IF_ERROR(OnlyMembers(b, kResourceMembers, "a resource"));
  CC_RETURN_IF_ERROR(TypeIs(b, "", "Resource"));
  const ResourceVersion& v = s.FindResource(id)->current();
  CC_ASSIGN_OR_RETURN(auto kind, StringMember(b, "@type"));
  if (kind && *kind != v.kind) {
    return BadMember("@type", "'@type' is the resource's kind, '" + v.kind +
                                  "', which does not change");
  }
  CC_ASSIGN_OR_RETURN(std::string owner, PartyWithRole(b, "relatedParty", "owner"));
  if (b.Find("relatedParty") != nullptr && owner != v.owner) {
    return BadMember("relatedParty", "the owner changes only through a provision that transfers "
                                     "the resource");
  }
  Json native = Json::MakeObject();
  CC_ASSIGN_OR_RETURN(auto name, StringMember(b, "name"));
  if (name && *name != v.name) native.Set("name", Json(*name));
  if (b.Find("resourceCharacteristic") != nullptr) {
    CC_ASSIGN_OR_RETURN(Json attributes, AttributesFrom(b, "resourceCharacteristic"));
    Json patch = MergeDiff(v.attributes.value(), attributes);
    if (!patch.members().empty()) native.Set("attributes", std::move(patch));
  }
  if (native.members().empty()) return std::optional<Command>();
  return Native(DecodeRevision(id, native));
}

Write DeleteResourceFrom(const State&, const Principal&, const std::string& id) {
  return Native(DecodeRetire(Noun::kResource, id, nullptr));
}

Write DeleteOrganizationFrom(const State&, const Principal&, const std::string& id) {
  return Native(DecodeRetire(Noun::kOrganization, id, nullptr));
}

// A string at body.path (a.b.c); "" when absent. 400 when not a string.
StatusOr<std::string> StringAt(const Json& body, const std::vector<std::string>& path,
                               const std::string& at) {
  const Json* v = &body;
  for (const auto& key : path) {
    v = v->is_object() ? v->Find(key) : nullptr;
    if (v == nullptr || v->is_null()) return std::string();
  }
  if (!v->is_string()) return BadMember(at, "'" + at + "' must be a string");
  return v->as_string();
}

// The value of the characteristic named `name` in service.serviceCharacteristic, or "".
StatusOr<std::string> Characteristic(const Json& service, const std::string& name,
                                     const std::string& at) {
  const Json* list = service.Find("serviceCharacteristic");
  if (list == nullptr || list->is_null()) return std::string();
  if (!list->is_array()) return BadMember(at, "'" + at + "' must be a list of {name, value}");
  for (const Json& c : list->items()) {
    const Json* n = c.is_object() ? c.Find("name") : nullptr;
    if (n == nullptr || !n->is_string()) {
      return BadMember(at, "each entry of '" + at + "' needs a name");
    }
    if (n->as_string() != name) continue;
    const Json* v = c.Find("value");
    if (v == nullptr || !v->is_string() || v->as_string().empty()) {
      return BadMember(at, "the '" + name + "' characteristic's value must be a string");
    }
    return v->as_string();
  }
  return std::string();
}

Write CreateOrderFrom(const State&, const Principal& p, const Json& b) {
  CC_RETURN_IF_ERROR(OnlyMembers(b, {"description", "externalId", "relatedParty",
                                     "serviceOrderItem", "@type", "@baseType"},
                                 "a service order"));
  CC_RETURN_IF_ERROR(TypeIs(b, "ServiceOrder", ""));
  PlaceOrder order;
  CC_ASSIGN_OR_RETURN(auto description, StringMember(b, "description"));
  CC_ASSIGN_OR_RETURN(auto external, StringMember(b, "externalId"));
  order.description = description.value_or("");
  order.external_id = external.value_or("");
  CC_ASSIGN_OR_RETURN(std::string customer, PartyWithRole(b, "relatedParty", "customer"));
  if (customer.empty()) customer = p.organization;
  const Json* items = b.Find("serviceOrderItem");
  if (items == nullptr || !items->is_array() || items->items().empty()) {
    return BadMember("serviceOrderItem", "'serviceOrderItem' must list at least one item");
  }
  if (items->items().size() > 100) {
    return BadMember("serviceOrderItem", "an order has at most 100 items");
  }
  std::vector<std::string> ids, named;
  for (size_t i = 0; i < items->items().size(); ++i) {
    const Json& it = items->items()[i];
    std::string at = "serviceOrderItem[" + std::to_string(i) + "]";
    if (!it.is_object()) return BadMember(at, "'" + at + "' must be an object");
    for (const auto& [key, value] : it.members()) {
      if (key != "id" && key != "action" && key != "service" && key != "@type") {
        return BadMember(at + "." + key, "an order item keeps only id, action and service");
      }
    }
    PlaceOrderItem item;
    CC_ASSIGN_OR_RETURN(item.id, StringAt(it, {"id"}, at + ".id"));
    CC_ASSIGN_OR_RETURN(item.action, StringAt(it, {"action"}, at + ".action"));
    if (item.id.empty()) return BadMember(at + ".id", "'" + at + ".id' is required");
    if (std::find(ids.begin(), ids.end(), item.id) != ids.end()) {
      return BadMember(at + ".id", "item id '" + item.id + "' is used twice");
    }
    ids.push_back(item.id);
    const Json* service = it.Find("service");
    if (service == nullptr || !service->is_object()) {
      return BadMember(at + ".service", "'" + at + ".service' is required");
    }
    // What each action reads of `service`; anything else is 400, so that
    // nothing sent is silently dropped.
    const bool adding = item.action == "add";
    for (const auto& [key, value] : service->members()) {
      bool known = key == "@type" || key == "serviceCharacteristic" ||
                   (adding ? key == "serviceSpecification" : key == "id");
      if (!known) {
        return BadMember(at + ".service." + key,
                         "an '" + item.action + "' item's service takes " +
                             (adding ? "serviceSpecification" : "id") +
                             " and serviceCharacteristic only");
      }
    }
    if (const Json* spec = service->Find("serviceSpecification"); spec != nullptr) {
      if (!spec->is_object()) {
        return BadMember(at + ".service.serviceSpecification", "a reference {\"id\": ...}");
      }
      for (const auto& [key, value] : spec->members()) {
        if (key != "id" && key != "href" && key != "name" && key[0] != '@') {
          return BadMember(at + ".service.serviceSpecification." + key,
                           "a serviceSpecification reference takes id, href and name");
        }
      }
    }
    if (const Json* list = service->Find("serviceCharacteristic");
        list != nullptr && list->is_array()) {
      std::vector<std::string> seen;
      for (size_t k = 0; k < list->items().size(); ++k) {
        const Json* n = list->items()[k].is_object() ? list->items()[k].Find("name") : nullptr;
        std::string name = n != nullptr && n->is_string() ? n->as_string() : "";
        std::string where = at + ".service.serviceCharacteristic[" + std::to_string(k) + "]";
        std::string_view wanted = adding ? "type" : item.action == "modify" ? "action" : "";
        if (name != wanted) {
          return BadMember(where, wanted.empty()
                                      ? "a 'delete' item takes no characteristic"
                                      : "an '" + item.action + "' item takes one characteristic, '" +
                                            std::string(wanted) + "'");
        }
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
          return BadMember(where, "'" + name + "' is given twice");
        }
        seen.push_back(name);
      }
    }
    std::string target;
    if (item.action == "add") {
      CC_ASSIGN_OR_RETURN(target, StringAt(*service, {"serviceSpecification", "id"},
                                           at + ".service.serviceSpecification.id"));
      if (target.empty()) {
        return BadMember(at + ".service.serviceSpecification.id",
                         "an 'add' names the offering (a serviceCandidate id) in "
                         "service.serviceSpecification.id");
      }
      if (customer.empty()) {
        return BadMember("relatedParty", "the admin names the consumer: relatedParty "
                                         "[{\"id\": ORG, \"role\": \"customer\"}]");
      }
      CC_ASSIGN_OR_RETURN(std::string type, Characteristic(*service, "type",
                                                           at + ".service.serviceCharacteristic"));
      auto rel_type = RelationshipTypeFromName(type.empty() ? "basic" : type);
      if (!rel_type) {
        return BadMember(at + ".service.serviceCharacteristic",
                         "'type' must be basic, cooperative or partnership");
      }
      item.add.relationship.offering = target;
      item.add.relationship.consumer = customer;
      item.add.relationship.type = *rel_type;
    } else if (item.action == "modify" || item.action == "delete") {
      CC_ASSIGN_OR_RETURN(target, StringAt(*service, {"id"}, at + ".service.id"));
      if (target.empty()) {
        return BadMember(at + ".service.id", "a '" + item.action +
                                                 "' names the service (a TMF638 service id)");
      }
      if (item.action == "modify") {
        CC_ASSIGN_OR_RETURN(item.modify.action,
                            Characteristic(*service, "action", at + ".service.serviceCharacteristic"));
        if (item.modify.action.empty()) {
          return BadMember(at + ".service.serviceCharacteristic",
                           "a 'modify' names the action: [{\"name\": \"action\", \"value\": ...}]");
        }
        item.modify.relationship = target;
      } else {
        item.remove.relationship = target;
        item.remove.verb = LifecycleVerb::kTerminate;
      }
    } else {
      return BadMember(at + ".action", "'" + at + ".action' must be add, modify or delete");
    }
    if (std::find(named.begin(), named.end(), target) != named.end()) {
      return BadMember(at + ".service", "'" + target + "' is named by two items; one each");
    }
    named.push_back(target);
    order.items.push_back(std::move(item));
  }
  return std::optional<Command>(Command{std::move(order), b});
}

// ---- The resources --------------------------------------------------------

struct Collection {
  std::string_view api;       // "party"
  std::string_view resource;  // "organization"
  View view;
  std::vector<std::string> (*ids)(const State&);
  std::vector<std::string> filterable;
  Write (*create)(const State&, const Principal&, const Json&) = nullptr;
  Write (*patch)(const State&, const Principal&, const std::string&, const Json&) = nullptr;
  Write (*remove)(const State&, const Principal&, const std::string&) = nullptr;
};

const std::vector<Collection>& Collections() {
  static const auto* all = new std::vector<Collection>{
      {"party", "organization", OrganizationView, OrganizationIds,
       {"id", "tradingName", "name", "description", "status", "partyCharacteristic"},
       CreateOrganizationFrom, PatchOrganizationFrom, DeleteOrganizationFrom},
      {"party", "individual", IndividualView, IndividualIds,
       {"id", "givenName", "familyName", "fullName", "status", "relatedParty"},
       CreateIndividualFrom, nullptr, nullptr},
      {"partyRoleManagement", "partyRole", PartyRoleView, PartyRoleIds,
       {"id", "name", "status", "roleType", "engagedParty", "validFor", "description"},
       CreatePartyRoleFrom, PatchPartyRoleFrom, DeletePartyRoleFrom},
      {"resourceInventoryManagement", "resource", ResourceView, ResourceIds,
       {"id", "name", "@type", "resourceVersion", "resourceStatus", "resourceCharacteristic",
        "relatedParty"},
       CreateResourceFrom, PatchResourceFrom, DeleteResourceFrom},
      {"serviceCatalogManagement", "serviceSpecification", ServiceSpecificationView, ServiceIds,
       {"id", "name", "description", "lifecycleStatus", "relatedParty"}},
      {"serviceCatalogManagement", "serviceCandidate", ServiceCandidateView, OfferingIds,
       {"id", "name", "version", "lifecycleStatus", "serviceSpecification", "category"}},
      {"serviceCatalogManagement", "serviceCatalog", ServiceCatalogView, OrganizationIds,
       {"id", "name", "relatedParty"}},
      {"serviceInventory", "service", InventoryServiceView, RelationshipIds,
       {"id", "name", "state", "serviceType", "serviceSpecification", "relatedParty",
        "supportingResource"}},
      {"serviceOrdering", "serviceOrder", ServiceOrderView, ServiceOrderIds,
       {"id", "state", "externalId", "description", "serviceOrderItem"}, CreateOrderFrom},
  };
  return *all;
}

Answer Fail(Status status) {
  Answer a;
  a.error = std::move(status);
  a.status = HttpStatusOf(a.error.code());
  return a;
}

Answer Body(int status, const Json& doc) {
  Answer a;
  a.status = status;
  a.body = doc.Dump();
  return a;
}

Status MethodNotAllowed(const std::string& method, std::string allow,
                        std::vector<std::pair<std::string, std::string>>* headers) {
  headers->emplace_back("Allow", allow);
  return Status(Code::kInvalidArgument, "method_not_allowed",
                method + " is not allowed here; allowed: " + allow);
}

// A native error as the TMF view says it: a DELETE of something in use is
// 409 (CONTRACT §9.24), and fields are named as the TMF body names them.
Status AsTmfStatus(Status s) {
  std::string field = s.field();
  if (field == "owner" || field == "consumer") field = "relatedParty";
  if (field == "email") field = "contactMedium";
  Code code = s.code();
  if (code == Code::kUnprocessable &&
      (s.reason() == "in_use" || s.reason() == "has_active_relationships")) {
    code = Code::kConflict;
  }
  return Status(code, s.reason(), s.message(), field);
}

// A hub's secret: TMF listeners do not verify signatures, but every
// delivery is signed all the same (with a secret nobody is told).
std::string HubSecret() {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::random_device random;
  std::string secret(64, '0');
  for (char& c : secret) c = kDigits[random() & 15];
  return secret;
}

// POST {api}/hub {callback, query?} registers a webhook on `callback` for
// every event type (CONTRACT §9.22); DELETE {api}/hub/{id} removes it.
void HandleHub(Engine& engine, const Principal& p, const Request& request,
               const Api::Reply& reply) {
  const bool item = request.path.size() == 4;
  if (request.method == "POST" && !item) {
    if (request.body == nullptr) {
      return reply(Fail(Status(Code::kInvalidArgument, "invalid_json",
                               "this request needs a JSON object body {callback, query?}")));
    }
    const Json& b = *request.body;
    Status members = OnlyMembers(b, {"callback", "query", "secret", "@type", "@baseType"}, "a hub");
    if (!members.ok()) return reply(Fail(members));
    auto callback = StringMember(b, "callback");
    if (!callback.ok()) return reply(Fail(callback.status()));
    auto query = StringMember(b, "query");
    if (!query.ok()) return reply(Fail(query.status()));
    if (!callback->has_value() || (*callback)->empty()) {
      return reply(Fail(BadMember("callback", "'callback' is required: the listener's URL")));
    }
    // A listener that wants to verify Cocreate-Signature sends its own
    // secret (a cocreate extension); otherwise the key is random and untold.
    auto secret = StringMember(b, "secret");
    if (!secret.ok()) return reply(Fail(secret.status()));
    Json native = Json::MakeObject({{"url", Json(**callback)},
                                    {"events", Json::MakeArray({Json("*")})},
                                    {"secret", Json(secret->value_or(HubSecret()))}});
    auto command = DecodeRegisterWebhook(native);
    if (!command.ok()) {
      Status s = command.status();
      return reply(Fail(Status(s.code(), s.reason(), s.message(),
                               s.field() == "url" ? "callback" : s.field())));
    }
    std::string cb = **callback;
    std::string q = query->value_or("");
    engine.Submit(p, std::move(command).value(), [reply, cb, q](StatusOr<Outcome> outcome) {
      if (!outcome.ok()) {
        Status s = outcome.status();
        return reply(Fail(Status(s.code(), s.reason(), s.message(),
                                 s.field() == "url" ? "callback" : s.field())));
      }
      Json hub = Json::MakeObject({{"id", Json(outcome->subject)}, {"callback", Json(cb)}});
      if (!q.empty()) hub.Set("query", Json(q));
      reply(Body(201, hub));
    });
    return;
  }
  if (request.method == "DELETE" && item) {
    engine.Submit(p, DecodeDeleteWebhook(request.path[3]), [reply](StatusOr<Outcome> outcome) {
      if (!outcome.ok()) return reply(Fail(outcome.status()));
      Answer a;
      a.status = 204;
      reply(std::move(a));
    });
    return;
  }
  std::vector<std::pair<std::string, std::string>> headers;
  Answer a = Fail(MethodNotAllowed(request.method, item ? "DELETE" : "POST", &headers));
  a.status = 405;
  a.headers = std::move(headers);
  reply(std::move(a));
}

}  // namespace

void Api::Handle(const Principal& p, const Request& request, Reply reply) const {
  // /tmf-api/{api}/v4/{resource}[/{id}]
  const auto& path = request.path;
  const Collection* c = nullptr;
  if ((path.size() == 3 || path.size() == 4) && path[1] == "v4" && path[2] == "hub") {
    for (const auto& candidate : Collections()) {
      if (candidate.api == path[0]) return HandleHub(engine_, p, request, reply);
    }
  }
  if ((path.size() == 3 || path.size() == 4) && path[1] == "v4") {
    for (const auto& candidate : Collections()) {
      if (candidate.api == path[0] && candidate.resource == path[2]) c = &candidate;
    }
  }
  if (c == nullptr) {
    return reply(Fail(NotFound("no such TMF resource: /tmf-api/" +
                               (path.empty() ? std::string() : path[0] + "/..."))));
  }
  const bool item = path.size() == 4;
  const std::string id = item ? path[3] : std::string();
  const std::string& method = request.method;
  std::string allow = "GET, HEAD";
  if (item && c->patch) allow += ", PATCH";
  if (item && c->remove) allow += ", DELETE";
  if (!item && c->create) allow += ", POST";

  if (method == "GET") {
    Answer answer;
    if (item) {
      std::optional<Json> doc;
      engine_.Inspect([&](const State& s) { doc = c->view(s, p, id); });
      if (!doc) return reply(Fail(NotFound("no " + std::string(c->resource) + " '" + id + "'")));
      // One object takes `fields` only; paging means nothing here.
      std::map<std::string, std::string> only_fields;
      if (auto f = request.query.find("fields"); f != request.query.end()) {
        only_fields.insert(*f);
      }
      auto params = ParseListParams(only_fields, {});
      if (!params.ok()) return reply(Fail(params.status()));
      return reply(Body(200, SelectFields(*doc, params->fields)));
    }
    auto params = ParseListParams(request.query, c->filterable);
    if (!params.ok()) return reply(Fail(params.status()));
    Json list = Json::MakeArray();
    int64_t total = 0;
    engine_.Inspect([&](const State& s) {
      for (const auto& oid : c->ids(s)) {
        std::optional<Json> doc = c->view(s, p, oid);
        if (!doc || !Matches(*doc, params->filters)) continue;
        if (total >= params->offset && total < params->offset + params->limit) {
          list.Push(SelectFields(*doc, params->fields));
        }
        ++total;
      }
    });
    answer = Body(200, list);
    answer.headers.emplace_back("X-Total-Count", std::to_string(total));
    answer.headers.emplace_back("X-Result-Count", std::to_string(list.items().size()));
    return reply(std::move(answer));
  }

  // Writes.
  std::vector<std::pair<std::string, std::string>> headers;
  Write write = std::optional<Command>();
  if (method == "POST" && !item && c->create) {
    if (request.body == nullptr) {
      return reply(Fail(Status(Code::kInvalidArgument, "invalid_json",
                               "this request needs a JSON object body")));
    }
    engine_.Inspect([&](const State& s) { write = c->create(s, p, *request.body); });
  } else if ((method == "PATCH" && item && c->patch) || (method == "DELETE" && item && c->remove)) {
    if (method == "PATCH" && request.body == nullptr) {
      return reply(Fail(Status(Code::kInvalidArgument, "invalid_json",
                               "a PATCH needs a JSON object body (a merge patch)")));
    }
    bool visible = false;
    engine_.Inspect([&](const State& s) {
      // Derived party roles are visible but read-only: their write answers
      // 403, which the decoders say.
      visible = c->view(s, p, id).has_value();
      if (!visible) return;
      write = method == "PATCH" ? c->patch(s, p, id, *request.body) : c->remove(s, p, id);
    });
    if (!visible) return reply(Fail(NotFound("no " + std::string(c->resource) + " '" + id + "'")));
  } else {
    Answer a = Fail(MethodNotAllowed(method, allow, &headers));
    a.status = 405;
    a.headers = std::move(headers);
    return reply(std::move(a));
  }
  if (!write.ok()) return reply(Fail(AsTmfStatus(write.status())));
  const bool deleting = method == "DELETE";
  auto answer_with = [this, c, p, deleting, reply](const std::string& subject, int status) {
    if (deleting) {
      Answer a;
      a.status = 204;
      return reply(std::move(a));
    }
    // After a write this runs once the write is durable, while the state
    // may already hold later rounds still being committed: what it reads
    // waits for them, as any read does (Engine::WhenDurable).
    auto mark = std::make_shared<Engine::ReadMark>();
    std::optional<Json> doc;
    {
      Engine::ReadScope scope(mark.get());
      engine_.Inspect([&](const State& s) { doc = c->view(s, p, subject); });
    }
    // The caller made or changed it, so it sees it, unless a concurrent
    // write retired it since: then it is gone from the TMF view.
    auto answer = std::make_shared<Answer>(
        doc ? Body(status, *doc)
            : Fail(NotFound("no " + std::string(c->resource) + " '" + subject + "'")));
    engine_.WhenDurable(*mark, [reply, answer](bool durable) {
      reply(durable ? std::move(*answer)
                    : Fail(Unavailable("the store refused a change this answer saw")));
    });
  };
  if (!write->has_value()) return answer_with(id, 200);
  // 201 for what a POST made; a PATCH answers 200 even when the native
  // answer is a new version (a resource's revision).
  const bool creating = method == "POST";
  engine_.Submit(p, std::move(**write),
                 [answer_with, reply, creating](StatusOr<Outcome> outcome) {
                   if (!outcome.ok()) return reply(Fail(AsTmfStatus(outcome.status())));
                   answer_with(outcome->subject, creating && outcome->status == 201 ? 201 : 200);
                 });
}

}  // namespace cocreate::tmf
