// The engine's graph reads: impact, chains, cycles, the organization map and
// concentration, with visibility applied.
#include <algorithm>
#include <set>

#include "engine/answers.h"
#include "engine/engine.h"
#include "graph/questions.h"
#include "model/codec.h"
#include "rules/visibility.h"

namespace cocreate {

namespace {

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
    for (const std::string& s : state_.ServicesOf(from)) starts.push_back(graph_.Find(s));
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
  ReadLock lock(*this);
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
  ReadLock lock(*this);
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

StatusOr<std::string> Engine::Chains(const Principal& p, const std::string& from,
                                     const std::string& to, int limit, bool value) const {
  ReadLock lock(*this);
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
  ReadLock lock(*this);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  auto str = [&](std::string_view k, std::string_view v) {
    WriteKey(w, k);
    WriteString(w, v);
  };
  w.StartObject();
  WriteKey(w, "nodes");
  w.StartArray();
  for (const std::string& id : state_.Ids(Noun::kOrganization)) {
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
  for (const std::string& id : state_.Ids(Noun::kRelationship)) {
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
  ReadLock lock(*this);
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
    uint64_t generation = 0;
    {
      ReadLock lock(*this);
      seq = state_.last_seq();
      generation = generation_.load();
      // (A round still being committed may be refused and its seq reused.)
      if (concentration_ != nullptr && concentration_seq_ == seq &&
          concentration_generation_ == generation) {
        computed = concentration_;
      } else {
        snapshot.emplace(graph_.Snapshot());
      }
    }
    if (computed == nullptr) {
      // Folded first: when it samples, how many candidates it keeps comes
      // from the number of edges, which must not count what the log holds
      // twice, or a start from a checkpoint would answer unlike a replay.
      snapshot->FoldAll();
      computed = std::make_shared<const ConcentrationResult>(Concentrations(*snapshot));
      concentration_ = computed;
      concentration_seq_ = seq;
      concentration_generation_ = generation;
    }
  }
  const ConcentrationResult& result = *computed;
  ReadLock lock(*this);
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
