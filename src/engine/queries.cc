// The read side of the engine: every GET answer, with visibility applied.
#include <algorithm>
#include <cstdio>
#include <set>
#include <unordered_set>

#include "engine/answers.h"
#include "engine/engine.h"
#include "graph/questions.h"
#include "model/codec.h"
#include "rules/visibility.h"

namespace cocreate {

std::string Done(rapidjson::StringBuffer& buf) { return std::string(buf.GetString(), buf.GetSize()); }

void WriteTimeOrNull(JsonWriter& w, std::string_view key, const std::string& at) {
  WriteKey(w, key);
  if (at.empty()) {
    w.Null();
  } else {
    WriteString(w, at);
  }
}

void BeginList(JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "items");
  w.StartArray();
}

void EndItems(JsonWriter& w, int64_t total, const ListQuery& q) {
  w.EndArray();
  WriteKey(w, "total");
  w.Int64(total);
  WriteKey(w, "limit");
  w.Int64(q.limit);
  WriteKey(w, "offset");
  w.Int64(q.offset);
}

void EndList(JsonWriter& w, int64_t total, const ListQuery& q) {
  EndItems(w, total, q);
  w.EndObject();
}

bool Exists(const State& s, const Principal& p, Noun noun, const std::string& id) {
  const Noun* n = s.FindNoun(id);
  return n != nullptr && *n == noun && CanSee(s, p, noun, id);
}

Status NoSuch(Noun noun, const std::string& id) {
  return NotFound("no " + std::string(NounName(noun)) + " '" + id + "'");
}

namespace {

// The object as `p` may see it: with every id it may not see redacted
// (CONTRACT §7), except in its own objects (§9.7).
void EncodeObject(const State& s, const Principal& p, Noun noun, const std::string& id,
                  JsonWriter& w) {
  VisibleIds visible(s, p);
  const IdFilter* f = Redacts(s, p, noun, id) ? &visible : nullptr;
  switch (noun) {
    case Noun::kOrganization: Encode(*s.FindOrganization(id), w); break;
    case Noun::kConsumerGroup: {
      const ConsumerGroup& g = *s.FindGroup(id);
      OnlySelf self(p.organization);
      bool hides = !p.is_admin() && !g.owner.empty() && g.owner != p.organization;
      Encode(g, w, hides ? &self : nullptr);
      break;
    }
    case Noun::kResource: Encode(*s.FindResource(id), w, f); break;
    case Noun::kService: Encode(*s.FindService(id), w, f); break;
    case Noun::kOffering: Encode(*s.FindOffering(id), w, f); break;
    case Noun::kRelationship: Encode(*s.FindRelationship(id), w, f); break;
    case Noun::kProvision: Encode(*s.FindProvision(id), w, f); break;
  }
}



}  // namespace

std::vector<std::string_view> ListFilters(Noun noun) {
  switch (noun) {
    case Noun::kOrganization: return {"status", "external_id"};
    case Noun::kConsumerGroup: return {"owner"};
    case Noun::kResource: return {"owner", "kind", "status", "external_id"};
    case Noun::kService: return {"provider", "status", "external_id"};
    case Noun::kOffering: return {"provider", "service", "status", "external_id"};
    case Noun::kRelationship: return {"provider", "consumer", "offering", "status", "type"};
    case Noun::kProvision: return {"relationship", "provider", "consumer", "action"};
    default: return {};
  }
}

namespace {

// The value of list filter `key` on an object, or nullopt when `key` is not
// a filter of that noun (ListFilters).
std::optional<std::string> FilterField(const State& s, Noun noun, const std::string& id,
                                       const std::string& key) {
  switch (noun) {
    case Noun::kOrganization:
      if (key == "status") return std::string(s.FindOrganization(id)->closed ? "closed" : "active");
      if (key == "external_id") return s.FindOrganization(id)->external_id;
      break;
    case Noun::kConsumerGroup:
      if (key == "owner") return s.FindGroup(id)->owner;
      break;
    case Noun::kResource: {
      const Resource& r = *s.FindResource(id);
      const ResourceVersion& v = r.current();
      if (key == "owner") return v.owner;
      if (key == "kind") return v.kind;
      if (key == "status") return std::string(r.retired ? "retired" : "active");
      if (key == "external_id") return r.external_id;
      break;
    }
    case Noun::kService: {
      const Service& x = *s.FindService(id);
      if (key == "provider") return x.provider;
      if (key == "status") return std::string(x.status());
      if (key == "external_id") return x.external_id;
      break;
    }
    case Noun::kOffering: {
      const Offering& o = *s.FindOffering(id);
      if (key == "provider") return o.provider;
      if (key == "service") return o.service;
      if (key == "status") return std::string(o.retired ? "retired" : "active");
      if (key == "external_id") return o.external_id;
      break;
    }
    case Noun::kRelationship: {
      const Relationship& r = *s.FindRelationship(id);
      if (key == "provider") return r.provider;
      if (key == "consumer") return r.consumer;
      if (key == "offering") return r.offering;
      if (key == "status") return std::string(RelationshipStatusName(r.status));
      if (key == "type") return std::string(RelationshipTypeName(r.type));
      break;
    }
    case Noun::kProvision: {
      const Provision& p = *s.FindProvision(id);
      if (key == "relationship") return p.relationship;
      if (key == "provider") return p.provider;
      if (key == "consumer") return p.consumer;
      if (key == "action") return p.action;
      break;
    }
    default: break;
  }
  return std::nullopt;
}


}  // namespace


std::string Engine::EncodeOutcome(const Principal& p, Noun noun, const std::string& id,
                                  int64_t version) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (version > 0 && noun == Noun::kResource) {
    const Resource& r = *state_.FindResource(id);
    VisibleIds visible(state_, p);
    const IdFilter* filter = Redacts(state_, p, Noun::kResource, id) ? &visible : nullptr;
    EncodeVersion(r, r.versions.at(static_cast<size_t>(version - 1)), w, filter);
  } else {
    EncodeObject(state_, p, noun, id, w);
  }
  return Done(buf);
}

StatusOr<std::string> Engine::Get(const Principal& p, Noun noun, const std::string& id) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, noun, id)) return NoSuch(noun, id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  EncodeObject(state_, p, noun, id, w);
  return Done(buf);
}

StatusOr<std::string> Engine::List(const Principal& p, Noun noun, const ListQuery& q) const {
  ReadLock lock(*this);
  const auto& ids = state_.Ids(noun);
  for (const auto& [key, value] : q.filters) {
    auto names = ListFilters(noun);
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      return InvalidField(key, "'" + key + "' is not a filter of " +
                                   std::string(CollectionName(noun)));
    }
    // A misspelt status would silently answer nothing: name the ones there are.
    if (key == "status") {
      std::vector<std::string_view> statuses;
      switch (noun) {
        case Noun::kOrganization: statuses = {"active", "closed"}; break;
        case Noun::kService: statuses = {"active", "retired", "degraded"}; break;
        case Noun::kRelationship:
          statuses = {"requested", "active", "suspended", "terminated", "rejected"};
          break;
        default: statuses = {"active", "retired"}; break;
      }
      if (std::find(statuses.begin(), statuses.end(), value) == statuses.end()) {
        std::string list;
        for (auto st : statuses) list += (list.empty() ? "" : ", ") + std::string(st);
        return InvalidField("status", "'status' of " + std::string(CollectionName(noun)) +
                                          " is one of " + list);
      }
    }
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = 0;
  for (const auto& id : ids) {
    if (!CanSee(state_, p, noun, id)) continue;
    bool match = true;
    for (const auto& [key, value] : q.filters) {
      match = match && FilterField(state_, noun, id, key) == value;
    }
    if (!match) continue;
    if (total >= q.offset && total < q.offset + q.limit) EncodeObject(state_, p, noun, id, w);
    ++total;
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::Versions(const Principal& p, const std::string& id) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kResource, id)) return NoSuch(Noun::kResource, id);
  const Resource& r = *state_.FindResource(id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "items");
  w.StartArray();
  VisibleIds visible(state_, p);
  const IdFilter* filter = Redacts(state_, p, Noun::kResource, id) ? &visible : nullptr;
  for (const auto& v : r.versions) EncodeVersion(r, v, w, filter);
  w.EndArray();
  WriteKey(w, "total");
  w.Int64(static_cast<int64_t>(r.versions.size()));
  w.EndObject();
  return Done(buf);
}

StatusOr<std::string> Engine::OfferingVersions(const Principal& p, const std::string& id,
                                               const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kOffering, id)) return NoSuch(Noun::kOffering, id);
  VisibleIds visible(state_, p);
  const IdFilter* filter = Redacts(state_, p, Noun::kOffering, id) ? &visible : nullptr;
  const std::vector<const Offering*> versions = state_.OfferingVersions(id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = static_cast<int64_t>(versions.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    // Each version as it was made: active (retiring makes no version).
    Offering v = *versions[static_cast<size_t>(i)];
    v.retired = false;
    Encode(v, w, filter);
  }
  EndList(w, total, q);
  return Done(buf);
}

std::string Engine::EncodeProposal(const std::string& id) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Encode(*state_.FindProposal(id), w);
  return Done(buf);
}

StatusOr<std::string> Engine::Agreement(const Principal& p, const std::string& rel) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel)) return NoSuch(Noun::kRelationship, rel);
  const Relationship& r = *state_.FindRelationship(rel);
  if (r.agreements.empty()) {
    return NotFound("relationship '" + rel + "' has no agreement yet: it comes with activation");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Encode(r.agreements.back(), w);
  return Done(buf);
}

StatusOr<std::string> Engine::Agreements(const Principal& p, const std::string& rel,
                                         const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel)) return NoSuch(Noun::kRelationship, rel);
  const Relationship& r = *state_.FindRelationship(rel);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  const int64_t total = static_cast<int64_t>(r.agreements.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    Encode(r.agreements[static_cast<size_t>(i)], w);
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::ProposalOf(const Principal& p, const std::string& id) const {
  ReadLock lock(*this);
  const Proposal* proposal = state_.FindProposal(id);
  if (proposal == nullptr || !CanSee(state_, p, Noun::kRelationship, proposal->relationship)) {
    return NotFound("no proposal '" + id + "'");
  }
  return EncodeProposal(id);
}

StatusOr<std::string> Engine::Proposals(const Principal& p, const std::string& rel,
                                        const ListQuery& q) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kRelationship, rel)) return NoSuch(Noun::kRelationship, rel);
  const auto& ids = state_.ProposalsOf(rel);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = static_cast<int64_t>(ids.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    Encode(*state_.FindProposal(ids[static_cast<size_t>(i)]), w);
  }
  EndList(w, total, q);
  return Done(buf);
}

StatusOr<std::string> Engine::Roles(const Principal& p, const std::string& org) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kOrganization, org)) return NoSuch(Noun::kOrganization, org);
  static const RoleRecord kNone;
  const RoleRecord* roles = state_.FindRoles(org);
  if (roles == nullptr) roles = &kNone;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "organization");
  WriteString(w, org);
  WriteTimeOrNull(w, "consumer_since", roles->consumer_since);
  WriteTimeOrNull(w, "provider_since", roles->provider_since);
  WriteKey(w, "transitions");
  w.StartArray();
  for (const auto& t : roles->transitions) {
    w.StartObject();
    WriteKey(w, "at");
    WriteString(w, t.at.str());
    WriteKey(w, "from");
    WriteString(w, "consumer");
    WriteKey(w, "to");
    WriteString(w, "provider");
    WriteKey(w, "evidence");
    w.StartArray();
    int64_t left_out = 0;
    VisibleIds visible(state_, p);
    for (const auto& e : t.evidence) {
      if (p.is_admin() || ShowsEvidence(visible, e)) {
        Encode(e, w);
      } else {
        ++left_out;
      }
    }
    w.EndArray();
    if (left_out > 0) {  // CONTRACT §9.8
      WriteKey(w, "redacted");
      w.StartObject();
      WriteKey(w, "evidence");
      w.Int64(left_out);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(buf);
}

namespace {

void WriteToken(const TokenRecord& t, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "id");
  WriteString(w, t.id);
  WriteKey(w, "organization");
  WriteString(w, t.principal.organization);
  WriteKey(w, "role");
  WriteString(w, RoleName(t.principal.role));
  if (!t.principal.person.empty()) {
    WriteKey(w, "person");
    WriteString(w, t.principal.person);
  }
  WriteKey(w, "created_at");
  WriteString(w, t.created_at);
  if (!t.expires_at.empty()) {
    WriteKey(w, "expires_at");
    WriteString(w, t.expires_at);
  }
  w.EndObject();
}

}  // namespace

std::string Engine::EncodeToken(const std::string& id) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteToken(*state_.FindTokenById(id), w);
  return Done(buf);
}

StatusOr<std::string> Engine::Tokens(const Principal& p, const ListQuery& q) const {
  if (!p.can_write()) return Forbidden("a viewer token may not list tokens");
  ReadLock lock(*this);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = 0;
  for (const auto& id : state_.TokenIds()) {
    const TokenRecord* t = state_.FindTokenById(id);  // nullptr once revoked
    if (t == nullptr || (!p.is_admin() && t->principal.organization != p.organization)) continue;
    if (total >= q.offset && total < q.offset + q.limit) WriteToken(*t, w);
    ++total;
  }
  EndList(w, total, q);
  return Done(buf);
}

}  // namespace cocreate
