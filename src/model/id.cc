#include "model/id.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <mutex>
#include <shared_mutex>

namespace cocreate {

namespace {

// The interned texts live in chunks that never move; a chunk, once
// published, is only appended to at indexes no reader has been given yet.
// The lookup table is open addressing over (hash, index) pairs.
class IdTable {
 public:
  static constexpr uint32_t kChunkBits = 14;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr uint32_t kMaxChunks = 1u << 16;  // 2^30 ids

  IdTable() {
    chunks_[0].store(new std::string[kChunkSize], std::memory_order_release);
    size_ = 1;  // index 0: ""
    slots_.assign(1024, 0);
  }

  // A child process of fork() may read the table (a checkpoint written
  // by a child, engine/checkpoint.h): the fork waits for no thread to be
  // interning, and the child starts with the lock free. (Made anew in the
  // child: glibc would not take the parent's thread's unlock as the owner's.)
  void HoldForFork() { mu_.lock(); }
  void ReleaseInParent() { mu_.unlock(); }
  void ReleaseInChild() { new (&mu_) std::shared_mutex(); }

  const std::string& Text(uint32_t index) const {
    return chunks_[index >> kChunkBits].load(std::memory_order_acquire)[index & (kChunkSize - 1)];
  }

  // The index of `text`, or kAbsent when it was never interned.
  static constexpr uint32_t kAbsent = UINT32_MAX;
  uint32_t Find(std::string_view text) {
    if (text.empty()) return 0;
    const uint64_t hash = std::hash<std::string_view>()(text);
    std::shared_lock lock(mu_);
    return FindLocked(text, hash);
  }

  uint32_t Intern(std::string_view text) {
    if (text.empty()) return 0;
    const uint64_t hash = std::hash<std::string_view>()(text);
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    {
      // Most ids a state interns are known already (the references).
      std::shared_lock lock(mu_);
      if (uint32_t found = FindLocked(text, hash); found != kAbsent) return found;
    }
    std::unique_lock lock(mu_);
    if (uint32_t found = FindLocked(text, hash); found != kAbsent) return found;
    size_t mask = slots_.size() - 1;
    const uint32_t index = size_;
    if ((index >> kChunkBits) >= kMaxChunks) std::abort();  // 2^30 distinct ids
    std::string* chunk = chunks_[index >> kChunkBits].load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new std::string[kChunkSize];
      chunks_[index >> kChunkBits].store(chunk, std::memory_order_release);
    }
    chunk[index & (kChunkSize - 1)] = std::string(text);
    ++size_;
    if (size_ * 2 > slots_.size()) Grow();
    mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (static_cast<uint64_t>(tag) << 32) | index;
    return index;
  }

  size_t Count() {
    std::shared_lock lock(mu_);
    return size_;
  }

 private:
  // REQUIRES: mu_ held (shared or not).
  uint32_t FindLocked(std::string_view text, uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint64_t slot = slots_[i];
      if (slot == 0) return kAbsent;
      if (static_cast<uint32_t>(slot >> 32) == tag &&
          Text(static_cast<uint32_t>(slot)) == text) {
        return static_cast<uint32_t>(slot);
      }
    }
  }

  void Grow() {
    std::vector<uint64_t> next(slots_.size() * 2, 0);
    const size_t mask = next.size() - 1;
    for (uint64_t slot : slots_) {
      if (slot == 0) continue;
      const uint64_t hash = std::hash<std::string_view>()(Text(static_cast<uint32_t>(slot)));
      size_t i = hash & mask;
      while (next[i] != 0) i = (i + 1) & mask;
      next[i] = slot;
    }
    slots_.swap(next);
  }

  std::shared_mutex mu_;  // lookups share it; interning a new id holds it alone
  uint32_t size_ = 0;
  std::vector<uint64_t> slots_;  // (hash >> 32) << 32 | index; 0: empty
  std::atomic<std::string*> chunks_[kMaxChunks] = {};
};

// Never destroyed: Ids may be read by threads still running at exit.
IdTable& Table() {
  static IdTable* table = [] {
    auto* t = new IdTable();
    ::pthread_atfork([] { Table().HoldForFork(); }, [] { Table().ReleaseInParent(); },
                     [] { Table().ReleaseInChild(); });
    return t;
  }();
  return *table;
}

}  // namespace

Id::Id(std::string_view text) : index_(Table().Intern(text)) {}

std::optional<Id> Id::Find(std::string_view text) {
  const uint32_t index = Table().Find(text);
  if (index == IdTable::kAbsent) return std::nullopt;
  return AtIndex(index);
}

const std::string& Id::str() const { return Table().Text(index_); }

size_t Id::Count() { return Table().Count(); }

bool operator==(const IdList& ids, const std::vector<std::string>& texts) {
  return std::equal(ids.begin(), ids.end(), texts.begin(), texts.end(),
                    [](Id a, const std::string& b) { return a == b; });
}

IdList Intern(const std::vector<std::string>& texts) {
  IdList ids;
  ids.reserve(texts.size());
  for (const auto& t : texts) ids.emplace_back(t);
  return ids;
}

std::vector<std::string> Texts(const IdList& ids) {
  std::vector<std::string> texts;
  texts.reserve(ids.size());
  for (Id id : ids) texts.push_back(id.str());
  return texts;
}

}  // namespace cocreate
