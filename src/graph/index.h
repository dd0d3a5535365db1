// GraphIndex: the whole ecosystem as a compact typed graph in memory, for
// the graph questions (impact, lineage, concentration) at memory speed.
//
// Every object is a node numbered densely (NodeId), with its noun, its
// organization (owner or provider) and a few flags. Relations are typed
// edges in two adjacencies: `downstream` (what a failure reaches: built on,
// access, depends on, offers, relationship on, consumer of, created,
// modified, transferred) and `upstream` (where a resource came from: the
// reverse edges plus used and provision in). Each adjacency is a CSR base
// (offsets and packed targets, 4 bytes per edge) plus an overlay of edges
// added since the base was built. The graph only grows; a relationship's
// status is a node flag the walk reads, and an owner change is a node field.
//
// Updating: Apply(event, state) after the state applied the event, under
// the same exclusive lock, before the write is acknowledged; so a read after
// a write sees it. Folding the overlay into a new base happens on another
// thread (StartFold/FinishFold): readers keep walking the old base and the
// overlay meanwhile, and the swap is a pointer move under the writer lock.
//
// Thread safety: const methods may run concurrently with each other; Apply,
// FinishFold and EndBulk need exclusive access (the engine's state lock).
// MaybeStartFold's background work reads only immutable data.
#ifndef COCREATE_GRAPH_INDEX_H_
#define COCREATE_GRAPH_INDEX_H_

#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0xFFFFFFFFu;

// The relation an edge stands for. Stored in the top 4 bits of a target.
enum class EdgeType : uint8_t {
  kBuiltOn,         // resource → service (down); service → resource (up)
  kAccess,          // resource → offering (down)
  kDependsOn,       // service → service that depends on it (down); the reverse (up)
  kOffers,          // service → offering (down); offering → service (up)
  kRelationshipOn,  // offering → relationship (down); relationship → offering (up)
  kConsumerOf,      // relationship → its consumer organization (down)
  kCreated,         // relationship/provision → resource (down); resource → provision (up)
  kModified,
  kTransferred,
  kUsed,            // provision → resource it used (up)
  kProvisionIn,     // provision → its relationship (up)
};

// One adjacency: CSR base plus overlay.
class Adjacency {
 public:
  static constexpr uint32_t kNodeBits = 28;
  static constexpr uint32_t kNodeMask = (1u << kNodeBits) - 1;
  static uint32_t Pack(NodeId to, EdgeType type) {
    return (static_cast<uint32_t>(type) << kNodeBits) | to;
  }
  static NodeId Target(uint32_t packed) { return packed & kNodeMask; }
  static EdgeType Type(uint32_t packed) { return static_cast<EdgeType>(packed >> kNodeBits); }

  struct Csr {
    std::vector<uint32_t> offsets;  // size nodes + 1
    std::vector<uint32_t> targets;  // packed
    size_t nodes() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  };
  struct Edge {
    NodeId from;
    uint32_t packed;
  };

  Adjacency();

  // Calls fn(packed) for every edge out of `u`: the base's, then the overlay's.
  template <typename F>
  void ForEach(NodeId u, bool in_overlay, F&& fn) const {
    const Csr& b = *base_;
    if (u < b.nodes()) {
      const uint32_t* t = b.targets.data();
      for (uint32_t i = b.offsets[u], end = b.offsets[u + 1]; i < end; ++i) fn(t[i]);
    }
    if (in_overlay) ForEachOverlay(u, fn);
  }
  template <typename F>
  void ForEachOverlay(NodeId u, F&& fn) const {
    auto it = overlay_.find(u);
    if (it != overlay_.end()) {
      for (uint32_t packed : it->second) fn(packed);
    }
  }

  // Adds an edge to the overlay. Returns true (the node now has overlay edges).
  void Add(NodeId from, NodeId to, EdgeType type, bool index_overlay);
  // Builds the per-node overlay map from the log (after a bulk load).
  void IndexOverlay();

  // Builds a new base from `base` and the first `upto` log edges, dropping
  // duplicate edges. Pure; safe on any thread while `base` lives.
  static std::shared_ptr<const Csr> Fold(std::shared_ptr<const Csr> base,
                                         std::vector<Edge> log, size_t nodes);
  // Installs a folded base that covers the first `folded` log edges.
  void Install(std::shared_ptr<const Csr> base, size_t folded);

  const std::shared_ptr<const Csr>& base() const { return base_; }
  const std::vector<Edge>& log() const { return log_; }
  size_t edges() const { return base_->targets.size() + log_.size(); }
  size_t MemoryBytes() const;

 private:
  std::shared_ptr<const Csr> base_;
  std::vector<Edge> log_;  // overlay edges in the order they came
  std::unordered_map<NodeId, std::vector<uint32_t>> overlay_;
};

// The answer of a downstream walk, in breadth-first order.
struct Reached {
  std::vector<NodeId> nodes;
  // levels[k] is the position in `nodes` of the first node at depth k + 1;
  // the last entry is nodes.size().
  std::vector<uint32_t> levels;
  std::vector<uint32_t> parent;  // position in `nodes`, kNoNode for depth 1; only with parents
  int64_t by_noun[7] = {};       // nodes reached, by Noun
  // The depth of nodes[i]. Walking i upwards, pass the previous answer as
  // `hint` to make a pass over all nodes linear.
  uint32_t DepthOf(size_t i, uint32_t hint = 1) const {
    uint32_t d = hint;
    while (levels[d] <= i) ++d;
    return d;
  }
};

class GraphIndex {
 public:
  GraphIndex();

  // Updates the index for one event that `state` has just applied.
  void Apply(const Event& e, const State& state);
  // While bulk loading (a replay), Apply only logs edges; EndBulk folds them
  // into the base at once.
  void BeginBulk() { bulk_ = true; }
  void EndBulk();

  size_t nodes() const { return noun_.size(); }
  size_t edges() const { return down_.edges(); }
  // Bytes the index holds: adjacencies, node fields and the id table.
  size_t MemoryBytes() const;

  NodeId Find(std::string_view id) const;
  std::string_view Id(NodeId n) const {
    return std::string_view(id_bytes_.data() + id_offset_[n], id_offset_[n + 1] - id_offset_[n]);
  }
  Noun NounOf(NodeId n) const { return static_cast<Noun>(noun_[n]); }
  // The owner of a resource, provider of a service, offering or
  // relationship; kNoNode for others.
  NodeId OrganizationOf(NodeId n) const { return org_[n]; }

  // Downstream walk (CONTRACT §3, impact) from `starts`, all at depth 1,
  // never listing `exclude` (the start itself); with `expand_exclude`, the
  // edges out of `exclude` are the depth-1 starts too. max_depth < 0:
  // unbounded.
  void WalkDownstream(std::span<const NodeId> starts, NodeId exclude, int max_depth,
                      bool parents, Reached& out, bool expand_exclude = false) const;
  // Upstream walk (lineage) from a resource, in breadth-first order, not
  // listing the start.
  void WalkUpstream(NodeId start, std::vector<NodeId>& out) const;

  // Calls fn(node, noun) for every node, in the order they were added.
  template <typename F>
  void ForEachNode(F&& fn) const {
    for (NodeId n = 0; n < noun_.size(); ++n) fn(n, static_cast<Noun>(noun_[n]));
  }

  // Calls fn(to, type) for every edge out of `n`.
  template <typename F>
  void ForEachEdge(NodeId n, bool downstream, F&& fn) const {
    const Adjacency& a = downstream ? down_ : up_;
    a.ForEach(n, flags_[n] & (downstream ? kDownOverlay : kUpOverlay),
              [&](uint32_t p) { fn(Adjacency::Target(p), Adjacency::Type(p)); });
  }
  // A public offering, or a service with one: every organization sees it.
  bool Public(NodeId n) const { return flags_[n] & kPublic; }

  // Folding: when the overlay is large enough, starts building a new base
  // in the background; FinishFold installs it when ready (call it under the
  // writer lock; `wait` blocks until the build is done). Returns whether a
  // new base was installed.
  void MaybeStartFold(size_t min_overlay_edges = 65536);
  bool FinishFold(bool wait);
  size_t overlay_edges() const { return down_.log().size() + up_.log().size(); }

 private:
  static constexpr uint8_t kBlocked = 1;      // a relationship neither active nor suspended
  static constexpr uint8_t kDownOverlay = 2;  // has downstream overlay edges
  static constexpr uint8_t kUpOverlay = 4;
  static constexpr uint8_t kPublic = 8;       // see Public()

  NodeId GetOrAdd(std::string_view id, Noun noun);
  NodeId Lookup(std::string_view id, size_t hash) const;
  void Grow();
  void AddEdge(bool downstream, NodeId from, NodeId to, EdgeType type);
  void SetRelationshipStatus(NodeId n, RelationshipStatus s);
  void Reflag();

  // Ids: bytes of all ids back to back, and an open-addressing table of
  // NodeIds keyed by the id's hash.
  std::vector<char> id_bytes_;
  std::vector<uint32_t> id_offset_{0};
  std::vector<NodeId> table_;
  std::vector<uint8_t> noun_;
  std::vector<uint8_t> flags_;
  std::vector<NodeId> org_;

  Adjacency down_, up_;
  bool bulk_ = false;

  struct PendingFold {
    size_t down_upto = 0, up_upto = 0;
    std::future<std::shared_ptr<const Adjacency::Csr>> down, up;
  };
  std::unique_ptr<PendingFold> fold_;
};

}  // namespace cocreate

#endif  // COCREATE_GRAPH_INDEX_H_
