// Graph questions across organizations (CONTRACT §3, "Graph questions"):
// value chains between two organizations, cycles among organizations, and
// concentration risk. Like the walks, they see everything; the engine
// applies visibility.
#ifndef COCREATE_GRAPH_QUESTIONS_H_
#define COCREATE_GRAPH_QUESTIONS_H_

#include <string>
#include <vector>

#include "model/status.h"
#include "graph/index.h"
#include "rules/state.h"

namespace cocreate {

struct Chain {
  std::vector<std::string> organizations;  // provider first, consumer last
  std::vector<std::string> relationships;  // relationships[i] links organizations[i] → [i+1]
};

// Up to `limit` simple chains from `from` to `to` through active
// relationships (provider → consumer), shortest first, at most `max_hops`
// long. Errors: not_found when either is no organization.
StatusOr<std::vector<Chain>> Chains(const State& state, const std::string& from,
                                    const std::string& to, int limit, int max_hops = 12);

struct Cycle {
  std::vector<std::string> organizations;
  std::vector<std::string> relationships;  // the active ones inside the component
};

// Strongly connected components of size ≥ 2 of the provider → consumer graph
// of active relationships, in order of their first organization's creation.
std::vector<Cycle> Cycles(const State& state);

struct Concentration {
  std::string id;
  Noun noun;
  int64_t consumers_reached = 0;
};

struct ConcentrationResult {
  std::vector<Concentration> items;  // all candidates measured, most reached first
  bool exact = true;
  int64_t candidates = 0;  // resources, services, offerings and relationships
  int64_t measured = 0;    // how many were walked (all, when exact)
};

// For every resource, service, offering and relationship, the number of
// distinct organizations its failure reaches downstream, from the graph
// index; the budget counts edges walked
// (candidates × edges): exact on networks of up to ~100k edges per
// thousands of candidates, a deterministic uniform sample beyond. The
// sample's size comes from index.edges(), which counts the unfolded log as
// it stands: fold it all first (FoldAll) for an answer that does not depend
// on how the index was built.
ConcentrationResult Concentrations(const GraphIndex& index, int64_t budget = 2'000'000'000);

}  // namespace cocreate

#endif  // COCREATE_GRAPH_QUESTIONS_H_
