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
// added since the base was built. Edges also go away (CONTRACT §5: a
// service's built_on or depends_on, an offering's access shrink): a removed
// edge is a tombstone beside the overlay, and only nodes flagged as having
// tombstones pay for looking them up during a walk; the next fold drops the
// edge for good. A relationship's status, a resource's retirement and an
// owner change are node fields the walk reads.
//
// Invariant (per node u): tombstones(u) ⊆ base(u) ∪ overlay(u), compared by
// packed value; the edges of u are base(u) ∪ overlay(u) minus tombstones(u).
// Adding an edge that is tombstoned lifts the tombstone; adding any other
// puts it in the overlay. The log keeps every add and remove in order, so a
// fold of any prefix of it is exact, and the suffix is replayed on the new
// base.
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

#include <algorithm>
#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/binary.h"
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
  // One change to the edges: an edge added, or (removed) taken away.
  struct Edge {
    NodeId from;
    uint32_t packed;
    bool removed = false;
  };

  Adjacency();

  // Calls fn(packed) for every edge out of `u`: the base's, then the
  // overlay's, leaving out tombstoned ones. `in_overlay` and `has_removed`
  // say whether to look in the overlay and the tombstones at all.
  template <typename F>
  void ForEach(NodeId u, bool in_overlay, bool has_removed, F&& fn) const {
    const std::vector<uint32_t>* dead = has_removed ? Tombstones(u) : nullptr;
    auto live = [&](uint32_t packed) {
      if (dead == nullptr || std::find(dead->begin(), dead->end(), packed) == dead->end()) {
        fn(packed);
      }
    };
    const Csr& b = *base_;
    if (u < b.nodes()) {
      const uint32_t* t = b.targets.data();
      for (uint32_t i = b.offsets[u], end = b.offsets[u + 1]; i < end; ++i) live(t[i]);
    }
    if (in_overlay) ForEachOverlay(u, live);
  }
  template <typename F>
  void ForEachOverlay(NodeId u, F&& fn) const {
    auto it = overlay_.find(u);
    if (it != overlay_.end()) {
      for (uint32_t packed : it->second) fn(packed);
    }
  }
  // The tombstoned edges out of `u` (packed), or nullptr when none.
  const std::vector<uint32_t>* Tombstones(NodeId u) const {
    auto it = tombstones_.find(u);
    return it == tombstones_.end() ? nullptr : &it->second;
  }
  bool HasOverlay(NodeId u) const { return overlay_.count(u) > 0; }

  // Logs an added edge; with `live`, also makes it visible at once (lifting
  // its tombstone, or putting it in the overlay). Without (a bulk load),
  // only the next fold sees it. An edge added twice is harmless (walks and
  // folds drop repeats) as long as it is never removed.
  // REQUIRES: for an edge that may be removed, it is not among u's edges now.
  void Add(NodeId from, NodeId to, EdgeType type, bool live);
  // Logs a removed edge; with `live`, tombstones it at once.
  // REQUIRES: the edge is among u's edges now.
  void Remove(NodeId from, NodeId to, EdgeType type, bool live);
  // Rebuilds the overlay and the tombstones from the log (after a bulk load
  // or a fold).
  void Replay();

  // Builds a new base from `base` and the log's changes in order, dropping
  // removed and duplicate edges. Pure; safe on any thread while `base` lives.
  static std::shared_ptr<const Csr> Fold(std::shared_ptr<const Csr> base,
                                         std::vector<Edge> log, size_t nodes);
  // Installs a folded base that covers the first `folded` log changes.
  void Install(std::shared_ptr<const Csr> base, size_t folded);

  const std::shared_ptr<const Csr>& base() const { return base_; }
  const std::vector<Edge>& log() const { return log_; }
  // Checkpoints: the base and the log; Load rebuilds the overlay and the
  // tombstones from them (Replay).
  void Save(BinaryWriter& out) const;
  void Load(BinaryReader& in);
  size_t edges() const { return base_->targets.size() + log_.size(); }
  size_t MemoryBytes() const;

 private:
  // Makes one logged change visible in the overlay and the tombstones.
  void ApplyLive(const Edge& e);

  std::shared_ptr<const Csr> base_;
  std::vector<Edge> log_;  // changes since the base, in the order they came
  std::unordered_map<NodeId, std::vector<uint32_t>> overlay_;
  std::unordered_map<NodeId, std::vector<uint32_t>> tombstones_;
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
  GraphIndex(GraphIndex&&) = default;
  GraphIndex& operator=(GraphIndex&&) = default;

  // A copy that answers every const question as this index does now, for
  // reading without the lock that guards this one while it changes on. It
  // shares the immutable CSR bases (the bulk of the edges) and copies the
  // rest: ids, node fields, overlays, tombstones and logs (tens of MB per
  // million nodes). A fold in progress here is not part of it.
  // REQUIRES: no concurrent Apply, FinishFold or EndBulk (a shared lock).
  GraphIndex Snapshot() const;

  // Checkpoints (engine/checkpoint.h): Load replaces this index with what
  // Save wrote (a fold in progress is left out: its base and log are saved).
  // Load errors: Internal (bad_checkpoint) when the bytes are not a whole
  // index; this index is then unchanged.
  void Save(BinaryWriter& out) const;
  Status Load(BinaryReader& in);

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
  // through a relationship to the resources its provisions touched only
  // while its consumer owns them and they are not retired,
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

  // Calls fn(to, type) for every edge out of `n` a walk follows now:
  // downstream, a relationship's created/modified/transferred edges only to
  // resources its consumer still owns and that are not retired.
  template <typename F>
  void ForEachEdge(NodeId n, bool downstream, F&& fn) const {
    const Adjacency& a = downstream ? down_ : up_;
    const NodeId consumer = downstream ? consumer_[n] : kNoNode;
    a.ForEach(n, flags_[n] & (downstream ? kDownOverlay : kUpOverlay),
              flags_[n] & (downstream ? kDownRemoved : kUpRemoved), [&](uint32_t p) {
                if (Follows(consumer, p)) fn(Adjacency::Target(p), Adjacency::Type(p));
              });
  }
  // A public offering, or a service with one: every organization sees it.
  bool Public(NodeId n) const { return flags_[n] & kPublic; }

  // Folding: when the overlay is large enough, starts building a new base
  // in the background; FinishFold installs it when ready (call it under the
  // writer lock; `wait` blocks until the build is done). Returns whether a
  // new base was installed.
  void MaybeStartFold(size_t min_overlay_edges = 65536);
  // Folds the whole log into the bases now, and waits: afterwards edges()
  // counts each live edge once, however the index was built (a replay, a
  // checkpoint and its tail).
  void FoldAll();
  bool FinishFold(bool wait);
  size_t overlay_edges() const { return down_.log().size() + up_.log().size(); }

 private:
  // Starts folding the whole log in the background. REQUIRES: none pending.
  void StartFold();

  static constexpr uint8_t kBlocked = 1;      // a relationship neither active nor suspended
  static constexpr uint8_t kDownOverlay = 2;  // has downstream overlay edges
  static constexpr uint8_t kUpOverlay = 4;
  static constexpr uint8_t kPublic = 8;       // see Public()
  static constexpr uint8_t kRetired = 16;     // a retired resource
  static constexpr uint8_t kDownRemoved = 32; // has downstream tombstones
  static constexpr uint8_t kUpRemoved = 64;
  static constexpr uint8_t kHasConsumer = 128;  // a relationship: consumer_ is set
  // Flags that describe the node itself, not its edges.
  static constexpr uint8_t kNodeFlags = kBlocked | kPublic | kRetired | kHasConsumer;

  // Whether a walk follows edge `packed` out of a node whose consumer (for a
  // relationship; kNoNode otherwise) is `consumer`.
  bool Follows(NodeId consumer, uint32_t packed) const {
    if (consumer == kNoNode) return true;
    const auto type = Adjacency::Type(packed);
    if (type != EdgeType::kCreated && type != EdgeType::kModified &&
        type != EdgeType::kTransferred) {
      return true;
    }
    const NodeId w = Adjacency::Target(packed);
    return org_[w] == consumer && !(flags_[w] & kRetired);
  }

  // WalkDownstream, compiled apart with and without parents: the walk
  // without them is the common one and runs short of registers.
  template <bool kParents>
  void Walk(std::span<const NodeId> starts, NodeId exclude, int max_depth, Reached& out,
            bool expand_exclude) const;

  NodeId GetOrAdd(std::string_view id, Noun noun);
  NodeId Lookup(std::string_view id, size_t hash) const;
  void Grow();
  void AddEdge(bool downstream, NodeId from, NodeId to, EdgeType type);
  void RemoveEdge(bool downstream, NodeId from, NodeId to, EdgeType type);
  // Sets n's overlay and tombstone flags from its adjacencies.
  void FlagEdges(NodeId n);
  // Makes the edges between service `n` and what it is built on and
  // depends on those of `now`, given those of `before` (nullptr: none).
  void LinkService(NodeId n, const Service* before, const Service& now);
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
  std::vector<NodeId> consumer_;  // a relationship's consumer; kNoNode for others

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
