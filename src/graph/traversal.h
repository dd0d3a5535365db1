// Graph walks over the state: downstream impact and upstream lineage
// (CONTRACT §3, "Downstream (impact)" and "Upstream (lineage)").
//
// The walks see everything; callers apply visibility to what they return
// (hidden nodes are counted, never named). Breadth-first, so each node is
// reached once at its smallest depth and `parent` gives one shortest path.
#ifndef COCREATE_GRAPH_TRAVERSAL_H_
#define COCREATE_GRAPH_TRAVERSAL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

// Calls visit(id, noun) for every downstream neighbour of (id, noun): the
// edges of an impact walk. Organizations have none (they are end points). A
// relationship leads to the resources its provisions created, modified or
// transferred only while its consumer owns them and they are not retired.
void ForEachDownstream(const State& state, const std::string& id, Noun noun,
                       const std::function<void(const std::string&, Noun)>& visit);

struct ReachedNode {
  std::string id;
  Noun noun = Noun::kResource;
  int depth = 0;
  int parent = -1;  // index into the result's nodes; -1 for the start's direct successors
};

struct ImpactResult {
  std::string from;
  std::vector<ReachedNode> nodes;  // in BFS order; the start is not included
  // One shortest path from the start to nodes[i], start and node included.
  std::vector<std::string> PathTo(size_t i) const;
};

// Walks downstream from `from` up to `max_depth` edges (< 0: unbounded).
// Errors: not_found (404) when `from` names nothing; invalid_start (422)
// when it names a consumer group.
StatusOr<ImpactResult> Impact(const State& state, const std::string& from, int max_depth);

// One object a lineage walk reached, as it stood when it was reached.
struct LineageItem {
  std::string id;
  int64_t version = 0;  // resources and offerings: the version reached; 0 otherwise
  int64_t seq = 0;      // the event seq the object was read as of (0 for resources)
  bool operator==(const LineageItem&) const = default;
};

struct LineageResult {
  std::string resource;
  int64_t version = 0;  // the version of `resource` asked about
  // In the order reached (breadth-first). Resources and offerings are listed
  // once per version reached; the others once per id, as of the first time
  // reached. The start resource is not in `resources`.
  std::vector<LineageItem> provisions, resources, services, offerings, relationships;
  // Owners of the resource versions reached, providers of the relationships
  // and services reached.
  std::vector<std::string> organizations;
};

// Walks upstream from version `version` of a resource (0: the latest) as
// of the time of each step (CONTRACT §5, "Time"): the provisions that made
// versions 1..version; for each, at its seq s, its relationship, its
// offering and service as they stood at s, the resources that service was
// built on at s and those the provision used, each at its version current
// at s, and theirs in turn; the services it depended on at s, and so on.
// Nothing after s is reached through s.
// Errors: not_found when `resource` is no resource or has no such version.
StatusOr<LineageResult> Lineage(const State& state, const std::string& resource,
                                int64_t version = 0);

// The seq of a provision's provision.performed event, or 0 when absent.
int64_t ProvisionSeq(const State& state, const std::string& provision);

}  // namespace cocreate

#endif  // COCREATE_GRAPH_TRAVERSAL_H_
