// The engine's side of webhooks (CONTRACT §8): the answers of GET /webhooks
// and GET /webhooks/{id}/deliveries, the deliveries made as each event is
// committed, and the calls the sender (http/webhook_sender.h) makes.
#include <chrono>

#include "engine/answers.h"
#include "engine/engine.h"
#include "model/codec.h"
#include "rules/visibility.h"
#include "rules/webhooks.h"

namespace cocreate {

namespace {

void WriteStrings(JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  WriteKey(w, key);
  w.StartArray();
  for (const auto& s : v) WriteString(w, s);
  w.EndArray();
}

void WriteWebhook(const WebhookRecord& hook, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "id");
  WriteString(w, hook.id);
  WriteKey(w, "organization");
  if (hook.organization.empty()) {
    w.Null();
  } else {
    WriteString(w, hook.organization);
  }
  WriteKey(w, "url");
  WriteString(w, hook.url);
  WriteStrings(w, "events", hook.events);
  WriteStrings(w, "exclude_actors", hook.exclude_actors);
  WriteKey(w, "created_at");
  WriteString(w, hook.created_at);
  w.EndObject();
}

void WriteMillisOrNull(JsonWriter& w, std::string_view key, int64_t ms) {
  WriteTimeOrNull(w, key, ms == 0 ? std::string() : FormatUnixMillis(ms));
}

void WriteDelivery(const Delivery& d, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "seq");
  w.Int64(d.seq);
  WriteKey(w, "type");
  WriteString(w, d.type);
  WriteKey(w, "status");
  WriteString(w, DeliveryStatusName(d.status));
  WriteKey(w, "attempts");
  w.Int64(d.attempts);
  WriteMillisOrNull(w, "created_at", d.created_ms);
  WriteMillisOrNull(w, "last_attempt_at", d.last_attempt_ms);
  WriteMillisOrNull(w, "next_attempt_at",
                    d.status == DeliveryStatus::kPending ? d.next_attempt_ms : 0);
  WriteKey(w, "last_error");
  if (d.last_error.empty()) {
    w.Null();
  } else {
    WriteString(w, d.last_error);
  }
  w.EndObject();
}

Status NoWebhook(const std::string& id) { return NotFound("no webhook '" + id + "'"); }

}  // namespace

std::string Engine::EncodeWebhook(const std::string& id) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteWebhook(*state_.FindWebhook(id), w);
  return Done(buf);
}

std::string Engine::Webhooks(const Principal& p, const ListQuery& q) const {
  ReadLock lock(*this);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = 0;
  for (const auto& id : state_.WebhookIds()) {
    const WebhookRecord& hook = *state_.FindWebhook(id);
    if (hook.deleted || !CanSeeWebhook(p, hook)) continue;
    if (total >= q.offset && total < q.offset + q.limit) WriteWebhook(hook, w);
    ++total;
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::WebhookOf(const Principal& p, const std::string& id) const {
  ReadLock lock(*this);
  const WebhookRecord* hook = state_.FindWebhook(id);
  if (hook == nullptr || hook->deleted || !CanSeeWebhook(p, *hook)) return NoWebhook(id);
  return EncodeWebhook(id);
}

StatusOr<std::string> Engine::Deliveries(const Principal& p, const std::string& id,
                                         std::optional<DeliveryStatus> status,
                                         const ListQuery& q) {
  {
    ReadLock lock(*this);
    const WebhookRecord* hook = state_.FindWebhook(id);
    if (hook == nullptr || hook->deleted || !CanSeeWebhook(p, *hook)) return NoWebhook(id);
  }
  CC_ASSIGN_OR_RETURN(DeliveryPage page, store_->ListDeliveries(id, status, q.limit, q.offset));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  for (const Delivery& d : page.items) WriteDelivery(d, w);
  EndList(w, page.total, q);
  return Done(buf);
}

void Engine::AddDeliveries(const Event& e, std::vector<Delivery>& out) const {
  const auto& ids = state_.WebhookIds();
  if (ids.empty()) return;
  int64_t created = UnixMillis(e.at).value_or(0);
  if (created == 0) {
    created = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  }
  // A provision's event as JSON, made once and only if a webhook wants it.
  std::optional<Event> with_data;
  for (const auto& id : ids) {
    const WebhookRecord& hook = *state_.FindWebhook(id);
    if (!WebhookWants(hook, e)) continue;
    Principal p = WebhookPrincipal(hook);
    if (!CanSeeEvent(state_, p, e)) continue;
    if (e.provision != nullptr && !with_data) with_data = WithEventData(e);
    Delivery d;
    d.webhook = hook.id;
    d.seq = e.seq;
    d.type = std::string(EventTypeName(e.type));
    d.body = EncodeEventFor(p, with_data ? *with_data : e);
    d.created_ms = created;
    d.next_attempt_ms = created;
    out.push_back(std::move(d));
  }
}

std::optional<Engine::WebhookTarget> Engine::WebhookTargetOf(const std::string& id) const {
  ReadLock lock(*this);
  const WebhookRecord* hook = state_.FindWebhook(id);
  if (hook == nullptr || hook->deleted) return std::nullopt;
  return WebhookTarget{hook->url, hook->secret};
}

StatusOr<std::vector<Delivery>> Engine::PendingDeliveries(int limit) {
  return store_->PendingHeads(limit);
}

Status Engine::RecordDelivery(const Delivery& d) { return store_->UpdateDelivery(d); }

Status Engine::DropDeliveries(const std::string& webhook) {
  return store_->DeleteDeliveries(webhook);
}

void Engine::OnDeliveriesWritten(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  deliveries_listener_ = std::move(fn);
}

}  // namespace cocreate
