#include "rules/commands.h"

#include "model/env.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include <simdjson.h>

namespace cocreate {

namespace {

constexpr std::array<std::string_view, 5> kVerbs = {"activate", "reject", "suspend", "resume",
                                                     "terminate"};

// Reads fields out of one JSON object, naming each failing field by its path.
class Fields {
 public:
  Fields(const Json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  std::string Path(std::string_view key) const { return prefix_ + std::string(key); }

  StatusOr<std::string> String(std::string_view key, bool required) const {
    const Json* v = obj_.Find(key);
    if (v == nullptr || v->is_null()) {
      if (required) return InvalidField(Path(key), "'" + Path(key) + "' is required");
      return std::string();
    }
    if (!v->is_string()) return InvalidField(Path(key), "'" + Path(key) + "' must be a string");
    if (required && v->as_string().empty()) {
      return InvalidField(Path(key), "'" + Path(key) + "' must not be empty");
    }
    return v->as_string();
  }

  // An id field: a string matching the contract's id pattern.
  StatusOr<std::string> Id(std::string_view key, bool required) const {
    CC_ASSIGN_OR_RETURN(std::string s, String(key, required));
    if (!s.empty() && !IsValidId(s)) {
      return InvalidField(Path(key), "'" + Path(key) +
                                         "' must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$");
    }
    if (s.empty() && obj_.Find(key) != nullptr && !obj_.Find(key)->is_null()) {
      return InvalidField(Path(key), "'" + Path(key) + "' must not be empty");
    }
    return s;
  }

  // `external_id` (CONTRACT §9.23): absent or null is none; otherwise a
  // non-empty text of at most kMaxExternalIdSize bytes without control
  // characters.
  StatusOr<std::string> ExternalId() const {
    CC_ASSIGN_OR_RETURN(std::string s, String("external_id", false));
    const Json* v = obj_.Find("external_id");
    if (v != nullptr && v->is_string() && s.empty()) {
      return InvalidField(Path("external_id"), "'" + Path("external_id") +
                                                   "' must not be empty; send null to remove it");
    }
    if (s.size() > kMaxExternalIdSize) {
      return InvalidField(Path("external_id"), "'" + Path("external_id") + "' is longer than " +
                                                   std::to_string(kMaxExternalIdSize) + " bytes");
    }
    for (unsigned char ch : s) {
      if (ch < 0x20 || ch == 0x7f) {
        return InvalidField(Path("external_id"),
                            "'" + Path("external_id") + "' must not hold control characters");
      }
    }
    return s;
  }

  StatusOr<Json> Object(std::string_view key) const {
    const Json* v = obj_.Find(key);
    if (v == nullptr || v->is_null()) return Json::MakeObject();
    if (!v->is_object()) return InvalidField(Path(key), "'" + Path(key) + "' must be an object");
    return *v;
  }

  // A list that is empty when left out (a view into the body, not a copy).
  StatusOr<const Json::Array*> List(std::string_view key) const {
    static const Json::Array kNone;
    const Json* v = obj_.Find(key);
    if (v == nullptr || v->is_null()) return &kNone;
    if (!v->is_array()) return InvalidField(Path(key), "'" + Path(key) + "' must be a list");
    return &v->items();
  }

  StatusOr<std::vector<std::string>> IdList(std::string_view key) const {
    CC_ASSIGN_OR_RETURN(const Json::Array* list, List(key));
    const Json::Array& items = *list;
    std::vector<std::string> out;
    out.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path = Path(key) + "[" + std::to_string(i) + "]";
      if (!items[i].is_string() || !IsValidId(items[i].as_string())) {
        return InvalidField(path, "'" + path + "' must be an id string");
      }
      out.push_back(items[i].as_string());
    }
    return out;
  }

  // An id list that names each id once (400 naming the repeated entry).
  StatusOr<std::vector<std::string>> UniqueIdList(std::string_view key) const {
    CC_ASSIGN_OR_RETURN(std::vector<std::string> out, IdList(key));
    std::unordered_set<std::string> seen;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!seen.insert(out[i]).second) {
        std::string path = Path(key) + "[" + std::to_string(i) + "]";
        return InvalidField(path, "'" + out[i] + "' is listed twice in '" + Path(key) + "'");
      }
    }
    return out;
  }

  // Each element of list `key` must be an object; returns field readers for them.
  StatusOr<std::vector<Fields>> ObjectList(std::string_view key) const {
    const Json* v = obj_.Find(key);
    std::vector<Fields> out;
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array()) return InvalidField(Path(key), "'" + Path(key) + "' must be a list");
    for (size_t i = 0; i < v->items().size(); ++i) {
      std::string path = Path(key) + "[" + std::to_string(i) + "]";
      if (!v->items()[i].is_object()) {
        return InvalidField(path, "'" + path + "' must be an object");
      }
      out.emplace_back(v->items()[i], path + ".");
    }
    return out;
  }

  // Refuses a member not in `allowed` (400 naming its path): a nested
  // object says what it keeps, so nothing sent is silently dropped.
  Status Known(std::initializer_list<std::string_view> allowed, std::string_view what) const {
    for (const auto& [key, value] : obj_.members()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return InvalidField(Path(key), "'" + Path(key) + "' is not part of " + std::string(what) +
                                         "; it takes " + list);
    }
    return Status::Ok();
  }

  const Json& json() const { return obj_; }

 private:
  const Json& obj_;
  std::string prefix_;
};

Status RequireObject(const Json& body) {
  if (!body.is_object()) return InvalidField("", "the body must be a JSON object");
  return Status::Ok();
}

StatusOr<NewResource> DecodeNewResource(const Fields& f, bool id_allowed) {
  NewResource r;
  if (id_allowed) {
    CC_ASSIGN_OR_RETURN(r.id, f.Id("id", false));
  }
  CC_ASSIGN_OR_RETURN(r.kind, f.String("kind", true));
  CC_ASSIGN_OR_RETURN(r.name, f.String("name", true));
  CC_ASSIGN_OR_RETURN(r.attributes, f.Object("attributes"));
  return r;
}

StatusOr<ValueKind> DecodeValueKind(const Fields& f) {
  CC_ASSIGN_OR_RETURN(std::string kind, f.String("kind", true));
  auto k = ValueKindFromName(kind);
  if (!k) return InvalidField(f.Path("kind"), "'" + f.Path("kind") + "' must be introduced or removed");
  return *k;
}

StatusOr<Value> DecodeValue(const Json& v) {
  if (!v.is_object()) return InvalidField("value", "'value' must be an object");
  Fields f(v, "value.");
  CC_RETURN_IF_ERROR(f.Known({"outcomes", "costs", "risks"}, "a value"));
  Value value;
  CC_ASSIGN_OR_RETURN(const Json::Array* outcome_list, f.List("outcomes"));
  const Json::Array& outcomes = *outcome_list;
  value.outcomes.reserve(outcomes.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!outcomes[i].is_string() || outcomes[i].as_string().empty()) {
      return InvalidField("value.outcomes[" + std::to_string(i) + "]",
                          "'value.outcomes[" + std::to_string(i) + "]' must be a non-empty text");
    }
    value.outcomes.push_back(outcomes[i].as_string());
  }
  CC_ASSIGN_OR_RETURN(std::vector<Fields> costs, f.ObjectList("costs"));
  for (const Fields& c : costs) {
    CC_RETURN_IF_ERROR(c.Known({"amount", "currency", "kind"}, "a cost"));
    Cost cost;
    const Json* amount = c.json().Find("amount");
    if (amount == nullptr) {
      return InvalidField(c.Path("amount"), "'" + c.Path("amount") + "' must be a number");
    }
    CC_ASSIGN_OR_RETURN(cost.amount, Decimal::FromRequest(*amount, c.Path("amount")));
    CC_ASSIGN_OR_RETURN(cost.currency, c.String("currency", true));
    CC_ASSIGN_OR_RETURN(cost.kind, DecodeValueKind(c));
    value.costs.push_back(std::move(cost));
  }
  CC_ASSIGN_OR_RETURN(std::vector<Fields> risks, f.ObjectList("risks"));
  for (const Fields& r : risks) {
    CC_RETURN_IF_ERROR(r.Known({"description", "kind"}, "a risk"));
    Risk risk;
    CC_ASSIGN_OR_RETURN(risk.description, r.String("description", true));
    CC_ASSIGN_OR_RETURN(risk.kind, DecodeValueKind(r));
    value.risks.push_back(std::move(risk));
  }
  return value;
}

StatusOr<CommandBody> DecodeOrganization(const Fields& f) {
  CreateOrganization c;
  CC_ASSIGN_OR_RETURN(c.org.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.org.external_id, f.ExternalId());
  CC_ASSIGN_OR_RETURN(c.org.name, f.String("name", true));
  CC_ASSIGN_OR_RETURN(c.org.description, f.String("description", false));
  CC_ASSIGN_OR_RETURN(c.org.attributes, f.Object("attributes"));
  return CommandBody(std::move(c));
}

StatusOr<CommandBody> DecodeConsumerGroup(const Fields& f) {
  CreateConsumerGroup c;
  CC_ASSIGN_OR_RETURN(c.group.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.group.name, f.String("name", true));
  CC_ASSIGN_OR_RETURN(c.group.owner, f.Id("owner", false));
  CC_ASSIGN_OR_RETURN(c.group.members, f.UniqueIdList("members"));
  return CommandBody(std::move(c));
}

StatusOr<CommandBody> DecodeResource(const Fields& f) {
  CreateResource c;
  CC_ASSIGN_OR_RETURN(c.owner, f.Id("owner", true));
  CC_ASSIGN_OR_RETURN(c.resource, DecodeNewResource(f, true));
  CC_ASSIGN_OR_RETURN(c.external_id, f.ExternalId());
  return CommandBody(std::move(c));
}

StatusOr<CommandBody> DecodeService(const Fields& f) {
  CreateService c;
  CC_ASSIGN_OR_RETURN(c.service.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.service.external_id, f.ExternalId());
  CC_ASSIGN_OR_RETURN(c.service.provider, f.Id("provider", true));
  CC_ASSIGN_OR_RETURN(c.service.name, f.String("name", true));
  CC_ASSIGN_OR_RETURN(c.service.description, f.String("description", false));
  CC_ASSIGN_OR_RETURN(c.links.built_on, f.UniqueIdList("built_on"));
  CC_ASSIGN_OR_RETURN(c.links.depends_on, f.UniqueIdList("depends_on"));
  return CommandBody(std::move(c));
}

Status DecodeAudience(const Fields& f, Offering& o) {
  const Json* audience = f.json().Find("audience");
  if (audience == nullptr || audience->is_null()) {
    return InvalidField("audience", "'audience' is required: \"public\" or {\"consumer_groups\": [...]}");
  }
  if (audience->is_string() && audience->as_string() == "public") {
    o.audience_public = true;
    o.audience_groups.clear();
  } else if (audience->is_object()) {
    Fields af(*audience, "audience.");
    if (audience->Find("consumer_groups") == nullptr) {
      return InvalidField("audience.consumer_groups", "'audience.consumer_groups' is required");
    }
    o.audience_public = false;
    CC_ASSIGN_OR_RETURN(o.audience_groups, af.UniqueIdList("consumer_groups"));
  } else {
    return InvalidField("audience", "'audience' must be \"public\" or {\"consumer_groups\": [...]}");
  }
  return Status::Ok();
}

Status DecodeGoods(const Fields& f, Offering& o) {
  CC_ASSIGN_OR_RETURN(std::vector<Fields> goods, f.ObjectList("goods"));
  o.goods.clear();
  for (const Fields& g : goods) {
    Good good;
    CC_ASSIGN_OR_RETURN(good.kind, g.String("kind", true));
    CC_ASSIGN_OR_RETURN(good.name, g.String("name", true));
    o.goods.push_back(std::move(good));
  }
  return Status::Ok();
}

Status DecodeAccess(const Fields& f, Offering& o) {
  CC_ASSIGN_OR_RETURN(std::vector<Fields> access, f.ObjectList("access"));
  o.access.clear();
  for (const Fields& a : access) {
    CC_ASSIGN_OR_RETURN(std::string r, a.Id("resource", true));
    if (std::find(o.access.begin(), o.access.end(), r) != o.access.end()) {
      return InvalidField(a.Path("resource"), "'" + r + "' is listed twice in 'access'");
    }
    o.access.push_back(std::move(r));
  }
  return Status::Ok();
}

Status DecodeActions(const Fields& f, Offering& o) {
  CC_ASSIGN_OR_RETURN(std::vector<Fields> actions, f.ObjectList("actions"));
  o.actions.clear();
  for (const Fields& a : actions) {
    ServiceAction action;
    CC_ASSIGN_OR_RETURN(action.name, a.String("name", true));
    CC_ASSIGN_OR_RETURN(std::string effect, a.String("effect", true));
    auto e = EffectFromName(effect);
    if (!e) {
      return InvalidField(a.Path("effect"),
                          "'" + a.Path("effect") + "' must be create, modify, transfer or none");
    }
    action.effect = *e;
    if (o.FindAction(action.name) != nullptr) {
      return InvalidField(a.Path("name"), "action '" + action.name + "' is listed twice");
    }
    o.actions.push_back(std::move(action));
  }
  return Status::Ok();
}

Status DecodeServiceLevels(const Fields& f, Offering& o) {
  CC_ASSIGN_OR_RETURN(std::vector<Fields> levels, f.ObjectList("service_levels"));
  o.service_levels.clear();
  for (const Fields& l : levels) {
    CC_RETURN_IF_ERROR(l.Known({"metric", "objective", "unit", "target"}, "a service level"));
    ServiceLevel level;
    CC_ASSIGN_OR_RETURN(level.metric, l.String("metric", true));
    const Json* objective = l.json().Find("objective");
    if (objective == nullptr || objective->is_null()) {
      return InvalidField(l.Path("objective"), "'" + l.Path("objective") + "' is required");
    }
    if (!objective->is_number()) {
      return InvalidField(l.Path("objective"),
                          "'" + l.Path("objective") + "' must be a number (what a measurement "
                          "is compared with)");
    }
    for (const auto& earlier : o.service_levels) {
      if (earlier.metric == level.metric) {
        return InvalidField(l.Path("metric"), "metric '" + level.metric + "' is listed twice");
      }
    }
    level.objective = *objective;
    CC_ASSIGN_OR_RETURN(level.unit, l.String("unit", false));
    CC_ASSIGN_OR_RETURN(std::string target, l.String("target", false));
    if (!target.empty() && target != "at_least" && target != "at_most") {
      return InvalidField(l.Path("target"), "'" + l.Path("target") + "' must be at_least or at_most");
    }
    if (!target.empty()) level.target = target;
    o.service_levels.push_back(std::move(level));
  }
  return Status::Ok();
}

Status DecodePrice(const Fields& f, Offering& o) {
  const Json* price = f.json().Find("price");
  o.price.reset();
  if (price != nullptr && !price->is_null()) {
    if (!price->is_object()) return InvalidField("price", "'price' must be an object");
    Fields pf(*price, "price.");
    CC_RETURN_IF_ERROR(pf.Known({"amount", "currency", "period"}, "a price"));
    Price p;
    const Json* amount = price->Find("amount");
    if (amount == nullptr || !amount->is_number()) {
      return InvalidField("price.amount", "'price.amount' must be a number");
    }
    // Kept with the digits it was sent with, once they are within the limits.
    CC_RETURN_IF_ERROR(Decimal::FromRequest(*amount, "price.amount").status());
    p.amount = *amount;
    CC_ASSIGN_OR_RETURN(p.currency, pf.String("currency", true));
    CC_ASSIGN_OR_RETURN(p.period, pf.String("period", false));
    o.price = std::move(p);
  }
  return Status::Ok();
}

// The offering fields a create sets and a PATCH may change, with their readers.
using OfferingField = Status (*)(const Fields&, Offering&);
constexpr std::pair<std::string_view, OfferingField> kOfferingFields[] = {
    {"audience", DecodeAudience},     {"goods", DecodeGoods},
    {"access", DecodeAccess},         {"actions", DecodeActions},
    {"service_levels", DecodeServiceLevels}, {"price", DecodePrice},
};

StatusOr<CommandBody> DecodeOffering(const Fields& f) {
  CreateOffering c;
  Offering& o = c.offering;
  CC_ASSIGN_OR_RETURN(o.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(o.external_id, f.ExternalId());
  CC_ASSIGN_OR_RETURN(o.provider, f.Id("provider", true));
  CC_ASSIGN_OR_RETURN(o.service, f.Id("service", true));
  CC_ASSIGN_OR_RETURN(o.name, f.String("name", true));
  for (const auto& [name, decode] : kOfferingFields) CC_RETURN_IF_ERROR(decode(f, o));
  return CommandBody(std::move(c));
}

StatusOr<CommandBody> DecodeRelationship(const Fields& f) {
  CreateRelationship c;
  Relationship& r = c.relationship;
  CC_ASSIGN_OR_RETURN(r.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(r.offering, f.Id("offering", true));
  CC_ASSIGN_OR_RETURN(r.consumer, f.Id("consumer", true));
  CC_ASSIGN_OR_RETURN(std::string type, f.String("type", true));
  auto t = RelationshipTypeFromName(type);
  if (!t) return InvalidField("type", "'type' must be basic, cooperative or partnership");
  r.type = *t;
  return CommandBody(std::move(c));
}

StatusOr<CommandBody> DecodeProvision(const Fields& f) {
  CreateProvision c;
  CC_ASSIGN_OR_RETURN(c.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.relationship, f.Id("relationship", true));
  CC_ASSIGN_OR_RETURN(c.action, f.String("action", true));
  CC_ASSIGN_OR_RETURN(c.used, f.IdList("used"));
  CC_ASSIGN_OR_RETURN(std::vector<Fields> creates, f.ObjectList("creates"));
  for (const Fields& cr : creates) {
    CC_ASSIGN_OR_RETURN(NewResource r, DecodeNewResource(cr, true));
    c.creates.push_back(std::move(r));
  }
  CC_ASSIGN_OR_RETURN(std::vector<Fields> modifies, f.ObjectList("modifies"));
  for (const Fields& m : modifies) {
    ModifySpec spec;
    CC_ASSIGN_OR_RETURN(spec.resource, m.Id("resource", true));
    const Json* attrs = m.json().Find("attributes");
    if (attrs == nullptr || !attrs->is_object()) {
      return InvalidField(m.Path("attributes"),
                          "'" + m.Path("attributes") + "' must be a JSON merge patch object");
    }
    spec.patch = *attrs;
    for (const auto& earlier : c.modifies) {
      if (earlier.resource == spec.resource) {
        return InvalidField(m.Path("resource"),
                            "resource '" + spec.resource + "' is listed twice in 'modifies'");
      }
    }
    c.modifies.push_back(std::move(spec));
  }
  CC_ASSIGN_OR_RETURN(c.transfers, f.UniqueIdList("transfers"));
  CC_ASSIGN_OR_RETURN(c.request, f.Id("request", false));
  const Json* value = f.json().Find("value");
  if (value != nullptr && !value->is_null()) {
    CC_ASSIGN_OR_RETURN(Value v, DecodeValue(*value));
    c.value = std::move(v);
  }
  return CommandBody(std::move(c));
}

}  // namespace

std::string_view LifecycleVerbName(LifecycleVerb v) { return kVerbs[static_cast<size_t>(v)]; }
std::optional<LifecycleVerb> LifecycleVerbFromName(std::string_view s) {
  for (size_t i = 0; i < kVerbs.size(); ++i) {
    if (kVerbs[i] == s) return static_cast<LifecycleVerb>(i);
  }
  return std::nullopt;
}

const std::string& Command::ClientId() const {
  static const std::string kEmpty;
  return std::visit(
      [](const auto& c) -> const std::string& {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateOrganization>) return c.org.id;
        else if constexpr (std::is_same_v<T, CreateConsumerGroup>) return c.group.id;
        else if constexpr (std::is_same_v<T, CreateResource>) return c.resource.id;
        else if constexpr (std::is_same_v<T, CreateService>) return c.service.id;
        else if constexpr (std::is_same_v<T, CreateOffering>) return c.offering.id;
        else if constexpr (std::is_same_v<T, CreateRelationship>) return c.relationship.id;
        else if constexpr (std::is_same_v<T, CreateProvision>) return c.id;
        else if constexpr (std::is_same_v<T, RegisterWebhook>) return c.id;
        else return kEmpty;
      },
      body);
}

StatusOr<Command> DecodeCreate(Noun noun, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  Fields f(body, "");
  StatusOr<CommandBody> decoded = Status(Code::kInternal, "internal", "unknown noun");
  switch (noun) {
    case Noun::kOrganization: decoded = DecodeOrganization(f); break;
    case Noun::kConsumerGroup: decoded = DecodeConsumerGroup(f); break;
    case Noun::kResource: decoded = DecodeResource(f); break;
    case Noun::kService: decoded = DecodeService(f); break;
    case Noun::kOffering: decoded = DecodeOffering(f); break;
    case Noun::kRelationship: decoded = DecodeRelationship(f); break;
    case Noun::kProvision: decoded = DecodeProvision(f); break;
  }
  if (!decoded.ok()) return decoded.status();
  Command command{std::move(decoded).value(), Json()};
  // The request is kept (copied) only for what reads it: a retry of a
  // create that named its id (rules/decide.cc, CheckClientId and RetryData).
  if (!command.ClientId().empty()) command.request = body;
  return command;
}

namespace {

namespace od = simdjson::ondemand;

// The readers of DecodeProvisionText: each takes only what the general
// path takes (Fields), and says false for anything else.
bool ReadText(od::value v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}
bool ReadNonEmpty(od::value v, std::string& out) { return ReadText(v, out) && !out.empty(); }
bool ReadId(od::value v, std::string& out) { return ReadText(v, out) && IsValidId(out); }
bool ReadIds(od::value v, std::vector<std::string>& out) {
  od::array a;
  if (v.get_array().get(a)) return false;
  for (auto element : a) {
    od::value item;
    if (element.get(item)) return false;
    out.emplace_back();
    if (!ReadId(item, out.back())) return false;
  }
  return true;
}
bool ReadKind(od::value v, ValueKind& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  std::optional<ValueKind> k = ValueKindFromName(s);
  if (!k) return false;
  out = *k;
  return true;
}
// Calls `member(key, value)` for each member of object `v`, refusing a
// name seen twice (the general path's parse refuses it) or any of more
// than 8 names.
template <typename F>
bool ReadMembers(od::value v, F member) {
  od::object o;
  if (v.get_object().get(o)) return false;
  std::string_view seen[8];
  size_t n = 0;
  for (auto field : o) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) return false;
    if (n == 8 || std::find(seen, seen + n, key) != seen + n) return false;
    // The unescaped key lives in the parser's buffer until the next parse.
    seen[n++] = key;
    if (!member(key, value)) return false;
  }
  return true;
}
template <typename F>
bool ReadObjects(od::value v, F object) {
  od::array a;
  if (v.get_array().get(a)) return false;
  for (auto element : a) {
    od::value item;
    if (element.get(item) || !object(item)) return false;
  }
  return true;
}

bool ReadValue(od::value v, Value& value) {
  return ReadMembers(v, [&](std::string_view key, od::value m) {
    if (key == "outcomes") {
      od::array a;
      if (m.get_array().get(a)) return false;
      for (auto element : a) {
        od::value item;
        if (element.get(item)) return false;
        value.outcomes.emplace_back();
        if (!ReadNonEmpty(item, value.outcomes.back())) return false;
      }
      return true;
    }
    if (key == "costs") {
      return ReadObjects(m, [&](od::value c) {
        Cost cost;
        bool amount = false, currency = false, kind = false;
        bool ok = ReadMembers(c, [&](std::string_view k, od::value x) {
          if (k == "amount") {
            // As the general parse reads a number (model/json.cc).
            od::json_type type;
            if (x.type().get(type) || type != od::json_type::number) return false;
            StatusOr<Json> number = Json::FromNumberToken(x.raw_json_token());
            if (!number.ok()) return false;
            StatusOr<Decimal> d = Decimal::FromRequest(*number, "amount");
            if (!d.ok()) return false;
            cost.amount = *d;
            return amount = true;
          }
          if (k == "currency") return currency = ReadNonEmpty(x, cost.currency);
          if (k == "kind") return kind = ReadKind(x, cost.kind);
          return false;
        });
        if (!ok || !amount || !currency || !kind) return false;
        value.costs.push_back(std::move(cost));
        return true;
      });
    }
    if (key == "risks") {
      return ReadObjects(m, [&](od::value r) {
        Risk risk;
        bool description = false, kind = false;
        bool ok = ReadMembers(r, [&](std::string_view k, od::value x) {
          if (k == "description") return description = ReadNonEmpty(x, risk.description);
          if (k == "kind") return kind = ReadKind(x, risk.kind);
          return false;
        });
        if (!ok || !description || !kind) return false;
        value.risks.push_back(std::move(risk));
        return true;
      });
    }
    return false;
  });
}

}  // namespace

std::optional<Command> DecodeProvisionText(std::string_view text) {
  // Small bodies only: within this, no limit of the general parse (depth,
  // number of values) can be reached.
  if (text.size() > 4096) return std::nullopt;
  thread_local od::parser parser;
  thread_local std::string padded;
  padded.assign(text);
  padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (parser.iterate(simdjson::padded_string_view(padded.data(), padded.size(),
                                                  padded.capacity()))
          .get(doc)) {
    return std::nullopt;
  }
  od::value root;
  if (doc.get_value().get(root)) return std::nullopt;
  CreateProvision c;
  bool relationship = false, action = false;
  bool ok = ReadMembers(root, [&](std::string_view key, od::value v) {
    if (key == "relationship") return relationship = ReadId(v, c.relationship);
    if (key == "action") return action = ReadNonEmpty(v, c.action);
    if (key == "used") return ReadIds(v, c.used);
    if (key == "transfers") {
      if (!ReadIds(v, c.transfers)) return false;
      std::vector<std::string> sorted = c.transfers;
      std::sort(sorted.begin(), sorted.end());
      return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    }
    if (key == "request") return ReadId(v, c.request) && !c.request.empty();
    if (key == "value") {
      c.value.emplace();
      return ReadValue(v, *c.value);
    }
    return false;  // id, creates, modifies, and what the general path ignores
  });
  // At the end of the document there is no current location (as the
  // general parse checks): anything else is trailing content.
  if (!ok || !relationship || !action || !doc.current_location().error()) return std::nullopt;
  return Command{CommandBody(std::move(c)), Json()};
}

StatusOr<Command> DecodeIssueToken(const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  Fields f(body, "");
  IssueToken t;
  CC_ASSIGN_OR_RETURN(t.organization, f.Id("organization", true));
  CC_ASSIGN_OR_RETURN(t.person, f.Id("person", false));
  CC_ASSIGN_OR_RETURN(std::string role, f.String("role", false));
  if (role.empty() || role == "member") {
    t.role = Role::kMember;
  } else if (role == "viewer") {
    t.role = Role::kViewer;
  } else {
    return InvalidField("role", "'role' must be member or viewer");
  }
  if (const Json* e = body.Find("expires_in"); e != nullptr && !e->is_null()) {
    if (!e->is_int() || e->as_int() < kMinTokenLifetime || e->as_int() > kMaxTokenLifetime) {
      return InvalidField("expires_in", "'expires_in' must be a whole number of seconds from " +
                                            std::to_string(kMinTokenLifetime) + " to " +
                                            std::to_string(kMaxTokenLifetime));
    }
    t.expires_in = e->as_int();
  }
  return Command{std::move(t), body};
}

Command DecodeRevokeToken(const std::string& id) {
  return Command{RevokeToken{id}, Json::MakeObject()};
}

StatusOr<Command> DecodeLifecycle(const std::string& relationship, LifecycleVerb verb,
                                  const Json* body) {
  if (body != nullptr && (!body->is_object() || !body->members().empty())) {
    return InvalidField("", "a lifecycle request takes an empty body or {}");
  }
  return Command{ChangeRelationship{relationship, verb}, Json::MakeObject()};
}

}  // namespace cocreate

namespace cocreate {

namespace {

// Refuses every member of `body` not in `allowed`, naming it.
Status OnlyFields(const Json& body, std::initializer_list<std::string_view> allowed,
                  std::string_view what, bool change = true) {
  for (const auto& [key, value] : body.members()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return InvalidField(key, "'" + key + (change ? "' cannot be changed by " : "' is not part of ") +
                                 std::string(what) + "; it takes " + list);
  }
  return Status::Ok();
}

bool Has(const Json& body, std::string_view key) {
  const Json* v = body.Find(key);
  return v != nullptr;
}

// A name that a PATCH sets: a non-empty string (null is refused: a name is required).
StatusOr<std::optional<std::string>> NewName(const Fields& f, std::string_view key,
                                             bool required_non_empty) {
  if (!Has(f.json(), key)) return std::optional<std::string>();
  const Json* v = f.json().Find(key);
  if (v->is_null() && !required_non_empty) return std::optional<std::string>(std::string());
  CC_ASSIGN_OR_RETURN(std::string s, f.String(key, required_non_empty));
  return std::optional<std::string>(std::move(s));
}

// `attributes` as an RFC 7396 merge patch (an object), or nullopt when left out.
StatusOr<std::optional<Json>> AttributesPatch(const Json& body) {
  const Json* a = body.Find("attributes");
  if (a == nullptr) return std::optional<Json>();
  if (!a->is_object()) {
    return InvalidField("attributes", "'attributes' must be a JSON merge patch object");
  }
  return std::optional<Json>(*a);
}

// A list a PATCH replaces may be [] but not null (a list, not a deletion).
Status NoNullLists(const Json& body, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const Json* v = body.Find(key);
    if (v != nullptr && v->is_null()) {
      return InvalidField(std::string(key), "'" + std::string(key) +
                                                "' must be a list; send [] to empty it");
    }
  }
  return Status::Ok();
}

StatusOr<Command> PatchOrganizationFrom(const std::string& id, const Fields& f) {
  const Json& body = f.json();
  CC_RETURN_IF_ERROR(OnlyFields(body, {"name", "description", "attributes", "external_id"},
                                "PATCH /organizations/{id}"));
  PatchOrganization c;
  c.id = id;
  if (Has(body, "external_id")) {
    CC_ASSIGN_OR_RETURN(c.external_id, f.ExternalId());
  }
  CC_ASSIGN_OR_RETURN(c.name, NewName(f, "name", true));
  CC_ASSIGN_OR_RETURN(c.description, NewName(f, "description", false));
  CC_ASSIGN_OR_RETURN(c.attributes, AttributesPatch(body));
  return Command{std::move(c), body};
}

StatusOr<Command> PatchGroupFrom(const std::string& id, const Fields& f) {
  const Json& body = f.json();
  CC_RETURN_IF_ERROR(OnlyFields(body, {"name", "add", "remove"}, "PATCH /consumer-groups/{id}"));
  CC_RETURN_IF_ERROR(NoNullLists(body, {"add", "remove"}));
  PatchConsumerGroup c;
  c.id = id;
  CC_ASSIGN_OR_RETURN(c.name, NewName(f, "name", true));
  CC_ASSIGN_OR_RETURN(c.add, f.UniqueIdList("add"));
  CC_ASSIGN_OR_RETURN(c.remove, f.UniqueIdList("remove"));
  for (size_t i = 0; i < c.remove.size(); ++i) {
    if (std::find(c.add.begin(), c.add.end(), c.remove[i]) != c.add.end()) {
      std::string field = "remove[" + std::to_string(i) + "]";
      return InvalidField(field, "'" + c.remove[i] + "' is both added and removed");
    }
  }
  return Command{std::move(c), body};
}

StatusOr<Command> PatchServiceFrom(const std::string& id, const Fields& f) {
  const Json& body = f.json();
  CC_RETURN_IF_ERROR(OnlyFields(body,
                                {"name", "description", "built_on", "depends_on", "external_id"},
                                "PATCH /services/{id}"));
  CC_RETURN_IF_ERROR(NoNullLists(body, {"built_on", "depends_on"}));
  PatchService c;
  c.id = id;
  for (const auto& [key, value] : body.members()) c.present.push_back(key);
  if (Has(body, "name")) {
    CC_ASSIGN_OR_RETURN(c.fields.name, f.String("name", true));
  }
  if (Has(body, "description")) {
    CC_ASSIGN_OR_RETURN(c.fields.description, f.String("description", false));
  }
  CC_ASSIGN_OR_RETURN(c.fields.external_id, f.ExternalId());
  CC_ASSIGN_OR_RETURN(c.links.built_on, f.UniqueIdList("built_on"));
  CC_ASSIGN_OR_RETURN(c.links.depends_on, f.UniqueIdList("depends_on"));
  return Command{std::move(c), body};
}

StatusOr<Command> PatchOfferingFrom(const std::string& id, const Fields& f) {
  const Json& body = f.json();
  CC_RETURN_IF_ERROR(OnlyFields(body,
                                {"name", "audience", "goods", "access", "actions",
                                 "service_levels", "price", "external_id"},
                                "PATCH /offerings/{id}"));
  CC_RETURN_IF_ERROR(NoNullLists(body, {"goods", "access", "actions", "service_levels"}));
  if (const Json* a = body.Find("audience"); a != nullptr && a->is_null()) {
    return InvalidField("audience", "'audience' must be \"public\" or {\"consumer_groups\": [...]}");
  }
  PatchOffering c;
  c.id = id;
  for (const auto& [key, value] : body.members()) c.present.push_back(key);
  if (Has(body, "name")) {
    CC_ASSIGN_OR_RETURN(c.fields.name, f.String("name", true));
  }
  CC_ASSIGN_OR_RETURN(c.fields.external_id, f.ExternalId());
  for (const auto& [name, decode] : kOfferingFields) {
    if (Has(body, name)) {
      CC_RETURN_IF_ERROR(decode(f, c.fields));
    }
  }
  return Command{std::move(c), body};
}

}  // namespace

StatusOr<Command> DecodePatch(Noun noun, const std::string& id, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  Fields f(body, "");
  switch (noun) {
    case Noun::kOrganization: return PatchOrganizationFrom(id, f);
    case Noun::kConsumerGroup: return PatchGroupFrom(id, f);
    case Noun::kService: return PatchServiceFrom(id, f);
    case Noun::kOffering: return PatchOfferingFrom(id, f);
    default: return Internal("no PATCH for this noun");
  }
}

StatusOr<Command> DecodeRevision(const std::string& id, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(OnlyFields(body, {"name", "attributes", "external_id"}, "a revision"));
  Fields f(body, "");
  ReviseResource c;
  c.id = id;
  CC_ASSIGN_OR_RETURN(c.name, NewName(f, "name", true));
  if (Has(body, "external_id")) {
    CC_ASSIGN_OR_RETURN(c.external_id, f.ExternalId());
  }
  CC_ASSIGN_OR_RETURN(std::optional<Json> patch, AttributesPatch(body));
  if (patch) {
    c.patch = std::move(*patch);
  } else if (!c.name && !c.external_id) {
    return InvalidField("attributes",
                        "a revision changes 'name', 'attributes' or 'external_id'; send one");
  }
  return Command{std::move(c), body};
}

StatusOr<Command> DecodeRetire(Noun noun, const std::string& id, const Json* body) {
  if (body != nullptr && (!body->is_object() || !body->members().empty())) {
    return InvalidField("", "this request takes an empty body or {}");
  }
  if (noun == Noun::kOrganization) return Command{CloseOrganization{id}, Json::MakeObject()};
  return Command{Retire{noun, id}, Json::MakeObject()};
}

}  // namespace cocreate

namespace cocreate {

std::string_view ProposalVerbName(ProposalVerb v) {
  switch (v) {
    case ProposalVerb::kAccept: return "accept";
    case ProposalVerb::kDecline: return "decline";
    case ProposalVerb::kWithdraw: return "withdraw";
  }
  return "accept";
}

StatusOr<Command> DecodeProposal(const std::string& relationship, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(OnlyFields(body, {"id", "type", "service_levels", "price", "end", "renewal",
                                       "note", "by"},
                                "a proposal"));
  Fields f(body, "");
  ProposeAgreement c;
  c.relationship = relationship;
  CC_ASSIGN_OR_RETURN(c.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.by, f.Id("by", false));
  CC_ASSIGN_OR_RETURN(c.note, f.String("note", false));
  // Normalized through the offering's readers, so the changes read back in
  // the agreement's shape whatever the body's spelling.
  Offering o;
  if (Has(body, "type")) {
    CC_ASSIGN_OR_RETURN(std::string type, f.String("type", true));
    if (!RelationshipTypeFromName(type)) {
      return InvalidField("type", "'type' must be basic, cooperative or partnership");
    }
    c.changes.Set("type", Json(type));
  }
  if (Has(body, "service_levels")) {
    CC_RETURN_IF_ERROR(DecodeServiceLevels(f, o));
    Json levels = Json::MakeArray();
    for (const auto& l : o.service_levels) {
      levels.Push(Json::MakeObject({{"metric", Json(l.metric)}, {"objective", l.objective},
                                    {"unit", Json(l.unit)}, {"target", Json(l.target)}}));
    }
    c.changes.Set("service_levels", std::move(levels));
  }
  if (Has(body, "price")) {
    CC_RETURN_IF_ERROR(DecodePrice(f, o));
    c.changes.Set("price", o.price ? Json::MakeObject({{"amount", o.price->amount},
                                                       {"currency", Json(o.price->currency)},
                                                       {"period", Json(o.price->period)}})
                                   : Json());
  }
  if (Has(body, "end")) {
    const Json* end = body.Find("end");
    if (end->is_null()) {
      c.changes.Set("end", Json());
    } else {
      if (!end->is_string() || !UnixMillis(end->as_string())) {
        return InvalidField("end", "'end' must be an RFC 3339 time or null");
      }
      c.changes.Set("end", Json(FormatUnixMillis(*UnixMillis(end->as_string()))));
    }
  }
  if (Has(body, "renewal")) {
    CC_ASSIGN_OR_RETURN(std::string renewal, f.String("renewal", true));
    if (renewal != "none" && renewal != "auto") {
      return InvalidField("renewal", "'renewal' must be none or auto");
    }
    c.changes.Set("renewal", Json(renewal));
  }
  if (c.changes.members().empty()) {
    return InvalidField("", "a proposal changes at least one of type, service_levels, price, "
                            "end, renewal");
  }
  return Command{std::move(c), body};
}

StatusOr<Command> DecodeAnswer(const std::string& proposal, ProposalVerb verb, const Json* body) {
  AnswerProposal c{proposal, verb, ""};
  if (body != nullptr) {
    CC_RETURN_IF_ERROR(RequireObject(*body));
    CC_RETURN_IF_ERROR(OnlyFields(*body, {"reason"}, "an answer to a proposal"));
    Fields f(*body, "");
    CC_ASSIGN_OR_RETURN(c.reason, f.String("reason", false));
  }
  return Command{std::move(c), Json::MakeObject()};
}

}  // namespace cocreate

namespace cocreate {

namespace {

// A period {start, end}: two RFC 3339 times, the end not before the start.
// Required when `required`; nullopt-like empty Period when left out or null.
StatusOr<Period> DecodePeriodField(const Json& body, bool required) {
  const Json* v = body.Find("period");
  if (v == nullptr || v->is_null()) {
    if (required) return InvalidField("period", "'period' is required: {\"start\", \"end\"}");
    return Period{};
  }
  if (!v->is_object()) return InvalidField("period", "'period' must be an object {start, end}");
  Fields f(*v, "period.");
  CC_RETURN_IF_ERROR(f.Known({"start", "end"}, "a period"));
  Period p;
  CC_ASSIGN_OR_RETURN(p.start, f.String("start", true));
  CC_ASSIGN_OR_RETURN(p.end, f.String("end", true));
  auto start = UnixMillis(p.start);
  auto end = UnixMillis(p.end);
  if (!start) return InvalidField("period.start", "'period.start' must be an RFC 3339 time");
  if (!end) return InvalidField("period.end", "'period.end' must be an RFC 3339 time");
  if (*end < *start) {
    return InvalidField("period.end", "'period.end' must not come before 'period.start'");
  }
  return p;
}

// An empty body, {} or {reason?}.
StatusOr<std::string> ReasonOf(const Json* body, std::string_view what) {
  if (body == nullptr) return std::string();
  CC_RETURN_IF_ERROR(RequireObject(*body));
  CC_RETURN_IF_ERROR(OnlyFields(*body, {"reason"}, what));
  return Fields(*body, "").String("reason", false);
}

}  // namespace

std::string_view RequestVerbName(RequestVerb v) {
  return v == RequestVerb::kDecline ? "decline" : "cancel";
}

StatusOr<Command> DecodeRecordMeasurement(const std::string& relationship, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(
      OnlyFields(body, {"id", "metric", "value", "period", "note", "by"}, "a measurement", false));
  Fields f(body, "");
  RecordMeasurement c;
  c.relationship = relationship;
  CC_ASSIGN_OR_RETURN(c.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.by, f.Id("by", false));
  CC_ASSIGN_OR_RETURN(c.metric, f.String("metric", true));
  const Json* value = body.Find("value");
  if (value == nullptr || value->is_null()) return InvalidField("value", "'value' is required");
  if (!value->is_number()) return InvalidField("value", "'value' must be a number");
  c.value = *value;
  CC_ASSIGN_OR_RETURN(c.period, DecodePeriodField(body, true));
  CC_ASSIGN_OR_RETURN(c.note, f.String("note", false));
  return Command{std::move(c), body};
}

StatusOr<Command> DecodeOpenRequest(const std::string& relationship, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(OnlyFields(body, {"id", "action", "note", "details"}, "a request", false));
  Fields f(body, "");
  OpenRequest c;
  c.relationship = relationship;
  CC_ASSIGN_OR_RETURN(c.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.action, f.String("action", true));
  CC_ASSIGN_OR_RETURN(c.note, f.String("note", false));
  CC_ASSIGN_OR_RETURN(c.details, f.Object("details"));
  return Command{std::move(c), body};
}

StatusOr<Command> DecodeCloseRequest(const std::string& request, RequestVerb verb,
                                     const Json* body) {
  CloseRequest c{request, verb, ""};
  CC_ASSIGN_OR_RETURN(c.reason, ReasonOf(body, "an answer to a request"));
  return Command{std::move(c), Json::MakeObject()};
}

StatusOr<Command> DecodeValueStatement(const std::string& relationship, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(OnlyFields(body, {"id", "outcomes", "costs", "risks", "period", "note"},
                                "a value statement", false));
  Fields f(body, "");
  StateValue c;
  c.relationship = relationship;
  CC_ASSIGN_OR_RETURN(c.id, f.Id("id", false));
  Json value = Json::MakeObject();
  for (std::string_view key : {"outcomes", "costs", "risks"}) {
    if (const Json* v = body.Find(key)) value.Set(std::string(key), *v);
  }
  auto decoded = DecodeValue(value);
  if (!decoded.ok()) {
    // DecodeValue names fields under "value."; here they sit at the top.
    const Status& st = decoded.status();
    std::string field = st.field();
    if (field.rfind("value.", 0) == 0) field.erase(0, 6);
    std::string message = st.message();
    if (auto at = message.find("'value."); at != std::string::npos) message.erase(at + 1, 6);
    return Status(st.code(), st.reason(), message, field);
  }
  c.value = std::move(decoded).value();
  if (c.value.empty()) {
    return InvalidField("", "a value statement names at least one outcome, cost or risk");
  }
  CC_ASSIGN_OR_RETURN(c.period, DecodePeriodField(body, false));
  CC_ASSIGN_OR_RETURN(c.note, f.String("note", false));
  return Command{std::move(c), body};
}

StatusOr<Command> DecodeCreatePerson(const std::string& organization, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(OnlyFields(body, {"id", "name", "email"}, "a person", false));
  Fields f(body, "");
  CreatePerson c;
  c.organization = organization;
  CC_ASSIGN_OR_RETURN(c.person.id, f.Id("id", false));
  CC_ASSIGN_OR_RETURN(c.person.name, f.String("name", true));
  CC_ASSIGN_OR_RETURN(c.person.email, f.String("email", false));
  if (!c.person.email.empty()) {
    const std::string& e = c.person.email;
    auto at = e.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == e.size() ||
        e.find('@', at + 1) != std::string::npos ||
        e.find_first_of(" \t\r\n<>") != std::string::npos) {
      return InvalidField("email", "'email' must be an address like name@example.org");
    }
  }
  return Command{std::move(c), body};
}

StatusOr<Command> DecodeRoleAssignment(const std::string& relationship, const Json& body) {
  CC_RETURN_IF_ERROR(RequireObject(body));
  CC_RETURN_IF_ERROR(OnlyFields(body, {"person", "role"}, "a role assignment", false));
  Fields f(body, "");
  AssignRole c;
  c.relationship = relationship;
  CC_ASSIGN_OR_RETURN(c.person, f.Id("person", true));
  CC_ASSIGN_OR_RETURN(c.role, f.String("role", true));
  if (!IsConsumerRole(c.role)) {
    return InvalidField("role", "'role' must be customer, user, sponsor (the consumer's) or "
                                "relationship_manager (the provider's)");
  }
  return Command{std::move(c), body};
}

Command DecodeRoleUnassignment(const std::string& relationship, const std::string& person,
                               const std::string& role) {
  return Command{AssignRole{relationship, person, role, false}, Json::MakeObject()};
}

}  // namespace cocreate
