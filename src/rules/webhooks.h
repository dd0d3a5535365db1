// Webhooks (CONTRACT §8, §9.22): the event types a webhook may ask for, the
// URL of a target, decoding POST /webhooks, and the decisions that register
// and delete a webhook. Pure functions, like the rest of rules/.
//
// A registration is the event `webhook.registered` (subject: the webhook id;
// data: id, organization, url, events, exclude_actors; the secret is kept in
// its private data, which never leaves the server). A deletion is
// `webhook.deleted` (data: id, organization, reason?). Both are seen, in
// GET /events, by the webhook's organization only (the admin's by the admin).
#ifndef COCREATE_RULES_WEBHOOKS_H_
#define COCREATE_RULES_WEBHOOKS_H_

#include <string>
#include <string_view>
#include <vector>

#include "model/json.h"
#include "model/status.h"
#include "rules/commands.h"
#include "rules/decide.h"
#include "rules/state.h"

namespace cocreate {

// Bounds of a webhook's secret, in bytes.
inline constexpr size_t kMaxWebhookSecret = 256;
// Bound of a webhook's URL, in bytes.
inline constexpr size_t kMaxWebhookUrl = 2048;

// Every event type the engine records, in no particular order.
const std::vector<std::string_view>& EventTypes();
bool IsEventType(std::string_view type);

// An http(s) URL split for a client: host is a name or an IP literal (IPv6
// without brackets); target is the path and query ("/" when empty).
struct WebhookUrl {
  bool https = false;
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};

// Parses an absolute http or https URL with a host and an optional port
// (1-65535); no user info, no fragment. Errors: invalid_field (400) on
// `url` saying what is wrong.
StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url);

// POST /webhooks: {id?, organization?, url, events, secret, exclude_actors?}.
// `events` a non-empty list of event types or ["*"] (400 invalid_field
// naming `events[i]` for an unknown type); `secret` 1 to kMaxWebhookSecret
// bytes; `exclude_actors` a list of strings. `organization` is for the
// admin (a member may name only its own organization, 403 at decision).
StatusOr<Command> DecodeRegisterWebhook(const Json& body);
// DELETE /webhooks/{id}.
Command DecodeDeleteWebhook(const std::string& id);

// Registers a webhook. Errors, in order: 403 forbidden for a viewer or a
// member naming another organization; 422 unknown_reference for an unknown
// `organization`, 422 organization_closed for a closed one; 409 duplicate_id
// for an id taken (a retry with the same body answers 200 and records
// nothing); 422 unsafe_target when the engine found the target on a
// loopback, private or otherwise non-public address.
StatusOr<Decision> DecideRegisterWebhook(const State& state, const Principal& p,
                                         const RegisterWebhook& c, const Json& request,
                                         const std::string& now);
// Deletes a webhook. Errors: 404 not_found when it is absent, deleted, or
// not the caller's organization's (the admin may delete any); 403 forbidden
// for a viewer. Answers 204.
StatusOr<Decision> DecideDeleteWebhook(const State& state, const Principal& p,
                                       const DeleteWebhook& c, const std::string& now);

// True when `p` may see webhook `w`: the admin every one, an organization
// its own.
bool CanSeeWebhook(const Principal& p, const WebhookRecord& w);

// The principal whose view of the log webhook `w` receives: its
// organization's, or the admin's for a webhook of the admin.
Principal WebhookPrincipal(const WebhookRecord& w);

// True when `w` asks for event `e`: registered before it, not deleted, its
// type among `events` (or "*"), its actor not excluded. Visibility is
// judged apart (CanSeeEvent).
bool WebhookWants(const WebhookRecord& w, const Event& e);

}  // namespace cocreate

#endif  // COCREATE_RULES_WEBHOOKS_H_
