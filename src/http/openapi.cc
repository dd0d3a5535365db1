// The OpenAPI 3 document of the HTTP API. It is written here, route by
// route, independently of the router's dispatch table; router_test checks
// that every route the router serves is documented.
#include <string>
#include <vector>

#include "http/router.h"

namespace cocreate {

namespace {

struct Op {
  const char* method;
  const char* path;
  const char* summary;
  const char* request_schema;  // nullptr: no body
  int success;
  const char* response_schema;  // nullptr: no body (204)
  std::vector<const char*> query;  // query parameter names
};

const std::vector<Op>& Operations() {
  static const std::vector<Op> ops = [] {
    std::vector<Op> v;
    const char* nouns[][3] = {{"organizations", "Organization", "OrganizationCreate"},
                              {"consumer-groups", "ConsumerGroup", "ConsumerGroupCreate"},
                              {"resources", "Resource", "ResourceCreate"},
                              {"services", "Service", "ServiceCreate"},
                              {"offerings", "Offering", "OfferingCreate"},
                              {"relationships", "Relationship", "RelationshipCreate"},
                              {"provisions", "Provision", "ProvisionCreate"}};
    static std::vector<std::string> paths;
    paths.reserve(64);
    for (auto& n : nouns) {
      paths.push_back(std::string("/") + n[0]);
      const char* collection = paths.back().c_str();
      paths.push_back(std::string("/") + n[0] + "/{id}");
      const char* item = paths.back().c_str();
      std::vector<const char*> query = {"limit", "offset"};
      // The filters are string literals, so their data is terminated.
      for (std::string_view f : ListFilters(*NounFromCollection(n[0]))) query.push_back(f.data());
      v.push_back({"get", collection, "List the visible objects (filters: field=value)", nullptr,
                   200, "List", std::move(query)});
      v.push_back({"post", collection, "Create; a retry with the same id and body answers 200",
                   n[2], 201, n[1], {}});
      v.push_back({"get", item, "Get one object", nullptr, 200, n[1], {}});
    }
    v.push_back({"get", "/organizations/{id}/roles", "Role timeline and transitions", nullptr,
                 200, "Roles", {}});
    v.push_back({"get", "/organizations/{id}/value",
                 "Value received and provided (itself and the admin); from/to limit the period",
                 nullptr, 200, "ValueRollup", {"from", "to"}});
    v.push_back({"get", "/resources/{id}/versions", "Every version, oldest first", nullptr, 200,
                 "List", {}});
    v.push_back({"get", "/resources/{id}/lineage",
                 "Upstream lineage (format=prov: PROV-JSON); version=N: of that version, as "
                 "everything upstream stood when it was made",
                 nullptr, 200, "Lineage", {"format", "version"}});
    v.push_back({"patch", "/organizations/{id}",
                 "Change name, description, attributes (merge patch): admin or a member",
                 "OrganizationPatch", 200, "Organization", {}});
    v.push_back({"post", "/organizations/{id}/close",
                 "Close (admin): 409 has_active_relationships while party to a live "
                 "relationship; retires its offerings, stops its tokens",
                 "Empty", 200, "Organization", {}});
    v.push_back({"patch", "/consumer-groups/{id}",
                 "Rename, add and remove members: admin, or a member of the owner",
                 "ConsumerGroupPatch", 200, "ConsumerGroup", {}});
    v.push_back({"post", "/resources/{id}/revisions",
                 "A new version by the owner: name and attributes (merge patch)",
                 "ResourceRevision", 201, "ResourceVersion", {}});
    v.push_back({"post", "/resources/{id}/retire",
                 "Retire (owner): 409 in_use while its owner's service or offering uses it; "
                 "revokes every access to it",
                 "Empty", 200, "Resource", {}});
    v.push_back({"patch", "/services/{id}",
                 "Change name, description, built_on, depends_on (lists replace; rules "
                 "checked again)",
                 "ServicePatch", 200, "Service", {}});
    v.push_back({"post", "/services/{id}/retire",
                 "Retire (provider): 409 in_use while offered, depended on or consumed",
                 "Empty", 200, "Service", {}});
    v.push_back({"patch", "/offerings/{id}",
                 "Change the offering (version + 1); access changes reach active "
                 "relationships at once",
                 "OfferingPatch", 200, "Offering", {}});
    v.push_back({"get", "/offerings/{id}/versions", "Every version, oldest first", nullptr,
                 200, "List", {"limit", "offset"}});
    v.push_back({"post", "/offerings/{id}/retire",
                 "Retire (provider): new requests are 422 offering_retired; relationships "
                 "carry on",
                 "Empty", 200, "Offering", {}});
    v.push_back({"post", "/relationships/{id}/proposals",
                 "Propose an agreement change (either party, while active or suspended)",
                 "ProposalCreate", 201, "Proposal", {}});
    v.push_back({"get", "/relationships/{id}/proposals", "The relationship's proposals",
                 nullptr, 200, "List", {"limit", "offset"}});
    v.push_back({"get", "/relationships/{id}/agreement", "The agreement in force", nullptr, 200,
                 "Agreement", {}});
    v.push_back({"get", "/relationships/{id}/agreements", "Every agreement version, oldest first",
                 nullptr, 200, "List", {"limit", "offset"}});
    v.push_back({"get", "/proposals/{id}", "One proposal", nullptr, 200, "Proposal", {}});
    v.push_back({"post", "/proposals/{id}/accept",
                 "Accept (the other party): the agreement's version + 1", "Reason", 200,
                 "Proposal", {}});
    v.push_back({"post", "/proposals/{id}/decline", "Decline (the other party)", "Reason", 200,
                 "Proposal", {}});
    v.push_back({"post", "/proposals/{id}/withdraw", "Withdraw (the proposer)", "Reason", 200,
                 "Proposal", {}});
    // Service relationship management (CONTRACT §6).
    v.push_back({"post", "/relationships/{id}/measurements",
                 "Record a measurement of a service level (either party, while active or "
                 "suspended); a miss also records service_level.breached",
                 "MeasurementCreate", 201, "Measurement", {}});
    v.push_back({"get", "/relationships/{id}/measurements",
                 "Measurements by the end of their period; metric, from and to filter", nullptr,
                 200, "List", {"metric", "from", "to", "limit", "offset"}});
    v.push_back({"get", "/relationships/{id}/service-levels",
                 "Per metric: objective, measurements, met, attainment, last, breaches", nullptr,
                 200, "ServiceLevels", {"from", "to"}});
    v.push_back({"get", "/organizations/{id}/breaches",
                 "Breaches whose impact reached the organization (itself and the admin)",
                 nullptr, 200, "List", {"from", "to", "limit", "offset"}});
    v.push_back({"post", "/relationships/{id}/requests",
                 "Open a request for one of the offering's actions (the consumer, while active)",
                 "RequestCreate", 201, "Request", {}});
    v.push_back({"get", "/relationships/{id}/requests",
                 "The relationship's requests, with their lead time", nullptr, 200, "List",
                 {"status", "limit", "offset"}});
    v.push_back({"get", "/requests",
                 "Every request of the caller's relationships (what waits for whom); "
                 "as=consumer|provider, status filter",
                 nullptr, 200, "List", {"status", "as", "limit", "offset"}});
    v.push_back({"get", "/requests/{id}", "One request", nullptr, 200, "Request", {}});
    v.push_back({"post", "/requests/{id}/decline", "Decline an open request (the provider)",
                 "Reason", 200, "Request", {}});
    v.push_back({"post", "/requests/{id}/cancel", "Cancel an open request (the consumer)",
                 "Reason", 200, "Request", {}});
    v.push_back({"post", "/relationships/{id}/value",
                 "State value as one party sees it (the two parties only)", "ValueCreate", 201,
                 "ValueRecord", {}});
    v.push_back({"get", "/relationships/{id}/value",
                 "Value as each party states it, side by side; from/to limit the period", nullptr,
                 200, "RelationshipValue", {"from", "to"}});
    v.push_back({"post", "/organizations/{id}/people", "Add a person (admin or a member)",
                 "PersonCreate", 201, "Person", {}});
    v.push_back({"get", "/organizations/{id}/people", "The organization's people", nullptr, 200,
                 "List", {"limit", "offset"}});
    v.push_back({"get", "/people/{id}", "One person", nullptr, 200, "Person", {}});
    v.push_back({"post", "/relationships/{id}/roles",
                 "Assign one of the party's own people to a role: customer, user, sponsor "
                 "(consumer) or relationship_manager (provider)",
                 "RoleCreate", 201, "RoleAssignment", {}});
    v.push_back({"get", "/relationships/{id}/roles", "People in roles on the relationship",
                 nullptr, 200, "List", {"limit", "offset"}});
    v.push_back({"delete", "/relationships/{id}/roles/{person}/{role}",
                 "Unassign a person from a role (its own party)", nullptr, 204, nullptr, {}});
    for (const char* verb : {"activate", "reject", "suspend", "resume", "terminate"}) {
      paths.push_back(std::string("/relationships/{id}/") + verb);
      v.push_back({"post", paths.back().c_str(), "Move the relationship through its lifecycle",
                   "Empty", 200, "Relationship", {}});
    }
    v.push_back({"post", "/imports",
                 "Import a catalog (admin only): Backstage YAML or CSV of one kind, reconciled "
                 "by external_id through the rules; answers the report",
                 "ImportRequest", 200, "ImportReport", {}});
    v.push_back({"post", "/tokens",
                 "Issue a token for an organization (admin only); the secret is in this "
                 "answer only, expires_in (60 to 31536000 s) makes it expire",
                 "TokenCreate", 201, "Token", {}});
    v.push_back({"get", "/tokens",
                 "List live tokens: all to the admin, its own organization's to a member, "
                 "403 to a viewer; never a secret",
                 nullptr, 200, "TokenList", {"limit", "offset"}});
    v.push_back({"delete", "/tokens/{id}",
                 "Revoke a token (admin: any; member: its organization's); it answers 401 "
                 "from then on",
                 nullptr, 204, nullptr, {}});
    v.push_back({"post", "/webhooks",
                 "Register a webhook (a member for its own organization, the admin for "
                 "everything); the secret is never answered back",
                 "WebhookCreate", 201, "Webhook", {}});
    v.push_back({"get", "/webhooks",
                 "The webhooks of the caller's organization (all to the admin); no secrets",
                 nullptr, 200, "List", {"limit", "offset"}});
    v.push_back({"get", "/webhooks/{id}", "One webhook", nullptr, 200, "Webhook", {}});
    v.push_back({"delete", "/webhooks/{id}",
                 "Delete a webhook: nothing more is delivered", nullptr, 204, nullptr, {}});
    v.push_back({"get", "/webhooks/{id}/deliveries",
                 "Every delivery of the webhook, by seq: pending, delivered or dead", nullptr,
                 200, "List", {"status", "limit", "offset"}});
    v.push_back({"get", "/me", "Who the token acts as: organization (null for the admin) and role",
                 nullptr, 200, "Me", {}});
    v.push_back({"get", "/impact", "Downstream impact of a failure", nullptr, 200, "Impact",
                 {"from", "depth", "explain"}});
    v.push_back({"get", "/chains", "Value chains between two organizations, shortest first",
                 nullptr, 200, "Chains", {"from", "to", "limit", "value"}});
    v.push_back({"get", "/graph/organizations",
                 "The organization graph in one answer: organizations with role dates, "
                 "visible relationships as edges", nullptr, 200, "OrganizationGraph", {}});
    v.push_back({"get", "/cycles", "Cycles among organizations (strongly connected components)",
                 nullptr, 200, "Cycles", {}});
    v.push_back({"get", "/analysis/concentration",
                 "What reaches the most consumer organizations when it fails", nullptr, 200,
                 "Concentration", {"top"}});
    v.push_back({"get", "/events", "Events after a seq", nullptr, 200, "Events",
                 {"after", "limit"}});
    v.push_back({"get", "/events/stream", "Events as Server-Sent Events", nullptr, 200,
                 "Events", {"after"}});
    v.push_back({"get", "/openapi.json", "This document (no token needed)", nullptr, 200,
                 "Any", {}});
    return v;
  }();
  return ops;
}

const char* kSchemas = R"({
"Any": {"type": "object"},
"Empty": {"type": "object", "maxProperties": 0},
"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
  "required": ["code", "message"], "properties": {"code": {"type": "string"},
  "message": {"type": "string"}, "field": {"type": "string"},
  "request_id": {"type": "string"}}}}},
"Id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"},
"List": {"type": "object", "required": ["items", "total"], "properties": {
  "items": {"type": "array", "items": {"type": "object"}}, "total": {"type": "integer"}}},
"OrganizationCreate": {"type": "object", "required": ["name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "name": {"type": "string"},
  "description": {"type": "string"}, "attributes": {"type": "object"}}},
"Organization": {"type": "object", "properties": {"id": {"type": "string"},
  "name": {"type": "string"}, "description": {"type": "string"}, "attributes": {"type": "object"},
  "status": {"type": "string", "enum": ["active", "closed"]},
  "created_at": {"type": "string", "format": "date-time"},
  "updated_at": {"type": "string", "format": "date-time"}}},
"Reason": {"type": "object", "properties": {"reason": {"type": "string"}}},
"WebhookCreate": {"type": "object", "required": ["url", "events", "secret"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "organization": {"type": "string"},
  "url": {"type": "string", "format": "uri"},
  "events": {"type": "array", "items": {"type": "string"}, "minItems": 1},
  "secret": {"type": "string", "minLength": 1, "maxLength": 256},
  "exclude_actors": {"type": "array", "items": {"type": "string"}}}},
"Webhook": {"type": "object", "properties": {"id": {"type": "string"},
  "organization": {"type": "string", "nullable": true}, "url": {"type": "string"},
  "events": {"type": "array", "items": {"type": "string"}},
  "exclude_actors": {"type": "array", "items": {"type": "string"}},
  "created_at": {"type": "string", "format": "date-time"}}},
"Period": {"type": "object", "required": ["start", "end"], "properties": {
  "start": {"type": "string", "format": "date-time"}, "end": {"type": "string", "format": "date-time"}}},
"MeasurementCreate": {"type": "object", "required": ["metric", "value", "period"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "metric": {"type": "string"}, "value": {"type": "number"},
  "period": {"$ref": "#/components/schemas/Period"}, "note": {"type": "string"}}},
"Measurement": {"type": "object", "properties": {"id": {"type": "string"},
  "relationship": {"type": "string"}, "by": {"type": "string"}, "metric": {"type": "string"},
  "value": {"type": "number"}, "unit": {"type": "string"},
  "period": {"$ref": "#/components/schemas/Period"}, "objective": {"type": "number"},
  "target": {"type": "string", "enum": ["at_least", "at_most"]}, "met": {"type": "boolean"},
  "agreement_version": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}}},
"ServiceLevels": {"type": "object", "properties": {"relationship": {"type": "string"},
  "items": {"type": "array", "items": {"type": "object", "properties": {
    "metric": {"type": "string"}, "objective": {"type": "number"}, "unit": {"type": "string"},
    "target": {"type": "string"}, "measurements": {"type": "integer"}, "met": {"type": "integer"},
    "attainment": {"type": "number", "nullable": true}, "last": {"type": "object", "nullable": true},
    "breaches": {"type": "array", "items": {"$ref": "#/components/schemas/Measurement"}}}}}}},
"RequestCreate": {"type": "object", "required": ["action"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "action": {"type": "string"},
  "note": {"type": "string"}, "details": {"type": "object"}}},
"Request": {"type": "object", "properties": {"id": {"type": "string"},
  "relationship": {"type": "string"}, "consumer": {"type": "string"}, "provider": {"type": "string"},
  "action": {"type": "string"}, "details": {"type": "object"},
  "status": {"type": "string", "enum": ["open", "fulfilled", "declined", "cancelled"]},
  "opened_at": {"type": "string", "format": "date-time"},
  "closed_at": {"type": "string", "nullable": true}, "provision": {"type": "string", "nullable": true},
  "reason": {"type": "string", "nullable": true},
  "lead_time_seconds": {"type": "number", "nullable": true}}},
"ValueCreate": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"},
  "outcomes": {"type": "array", "items": {"type": "string"}},
  "costs": {"type": "array", "items": {"type": "object", "required": ["amount", "currency", "kind"]}},
  "risks": {"type": "array", "items": {"type": "object", "required": ["description", "kind"]}},
  "period": {"$ref": "#/components/schemas/Period"}, "note": {"type": "string"}}},
"ValueRecord": {"type": "object", "properties": {"id": {"type": "string"},
  "relationship": {"type": "string"}, "party": {"type": "string"},
  "outcomes": {"type": "array", "items": {"type": "string"}}, "costs": {"type": "array"},
  "risks": {"type": "array"}, "period": {"type": "object", "nullable": true},
  "at": {"type": "string", "format": "date-time"}}},
"RelationshipValue": {"type": "object", "properties": {"relationship": {"type": "string"},
  "provider_stated": {"type": "object"}, "consumer_stated": {"type": "object"}}},
"PersonCreate": {"type": "object", "required": ["name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "name": {"type": "string"}, "email": {"type": "string"}}},
"Person": {"type": "object", "properties": {"id": {"type": "string"},
  "organization": {"type": "string", "nullable": true}, "name": {"type": "string"},
  "email": {"type": "string", "nullable": true}, "created_at": {"type": "string", "format": "date-time"},
  "roles": {"type": "array", "items": {"type": "object", "properties": {
    "relationship": {"type": "string"}, "role": {"type": "string"},
    "assigned_at": {"type": "string", "format": "date-time"}}}}}},
"RoleCreate": {"type": "object", "required": ["person", "role"], "properties": {
  "person": {"type": "string"},
  "role": {"type": "string", "enum": ["customer", "user", "sponsor", "relationship_manager"]}}},
"RoleAssignment": {"type": "object", "properties": {"relationship": {"type": "string"},
  "person": {"type": "string"}, "name": {"type": "string"}, "role": {"type": "string"},
  "organization": {"type": "string"}, "assigned_at": {"type": "string", "format": "date-time"}}},
"ProposalCreate": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"},
  "type": {"type": "string", "enum": ["basic", "cooperative", "partnership"]},
  "service_levels": {"type": "array"}, "price": {}, "end": {"type": "string", "nullable": true},
  "renewal": {"type": "string", "enum": ["none", "auto"]}, "note": {"type": "string"}}},
"Proposal": {"type": "object", "properties": {"id": {"type": "string"},
  "relationship": {"type": "string"}, "by": {"type": "string"},
  "status": {"type": "string", "enum": ["open", "accepted", "declined", "withdrawn"]},
  "changes": {"type": "object"}}},
"Agreement": {"type": "object", "properties": {"version": {"type": "integer"},
  "type": {"type": "string"}, "service_levels": {"type": "array"}, "price": {},
  "start": {"type": "string"}, "end": {"type": "string", "nullable": true},
  "renewal": {"type": "string"}}},
"OrganizationPatch": {"type": "object", "properties": {"name": {"type": "string"},
  "description": {"type": "string"}, "attributes": {"type": "object"}}},
"ConsumerGroupPatch": {"type": "object", "properties": {"name": {"type": "string"},
  "add": {"type": "array", "items": {"type": "string"}},
  "remove": {"type": "array", "items": {"type": "string"}}}},
"ResourceRevision": {"type": "object", "properties": {"name": {"type": "string"},
  "attributes": {"type": "object"}}},
"ResourceVersion": {"type": "object", "properties": {"id": {"type": "string"},
  "version": {"type": "integer"}, "owner": {"type": "string"}, "kind": {"type": "string"},
  "name": {"type": "string"}, "attributes": {"type": "object"}, "at": {"type": "string"},
  "provision": {"type": "string", "nullable": true}}},
"ServicePatch": {"type": "object", "properties": {"name": {"type": "string"},
  "description": {"type": "string"},
  "built_on": {"type": "array", "items": {"type": "string"}},
  "depends_on": {"type": "array", "items": {"type": "string"}}}},
"OfferingPatch": {"type": "object", "properties": {"name": {"type": "string"},
  "audience": {}, "goods": {"type": "array"}, "access": {"type": "array"},
  "actions": {"type": "array"}, "service_levels": {"type": "array"}, "price": {}}},
"ConsumerGroupCreate": {"type": "object", "required": ["name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "name": {"type": "string"},
  "owner": {"type": "string"}, "members": {"type": "array", "items": {"type": "string"}}}},
"ConsumerGroup": {"type": "object", "properties": {"id": {"type": "string"},
  "name": {"type": "string"}, "owner": {"type": "string", "nullable": true},
  "members": {"type": "array", "items": {"type": "string"}}}},
"ResourceCreate": {"type": "object", "required": ["owner", "kind", "name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "owner": {"type": "string"},
  "kind": {"type": "string"}, "name": {"type": "string"}, "attributes": {"type": "object"}}},
"Resource": {"type": "object", "properties": {"id": {"type": "string"},
  "owner": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"},
  "attributes": {"type": "object"}, "version": {"type": "integer"},
  "status": {"type": "string", "enum": ["active", "retired"]},
  "origin": {"type": "object", "nullable": true, "properties": {"provision": {"type": "string"}}}}},
"ServiceCreate": {"type": "object", "required": ["provider", "name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "provider": {"type": "string"},
  "name": {"type": "string"}, "description": {"type": "string"},
  "built_on": {"type": "array", "items": {"type": "string"}},
  "depends_on": {"type": "array", "items": {"type": "string"}}}},
"Service": {"type": "object", "properties": {"id": {"type": "string"},
  "provider": {"type": "string"}, "name": {"type": "string"},
  "built_on": {"type": "array", "items": {"type": "string"}},
  "depends_on": {"type": "array", "items": {"type": "string"}},
  "status": {"type": "string", "enum": ["active", "retired", "degraded"]},
  "degraded_by": {"type": "array", "items": {"type": "object", "properties": {
    "resource": {"type": "string"}, "service": {"type": "string"},
    "relationship": {"type": "string", "nullable": true}}}}}},
"OfferingCreate": {"type": "object", "required": ["provider", "service", "name", "audience"],
  "properties": {"id": {"$ref": "#/components/schemas/Id"}, "provider": {"type": "string"},
  "service": {"type": "string"}, "name": {"type": "string"},
  "audience": {"oneOf": [{"type": "string", "enum": ["public"]}, {"type": "object",
    "properties": {"consumer_groups": {"type": "array", "items": {"type": "string"}}}}]},
  "goods": {"type": "array", "items": {"type": "object", "required": ["kind", "name"]}},
  "access": {"type": "array", "items": {"type": "object", "required": ["resource"]}},
  "actions": {"type": "array", "items": {"type": "object", "required": ["name", "effect"],
    "properties": {"name": {"type": "string"},
    "effect": {"type": "string", "enum": ["create", "modify", "transfer", "none"]}}}},
  "service_levels": {"type": "array", "items": {"type": "object"}},
  "price": {"type": "object", "properties": {"amount": {"type": "number"},
    "currency": {"type": "string"}, "period": {"type": "string"}}}}},
"Offering": {"type": "object", "properties": {"id": {"type": "string"},
  "version": {"type": "integer"}, "status": {"type": "string", "enum": ["active", "retired"]}}},
"RelationshipCreate": {"type": "object", "required": ["offering", "consumer", "type"],
  "properties": {"id": {"$ref": "#/components/schemas/Id"}, "offering": {"type": "string"},
  "consumer": {"type": "string"},
  "type": {"type": "string", "enum": ["basic", "cooperative", "partnership"]}}},
"Relationship": {"type": "object", "properties": {"id": {"type": "string"},
  "offering": {"type": "string"}, "provider": {"type": "string"}, "consumer": {"type": "string"},
  "type": {"type": "string"}, "status": {"type": "string",
  "enum": ["requested", "active", "suspended", "terminated", "rejected"]},
  "agreement": {"allOf": [{"$ref": "#/components/schemas/Agreement"}], "nullable": true}}},
"ProvisionCreate": {"type": "object", "required": ["relationship", "action"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "relationship": {"type": "string"},
  "action": {"type": "string"}, "used": {"type": "array", "items": {"type": "string"}},
  "request": {"type": "string", "description": "an open request of the same relationship and action that this provision fulfils"},
  "creates": {"type": "array", "items": {"type": "object", "required": ["kind", "name"]}},
  "modifies": {"type": "array", "items": {"type": "object", "required": ["resource", "attributes"]}},
  "transfers": {"type": "array", "items": {"type": "string"}},
  "value": {"$ref": "#/components/schemas/Value"}}},
"Value": {"type": "object", "properties": {"outcomes": {"type": "array", "items": {"type": "string"}},
  "costs": {"type": "array", "items": {"type": "object", "required": ["amount", "currency", "kind"]}},
  "risks": {"type": "array", "items": {"type": "object", "required": ["description", "kind"]}}}},
"Provision": {"type": "object", "properties": {"id": {"type": "string"},
  "created": {"type": "array", "items": {"type": "string"}},
  "modified": {"type": "array", "items": {"type": "object"}},
  "transferred": {"type": "array", "items": {"type": "string"}}}},
"ImportRequest": {"type": "object", "required": ["format", "content"], "properties": {
  "format": {"type": "string", "enum": ["backstage", "csv"]},
  "kind": {"type": "string", "enum": ["organizations", "resources", "services"],
           "description": "csv only"},
  "content": {"type": "string", "description": "multi-document YAML, or CSV with a header row"}}},
"ImportReport": {"type": "object", "properties": {"created": {"type": "integer"},
  "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
  "refused": {"type": "array", "items": {"type": "object", "properties": {
    "entity": {"type": "string"}, "line": {"type": "integer"}, "code": {"type": "string"},
    "message": {"type": "string"}}}}}},
"TokenCreate": {"type": "object", "required": ["organization"], "properties": {
  "organization": {"type": "string"}, "role": {"type": "string", "enum": ["member", "viewer"]},
  "person": {"type": "string", "description": "a person of the organization: events name them as actor"},
  "expires_in": {"type": "integer", "minimum": 60, "maximum": 31536000}}},
"TokenInfo": {"type": "object", "required": ["id", "organization", "role", "created_at"],
  "properties": {"id": {"type": "string"}, "organization": {"type": "string"},
  "role": {"type": "string", "enum": ["member", "viewer"]},
  "created_at": {"type": "string", "format": "date-time"},
  "expires_at": {"type": "string", "format": "date-time"}}},
"TokenList": {"type": "object", "required": ["items", "total"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/TokenInfo"}},
  "total": {"type": "integer"}}},
"OrganizationGraph": {"type": "object", "properties": {
  "nodes": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"},
    "name": {"type": "string"}, "consumer_since": {"type": "string", "nullable": true},
    "provider_since": {"type": "string", "nullable": true}}}},
  "edges": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"},
    "provider": {"type": "string"}, "consumer": {"type": "string"}, "offering": {"type": "string"},
    "type": {"type": "string"}, "status": {"type": "string"},
    "activated_at": {"type": "string", "nullable": true}}}},
  "redacted": {"type": "integer"}}},
"Me": {"type": "object", "required": ["organization", "role"], "properties": {
  "organization": {"type": "string", "nullable": true}, "role": {"type": "string", "enum": ["admin", "member", "viewer"]},
  "person": {"type": "string", "nullable": true}}},
"Token": {"type": "object", "required": ["id", "token", "organization", "role", "created_at"],
  "properties": {"id": {"type": "string"}, "token": {"type": "string"},
  "organization": {"type": "string"}, "role": {"type": "string", "enum": ["member", "viewer"]},
  "created_at": {"type": "string", "format": "date-time"},
  "expires_at": {"type": "string", "format": "date-time"}}},
"Roles": {"type": "object", "properties": {"organization": {"type": "string"},
  "consumer_since": {"type": "string", "nullable": true},
  "provider_since": {"type": "string", "nullable": true},
  "transitions": {"type": "array", "items": {"type": "object"}}}},
"ValueRollup": {"type": "object", "properties": {"organization": {"type": "string"},
  "received": {"type": "object"}, "provided": {"type": "object"}}},
"Lineage": {"type": "object"},
"Impact": {"type": "object", "properties": {"from": {"type": "string"},
  "affected": {"type": "array", "items": {"type": "object"}}, "counts": {"type": "object"},
  "redacted": {"type": "integer"}}},
"Chains": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object",
  "properties": {"organizations": {"type": "array", "items": {"type": "string"}},
  "relationships": {"type": "array", "items": {"type": "string", "nullable": true}}}}},
  "redacted": {"type": "integer"}}},
"Cycles": {"$ref": "#/components/schemas/Chains"},
"Concentration": {"type": "object", "properties": {"items": {"type": "array", "items": {
  "type": "object", "properties": {"id": {"type": "string"}, "type": {"type": "string"},
  "consumers_reached": {"type": "integer"}}}}, "exact": {"type": "boolean"},
  "candidates": {"type": "integer"}, "measured": {"type": "integer"},
  "sample_fraction": {"type": "number", "description": "when not exact: the share of candidates measured"},
  "error_bound": {"type": "string", "description": "when not exact: what the sample may have missed"},
  "redacted": {"type": "integer"}}},
"Events": {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}},
  "next": {"type": "integer"}}}
})";

std::string Build() {
  std::string out =
      R"({"openapi":"3.0.3","info":{"title":"cocreate","version":"1","description":)"
      R"("The service relationship engine: the ITIL 4 service relationship model across )"
      R"(organizations."},"servers":[{"url":"/api/v1"}],)"
      R"("security":[{"bearer":[]}],"paths":{)";
  const auto& ops = Operations();
  std::vector<std::string> done;
  bool first_path = true;
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string path = ops[i].path;
    bool seen = false;
    for (const auto& d : done) seen = seen || d == path;
    if (seen) continue;
    done.push_back(path);
    out += std::string(first_path ? "" : ",") + "\"" + path + "\":{";
    first_path = false;
    bool first_op = true;
    for (const Op& op : ops) {
      if (path != op.path) continue;
      out += std::string(first_op ? "" : ",") + "\"" + op.method + "\":{";
      first_op = false;
      out += std::string("\"summary\":\"") + op.summary + "\"";
      if (path == "/openapi.json") out += ",\"security\":[]";
      out += ",\"parameters\":[";
      bool first_param = true;
      if (path.find("{id}") != std::string::npos) {
        out += R"({"name":"id","in":"path","required":true,"schema":{"type":"string"}})";
        first_param = false;
      }
      for (const char* q : op.query) {
        out += std::string(first_param ? "" : ",") + "{\"name\":\"" + q +
               "\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}";
        first_param = false;
      }
      out += "]";
      if (op.request_schema) {
        out += std::string(",\"requestBody\":{\"content\":{\"application/json\":{\"schema\":") +
               "{\"$ref\":\"#/components/schemas/" + op.request_schema + "\"}}}}";
      }
      out += ",\"responses\":{\"" + std::to_string(op.success) + "\":{\"description\":\"success\"";
      if (op.response_schema) {
        out += std::string(",\"content\":{\"application/json\":{\"schema\":") +
               "{\"$ref\":\"#/components/schemas/" + op.response_schema + "\"}}}";
      }
      out += "}";
      for (const char* code : {"400", "401", "403", "404", "409", "413", "415", "422"}) {
        out += std::string(",\"") + code +
               "\":{\"description\":\"error\",\"content\":{\"application/json\":{\"schema\":"
               "{\"$ref\":\"#/components/schemas/Error\"}}}}";
      }
      out += "}}";
    }
    out += "}";
  }
  out += R"(},"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},)";
  out += "\"schemas\":";
  out += kSchemas;
  out += "}}";
  return out;
}

}  // namespace

const std::string& OpenApiDocument() {
  static const std::string doc = Build();
  return doc;
}

}  // namespace cocreate
