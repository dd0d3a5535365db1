// State::Save and State::Load: every member of the state, and every field
// of the records it keeps, listed once for both directions. A field added
// to a record or a member added to State must be added here too; the
// checkpoint format version (engine/checkpoint.cc) changes with these files,
// and engine/checkpoint_test.cc compares a loaded state with a replay.
#include "rules/state.h"

#include <algorithm>

namespace cocreate {

namespace {
template <typename Ar, typename... T>
void Each(Ar& ar, T&... fields) {
  (Archive(ar, fields), ...);
}
}  // namespace

// The records, field by field (found by Archive through argument lookup).
template <typename Ar> void Fields(Ar& ar, JsonDigest& d) { Each(ar, d.hi, d.lo); }
template <typename Ar> void Fields(Ar& ar, State::IdFacts& f) {
  Each(ar, f.id, f.noun, f.has_request, f.request);
}
template <typename Ar> void Fields(Ar& ar, Decimal& d) {
  const auto units = static_cast<unsigned __int128>(d.units());
  uint64_t hi = static_cast<uint64_t>(units >> 64), lo = static_cast<uint64_t>(units);
  Each(ar, hi, lo);
  if constexpr (Ar::kReading) {
    d = Decimal::FromUnits(static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo));
  }
}
template <typename Ar> void Fields(Ar& ar, Organization& o) {
  Each(ar, o.id, o.external_id, o.name, o.description, o.attributes, o.created_at, o.closed,
       o.updated_at);
}
template <typename Ar> void Fields(Ar& ar, ConsumerGroup& g) {
  Each(ar, g.id, g.name, g.owner, g.members, g.created_at, g.updated_at);
}
template <typename Ar> void Fields(Ar& ar, ResourceVersion& v) {
  Each(ar, v.version, v.owner, v.kind, v.name, v.attributes, v.at, v.provision, v.seq);
}
template <typename Ar> void Fields(Ar& ar, Resource& r) {
  Each(ar, r.id, r.external_id, r.origin_provision, r.versions, r.retired, r.retired_at);
}
template <typename Ar> void Fields(Ar& ar, DegradedBy& d) {
  Each(ar, d.resource, d.service, d.relationship);
}
template <typename Ar> void Fields(Ar& ar, Service& s) {
  Each(ar, s.id, s.external_id, s.provider, s.name, s.description, s.built_on, s.depends_on,
       s.created_at, s.updated_at, s.retired, s.degraded_by, s.seq);
}
template <typename Ar> void Fields(Ar& ar, Good& g) { Each(ar, g.kind, g.name); }
template <typename Ar> void Fields(Ar& ar, ServiceAction& a) { Each(ar, a.name, a.effect); }
template <typename Ar> void Fields(Ar& ar, ServiceLevel& l) {
  Each(ar, l.metric, l.objective, l.unit, l.target);
}
template <typename Ar> void Fields(Ar& ar, Price& p) { Each(ar, p.amount, p.currency, p.period); }
template <typename Ar> void Fields(Ar& ar, Offering& o) {
  Each(ar, o.id, o.external_id, o.provider, o.service, o.name, o.audience_public,
       o.audience_groups, o.goods, o.access, o.actions, o.service_levels, o.price, o.created_at,
       o.updated_at, o.version, o.retired, o.seq);
}
template <typename Ar> void Fields(Ar& ar, Person& p) {
  Each(ar, p.id, p.organization, p.name, p.email, p.created_at, p.given_name, p.family_name);
}
template <typename Ar> void Fields(Ar& ar, OrderItem& i) {
  Each(ar, i.id, i.action, i.relationship, i.provision);
}
template <typename Ar> void Fields(Ar& ar, ServiceOrder& o) {
  Each(ar, o.id, o.orderer, o.description, o.external_id, o.items, o.created_at);
}
template <typename Ar> void Fields(Ar& ar, PartyRole& r) {
  Each(ar, r.id, r.name, r.engaged_party, r.owner, r.details, r.created_at, r.updated_at,
       r.removed);
}
template <typename Ar> void Fields(Ar& ar, RoleAssignment& a) {
  Each(ar, a.person, a.role, a.organization, a.assigned_at);
}
template <typename Ar> void Fields(Ar& ar, Agreement& a) {
  Each(ar, a.version, a.type, a.service_levels, a.price, a.start, a.end, a.renewal, a.proposal,
       a.at);
}
template <typename Ar> void Fields(Ar& ar, Relationship& r) {
  Each(ar, r.id, r.offering, r.provider, r.consumer, r.type, r.status, r.requested_at,
       r.updated_at, r.activated_at, r.agreements, r.roles);
}
template <typename Ar> void Fields(Ar& ar, Proposal& p) {
  Each(ar, p.id, p.relationship, p.by, p.status, p.changes, p.note, p.created_at, p.closed_at,
       p.reason);
}
template <typename Ar> void Fields(Ar& ar, Cost& c) { Each(ar, c.amount, c.currency, c.kind); }
template <typename Ar> void Fields(Ar& ar, Risk& r) { Each(ar, r.description, r.kind); }
template <typename Ar> void Fields(Ar& ar, Value& v) { Each(ar, v.outcomes, v.costs, v.risks); }
template <typename Ar> void Fields(Ar& ar, Period& p) { Each(ar, p.start, p.end); }
template <typename Ar> void Fields(Ar& ar, Measurement& m) {
  Each(ar, m.id, m.relationship, m.by, m.metric, m.value, m.period, m.note, m.objective, m.unit,
       m.target, m.met, m.agreement_version, m.at, m.end_ms);
}
template <typename Ar> void Fields(Ar& ar, ServiceRequest& r) {
  Each(ar, r.id, r.relationship, r.consumer, r.provider, r.action, r.note, r.details, r.status,
       r.opened_at, r.closed_at, r.provision, r.reason);
}
template <typename Ar> void Fields(Ar& ar, ValueRecord& v) {
  Each(ar, v.id, v.relationship, v.party, v.value, v.period, v.note, v.at);
}
template <typename Ar> void Fields(Ar& ar, ModifiedResource& m) { Each(ar, m.resource, m.version); }
template <typename Ar> void Fields(Ar& ar, Provision& p) {
  Each(ar, p.id, p.relationship, p.action, p.provider, p.consumer, p.used, p.created, p.modified,
       p.transferred, p.value, p.request, p.at, p.seq);
}
template <typename Ar> void Fields(Ar& ar, Evidence& e) {
  Each(ar, e.service, e.resource, e.provision, e.relationship, e.provider);
}
template <typename Ar> void Fields(Ar& ar, RoleTransition& t) { Each(ar, t.at, t.evidence); }
template <typename Ar> void Fields(Ar& ar, Event& e) {
  Each(ar, e.seq, e.type, e.at, e.actor, e.subject, e.data, e.private_data);
}
template <typename Ar> void Fields(Ar& ar, Principal& p) {
  Each(ar, p.role, p.organization, p.person, p.system);
}
template <typename Ar> void Fields(Ar& ar, RoleRecord& r) {
  Each(ar, r.consumer_since, r.provider_since, r.transitions);
}
template <typename Ar> void Fields(Ar& ar, TokenRecord& t) {
  Each(ar, t.id, t.principal, t.created_at, t.expires_at, t.digest);
}
template <typename Ar> void Fields(Ar& ar, WebhookRecord& w) {
  Each(ar, w.id, w.organization, w.url, w.events, w.exclude_actors, w.secret, w.created_at, w.seq,
       w.deleted, w.request);
}
template <typename Ar> void Fields(Ar& ar, RelationshipChange& c) {
  Each(ar, c.seq, c.type, c.status);
}
template <typename Ar> void Fields(Ar& ar, TouchRecord& t) { Each(ar, t.provision, t.how); }

template <typename Ar>
void State::Members(Ar& ar) {
  Each(ar, last_seq_, breaches_, orgs_, groups_, resources_, services_, offerings_,
       relationships_, provisions_);
  ArchiveIdFacts(ar);
  Each(ar, tokens_, token_digests_, token_order_, webhooks_, webhook_order_, roles_);
  for (auto& ids : order_) Archive(ar, ids);
  for (auto& ids : external_ids_) Archive(ar, ids);
  Each(ar, proposals_, service_history_, offering_history_, relationship_history_, grants_,
       last_grant_, persons_, party_roles_, party_role_order_, service_orders_,
       service_order_ids_, measurements_, service_requests_, value_records_, people_of_,
       measurements_of_, requests_of_, value_records_of_, breaches_reaching_, with_end_,
       proposals_of_, built_on_, accessing_, depending_, offerings_of_, relationships_on_,
       provisions_in_, relationships_of_, groups_of_, services_of_, touches_, owned_);
}

// What each id names (noun_of_, request_of_) is indexed by handles, which
// differ between processes: it is written as (id, facts) pairs, in text
// order for canonical bytes.
template <typename Ar>
void State::ArchiveIdFacts(Ar& ar) {
  std::vector<IdFacts> facts;
  if constexpr (!Ar::kReading) {
    for (uint32_t i = 1; i < noun_of_.size(); ++i) {
      if (noun_of_[i] == kNotNoun && request_of_[i] == 0) continue;
      IdFacts f{Id::AtIndex(i), noun_of_[i], request_of_[i] != 0, {}};
      if (f.has_request) f.request = request_digests_[request_of_[i] - 1];
      facts.push_back(f);
    }
    if (ar.canonical) {
      std::sort(facts.begin(), facts.end(),
                [](const IdFacts& a, const IdFacts& b) { return a.id.str() < b.id.str(); });
    }
  }
  Archive(ar, facts);
  if constexpr (Ar::kReading) {
    for (const IdFacts& f : facts) {
      if (f.id.empty() ||
          (f.noun != kNotNoun && (f.noun < 0 || f.noun > static_cast<int64_t>(Noun::kProvision)))) {
        ar.Fail();
        return;
      }
      CoverIndex(f.id.index());
      noun_of_[f.id.index()] = static_cast<uint8_t>(f.noun);
      if (f.has_request) {
        request_digests_.push_back(f.request);
        request_of_[f.id.index()] = static_cast<uint32_t>(request_digests_.size());
      }
    }
  }
}

// Ids (model/id.h) are written as numbers, 1.. in the order first met,
// and the table of their texts after the members: a load interns each text
// once, not once per reference (a 1 M-object state holds about 10 M), and
// the table holds only the ids the state holds. Layout: a flag, the
// members, the table, then the members' and the table's lengths (8 bytes
// each), so that a load finds the table first from the end, and the writer
// never goes back over what it wrote (a checkpoint streams to its file).
// Canonical bytes (tests compare them) write texts inline.
void State::Save(BinaryWriter& out) const {
  const bool table = !out.canonical;
  out.U64(table ? 1 : 0);
  if (!table) {
    const_cast<State*>(this)->Members(out);
    return;
  }
  const size_t start = out.size();
  BinaryWriter::IdNumbers numbers;
  numbers.number.resize(Id::Count(), 0);
  out.handles = &numbers;
  // Members only reads when writing; one list serves both directions.
  const_cast<State*>(this)->Members(out);
  out.handles = nullptr;
  const size_t members = out.size() - start;
  out.U64(numbers.ids.size());
  for (Id id : numbers.ids) out.Bytes(id.str());
  const size_t texts = out.size() - start - members;
  out.Fixed64(members);
  out.Fixed64(texts);
}

Status State::Load(BinaryReader& in) {
  State loaded;
  const uint64_t table = in.U64();
  std::vector<Id> ids;
  uint64_t members = 0;
  uint64_t texts = 0;
  if (table > 1) in.Fail();
  if (table == 1) {
    // The state is the last of what `in` reads: its lengths end it.
    std::string_view rest = in.Remaining();
    if (rest.size() < 16) {
      in.Fail();
    } else {
      BinaryReader lengths(rest.substr(rest.size() - 16));
      members = lengths.Fixed64();
      texts = lengths.Fixed64();
      if (members > rest.size() - 16 || texts != rest.size() - 16 - members) {
        in.Fail();
      } else {
        BinaryReader table_in(rest.substr(members, texts));
        const size_t count = table_in.Count();
        ids.reserve(count + 1);
        ids.emplace_back();
        for (size_t i = 0; i < count && table_in.ok(); ++i) ids.emplace_back(table_in.Bytes());
        if (!table_in.ok() || !table_in.done()) in.Fail();
      }
    }
    in.handles = &ids;
  }
  const size_t start = in.position();
  loaded.Members(in);
  in.handles = nullptr;
  if (table == 1 && in.ok()) {
    if (in.position() - start != members) in.Fail();
    in.Skip(texts + 16);
  }
  if (!in.ok()) {
    return Status(Code::kInternal, "bad_checkpoint",
                  "the checkpoint's state is cut short or malformed");
  }
  CC_RETURN_IF_ERROR(loaded.CheckLoaded());
  *this = std::move(loaded);
  return Status::Ok();
}

// A checkpoint is trusted once its checksum passes; this checks only what
// readers follow without looking: every id in a noun's creation order has
// its record under that id and is known as that noun, every id a reverse
// index or a service lists names an object of the noun it should, and a
// resource has a version. A forged checkpoint could otherwise crash a read;
// wrong but well-formed data is not found (docs/operations.md).
Status State::CheckLoaded() const {
  auto is = [this](Id id, Noun noun) {
    return id.index() < noun_of_.size() && noun_of_[id.index()] == static_cast<uint8_t>(noun);
  };
  auto bad = [](const std::string& what) {
    return Status(Code::kInternal, "bad_checkpoint",
                  "the checkpoint's state is inconsistent: " + what);
  };
  // An id as a message shows it: a forged one may be megabytes long, or
  // not text at all.
  auto shown = [](std::string_view id) {
    std::string out(id.substr(0, 64));
    for (char& c : out) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    return id.size() > 64 ? out + "..." : out;
  };
  auto records = [&](Noun noun, const auto& map) -> Status {
    for (Id id : order_[static_cast<size_t>(noun)]) {
      auto it = map.find(id);
      if (it == map.end() || it->second.id != id.str() || !is(id, noun)) {
        return bad(std::string(NounName(noun)) + " '" + shown(id.str()) + "'");
      }
    }
    for (const auto& [id, record] : map) {
      if (!is(id, noun)) return bad(std::string(NounName(noun)) + " '" + shown(id.str()) + "'");
    }
    return Status::Ok();
  };
  CC_RETURN_IF_ERROR(records(Noun::kOrganization, orgs_));
  CC_RETURN_IF_ERROR(records(Noun::kConsumerGroup, groups_));
  CC_RETURN_IF_ERROR(records(Noun::kResource, resources_));
  CC_RETURN_IF_ERROR(records(Noun::kService, services_));
  CC_RETURN_IF_ERROR(records(Noun::kOffering, offerings_));
  CC_RETURN_IF_ERROR(records(Noun::kRelationship, relationships_));
  CC_RETURN_IF_ERROR(records(Noun::kProvision, provisions_));
  for (const auto& [id, r] : resources_) {
    if (r.versions.empty()) return bad("resource '" + shown(id.str()) + "' has no version");
  }
  auto all = [&](const auto& ids, Noun noun, const char* what) -> Status {
    for (Id id : ids) {
      if (!is(id, noun)) return bad(std::string(what) + " lists '" + shown(id.str()) + "'");
    }
    return Status::Ok();
  };
  for (const auto& [id, s] : services_) {
    CC_RETURN_IF_ERROR(all(s.built_on, Noun::kResource, "a service's built_on"));
    CC_RETURN_IF_ERROR(all(s.depends_on, Noun::kService, "a service's depends_on"));
  }
  const std::pair<const Index*, Noun> indexes[] = {
      {&built_on_, Noun::kService},           {&depending_, Noun::kService},
      {&services_of_, Noun::kService},        {&accessing_, Noun::kOffering},
      {&offerings_of_, Noun::kOffering},      {&relationships_on_, Noun::kRelationship},
      {&relationships_of_, Noun::kRelationship}, {&provisions_in_, Noun::kProvision},
      {&groups_of_, Noun::kConsumerGroup}};
  for (const auto& [index, noun] : indexes) {
    for (const auto& [key, ids] : *index) CC_RETURN_IF_ERROR(all(ids, noun, "an index"));
  }
  for (const auto& [org, ids] : owned_) CC_RETURN_IF_ERROR(all(ids, Noun::kResource, "an owner's resources"));
  for (const auto& [key, ids] : grants_) CC_RETURN_IF_ERROR(all(ids, Noun::kRelationship, "a grant"));
  // The records that lists by relationship, organization or creation
  // order lead to, which reads take as there.
  auto held = [&](const auto& ids, const auto& map, const char* what) -> Status {
    for (const auto& id : ids) {
      const std::string_view key = id;
      if (map.find(std::string(key)) == map.end()) {
        return bad(std::string(what) + " '" + shown(key) + "' is missing");
      }
    }
    return Status::Ok();
  };
  auto held_by = [&](const Index& index, const auto& map, const char* what) -> Status {
    for (const auto& [key, ids] : index) CC_RETURN_IF_ERROR(held(ids, map, what));
    return Status::Ok();
  };
  CC_RETURN_IF_ERROR(held_by(measurements_of_, measurements_, "measurement"));
  CC_RETURN_IF_ERROR(held_by(people_of_, persons_, "person"));
  CC_RETURN_IF_ERROR(held_by(requests_of_, service_requests_, "request"));
  CC_RETURN_IF_ERROR(held_by(value_records_of_, value_records_, "value record"));
  CC_RETURN_IF_ERROR(held_by(proposals_of_, proposals_, "proposal"));
  CC_RETURN_IF_ERROR(held(service_order_ids_, service_orders_, "service order"));
  CC_RETURN_IF_ERROR(held(party_role_order_, party_roles_, "party role"));
  return Status::Ok();
}

}  // namespace cocreate
