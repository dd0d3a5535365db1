// The read side of service relationship management (CONTRACT §6): value as
// both parties state it, measurements and service levels, breaches, requests,
// people and their roles; and the engine's part in breaches and expiry.
#include <algorithm>
#include <map>
#include <set>

#include "engine/answers.h"
#include "engine/engine.h"
#include "model/codec.h"
#include "model/env.h"
#include "rules/visibility.h"

namespace cocreate {

namespace {

// Value summed over provisions and value statements (CONTRACT §6, V): every
// outcome and risk names its source and the party that stated it (§9.20).
class ValueSum {
 public:
  void Add(const Provision& p) {
    ++provisions_;
    if (!p.value) return;
    AddValue(*p.value, "provision", p.id, p.provider);
  }
  void Add(const ValueRecord& v) {
    ++statements_;
    AddValue(v.value, "value", v.id, v.party);
  }

  void Write(JsonWriter& w) const {
    w.StartObject();
    WriteKey(w, "provisions");
    w.Int64(provisions_);
    WriteKey(w, "statements");
    w.Int64(statements_);
    WriteKey(w, "outcomes");
    w.StartArray();
    for (const auto& o : outcomes_) {
      w.StartObject();
      WriteKey(w, "text");
      WriteString(w, o.text);
      WriteSource(w, o.source);
      w.EndObject();
    }
    w.EndArray();
    WriteKey(w, "costs");
    w.StartObject();
    for (int k = 0; k < 2; ++k) {
      WriteKey(w, ValueKindName(static_cast<ValueKind>(k)));
      w.StartObject();
      for (const auto& [currency, sum] : costs_[k]) {
        WriteKey(w, currency);
        sum.Write(w);
      }
      w.EndObject();
    }
    w.EndObject();
    WriteKey(w, "risks");
    w.StartObject();
    for (int k = 0; k < 2; ++k) {
      WriteKey(w, ValueKindName(static_cast<ValueKind>(k)));
      w.StartArray();
      for (const auto& r : risks_[k]) {
        w.StartObject();
        WriteKey(w, "description");
        WriteString(w, r.text);
        WriteKey(w, "kind");
        WriteString(w, ValueKindName(static_cast<ValueKind>(k)));
        WriteSource(w, r.source);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
    w.EndObject();
  }

 private:
  struct Source {
    std::string_view type;
    std::string id, party;
  };
  struct Entry {
    std::string text;
    Source source;
  };

  void AddValue(const Value& v, std::string_view type, const std::string& id,
                const std::string& party) {
    Source source{type, id, party};
    for (const auto& o : v.outcomes) outcomes_.push_back({o, source});
    for (const auto& c : v.costs) costs_[static_cast<int>(c.kind)][c.currency] += c.amount;
    for (const auto& r : v.risks) risks_[static_cast<int>(r.kind)].push_back({r.description, source});
  }

  static void WriteSource(JsonWriter& w, const Source& s) {
    WriteKey(w, "source");
    w.StartObject();
    WriteKey(w, "type");
    WriteString(w, s.type);
    WriteKey(w, "id");
    WriteString(w, s.id);
    w.EndObject();
    WriteKey(w, "party");
    WriteString(w, s.party);
  }

  int64_t provisions_ = 0, statements_ = 0;
  std::vector<Entry> outcomes_;
  std::map<std::string, Decimal> costs_[2];
  std::vector<Entry> risks_[2];
};

// When a value statement counts for a period question: its period's end, or
// its time when it has no period (CONTRACT §9.20).
bool Unbounded(const TimeWindow& window) { return !window.from && !window.to; }
bool InWindow(const TimeWindow& window, const std::string& time) {
  if (Unbounded(window)) return true;
  auto t = UnixMillis(time);
  return !t || window.Contains(*t);
}
bool InWindow(const TimeWindow& window, const ValueRecord& v) {
  return InWindow(window, v.period.empty() ? v.at.str() : v.period.end);
}
bool InWindow(const TimeWindow& window, const Provision& p) { return InWindow(window, p.at); }
bool InWindow(const TimeWindow& window, const Period& period) {
  return InWindow(window, period.end);
}
bool InWindow(const TimeWindow& window, const Measurement& m) {
  return Unbounded(window) || window.Contains(m.end_ms);
}

int64_t PeriodEnd(const Measurement& m) { return m.end_ms; }

Status NoRelationship(const std::string& id) {
  return NotFound("no relationship '" + id + "'");
}

}  // namespace

void Engine::WriteRelationshipValue(const std::string& rel_id, const TimeWindow& window,
                                    JsonWriter& w) const {
  const Relationship& rel = *state_.FindRelationship(rel_id);
  ValueSum provider, consumer;
  for (const std::string& id : state_.ProvisionsIn(rel_id)) {
    const Provision& prov = *state_.FindProvision(id);
    if (InWindow(window, prov)) provider.Add(prov);  // a provision's value is the provider's
  }
  for (const std::string& id : state_.ValueRecordsOf(rel_id)) {
    const ValueRecord& v = *state_.FindValueRecord(id);
    if (!InWindow(window, v)) continue;
    (v.party == rel.provider ? provider : consumer).Add(v);
  }
  w.StartObject();
  WriteKey(w, "relationship");
  WriteString(w, rel_id);
  WriteKey(w, "provider_stated");
  provider.Write(w);
  WriteKey(w, "consumer_stated");
  consumer.Write(w);
  w.EndObject();
}

StatusOr<std::string> Engine::RelationshipValue(const Principal& p, const std::string& rel,
                                                const TimeWindow& window) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel)) return NoRelationship(rel);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteRelationshipValue(rel, window, w);
  return Done(buf);
}

StatusOr<std::string> Engine::ValueOf(const Principal& p, const std::string& org,
                                      const TimeWindow& window) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kOrganization, org)) return NoSuch(Noun::kOrganization, org);
  if (!p.is_admin() && p.organization != org) {
    return Forbidden("the value of '" + org + "' is shown only to itself and the admin");
  }
  // Received: what both parties state of the relationships it consumes
  // through; provided: of those it provides through.
  ValueSum received, provided;
  for (const std::string& rel_id : state_.RelationshipsOf(org)) {
    const Relationship& rel = *state_.FindRelationship(rel_id);
    for (ValueSum* sum : {rel.consumer == org ? &received : nullptr,
                          rel.provider == org ? &provided : nullptr}) {
      if (sum == nullptr) continue;
      for (const std::string& id : state_.ProvisionsIn(rel_id)) {
        const Provision& prov = *state_.FindProvision(id);
        if (InWindow(window, prov)) sum->Add(prov);
      }
      for (const std::string& id : state_.ValueRecordsOf(rel_id)) {
        const ValueRecord& v = *state_.FindValueRecord(id);
        if (InWindow(window, v)) sum->Add(v);
      }
    }
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "organization");
  WriteString(w, org);
  WriteKey(w, "received");
  received.Write(w);
  WriteKey(w, "provided");
  provided.Write(w);
  w.EndObject();
  return Done(buf);
}

StatusOr<std::string> Engine::Measurements(const Principal& p, const std::string& rel,
                                           const std::string& metric, const TimeWindow& window,
                                           const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel)) return NoRelationship(rel);
  std::vector<const Measurement*> list;
  for (const std::string& id : state_.MeasurementsOf(rel)) {
    const Measurement& m = *state_.FindMeasurement(id);
    if ((metric.empty() || m.metric == metric) && InWindow(window, m)) list.push_back(&m);
  }
  std::stable_sort(list.begin(), list.end(), [](const Measurement* a, const Measurement* b) {
    return PeriodEnd(*a) < PeriodEnd(*b);
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = static_cast<int64_t>(list.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    Encode(*list[static_cast<size_t>(i)], w);
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::ServiceLevels(const Principal& p, const std::string& rel_id,
                                            const TimeWindow& window) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel_id)) return NoRelationship(rel_id);
  const Relationship& rel = *state_.FindRelationship(rel_id);
  // The service levels of the agreement in force, each with its measurements.
  struct Level {
    ServiceLevel level;
    std::vector<const Measurement*> measurements;
  };
  std::vector<Level> levels;
  auto find = [&](const std::string& metric) -> Level* {
    for (auto& l : levels) {
      if (l.level.metric == metric) return &l;
    }
    return nullptr;
  };
  if (!rel.agreements.empty()) {
    for (const auto& l : rel.agreements.back().service_levels) levels.push_back({l, {}});
  }
  for (const std::string& id : state_.MeasurementsOf(rel_id)) {
    const Measurement& m = *state_.FindMeasurement(id);
    // A metric no longer agreed is not a service level any more; its
    // measurements stay in GET /relationships/{id}/measurements.
    Level* level = find(m.metric);
    if (level != nullptr && InWindow(window, m)) level->measurements.push_back(&m);
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "relationship");
  WriteString(w, rel_id);
  WriteKey(w, "items");
  w.StartArray();
  for (auto& l : levels) {
    std::stable_sort(l.measurements.begin(), l.measurements.end(),
                     [](const Measurement* a, const Measurement* b) {
                       return PeriodEnd(*a) < PeriodEnd(*b);
                     });
    int64_t met = 0;
    for (const Measurement* m : l.measurements) met += m->met ? 1 : 0;
    const int64_t n = static_cast<int64_t>(l.measurements.size());
    w.StartObject();
    WriteKey(w, "metric");
    WriteString(w, l.level.metric);
    WriteKey(w, "objective");
    l.level.objective.Write(w);
    WriteKey(w, "unit");
    WriteString(w, l.level.unit);
    WriteKey(w, "target");
    WriteString(w, l.level.target);
    // The objective above is the agreement's now in force (`agreement_version`);
    // each measurement keeps the one it was judged against.
    WriteKey(w, "agreement_version");
    if (rel.agreements.empty()) {
      w.Null();
    } else {
      w.Int64(rel.agreements.back().version);
    }
    WriteKey(w, "measurements");
    w.Int64(n);
    WriteKey(w, "met");
    w.Int64(met);
    WriteKey(w, "attainment");  // met / measurements; null with none (CONTRACT §9.19)
    if (n == 0) {
      w.Null();
    } else {
      w.Double(static_cast<double>(met) / static_cast<double>(n));
    }
    WriteKey(w, "last");
    if (n == 0) {
      w.Null();
    } else {
      Encode(*l.measurements.back(), w);
    }
    WriteKey(w, "breaches");
    w.StartArray();
    for (const Measurement* m : l.measurements) {
      if (!m->met) Encode(*m, w);
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(buf);
}

StatusOr<std::string> Engine::Breaches(const Principal& p, const std::string& org,
                                       const TimeWindow& window, const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kOrganization, org)) return NoSuch(Noun::kOrganization, org);
  if (!p.is_admin() && p.organization != org) {
    return Forbidden("the breaches that reached '" + org + "' are shown only to it and the admin");
  }
  std::vector<const Event*> list;
  for (int64_t seq : state_.BreachesReaching(org)) {
    const Event* e = state_.FindBreach(seq);
    if (e != nullptr && InWindow(window, DecodePeriod(e->data.Find("period")))) list.push_back(e);
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "organization");
  WriteString(w, org);
  WriteKey(w, "items");
  w.StartArray();
  int64_t total = static_cast<int64_t>(list.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    const Event& e = *list[static_cast<size_t>(i)];
    // Where the miss happened is named only to those who may see it; that it
    // reached them, and when, is theirs to know.
    bool visible = CanSee(state_, p, Noun::kRelationship, e.subject);
    w.StartObject();
    WriteKey(w, "seq");
    w.Int64(e.seq);
    WriteKey(w, "at");
    WriteString(w, e.at);
    WriteKey(w, "relationship");
    if (visible) {
      WriteString(w, e.subject);
    } else {
      w.Null();
    }
    for (std::string_view key : {"metric", "period", "consumers_reached"}) {
      if (const Json* v = e.data.Find(key)) {
        WriteKey(w, key);
        v->Write(w);
      }
    }
    if (visible) {
      for (std::string_view key : {"measurement", "value", "objective", "target", "unit"}) {
        if (const Json* v = e.data.Find(key)) {
          WriteKey(w, key);
          v->Write(w);
        }
      }
    }
    w.EndObject();
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::Requests(const Principal& p, const std::string& rel,
                                       const ListQuery& q) const {
  std::optional<RequestStatus> status;
  if (auto it = q.filters.find("status"); it != q.filters.end()) {
    status = RequestStatusFromName(it->second);
    if (!status) {
      return InvalidField("status", "'status' must be open, fulfilled, declined or cancelled");
    }
  }
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel)) return NoRelationship(rel);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "items");
  w.StartArray();
  int64_t total = 0;
  std::vector<int64_t> lead_ms;  // of every fulfilled request, whatever the filter
  for (const std::string& id : state_.RequestsOf(rel)) {
    const ServiceRequest& r = *state_.FindServiceRequest(id);
    if (r.status == RequestStatus::kFulfilled) {
      auto opened = MillisOf(r.opened_at);
      auto closed = MillisOf(r.closed_at);
      if (opened && closed) lead_ms.push_back(*closed - *opened);
    }
    if (status && r.status != *status) continue;
    if (total >= q.offset && total < q.offset + q.limit) Encode(r, w);
    ++total;
  }
  EndItems(w, total, q);
  // Lead time: from opening to fulfilment, in seconds.
  WriteKey(w, "lead_time");
  w.StartObject();
  WriteKey(w, "fulfilled");
  w.Int64(static_cast<int64_t>(lead_ms.size()));
  WriteKey(w, "mean_seconds");
  if (lead_ms.empty()) {
    w.Null();
  } else {
    int64_t sum = 0;
    for (int64_t ms : lead_ms) sum += ms;
    w.Double(static_cast<double>(sum) / 1000.0 / static_cast<double>(lead_ms.size()));
  }
  WriteKey(w, "median_seconds");
  if (lead_ms.empty()) {
    w.Null();
  } else {
    std::sort(lead_ms.begin(), lead_ms.end());
    size_t n = lead_ms.size();
    double median = n % 2 == 1 ? static_cast<double>(lead_ms[n / 2])
                               : (static_cast<double>(lead_ms[n / 2 - 1]) +
                                  static_cast<double>(lead_ms[n / 2])) / 2.0;
    w.Double(median / 1000.0);
  }
  w.EndObject();
  w.EndObject();
  return Done(buf);
}

StatusOr<std::string> Engine::AllRequests(const Principal& p, const ListQuery& q) const {
  std::optional<RequestStatus> status;
  std::string side;
  for (const auto& [key, value] : q.filters) {
    if (key == "status") {
      status = RequestStatusFromName(value);
      if (!status) {
        return InvalidField("status", "'status' must be open, fulfilled, declined or cancelled");
      }
    } else if (key == "as") {
      if (value != "consumer" && value != "provider") {
        return InvalidField("as", "'as' must be consumer or provider");
      }
      side = value;
    }
  }
  ReadLock lock(*this);
  // The caller's relationships (every one for the admin), in creation
  // order, and their requests in the order they were opened.
  const IdList& rels = p.is_admin() ? state_.Ids(Noun::kRelationship)
                                                      : state_.RelationshipsOf(p.organization);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = 0;
  for (const std::string& rel_id : rels) {
    const Relationship& rel = *state_.FindRelationship(rel_id);
    if (side == "consumer" && !p.is_admin() && rel.consumer != p.organization) continue;
    if (side == "provider" && !p.is_admin() && rel.provider != p.organization) continue;
    for (const std::string& id : state_.RequestsOf(rel_id)) {
      const ServiceRequest& r = *state_.FindServiceRequest(id);
      if (status && r.status != *status) continue;
      if (total >= q.offset && total < q.offset + q.limit) Encode(r, w);
      ++total;
    }
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::RequestOf(const Principal& p, const std::string& id) const {
  ReadLock lock(*this);
  const ServiceRequest* r = state_.FindServiceRequest(id);
  if (r == nullptr || !CanSee(state_, p, Noun::kRelationship, r->relationship)) {
    return NotFound("no request '" + id + "'");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Encode(*r, w);
  return Done(buf);
}

namespace {

// A person as `p` may see it: the email to its own organization and the
// admin only; `roles`, the roles it holds on relationships `p` may see.
void WritePerson(const State& state, const Principal& p, const Person& person, JsonWriter& w) {
  const bool own = p.is_admin() || person.organization == p.organization;
  // Built as a value (not written as text and parsed back), so a stored
  // string that is not valid UTF-8 (a forged checkpoint) cannot fail here.
  JsonBuilder inner;
  Encode(person, inner, own);
  Json object = inner.Take();
  Json roles = Json::MakeArray();
  for (const std::string& rel_id : state.RelationshipsOf(person.organization)) {
    if (!CanSee(state, p, Noun::kRelationship, rel_id)) continue;
    for (const RoleAssignment& a : state.FindRelationship(rel_id)->roles) {
      if (a.person != person.id) continue;
      roles.Push(Json::MakeObject({{"relationship", Json(rel_id)},
                                   {"role", Json(a.role)},
                                   {"assigned_at", Json(a.assigned_at)}}));
    }
  }
  object.Set("roles", std::move(roles));
  object.Write(w);
}

}  // namespace

StatusOr<std::string> Engine::People(const Principal& p, const std::string& org,
                                     const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kOrganization, org)) return NoSuch(Noun::kOrganization, org);
  const bool own = p.is_admin() || p.organization == org;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = 0;
  for (const std::string& id : state_.PeopleOf(org)) {
    const Person& person = *state_.FindPerson(id);
    if (!own && !CanSeePerson(state_, p, person)) continue;
    if (total >= q.offset && total < q.offset + q.limit) WritePerson(state_, p, person, w);
    ++total;
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::PersonOf(const Principal& p, const std::string& id) const {
  ReadLock lock(*this);
  const Person* person = state_.FindPerson(id);
  if (person == nullptr || !CanSeePerson(state_, p, *person)) {
    return NotFound("no person '" + id + "'");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WritePerson(state_, p, *person, w);
  return Done(buf);
}

namespace {

void WriteAssignment(const State& state, const std::string& rel, const RoleAssignment& a,
                     JsonWriter& w) {
  const Person* person = state.FindPerson(a.person);
  w.StartObject();
  WriteKey(w, "relationship");
  WriteString(w, rel);
  WriteKey(w, "person");
  WriteString(w, a.person);
  WriteKey(w, "name");
  WriteString(w, person != nullptr ? person->name : "");
  WriteKey(w, "role");
  WriteString(w, a.role);
  WriteKey(w, "organization");
  WriteString(w, a.organization);
  WriteKey(w, "assigned_at");
  WriteString(w, a.assigned_at.str());
  w.EndObject();
}

}  // namespace

StatusOr<std::string> Engine::RoleAssignments(const Principal& p, const std::string& rel_id,
                                              const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel_id)) return NoRelationship(rel_id);
  const Relationship& rel = *state_.FindRelationship(rel_id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = static_cast<int64_t>(rel.roles.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    WriteAssignment(state_, rel_id, rel.roles[static_cast<size_t>(i)], w);
  }
  EndList(w, total, q);
  return Done(buf);
}

std::string Engine::EncodeRecord(const Principal& p, const Decision& d) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  switch (d.shows) {
    case Decision::Shows::kProposal:
      return EncodeProposal(d.subject);
    case Decision::Shows::kMeasurement:
      Encode(*state_.FindMeasurement(d.subject), w);
      break;
    case Decision::Shows::kRequest:
      Encode(*state_.FindServiceRequest(d.subject), w);
      break;
    case Decision::Shows::kValueRecord:
      Encode(*state_.FindValueRecord(d.subject), w);
      break;
    case Decision::Shows::kPerson:
      WritePerson(state_, p, *state_.FindPerson(d.subject), w);
      break;
    case Decision::Shows::kRoleAssignment: {
      const Relationship& rel = *state_.FindRelationship(d.subject);
      for (const auto& a : rel.roles) {
        if (a.person == d.person && a.role == d.role) WriteAssignment(state_, rel.id, a, w);
      }
      break;
    }
    case Decision::Shows::kServiceOrder:
      Encode(*state_.FindServiceOrder(d.subject), w);
      break;
    case Decision::Shows::kPartyRole:
      Encode(*state_.FindPartyRole(d.subject), w);
      break;
    case Decision::Shows::kWebhook:
      return EncodeWebhook(d.subject);
    case Decision::Shows::kNoun:
    case Decision::Shows::kNothing:
      return std::string();
  }
  return Done(buf);
}

void Engine::CountBreachReach(Event& e) const {
  // The consumer, and every organization the impact walk reaches from its
  // services that feel the miss (CONTRACT §6), counted on the graph index.
  std::set<std::string> reached{StrOr(e.private_data, "consumer")};
  std::vector<NodeId> starts;
  if (const Json* s = e.private_data.Find("starts"); s != nullptr && s->is_array()) {
    for (const Json& id : s->items()) {
      NodeId n = id.is_string() ? graph_.Find(id.as_string()) : kNoNode;
      if (n != kNoNode) starts.push_back(n);
    }
  }
  if (!starts.empty()) {
    Reached walk;
    graph_.WalkDownstream(starts, kNoNode, -1, false, walk);
    for (NodeId n : walk.nodes) {
      if (graph_.NounOf(n) == Noun::kOrganization) reached.insert(std::string(graph_.Id(n)));
    }
  }
  reached.erase("");
  Json list = Json::MakeArray();
  for (const auto& org : reached) list.Push(Json(org));
  e.data.Set("consumers_reached", Json(static_cast<int64_t>(reached.size())));
  e.private_data = Json::MakeObject({{"reached", std::move(list)}});
}

bool Engine::ExpiryDue() const {
  auto now = UnixMillis(options_.env->Now());
  if (!now) return false;
  ReadLock lock(*this);
  for (const auto& id : state_.RelationshipsWithEnd()) {
    const Relationship& rel = *state_.FindRelationship(id);
    auto end = UnixMillis(rel.agreements.back().end);
    if (end && *end <= *now) return true;
  }
  return false;
}

}  // namespace cocreate
