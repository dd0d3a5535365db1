#include "graph/traversal.h"

#include <deque>
#include <unordered_map>
#include <unordered_set>

namespace cocreate {

namespace {

template <typename F>
void Downstream(const State& state, const std::string& id, Noun noun, F&& visit) {
  switch (noun) {
    case Noun::kResource:
      for (const auto& s : state.ServicesBuiltOn(id)) visit(s, Noun::kService);
      for (const auto& o : state.OfferingsAccessing(id)) visit(o, Noun::kOffering);
      break;
    case Noun::kService:
      for (const auto& s : state.ServicesDependingOn(id)) visit(s, Noun::kService);
      for (const auto& o : state.OfferingsOf(id)) visit(o, Noun::kOffering);
      break;
    case Noun::kOffering:
      for (const auto& r : state.RelationshipsOn(id)) {
        RelationshipStatus s = state.FindRelationship(r)->status;
        if (s == RelationshipStatus::kActive || s == RelationshipStatus::kSuspended) {
          visit(r, Noun::kRelationship);
        }
      }
      break;
    case Noun::kRelationship: {
      visit(state.FindRelationship(id)->consumer, Noun::kOrganization);
      for (const auto& p : state.ProvisionsIn(id)) {
        const Provision& prov = *state.FindProvision(p);
        for (const auto& r : prov.created) visit(r, Noun::kResource);
        for (const auto& m : prov.modified) visit(m.resource, Noun::kResource);
        for (const auto& r : prov.transferred) visit(r, Noun::kResource);
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
    for (const auto& s : state.ServicesOf(from)) reach(s, Noun::kService, 1, -1);
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

StatusOr<LineageResult> Lineage(const State& state, const std::string& resource) {
  if (state.FindResource(resource) == nullptr) return NotFound("no resource '" + resource + "'");
  LineageResult out;
  out.resource = resource;
  std::unordered_set<std::string> seen{resource};
  std::unordered_set<std::string> orgs_seen;
  std::deque<std::pair<std::string, Noun>> queue{{resource, Noun::kResource}};
  auto add_org = [&](const std::string& org) {
    if (orgs_seen.insert(org).second) out.organizations.push_back(org);
  };
  auto reach = [&](const std::string& id, Noun noun) {
    if (!seen.insert(id).second) return;
    switch (noun) {
      case Noun::kProvision: out.provisions.push_back(id); break;
      case Noun::kResource:
        out.resources.push_back(id);
        add_org(state.FindResource(id)->current().owner);
        break;
      case Noun::kService:
        out.services.push_back(id);
        add_org(state.FindService(id)->provider);
        break;
      case Noun::kOffering: out.offerings.push_back(id); break;
      case Noun::kRelationship:
        out.relationships.push_back(id);
        add_org(state.FindRelationship(id)->provider);
        break;
      default: break;
    }
    queue.emplace_back(id, noun);
  };
  while (!queue.empty()) {
    auto [id, noun] = queue.front();
    queue.pop_front();
    switch (noun) {
      case Noun::kResource:
        for (const auto& touch : state.TouchesOf(id)) reach(touch.provision, Noun::kProvision);
        break;
      case Noun::kProvision: {
        const Provision& p = *state.FindProvision(id);
        reach(p.relationship, Noun::kRelationship);
        for (const auto& r : p.used) reach(r, Noun::kResource);
        break;
      }
      case Noun::kRelationship:
        reach(state.FindRelationship(id)->offering, Noun::kOffering);
        break;
      case Noun::kOffering:
        reach(state.FindOffering(id)->service, Noun::kService);
        break;
      case Noun::kService: {
        const Service& s = *state.FindService(id);
        for (const auto& r : s.built_on) reach(r, Noun::kResource);
        for (const auto& d : s.depends_on) reach(d, Noun::kService);
        break;
      }
      default: break;
    }
  }
  return out;
}

}  // namespace cocreate
