#include "graph/lineage.h"

#include <deque>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace cocreate {

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
