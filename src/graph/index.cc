#include "graph/index.h"

#include <algorithm>
#include <functional>
#include <unordered_set>

namespace cocreate {

// ---------------------------------------------------------------------------
// Adjacency

Adjacency::Adjacency() : base_(std::make_shared<Csr>()) {}

void Adjacency::Add(NodeId from, NodeId to, EdgeType type, bool live) {
  log_.push_back({from, Pack(to, type), false});
  if (live) ApplyLive(log_.back());
}

void Adjacency::Remove(NodeId from, NodeId to, EdgeType type, bool live) {
  log_.push_back({from, Pack(to, type), true});
  if (live) ApplyLive(log_.back());
}

void Adjacency::ApplyLive(const Edge& e) {
  if (e.removed) {
    tombstones_[e.from].push_back(e.packed);
    return;
  }
  auto it = tombstones_.find(e.from);
  if (it != tombstones_.end()) {
    auto& dead = it->second;
    auto d = std::find(dead.begin(), dead.end(), e.packed);
    if (d != dead.end()) {  // re-added: the edge is still in the base or overlay
      dead.erase(d);
      if (dead.empty()) tombstones_.erase(it);
      return;
    }
  }
  overlay_[e.from].push_back(e.packed);
}

void Adjacency::Replay() {
  overlay_.clear();
  tombstones_.clear();
  for (const Edge& e : log_) ApplyLive(e);
}

void Adjacency::Save(BinaryWriter& out) const {
  out.Pod(base_->offsets);
  out.Pod(base_->targets);
  out.U64(log_.size());
  for (const Edge& e : log_) {
    out.U64(e.from);
    out.U64(e.packed);
    out(e.removed);
  }
}

void Adjacency::Load(BinaryReader& in) {
  auto base = std::make_shared<Csr>();
  in.Pod(base->offsets);
  in.Pod(base->targets);
  std::vector<Edge> log(in.Count());
  for (Edge& e : log) {
    e.from = static_cast<NodeId>(in.U64());
    e.packed = static_cast<uint32_t>(in.U64());
    in(e.removed);
  }
  base_ = std::move(base);
  log_ = std::move(log);
  Replay();
}

std::shared_ptr<const Adjacency::Csr> Adjacency::Fold(std::shared_ptr<const Csr> base,
                                                      std::vector<Edge> log, size_t nodes) {
  auto out = std::make_shared<Csr>();
  const Csr& b = *base;
  // The edges removed by the end of the log: a remove tombstones, a later
  // add lifts the tombstone (the edge is still in the base or an earlier add).
  auto key = [](NodeId from, uint32_t packed) {
    return (static_cast<uint64_t>(from) << 32) | packed;
  };
  std::unordered_set<uint64_t> dead;
  std::vector<bool> has_dead(nodes, false);
  for (const Edge& e : log) {
    if (e.removed) {
      dead.insert(key(e.from, e.packed));
      has_dead[e.from] = true;
    } else {
      dead.erase(key(e.from, e.packed));
    }
  }
  std::vector<uint32_t> cursor(nodes + 1, 0);
  for (size_t u = 0; u < b.nodes(); ++u) cursor[u + 1] = b.offsets[u + 1] - b.offsets[u];
  for (const Edge& e : log) cursor[e.from + 1] += !e.removed;
  for (size_t u = 0; u < nodes; ++u) cursor[u + 1] += cursor[u];
  std::vector<uint32_t> targets(cursor[nodes]);
  for (size_t u = 0; u < b.nodes(); ++u) {
    std::copy(b.targets.begin() + b.offsets[u], b.targets.begin() + b.offsets[u + 1],
              targets.begin() + cursor[u]);
    cursor[u] += b.offsets[u + 1] - b.offsets[u];
  }
  for (const Edge& e : log) {
    if (!e.removed) targets[cursor[e.from]++] = e.packed;
  }
  // cursor[u] is now the end of u's edges. Drop removed edges, then repeated
  // targets (a relationship reaches a resource through several provisions:
  // one edge, typed by the first relation), keeping the order edges came in.
  std::vector<NodeId> mark(nodes, kNoNode);
  out->offsets.resize(nodes + 1);
  out->offsets[0] = 0;
  uint32_t write = 0, begin = 0;
  for (size_t u = 0; u < nodes; ++u) {
    uint32_t end = cursor[u];
    const bool check_dead = !dead.empty() && has_dead[u];
    for (uint32_t i = begin; i < end; ++i) {
      if (check_dead && dead.count(key(static_cast<NodeId>(u), targets[i]))) continue;
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
  Replay();
}

size_t Adjacency::MemoryBytes() const {
  size_t bytes = base_->offsets.capacity() * 4 + base_->targets.capacity() * 4 +
                 log_.capacity() * sizeof(Edge);
  for (const auto& [u, v] : overlay_) bytes += 32 + v.capacity() * 4;
  for (const auto& [u, v] : tombstones_) bytes += 32 + v.capacity() * 4;
  return bytes;
}

// ---------------------------------------------------------------------------
// GraphIndex: nodes

GraphIndex::GraphIndex() : table_(1024, kNoNode) {}

GraphIndex GraphIndex::Snapshot() const {
  GraphIndex copy;
  copy.id_bytes_ = id_bytes_;
  copy.id_offset_ = id_offset_;
  copy.table_ = table_;
  copy.noun_ = noun_;
  copy.flags_ = flags_;
  copy.org_ = org_;
  copy.consumer_ = consumer_;
  copy.down_ = down_;  // the base by shared_ptr, the rest by value
  copy.up_ = up_;
  copy.bulk_ = bulk_;
  return copy;
}

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
  consumer_.push_back(kNoNode);
  size_t mask = table_.size() - 1;
  size_t i = hash & mask;
  while (table_[i] != kNoNode) i = (i + 1) & mask;
  table_[i] = n;
  if (noun_.size() * 2 > table_.size()) Grow();
  return n;
}

void GraphIndex::AddEdge(bool downstream, NodeId from, NodeId to, EdgeType type) {
  (downstream ? down_ : up_).Add(from, to, type, !bulk_);
  if (!bulk_) FlagEdges(from);
}

void GraphIndex::RemoveEdge(bool downstream, NodeId from, NodeId to, EdgeType type) {
  (downstream ? down_ : up_).Remove(from, to, type, !bulk_);
  if (!bulk_) FlagEdges(from);
}

void GraphIndex::FlagEdges(NodeId n) {
  uint8_t f = flags_[n] & kNodeFlags;
  if (down_.HasOverlay(n)) f |= kDownOverlay;
  if (up_.HasOverlay(n)) f |= kUpOverlay;
  if (down_.Tombstones(n) != nullptr) f |= kDownRemoved;
  if (up_.Tombstones(n) != nullptr) f |= kUpRemoved;
  flags_[n] = f;
}

void GraphIndex::LinkService(NodeId n, const Service* before, const Service& now) {
  static const IdList kNone;
  auto relink = [&](const IdList& was, const IdList& is, Noun noun, EdgeType type) {
    auto has = [](const IdList& v, cocreate::Id x) { return std::find(v.begin(), v.end(), x) != v.end(); };
    for (const auto& x : was) {
      if (has(is, x)) continue;
      NodeId xn = GetOrAdd(x, noun);
      RemoveEdge(true, xn, n, type);
      RemoveEdge(false, n, xn, type);
    }
    for (const auto& x : is) {
      if (has(was, x)) continue;
      NodeId xn = GetOrAdd(x, noun);
      AddEdge(true, xn, n, type);
      AddEdge(false, n, xn, type);
    }
  };
  relink(before ? before->built_on : kNone, now.built_on, Noun::kResource, EdgeType::kBuiltOn);
  relink(before ? before->depends_on : kNone, now.depends_on, Noun::kService,
         EdgeType::kDependsOn);
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

// Reads the state as of the event (its history), so a state that has
// applied later events too gives the same index.
void GraphIndex::Apply(const Event& e, const State& state) {
  const EventType type = e.type;
  const std::string& id = e.subject;
  auto org = [&](const std::string& o) { return GetOrAdd(o, Noun::kOrganization); };
  if (type == EventType::kOrganizationCreated) {
    GetOrAdd(id, Noun::kOrganization);
  } else if (type == EventType::kConsumerGroupCreated) {
    GetOrAdd(id, Noun::kConsumerGroup);
  } else if (type == EventType::kResourceCreated || type == EventType::kResourceTransferred) {
    const Resource* r = state.FindResource(id);
    const ResourceVersion* v = r == nullptr ? nullptr : r->AsOf(e.seq);
    if (v == nullptr) return;
    org_[GetOrAdd(id, Noun::kResource)] = org(v->owner);
  } else if (type == EventType::kResourceRetired) {
    if (state.FindResource(id) == nullptr) return;
    flags_[GetOrAdd(id, Noun::kResource)] |= kRetired;
  } else if (type == EventType::kServiceCreated || type == EventType::kServiceUpdated) {
    const Service* s = state.ServiceAt(id, e.seq);
    if (s == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kService);
    org_[n] = org(s->provider);
    LinkService(n, type == EventType::kServiceCreated ? nullptr : state.ServiceAt(id, e.seq - 1),
                *s);
  } else if (type == EventType::kOfferingCreated || type == EventType::kOfferingUpdated) {
    const Offering* o = state.OfferingAt(id, e.seq);
    if (o == nullptr) return;
    const Offering* before =
        type == EventType::kOfferingCreated ? nullptr : state.OfferingAt(id, e.seq - 1);
    NodeId n = GetOrAdd(id, Noun::kOffering);
    org_[n] = org(o->provider);
    NodeId sn = GetOrAdd(o->service, Noun::kService);
    if (before == nullptr) {
      AddEdge(true, sn, n, EdgeType::kOffers);
      AddEdge(false, n, sn, EdgeType::kOffers);
    }
    static const std::vector<std::string> kNone;
    const auto& was = before ? before->access : kNone;
    for (const auto& a : was) {
      if (std::find(o->access.begin(), o->access.end(), a) == o->access.end()) {
        RemoveEdge(true, GetOrAdd(a, Noun::kResource), n, EdgeType::kAccess);
      }
    }
    for (const auto& a : o->access) {
      if (std::find(was.begin(), was.end(), a) == was.end()) {
        AddEdge(true, GetOrAdd(a, Noun::kResource), n, EdgeType::kAccess);
      }
    }
    // Public: the offering's audience now; its service while any of the
    // service's offerings is public (as of this event).
    if (o->audience_public) {
      flags_[n] |= kPublic;
      flags_[sn] |= kPublic;
    } else {
      flags_[n] &= static_cast<uint8_t>(~kPublic);
      bool any = false;
      for (const std::string& other : state.OfferingsOf(o->service)) {
        const Offering* x = state.OfferingAt(other, e.seq);
        any = any || (x != nullptr && x->audience_public);
      }
      if (!any) flags_[sn] &= static_cast<uint8_t>(~kPublic);
    }
  } else if (EventTypeName(type).starts_with("relationship.")) {
    const Relationship* r = state.FindRelationship(id);
    const RelationshipChange* at = state.RelationshipAt(id, e.seq);
    if (r == nullptr || at == nullptr) return;
    NodeId n = GetOrAdd(id, Noun::kRelationship);
    if (type == EventType::kRelationshipRequested) {
      org_[n] = org(r->provider);
      consumer_[n] = org(r->consumer);
      flags_[n] |= kHasConsumer;
      NodeId on = GetOrAdd(r->offering, Noun::kOffering);
      AddEdge(true, on, n, EdgeType::kRelationshipOn);
      AddEdge(true, n, consumer_[n], EdgeType::kConsumerOf);
      AddEdge(false, n, on, EdgeType::kRelationshipOn);
    }
    SetRelationshipStatus(n, at->status);
  } else if (type == EventType::kProvisionPerformed) {
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

// After a fold: flags from the logs left (an over-approximation is safe:
// a flagged node without overlay edges or tombstones only costs a lookup).
void GraphIndex::Reflag() {
  for (auto& f : flags_) f &= kNodeFlags;
  for (const auto& e : down_.log()) flags_[e.from] |= e.removed ? kDownRemoved : kDownOverlay;
  for (const auto& e : up_.log()) flags_[e.from] |= e.removed ? kUpRemoved : kUpOverlay;
}

void GraphIndex::Save(BinaryWriter& out) const {
  out.Pod(id_bytes_);
  out.Pod(id_offset_);
  out.Pod(table_);
  out.Pod(noun_);
  out.Pod(flags_);
  out.Pod(org_);
  out.Pod(consumer_);
  down_.Save(out);
  up_.Save(out);
}

Status GraphIndex::Load(BinaryReader& in) {
  GraphIndex loaded;
  in.Pod(loaded.id_bytes_);
  in.Pod(loaded.id_offset_);
  in.Pod(loaded.table_);
  in.Pod(loaded.noun_);
  in.Pod(loaded.flags_);
  in.Pod(loaded.org_);
  in.Pod(loaded.consumer_);
  loaded.down_.Load(in);
  loaded.up_.Load(in);
  // What every walk relies on: one entry per node in each node array, ids
  // within their bytes, every edge's ends among the nodes, and a table of
  // a power-of-two size with room to spare.
  const size_t n = loaded.noun_.size();
  bool whole = in.ok() && loaded.id_offset_.size() == n + 1 && loaded.flags_.size() == n &&
               loaded.org_.size() == n && loaded.consumer_.size() == n &&
               loaded.id_offset_.back() == loaded.id_bytes_.size() &&
               std::is_sorted(loaded.id_offset_.begin(), loaded.id_offset_.end()) &&
               !loaded.table_.empty() && (loaded.table_.size() & (loaded.table_.size() - 1)) == 0 &&
               loaded.table_.size() > n;
  for (const Adjacency* a : {&loaded.down_, &loaded.up_}) {
    const Adjacency::Csr& b = *a->base();
    whole = whole && b.nodes() <= n &&
            (b.offsets.empty() || b.offsets.back() == b.targets.size()) &&
            std::is_sorted(b.offsets.begin(), b.offsets.end());
    for (size_t i = 0; whole && i < b.targets.size(); ++i) {
      whole = Adjacency::Target(b.targets[i]) < n;
    }
    for (size_t i = 0; whole && i < a->log().size(); ++i) {
      whole = a->log()[i].from < n && Adjacency::Target(a->log()[i].packed) < n;
    }
  }
  for (size_t i = 0; whole && i < n; ++i) {
    whole = (loaded.org_[i] == kNoNode || loaded.org_[i] < n) &&
            (loaded.consumer_[i] == kNoNode || loaded.consumer_[i] < n);
  }
  for (size_t i = 0; whole && i < loaded.table_.size(); ++i) {
    whole = loaded.table_[i] == kNoNode || loaded.table_[i] < n;
  }
  if (!whole) {
    return Status(Code::kInternal, "bad_checkpoint",
                  "the checkpoint's graph index is cut short or malformed");
  }
  FinishFold(true);
  *this = std::move(loaded);
  return Status::Ok();
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
  StartFold();
}

void GraphIndex::FoldAll() {
  FinishFold(true);
  if (overlay_edges() == 0) return;
  StartFold();
  FinishFold(true);
}

void GraphIndex::StartFold() {
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
         flags_.capacity() + org_.capacity() * 4 + consumer_.capacity() * 4;
}

// ---------------------------------------------------------------------------
// GraphIndex: walks

namespace {

// Per-thread visit stamps and a breadth-first queue, so concurrent readers
// never share scratch space and a walk never clears an array the size of
// the graph.
struct Visits {
  std::vector<uint32_t> stamp;
  std::vector<NodeId> queue;  // sized as `stamp` by the downstream walk
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
  if (parents) {
    Walk<true>(starts, exclude, max_depth, out, expand_exclude);
  } else {
    Walk<false>(starts, exclude, max_depth, out, expand_exclude);
  }
}

template <bool kParents>
void GraphIndex::Walk(std::span<const NodeId> starts, NodeId exclude, int max_depth, Reached& out,
                      bool expand_exclude) const {
  out.nodes.clear();
  out.parent.clear();
  out.levels.assign(1, 0);
  std::fill(std::begin(out.by_noun), std::end(out.by_noun), 0);
  if (max_depth == 0) {
    out.levels.push_back(0);
    return;
  }
  // The hot loop keeps everything it touches in locals (no member or
  // vector reloads per edge): the queue is the thread's scratch array, and
  // only a relationship (kHasConsumer) makes it read consumer_.
  Visits& v = ThreadVisits();
  const uint32_t stamp = v.Next(nodes());
  if (v.queue.size() < v.stamp.size()) v.queue.resize(v.stamp.size());
  uint32_t* const seen = v.stamp.data();
  NodeId* const queue = v.queue.data();
  size_t tail = 0;
  const uint8_t* const flags = flags_.data();
  const NodeId* const org = org_.data();
  const NodeId* const consumers = consumer_.data();
  if (exclude != kNoNode) seen[exclude] = stamp;
  int64_t by_noun[7] = {};
  for (NodeId s : starts) {
    if (seen[s] == stamp) continue;
    seen[s] = stamp;
    queue[tail++] = s;
    by_noun[noun_[s]]++;
    if (kParents) out.parent.push_back(kNoNode);
  }
  // Counted by edge type: the type names the target's noun, so the walk
  // reads no node field but a relationship's status.
  int64_t by_type[16] = {};
  const uint32_t limit = max_depth < 0 ? 0xFFFFFFFFu : static_cast<uint32_t>(max_depth);
  const Adjacency::Csr& base = *down_.base();
  const uint32_t* const offsets = base.offsets.data();
  const uint32_t* const targets = base.targets.data();
  const size_t base_nodes = base.nodes();
  constexpr uint32_t kRelationshipOn = static_cast<uint32_t>(EdgeType::kRelationshipOn);
  constexpr uint32_t kCreated = static_cast<uint32_t>(EdgeType::kCreated);
  constexpr uint32_t kTransferred = static_cast<uint32_t>(EdgeType::kTransferred);
  const bool any_overlay = !down_.log().empty();
  [[maybe_unused]] uint32_t parent = kNoNode;
  NodeId consumer = kNoNode;  // of the relationship being expanded
  auto visit = [&](uint32_t packed) __attribute__((always_inline)) {
    const NodeId w = Adjacency::Target(packed);
    if (seen[w] == stamp) return;
    const uint32_t type = packed >> Adjacency::kNodeBits;
    if (type == kRelationshipOn && (flags[w] & kBlocked)) return;
    // From a relationship, only what its consumer still owns, not retired.
    if (consumer != kNoNode && type - kCreated <= kTransferred - kCreated &&
        (org[w] != consumer || (flags[w] & kRetired))) {
      return;
    }
    seen[w] = stamp;
    ++by_type[type];
    queue[tail++] = w;
    if constexpr (kParents) out.parent.push_back(parent);
  };
  auto expand = [&](NodeId u) __attribute__((always_inline)) {
    const uint8_t f = flags[u];
    consumer = (f & kHasConsumer) ? consumers[u] : kNoNode;
    if (f & kDownRemoved) {  // the slow path: some edges are tombstoned
      down_.ForEach(u, f & kDownOverlay, true, visit);
      return;
    }
    if (u < base_nodes) {
      for (uint32_t i = offsets[u], end = offsets[u + 1]; i < end; ++i) visit(targets[i]);
    }
    if (any_overlay && (f & kDownOverlay)) down_.ForEachOverlay(u, visit);
  };
  if (expand_exclude && exclude != kNoNode) expand(exclude);
  uint32_t depth = 1;
  size_t level_end = tail;
  for (size_t head = 0; head < tail; ++head) {
    if (head == level_end) {
      out.levels.push_back(static_cast<uint32_t>(head));
      ++depth;
      level_end = tail;
    }
    // Nothing deeper: every node left in the queue is at this depth.
    if (depth >= limit) break;
    // Prefetch: the node fields of the node 16 places ahead in the queue,
    // the edges of the one 8 places ahead (its offsets are in cache by now).
    if (head + 16 < tail) {
      const NodeId ahead = queue[head + 16];
      __builtin_prefetch(flags + ahead);
      if (ahead < base_nodes) __builtin_prefetch(offsets + ahead);
    }
    if (head + 8 < tail) {
      const NodeId ahead = queue[head + 8];
      if (ahead < base_nodes) __builtin_prefetch(targets + offsets[ahead]);
    }
    if constexpr (kParents) parent = static_cast<uint32_t>(head);
    expand(queue[head]);
  }
  out.nodes.assign(queue, queue + tail);
  // Every level is open-ended until here: close the last one.
  out.levels.push_back(static_cast<uint32_t>(tail));
  for (int t = 0; t < 16; ++t) {
    if (kTargetNoun[t] >= 0) by_noun[kTargetNoun[t]] += by_type[t];
  }
  std::copy(std::begin(by_noun), std::end(by_noun), std::begin(out.by_noun));
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
