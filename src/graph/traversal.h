// Graph walks over the state: downstream impact and upstream lineage
// (CONTRACT §3, "Downstream (impact)" and "Upstream (lineage)").
//
// The walks see everything; callers apply visibility to what they return
// (hidden nodes are counted, never named). Breadth-first, so each node is
// reached once at its smallest depth and `parent` gives one shortest path.
#ifndef COCREATE_GRAPH_TRAVERSAL_H_
#define COCREATE_GRAPH_TRAVERSAL_H_

#include <functional>
#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

// Calls visit(id, noun) for every downstream neighbour of (id, noun): the
// edges of an impact walk. Organizations have none (they are end points).
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

struct LineageResult {
  std::string resource;
  std::vector<std::string> provisions, resources, services, offerings, relationships,
      organizations;
};

// Walks upstream from a resource. Errors: not_found when it is no resource.
StatusOr<LineageResult> Lineage(const State& state, const std::string& resource);

}  // namespace cocreate

#endif  // COCREATE_GRAPH_TRAVERSAL_H_
