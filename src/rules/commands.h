// Commands: what a caller asks the engine to do, decoded and format-checked
// from a JSON body. Decoding answers only 400-class errors (missing field,
// wrong type, bad format); everything that needs state is decided in
// rules/decide.h.
#ifndef COCREATE_RULES_COMMANDS_H_
#define COCREATE_RULES_COMMANDS_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/json.h"
#include "model/status.h"
#include "model/types.h"

namespace cocreate {

struct NewResource {
  std::string id;  // empty: the server makes one
  std::string kind;
  std::string name;
  Json attributes = Json::MakeObject();
};

struct CreateOrganization { Organization org; };
struct CreateConsumerGroup { ConsumerGroup group; };
struct CreateResource {
  std::string owner;
  NewResource resource;
  std::string external_id;  // empty: none (CONTRACT §9.23)
};
// A service's built_on and depends_on as a request names them. They stay
// text until the rules accept them: only then are they interned (model/id.h).
struct ServiceLinks { std::vector<std::string> built_on, depends_on; };
struct CreateService {
  Service service;  // without built_on and depends_on
  ServiceLinks links;
};
struct CreateOffering { Offering offering; };
struct CreateRelationship { Relationship relationship; };

struct ModifySpec { std::string resource; Json patch; };
struct CreateProvision {
  std::string id;
  std::string relationship;
  std::string action;
  std::vector<std::string> used;
  std::vector<NewResource> creates;
  std::vector<ModifySpec> modifies;
  std::vector<std::string> transfers;
  std::optional<Value> value;
  std::string request;  // the open request it fulfils, or empty (CONTRACT §6)
};

// Bounds of POST /tokens `expires_in`, in seconds (CONTRACT §9.6).
inline constexpr int64_t kMinTokenLifetime = 60;
inline constexpr int64_t kMaxTokenLifetime = 31'536'000;

struct IssueToken {
  std::string organization;
  Role role = Role::kMember;
  int64_t expires_in = 0;     // seconds; 0: the token never expires
  std::string secret_digest;  // filled by the engine; never from the body
  std::string person = {};    // a person of `organization` the token acts for, or empty
};

struct RevokeToken {
  std::string id;
};

// The five lifecycle verbs of a relationship.
enum class LifecycleVerb { kActivate, kReject, kSuspend, kResume, kTerminate };
std::string_view LifecycleVerbName(LifecycleVerb v);
std::optional<LifecycleVerb> LifecycleVerbFromName(std::string_view s);

struct ChangeRelationship {
  std::string relationship;
  LifecycleVerb verb = LifecycleVerb::kActivate;
};

// Changes (CONTRACT §5). A PATCH names only the fields it changes; `present`
// lists them in the order of the body.
struct PatchOrganization {
  std::string id;
  std::optional<std::string> name, description;
  std::optional<std::string> external_id;  // empty: remove it
  std::optional<Json> attributes;  // RFC 7396 merge patch
};
struct CloseOrganization { std::string id; };
struct PatchConsumerGroup {
  std::string id;
  std::optional<std::string> name;
  std::vector<std::string> add, remove;
};
struct ReviseResource {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> external_id;  // empty: remove it
  Json patch = Json::MakeObject();  // merge patch on attributes
};
struct PatchService {
  std::string id;
  Service fields;  // the present ones are set (the lists in `links`)
  ServiceLinks links;
  std::vector<std::string> present;
};
struct PatchOffering {
  std::string id;
  Offering fields;  // the present ones are set
  std::vector<std::string> present;
};
// POST /{resources|services|offerings}/{id}/retire.
struct Retire {
  Noun noun = Noun::kResource;
  std::string id;
};

// POST /relationships/{id}/proposals (CONTRACT §6): the agreement fields to
// change, in the agreement's JSON shape, normalized.
struct ProposeAgreement {
  std::string id;  // client id, or empty
  std::string relationship;
  std::string by;  // the admin's choice of party; empty: the caller's organization
  Json changes = Json::MakeObject();
  std::string note;
};
enum class ProposalVerb { kAccept, kDecline, kWithdraw };
std::string_view ProposalVerbName(ProposalVerb v);
struct AnswerProposal {
  std::string proposal;
  ProposalVerb verb = ProposalVerb::kAccept;
  std::string reason;
};

// Service relationship management (CONTRACT §6). `by` is the admin's choice
// of party where the body may name one; empty: the caller's organization.
struct RecordMeasurement {
  std::string id;
  std::string relationship;
  std::string by;
  std::string metric;
  Json value;
  Period period;
  std::string note;
};
struct OpenRequest {
  std::string id;
  std::string relationship;
  std::string action;
  std::string note;
  Json details = Json::MakeObject();
};
enum class RequestVerb { kDecline, kCancel };
std::string_view RequestVerbName(RequestVerb v);
struct CloseRequest {
  std::string request;
  RequestVerb verb = RequestVerb::kDecline;
  std::string reason;
};
struct StateValue {
  std::string id;
  std::string relationship;
  Value value;
  Period period;
  std::string note;
};
// `organization` empty: a person of no organization (the admin's, through
// TMF632, CONTRACT §9.24).
struct CreatePerson {
  std::string organization;
  Person person;
};
// TMF669 party roles (CONTRACT §8): declared, changed, removed.
struct DeclarePartyRole {
  PartyRole role;  // id (or empty), name, engaged_party, details
};
struct PatchPartyRole {
  std::string id;
  std::optional<std::string> name;
  Json details_patch = Json::MakeObject();  // RFC 7396 merge patch on `details`
};
struct RemovePartyRole {
  std::string id;
};
// A TMF641 service order: its items, each the native command it stands for,
// decided together (all or nothing). `add` requests a relationship,
// `modify` records a provision, `delete` terminates.
struct PlaceOrderItem {
  std::string id;
  std::string action;  // "add", "modify" or "delete"
  CreateRelationship add;       // for "add" (the engine gives it an id)
  CreateProvision modify;       // for "modify"
  ChangeRelationship remove;    // for "delete"
};
struct PlaceOrder {
  std::string description;
  std::string external_id;
  std::vector<PlaceOrderItem> items;
};
struct AssignRole {
  std::string relationship;
  std::string person;
  std::string role;
  bool assign = true;  // false: unassign
};
// What time brings about (CONTRACT §9.17): agreements whose `end` has passed
// terminate or renew. Only the server's own System principal sends it.
struct ExpireAgreements {};

// Webhooks (CONTRACT §8; decoded and decided in rules/webhooks.h).
// Whether the target's addresses are public, as the engine found when it
// resolved the host (Engine::Submit); never from the body.
enum class TargetCheck { kNotChecked, kPublic, kUnsafe };
struct RegisterWebhook {
  std::string id;            // client id, or empty
  std::string organization;  // empty: the caller's (the admin's: every event)
  std::string url;
  std::vector<std::string> events;  // event types, or {"*"}
  std::string secret;
  std::vector<std::string> exclude_actors;
  TargetCheck target = TargetCheck::kNotChecked;
};
struct DeleteWebhook {
  std::string id;
};

using CommandBody = std::variant<CreateOrganization, CreateConsumerGroup, CreateResource,
                                 CreateService, CreateOffering, CreateRelationship,
                                 CreateProvision, IssueToken, ChangeRelationship,
                                 RevokeToken, PatchOrganization, CloseOrganization,
                                 PatchConsumerGroup, ReviseResource, PatchService,
                                 PatchOffering, Retire, ProposeAgreement, AnswerProposal,
                                 RecordMeasurement, OpenRequest, CloseRequest, StateValue,
                                 CreatePerson, AssignRole, ExpireAgreements, DeclarePartyRole,
                                 PatchPartyRole, RemovePartyRole, PlaceOrder, RegisterWebhook,
                                 DeleteWebhook>;

// A decoded command plus the request body it came from (kept for idempotent
// retries of creates: DecodeCreate keeps it only when the body names the id,
// null otherwise).
struct Command {
  CommandBody body;
  Json request;
  // The client id of a create, or empty.
  const std::string& ClientId() const;
};

// The longest external_id accepted, in bytes.
inline constexpr size_t kMaxExternalIdSize = 512;

// Decoders: each returns the command or invalid_field (400) naming the field.
// REQUIRES: `body` is a parsed JSON value (any type; non-objects are refused).
StatusOr<Command> DecodeCreate(Noun noun, const Json& body);
// POST /provisions read straight from the body's text, with no tree built:
// the command DecodeCreate(Noun::kProvision, *Json::ParseBody(text)) gives,
// when the body is of the everyday shape (relationship, action, and at most
// used, transfers, request and value, each once and of the right type).
// nullopt for anything else, valid or not: the caller then takes the
// general path, which judges it. Never an answer of its own.
std::optional<Command> DecodeProvisionText(std::string_view text);
// POST /tokens: {organization, role?, expires_in?}; `expires_in` a whole
// number of seconds from kMinTokenLifetime to kMaxTokenLifetime.
StatusOr<Command> DecodeIssueToken(const Json& body);
// DELETE /tokens/{id}.
Command DecodeRevokeToken(const std::string& id);
// PATCH /{collection}/{id} for organizations, consumer groups, services and
// offerings; a field the noun cannot change is invalid_field (400).
StatusOr<Command> DecodePatch(Noun noun, const std::string& id, const Json& body);
// POST /resources/{id}/revisions: {name?, attributes?}, at least one.
StatusOr<Command> DecodeRevision(const std::string& id, const Json& body);
// POST /{collection}/{id}/retire and /organizations/{id}/close take an empty
// body or {}.
StatusOr<Command> DecodeRetire(Noun noun, const std::string& id, const Json* body);
// POST /relationships/{id}/proposals: {id?, type?, service_levels?, price?,
// end?, renewal?, note?, by? (admin only)}, at least one agreement field.
StatusOr<Command> DecodeProposal(const std::string& relationship, const Json& body);
// POST /proposals/{id}/accept|decline|withdraw: empty, {} or {reason?}.
StatusOr<Command> DecodeAnswer(const std::string& proposal, ProposalVerb verb, const Json* body);
// POST /relationships/{id}/measurements: {id?, metric, value, period: {start,
// end}, note?, by? (admin only)}.
StatusOr<Command> DecodeRecordMeasurement(const std::string& relationship, const Json& body);
// POST /relationships/{id}/requests: {id?, action, note?, details?}.
StatusOr<Command> DecodeOpenRequest(const std::string& relationship, const Json& body);
// POST /requests/{id}/decline|cancel: empty, {} or {reason?}.
StatusOr<Command> DecodeCloseRequest(const std::string& request, RequestVerb verb,
                                     const Json* body);
// POST /relationships/{id}/value: {id?, outcomes?, costs?, risks?, period?,
// note?}, at least one outcome, cost or risk.
StatusOr<Command> DecodeValueStatement(const std::string& relationship, const Json& body);
// POST /organizations/{id}/people: {id?, name, email?}.
StatusOr<Command> DecodeCreatePerson(const std::string& organization, const Json& body);
// POST /relationships/{id}/roles: {person, role}.
StatusOr<Command> DecodeRoleAssignment(const std::string& relationship, const Json& body);
// DELETE /relationships/{id}/roles/{person}/{role}.
Command DecodeRoleUnassignment(const std::string& relationship, const std::string& person,
                               const std::string& role);
// Lifecycle POSTs take an empty body or a JSON object (its members are ignored).
StatusOr<Command> DecodeLifecycle(const std::string& relationship, LifecycleVerb verb,
                                  const Json* body);

}  // namespace cocreate

#endif  // COCREATE_RULES_COMMANDS_H_
