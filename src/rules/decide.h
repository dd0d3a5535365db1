// Decide: the rules of the service relationship model as a pure function from
// (state, principal, command) to the events that record the change, or to the
// precise error explaining which rule it breaks. Nothing is applied here:
// the engine applies the returned events to the state only once accepted.
//
// Checks run in the contract's order: 404 (object named by the URL), 403 (who
// may do this), 409 (duplicate id, wrong status), 422 (domain rules).
//
// Relationship lifecycle, and the verb (LifecycleVerb) performing each move:
//
//             kActivate (provider)         kSuspend (provider)
//   requested ─────────────────────▶ active ◀─────────────────▶ suspended
//       │  kReject (provider)          │      kResume (provider)     │
//       ▼                              │ kTerminate (either party)   │ kTerminate (either)
//    rejected                          ▼                             ▼
//                                 terminated ◀───────────────────────┘
//   kTerminate from requested (either party) withdraws it: → terminated.
//   Any other move is 409 invalid_transition.
#ifndef COCREATE_RULES_DECIDE_H_
#define COCREATE_RULES_DECIDE_H_

#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"
#include "rules/commands.h"
#include "rules/state.h"

namespace cocreate {

struct Decision {
  std::vector<Event> events;  // seq is left 0: the engine numbers them
  Noun noun = Noun::kOrganization;
  std::string subject;  // the object the answer shows (for tokens: the token id)
  bool created = false;  // true: 201 (a new object); false: 200
  // The answer is the resource version `version` (a revision), not the object.
  int64_t version = 0;
  // What the answer shows when it is not the noun `subject` (CONTRACT §6).
  enum class Shows {
    kNoun, kProposal, kMeasurement, kRequest, kValueRecord, kPerson, kRoleAssignment, kPartyRole,
    kServiceOrder, kNothing, kWebhook
  };
  Shows shows = Shows::kNoun;
  // For kRoleAssignment: the assignment of `person` to `role` on `subject`.
  std::string person = {};
  std::string role = {};
};

// Returns the events recording `command`, performed by `principal` at `now`
// (RFC 3339). An idempotent retry of a create returns no events and
// created == false. Errors: the contract's codes, with `reason` one of
// forbidden, duplicate_id, invalid_transition, relationship_not_active,
// unknown_reference, not_in_audience, self_relationship, not_provider,
// resource_not_usable, service_not_usable, action_not_offered,
// effect_not_allowed, not_consumer_owned, not_transferable, not_found.
//
// Tokens: IssueToken is the admin's (403 forbidden otherwise; 422
// unknown_reference for an unknown organization) and records `token.issued`
// with the token's id and `expires_at`; RevokeToken is 404 not_found for a
// token that is absent, revoked or of another organization than a member's,
// 403 forbidden for a viewer, and records `token.revoked` (subject: the
// token's organization).
//
// Changes (CONTRACT §5): PATCH, revisions, retire and close answer 404 for
// an object the caller may not see, 403 unless the caller is the admin or a
// member of the owning organization (close: the admin only), 409 `retired`
// for a change to a retired object, `in_use` and `has_active_relationships`
// as the contract says, and 422 `organization_closed`, `retired_reference`
// before the rules of §2. A change that changes nothing, and a retire or
// close of what is already retired or closed, records no event (a safe
// retry) and answers the object as it stands.
//
// external_id (CONTRACT §9.23): a create or change that gives an
// organization, resource, service or offering an external_id another object
// of the same noun has is 409 `duplicate_external_id` (after the id checks,
// before every 422).
StatusOr<Decision> Decide(const State& state, const Principal& principal,
                          const Command& command, const std::string& now);

// The events that follow from `applied` (already applied to `state`): each
// service whose degradation (State::DegradationOf) no longer matches what it
// records gets `service.degraded` or `service.restored` (CONTRACT §5,
// broken dependencies). Same actor and time as the cause.
std::vector<Event> Consequences(const State& state, const std::vector<Event>& applied);

// The status a verb moves a relationship to from `from`, or nullopt when the
// move is not in the lifecycle.
std::optional<RelationshipStatus> NextStatus(RelationshipStatus from, LifecycleVerb verb);

// The evidence of `org`'s transition to provider: for each (service of org,
// resource it is built on) that org obtained as a consumer, the earliest
// provision that created, modified or transferred it for org.
std::vector<Evidence> TransitionEvidence(const State& state, const std::string& org);

}  // namespace cocreate

#endif  // COCREATE_RULES_DECIDE_H_
