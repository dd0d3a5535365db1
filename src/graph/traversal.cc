#include "graph/traversal.h"

#include <algorithm>
#include <deque>
#include <random>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace cocreate {

namespace {

template <typename F>
void Downstream(const State& state, const std::string& id, Noun noun, F&& visit) {
  switch (noun) {
    case Noun::kResource:
      for (const std::string& s : state.ServicesBuiltOn(id)) visit(s, Noun::kService);
      for (const std::string& o : state.OfferingsAccessing(id)) visit(o, Noun::kOffering);
      break;
    case Noun::kService:
      for (const std::string& s : state.ServicesDependingOn(id)) visit(s, Noun::kService);
      for (const std::string& o : state.OfferingsOf(id)) visit(o, Noun::kOffering);
      break;
    case Noun::kOffering:
      for (const std::string& r : state.RelationshipsOn(id)) {
        RelationshipStatus s = state.FindRelationship(r)->status;
        if (s == RelationshipStatus::kActive || s == RelationshipStatus::kSuspended) {
          visit(r, Noun::kRelationship);
        }
      }
      break;
    case Noun::kRelationship: {
      const std::string& consumer = state.FindRelationship(id)->consumer;
      visit(consumer, Noun::kOrganization);
      // Only what the consumer still owns and has not retired (CONTRACT §3).
      auto held = [&](const std::string& r) {
        const Resource* res = state.FindResource(r);
        if (res != nullptr && !res->retired && res->current().owner == consumer) {
          visit(r, Noun::kResource);
        }
      };
      for (const std::string& p : state.ProvisionsIn(id)) {
        const Provision& prov = *state.FindProvision(p);
        for (const auto& r : prov.created) held(r);
        for (const auto& m : prov.modified) held(m.resource);
        for (const auto& r : prov.transferred) held(r);
      }
      break;
    }
    case Noun::kProvision: {
      const Provision& prov = *state.FindProvision(id);
      for (const auto& r : prov.created) visit(r, Noun::kResource);
      for (const auto& m : prov.modified) visit(m.resource, Noun::kResource);
      for (const auto& r : prov.transferred) visit(r, Noun::kResource);
      break;
    }
    case Noun::kOrganization:
    case Noun::kConsumerGroup:
      break;  // organizations are end points
  }
}

}  // namespace

void ForEachDownstream(const State& state, const std::string& id, Noun noun,
                       const std::function<void(const std::string&, Noun)>& visit) {
  Downstream(state, id, noun, visit);
}

std::vector<std::string> ImpactResult::PathTo(size_t i) const {
  std::vector<std::string> path;
  for (int at = static_cast<int>(i); at >= 0; at = nodes[at].parent) path.push_back(nodes[at].id);
  path.push_back(from);
  return {path.rbegin(), path.rend()};
}

StatusOr<ImpactResult> Impact(const State& state, const std::string& from, int max_depth) {
  const Noun* start = state.FindNoun(from);
  if (start == nullptr) return NotFound("nothing is named '" + from + "'");
  if (*start == Noun::kConsumerGroup) {
    return Unprocessable("invalid_start", "a consumer group is no start for an impact walk",
                         "from");
  }
  ImpactResult result;
  result.from = from;
  std::unordered_set<std::string> seen{from};
  std::deque<int> queue;
  auto reach = [&](const std::string& id, Noun noun, int depth, int parent) {
    if (!seen.insert(id).second) return;
    result.nodes.push_back({id, noun, depth, parent});
    queue.push_back(static_cast<int>(result.nodes.size()) - 1);
  };
  if (max_depth == 0) return result;
  if (*start == Noun::kOrganization) {
    // The walk starts at all its resources and services, one edge away.
    for (const auto& r : state.ResourcesOwnedBy(from)) reach(r, Noun::kResource, 1, -1);
    for (const std::string& s : state.ServicesOf(from)) reach(s, Noun::kService, 1, -1);
  } else {
    Downstream(state, from, *start,
               [&](const std::string& id, Noun noun) { reach(id, noun, 1, -1); });
  }
  while (!queue.empty()) {
    int index = queue.front();
    queue.pop_front();
    ReachedNode node = result.nodes[index];
    if (max_depth >= 0 && node.depth >= max_depth) continue;
    Downstream(state, node.id, node.noun, [&](const std::string& id, Noun noun) {
      reach(id, noun, node.depth + 1, index);
    });
  }
  return result;
}

ConcentrationResult Concentrations(const State& state, int64_t budget) {
  ConcentrationResult result;
  std::vector<std::pair<std::string, Noun>> candidates;
  for (Noun noun : {Noun::kResource, Noun::kService, Noun::kOffering, Noun::kRelationship}) {
    for (const std::string& id : state.Ids(noun)) candidates.emplace_back(id, noun);
  }
  result.candidates = static_cast<int64_t>(candidates.size());
  int64_t nodes = result.candidates + static_cast<int64_t>(state.Ids(Noun::kOrganization).size());
  if (result.candidates * std::max<int64_t>(nodes, 1) > budget) {
    result.exact = false;
    int64_t keep = std::max<int64_t>(1, budget / std::max<int64_t>(nodes, 1));
    std::mt19937_64 rng(20261127);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    candidates.resize(static_cast<size_t>(std::min<int64_t>(keep, result.candidates)));
  }
  for (const auto& [id, noun] : candidates) {
    auto walk = Impact(state, id, -1);
    if (!walk.ok()) continue;
    int64_t orgs = 0;
    for (const auto& n : walk->nodes) orgs += n.noun == Noun::kOrganization;
    result.items.push_back({id, noun, orgs});
  }
  result.measured = static_cast<int64_t>(result.items.size());
  std::stable_sort(result.items.begin(), result.items.end(),
                   [](const Concentration& a, const Concentration& b) {
                     return a.consumers_reached > b.consumers_reached;
                   });
  return result;
}

}  // namespace cocreate
