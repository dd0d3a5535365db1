#include "graph/traversal.h"

#include <deque>
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

int64_t ProvisionSeq(const State& state, const std::string& provision) {
  const Provision* p = state.FindProvision(provision);
  return p == nullptr ? 0 : p->seq;
}

StatusOr<LineageResult> Lineage(const State& state, const std::string& resource,
                                int64_t version) {
  const Resource* start = state.FindResource(resource);
  if (start == nullptr) return NotFound("no resource '" + resource + "'");
  const int64_t latest = start->current().version;
  if (version < 0 || version > latest) {
    return NotFound("resource '" + resource + "' has no version " + std::to_string(version));
  }
  LineageResult out;
  out.resource = resource;
  out.version = version == 0 ? latest : version;

  // A step of the walk: an object as of a seq (resources: at a version).
  struct Step {
    Noun noun;
    std::string id;
    int64_t version;  // resources
    int64_t seq;      // the others
  };
  std::deque<Step> queue;
  std::set<std::tuple<Noun, std::string, int64_t>> walked;  // (noun, id, version or seq)
  std::unordered_set<std::string> listed;                   // "noun\nid" or "id@version"
  std::unordered_set<std::string> orgs_seen;
  auto add_org = [&](const std::string& org) {
    if (orgs_seen.insert(org).second) out.organizations.push_back(org);
  };
  auto once = [&](const std::string& key) { return listed.insert(key).second; };

  auto reach_resource = [&](const std::string& id, int64_t v) {
    if (!walked.emplace(Noun::kResource, id, v).second) return;
    const Resource* r = state.FindResource(id);
    if (id != resource) {
      out.resources.push_back({id, v, 0});
      add_org(r->versions[static_cast<size_t>(v - 1)].owner);
    }
    queue.push_back({Noun::kResource, id, v, 0});
  };
  // A resource as it stood at `seq`, when it existed then.
  auto reach_resource_at = [&](const std::string& id, int64_t seq) {
    const Resource* r = state.FindResource(id);
    const ResourceVersion* v = r == nullptr ? nullptr : r->AsOf(seq);
    if (v != nullptr) reach_resource(id, v->version);
  };
  auto reach = [&](Noun noun, const std::string& id, int64_t seq) {
    if (!walked.emplace(noun, id, seq).second) return;
    switch (noun) {
      case Noun::kProvision:
        out.provisions.push_back({id, 0, seq});
        break;
      case Noun::kRelationship:
        if (once("r\n" + id)) {
          out.relationships.push_back({id, 0, seq});
          add_org(state.FindRelationship(id)->provider);
        }
        break;
      case Noun::kOffering: {
        const Offering* o = state.OfferingAt(id, seq);
        if (o == nullptr) return;
        if (once(id + "@" + std::to_string(o->version))) {
          out.offerings.push_back({id, o->version, seq});
        }
        break;
      }
      case Noun::kService: {
        const Service* s = state.ServiceAt(id, seq);
        if (s == nullptr) return;
        if (once("s\n" + id)) {
          out.services.push_back({id, 0, seq});
          add_org(s->provider);
        }
        break;
      }
      default:
        return;
    }
    queue.push_back({noun, id, 0, seq});
  };

  reach_resource(resource, out.version);
  while (!queue.empty()) {
    Step at = std::move(queue.front());
    queue.pop_front();
    switch (at.noun) {
      case Noun::kResource: {
        const Resource& r = *state.FindResource(at.id);
        for (int64_t k = 0; k < at.version; ++k) {
          const std::string& p = r.versions[static_cast<size_t>(k)].provision;
          if (!p.empty() && state.FindProvision(p) != nullptr) {
            reach(Noun::kProvision, p, ProvisionSeq(state, p));
          }
        }
        break;
      }
      case Noun::kProvision: {
        const Provision& p = *state.FindProvision(at.id);
        reach(Noun::kRelationship, p.relationship, at.seq);
        for (const auto& u : p.used) reach_resource_at(u, at.seq);
        break;
      }
      case Noun::kRelationship:
        reach(Noun::kOffering, state.FindRelationship(at.id)->offering, at.seq);
        break;
      case Noun::kOffering:
        reach(Noun::kService, state.OfferingAt(at.id, at.seq)->service, at.seq);
        break;
      case Noun::kService: {
        const Service& s = *state.ServiceAt(at.id, at.seq);
        for (const auto& r : s.built_on) reach_resource_at(r, at.seq);
        for (const auto& d : s.depends_on) reach(Noun::kService, d, at.seq);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

}  // namespace cocreate
