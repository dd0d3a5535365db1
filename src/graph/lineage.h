// Upstream lineage over the state (CONTRACT §3, "Upstream (lineage)"):
// where a resource version came from, as each step stood when it was taken.
//
// The walk sees everything; callers apply visibility to what they return
// (hidden nodes are counted, never named).
#ifndef COCREATE_GRAPH_LINEAGE_H_
#define COCREATE_GRAPH_LINEAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/status.h"
#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

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

#endif  // COCREATE_GRAPH_LINEAGE_H_
