#include "rules/webhooks.h"

#include <algorithm>
#include <charconv>

#include "model/codec.h"

namespace cocreate {

const std::vector<std::string_view>& EventTypes() { return EventTypeNames(); }

bool IsEventType(std::string_view type) { return EventTypeFromName(type).has_value(); }

namespace {

Status BadUrl(const std::string& why) {
  return InvalidField("url", "'url' must be an absolute http or https URL: " + why);
}

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_';
}

}  // namespace

StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.size() > kMaxWebhookUrl) {
    return BadUrl("at most " + std::to_string(kMaxWebhookUrl) + " bytes");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return BadUrl("no spaces or controls");
  }
  WebhookUrl out;
  std::string lower(url.substr(0, std::min<size_t>(url.size(), 8)));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest;
  if (lower.rfind("https://", 0) == 0) {
    out.https = true;
    out.port = 443;
    rest = url.substr(8);
  } else if (lower.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return BadUrl("the scheme must be http or https");
  }
  if (rest.find('#') != std::string_view::npos) return BadUrl("no fragment");
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return BadUrl("no user info");
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl("an IPv6 host needs its ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl("unexpected text after the host");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty() ||
        host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return BadUrl("an IPv6 host must be an address");
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return BadUrl("a host is required");
    if (host.size() > 253 || !std::all_of(host.begin(), host.end(), HostChar)) {
      return BadUrl("the host is not a valid name");
    }
  }
  if (host.empty()) return BadUrl("a host is required");
  if (has_port) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value < 1 ||
        value > 65535) {
      return BadUrl("the port must be a number from 1 to 65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.host = std::string(host);
  for (auto& c : out.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.target = target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target)
                                                             : std::string(target));
  return out;
}

namespace {

StatusOr<std::vector<std::string>> StringList(const Json& body, std::string_view key,
                                              bool required) {
  const Json* v = body.Find(key);
  std::string name(key);
  if (v == nullptr || v->is_null()) {
    if (required) return InvalidField(name, "'" + name + "' is required");
    return std::vector<std::string>();
  }
  if (!v->is_array()) return InvalidField(name, "'" + name + "' must be a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v->items().size(); ++i) {
    const Json& item = v->items()[i];
    std::string path = name + "[" + std::to_string(i) + "]";
    if (!item.is_string() || item.as_string().empty()) {
      return InvalidField(path, "'" + path + "' must be a non-empty string");
    }
    out.push_back(item.as_string());
  }
  return out;
}

StatusOr<std::string> StringField(const Json& body, std::string_view key, bool required) {
  const Json* v = body.Find(key);
  std::string name(key);
  if (v == nullptr || v->is_null()) {
    if (required) return InvalidField(name, "'" + name + "' is required");
    return std::string();
  }
  if (!v->is_string()) return InvalidField(name, "'" + name + "' must be a string");
  if (v->as_string().empty()) return InvalidField(name, "'" + name + "' must not be empty");
  return v->as_string();
}

}  // namespace

StatusOr<Command> DecodeRegisterWebhook(const Json& body) {
  if (!body.is_object()) return InvalidField("", "the body must be a JSON object");
  // Every member is kept or refused: a misspelt one is never dropped silently.
  for (const auto& [key, value] : body.members()) {
    static constexpr std::string_view kKnown[] = {"id", "organization", "url", "events",
                                                  "secret", "exclude_actors"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return InvalidField(key, "'" + key + "' is not a field of a webhook; it takes id, "
                               "organization, url, events, secret and exclude_actors");
    }
  }
  RegisterWebhook w;
  CC_ASSIGN_OR_RETURN(w.id, StringField(body, "id", false));
  if (!w.id.empty() && !IsValidId(w.id)) {
    return InvalidField("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$");
  }
  CC_ASSIGN_OR_RETURN(w.organization, StringField(body, "organization", false));
  if (!w.organization.empty() && !IsValidId(w.organization)) {
    return InvalidField("organization",
                        "'organization' must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$");
  }
  CC_ASSIGN_OR_RETURN(w.url, StringField(body, "url", true));
  CC_RETURN_IF_ERROR(ParseWebhookUrl(w.url).status());
  CC_ASSIGN_OR_RETURN(w.events, StringList(body, "events", true));
  if (w.events.empty()) {
    return InvalidField("events", "'events' must name at least one event type, or \"*\"");
  }
  for (size_t i = 0; i < w.events.size(); ++i) {
    if (w.events[i] != "*" && !IsEventType(w.events[i])) {
      std::string path = "events[" + std::to_string(i) + "]";
      return InvalidField(path, "'" + path + "' is not an event type: '" + w.events[i] + "'");
    }
  }
  CC_ASSIGN_OR_RETURN(w.secret, StringField(body, "secret", true));
  if (w.secret.size() > kMaxWebhookSecret) {
    return InvalidField("secret",
                        "'secret' must be at most " + std::to_string(kMaxWebhookSecret) + " bytes");
  }
  CC_ASSIGN_OR_RETURN(w.exclude_actors, StringList(body, "exclude_actors", false));
  return Command{std::move(w), body};
}

Command DecodeDeleteWebhook(const std::string& id) {
  return Command{DeleteWebhook{id}, Json::MakeObject()};
}

namespace {

Json StringsJson(const std::vector<std::string>& v) {
  Json out = Json::MakeArray();
  for (const auto& s : v) out.Push(Json(s));
  return out;
}

Decision WebhookDecision(std::vector<Event> events, const std::string& id, bool created) {
  Decision d;
  d.events = std::move(events);
  d.subject = id;
  d.created = created;
  d.shows = Decision::Shows::kWebhook;
  return d;
}

}  // namespace

StatusOr<Decision> DecideRegisterWebhook(const State& state, const Principal& p,
                                         const RegisterWebhook& c, const Json& request,
                                         const std::string& now) {
  if (!p.can_write()) return Forbidden("a viewer token may only read");
  std::string org = c.organization.empty() ? p.organization : c.organization;
  if (!p.is_admin() && org != p.organization) {
    return Forbidden("your token acts for '" + p.organization + "', so 'organization' must be '" +
                     p.organization + "'");
  }
  std::string id = c.id;
  if (!id.empty()) {
    if (id == "admin" || id == "system") {
      return Conflict("duplicate_id",
                      "the id '" + id + "' is reserved: events name their actor so");
    }
    const WebhookRecord* existing = state.FindWebhook(id);
    if (existing != nullptr && !existing->deleted && existing->request == request &&
        CanSeeWebhook(p, *existing)) {
      return WebhookDecision({}, id, false);  // a safe retry
    }
    if (existing != nullptr || state.IdTaken(id)) {
      return Conflict("duplicate_id",
                      "the id '" + id + "' is already taken; a retry must send the same body");
    }
  }
  if (!org.empty()) {
    const Organization* o = state.FindOrganization(org);
    if (o == nullptr) return UnknownReference("organization", org);
    if (o->closed) {
      return Unprocessable("organization_closed",
                           "organization '" + org + "' is closed and cannot register webhooks",
                           "organization");
    }
  }
  if (c.target == TargetCheck::kUnsafe) {
    return Unprocessable("unsafe_target",
                         "the url's host resolves to a loopback, private or otherwise non-public "
                         "address; webhooks deliver only to public addresses",
                         "url");
  }
  if (id.empty()) {
    int64_t n = state.last_seq() + 1;
    do {
      id = "wh-" + std::to_string(n++);
    } while (state.IdTaken(id));
  }
  Json data = Json::MakeObject({{"id", Json(id)},
                                {"organization", org.empty() ? Json() : Json(org)},
                                {"url", Json(c.url)},
                                {"events", StringsJson(c.events)},
                                {"exclude_actors", StringsJson(c.exclude_actors)}});
  Event e;
  e.type = EventType::kWebhookRegistered;
  e.at = now;
  e.actor = p.actor();
  e.subject = id;
  e.data = std::move(data);
  // The secret is the HMAC key, so it is kept as given, where no answer and
  // no event a client reads ever shows it.
  Json kept = request;
  e.private_data = Json::MakeObject({{"secret", Json(c.secret)}, {"request", std::move(kept)}});
  std::vector<Event> events;
  events.push_back(std::move(e));
  return WebhookDecision(std::move(events), id, true);
}

StatusOr<Decision> DecideDeleteWebhook(const State& state, const Principal& p,
                                       const DeleteWebhook& c, const std::string& now) {
  const WebhookRecord* w = state.FindWebhook(c.id);
  if (w == nullptr || w->deleted || !CanSeeWebhook(p, *w)) {
    return NotFound("no webhook '" + c.id + "'");
  }
  if (!p.can_write()) return Forbidden("a viewer token may only read");
  Event e;
  e.type = EventType::kWebhookDeleted;
  e.at = now;
  e.actor = p.actor();
  e.subject = w->id;
  e.data = Json::MakeObject(
      {{"id", Json(w->id)},
       {"organization", w->organization.empty() ? Json() : Json(w->organization)}});
  std::vector<Event> events;
  events.push_back(std::move(e));
  Decision d = WebhookDecision(std::move(events), w->id, false);
  d.shows = Decision::Shows::kNothing;  // 204, as DELETE /tokens/{id}
  return d;
}

bool CanSeeWebhook(const Principal& p, const WebhookRecord& w) {
  return p.is_admin() || (!p.organization.empty() && w.organization == p.organization);
}

Principal WebhookPrincipal(const WebhookRecord& w) {
  if (w.organization.empty()) return Principal::Admin();
  return Principal{Role::kViewer, w.organization};
}

bool WebhookWants(const WebhookRecord& w, const Event& e) {
  if (w.deleted || e.seq <= w.seq) return false;
  if (std::find(w.exclude_actors.begin(), w.exclude_actors.end(), e.actor) !=
      w.exclude_actors.end()) {
    return false;
  }
  return std::find_if(w.events.begin(), w.events.end(), [&](const std::string& t) {
           return t == "*" || t == EventTypeName(e.type);
         }) != w.events.end();
}

}  // namespace cocreate
