// The read side of the engine: every GET answer, with visibility applied.
#include <algorithm>
#include <cstdio>
#include <set>
#include <unordered_set>

#include "engine/answers.h"
#include "engine/engine.h"
#include "graph/questions.h"
#include "graph/traversal.h"
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

// Writes `{organizations, relationships}` of a chain or cycle when `p` may
// see every relationship in it; otherwise counts it in `redacted`.
void WriteIfEveryHopVisible(const State& s, const Principal& p,
                            const std::vector<std::string>& organizations,
                            const std::vector<std::string>& relationships, JsonWriter& w,
                            int64_t& redacted) {
  for (const auto& id : relationships) {
    if (!CanSee(s, p, Noun::kRelationship, id)) {
      ++redacted;
      return;
    }
  }
  w.StartObject();
  WriteKey(w, "organizations");
  EncodeStrings(organizations, w);
  WriteKey(w, "relationships");
  EncodeStrings(relationships, w);
  w.EndObject();
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

void EncodeEvent(const State& s, const Principal& p, const Event& e, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "seq");
  w.Int64(e.seq);
  WriteKey(w, "type");
  WriteString(w, e.type);
  WriteKey(w, "at");
  WriteString(w, e.at);
  WriteKey(w, "actor");
  WriteString(w, e.actor);
  WriteKey(w, "subject");
  WriteString(w, e.subject);
  WriteKey(w, "data");
  if (p.is_admin()) {
    e.data.Write(w);
  } else {
    VisibleEventData(s, p, e).Write(w);
  }
  w.EndObject();
}

}  // namespace

std::string Engine::EncodeEventFor(const Principal& p, const Event& e) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  EncodeEvent(state_, p, e, w);
  return Done(buf);
}

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
  std::shared_lock lock(state_mu_);
  if (!Exists(state_, p, noun, id)) return NoSuch(noun, id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  EncodeObject(state_, p, noun, id, w);
  return Done(buf);
}

StatusOr<std::string> Engine::List(const Principal& p, Noun noun, const ListQuery& q) const {
  std::shared_lock lock(state_mu_);
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
  std::shared_lock lock(state_mu_);
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
  std::shared_lock lock(state_mu_);
  if (!Exists(state_, p, Noun::kOffering, id)) return NoSuch(Noun::kOffering, id);
  VisibleIds visible(state_, p);
  const IdFilter* filter = Redacts(state_, p, Noun::kOffering, id) ? &visible : nullptr;
  const std::vector<Offering>& versions = state_.OfferingVersions(id);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  BeginList(w);
  int64_t total = static_cast<int64_t>(versions.size());
  for (int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    // Each version as it was made; `status` is the offering's now.
    Offering v = versions[static_cast<size_t>(i)];
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
  std::shared_lock lock(state_mu_);
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
  std::shared_lock lock(state_mu_);
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
  std::shared_lock lock(state_mu_);
  const Proposal* proposal = state_.FindProposal(id);
  if (proposal == nullptr || !CanSee(state_, p, Noun::kRelationship, proposal->relationship)) {
    return NotFound("no proposal '" + id + "'");
  }
  return EncodeProposal(id);
}

StatusOr<std::string> Engine::Proposals(const Principal& p, const std::string& rel,
                                        const ListQuery& q) const {
  std::shared_lock lock(state_mu_);
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
  std::shared_lock lock(state_mu_);
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
    WriteString(w, t.at);
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

// REQUIRES: state_mu_ held.
StatusOr<NodeId> Engine::ImpactLocked(const Principal& p, const std::string& from, int depth,
                                      bool explain, Reached& reached,
                                      std::vector<bool>& visible) const {
  // The index knows every object; only an organization's token needs the
  // visibility rules for the start.
  NodeId start = graph_.Find(from);
  if (start == kNoNode || (!p.is_admin() && !CanSeeId(state_, p, from))) {
    return NotFound("nothing visible is named '" + from + "'");
  }
  Noun noun = graph_.NounOf(start);
  if (noun == Noun::kConsumerGroup) {
    return Unprocessable("invalid_start", "a consumer group is no start for an impact walk",
                         "from");
  }
  thread_local std::vector<NodeId> starts;
  starts.clear();
  if (noun == Noun::kOrganization) {
    // The walk starts at all its resources and services, one edge away.
    for (const auto& r : state_.ResourcesOwnedBy(from)) starts.push_back(graph_.Find(r));
    for (const auto& s : state_.ServicesOf(from)) starts.push_back(graph_.Find(s));
  }
  // Any other start's own edges are the first step.
  graph_.WalkDownstream(starts, start, depth, explain, reached, noun != Noun::kOrganization);
  visible.clear();
  if (!p.is_admin()) {
    visible.resize(reached.nodes.size());
    // Hidden nodes are walked through (a failure does not stop at what the
    // caller may not see) and counted, never named.
    // What the caller owns or provides, public offerings and their services,
    // and the directory, it sees without asking the rules; the rest goes
    // through them.
    const NodeId self = graph_.Find(p.organization);
    std::string id;
    for (size_t i = 0; i < reached.nodes.size(); ++i) {
      NodeId n = reached.nodes[i];
      Noun noun = graph_.NounOf(n);
      if (noun == Noun::kOrganization || graph_.Public(n) ||
          (self != kNoNode && graph_.OrganizationOf(n) == self)) {
        visible[i] = true;
        continue;
      }
      id.assign(graph_.Id(n));
      visible[i] = CanSee(state_, p, noun, id);
    }
  }
  return start;
}

StatusOr<ImpactSummary> Engine::ImpactCounts(const Principal& p, const std::string& from,
                                             int depth) const {
  std::shared_lock lock(state_mu_);
  thread_local Reached reached;  // keeps its capacity from walk to walk
  thread_local std::vector<bool> visible;
  CC_RETURN_IF_ERROR(ImpactLocked(p, from, depth, false, reached, visible).status());
  ImpactSummary out;
  if (p.is_admin()) {
    out.affected = static_cast<int64_t>(reached.nodes.size());
    std::copy(std::begin(reached.by_noun), std::end(reached.by_noun), std::begin(out.counts));
    return out;
  }
  for (size_t i = 0; i < reached.nodes.size(); ++i) {
    if (!visible[i]) {
      ++out.redacted;
      continue;
    }
    ++out.affected;
    ++out.counts[static_cast<size_t>(graph_.NounOf(reached.nodes[i]))];
  }
  return out;
}

StatusOr<std::string> Engine::Impact(const Principal& p, const std::string& from, int depth,
                                     bool explain) const {
  std::shared_lock lock(state_mu_);
  Reached reached;
  std::vector<bool> visible;
  CC_RETURN_IF_ERROR(ImpactLocked(p, from, depth, explain, reached, visible).status());
  std::map<std::string_view, int64_t> counts;
  int64_t redacted = 0;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "from");
  WriteString(w, from);
  WriteKey(w, "affected");
  w.StartArray();
  auto shown = [&](size_t i) { return visible.empty() || visible[i]; };
  uint32_t at_depth = 1;
  for (size_t i = 0; i < reached.nodes.size(); ++i) {
    NodeId n = reached.nodes[i];
    at_depth = reached.DepthOf(i, at_depth);
    if (!shown(i)) {
      ++redacted;
      continue;
    }
    std::string_view type = NounName(graph_.NounOf(n));
    counts[type]++;
    w.StartObject();
    WriteKey(w, "id");
    WriteString(w, graph_.Id(n));
    WriteKey(w, "type");
    WriteString(w, type);
    WriteKey(w, "depth");
    w.Uint(at_depth);
    if (explain) {
      WriteKey(w, "path");
      w.StartArray();
      WriteString(w, from);
      std::vector<uint32_t> chain;
      for (uint32_t at = static_cast<uint32_t>(i); at != kNoNode; at = reached.parent[at]) {
        chain.push_back(at);
      }
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (shown(*it)) {
          WriteString(w, graph_.Id(reached.nodes[*it]));
        } else {
          w.Null();
        }
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "counts");
  w.StartObject();
  for (const auto& [type, n] : counts) {
    WriteKey(w, type);
    w.Int64(n);
  }
  w.EndObject();
  WriteKey(w, "redacted");
  w.Int64(redacted);
  w.EndObject();
  return Done(buf);
}

namespace {

// The lineage of one resource version as the caller may see it: each item
// it may not see left out and counted.
struct ShownLineage {
  LineageResult result;
  int64_t redacted = 0;
};

ShownLineage ShowLineage(const State& state, const Principal& p, LineageResult result) {
  ShownLineage out;
  auto keep = [&](std::vector<LineageItem>& items, Noun noun) {
    std::erase_if(items, [&](const LineageItem& item) {
      bool hidden = !CanSee(state, p, noun, item.id);
      out.redacted += hidden;
      return hidden;
    });
  };
  keep(result.provisions, Noun::kProvision);
  keep(result.resources, Noun::kResource);
  keep(result.services, Noun::kService);
  keep(result.offerings, Noun::kOffering);
  keep(result.relationships, Noun::kRelationship);
  std::erase_if(result.organizations, [&](const std::string& id) {
    bool hidden = !CanSee(state, p, Noun::kOrganization, id);
    out.redacted += hidden;
    return hidden;
  });
  out.result = std::move(result);
  return out;
}

const ResourceVersion& VersionOf(const State& state, const std::string& id, int64_t version) {
  return state.FindResource(id)->versions[static_cast<size_t>(version - 1)];
}

// GET /resources/{id}/lineage: each object as it stood when the walk
// reached it (CONTRACT §5, "Time").
void WriteLineageJson(const State& state, const LineageResult& l, int64_t redacted,
                      JsonWriter& w) {
  auto str = [&](std::string_view k, std::string_view v) {
    WriteKey(w, k);
    WriteString(w, v);
  };
  auto num = [&](std::string_view k, int64_t v) {
    WriteKey(w, k);
    w.Int64(v);
  };
  auto list = [&](std::string_view key, const std::vector<LineageItem>& items, auto fields) {
    WriteKey(w, key);
    w.StartArray();
    for (const auto& item : items) {
      w.StartObject();
      str("id", item.id);
      fields(item);
      w.EndObject();
    }
    w.EndArray();
  };
  w.StartObject();
  str("resource", l.resource);
  num("version", l.version);
  list("provisions", l.provisions, [&](const LineageItem& item) {
    const Provision& x = *state.FindProvision(item.id);
    str("action", x.action);
    str("relationship", x.relationship);
    str("at", x.at);
  });
  list("resources", l.resources, [&](const LineageItem& item) {
    const ResourceVersion& v = VersionOf(state, item.id, item.version);
    num("version", v.version);
    str("kind", v.kind);
    str("name", v.name);
    str("owner", v.owner);
  });
  list("services", l.services, [&](const LineageItem& item) {
    const Service& x = *state.ServiceAt(item.id, item.seq);
    str("name", x.name);
    str("provider", x.provider);
  });
  list("offerings", l.offerings, [&](const LineageItem& item) {
    const Offering& x = *state.OfferingAt(item.id, item.seq);
    num("version", x.version);
    str("name", x.name);
    str("provider", x.provider);
  });
  list("relationships", l.relationships, [&](const LineageItem& item) {
    const Relationship& x = *state.FindRelationship(item.id);
    const RelationshipChange& at = *state.RelationshipAt(item.id, item.seq);
    str("provider", x.provider);
    str("consumer", x.consumer);
    str("type", RelationshipTypeName(at.type));
    str("status", RelationshipStatusName(at.status));
  });
  WriteKey(w, "organizations");
  w.StartArray();
  for (const auto& id : l.organizations) {
    w.StartObject();
    str("id", id);
    str("name", state.FindOrganization(id)->name);
    w.EndObject();
  }
  w.EndArray();
  num("redacted", redacted);
  w.EndObject();
}

// ?format=prov: W3C PROV-JSON (CONTRACT §5, §9.21). Each resource version
// is an entity cc:ID@N generated exactly once: by its provision, by
// cc:revision:ID@N (an owner's revision) or by cc:create:ID (created
// directly); each version after the first is a prov:Revision of the one
// before. Provisions, revisions and creations are activities; organizations
// are agents; services, offerings and relationships are entities. A version
// whose provision the caller may not see has no generation listed.
void WriteLineageProv(const State& state, const LineageResult& l, JsonWriter& w) {
  auto str = [&](std::string_view k, std::string_view v) {
    WriteKey(w, k);
    WriteString(w, v);
  };
  // prov:type as the `prov` package writes it: a typed qualified name.
  auto type = [&](std::string_view name) {
    WriteKey(w, "prov:type");
    w.StartObject();
    str("$", name);
    str("type", "prov:QUALIFIED_NAME");
    w.EndObject();
  };
  auto q = [](std::string_view id) { return "cc:" + std::string(id); };
  auto qv = [](std::string_view id, int64_t version) {
    return "cc:" + std::string(id) + "@" + std::to_string(version);
  };
  // Every shown resource with its versions 1..N: N the highest reached.
  std::vector<std::pair<std::string, int64_t>> resources{{l.resource, l.version}};
  for (const auto& item : l.resources) {
    auto it = std::find_if(resources.begin(), resources.end(),
                           [&](const auto& r) { return r.first == item.id; });
    if (it == resources.end()) {
      resources.emplace_back(item.id, item.version);
    } else {
      it->second = std::max(it->second, item.version);
    }
  }
  std::set<std::string> provisions;
  for (const auto& item : l.provisions) provisions.insert(item.id);
  // How each version was made: the generating activity's id, or "" (hidden).
  auto activity_of = [&](const std::string& id, const ResourceVersion& v) -> std::string {
    if (!v.provision.empty()) return provisions.count(v.provision) ? q(v.provision) : "";
    if (v.version == 1) return "cc:create:" + id;
    return "cc:revision:" + id + "@" + std::to_string(v.version);
  };
  std::vector<std::string> agents = l.organizations;
  auto agent = [&](const std::string& org) {
    if (std::find(agents.begin(), agents.end(), org) == agents.end()) agents.push_back(org);
  };
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) agent(VersionOf(state, id, k).owner);
  }
  int relations = 0;
  auto relation_key = [&] { WriteKey(w, "_:r" + std::to_string(++relations)); };
  auto relation = [&](std::string_view a, const std::string& a_id, std::string_view b,
                      const std::string& b_id) {
    relation_key();
    w.StartObject();
    str(a, a_id);
    str(b, b_id);
    w.EndObject();
  };

  w.StartObject();
  WriteKey(w, "prefix");
  w.StartObject();
  str("cc", "urn:cocreate:");
  w.EndObject();

  WriteKey(w, "entity");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      WriteKey(w, qv(id, k));
      w.StartObject();
      type("cc:resource");
      str("prov:label", v.name);
      str("cc:kind", v.kind);
      WriteKey(w, "cc:version");
      w.Int64(v.version);
      w.EndObject();
    }
  }
  auto entities = [&](const std::vector<LineageItem>& items, std::string_view noun,
                      auto label) {
    for (const auto& item : items) {
      WriteKey(w, q(item.id));
      w.StartObject();
      type(noun);
      str("prov:label", label(item));
      w.EndObject();
    }
  };
  entities(l.services, "cc:service",
           [&](const LineageItem& i) { return state.ServiceAt(i.id, i.seq)->name; });
  std::set<std::string> offerings;  // one entity per offering
  std::vector<LineageItem> first_offerings;
  for (const auto& item : l.offerings) {
    if (offerings.insert(item.id).second) first_offerings.push_back(item);
  }
  entities(first_offerings, "cc:offering",
           [&](const LineageItem& i) { return state.OfferingAt(i.id, i.seq)->name; });
  entities(l.relationships, "cc:relationship", [&](const LineageItem& i) {
    return std::string(RelationshipTypeName(state.RelationshipAt(i.id, i.seq)->type)) +
           " relationship";
  });
  w.EndObject();

  WriteKey(w, "activity");
  w.StartObject();
  for (const auto& item : l.provisions) {
    const Provision& x = *state.FindProvision(item.id);
    WriteKey(w, q(item.id));
    w.StartObject();
    type("cc:provision");
    str("prov:label", x.action);
    str("prov:startTime", x.at);
    str("prov:endTime", x.at);
    w.EndObject();
  }
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      if (!v.provision.empty()) continue;
      WriteKey(w, activity_of(id, v));
      w.StartObject();
      type(k == 1 ? "cc:create" : "cc:revision");
      str("prov:startTime", v.at);
      str("prov:endTime", v.at);
      w.EndObject();
    }
  }
  w.EndObject();

  WriteKey(w, "agent");
  w.StartObject();
  for (const auto& id : agents) {
    WriteKey(w, q(id));
    w.StartObject();
    type("prov:Organization");
    str("prov:label", state.FindOrganization(id)->name);
    w.EndObject();
  }
  w.EndObject();

  WriteKey(w, "wasGeneratedBy");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      std::string activity = activity_of(id, v);
      if (activity.empty()) continue;
      relation_key();
      w.StartObject();
      str("prov:entity", qv(id, k));
      str("prov:activity", activity);
      str("prov:time", v.at);
      w.EndObject();
    }
  }
  w.EndObject();

  // A provision used each resource at the version current at its seq.
  WriteKey(w, "used");
  w.StartObject();
  for (const auto& item : l.provisions) {
    for (const auto& r : state.FindProvision(item.id)->used) {
      const ResourceVersion* v = state.FindResource(r)->AsOf(item.seq);
      auto shown = std::find_if(resources.begin(), resources.end(),
                                [&](const auto& x) { return x.first == r; });
      if (v != nullptr && shown != resources.end() && v->version <= shown->second) {
        relation("prov:activity", q(item.id), "prov:entity", qv(r, v->version));
      }
    }
  }
  w.EndObject();

  WriteKey(w, "wasAssociatedWith");
  w.StartObject();
  for (const auto& item : l.provisions) {
    relation("prov:activity", q(item.id), "prov:agent", q(state.FindProvision(item.id)->provider));
  }
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      if (v.provision.empty()) relation("prov:activity", activity_of(id, v), "prov:agent", q(v.owner));
    }
  }
  w.EndObject();

  WriteKey(w, "wasAttributedTo");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      relation("prov:entity", qv(id, k), "prov:agent", q(VersionOf(state, id, k).owner));
    }
  }
  w.EndObject();

  WriteKey(w, "wasDerivedFrom");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 2; k <= n; ++k) {
      relation_key();
      w.StartObject();
      str("prov:generatedEntity", qv(id, k));
      str("prov:usedEntity", qv(id, k - 1));
      type("prov:Revision");
      w.EndObject();
    }
  }
  // A service derives from the resource versions it was built on when reached.
  for (const auto& item : l.services) {
    const Service& s = *state.ServiceAt(item.id, item.seq);
    for (const auto& r : s.built_on) {
      const Resource* res = state.FindResource(r);
      const ResourceVersion* v = res == nullptr ? nullptr : res->AsOf(item.seq);
      auto shown = std::find_if(resources.begin(), resources.end(),
                                [&](const auto& x) { return x.first == r; });
      if (v != nullptr && shown != resources.end() && v->version <= shown->second) {
        relation("prov:generatedEntity", q(item.id), "prov:usedEntity", qv(r, v->version));
      }
    }
  }
  w.EndObject();
  // The top level holds only PROV-JSON keys: the redacted count travels in
  // the Cocreate-Redacted header.
  w.EndObject();
}

}  // namespace

StatusOr<std::string> Engine::Lineage(const Principal& p, const std::string& resource,
                                      bool prov, int64_t* redacted_out,
                                      int64_t version) const {
  std::shared_lock lock(state_mu_);
  if (!Exists(state_, p, Noun::kResource, resource)) return NoSuch(Noun::kResource, resource);
  // A walk over the state's history: the index knows only the present.
  StatusOr<LineageResult> walked = cocreate::Lineage(state_, resource, version);
  if (!walked.ok()) return walked.status();  // a version beyond the latest: 404
  ShownLineage shown = ShowLineage(state_, p, std::move(*walked));
  if (redacted_out != nullptr) *redacted_out = shown.redacted;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (prov) {
    WriteLineageProv(state_, shown.result, w);
  } else {
    WriteLineageJson(state_, shown.result, shown.redacted, w);
  }
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
  std::shared_lock lock(state_mu_);
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

StatusOr<std::vector<std::pair<int64_t, std::string>>> Engine::EventsFrom(
    const Principal& p, int64_t after, int64_t limit, int64_t max_examined,
    int64_t* examined_to) const {
  // The log is read from the store in batches, without the state lock, up
  // to the last seq the engine acknowledged (so never an event a client has
  // not been answered for); each batch is then judged under the shared lock.
  constexpr int64_t kBatch = 500;
  std::vector<std::pair<int64_t, std::string>> out;
  if (examined_to != nullptr) *examined_to = after;
  const int64_t upto = last_seq_.load();
  int64_t cursor = std::max<int64_t>(after, 0);
  int64_t examined = 0;
  while (cursor < upto && static_cast<int64_t>(out.size()) < limit) {
    int64_t batch = kBatch;
    if (max_examined >= 0) batch = std::min(batch, max_examined - examined);
    if (batch <= 0) break;
    CC_ASSIGN_OR_RETURN(std::vector<Event> events, store_->Read(cursor, upto, batch));
    if (events.empty()) break;
    std::shared_lock lock(state_mu_);
    for (Event& e : events) {
      if (static_cast<int64_t>(out.size()) >= limit) break;
      ++examined;
      cursor = e.seq;
      if (examined_to != nullptr) *examined_to = e.seq;
      e.private_data = Json();  // never shown
      if (!CanSeeEvent(state_, p, e)) continue;
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      EncodeEvent(state_, p, e, w);
      out.emplace_back(e.seq, Done(buf));
    }
  }
  return out;
}

StatusOr<std::vector<Event>> Engine::Log(int64_t after) const {
  std::vector<Event> log;
  CC_RETURN_IF_ERROR(store_->Scan(after, [&](Event e) {
    if (e.seq > last_seq_.load()) return Status::Ok();
    e.private_data = Json();
    log.push_back(std::move(e));
    return Status::Ok();
  }));
  return log;
}

StatusOr<std::string> Engine::Events(const Principal& p, int64_t after, int64_t limit) const {
  CC_ASSIGN_OR_RETURN(auto events, EventsFrom(p, after, limit));
  std::string body = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) body += ',';
    body += events[i].second;
  }
  body += "],\"next\":";
  body += std::to_string(events.empty() ? after : events.back().first);
  body += '}';
  return body;
}

StatusOr<std::string> Engine::Chains(const Principal& p, const std::string& from,
                                     const std::string& to, int limit, bool value) const {
  std::shared_lock lock(state_mu_);
  CC_ASSIGN_OR_RETURN(std::vector<Chain> chains, cocreate::Chains(state_, from, to, limit));
  int64_t redacted = 0;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "items");
  w.StartArray();
  // A chain is listed only when `p` may see every relationship in it, so
  // nobody learns who supplies whom through a hidden hop; the others count.
  for (const Chain& c : chains) {
    bool every_hop = std::all_of(c.relationships.begin(), c.relationships.end(),
                                 [&](const std::string& id) {
                                   return CanSee(state_, p, Noun::kRelationship, id);
                                 });
    if (!every_hop) {
      ++redacted;
      continue;
    }
    w.StartObject();
    WriteKey(w, "organizations");
    EncodeStrings(c.organizations, w);
    WriteKey(w, "relationships");
    EncodeStrings(c.relationships, w);
    if (value) {  // value per hop, as GET /relationships/{id}/value (CONTRACT §6)
      WriteKey(w, "value");
      w.StartArray();
      for (const auto& id : c.relationships) WriteRelationshipValue(id, TimeWindow{}, w);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "redacted");
  w.Int64(redacted);
  w.EndObject();
  return Done(buf);
}

std::string Engine::OrganizationGraph(const Principal& p) const {
  std::shared_lock lock(state_mu_);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  auto str = [&](std::string_view k, std::string_view v) {
    WriteKey(w, k);
    WriteString(w, v);
  };
  w.StartObject();
  WriteKey(w, "nodes");
  w.StartArray();
  for (const auto& id : state_.Ids(Noun::kOrganization)) {
    const Organization& o = *state_.FindOrganization(id);
    const RoleRecord* roles = state_.FindRoles(id);
    w.StartObject();
    str("id", id);
    str("name", o.name);
    WriteTimeOrNull(w, "consumer_since", roles ? roles->consumer_since : std::string());
    WriteTimeOrNull(w, "provider_since", roles ? roles->provider_since : std::string());
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "edges");
  w.StartArray();
  int64_t redacted = 0;
  for (const auto& id : state_.Ids(Noun::kRelationship)) {
    const Relationship& r = *state_.FindRelationship(id);
    if (!p.is_admin() && r.provider != p.organization && r.consumer != p.organization) {
      ++redacted;
      continue;
    }
    w.StartObject();
    str("id", id);
    str("provider", r.provider);
    str("consumer", r.consumer);
    str("offering", r.offering);
    str("type", RelationshipTypeName(r.type));
    str("status", RelationshipStatusName(r.status));
    WriteTimeOrNull(w, "activated_at", r.activated_at);
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "redacted");
  w.Int64(redacted);
  w.EndObject();
  return Done(buf);
}

std::string Engine::Cycles(const Principal& p) const {
  std::shared_lock lock(state_mu_);
  int64_t redacted = 0;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "items");
  w.StartArray();
  // As with chains (§9.9): a cycle is listed only when every relationship
  // in it is visible to `p`; the others are counted in `redacted`.
  for (const Cycle& c : cocreate::Cycles(state_)) {
    WriteIfEveryHopVisible(state_, p, c.organizations, c.relationships, w, redacted);
  }
  w.EndArray();
  WriteKey(w, "redacted");
  w.Int64(redacted);
  w.EndObject();
  return Done(buf);
}

std::string Engine::Concentration(const Principal& p, int top) const {
  // Walking from every candidate takes seconds on a large graph: it runs on
  // a snapshot of the index taken under the shared lock (so writes wait only
  // for the copy), once per seq.
  std::shared_ptr<const ConcentrationResult> computed;
  {
    std::lock_guard<std::mutex> once(concentration_mu_);
    std::optional<GraphIndex> snapshot;
    int64_t seq = 0;
    {
      std::shared_lock lock(state_mu_);
      seq = state_.last_seq();
      if (concentration_ != nullptr && concentration_seq_ == seq) {
        computed = concentration_;
      } else {
        snapshot.emplace(graph_.Snapshot());
      }
    }
    if (computed == nullptr) {
      computed = std::make_shared<const ConcentrationResult>(Concentrations(*snapshot));
      concentration_ = computed;
      concentration_seq_ = seq;
    }
  }
  const ConcentrationResult& result = *computed;
  std::shared_lock lock(state_mu_);
  int64_t redacted = 0;
  int listed = 0;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "items");
  w.StartArray();
  for (const auto& item : result.items) {
    if (listed >= top) break;
    if (!CanSee(state_, p, item.noun, item.id)) {
      ++redacted;
      continue;
    }
    ++listed;
    w.StartObject();
    WriteKey(w, "id");
    WriteString(w, item.id);
    WriteKey(w, "type");
    WriteString(w, NounName(item.noun));
    WriteKey(w, "consumers_reached");
    w.Int64(item.consumers_reached);
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "exact");
  w.Bool(result.exact);
  WriteKey(w, "candidates");
  w.Int64(result.candidates);
  WriteKey(w, "measured");
  w.Int64(result.measured);
  if (!result.exact) {
    // Every measured count is exact; what sampling risks is leaving out a
    // candidate. Each was measured with this probability, so one that
    // belongs in the top is missing with probability 1 - fraction.
    double fraction = static_cast<double>(result.measured) /
                      static_cast<double>(std::max<int64_t>(1, result.candidates));
    WriteKey(w, "sample_fraction");
    w.Double(fraction);
    WriteKey(w, "error_bound");
    char miss[32];
    std::snprintf(miss, sizeof miss, "%.3f", 1 - fraction);
    WriteString(w, "sampled " + std::to_string(result.measured) + " of " +
                       std::to_string(result.candidates) +
                       " candidates uniformly; each listed count is exact, and a candidate that "
                       "belongs in the top " + std::to_string(top) +
                       " is missing with probability " + miss);
  }
  WriteKey(w, "redacted");
  w.Int64(redacted);
  w.EndObject();
  return Done(buf);
}

}  // namespace cocreate
