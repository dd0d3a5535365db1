#include "model/codec.h"

#include <concepts>

#include "model/env.h"

namespace cocreate {

namespace {

template <typename W>
void Str(W& w, std::string_view key, std::string_view value) {
  WriteKey(w, key);
  WriteString(w, value);
}

template <typename W>
void OptStr(W& w, std::string_view key, const std::string& value) {
  WriteKey(w, key);
  if (value.empty()) {
    w.Null();
  } else {
    WriteString(w, value);
  }
}

// Only for a Timestamp itself (a template, so that strings do not convert).
template <typename W, std::same_as<Timestamp> T>
void Str(W& w, std::string_view key, const T& value) {
  Str(w, key, std::string_view(value.str()));
}

template <typename W, std::same_as<Timestamp> T>
void OptStr(W& w, std::string_view key, const T& value) {
  OptStr(w, key, value.str());
}

template <typename W>
void List(W& w, std::string_view key, const std::vector<std::string>& items) {
  WriteKey(w, key);
  EncodeStrings(items, w);
}

// The ids an object left out, per field, in the order first met.
class Redactions {
 public:
  explicit Redactions(const IdFilter* filter) : filter_(filter) {}
  bool Shows(const std::string& id) const { return filter_ == nullptr || filter_->Shows(id); }
  // True when `id` may be written; otherwise counts it against `field`.
  bool Keep(std::string_view field, const std::string& id) {
    if (Shows(id)) return true;
    for (auto& [f, n] : counts_) {
      if (f == field) {
        ++n;
        return false;
      }
    }
    counts_.emplace_back(field, 1);
    return false;
  }
  // "redacted": {FIELD: n}, only when something was left out.
  template <typename W>
  void Write(W& w) const {
    if (counts_.empty()) return;
    WriteKey(w, "redacted");
    w.StartObject();
    for (const auto& [f, n] : counts_) {
      WriteKey(w, f);
      w.Int64(n);
    }
    w.EndObject();
  }

 private:
  const IdFilter* filter_;
  std::vector<std::pair<std::string_view, int64_t>> counts_;
};

// "key": id, or null when the id is empty or hidden.
template <typename W>
void Ref(W& w, std::string_view key, const std::string& id, const Redactions& r) {
  OptStr(w, key, r.Shows(id) ? id : std::string());
}

template <typename W, typename List>  // List: std::vector<std::string> or IdList
void FilteredList(W& w, std::string_view key, const List& items, Redactions& r) {
  WriteKey(w, key);
  w.StartArray();
  for (const std::string& s : items) {
    if (r.Keep(key, s)) WriteString(w, s);
  }
  w.EndArray();
}

Status Broken(std::string_view noun, std::string_view field) {
  return Internal("stored " + std::string(noun) + " has a broken '" + std::string(field) + "'");
}


}  // namespace

std::string StrOr(const Json& j, std::string_view key, std::string fallback) {
  const Json* v = j.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : fallback;
}

std::vector<std::string> StrList(const Json& j, std::string_view key) {
  std::vector<std::string> out;
  const Json* v = j.Find(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const Json& item : v->items()) {
    if (item.is_string()) out.push_back(item.as_string());
  }
  return out;
}

// The string items of the array `key`, interned (decoding committed events
// only: see model/id.h).
static IdList IdsOf(const Json& j, std::string_view key) {
  IdList out;
  const Json* v = j.Find(key);
  if (v == nullptr || !v->is_array()) return out;
  out.reserve(v->items().size());
  for (const Json& item : v->items()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

template <typename W>
static void WriteValueMembers(const Value& v, W& w);

template <typename W>
static void WriteServiceLevels(W& w, const std::vector<ServiceLevel>& levels) {
  WriteKey(w, "service_levels");
  w.StartArray();
  for (const auto& l : levels) {
    w.StartObject();
    Str(w, "metric", l.metric);
    WriteKey(w, "objective");
    l.objective.Write(w);
    Str(w, "unit", l.unit);
    Str(w, "target", l.target);
    w.EndObject();
  }
  w.EndArray();
}

template <typename W>
static void WritePrice(W& w, const std::optional<Price>& price) {
  WriteKey(w, "price");
  if (price) {
    w.StartObject();
    WriteKey(w, "amount");
    price->amount.Write(w);
    Str(w, "currency", price->currency);
    Str(w, "period", price->period);
    w.EndObject();
  } else {
    w.Null();
  }
}

static std::vector<ServiceLevel> ReadServiceLevels(const Json& j) {
  std::vector<ServiceLevel> out;
  if (const Json* levels = j.Find("service_levels"); levels && levels->is_array()) {
    for (const Json& l : levels->items()) {
      const Json* objective = l.Find("objective");
      out.push_back({StrOr(l, "metric"), objective ? *objective : Json(), StrOr(l, "unit"),
                     StrOr(l, "target", "at_least")});
    }
  }
  return out;
}

static std::optional<Price> ReadPrice(const Json& j) {
  const Json* price = j.Find("price");
  if (price == nullptr || !price->is_object()) return std::nullopt;
  const Json* amount = price->Find("amount");
  return Price{amount ? *amount : Json(0), StrOr(*price, "currency"), StrOr(*price, "period")};
}

template <typename W>
void Encode(const Agreement& a, W& w) {
  w.StartObject();
  WriteKey(w, "version");
  w.Int64(a.version);
  Str(w, "type", RelationshipTypeName(a.type));
  WriteServiceLevels(w, a.service_levels);
  WritePrice(w, a.price);
  Str(w, "start", a.start);
  OptStr(w, "end", a.end);
  Str(w, "renewal", a.renewal);
  OptStr(w, "proposal", a.proposal);
  Str(w, "at", a.at);
  w.EndObject();
}

StatusOr<Agreement> DecodeAgreement(const Json& j) {
  Agreement a;
  const Json* v = j.Find("version");
  auto type = RelationshipTypeFromName(StrOr(j, "type"));
  if (v == nullptr || !v->is_int() || !type) return Broken("agreement", "version/type");
  a.version = v->as_int();
  a.type = *type;
  a.service_levels = ReadServiceLevels(j);
  a.price = ReadPrice(j);
  a.start = StrOr(j, "start");
  a.end = StrOr(j, "end");
  a.renewal = StrOr(j, "renewal", "none");
  a.proposal = StrOr(j, "proposal");
  a.at = StrOr(j, "at");
  return a;
}

template <typename W>
void Encode(const Proposal& p, W& w) {
  w.StartObject();
  Str(w, "id", p.id);
  Str(w, "relationship", p.relationship);
  Str(w, "by", p.by);
  Str(w, "status", ProposalStatusName(p.status));
  WriteKey(w, "changes");
  p.changes.Write(w);
  OptStr(w, "note", p.note);
  Str(w, "created_at", p.created_at);
  OptStr(w, "closed_at", p.closed_at);
  if (!p.reason.empty()) Str(w, "reason", p.reason);
  w.EndObject();
}

StatusOr<Proposal> DecodeProposal(const Json& j) {
  Proposal p;
  p.id = StrOr(j, "id");
  p.relationship = StrOr(j, "relationship");
  p.by = StrOr(j, "by");
  if (p.id.empty() || p.relationship.empty() || p.by.empty()) {
    return Broken("proposal", "id/relationship/by");
  }
  if (const Json* c = j.Find("changes"); c && c->is_object()) p.changes = *c;
  p.note = StrOr(j, "note");
  p.created_at = StrOr(j, "created_at");
  return p;
}

template <typename W>
void Encode(const Person& p, W& w, bool with_email) {
  w.StartObject();
  Str(w, "id", p.id);
  OptStr(w, "organization", p.organization);
  Str(w, "name", p.name);
  if (with_email) OptStr(w, "email", p.email);
  Str(w, "created_at", p.created_at);
  OptStr(w, "given_name", p.given_name);
  OptStr(w, "family_name", p.family_name);
  w.EndObject();
}

StatusOr<Person> DecodePerson(const Json& j) {
  Person p{StrOr(j, "id"),         StrOr(j, "organization"), StrOr(j, "name"),
           StrOr(j, "email"),      StrOr(j, "created_at"),   StrOr(j, "given_name"),
           StrOr(j, "family_name")};
  if (p.id.empty()) return Broken("person", "id");
  return p;
}

template <typename W>
void Encode(const PartyRole& r, W& w) {
  w.StartObject();
  Str(w, "id", r.id);
  Str(w, "name", r.name);
  OptStr(w, "engaged_party", r.engaged_party);
  OptStr(w, "owner", r.owner);
  WriteKey(w, "details");
  r.details.Write(w);
  Str(w, "created_at", r.created_at);
  OptStr(w, "updated_at", r.updated_at);
  w.EndObject();
}

template <typename W>
void Encode(const ServiceOrder& o, W& w) {
  w.StartObject();
  Str(w, "id", o.id);
  OptStr(w, "orderer", o.orderer);
  OptStr(w, "description", o.description);
  OptStr(w, "external_id", o.external_id);
  WriteKey(w, "items");
  w.StartArray();
  for (const auto& item : o.items) {
    w.StartObject();
    Str(w, "id", item.id);
    Str(w, "action", item.action);
    Str(w, "relationship", item.relationship);
    OptStr(w, "provision", item.provision);
    w.EndObject();
  }
  w.EndArray();
  Str(w, "created_at", o.created_at);
  w.EndObject();
}

StatusOr<ServiceOrder> DecodeServiceOrder(const Json& j) {
  ServiceOrder o;
  o.id = StrOr(j, "id");
  const Json* items = j.Find("items");
  if (o.id.empty() || items == nullptr || !items->is_array()) {
    return Broken("service order", "id/items");
  }
  o.orderer = StrOr(j, "orderer");
  o.description = StrOr(j, "description");
  o.external_id = StrOr(j, "external_id");
  for (const Json& item : items->items()) {
    o.items.push_back({StrOr(item, "id"), StrOr(item, "action"), StrOr(item, "relationship"),
                       StrOr(item, "provision")});
  }
  o.created_at = StrOr(j, "created_at");
  return o;
}

StatusOr<PartyRole> DecodePartyRole(const Json& j) {
  PartyRole r;
  r.id = StrOr(j, "id");
  if (r.id.empty()) return Broken("party role", "id");
  r.name = StrOr(j, "name");
  r.engaged_party = StrOr(j, "engaged_party");
  r.owner = StrOr(j, "owner");
  const Json* details = j.Find("details");
  if (details == nullptr || !details->is_object()) return Broken("party role", "details");
  r.details = *details;
  r.created_at = StrOr(j, "created_at");
  r.updated_at = StrOr(j, "updated_at");
  return r;
}

template <typename W>
void EncodePeriod(const Period& p, W& w) {
  if (p.empty()) {
    w.Null();
    return;
  }
  w.StartObject();
  Str(w, "start", p.start);
  Str(w, "end", p.end);
  w.EndObject();
}

Period DecodePeriod(const Json* j) {
  if (j == nullptr || !j->is_object()) return Period{};
  return Period{StrOr(*j, "start"), StrOr(*j, "end")};
}

template <typename W>
void Encode(const Measurement& m, W& w) {
  w.StartObject();
  Str(w, "id", m.id);
  Str(w, "relationship", m.relationship);
  Str(w, "by", m.by);
  Str(w, "metric", m.metric);
  WriteKey(w, "value");
  m.value.Write(w);
  Str(w, "unit", m.unit);
  WriteKey(w, "period");
  EncodePeriod(m.period, w);
  OptStr(w, "note", m.note);
  WriteKey(w, "objective");
  m.objective.Write(w);
  Str(w, "target", m.target);
  WriteKey(w, "met");
  w.Bool(m.met);
  WriteKey(w, "agreement_version");
  w.Int64(m.agreement_version);
  Str(w, "at", m.at);
  w.EndObject();
}

StatusOr<Measurement> DecodeMeasurement(const Json& j) {
  Measurement m;
  m.id = StrOr(j, "id");
  m.relationship = StrOr(j, "relationship");
  m.by = StrOr(j, "by");
  m.metric = StrOr(j, "metric");
  const Json* value = j.Find("value");
  const Json* objective = j.Find("objective");
  const Json* met = j.Find("met");
  const Json* version = j.Find("agreement_version");
  if (m.id.empty() || m.relationship.empty() || value == nullptr || !value->is_number() ||
      objective == nullptr || met == nullptr || !met->is_bool() || version == nullptr ||
      !version->is_int()) {
    return Broken("measurement", "id/relationship/value/objective/met");
  }
  m.value = *value;
  m.objective = *objective;
  m.met = met->as_bool();
  m.agreement_version = version->as_int();
  m.unit = StrOr(j, "unit");
  m.period = DecodePeriod(j.Find("period"));
  m.note = StrOr(j, "note");
  m.target = StrOr(j, "target", "at_least");
  m.at = StrOr(j, "at");
  return m;
}

template <typename W>
void Encode(const ServiceRequest& r, W& w) {
  w.StartObject();
  Str(w, "id", r.id);
  Str(w, "relationship", r.relationship);
  Str(w, "consumer", r.consumer);
  Str(w, "provider", r.provider);
  Str(w, "action", r.action);
  OptStr(w, "note", r.note);
  WriteKey(w, "details");
  r.details.Write(w);
  Str(w, "status", RequestStatusName(r.status));
  Str(w, "opened_at", r.opened_at);
  OptStr(w, "closed_at", r.closed_at);
  OptStr(w, "provision", r.provision);
  OptStr(w, "reason", r.reason);
  WriteKey(w, "lead_time_seconds");
  auto opened = MillisOf(r.opened_at);
  auto closed = MillisOf(r.closed_at);
  if (r.status == RequestStatus::kFulfilled && opened && closed) {
    w.Double(static_cast<double>(*closed - *opened) / 1000.0);
  } else {
    w.Null();
  }
  w.EndObject();
}

StatusOr<ServiceRequest> DecodeServiceRequest(const Json& j) {
  ServiceRequest r;
  r.id = StrOr(j, "id");
  r.relationship = StrOr(j, "relationship");
  r.action = StrOr(j, "action");
  if (r.id.empty() || r.relationship.empty() || r.action.empty()) {
    return Broken("request", "id/relationship/action");
  }
  r.consumer = StrOr(j, "consumer");
  r.provider = StrOr(j, "provider");
  r.note = StrOr(j, "note");
  if (const Json* d = j.Find("details"); d && d->is_object()) r.details = *d;
  r.opened_at = StrOr(j, "opened_at");
  return r;
}

template <typename W>
void Encode(const ValueRecord& v, W& w) {
  w.StartObject();
  Str(w, "id", v.id);
  Str(w, "relationship", v.relationship);
  Str(w, "party", v.party);
  WriteValueMembers(v.value, w);
  WriteKey(w, "period");
  EncodePeriod(v.period, w);
  OptStr(w, "note", v.note);
  Str(w, "at", v.at);
  w.EndObject();
}

StatusOr<ValueRecord> DecodeValueRecord(const Json& j) {
  ValueRecord v;
  v.id = StrOr(j, "id");
  v.relationship = StrOr(j, "relationship");
  v.party = StrOr(j, "party");
  if (v.id.empty() || v.relationship.empty() || v.party.empty()) {
    return Broken("value record", "id/relationship/party");
  }
  CC_ASSIGN_OR_RETURN(v.value, DecodeStoredValue(j));
  v.period = DecodePeriod(j.Find("period"));
  v.note = StrOr(j, "note");
  v.at = StrOr(j, "at");
  return v;
}

StatusOr<std::vector<DegradedBy>> DecodeDegradedBy(const Json& list) {
  std::vector<DegradedBy> out;
  for (const Json& item : list.items()) {
    DegradedBy d{StrOr(item, "resource"), StrOr(item, "service"), StrOr(item, "relationship")};
    if (d.resource.empty() == d.service.empty()) return Broken("service", "degraded_by");
    out.push_back(std::move(d));
  }
  return out;
}

template <typename W>
void Encode(const std::vector<DegradedBy>& list, W& w) {
  w.StartArray();
  for (const DegradedBy& d : list) {
    w.StartObject();
    Str(w, d.resource.empty() ? "service" : "resource", d.resource.empty() ? d.service : d.resource);
    OptStr(w, "relationship", d.relationship);
    w.EndObject();
  }
  w.EndArray();
}

template <typename W>
void EncodeStrings(const std::vector<std::string>& items, W& w) {
  w.StartArray();
  for (const auto& s : items) WriteString(w, s);
  w.EndArray();
}

template <typename W>
void Encode(const Organization& o, W& w) {
  w.StartObject();
  Str(w, "id", o.id);
  OptStr(w, "external_id", o.external_id);
  Str(w, "name", o.name);
  Str(w, "description", o.description);
  WriteKey(w, "attributes");
  o.attributes.Write(w);
  Str(w, "status", o.closed ? "closed" : "active");
  Str(w, "created_at", o.created_at);
  Str(w, "updated_at", o.updated_at.empty() ? o.created_at : o.updated_at);
  w.EndObject();
}

StatusOr<Organization> DecodeOrganization(const Json& j) {
  Organization o;
  o.id = StrOr(j, "id");
  if (o.id.empty()) return Broken("organization", "id");
  o.external_id = StrOr(j, "external_id");
  o.name = StrOr(j, "name");
  o.description = StrOr(j, "description");
  if (const Json* a = j.Find("attributes"); a && a->is_object()) o.attributes = *a;
  o.created_at = StrOr(j, "created_at");
  o.closed = StrOr(j, "status") == "closed";
  o.updated_at = StrOr(j, "updated_at");
  if (o.updated_at == o.created_at) o.updated_at.clear();
  return o;
}

template <typename W>
void Encode(const ConsumerGroup& g, W& w, const IdFilter* filter) {
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", g.id);
  Str(w, "name", g.name);
  OptStr(w, "owner", g.owner);
  FilteredList(w, "members", g.members, redactions);
  Str(w, "created_at", g.created_at);
  Str(w, "updated_at", g.updated_at.empty() ? g.created_at : g.updated_at);
  redactions.Write(w);
  w.EndObject();
}

StatusOr<ConsumerGroup> DecodeConsumerGroup(const Json& j) {
  ConsumerGroup g;
  g.id = StrOr(j, "id");
  if (g.id.empty()) return Broken("consumer group", "id");
  g.name = StrOr(j, "name");
  g.owner = StrOr(j, "owner");
  g.members = StrList(j, "members");
  g.created_at = StrOr(j, "created_at");
  g.updated_at = StrOr(j, "updated_at");
  if (g.updated_at == g.created_at) g.updated_at.clear();
  return g;
}

template <typename W>
void Encode(const Resource& r, W& w, const IdFilter* filter) {
  const ResourceVersion& v = r.current();
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", r.id);
  OptStr(w, "external_id", r.external_id);
  Str(w, "owner", v.owner);
  Str(w, "kind", v.kind);
  Str(w, "name", v.name);
  WriteKey(w, "attributes");
  v.attributes.Write(w);
  WriteKey(w, "version");
  w.Int64(v.version);
  Str(w, "status", r.retired ? "retired" : "active");
  WriteKey(w, "origin");
  if (r.origin_provision.empty()) {
    w.Null();
  } else {
    w.StartObject();
    Ref(w, "provision", r.origin_provision, redactions);
    w.EndObject();
  }
  Str(w, "created_at", r.versions.front().at);
  Str(w, "updated_at", r.retired && r.retired_at > v.at ? r.retired_at : v.at);
  w.EndObject();
}

template <typename W>
void EncodeVersion(const Resource& r, const ResourceVersion& v, W& w,
                   const IdFilter* filter) {
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", r.id);
  WriteKey(w, "version");
  w.Int64(v.version);
  Str(w, "owner", v.owner);
  Str(w, "kind", v.kind);
  Str(w, "name", v.name);
  WriteKey(w, "attributes");
  v.attributes.Write(w);
  Str(w, "at", v.at);
  Ref(w, "provision", v.provision, redactions);
  w.EndObject();
}

StatusOr<Resource> DecodeResource(const Json& j) {
  Resource r;
  r.id = StrOr(j, "id");
  if (r.id.empty()) return Broken("resource", "id");
  r.external_id = StrOr(j, "external_id");
  ResourceVersion v;
  v.version = 1;
  v.owner = Id(StrOr(j, "owner"));
  if (v.owner.empty()) return Broken("resource", "owner");
  v.kind = Id(StrOr(j, "kind"));
  v.name = StrOr(j, "name");
  if (const Json* a = j.Find("attributes"); a && a->is_object()) v.attributes = *a;
  v.at = StrOr(j, "created_at");
  if (const Json* o = j.Find("origin"); o && o->is_object()) {
    r.origin_provision = Id(StrOr(*o, "provision"));
    v.provision = r.origin_provision;
  }
  r.versions.push_back(std::move(v));
  return r;
}

template <typename W>
void Encode(const Service& s, W& w, const IdFilter* filter) {
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", s.id);
  OptStr(w, "external_id", s.external_id);
  Str(w, "provider", s.provider);
  Str(w, "name", s.name);
  Str(w, "description", s.description);
  FilteredList(w, "built_on", s.built_on, redactions);
  FilteredList(w, "depends_on", s.depends_on, redactions);
  Str(w, "status", s.status());
  WriteKey(w, "degraded_by");
  w.StartArray();
  for (const DegradedBy& d : s.degraded_by) {
    const std::string& what = d.resource.empty() ? d.service : d.resource;
    if (!redactions.Keep("degraded_by", what)) continue;
    w.StartObject();
    Str(w, d.resource.empty() ? "service" : "resource", what);
    Ref(w, "relationship", d.relationship, redactions);
    w.EndObject();
  }
  w.EndArray();
  Str(w, "created_at", s.created_at);
  Str(w, "updated_at", s.updated_at.empty() ? s.created_at : s.updated_at);
  redactions.Write(w);
  w.EndObject();
}

StatusOr<Service> DecodeService(const Json& j) {
  Service s;
  s.id = StrOr(j, "id");
  s.provider = StrOr(j, "provider");
  if (s.id.empty() || s.provider.empty()) return Broken("service", "id/provider");
  s.external_id = StrOr(j, "external_id");
  s.name = StrOr(j, "name");
  s.description = StrOr(j, "description");
  s.built_on = IdsOf(j, "built_on");
  s.depends_on = IdsOf(j, "depends_on");
  s.created_at = StrOr(j, "created_at");
  s.updated_at = StrOr(j, "updated_at");
  if (s.updated_at == s.created_at) s.updated_at.clear();
  s.retired = StrOr(j, "status") == "retired";
  if (const Json* d = j.Find("degraded_by"); d && d->is_array()) {
    CC_ASSIGN_OR_RETURN(s.degraded_by, DecodeDegradedBy(*d));
  }
  return s;
}

template <typename W>
void Encode(const Offering& o, W& w, const IdFilter* filter) {
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", o.id);
  OptStr(w, "external_id", o.external_id);
  Str(w, "provider", o.provider);
  Ref(w, "service", o.service, redactions);
  Str(w, "name", o.name);
  WriteKey(w, "audience");
  if (o.audience_public) {
    WriteString(w, "public");
  } else {
    w.StartObject();
    List(w, "consumer_groups", o.audience_groups);
    w.EndObject();
  }
  WriteKey(w, "goods");
  w.StartArray();
  for (const auto& g : o.goods) {
    w.StartObject();
    Str(w, "kind", g.kind);
    Str(w, "name", g.name);
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "access");
  w.StartArray();
  for (const auto& r : o.access) {
    if (!redactions.Keep("access", r)) continue;
    w.StartObject();
    Str(w, "resource", r);
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "actions");
  w.StartArray();
  for (const auto& a : o.actions) {
    w.StartObject();
    Str(w, "name", a.name);
    Str(w, "effect", EffectName(a.effect));
    w.EndObject();
  }
  w.EndArray();
  WriteServiceLevels(w, o.service_levels);
  WritePrice(w, o.price);
  WriteKey(w, "version");
  w.Int64(o.version);
  Str(w, "status", o.retired ? "retired" : "active");
  Str(w, "created_at", o.created_at);
  Str(w, "updated_at", o.updated_at.empty() ? o.created_at : o.updated_at);
  redactions.Write(w);
  w.EndObject();
}

StatusOr<Offering> DecodeOffering(const Json& j) {
  Offering o;
  o.id = StrOr(j, "id");
  o.provider = StrOr(j, "provider");
  o.service = StrOr(j, "service");
  if (o.id.empty() || o.provider.empty()) return Broken("offering", "id/provider");
  o.external_id = StrOr(j, "external_id");
  o.name = StrOr(j, "name");
  const Json* audience = j.Find("audience");
  if (audience != nullptr && audience->is_object()) {
    o.audience_public = false;
    o.audience_groups = StrList(*audience, "consumer_groups");
  }
  if (const Json* goods = j.Find("goods"); goods && goods->is_array()) {
    for (const Json& g : goods->items()) o.goods.push_back({StrOr(g, "kind"), StrOr(g, "name")});
  }
  if (const Json* access = j.Find("access"); access && access->is_array()) {
    for (const Json& a : access->items()) o.access.push_back(StrOr(a, "resource"));
  }
  if (const Json* actions = j.Find("actions"); actions && actions->is_array()) {
    for (const Json& a : actions->items()) {
      auto effect = EffectFromName(StrOr(a, "effect"));
      if (!effect) return Broken("offering", "actions.effect");
      o.actions.push_back({StrOr(a, "name"), *effect});
    }
  }
  o.service_levels = ReadServiceLevels(j);
  o.price = ReadPrice(j);
  o.created_at = StrOr(j, "created_at");
  o.updated_at = StrOr(j, "updated_at");
  if (o.updated_at == o.created_at) o.updated_at.clear();
  if (const Json* v = j.Find("version"); v && v->is_int() && v->as_int() > 0) {
    o.version = v->as_int();
  }
  o.retired = StrOr(j, "status") == "retired";
  return o;
}

template <typename W>
void Encode(const Relationship& r, W& w, const IdFilter* filter) {
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", r.id);
  Ref(w, "offering", r.offering, redactions);
  Str(w, "provider", r.provider);
  Str(w, "consumer", r.consumer);
  Str(w, "type", RelationshipTypeName(r.type));
  Str(w, "status", RelationshipStatusName(r.status));
  Str(w, "requested_at", r.requested_at);
  OptStr(w, "activated_at", r.activated_at);
  Str(w, "updated_at", r.updated_at);
  WriteKey(w, "agreement");
  if (r.agreements.empty()) {
    w.Null();
  } else {
    Encode(r.agreements.back(), w);
  }
  w.EndObject();
}

StatusOr<Relationship> DecodeRelationship(const Json& j) {
  Relationship r;
  r.id = StrOr(j, "id");
  r.offering = StrOr(j, "offering");
  r.provider = StrOr(j, "provider");
  r.consumer = StrOr(j, "consumer");
  if (r.id.empty() || r.provider.empty() || r.consumer.empty()) {
    return Broken("relationship", "id/provider/consumer");
  }
  auto type = RelationshipTypeFromName(StrOr(j, "type"));
  auto status = RelationshipStatusFromName(StrOr(j, "status"));
  if (!type || !status) return Broken("relationship", "type/status");
  r.type = *type;
  r.status = *status;
  r.requested_at = StrOr(j, "requested_at");
  r.updated_at = StrOr(j, "updated_at");
  r.activated_at = StrOr(j, "activated_at");
  return r;
}

template <typename W>
static void WriteValueMembers(const Value& v, W& w) {
  List(w, "outcomes", v.outcomes);
  WriteKey(w, "costs");
  w.StartArray();
  for (const auto& c : v.costs) {
    w.StartObject();
    WriteKey(w, "amount");
    c.amount.Write(w);
    Str(w, "currency", c.currency);
    Str(w, "kind", ValueKindName(c.kind));
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "risks");
  w.StartArray();
  for (const auto& r : v.risks) {
    w.StartObject();
    Str(w, "description", r.description);
    Str(w, "kind", ValueKindName(r.kind));
    w.EndObject();
  }
  w.EndArray();
}

template <typename W>
void Encode(const Value& v, W& w) {
  w.StartObject();
  WriteValueMembers(v, w);
  w.EndObject();
}

StatusOr<Value> DecodeStoredValue(const Json& j) {
  Value v;
  v.outcomes = StrList(j, "outcomes");
  if (const Json* costs = j.Find("costs"); costs && costs->is_array()) {
    for (const Json& c : costs->items()) {
      auto kind = ValueKindFromName(StrOr(c, "kind"));
      const Json* amount = c.Find("amount");
      if (!kind || amount == nullptr) return Broken("value", "costs");
      CC_ASSIGN_OR_RETURN(Decimal sum, Decimal::FromStored(*amount));
      v.costs.push_back({sum, StrOr(c, "currency"), *kind});
    }
  }
  if (const Json* risks = j.Find("risks"); risks && risks->is_array()) {
    for (const Json& r : risks->items()) {
      auto kind = ValueKindFromName(StrOr(r, "kind"));
      if (!kind) return Broken("value", "risks");
      v.risks.push_back({StrOr(r, "description"), *kind});
    }
  }
  return v;
}

template <typename W>
void Encode(const Provision& p, W& w, const IdFilter* filter) {
  Redactions redactions(filter);
  w.StartObject();
  Str(w, "id", p.id);
  Ref(w, "relationship", p.relationship, redactions);
  Str(w, "action", p.action);
  Str(w, "provider", p.provider);
  Str(w, "consumer", p.consumer);
  FilteredList(w, "used", p.used, redactions);
  FilteredList(w, "created", p.created, redactions);
  WriteKey(w, "modified");
  w.StartArray();
  for (const auto& m : p.modified) {
    if (!redactions.Keep("modified", m.resource)) continue;
    w.StartObject();
    Str(w, "resource", m.resource);
    WriteKey(w, "version");
    w.Int64(m.version);
    w.EndObject();
  }
  w.EndArray();
  FilteredList(w, "transferred", p.transferred, redactions);
  if (!p.request.empty()) Str(w, "request", p.request);
  WriteKey(w, "value");
  if (p.value) {
    Encode(*p.value, w);
  } else {
    w.Null();
  }
  Str(w, "at", p.at);
  redactions.Write(w);
  w.EndObject();
}

StatusOr<Provision> DecodeProvision(const Json& j) {
  Provision p;
  p.id = StrOr(j, "id");
  p.relationship = StrOr(j, "relationship");
  if (p.id.empty() || p.relationship.empty()) return Broken("provision", "id/relationship");
  p.action = StrOr(j, "action");
  p.provider = StrOr(j, "provider");
  p.consumer = StrOr(j, "consumer");
  p.used = StrList(j, "used");
  p.created = StrList(j, "created");
  if (const Json* modified = j.Find("modified"); modified && modified->is_array()) {
    for (const Json& m : modified->items()) {
      const Json* version = m.Find("version");
      p.modified.push_back({StrOr(m, "resource"), version ? version->as_int() : 0});
    }
  }
  p.transferred = StrList(j, "transferred");
  p.request = StrOr(j, "request");
  if (const Json* value = j.Find("value"); value && value->is_object()) {
    CC_ASSIGN_OR_RETURN(Value v, DecodeStoredValue(*value));
    p.value = std::move(v);
  }
  p.at = StrOr(j, "at");
  return p;
}

template <typename W>
void Encode(const Evidence& e, W& w) {
  w.StartObject();
  Str(w, "service", e.service);
  Str(w, "resource", e.resource);
  Str(w, "provision", e.provision);
  Str(w, "relationship", e.relationship);
  Str(w, "provider", e.provider);
  w.EndObject();
}

StatusOr<Evidence> DecodeEvidence(const Json& j) {
  return Evidence{Id(StrOr(j, "service")), Id(StrOr(j, "resource")), Id(StrOr(j, "provision")),
                  Id(StrOr(j, "relationship")), Id(StrOr(j, "provider"))};
}

std::string EventDataText(const Event& e) {
  if (e.provision == nullptr) return e.data.Dump();
  if (!e.provision_text.empty()) return e.provision_text;
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  Encode(*e.provision, w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Json EventDataJson(const Event& e) {
  return e.provision == nullptr ? e.data : ToJson(*e.provision);
}

Event WithEventData(const Event& e) {
  Event out = e;
  if (out.provision != nullptr) {
    out.data = ToJson(*out.provision);
    out.provision.reset();
    out.provision_text.clear();
  }
  return out;
}

// Every encoder writes text (JsonWriter) or builds a value (JsonBuilder).
#define COCREATE_INSTANTIATE_CODEC(W)                                                    \
  template void Encode<W>(const Organization&, W&);                                      \
  template void Encode<W>(const ConsumerGroup&, W&, const IdFilter*);                    \
  template void Encode<W>(const Resource&, W&, const IdFilter*);                         \
  template void EncodeVersion<W>(const Resource&, const ResourceVersion&, W&,            \
                                 const IdFilter*);                                       \
  template void Encode<W>(const Service&, W&, const IdFilter*);                          \
  template void Encode<W>(const Offering&, W&, const IdFilter*);                         \
  template void Encode<W>(const Relationship&, W&, const IdFilter*);                     \
  template void Encode<W>(const Provision&, W&, const IdFilter*);                        \
  template void Encode<W>(const Value&, W&);                                             \
  template void Encode<W>(const Evidence&, W&);                                          \
  template void Encode<W>(const Agreement&, W&);                                         \
  template void Encode<W>(const Proposal&, W&);                                          \
  template void Encode<W>(const Person&, W&, bool);                                      \
  template void Encode<W>(const PartyRole&, W&);                                         \
  template void Encode<W>(const ServiceOrder&, W&);                                      \
  template void Encode<W>(const Measurement&, W&);                                       \
  template void Encode<W>(const ServiceRequest&, W&);                                    \
  template void Encode<W>(const ValueRecord&, W&);                                       \
  template void EncodePeriod<W>(const Period&, W&);                                      \
  template void Encode<W>(const std::vector<DegradedBy>&, W&);                           \
  template void EncodeStrings<W>(const std::vector<std::string>&, W&);

COCREATE_INSTANTIATE_CODEC(JsonWriter)
COCREATE_INSTANTIATE_CODEC(JsonBuilder)
#undef COCREATE_INSTANTIATE_CODEC

}  // namespace cocreate

