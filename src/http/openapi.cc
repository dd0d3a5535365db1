// The OpenAPI 3 document of the HTTP API (GET /api/v1/openapi.json). It is
// written here, route by route, independently of the router's dispatch
// table; openapi_test checks it against the router: every route documented
// with its method, exactly the query parameters the route takes, a body where
// the route reads one, no schema left as a bare {"type": "object"}.
//
// To document a new route, add one line to Operations() with the helper of
// its kind (Get, Create, Action, Patch, Delete), naming the schemas of its
// body and answer; add those schemas to kSchemas when they are new, and a
// query parameter the route takes to kParameters when no route took it yet.
// web/src/api-types.ts is generated from this document (script/test-web
// fails while it differs): regenerate it with `npm run api:types` in web/.
#include <string>
#include <string_view>
#include <vector>

#include "http/router.h"

namespace cocreate {

namespace {

// What a route may answer besides its success. Every route under /api/v1
// (but this document) may answer 400 (a bad query parameter or body), 401
// (no or bad token) and 503 (the store is out of reach); a route that reads
// a body may answer 413 and 415 as well. `errors` adds the others.
struct Op {
  std::string method;   // lower case: "get", "post", "patch", "delete"
  std::string path;     // relative to /api/v1, as the router spells it
  std::string summary;  // one line
  std::string description;
  std::string request;   // schema of the JSON body; empty: the route reads none
  bool body_required = true;
  int success = 200;
  std::string response;  // schema of the answer; empty: none (204)
  std::string media = "application/json";
  std::vector<std::string> query;  // keys of kParameters, or inline parameter objects
  std::string errors;              // e.g. "403 404 409 422"
  std::string response_headers;    // JSON members of the success answer's "headers"
};

// A GET answering `response`; `errors` beyond 400/401/503.
Op Get(std::string path, std::string summary, std::string response,
       std::vector<std::string> query = {}, std::string errors = "404") {
  Op op;
  op.method = "get";
  op.path = std::move(path);
  op.summary = std::move(summary);
  op.response = std::move(response);
  op.query = std::move(query);
  op.errors = std::move(errors);
  return op;
}

// A POST that creates: a required body, 201 with the new object (200 for a
// safe retry with the same id and body).
Op Create(std::string path, std::string summary, std::string request, std::string response,
          std::string errors) {
  Op op;
  op.method = "post";
  op.path = std::move(path);
  op.summary = std::move(summary);
  op.request = std::move(request);
  op.success = 201;
  op.response = std::move(response);
  op.errors = std::move(errors);
  return op;
}

// A POST that acts on an existing object (a lifecycle move, retire, accept):
// the body is optional (empty or `{}`, or the schema given), 200 with the
// object as it now stands.
Op Action(std::string path, std::string summary, std::string request, std::string response,
          std::string errors) {
  Op op;
  op.method = "post";
  op.path = std::move(path);
  op.summary = std::move(summary);
  op.request = std::move(request);
  op.body_required = false;
  op.response = std::move(response);
  op.errors = std::move(errors);
  return op;
}

Op Patch(std::string path, std::string summary, std::string request, std::string response,
         std::string errors) {
  Op op = Create(std::move(path), std::move(summary), std::move(request), std::move(response),
                 std::move(errors));
  op.method = "patch";
  op.success = 200;
  return op;
}

Op Delete(std::string path, std::string summary, std::string errors) {
  Op op;
  op.method = "delete";
  op.path = std::move(path);
  op.summary = std::move(summary);
  op.success = 204;
  op.errors = std::move(errors);
  return op;
}

Op With(Op op, std::string description) {
  op.description = std::move(description);
  return op;
}

// Query parameters, by key: the parameter object without "in". A key
// "impact.from" names parameter "from" of one route; a plain key names a
// parameter that means the same wherever it is taken.
struct Parameter {
  const char* key;
  const char* json;
};

const Parameter kParameters[] = {
    {"limit", R"({"name":"limit","description":"How many items to answer, 0 to 1000.",)"
              R"("schema":{"type":"integer","minimum":0,"maximum":1000,"default":100}})"},
    {"offset", R"({"name":"offset","description":"How many items to skip.",)"
               R"("schema":{"type":"integer","minimum":0,"default":0}})"},
    {"from", R"({"name":"from","description":"Start of the period (RFC 3339, included).",)"
             R"("schema":{"type":"string","format":"date-time"}})"},
    {"to", R"({"name":"to","description":"End of the period (RFC 3339, included); not before from.",)"
           R"("schema":{"type":"string","format":"date-time"}})"},
    {"lineage.format",
     R"({"name":"format","description":"json (the default) or prov: a W3C PROV-JSON document,)"
     R"( with the redacted count in the Cocreate-Redacted header.",)"
     R"("schema":{"type":"string","enum":["json","prov"],"default":"json"}})"},
    {"lineage.version",
     R"({"name":"version","description":"The version whose lineage to answer (default: the latest;)"
     R"( beyond the latest is 404).","schema":{"type":"integer","minimum":1}})"},
    {"measurements.metric",
     R"({"name":"metric","description":"Only measurements of this metric.",)"
     R"("schema":{"type":"string"}})"},
    {"deliveries.status",
     R"({"name":"status","description":"Only deliveries in this status.",)"
     R"("schema":{"type":"string","enum":["pending","delivered","dead"]}})"},
    {"requests.status",
     R"({"name":"status","description":"Only requests in this status.",)"
     R"("schema":{"type":"string","enum":["open","fulfilled","declined","cancelled"]}})"},
    {"requests.as",
     R"({"name":"as","description":"Only the requests of relationships where the caller's)"
     R"( organization is this party.","schema":{"type":"string","enum":["consumer","provider"]}})"},
    {"impact.from",
     R"({"name":"from","required":true,"description":"The id to start from: any visible)"
     R"( organization, resource, service, offering, relationship or provision.",)"
     R"("schema":{"type":"string"}})"},
    {"impact.depth",
     R"({"name":"depth","description":"Follow at most this many edges (default: unbounded).",)"
     R"("schema":{"type":"integer","minimum":0,"maximum":1000000}})"},
    {"impact.explain",
     R"({"name":"explain","description":"true: each affected node also has a shortest path)"
     R"( from the start.","schema":{"type":"boolean","default":false}})"},
    {"chains.from",
     R"({"name":"from","required":true,"description":"The organization the chains start at)"
     R"( (a provider).","schema":{"type":"string"}})"},
    {"chains.to",
     R"({"name":"to","required":true,"description":"The organization the chains end at)"
     R"( (a consumer).","schema":{"type":"string"}})"},
    {"chains.limit",
     R"({"name":"limit","description":"How many chains to answer.",)"
     R"("schema":{"type":"integer","minimum":1,"maximum":1000,"default":10}})"},
    {"chains.value",
     R"({"name":"value","description":"true: each chain also has the value of each of its)"
     R"( relationships.","schema":{"type":"boolean","default":false}})"},
    {"concentration.top",
     R"({"name":"top","description":"How many items to answer.",)"
     R"("schema":{"type":"integer","minimum":1,"maximum":1000,"default":10}})"},
    {"events.after",
     R"({"name":"after","description":"Answer the events after this seq.",)"
     R"("schema":{"type":"integer","minimum":0,"default":0}})"},
    {"events.limit",
     R"({"name":"limit","description":"How many events to answer.",)"
     R"("schema":{"type":"integer","minimum":1,"maximum":1000,"default":100}})"},
    {"stream.after",
     R"({"name":"after","description":"Stream the events after this seq; a Last-Event-ID)"
     R"( header takes precedence (a reconnecting client resumes where it stopped).",)"
     R"("schema":{"type":"integer","minimum":0,"default":0}})"},
};

// The schema of list filter `field` of `collection` (CONTRACT §3: exact
// equality; a status outside the noun's statuses is 400).
std::string FilterSchema(std::string_view collection, std::string_view field) {
  if (field == "status") {
    if (collection == "organizations") return R"({"type":"string","enum":["active","closed"]})";
    if (collection == "services") {
      return R"({"type":"string","enum":["active","retired","degraded"]})";
    }
    if (collection == "relationships") {
      return R"({"type":"string","enum":["requested","active","suspended","rejected","terminated"]})";
    }
    return R"({"type":"string","enum":["active","retired"]})";
  }
  if (field == "type") return R"({"type":"string","enum":["basic","cooperative","partnership"]})";
  return R"({"type":"string"})";
}

// The query parameters of GET /{collection}: the page and the noun's filters.
std::vector<std::string> ListQuery(std::string_view collection) {
  std::vector<std::string> query = {"limit", "offset"};
  for (std::string_view f : ListFilters(*NounFromCollection(collection))) {
    query.push_back(std::string(R"({"name":")") + std::string(f) +
                    R"(","description":"Only objects whose )" + std::string(f) +
                    R"( is this value.","schema":)" + FilterSchema(collection, f) + "}");
  }
  return query;
}

std::vector<Op> Operations() {
  std::vector<Op> v;
  // The directory and the nouns of CONTRACT §3: a listing, a create, one object.
  struct Noun {
    const char* collection;
    const char* schema;
    const char* create_errors;
  };
  const Noun nouns[] = {
      {"organizations", "Organization", "403 409"},
      {"consumer-groups", "ConsumerGroup", "403 409 422"},
      {"resources", "Resource", "403 409 422"},
      {"services", "Service", "403 409 422"},
      {"offerings", "Offering", "403 409 422"},
      {"relationships", "Relationship", "403 409 422"},
      {"provisions", "Provision", "403 409 422"},
  };
  for (const Noun& n : nouns) {
    std::string collection = std::string("/") + n.collection;
    v.push_back(With(Get(collection, std::string("List the visible ") + n.collection,
                         std::string(n.schema) + "List", ListQuery(n.collection), ""),
                     "Filters are exact equality; an unknown parameter is 400."));
    v.push_back(With(Create(collection, std::string("Create one of the ") + n.collection,
                            std::string(n.schema) + "Create", n.schema, n.create_errors),
                     "Sending it again with the same id and a JSON-equal body is a safe retry: "
                     "200 with the object as it now stands. The same id with another body is "
                     "409 duplicate_id."));
    v.push_back(Get(collection + "/{id}", "One object (404 when absent or not visible)",
                    n.schema));
  }

  // Organizations, groups, resources, services, offerings: change and retire (§5).
  v.push_back(Get("/organizations/{id}/roles", "Role timeline: consumer since, provider since, "
                  "the transitions and their evidence", "Roles"));
  v.push_back(Get("/organizations/{id}/value",
                  "Value received and provided as the parties state it (the organization "
                  "itself and the admin)", "OrganizationValue", {"from", "to"}, "403 404"));
  v.push_back(Patch("/organizations/{id}",
                    "Change name, description, attributes (a merge patch): admin or a member",
                    "OrganizationPatch", "Organization", "403 404"));
  v.push_back(Action("/organizations/{id}/close",
                     "Close (admin): retires its offerings, removes its webhooks, stops its "
                     "tokens; 409 has_active_relationships while party to a live relationship",
                     "Empty", "Organization", "403 404 409"));
  v.push_back(Patch("/consumer-groups/{id}",
                    "Rename, add and remove members: admin, or a member of the owner",
                    "ConsumerGroupPatch", "ConsumerGroup", "403 404 422"));
  v.push_back(Get("/resources/{id}/versions", "Every version, oldest first",
                  "ResourceVersionList"));
  v.push_back(With(Get("/resources/{id}/lineage",
                       "Upstream lineage, as everything upstream stood when the version was made",
                       "LineageAnswer", {"lineage.format", "lineage.version"}),
                   "What the resource came from: the provisions that made its versions, their "
                   "relationships, offerings and services as they stood then, the resources "
                   "those services were built on and the provisions used (at the version "
                   "current then), and so on upstream. format=prov answers W3C PROV-JSON."));
  v.back().response_headers =
      R"("Cocreate-Redacted":{"description":"With format=prov: how many upstream objects)"
      R"( were left out because the caller may not see them (0 included).",)"
      R"("schema":{"type":"integer","minimum":0}})";
  v.push_back(Create("/resources/{id}/revisions",
                     "A new version by the owner: name and attributes (a merge patch)",
                     "ResourceRevision", "ResourceVersion", "403 404 409"));
  v.push_back(Action("/resources/{id}/retire",
                     "Retire (the owner): revokes every access to it; 409 in_use while one of "
                     "its owner's services or offerings uses it",
                     "Empty", "Resource", "403 404 409"));
  v.push_back(Patch("/services/{id}",
                    "Change name, description, built_on, depends_on (lists replace; new ids "
                    "checked again)",
                    "ServicePatch", "Service", "403 404 409 422"));
  v.push_back(Action("/services/{id}/retire",
                     "Retire (the provider): 409 in_use while offered, depended on or consumed",
                     "Empty", "Service", "403 404 409"));
  v.push_back(Patch("/offerings/{id}",
                    "Change the offering (version + 1); access changes reach active "
                    "relationships at once",
                    "OfferingPatch", "Offering", "403 404 409 422"));
  v.push_back(Get("/offerings/{id}/versions", "Every version, oldest first", "OfferingList",
                  {"limit", "offset"}));
  v.push_back(Action("/offerings/{id}/retire",
                     "Retire (the provider): new requests are 422 offering_retired; "
                     "relationships carry on",
                     "Empty", "Offering", "403 404"));

  // Relationships: lifecycle, agreements and proposals (§6).
  for (const char* verb : {"activate", "reject", "suspend", "resume", "terminate"}) {
    v.push_back(Action(std::string("/relationships/{id}/") + verb,
                       std::string("Relationship lifecycle: ") + verb +
                           " (terminate: either party; the others: the provider)",
                       "Empty", "Relationship", "403 404 409"));
  }
  v.push_back(Get("/relationships/{id}/agreement", "The agreement in force (404 before the "
                  "first activation)", "Agreement"));
  v.push_back(Get("/relationships/{id}/agreements", "Every agreement version, oldest first",
                  "AgreementList", {"limit", "offset"}));
  v.push_back(Create("/relationships/{id}/proposals",
                     "Propose an agreement change (either party, while active or suspended)",
                     "ProposalCreate", "Proposal", "403 404 409 422"));
  v.push_back(Get("/relationships/{id}/proposals", "The relationship's proposals",
                  "ProposalList", {"limit", "offset"}));
  v.push_back(Get("/proposals/{id}", "One proposal", "Proposal"));
  v.push_back(Action("/proposals/{id}/accept",
                     "Accept (the other party): the agreement's version + 1", "Reason",
                     "Proposal", "403 404 409 422"));
  v.push_back(Action("/proposals/{id}/decline", "Decline (the other party)", "Reason",
                     "Proposal", "403 404 409"));
  v.push_back(Action("/proposals/{id}/withdraw", "Withdraw (the proposer)", "Reason",
                     "Proposal", "403 404 409"));

  // Service relationship management (§6): measurements, requests, value, people.
  v.push_back(Create("/relationships/{id}/measurements",
                     "Record a measurement of a service level (either party, while active or "
                     "suspended); a miss also records service_level.breached",
                     "MeasurementCreate", "Measurement", "403 404 409 422"));
  v.push_back(Get("/relationships/{id}/measurements",
                  "Measurements, ordered by the end of their period", "MeasurementList",
                  {"measurements.metric", "from", "to", "limit", "offset"}));
  v.push_back(Get("/relationships/{id}/service-levels",
                  "Per metric of the agreement in force: objective, measurements, met, "
                  "attainment, last, breaches",
                  "ServiceLevels", {"from", "to"}));
  v.push_back(Get("/organizations/{id}/breaches",
                  "Breaches whose impact reached the organization (itself and the admin)",
                  "BreachList", {"from", "to", "limit", "offset"}, "403 404"));
  v.push_back(Create("/relationships/{id}/requests",
                     "Open a request for one of the offering's actions (the consumer, while "
                     "active)",
                     "RequestCreate", "Request", "403 404 409 422"));
  v.push_back(Get("/relationships/{id}/requests",
                  "The relationship's requests in the order opened, with lead times",
                  "RequestQueue", {"requests.status", "limit", "offset"}));
  v.push_back(Get("/requests",
                  "The requests of every relationship the caller's organization is party to "
                  "(all to the admin)",
                  "RequestList", {"requests.status", "requests.as", "limit", "offset"}, ""));
  v.push_back(Get("/requests/{id}", "One request", "Request"));
  v.push_back(Action("/requests/{id}/decline", "Decline an open request (the provider)",
                     "Reason", "Request", "403 404 409"));
  v.push_back(Action("/requests/{id}/cancel", "Cancel an open request (the consumer)", "Reason",
                     "Request", "403 404 409"));
  v.push_back(Create("/relationships/{id}/value",
                     "State value as one party sees it (the two parties only, once the "
                     "relationship has been active)",
                     "ValueCreate", "ValueRecord", "403 404 409"));
  v.push_back(Get("/relationships/{id}/value", "Value as each party states it, side by side",
                  "RelationshipValue", {"from", "to"}));
  v.push_back(Create("/organizations/{id}/people", "Add a person (admin or a member)",
                     "PersonCreate", "Person", "403 404 409 422"));
  v.push_back(Get("/organizations/{id}/people", "The organization's people the caller may see",
                  "PersonList", {"limit", "offset"}));
  v.push_back(Get("/people/{id}", "One person, with the roles the caller may see", "Person"));
  v.push_back(With(Create("/relationships/{id}/roles",
                          "Assign one of the party's own people to a role",
                          "RoleCreate", "RoleAssignment", "403 404 409 422"),
                   "customer, user or sponsor for the consumer's people, relationship_manager "
                   "for the provider's. A role the person already holds answers 200."));
  v.push_back(Get("/relationships/{id}/roles", "People in roles on the relationship",
                  "RoleAssignmentList", {"limit", "offset"}));
  v.push_back(Delete("/relationships/{id}/roles/{person}/{role}",
                     "Unassign a person from a role (its own party)", "403 404"));

  // Tokens and identity.
  v.push_back(Create("/tokens",
                     "Issue a token for an organization (admin only); the secret is in this "
                     "answer only",
                     "TokenCreate", "Token", "403 422"));
  v.push_back(Get("/tokens",
                  "Live tokens: all to the admin, its organization's to a member, 403 to a "
                  "viewer; never a secret",
                  "TokenList", {"limit", "offset"}, "403"));
  v.push_back(Delete("/tokens/{id}",
                     "Revoke a token (admin: any; member: its organization's); it answers 401 "
                     "from then on",
                     "403 404"));
  v.push_back(Get("/me", "Who the token acts as", "Me", {}, ""));

  // Webhooks (CONTRACT §8) and catalog import.
  v.push_back(Create("/webhooks",
                     "Register a webhook (a member for its own organization, the admin for "
                     "everything); the secret is never answered back",
                     "WebhookCreate", "Webhook", "403 409 422"));
  v.push_back(Get("/webhooks", "The webhooks of the caller's organization (all to the admin)",
                  "WebhookList", {"limit", "offset"}, ""));
  v.push_back(Get("/webhooks/{id}", "One webhook", "Webhook"));
  v.push_back(Delete("/webhooks/{id}", "Delete a webhook: nothing more is delivered", "403 404"));
  v.push_back(Get("/webhooks/{id}/deliveries",
                  "Every delivery of the webhook, by seq: pending, delivered or dead",
                  "DeliveryList", {"deliveries.status", "limit", "offset"}));
  Op import = Create("/imports",
                     "Import a catalog (admin only): Backstage YAML or CSV of one kind, "
                     "reconciled by external_id through the rules; answers the report",
                     "ImportRequest", "ImportReport", "403");
  import.success = 200;
  v.push_back(std::move(import));

  // Graph questions.
  v.push_back(With(Get("/impact", "Downstream impact of a failure", "Impact",
                       {"impact.from", "impact.depth", "impact.explain"}, "404 422"),
                   "What is reached downstream: resource → services built on it and offerings "
                   "giving access to it; service → services depending on it and its "
                   "offerings; offering → its active or suspended relationships; relationship → "
                   "its consumer and the resources its provisions created, modified or "
                   "transferred that the consumer still owns; and so on. A consumer group is "
                   "no start (422 invalid_start)."));
  v.push_back(Get("/chains", "Value chains from a provider down to a consumer, shortest first",
                  "Chains", {"chains.from", "chains.to", "chains.limit", "chains.value"}));
  v.push_back(Get("/cycles",
                  "Organizations that provide to each other in a loop of active relationships",
                  "Cycles", {}, ""));
  v.push_back(Get("/analysis/concentration",
                  "What reaches the most consumer organizations when it fails",
                  "Concentration", {"concentration.top"}, ""));
  v.push_back(Get("/graph/organizations",
                  "The organization graph in one answer: organizations with role dates, "
                  "visible relationships as edges",
                  "OrganizationGraph", {}, ""));

  // Events.
  v.push_back(Get("/events", "The events the caller may see after a seq", "EventPage",
                  {"events.after", "events.limit"}, ""));
  Op stream = With(Get("/events/stream", "The events as Server-Sent Events", "EventStream",
                       {"stream.after"}, ""),
                   "Each event is one frame: `id:` its seq, `event: event`, `data:` the event "
                   "as GET /events shows it. A comment every 15 s keeps the connection open. "
                   "The stream ends when the token is revoked or expires.");
  stream.media = "text/event-stream";
  v.push_back(std::move(stream));
  v.push_back(Get("/openapi.json", "This document (no token needed)", "OpenApiDocument", {},
                  ""));
  return v;
}

// Error answers, shared by every operation ($ref'd by status).
const char* kResponses = R"({
"400": {"description": "A malformed JSON body, a missing, empty or mistyped field, or a bad or unknown query parameter (invalid_json, invalid_field; `field` names it).",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"401": {"description": "No token, or a token that is unknown, revoked, expired or of a closed organization (unauthenticated).",
  "headers": {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"403": {"description": "The caller may see it but may not do this (forbidden): a viewer writing, an organization acting in another's name, a party acting out of turn.",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"404": {"description": "The object the URL names (path or query) is absent or not visible to the caller (not_found).",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"409": {"description": "Conflicts with the current state: duplicate_id, duplicate_relationship, invalid_transition, relationship_not_active, retired, in_use, has_active_relationships, proposal_not_open, request_not_open.",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"413": {"description": "The body is over 8 MiB (payload_too_large).",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"415": {"description": "A body whose Content-Type is not application/json (a PATCH may also send application/merge-patch+json) (unsupported_media_type).",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"422": {"description": "Breaks a rule of the model: unknown_reference (a reference to something absent or not visible, worded the same either way), organization_closed, retired_reference, offering_retired, not_in_audience, action_not_offered, and the others docs/api.md lists.",
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
"503": {"description": "The store is out of reach, or the server is shutting down or has too many connections (unavailable, shutting_down, too_many_connections); retry after the given seconds.",
  "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
})";

// The schemas of bodies and answers. An object is described member by
// member; one that is free-form by design (attributes, a request's details,
// an event's data) says so with additionalProperties and a description.
const char* kSchemas = R"({
"Id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
  "description": "A client-chosen id; unique across every kind of object. admin and system are reserved."},
"Time": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC."},
"Attributes": {"type": "object", "additionalProperties": true,
  "description": "Free-form JSON the owner defines; cocreate keeps it as sent."},
"Redacted": {"type": "object", "additionalProperties": {"type": "integer"},
  "description": "Present only when something was left out: for each field, how many ids the caller may not see were left out of it."},
"Decimal": {"type": "number",
  "description": "An exact decimal (at most 15 digits before the point and 4 after), answered with the digits it was sent with."},
"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
  "required": ["code", "message"], "properties": {
  "code": {"type": "string", "description": "Stable, machine-readable: not_found, in_use, unknown_reference, ..."},
  "message": {"type": "string", "description": "For people."},
  "field": {"type": "string", "description": "The field at fault, as a path (creates[0].kind), when one is."},
  "request_id": {"type": "string", "description": "The Request-Id header of the answer."}}}}},
"Empty": {"type": "object", "additionalProperties": false, "maxProperties": 0,
  "description": "No members: a lifecycle move takes an empty body or {}."},
"Reason": {"type": "object", "additionalProperties": false, "properties": {
  "reason": {"type": "string", "description": "Why, kept with the object and its event."}}},
"Period": {"type": "object", "required": ["start", "end"], "additionalProperties": false, "properties": {
  "start": {"$ref": "#/components/schemas/Time"}, "end": {"$ref": "#/components/schemas/Time"}}},
"IdList": {"type": "array", "items": {"type": "string"}},

"OrganizationCreate": {"type": "object", "required": ["name"], "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "id": {"$ref": "#/components/schemas/Id"}, "name": {"type": "string", "minLength": 1},
  "description": {"type": "string"}, "attributes": {"$ref": "#/components/schemas/Attributes"}}},
"OrganizationPatch": {"type": "object", "additionalProperties": false, "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
  "attributes": {"type": "object", "additionalProperties": true,
    "description": "An RFC 7396 merge patch of the attributes: null deletes a key."}}},
"Organization": {"type": "object",
  "required": ["id", "name", "description", "attributes", "status", "created_at", "updated_at"],
  "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun."},"id": {"type": "string"}, "name": {"type": "string"},
  "description": {"type": "string"}, "attributes": {"$ref": "#/components/schemas/Attributes"},
  "status": {"type": "string", "enum": ["active", "closed"]},
  "created_at": {"$ref": "#/components/schemas/Time"}, "updated_at": {"$ref": "#/components/schemas/Time"}}},
"OrganizationList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Organization"}},
  "total": {"type": "integer", "description": "How many visible objects match, over all pages."},
  "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"ConsumerGroupCreate": {"type": "object", "required": ["name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "name": {"type": "string", "minLength": 1},
  "owner": {"type": "string", "description": "The owning organization; a member's token defaults to its own, the admin's to none."},
  "members": {"$ref": "#/components/schemas/IdList"}}},
"ConsumerGroupPatch": {"type": "object", "additionalProperties": false, "properties": {
  "name": {"type": "string", "minLength": 1},
  "add": {"$ref": "#/components/schemas/IdList"}, "remove": {"$ref": "#/components/schemas/IdList"}}},
"ConsumerGroup": {"type": "object", "required": ["id", "name", "owner", "members", "created_at", "updated_at"],
  "properties": {"id": {"type": "string"}, "name": {"type": "string"},
  "owner": {"type": "string", "nullable": true, "description": "null: made by the admin."},
  "members": {"type": "array", "items": {"type": "string"},
    "description": "Shown to the owner, the admin and each member (itself only)."},
  "created_at": {"$ref": "#/components/schemas/Time"}, "updated_at": {"$ref": "#/components/schemas/Time"},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"ConsumerGroupList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/ConsumerGroup"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"ResourceCreate": {"type": "object", "required": ["owner", "kind", "name"], "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "id": {"$ref": "#/components/schemas/Id"}, "owner": {"type": "string"},
  "kind": {"type": "string", "minLength": 1}, "name": {"type": "string", "minLength": 1},
  "attributes": {"$ref": "#/components/schemas/Attributes"}}},
"ResourceRevision": {"type": "object", "additionalProperties": false, "minProperties": 1, "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "name": {"type": "string", "minLength": 1},
  "attributes": {"type": "object", "additionalProperties": true,
    "description": "An RFC 7396 merge patch of the attributes: null deletes a key."}}},
"Resource": {"type": "object",
  "required": ["id", "owner", "kind", "name", "attributes", "version", "status", "origin", "created_at", "updated_at"],
  "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun."},"id": {"type": "string"}, "owner": {"type": "string"}, "kind": {"type": "string"},
  "name": {"type": "string"}, "attributes": {"$ref": "#/components/schemas/Attributes"},
  "version": {"type": "integer", "minimum": 1}, "status": {"type": "string", "enum": ["active", "retired"]},
  "origin": {"type": "object", "nullable": true, "required": ["provision"],
    "description": "null for a resource created directly.",
    "properties": {"provision": {"type": "string", "nullable": true,
      "description": "The provision that created it (null when the caller may not see it)."}}},
  "created_at": {"$ref": "#/components/schemas/Time"}, "updated_at": {"$ref": "#/components/schemas/Time"},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"ResourceList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Resource"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"ResourceVersion": {"type": "object",
  "required": ["id", "version", "owner", "kind", "name", "attributes", "at", "provision"],
  "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun."},"id": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
  "owner": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"},
  "attributes": {"$ref": "#/components/schemas/Attributes"}, "at": {"$ref": "#/components/schemas/Time"},
  "provision": {"type": "string", "nullable": true,
    "description": "The provision that made this version; null for a direct create or a revision (or when hidden)."},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"ResourceVersionList": {"type": "object", "required": ["items", "total"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/ResourceVersion"}},
  "total": {"type": "integer"}}},

"ServiceCreate": {"type": "object", "required": ["provider", "name"], "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "id": {"$ref": "#/components/schemas/Id"}, "provider": {"type": "string"},
  "name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
  "built_on": {"$ref": "#/components/schemas/IdList"}, "depends_on": {"$ref": "#/components/schemas/IdList"}}},
"ServicePatch": {"type": "object", "additionalProperties": false, "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
  "built_on": {"$ref": "#/components/schemas/IdList"}, "depends_on": {"$ref": "#/components/schemas/IdList"}}},
"DegradedBy": {"type": "object", "required": ["relationship"],
  "description": "What a degraded service lost: a resource or a service (one of the two), and the relationship that gave it.",
  "properties": {"resource": {"type": "string"}, "service": {"type": "string"},
  "relationship": {"type": "string", "nullable": true}}},
"Service": {"type": "object",
  "required": ["id", "provider", "name", "description", "built_on", "depends_on", "status", "degraded_by", "created_at", "updated_at"],
  "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun."},"id": {"type": "string"}, "provider": {"type": "string"}, "name": {"type": "string"},
  "description": {"type": "string"},
  "built_on": {"type": "array", "items": {"type": "string"}, "description": "Resource ids."},
  "depends_on": {"type": "array", "items": {"type": "string"}, "description": "Service ids."},
  "status": {"type": "string", "enum": ["active", "retired", "degraded"]},
  "degraded_by": {"type": "array", "items": {"$ref": "#/components/schemas/DegradedBy"}},
  "created_at": {"$ref": "#/components/schemas/Time"}, "updated_at": {"$ref": "#/components/schemas/Time"},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"ServiceList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Service"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"Audience": {"description": "public, or the consumer groups whose members may request the offering.",
  "oneOf": [{"type": "string", "enum": ["public"]},
  {"type": "object", "required": ["consumer_groups"], "additionalProperties": false,
   "properties": {"consumer_groups": {"$ref": "#/components/schemas/IdList"}}}]},
"Good": {"type": "object", "required": ["kind", "name"], "properties": {
  "kind": {"type": "string"}, "name": {"type": "string"}}},
"Access": {"type": "object", "required": ["resource"], "properties": {"resource": {"type": "string"}}},
"Action": {"type": "object", "required": ["name", "effect"], "properties": {
  "name": {"type": "string"},
  "effect": {"type": "string", "enum": ["create", "modify", "transfer", "none"],
    "description": "What a provision of this action may do to resources."}}},
"ServiceLevel": {"type": "object", "required": ["metric", "objective", "unit"], "properties": {
  "metric": {"type": "string"}, "objective": {"type": "number"}, "unit": {"type": "string"},
  "target": {"type": "string", "enum": ["at_least", "at_most"], "default": "at_least"}}},
"Price": {"type": "object", "required": ["amount", "currency", "period"], "properties": {
  "amount": {"$ref": "#/components/schemas/Decimal"}, "currency": {"type": "string"},
  "period": {"type": "string", "description": "What the amount is for: month, TB-month, ..."}}},
"OfferingCreate": {"type": "object", "required": ["provider", "service", "name", "audience"], "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "id": {"$ref": "#/components/schemas/Id"}, "provider": {"type": "string"}, "service": {"type": "string"},
  "name": {"type": "string", "minLength": 1}, "audience": {"$ref": "#/components/schemas/Audience"},
  "goods": {"type": "array", "items": {"$ref": "#/components/schemas/Good"}},
  "access": {"type": "array", "items": {"$ref": "#/components/schemas/Access"}},
  "actions": {"type": "array", "items": {"$ref": "#/components/schemas/Action"}},
  "service_levels": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevel"}},
  "price": {"$ref": "#/components/schemas/Price"}}},
"OfferingPatch": {"type": "object", "additionalProperties": false, "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun (409 duplicate_external_id)."},
  "name": {"type": "string", "minLength": 1}, "audience": {"$ref": "#/components/schemas/Audience"},
  "goods": {"type": "array", "items": {"$ref": "#/components/schemas/Good"}},
  "access": {"type": "array", "items": {"$ref": "#/components/schemas/Access"}},
  "actions": {"type": "array", "items": {"$ref": "#/components/schemas/Action"}},
  "service_levels": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevel"}},
  "price": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Price"}], "nullable": true}}},
"Offering": {"type": "object",
  "required": ["id", "provider", "service", "name", "audience", "goods", "access", "actions", "service_levels", "price", "version", "status", "created_at", "updated_at"],
  "properties": {
  "external_id": {"type": "string", "nullable": true, "description": "The object's id in the system it was imported from; unique per noun."},"id": {"type": "string"}, "provider": {"type": "string"},
  "service": {"type": "string", "nullable": true, "description": "null when the caller may not see the service."},
  "name": {"type": "string"}, "audience": {"$ref": "#/components/schemas/Audience"},
  "goods": {"type": "array", "items": {"$ref": "#/components/schemas/Good"}},
  "access": {"type": "array", "items": {"$ref": "#/components/schemas/Access"}},
  "actions": {"type": "array", "items": {"$ref": "#/components/schemas/Action"}},
  "service_levels": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevel"}},
  "price": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Price"}], "nullable": true},
  "version": {"type": "integer", "minimum": 1}, "status": {"type": "string", "enum": ["active", "retired"]},
  "created_at": {"$ref": "#/components/schemas/Time"}, "updated_at": {"$ref": "#/components/schemas/Time"},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"OfferingList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Offering"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"RelationshipType": {"type": "string", "enum": ["basic", "cooperative", "partnership"]},
"RelationshipCreate": {"type": "object", "required": ["offering", "consumer", "type"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "offering": {"type": "string"}, "consumer": {"type": "string"},
  "type": {"$ref": "#/components/schemas/RelationshipType"}}},
"Agreement": {"type": "object",
  "required": ["version", "type", "service_levels", "price", "start", "end", "renewal", "proposal", "at"],
  "properties": {"version": {"type": "integer", "minimum": 1}, "type": {"$ref": "#/components/schemas/RelationshipType"},
  "service_levels": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevel"}},
  "price": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Price"}], "nullable": true},
  "start": {"$ref": "#/components/schemas/Time"},
  "end": {"type": "string", "format": "date-time", "nullable": true},
  "renewal": {"type": "string", "enum": ["none", "auto"]},
  "proposal": {"type": "string", "nullable": true, "description": "The proposal whose acceptance made this version; null for version 1 and renewals."},
  "at": {"$ref": "#/components/schemas/Time"}}},
"AgreementList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Agreement"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"Relationship": {"type": "object",
  "required": ["id", "offering", "provider", "consumer", "type", "status", "requested_at", "activated_at", "updated_at", "agreement"],
  "properties": {"id": {"type": "string"},
  "offering": {"type": "string", "nullable": true}, "provider": {"type": "string"}, "consumer": {"type": "string"},
  "type": {"$ref": "#/components/schemas/RelationshipType"},
  "status": {"type": "string", "enum": ["requested", "active", "suspended", "rejected", "terminated"]},
  "requested_at": {"$ref": "#/components/schemas/Time"},
  "activated_at": {"type": "string", "format": "date-time", "nullable": true},
  "updated_at": {"$ref": "#/components/schemas/Time"},
  "agreement": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Agreement"}], "nullable": true,
    "description": "The agreement in force; null before the first activation."},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"RelationshipList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Relationship"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"AgreementChanges": {"type": "object", "properties": {
  "type": {"$ref": "#/components/schemas/RelationshipType"},
  "service_levels": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevel"}},
  "price": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Price"}], "nullable": true},
  "end": {"type": "string", "format": "date-time", "nullable": true},
  "renewal": {"type": "string", "enum": ["none", "auto"]}}},
"ProposalCreate": {"type": "object", "additionalProperties": false,
  "description": "At least one of type, service_levels, price, end, renewal.",
  "properties": {"id": {"$ref": "#/components/schemas/Id"},
  "type": {"$ref": "#/components/schemas/RelationshipType"},
  "service_levels": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevel"}},
  "price": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Price"}], "nullable": true},
  "end": {"type": "string", "format": "date-time", "nullable": true},
  "renewal": {"type": "string", "enum": ["none", "auto"]}, "note": {"type": "string"},
  "by": {"type": "string", "description": "The party proposing: the admin names it (default: the provider); a member may name only itself."}}},
"Proposal": {"type": "object",
  "required": ["id", "relationship", "by", "status", "changes", "note", "created_at", "closed_at"],
  "properties": {"id": {"type": "string"}, "relationship": {"type": "string"},
  "by": {"type": "string", "description": "The organization that proposed it."},
  "status": {"type": "string", "enum": ["open", "accepted", "declined", "withdrawn"]},
  "changes": {"$ref": "#/components/schemas/AgreementChanges"},
  "note": {"type": "string", "nullable": true}, "created_at": {"$ref": "#/components/schemas/Time"},
  "closed_at": {"type": "string", "format": "date-time", "nullable": true},
  "reason": {"type": "string", "description": "Given when it was declined or withdrawn."}}},
"ProposalList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Proposal"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"Cost": {"type": "object", "required": ["amount", "currency", "kind"], "properties": {
  "amount": {"$ref": "#/components/schemas/Decimal"}, "currency": {"type": "string"},
  "kind": {"type": "string", "enum": ["introduced", "removed"]}}},
"Risk": {"type": "object", "required": ["description", "kind"], "properties": {
  "description": {"type": "string"}, "kind": {"type": "string", "enum": ["introduced", "removed"]}}},
"Value": {"type": "object", "description": "What a provision brought, as its provider states it.", "properties": {
  "outcomes": {"type": "array", "items": {"type": "string", "minLength": 1}},
  "costs": {"type": "array", "items": {"$ref": "#/components/schemas/Cost"}},
  "risks": {"type": "array", "items": {"$ref": "#/components/schemas/Risk"}}}},
"NewResource": {"type": "object", "required": ["kind", "name"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "kind": {"type": "string", "minLength": 1},
  "name": {"type": "string", "minLength": 1}, "attributes": {"$ref": "#/components/schemas/Attributes"}}},
"ResourceChange": {"type": "object", "required": ["resource", "attributes"], "properties": {
  "resource": {"type": "string"},
  "attributes": {"type": "object", "additionalProperties": true,
    "description": "An RFC 7396 merge patch of the consumer's resource's attributes."}}},
"ProvisionCreate": {"type": "object", "required": ["relationship", "action"], "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "relationship": {"type": "string"},
  "action": {"type": "string", "description": "One of the offering's actions."},
  "used": {"$ref": "#/components/schemas/IdList"},
  "creates": {"type": "array", "items": {"$ref": "#/components/schemas/NewResource"}},
  "modifies": {"type": "array", "items": {"$ref": "#/components/schemas/ResourceChange"}},
  "transfers": {"$ref": "#/components/schemas/IdList"},
  "request": {"type": "string", "description": "An open request of the same relationship and action that this provision fulfils."},
  "value": {"$ref": "#/components/schemas/Value"}}},
"Provision": {"type": "object",
  "required": ["id", "relationship", "action", "provider", "consumer", "used", "created", "modified", "transferred", "value", "at"],
  "properties": {"id": {"type": "string"}, "relationship": {"type": "string", "nullable": true},
  "action": {"type": "string"}, "provider": {"type": "string"}, "consumer": {"type": "string"},
  "used": {"type": "array", "items": {"type": "string"}},
  "created": {"type": "array", "items": {"type": "string"}},
  "modified": {"type": "array", "items": {"type": "object", "required": ["resource", "version"],
    "properties": {"resource": {"type": "string"}, "version": {"type": "integer"}}}},
  "transferred": {"type": "array", "items": {"type": "string"}},
  "request": {"type": "string", "description": "Only when it fulfilled a request."},
  "value": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Value"}], "nullable": true},
  "at": {"$ref": "#/components/schemas/Time"},
  "redacted": {"$ref": "#/components/schemas/Redacted"}}},
"ProvisionList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Provision"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"MeasurementCreate": {"type": "object", "required": ["metric", "value", "period"], "additionalProperties": false,
  "properties": {"id": {"$ref": "#/components/schemas/Id"}, "metric": {"type": "string"},
  "value": {"type": "number"}, "period": {"$ref": "#/components/schemas/Period"}, "note": {"type": "string"},
  "by": {"type": "string", "description": "The party measuring: the admin names it (default: the provider); a member may name only itself."}}},
"Measurement": {"type": "object",
  "required": ["id", "relationship", "by", "metric", "value", "unit", "period", "note", "objective", "target", "met", "agreement_version", "at"],
  "properties": {"id": {"type": "string"}, "relationship": {"type": "string"}, "by": {"type": "string"},
  "metric": {"type": "string"}, "value": {"type": "number"}, "unit": {"type": "string"},
  "period": {"$ref": "#/components/schemas/Period"}, "note": {"type": "string", "nullable": true},
  "objective": {"type": "number", "description": "The objective it was judged against."},
  "target": {"type": "string", "enum": ["at_least", "at_most"]}, "met": {"type": "boolean"},
  "agreement_version": {"type": "integer", "description": "The agreement version it was judged against."},
  "at": {"$ref": "#/components/schemas/Time"}}},
"MeasurementList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Measurement"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"ServiceLevelStatus": {"type": "object",
  "required": ["metric", "objective", "unit", "target", "agreement_version", "measurements", "met", "attainment", "last", "breaches"],
  "properties": {"metric": {"type": "string"}, "objective": {"type": "number"}, "unit": {"type": "string"},
  "target": {"type": "string", "enum": ["at_least", "at_most"]},
  "agreement_version": {"type": "integer", "nullable": true},
  "measurements": {"type": "integer"}, "met": {"type": "integer"},
  "attainment": {"type": "number", "nullable": true, "description": "met / measurements; null with none."},
  "last": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Measurement"}], "nullable": true},
  "breaches": {"type": "array", "items": {"$ref": "#/components/schemas/Measurement"}}}},
"ServiceLevels": {"type": "object", "required": ["relationship", "items"], "properties": {
  "relationship": {"type": "string"},
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceLevelStatus"}}}},
"Breach": {"type": "object", "required": ["seq", "at", "relationship", "metric", "period", "consumers_reached"],
  "description": "measurement, value, objective, target and unit only when the caller may see the relationship.",
  "properties": {"seq": {"type": "integer"}, "at": {"$ref": "#/components/schemas/Time"},
  "relationship": {"type": "string", "nullable": true}, "metric": {"type": "string"},
  "period": {"$ref": "#/components/schemas/Period"}, "consumers_reached": {"type": "integer"},
  "measurement": {"type": "string"}, "value": {"type": "number"}, "objective": {"type": "number"},
  "target": {"type": "string", "enum": ["at_least", "at_most"]}, "unit": {"type": "string"}}},
"BreachList": {"type": "object", "required": ["organization", "items", "total", "limit", "offset"], "properties": {
  "organization": {"type": "string"},
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Breach"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"RequestCreate": {"type": "object", "required": ["action"], "additionalProperties": false, "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "action": {"type": "string"}, "note": {"type": "string"},
  "details": {"type": "object", "additionalProperties": true, "description": "Free-form: what the consumer asks for, as it chooses to say it."}}},
"Request": {"type": "object",
  "required": ["id", "relationship", "consumer", "provider", "action", "note", "details", "status", "opened_at", "closed_at", "provision", "reason", "lead_time_seconds"],
  "properties": {"id": {"type": "string"}, "relationship": {"type": "string"},
  "consumer": {"type": "string"}, "provider": {"type": "string"}, "action": {"type": "string"},
  "note": {"type": "string", "nullable": true},
  "details": {"type": "object", "additionalProperties": true, "description": "Free-form, as the consumer sent it."},
  "status": {"type": "string", "enum": ["open", "fulfilled", "declined", "cancelled"]},
  "opened_at": {"$ref": "#/components/schemas/Time"},
  "closed_at": {"type": "string", "format": "date-time", "nullable": true},
  "provision": {"type": "string", "nullable": true, "description": "The provision that fulfilled it."},
  "reason": {"type": "string", "nullable": true},
  "lead_time_seconds": {"type": "number", "nullable": true, "description": "closed_at - opened_at for a fulfilled request; null otherwise."}}},
"RequestList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"RequestQueue": {"type": "object", "required": ["items", "total", "limit", "offset", "lead_time"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
  "lead_time": {"type": "object", "required": ["fulfilled", "mean_seconds", "median_seconds"],
    "description": "Over every fulfilled request of the relationship, whatever status, limit and offset select.",
    "properties": {"fulfilled": {"type": "integer"},
    "mean_seconds": {"type": "number", "nullable": true}, "median_seconds": {"type": "number", "nullable": true}}}}},

"ValueCreate": {"type": "object", "additionalProperties": false,
  "description": "At least one outcome, cost or risk.",
  "properties": {"id": {"$ref": "#/components/schemas/Id"},
  "outcomes": {"type": "array", "items": {"type": "string", "minLength": 1}},
  "costs": {"type": "array", "items": {"$ref": "#/components/schemas/Cost"}},
  "risks": {"type": "array", "items": {"$ref": "#/components/schemas/Risk"}},
  "period": {"$ref": "#/components/schemas/Period"}, "note": {"type": "string"}}},
"ValueRecord": {"type": "object",
  "required": ["id", "relationship", "party", "outcomes", "costs", "risks", "period", "note", "at"],
  "properties": {"id": {"type": "string"}, "relationship": {"type": "string"},
  "party": {"type": "string", "description": "The organization that stated it."},
  "outcomes": {"type": "array", "items": {"type": "string"}},
  "costs": {"type": "array", "items": {"$ref": "#/components/schemas/Cost"}},
  "risks": {"type": "array", "items": {"$ref": "#/components/schemas/Risk"}},
  "period": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Period"}], "nullable": true},
  "note": {"type": "string", "nullable": true}, "at": {"$ref": "#/components/schemas/Time"}}},
"Source": {"type": "object", "required": ["type", "id"], "properties": {
  "type": {"type": "string", "enum": ["provision", "value"]}, "id": {"type": "string"}}},
"StatedRisk": {"type": "object", "required": ["description", "kind", "source", "party"], "properties": {
  "description": {"type": "string"}, "kind": {"type": "string", "enum": ["introduced", "removed"]},
  "source": {"$ref": "#/components/schemas/Source"}, "party": {"type": "string"}}},
"Sums": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Decimal"},
  "description": "Currency code → the exact sum of the amounts in it."},
"StatedValue": {"type": "object", "required": ["provisions", "statements", "outcomes", "costs", "risks"],
  "description": "Value as one side states it: what provisions carried and value records said.",
  "properties": {"provisions": {"type": "integer"}, "statements": {"type": "integer"},
  "outcomes": {"type": "array", "items": {"type": "object", "required": ["text", "source", "party"], "properties": {
    "text": {"type": "string"}, "source": {"$ref": "#/components/schemas/Source"}, "party": {"type": "string"}}}},
  "costs": {"type": "object", "required": ["introduced", "removed"], "properties": {
    "introduced": {"$ref": "#/components/schemas/Sums"}, "removed": {"$ref": "#/components/schemas/Sums"}}},
  "risks": {"type": "object", "required": ["introduced", "removed"], "properties": {
    "introduced": {"type": "array", "items": {"$ref": "#/components/schemas/StatedRisk"}},
    "removed": {"type": "array", "items": {"$ref": "#/components/schemas/StatedRisk"}}}}}},
"RelationshipValue": {"type": "object", "required": ["relationship", "provider_stated", "consumer_stated"],
  "properties": {"relationship": {"type": "string"},
  "provider_stated": {"$ref": "#/components/schemas/StatedValue"},
  "consumer_stated": {"$ref": "#/components/schemas/StatedValue"}}},
"OrganizationValue": {"type": "object", "required": ["organization", "received", "provided"], "properties": {
  "organization": {"type": "string"},
  "received": {"$ref": "#/components/schemas/StatedValue"},
  "provided": {"$ref": "#/components/schemas/StatedValue"}}},

"WebhookCreate": {"type": "object", "required": ["url", "events", "secret"], "additionalProperties": false, "properties": {
  "id": {"$ref": "#/components/schemas/Id"},
  "organization": {"type": "string", "description": "The admin's choice of organization; leave it out for every event."},
  "url": {"type": "string", "format": "uri", "maxLength": 2048, "description": "http or https; loopback and private addresses are 422 unsafe_target unless the server runs with --webhooks-allow-private."},
  "events": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "Event types, or [\"*\"] for every type."},
  "secret": {"type": "string", "minLength": 1, "maxLength": 256, "description": "The HMAC-SHA256 key of Cocreate-Signature; never answered back."},
  "exclude_actors": {"type": "array", "items": {"type": "string"}, "description": "Events by these actors are not delivered."}}},
"Webhook": {"type": "object", "required": ["id", "organization", "url", "events", "exclude_actors", "created_at"], "properties": {
  "id": {"type": "string"}, "organization": {"type": "string", "nullable": true, "description": "null: the admin's, for every event."},
  "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
  "exclude_actors": {"type": "array", "items": {"type": "string"}},
  "created_at": {"$ref": "#/components/schemas/Time"}}},
"WebhookList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"Delivery": {"type": "object", "required": ["seq", "type", "status", "attempts", "created_at", "last_attempt_at", "next_attempt_at", "last_error"], "properties": {
  "seq": {"type": "integer"}, "type": {"type": "string"},
  "status": {"type": "string", "enum": ["pending", "delivered", "dead"]},
  "attempts": {"type": "integer", "minimum": 0},
  "created_at": {"$ref": "#/components/schemas/Time"},
  "last_attempt_at": {"type": "string", "format": "date-time", "nullable": true},
  "next_attempt_at": {"type": "string", "format": "date-time", "nullable": true},
  "last_error": {"type": "string", "nullable": true, "description": "The receiver's HTTP status, or timeout, connection refused, connection failed, unresolvable host, unsafe_target, tls handshake failed, invalid answer."}}},
"DeliveryList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"ImportRequest": {"type": "object", "required": ["format", "content"], "additionalProperties": false, "properties": {
  "format": {"type": "string", "enum": ["backstage", "csv"]},
  "kind": {"type": "string", "enum": ["organizations", "resources", "services"], "description": "CSV only, and then required."},
  "content": {"type": "string", "description": "Backstage catalog-info.yaml text (any number of documents), or CSV with a header row."}}},
"ImportReport": {"type": "object", "required": ["created", "updated", "unchanged", "refused"], "properties": {
  "created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
  "refused": {"type": "array", "items": {"type": "object", "required": ["entity", "code", "message"], "properties": {
    "entity": {"type": "string"}, "line": {"type": "integer"}, "code": {"type": "string"},
    "message": {"type": "string"}}}}}},
"PersonCreate": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
  "id": {"$ref": "#/components/schemas/Id"}, "name": {"type": "string", "minLength": 1},
  "email": {"type": "string", "description": "One address: a single @ with something on both sides."}}},
"RoleName": {"type": "string", "enum": ["customer", "user", "sponsor", "relationship_manager"]},
"Person": {"type": "object", "required": ["id", "organization", "name", "created_at"],
  "properties": {"id": {"type": "string"},
  "organization": {"type": "string", "nullable": true},
  "name": {"type": "string"},
  "email": {"type": "string", "nullable": true, "description": "Only to the person's organization and the admin."},
  "given_name": {"type": "string", "nullable": true, "description": "As given through TMF632 (then name is both joined by a space)."},
  "family_name": {"type": "string", "nullable": true, "description": "As given through TMF632."},
  "created_at": {"$ref": "#/components/schemas/Time"},
  "roles": {"type": "array", "description": "The roles the person holds on relationships the caller may see.",
    "items": {"type": "object", "required": ["relationship", "role", "assigned_at"], "properties": {
    "relationship": {"type": "string"}, "role": {"$ref": "#/components/schemas/RoleName"},
    "assigned_at": {"$ref": "#/components/schemas/Time"}}}}}},
"PersonList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"RoleCreate": {"type": "object", "required": ["person", "role"], "additionalProperties": false, "properties": {
  "person": {"type": "string"}, "role": {"$ref": "#/components/schemas/RoleName"}}},
"RoleAssignment": {"type": "object", "required": ["relationship", "person", "name", "role", "organization", "assigned_at"],
  "properties": {"relationship": {"type": "string"}, "person": {"type": "string"}, "name": {"type": "string"},
  "role": {"$ref": "#/components/schemas/RoleName"}, "organization": {"type": "string"},
  "assigned_at": {"$ref": "#/components/schemas/Time"}}},
"RoleAssignmentList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/RoleAssignment"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},

"TokenCreate": {"type": "object", "required": ["organization"], "properties": {
  "organization": {"type": "string"}, "role": {"type": "string", "enum": ["member", "viewer"], "default": "member"},
  "person": {"type": "string", "description": "A person of the organization: events the token causes name them as actor."},
  "expires_in": {"type": "integer", "minimum": 60, "maximum": 31536000, "description": "Seconds until it expires; none: it does not."}}},
"TokenInfo": {"type": "object", "required": ["id", "organization", "role", "created_at"],
  "properties": {"id": {"type": "string"}, "organization": {"type": "string"},
  "role": {"type": "string", "enum": ["member", "viewer"]},
  "person": {"type": "string"},
  "created_at": {"$ref": "#/components/schemas/Time"}, "expires_at": {"$ref": "#/components/schemas/Time"}}},
"Token": {"type": "object", "required": ["id", "token", "organization", "role", "created_at"],
  "properties": {"id": {"type": "string"},
  "token": {"type": "string", "description": "The secret, answered this once; only its SHA-256 is kept."},
  "organization": {"type": "string"}, "role": {"type": "string", "enum": ["member", "viewer"]},
  "person": {"type": "string"},
  "created_at": {"$ref": "#/components/schemas/Time"}, "expires_at": {"$ref": "#/components/schemas/Time"}}},
"TokenList": {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/TokenInfo"}},
  "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
"Me": {"type": "object", "required": ["organization", "role", "person"], "properties": {
  "organization": {"type": "string", "nullable": true, "description": "null for the admin."},
  "role": {"type": "string", "enum": ["admin", "member", "viewer"]},
  "person": {"type": "string", "nullable": true, "description": "The person of a person token."}}},

"Roles": {"type": "object", "required": ["organization", "consumer_since", "provider_since", "transitions"],
  "properties": {"organization": {"type": "string"},
  "consumer_since": {"type": "string", "format": "date-time", "nullable": true},
  "provider_since": {"type": "string", "format": "date-time", "nullable": true},
  "transitions": {"type": "array", "items": {"type": "object", "required": ["at", "from", "to", "evidence"],
    "properties": {"at": {"$ref": "#/components/schemas/Time"},
    "from": {"type": "string", "enum": ["consumer"]}, "to": {"type": "string", "enum": ["provider"]},
    "evidence": {"type": "array", "description": "Why: a service it now provides is built on a resource a provision brought it.",
      "items": {"type": "object", "required": ["service", "resource", "provision", "relationship", "provider"],
      "properties": {"service": {"type": "string"}, "resource": {"type": "string"},
      "provision": {"type": "string"}, "relationship": {"type": "string"}, "provider": {"type": "string"}}}},
    "redacted": {"$ref": "#/components/schemas/Redacted"}}}}}},

"Impact": {"type": "object", "required": ["from", "affected", "counts", "redacted"], "properties": {
  "from": {"type": "string"},
  "affected": {"type": "array", "items": {"type": "object", "required": ["id", "type", "depth"], "properties": {
    "id": {"type": "string"},
    "type": {"type": "string", "enum": ["organization", "resource", "service", "offering", "relationship"]},
    "depth": {"type": "integer", "description": "Edges from the start along the walk (the smallest)."},
    "path": {"type": "array", "items": {"type": "string", "nullable": true},
      "description": "With explain=true: one shortest path from the start to this node; null for a hop the caller may not see."}}}},
  "counts": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "type → how many affected."},
  "redacted": {"type": "integer", "description": "How many nodes reached are not visible to the caller."}}},
"Chain": {"type": "object", "required": ["organizations", "relationships"], "properties": {
  "organizations": {"type": "array", "items": {"type": "string", "nullable": true}},
  "relationships": {"type": "array", "items": {"type": "string", "nullable": true}},
  "value": {"type": "array", "items": {"$ref": "#/components/schemas/RelationshipValue"},
    "description": "With value=true: per relationship, in order, as GET /relationships/{id}/value answers it over all time."}}},
"Chains": {"type": "object", "required": ["items", "redacted"], "properties": {
  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Chain"}},
  "redacted": {"type": "integer", "description": "Chains left out because a hop is not visible."}}},
"Cycles": {"type": "object", "required": ["items", "redacted"], "properties": {
  "items": {"type": "array", "items": {"type": "object", "required": ["organizations", "relationships"], "properties": {
    "organizations": {"type": "array", "items": {"type": "string"}},
    "relationships": {"type": "array", "items": {"type": "string"}}}}},
  "redacted": {"type": "integer", "description": "Cycles left out because a relationship in them is not visible."}}},
"Concentration": {"type": "object", "required": ["items", "exact", "redacted"], "properties": {
  "items": {"type": "array", "items": {"type": "object", "required": ["id", "type", "consumers_reached"], "properties": {
    "id": {"type": "string"}, "type": {"type": "string", "enum": ["resource", "service", "offering", "relationship"]},
    "consumers_reached": {"type": "integer"}}}},
  "exact": {"type": "boolean"},
  "candidates": {"type": "integer"}, "measured": {"type": "integer"},
  "sample_fraction": {"type": "number", "description": "When not exact: the share of candidates measured."},
  "error_bound": {"type": "string", "description": "When not exact: what the sample may have missed."},
  "redacted": {"type": "integer"}}},
"OrganizationGraph": {"type": "object", "required": ["nodes", "edges", "redacted"], "properties": {
  "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "name", "consumer_since", "provider_since"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
    "consumer_since": {"type": "string", "format": "date-time", "nullable": true},
    "provider_since": {"type": "string", "format": "date-time", "nullable": true}}}},
  "edges": {"type": "array", "items": {"type": "object",
    "required": ["id", "provider", "consumer", "offering", "type", "status", "activated_at"],
    "properties": {"id": {"type": "string"}, "provider": {"type": "string"}, "consumer": {"type": "string"},
    "offering": {"type": "string"}, "type": {"$ref": "#/components/schemas/RelationshipType"},
    "status": {"type": "string", "enum": ["requested", "active", "suspended", "rejected", "terminated"]},
    "activated_at": {"type": "string", "format": "date-time", "nullable": true}}}},
  "redacted": {"type": "integer"}}},

"Lineage": {"type": "object",
  "required": ["resource", "version", "provisions", "resources", "services", "offerings", "relationships", "organizations", "redacted"],
  "properties": {"resource": {"type": "string"}, "version": {"type": "integer"},
  "provisions": {"type": "array", "items": {"type": "object", "required": ["id", "action", "relationship", "at"], "properties": {
    "id": {"type": "string"}, "action": {"type": "string"}, "relationship": {"type": "string"},
    "at": {"$ref": "#/components/schemas/Time"}}}},
  "resources": {"type": "array", "description": "Upstream resources, each at the version current when it was used; not the start.",
    "items": {"type": "object", "required": ["id", "version", "kind", "name", "owner"], "properties": {
    "id": {"type": "string"}, "version": {"type": "integer"}, "kind": {"type": "string"},
    "name": {"type": "string"}, "owner": {"type": "string"}}}},
  "services": {"type": "array", "items": {"type": "object", "required": ["id", "name", "provider"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "provider": {"type": "string"}}}},
  "offerings": {"type": "array", "items": {"type": "object", "required": ["id", "version", "name", "provider"], "properties": {
    "id": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": "string"}, "provider": {"type": "string"}}}},
  "relationships": {"type": "array", "items": {"type": "object", "required": ["id", "provider", "consumer", "type", "status"], "properties": {
    "id": {"type": "string"}, "provider": {"type": "string"}, "consumer": {"type": "string"},
    "type": {"$ref": "#/components/schemas/RelationshipType"},
    "status": {"type": "string", "enum": ["requested", "active", "suspended", "rejected", "terminated"]}}}},
  "organizations": {"type": "array", "description": "Owners of the resources reached and providers of the relationships and services reached.",
    "items": {"type": "object", "required": ["id", "name"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}}}},
  "redacted": {"type": "integer", "description": "Upstream objects the caller may not see."}}},
"ProvRecords": {"type": "object", "description": "PROV-JSON records by identifier (cc:ID@N, _:rN).",
  "additionalProperties": {"type": "object", "additionalProperties": true,
    "description": "One record: PROV attributes (prov:type, prov:label, prov:startTime, prov:entity, ...) and cocreate's (cc:kind, cc:version)."}},
"ProvDocument": {"type": "object", "description": "A W3C PROV-JSON document: resource versions are entities (cc:ID@N), provisions activities, organizations agents; cc is urn:cocreate:.",
  "required": ["prefix"],
  "properties": {"prefix": {"type": "object", "additionalProperties": {"type": "string"}},
  "entity": {"$ref": "#/components/schemas/ProvRecords"}, "activity": {"$ref": "#/components/schemas/ProvRecords"},
  "agent": {"$ref": "#/components/schemas/ProvRecords"}, "wasGeneratedBy": {"$ref": "#/components/schemas/ProvRecords"},
  "used": {"$ref": "#/components/schemas/ProvRecords"}, "wasAssociatedWith": {"$ref": "#/components/schemas/ProvRecords"},
  "wasAttributedTo": {"$ref": "#/components/schemas/ProvRecords"}, "wasDerivedFrom": {"$ref": "#/components/schemas/ProvRecords"}}},
"LineageAnswer": {"oneOf": [{"$ref": "#/components/schemas/Lineage"}, {"$ref": "#/components/schemas/ProvDocument"}],
  "description": "Lineage; with format=prov a ProvDocument."},

"Event": {"type": "object", "required": ["seq", "type", "at", "actor", "subject", "data"], "properties": {
  "seq": {"type": "integer", "description": "Increases by one per event of the whole store; a caller sees a subsequence."},
  "type": {"type": "string", "description": "organization.created, relationship.activated, provision.performed, ..."},
  "at": {"$ref": "#/components/schemas/Time"},
  "actor": {"type": "string", "description": "admin, the organization or person whose token acted, or system."},
  "subject": {"type": "string", "description": "The id the event is about."},
  "data": {"type": "object", "additionalProperties": true, "description": "Per event type, redacted for the caller like objects."}}},
"EventPage": {"type": "object", "required": ["events", "next"], "properties": {
  "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
  "next": {"type": "integer", "description": "The seq of the last event answered, or after when none."}}},
"EventStream": {"type": "string",
  "description": "Server-Sent Events: per event `id: SEQ`, `event: event`, `data: EVENT` (the Event as JSON on one line), then a blank line; `: keep-alive` comments in between."},
"OpenApiDocument": {"type": "object", "additionalProperties": true, "description": "An OpenAPI 3.0 document (this one)."}
})";

std::string ParameterJson(const std::string& key) {
  if (!key.empty() && key.front() == '{') {
    return R"({"in":"query",)" + key.substr(1);
  }
  for (const Parameter& p : kParameters) {
    if (key == p.key) return R"({"in":"query",)" + std::string(p.json + 1);
  }
  return "";  // openapi_test finds it: a parameter missing from the document
}

// "getOrganizationsIdRoles": the method and the path's words.
std::string OperationId(const Op& op) {
  std::string id = op.method;
  bool upper = true;
  for (char c : op.path) {
    if (c == '/' || c == '-' || c == '{' || c == '}' || c == '.') {
      upper = true;
      continue;
    }
    id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return id;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string OperationJson(const Op& op) {
  const bool public_route = op.path == "/openapi.json";
  std::string out = "{\"operationId\":" + JsonString(OperationId(op)) +
                    ",\"summary\":" + JsonString(op.summary);
  if (!op.description.empty()) out += ",\"description\":" + JsonString(op.description);
  if (public_route) out += ",\"security\":[]";
  out += ",\"parameters\":[";
  bool first = true;
  for (size_t at = op.path.find('{'); at != std::string::npos; at = op.path.find('{', at + 1)) {
    std::string name = op.path.substr(at + 1, op.path.find('}', at) - at - 1);
    out += std::string(first ? "" : ",") + R"({"name":)" + JsonString(name) +
           R"(,"in":"path","required":true,"schema":{"type":"string"}})";
    first = false;
  }
  for (const std::string& key : op.query) {
    out += std::string(first ? "" : ",") + ParameterJson(key);
    first = false;
  }
  out += "]";
  if (!op.request.empty()) {
    out += std::string(",\"requestBody\":{\"required\":") + (op.body_required ? "true" : "false") +
           R"(,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/)" +
           op.request + "\"}}}}";
  }
  out += ",\"responses\":{\"" + std::to_string(op.success) + "\":{\"description\":";
  out += JsonString(op.success == 201   ? "Created (200 for a safe retry of the same create)"
                    : op.success == 204 ? "Done; no body"
                                        : "OK");
  if (!op.response_headers.empty()) out += ",\"headers\":{" + op.response_headers + "}";
  if (!op.response.empty()) {
    out += ",\"content\":{" + JsonString(op.media) +
           R"(:{"schema":{"$ref":"#/components/schemas/)" + op.response + "\"}}}";
  }
  out += "}";
  if (!public_route) {
    std::string codes = "400 401 " + op.errors;
    if (!op.request.empty()) codes += " 413 415";
    codes += " 503";
    for (const char* code : {"400", "401", "403", "404", "409", "413", "415", "422", "503"}) {
      if (codes.find(code) == std::string::npos) continue;
      out += std::string(",\"") + code + R"(":{"$ref":"#/components/responses/)" + code + "\"}";
    }
  }
  out += "}}";
  return out;
}

std::string Build() {
  std::string out =
      R"({"openapi":"3.0.3","info":{"title":"cocreate","version":"1","description":)"
      R"("The service relationship engine: the ITIL 4 service relationship model across)"
      R"( organizations. Every route but this document needs Authorization: Bearer TOKEN.)"
      R"( docs/api.md in the repository says who may do what and why."},)"
      R"("servers":[{"url":"/api/v1"}],"security":[{"bearer":[]}],"paths":{)";
  const std::vector<Op> ops = Operations();
  std::vector<std::string> done;
  for (const Op& op : ops) {
    bool seen = false;
    for (const auto& d : done) seen = seen || d == op.path;
    if (seen) continue;
    out += std::string(done.empty() ? "" : ",") + JsonString(op.path) + ":{";
    bool first = true;
    for (const Op& same : ops) {
      if (same.path != op.path) continue;
      out += std::string(first ? "" : ",") + "\"" + same.method + "\":" + OperationJson(same);
      first = false;
    }
    out += "}";
    done.push_back(op.path);
  }
  out += R"(},"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer",)"
         R"("description":"The admin token, or one POST /tokens issued for an organization."}},)";
  out += "\"responses\":";
  out += kResponses;
  out += ",\"schemas\":";
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
