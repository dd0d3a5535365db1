#include "graph/questions.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <random>
#include <unordered_map>
#include <unordered_set>


namespace cocreate {

namespace {

struct OrgEdge {
  std::string to;
  std::string relationship;
};

// provider → consumers through active relationships, in creation order.
std::unordered_map<std::string, std::vector<OrgEdge>> ActiveOrgGraph(const State& state) {
  std::unordered_map<std::string, std::vector<OrgEdge>> out;
  for (const std::string& id : state.Ids(Noun::kRelationship)) {
    const Relationship& r = *state.FindRelationship(id);
    if (r.status == RelationshipStatus::kActive) out[r.provider].push_back({r.consumer, r.id});
  }
  return out;
}

}  // namespace

StatusOr<std::vector<Chain>> Chains(const State& state, const std::string& from,
                                    const std::string& to, int limit, int max_hops) {
  if (state.FindOrganization(from) == nullptr) return NotFound("no organization '" + from + "'");
  if (state.FindOrganization(to) == nullptr) return NotFound("no organization '" + to + "'");
  auto graph = ActiveOrgGraph(state);
  std::vector<Chain> out;
  // Breadth-first over simple paths: paths come out shortest first. The
  // frontier is capped so that dense graphs stay bounded.
  constexpr size_t kMaxFrontier = 200'000;
  std::deque<Chain> frontier;
  frontier.push_back(Chain{{from}, {}});
  while (!frontier.empty() && static_cast<int>(out.size()) < limit) {
    Chain path = std::move(frontier.front());
    frontier.pop_front();
    const std::string& last = path.organizations.back();
    if (last == to && path.organizations.size() > 1) {
      out.push_back(std::move(path));
      continue;
    }
    if (static_cast<int>(path.relationships.size()) >= max_hops) continue;
    auto it = graph.find(last);
    if (it == graph.end()) continue;
    for (const OrgEdge& e : it->second) {
      bool visited = std::find(path.organizations.begin(), path.organizations.end(), e.to) !=
                     path.organizations.end();
      if (visited && !(e.to == to && e.to == from)) continue;
      if (frontier.size() >= kMaxFrontier) break;
      Chain next = path;
      next.organizations.push_back(e.to);
      next.relationships.push_back(e.relationship);
      frontier.push_back(std::move(next));
    }
  }
  return out;
}

std::vector<Cycle> Cycles(const State& state) {
  auto graph = ActiveOrgGraph(state);
  const auto& orgs = state.Ids(Noun::kOrganization);
  // Tarjan's algorithm, iterative so deep graphs cannot overflow the stack.
  std::unordered_map<std::string, int> index, low;
  std::unordered_set<std::string> on_stack;
  std::vector<std::string> stack;
  std::vector<std::vector<std::string>> components;
  int counter = 0;
  for (const auto& root : orgs) {
    if (index.count(root)) continue;
    std::vector<std::pair<std::string, size_t>> work{{root, 0}};
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack.insert(root);
    while (!work.empty()) {
      auto& [node, next] = work.back();
      const auto& edges = graph[node];
      if (next < edges.size()) {
        const std::string& to = edges[next++].to;
        if (!index.count(to)) {
          index[to] = low[to] = counter++;
          stack.push_back(to);
          on_stack.insert(to);
          work.emplace_back(to, 0);
        } else if (on_stack.count(to)) {
          low[node] = std::min(low[node], index[to]);
        }
        continue;
      }
      std::string done = node;
      work.pop_back();
      if (!work.empty()) low[work.back().first] = std::min(low[work.back().first], low[done]);
      if (low[done] == index[done]) {
        std::vector<std::string> component;
        for (;;) {
          std::string top = stack.back();
          stack.pop_back();
          on_stack.erase(top);
          component.push_back(top);
          if (top == done) break;
        }
        if (component.size() >= 2) components.push_back(std::move(component));
      }
    }
  }
  std::unordered_map<std::string, size_t> order;
  for (size_t i = 0; i < orgs.size(); ++i) order[orgs[i]] = i;
  std::vector<Cycle> out;
  for (auto& component : components) {
    std::sort(component.begin(), component.end(),
              [&](const auto& a, const auto& b) { return order[a] < order[b]; });
    std::unordered_set<std::string> members(component.begin(), component.end());
    Cycle c;
    c.organizations = component;
    for (const std::string& id : state.Ids(Noun::kRelationship)) {
      const Relationship& r = *state.FindRelationship(id);
      if (r.status == RelationshipStatus::kActive && members.count(r.provider) &&
          members.count(r.consumer)) {
        c.relationships.push_back(id);
      }
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [&](const Cycle& a, const Cycle& b) {
    return order[a.organizations.front()] < order[b.organizations.front()];
  });
  return out;
}

ConcentrationResult Concentrations(const GraphIndex& index, int64_t budget) {
  ConcentrationResult result;
  std::vector<NodeId> candidates;
  index.ForEachNode([&](NodeId n, Noun noun) {
    if (noun == Noun::kResource || noun == Noun::kService || noun == Noun::kOffering ||
        noun == Noun::kRelationship) {
      candidates.push_back(n);
    }
  });
  result.candidates = static_cast<int64_t>(candidates.size());
  int64_t edges = std::max<int64_t>(1, static_cast<int64_t>(index.edges()));
  if (result.candidates * edges > budget) {
    result.exact = false;
    int64_t keep = std::max<int64_t>(1, budget / edges);
    std::mt19937_64 rng(20261127);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    candidates.resize(static_cast<size_t>(std::min<int64_t>(keep, result.candidates)));
    std::sort(candidates.begin(), candidates.end());  // ties keep creation order
  }
  Reached reached;
  for (NodeId n : candidates) {
    index.WalkDownstream({}, n, -1, false, reached, /*expand_exclude=*/true);
    int64_t orgs = 0;
    for (NodeId r : reached.nodes) orgs += index.NounOf(r) == Noun::kOrganization;
    result.items.push_back({std::string(index.Id(n)), index.NounOf(n), orgs});
  }
  result.measured = static_cast<int64_t>(result.items.size());
  std::stable_sort(result.items.begin(), result.items.end(),
                   [](const Concentration& a, const Concentration& b) {
                     return a.consumers_reached > b.consumers_reached;
                   });
  return result;
}

}  // namespace cocreate
