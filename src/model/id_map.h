// IdMap: a map from Id to records, for the state's largest maps (one per
// noun). The records sit in chunks that never move, in the order they were
// added; the lookup is a flat open-addressing table of (handle, position)
// pairs, 8 bytes each.
//
// Why not std::unordered_map: when it grows, it relinks every node, which
// writes to every record's page under the state lock. At 350,000 provisions
// that held writes for 50-90 ms, and after a fork (a checkpoint written by a
// child, engine/checkpoint.h) up to 470 ms, since every page written after a
// fork takes a fault. Growing an IdMap rewrites only its table (16 bytes per
// record, sequentially) and touches no record.
//
// The subset of std::unordered_map's interface the state uses: find,
// operator[], iteration (in the order of insertion), size, clear, reserve.
// No erase: a record, once made, stays (it retires). References, pointers
// and iterators to records stay valid until clear() or destruction; end()
// stays end().
//
// Thread safety: as a standard container (const members may run
// concurrently).
#ifndef COCREATE_MODEL_ID_MAP_H_
#define COCREATE_MODEL_ID_MAP_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/id.h"

namespace cocreate {

template <typename T>
class IdMap {
 public:
  using key_type = Id;
  using mapped_type = T;
  using value_type = std::pair<const Id, T>;

  template <bool kConst>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = IdMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;
    using Map = std::conditional_t<kConst, const IdMap, IdMap>;

    Iter() = default;
    Iter(Map* map, size_t pos) : map_(map), pos_(pos) {}
    // An iterator converts to a const_iterator.
    template <bool kOther, typename = std::enable_if_t<kConst && !kOther>>
    Iter(const Iter<kOther>& other) : map_(other.map_), pos_(other.pos_) {}  // NOLINT

    reference operator*() const { return map_->At(pos_); }
    pointer operator->() const { return &map_->At(pos_); }
    Iter& operator++() {
      if (++pos_ >= map_->size_) pos_ = kEnd;
      return *this;
    }
    Iter operator++(int) {
      Iter before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.pos_ == b.pos_; }

   private:
    friend class Iter<!kConst>;
    Map* map_ = nullptr;
    size_t pos_ = 0;
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  IdMap() = default;
  IdMap(const IdMap& other) {
    IdMap copy;  // (destroys what it made if a copy throws)
    copy.reserve(other.size());
    for (const value_type& kv : other) copy.Emplace(kv.first, kv.second);
    swap(copy);
  }
  IdMap(IdMap&& other) noexcept { swap(other); }
  IdMap& operator=(const IdMap& other) {
    if (this != &other) {
      IdMap copy(other);
      swap(copy);
    }
    return *this;
  }
  IdMap& operator=(IdMap&& other) noexcept {
    IdMap gone(std::move(*this));  // (leaves *this empty)
    swap(other);
    return *this;
  }
  ~IdMap() { clear(); }

  void swap(IdMap& other) noexcept {
    chunks_.swap(other.chunks_);
    slots_.swap(other.slots_);
    std::swap(size_, other.size_);
    std::swap(shift_, other.shift_);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  iterator begin() { return iterator(this, size_ == 0 ? kEnd : 0); }
  iterator end() { return iterator(this, kEnd); }
  const_iterator begin() const { return const_iterator(this, size_ == 0 ? kEnd : 0); }
  const_iterator end() const { return const_iterator(this, kEnd); }

  iterator find(Id key) { return iterator(this, Position(key)); }
  const_iterator find(Id key) const { return const_iterator(this, Position(key)); }
  size_t count(Id key) const { return Position(key) == kEnd ? 0 : 1; }
  bool contains(Id key) const { return count(key) == 1; }

  // The record of `key`, made (value-initialized) when there is none.
  T& operator[](Id key) {
    const size_t pos = Position(key);
    if (pos != kEnd) return At(pos).second;
    return Emplace(key, T()).second;
  }

  // Room for `n` records without growing the table.
  void reserve(size_t n) {
    size_t want = kMinSlots;
    while (want < 2 * n) want *= 2;
    if (want > slots_.size()) Rehash(want);
  }

  void clear() {
    for (size_t i = 0; i < size_; ++i) At(i).~value_type();
    chunks_.clear();
    slots_.clear();
    size_ = 0;
    shift_ = 64;
  }

 private:
  static constexpr size_t kChunkBits = 8;  // 256 records per chunk
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr size_t kMinSlots = 16;
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr size_t kEnd = ~size_t{0};  // end()'s position

  struct alignas(value_type) Cell {
    unsigned char bytes[sizeof(value_type)];
  };

  value_type& At(size_t pos) const {
    Cell& cell = chunks_[pos >> kChunkBits][pos & (kChunkSize - 1)];
    return *std::launder(reinterpret_cast<value_type*>(cell.bytes));
  }

  // Handles are dense and sequential: Fibonacci hashing spreads them, by
  // the product's top bits (`shift` is 64 - log2 of the table's size).
  static size_t Slot(uint32_t index, int shift) {
    return static_cast<size_t>((static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull) >> shift);
  }

  // Where `key`'s record is, or kEnd when it has none.
  size_t Position(Id key) const {
    if (slots_.empty()) return kEnd;
    const size_t mask = slots_.size() - 1;
    for (size_t i = Slot(key.index(), shift_);; i = (i + 1) & mask) {
      const uint64_t slot = slots_[i];
      if (slot == kEmpty) return kEnd;
      if (static_cast<uint32_t>(slot >> 32) == key.index()) {
        return static_cast<size_t>(slot & 0xffffffffu);
      }
    }
  }

  template <typename V>
  value_type& Emplace(Id key, V&& value) {
    if (size_ >= UINT32_MAX) std::abort();  // positions are 32 bits (as handles are)
    if (2 * (size_ + 1) > slots_.size()) Rehash(slots_.empty() ? kMinSlots : 2 * slots_.size());
    if ((size_ >> kChunkBits) == chunks_.size()) {
      chunks_.push_back(std::make_unique_for_overwrite<Cell[]>(kChunkSize));
    }
    Cell& cell = chunks_[size_ >> kChunkBits][size_ & (kChunkSize - 1)];
    value_type* made = new (cell.bytes)
        value_type(std::piecewise_construct, std::forward_as_tuple(key),
                   std::forward_as_tuple(std::forward<V>(value)));
    Insert(slots_, shift_, key.index(), size_);
    ++size_;
    return *made;
  }

  static void Insert(std::vector<uint64_t>& slots, int shift, uint32_t index, size_t pos) {
    const size_t mask = slots.size() - 1;
    size_t i = Slot(index, shift);
    while (slots[i] != kEmpty) i = (i + 1) & mask;
    slots[i] = (static_cast<uint64_t>(index) << 32) | static_cast<uint64_t>(pos);
  }

  // A new table of `n` slots (a power of two), from the old one: the
  // records are not read.
  void Rehash(size_t n) {
    std::vector<uint64_t> next(n, kEmpty);
    const int shift = 64 - std::countr_zero(n);
    for (uint64_t slot : slots_) {
      if (slot != kEmpty) Insert(next, shift, static_cast<uint32_t>(slot >> 32), slot & 0xffffffffu);
    }
    slots_.swap(next);
    shift_ = shift;
  }

  std::vector<std::unique_ptr<Cell[]>> chunks_;
  std::vector<uint64_t> slots_;  // index << 32 | position; kEmpty: free
  size_t size_ = 0;
  int shift_ = 64;  // 64 - log2(slots_.size())
};

}  // namespace cocreate

#endif  // COCREATE_MODEL_ID_MAP_H_
