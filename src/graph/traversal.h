// The reference walks downstream (CONTRACT §3, "Downstream (impact)"): plain
// breadth-first walks over the state's own indexes, kept for tests and
// benches only (the cocreate_graph_reference library). The server answers
// from the graph index (graph/index.h); engine/differential_test.cc checks
// its answers against these.
//
// The walks see everything. Breadth-first, so each node is reached once at
// its smallest depth and `parent` gives one shortest path.
#ifndef COCREATE_GRAPH_TRAVERSAL_H_
#define COCREATE_GRAPH_TRAVERSAL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"
#include "graph/questions.h"
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

// For every resource, service, offering and relationship, the number of
// distinct organizations its failure reaches downstream. Exact while
// candidates × (nodes) stays under `budget`; beyond it, a uniform sample of
// candidates is measured (deterministic seed) and exact is false.
// The reference for Concentrations(const GraphIndex&), by Impact walks.
ConcentrationResult Concentrations(const State& state, int64_t budget = 400'000'000);


}  // namespace cocreate

#endif  // COCREATE_GRAPH_TRAVERSAL_H_
