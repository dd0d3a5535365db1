#include "graph/index.h"

#include <algorithm>
#include <functional>

namespace cocreate {

// ---------------------------------------------------------------------------
// Adjacency

Adjacency::Adjacency() : base_(std::make_shared<Csr>()) {}

void Adjacency::Add(NodeId from, NodeId to, EdgeType type, bool index_overlay) {
  uint32_t packed = Pack(to, type);
  log_.push_back({from, packed});
  if (index_overlay) overlay_[from].push_back(packed);
}

void Adjacency::IndexOverlay() {
  overlay_.clear();
  for (const Edge& e : log_) overlay_[e.from].push_back(e.packed);
}

std::shared_ptr<const Adjacency::Csr> Adjacency::Fold(std::shared_ptr<const Csr> base,
                                                      std::vector<Edge> log, size_t nodes) {
  auto out = std::make_shared<Csr>();
  const Csr& b = *base;
  std::vector<uint32_t> cursor(nodes + 1, 0);
  for (size_t u = 0; u < b.nodes(); ++u) cursor[u + 1] = b.offsets[u + 1] - b.offsets[u];
  for (const Edge& e : log) cursor[e.from + 1]++;
  for (size_t u = 0; u < nodes; ++u) cursor[u + 1] += cursor[u];
  std::vector<uint32_t> targets(cursor[nodes]);
  for (size_t u = 0; u < b.nodes(); ++u) {
    std::copy(b.targets.begin() + b.offsets[u], b.targets.begin() + b.offsets[u + 1],
              targets.begin() + cursor[u]);
    cursor[u] += b.offsets[u + 1] - b.offsets[u];
  }
  for (const Edge& e : log) targets[cursor[e.from]++] = e.packed;
  // cursor[u] is now the end of u's edges. Drop repeated targets (a
  // relationship reaches a resource through several provisions: one edge,
  // typed by the first relation), keeping the order edges came in.
  std::vector<NodeId> mark(nodes, kNoNode);
  out->offsets.resize(nodes + 1);
  out->offsets[0] = 0;
  uint32_t write = 0, begin = 0;
  for (size_t u = 0; u < nodes; ++u) {
    uint32_t end = cursor[u];
    for (uint32_t i = begin; i < end; ++i) {
      NodeId v = Target(targets[i]);
      if (mark[v] == u) continue;
      mark[v] = static_cast<NodeId>(u);
      targets[write++] = targets[i];
    }
    begin = end;
    out->offsets[u + 1] = write;
  }
  targets.resize(write);
  targets.shrink_to_fit();
  out->targets = std::move(targets);
  return out;
}

void Adjacency::Install(std::shared_ptr<const Csr> base, size_t folded) {
  base_ = std::move(base);
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(folded));
  log_.shrink_to_fit();
  IndexOverlay();
}

size_t Adjacency::MemoryBytes() const {
  size_t bytes = base_->offsets.capacity() * 4 + base_->targets.capacity() * 4 +
                 log_.capacity() * sizeof(Edge);
  for (const auto& [u, v] : overlay_) bytes += 32 + v.capacity() * 4;
  return bytes;
}

// ---------------------------------------------------------------------------
// GraphIndex: nodes

GraphIndex::GraphIndex() : table_(1024, kNoNode) {}

NodeId GraphIndex::Lookup(std::string_view id, size_t hash) const {
  size_t mask = table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    NodeId n = table_[i];
    if (n == kNoNode || Id(n) == id) return n;
  }
}

NodeId GraphIndex::Find(std::string_view id) const {
  return Lookup(id, std::hash<std::string_view>{}(id));
}

void GraphIndex::Grow() {
  std::vector<NodeId> table(table_.size() * 2, kNoNode);
  size_t mask = table.size() - 1;
  for (NodeId n = 0; n < noun_.size(); ++n) {
    size_t i = std::hash<std::string_view>{}(Id(n)) & mask;
    while (table[i] != kNoNode) i = (i + 1) & mask;
    table[i] = n;
  }
  table_ = std::move(table);
}

NodeId GraphIndex::GetOrAdd(std::string_view id, Noun noun) {
  size_t hash = std::hash<std::string_view>{}(id);
  NodeId found = Lookup(id, hash);
  if (found != kNoNode) return found;
  NodeId n = static_cast<NodeId>(noun_.size());
  id_bytes_.insert(id_bytes_.end(), id.begin(), id.end());
  id_offset_.push_back(static_cast<uint32_t>(id_bytes_.size()));
  noun_.push_back(static_cast<uint8_t>(noun));
  flags_.push_back(0);
  org_.push_back(kNoNode);
  size_t mask = table_.size() - 1;
  size_t i = hash & mask;
  while (table_[i] != kNoNode) i = (i + 1) & mask;
  table_[i] = n;
  if (noun_.size() * 2 > table_.size()) Grow();
  return n;
}

void GraphIndex::AddEdge(bool downstream, NodeId from, NodeId to, EdgeType type) {
  Adjacency& a = downstream ? down_ : up_;
  a.Add(from, to, type, !bulk_);
  if (!bulk_) flags_[from] |= downstream ? kDownOverlay : kUpOverlay;
}

void GraphIndex::SetRelationshipStatus(NodeId n, RelationshipStatus s) {
  bool walkable = s == RelationshipStatus::kActive || s == RelationshipStatus::kSuspended;
  if (walkable) {
    flags_[n] &= static_cast<uint8_t>(~kBlocked);
  } else {
    flags_[n] |= kBlocked;
  }
}

// ---------------------------------------------------------------------------
// GraphIndex: events

void GraphIndex::Apply(const Event& e, const State& state) {
  std::string_view type = e.type;
  const std::string& id = e.subject;
  auto org = [&](const std::string& o) { return GetOrAdd(o, Noun::kOrganization); };
  if (type == "organization.created") {
    GetOrAdd(id, Noun::kOrganization);
  } else if (type == "consumer_group.created") {
    GetOrAdd(id, Noun::kConsumerGroup);
  } else if (type == "resource.created") {
    const Resource* r = state.FindResource(id);
    if (r == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kResource);
    org_[n] = org(r->current().owner);
  } else if (type == "resource.transferred") {
    const Resource* r = state.FindResource(id);
    if (r == nullptr) return;
    org_[GetOrAdd(id, Noun::kResource)] = org(r->current().owner);
  } else if (type == "service.created") {
    const Service* s = state.FindService(id);
    if (s == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kService);
    org_[n] = org(s->provider);
    for (const auto& r : s->built_on) {
      NodeId rn = GetOrAdd(r, Noun::kResource);
      AddEdge(true, rn, n, EdgeType::kBuiltOn);
      AddEdge(false, n, rn, EdgeType::kBuiltOn);
    }
    for (const auto& d : s->depends_on) {
      NodeId dn = GetOrAdd(d, Noun::kService);
      AddEdge(true, dn, n, EdgeType::kDependsOn);
      AddEdge(false, n, dn, EdgeType::kDependsOn);
    }
  } else if (type == "offering.created") {
    const Offering* o = state.FindOffering(id);
    if (o == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kOffering);
    org_[n] = org(o->provider);
    NodeId sn = GetOrAdd(o->service, Noun::kService);
    if (o->audience_public) {
      flags_[n] |= kPublic;
      flags_[sn] |= kPublic;
    }
    AddEdge(true, sn, n, EdgeType::kOffers);
    AddEdge(false, n, sn, EdgeType::kOffers);
    for (const auto& a : o->access) AddEdge(true, GetOrAdd(a, Noun::kResource), n,
                                            EdgeType::kAccess);
  } else if (type.rfind("relationship.", 0) == 0) {
    const Relationship* r = state.FindRelationship(id);
    if (r == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kRelationship);
    if (type == "relationship.requested") {
      org_[n] = org(r->provider);
      NodeId on = GetOrAdd(r->offering, Noun::kOffering);
      AddEdge(true, on, n, EdgeType::kRelationshipOn);
      AddEdge(true, n, org(r->consumer), EdgeType::kConsumerOf);
      AddEdge(false, n, on, EdgeType::kRelationshipOn);
    }
    SetRelationshipStatus(n, r->status);
  } else if (type == "provision.performed") {
    const Provision* p = state.FindProvision(id);
    if (p == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kProvision);
    org_[n] = org(p->provider);
    NodeId rel = GetOrAdd(p->relationship, Noun::kRelationship);
    auto touch = [&](const std::string& resource, EdgeType how) {
      NodeId rn = GetOrAdd(resource, Noun::kResource);
      AddEdge(true, rel, rn, how);
      AddEdge(true, n, rn, how);
      AddEdge(false, rn, n, how);
    };
    for (const auto& r : p->created) touch(r, EdgeType::kCreated);
    for (const auto& m : p->modified) touch(m.resource, EdgeType::kModified);
    for (const auto& r : p->transferred) touch(r, EdgeType::kTransferred);
    AddEdge(false, n, rel, EdgeType::kProvisionIn);
    for (const auto& u : p->used) AddEdge(false, n, GetOrAdd(u, Noun::kResource), EdgeType::kUsed);
  }
}

void GraphIndex::Reflag() {
  for (auto& f : flags_) f &= static_cast<uint8_t>(kBlocked | kPublic);
  for (const auto& e : down_.log()) flags_[e.from] |= kDownOverlay;
  for (const auto& e : up_.log()) flags_[e.from] |= kUpOverlay;
}

void GraphIndex::EndBulk() {
  bulk_ = false;
  FinishFold(true);
  size_t n = nodes();
  down_.Install(Adjacency::Fold(down_.base(), down_.log(), n), down_.log().size());
  up_.Install(Adjacency::Fold(up_.base(), up_.log(), n), up_.log().size());
  Reflag();
}

void GraphIndex::MaybeStartFold(size_t min_overlay_edges) {
  if (fold_ != nullptr) return;
  size_t overlay = overlay_edges();
  size_t base = down_.base()->targets.size() + up_.base()->targets.size();
  if (overlay < min_overlay_edges || overlay * 8 < base) return;
  auto pending = std::make_unique<PendingFold>();
  size_t n = nodes();
  pending->down_upto = down_.log().size();
  pending->up_upto = up_.log().size();
  // The copies and the bases are all the background work reads.
  pending->down = std::async(std::launch::async, Adjacency::Fold, down_.base(), down_.log(), n);
  pending->up = std::async(std::launch::async, Adjacency::Fold, up_.base(), up_.log(), n);
  fold_ = std::move(pending);
}

bool GraphIndex::FinishFold(bool wait) {
  if (fold_ == nullptr) return false;
  if (!wait) {
    using namespace std::chrono_literals;
    if (fold_->down.wait_for(0s) != std::future_status::ready ||
        fold_->up.wait_for(0s) != std::future_status::ready) {
      return false;
    }
  }
  down_.Install(fold_->down.get(), fold_->down_upto);
  up_.Install(fold_->up.get(), fold_->up_upto);
  fold_.reset();
  Reflag();
  return true;
}

size_t GraphIndex::MemoryBytes() const {
  return down_.MemoryBytes() + up_.MemoryBytes() + id_bytes_.capacity() +
         id_offset_.capacity() * 4 + table_.capacity() * 4 + noun_.capacity() +
         flags_.capacity() + org_.capacity() * 4;
}

// ---------------------------------------------------------------------------
// GraphIndex: walks

namespace {

// Per-thread visit stamps, so concurrent readers never share scratch space
// and a walk never clears an array the size of the graph.
struct Visits {
  std::vector<uint32_t> stamp;
  uint32_t current = 0;
  uint32_t Next(size_t nodes) {
    if (stamp.size() < nodes) stamp.resize(nodes + nodes / 4 + 64, 0);
    if (++current == 0) {
      std::fill(stamp.begin(), stamp.end(), 0);
      current = 1;
    }
    return current;
  }
};

Visits& ThreadVisits() {
  thread_local Visits visits;
  return visits;
}

}  // namespace

namespace {

// The noun every downstream edge type leads to.
constexpr int8_t kTargetNoun[16] = {
    static_cast<int8_t>(Noun::kService),       // kBuiltOn
    static_cast<int8_t>(Noun::kOffering),      // kAccess
    static_cast<int8_t>(Noun::kService),       // kDependsOn
    static_cast<int8_t>(Noun::kOffering),      // kOffers
    static_cast<int8_t>(Noun::kRelationship),  // kRelationshipOn
    static_cast<int8_t>(Noun::kOrganization),  // kConsumerOf
    static_cast<int8_t>(Noun::kResource),      // kCreated
    static_cast<int8_t>(Noun::kResource),      // kModified
    static_cast<int8_t>(Noun::kResource),      // kTransferred
    -1, -1, -1, -1, -1, -1, -1};

}  // namespace

void GraphIndex::WalkDownstream(std::span<const NodeId> starts, NodeId exclude, int max_depth,
                                bool parents, Reached& out, bool expand_exclude) const {
  out.nodes.clear();
  out.parent.clear();
  out.levels.assign(1, 0);
  std::fill(std::begin(out.by_noun), std::end(out.by_noun), 0);
  if (max_depth == 0) {
    out.levels.push_back(0);
    return;
  }
  Visits& v = ThreadVisits();
  const uint32_t stamp = v.Next(nodes());
  uint32_t* seen = v.stamp.data();
  const uint8_t* flags = flags_.data();
  if (exclude != kNoNode) seen[exclude] = stamp;
  for (NodeId s : starts) {
    if (seen[s] == stamp) continue;
    seen[s] = stamp;
    out.nodes.push_back(s);
    out.by_noun[noun_[s]]++;
    if (parents) out.parent.push_back(kNoNode);
  }
  // Counted by edge type: the type names the target's noun, so the walk
  // reads no node field but a relationship's status.
  int64_t by_type[16] = {};
  const uint32_t limit = max_depth < 0 ? 0xFFFFFFFFu : static_cast<uint32_t>(max_depth);
  const Adjacency::Csr& base = *down_.base();
  const uint32_t* offsets = base.offsets.data();
  const uint32_t* targets = base.targets.data();
  const size_t base_nodes = base.nodes();
  constexpr uint32_t kRelationshipOn = static_cast<uint32_t>(EdgeType::kRelationshipOn);
  const bool any_overlay = !down_.log().empty();
  uint32_t parent = kNoNode;
  auto visit = [&](uint32_t packed) {
    const NodeId w = Adjacency::Target(packed);
    if (seen[w] == stamp) return;
    const uint32_t type = packed >> Adjacency::kNodeBits;
    if (type == kRelationshipOn && (flags[w] & kBlocked)) return;
    seen[w] = stamp;
    ++by_type[type];
    out.nodes.push_back(w);
    if (parents) out.parent.push_back(parent);
  };
  auto expand = [&](NodeId u) {
    if (u < base_nodes) {
      for (uint32_t i = offsets[u], end = offsets[u + 1]; i < end; ++i) visit(targets[i]);
    }
    if (any_overlay && (flags[u] & kDownOverlay)) down_.ForEachOverlay(u, visit);
  };
  if (expand_exclude && exclude != kNoNode) expand(exclude);
  uint32_t depth = 1;
  size_t level_end = out.nodes.size();
  for (size_t head = 0; head < out.nodes.size(); ++head) {
    if (head == level_end) {
      out.levels.push_back(static_cast<uint32_t>(head));
      ++depth;
      level_end = out.nodes.size();
    }
    // Nothing deeper: every node left in the queue is at this depth.
    if (depth >= limit) break;
    parent = static_cast<uint32_t>(head);
    expand(out.nodes[head]);
  }
  // Every level is open-ended until here: close the last one.
  out.levels.push_back(static_cast<uint32_t>(out.nodes.size()));
  for (int t = 0; t < 16; ++t) {
    if (kTargetNoun[t] >= 0) out.by_noun[kTargetNoun[t]] += by_type[t];
  }
}

void GraphIndex::WalkUpstream(NodeId start, std::vector<NodeId>& out) const {
  out.clear();
  Visits& v = ThreadVisits();
  const uint32_t stamp = v.Next(nodes());
  v.stamp[start] = stamp;
  auto visit = [&](NodeId to, EdgeType) {
    if (v.stamp[to] == stamp) return;
    v.stamp[to] = stamp;
    out.push_back(to);
  };
  ForEachEdge(start, false, visit);
  for (size_t head = 0; head < out.size(); ++head) ForEachEdge(out[head], false, visit);
}

}  // namespace cocreate
