// A compact binary encoding for checkpoints (engine/checkpoint.h): unsigned
// varints, zigzag signed ints, length-prefixed bytes, and the containers
// built of them. One `Fields(ar, value)` per type lists its members once and
// serves both directions: BinaryWriter reads them, BinaryReader fills them.
//
// The reader never trusts its input: every length is checked against what
// is left, and the first short or malformed read makes ok() false for good
// (later reads return zeros), so a caller checks once at the end.
#ifndef COCREATE_MODEL_BINARY_H_
#define COCREATE_MODEL_BINARY_H_

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "model/id.h"
#include "model/id_map.h"
#include "model/timestamp.h"
#include "model/json.h"

namespace cocreate {

class BinaryWriter {
 public:
  static constexpr bool kReading = false;
  // Where a writer with a sink hands its bytes, about a megabyte at a time,
  // so that a checkpoint goes to its file without ever being whole in memory.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void Put(std::string_view bytes) = 0;
  };

  // Appends to `out`; with `sink`, `out` is only a buffer: what collects in
  // it goes to the sink, and Flush hands over the rest.
  explicit BinaryWriter(std::string& out, Sink* sink = nullptr) : out_(out), sink_(sink) {}

  void U64(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_.append(buf, n);
    MaybeFlush();
  }
  void Bytes(std::string_view s) {
    U64(s.size());
    out_.append(s.data(), s.size());
    MaybeFlush();
  }
  // Raw bytes of a vector of trivially copyable values (the graph index).
  template <typename T>
  void Pod(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    U64(v.size());
    const std::string_view bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    if (sink_ != nullptr && bytes.size() >= kFlushAt) {
      Flush();  // straight to the sink, not through the buffer
      sink_->Put(bytes);
      flushed_ += bytes.size();
      return;
    }
    out_.append(bytes);
    MaybeFlush();
  }

  void operator()(const std::string& s) { Bytes(s); }
  // By text, or, with `handles` set, by a dense number given to each id in
  // the order first written (the caller writes the table of texts).
  void operator()(Id id) {
    if (handles == nullptr) {
      Bytes(id.str());
      return;
    }
    U64(handles->Number(id));
  }
  // A fixed-width value (little-endian), as BinaryReader::Fixed64 reads it.
  void Fixed64(uint64_t v) {
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    out_.append(buf, 8);
    MaybeFlush();
  }
  // 0: empty; odd: milliseconds (Now()'s form), shifted; 2: the text follows.
  void operator()(const Timestamp& t) {
    if (t.empty()) return U64(0);
    if (std::optional<int64_t> millis = t.millis()) {
      return U64((static_cast<uint64_t>(*millis) << 1) | 1);
    }
    U64(2);
    Bytes(t.str());
  }
  void operator()(const JsonText& j) { Bytes(j.Dump()); }
  void operator()(bool b) { U64(b ? 1 : 0); }
  void operator()(int64_t v) {
    U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void operator()(uint64_t v) { U64(v); }
  template <typename E>
    requires std::is_enum_v<E>
  void operator()(E e) { U64(static_cast<uint64_t>(e)); }
  void operator()(const Json& j);

  bool ok() const { return true; }
  // The bytes written so far, those handed to the sink included.
  size_t size() const { return flushed_ + out_.size(); }
  // Hands what the buffer holds to the sink (with none: does nothing).
  void Flush() {
    if (sink_ == nullptr || out_.empty()) return;
    sink_->Put(out_);
    flushed_ += out_.size();
    out_.clear();
  }

  // Write unordered maps in key order, so equal states write equal bytes
  // (tests compare them); slower, so checkpoints leave it off.
  bool canonical = false;
  // Numbers Ids densely as they are written (see operator()(Id)).
  struct IdNumbers {
    std::vector<uint32_t> number;  // by Id::index(); 0: not yet written
    std::vector<Id> ids;           // number n is ids[n - 1]; 0 is the empty id
    uint64_t Number(Id id) {
      if (id.empty()) return 0;
      if (id.index() >= number.size()) number.resize(id.index() + 1, 0);
      uint32_t& n = number[id.index()];
      if (n == 0) {
        ids.push_back(id);
        n = static_cast<uint32_t>(ids.size());
      }
      return n;
    }
  };
  IdNumbers* handles = nullptr;

 private:
  static constexpr size_t kFlushAt = size_t{1} << 20;
  void MaybeFlush() {
    if (sink_ != nullptr && out_.size() >= kFlushAt) Flush();
  }

  std::string& out_;
  Sink* sink_ = nullptr;
  size_t flushed_ = 0;  // bytes handed to the sink
};

class BinaryReader {
 public:
  static constexpr bool kReading = true;
  // REQUIRES: `in` outlives the reader (it keeps a view).
  explicit BinaryReader(std::string_view in) : in_(in) {}

  uint64_t U64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  uint64_t Fixed64() {
    if (in_.size() - pos_ < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  size_t position() const { return pos_; }
  std::string_view Remaining() const { return in_.substr(pos_); }
  void Skip(size_t n) {
    if (n > in_.size() - pos_) return (void)Fail();
    pos_ += n;
  }
  std::string_view Bytes() {
    const uint64_t n = U64();
    if (n > in_.size() - pos_) return Fail(), std::string_view();
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  template <typename T>
  void Pod(std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint64_t n = U64();
    if (n > (in_.size() - pos_) / sizeof(T)) return (void)Fail();
    v.resize(n);
    if (n > 0) std::memcpy(v.data(), in_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  // A count of items that each take at least one byte: larger is a lie.
  size_t Count() {
    const uint64_t n = U64();
    if (n > in_.size() - pos_) return Fail();
    return n;
  }

  void operator()(std::string& s) { s = Bytes(); }
  void operator()(Id& id) {
    if (handles == nullptr) {
      id = Id(Bytes());
      return;
    }
    const uint64_t i = U64();
    if (i >= handles->size()) return (void)Fail();
    id = (*handles)[i];
  }
  void operator()(Timestamp& t) {
    const uint64_t code = U64();
    if (code == 0) {
      t.clear();
    } else if (code & 1) {
      std::optional<Timestamp> at = Timestamp::FromMillis(static_cast<int64_t>(code >> 1));
      if (!at) return (void)Fail();
      t = *at;
    } else if (code == 2) {
      t = Timestamp(Bytes());
    } else {
      Fail();
    }
  }
  // The text must be an object's, as attributes are: a checkpoint is not
  // trusted to hold what answers will carry as is.
  void operator()(JsonText& j);
  void operator()(bool& b) { b = U64() != 0; }
  void operator()(int64_t& v) {
    const uint64_t u = U64();
    v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  void operator()(uint64_t& v) { v = U64(); }
  template <typename E>
    requires std::is_enum_v<E>
  void operator()(E& e) { e = static_cast<E>(U64()); }
  void operator()(Json& j);

  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  // Set: Ids are read as the numbers BinaryWriter::handles gave them, an
  // index into this table of the ids their texts interned to.
  const std::vector<Id>* handles = nullptr;
  // Marks the input malformed (a value out of range, say).
  uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Containers, for any type with an archive overload or a Fields function.
template <typename T>
concept HasFields = requires(BinaryWriter& w, T& t) { Fields(w, t); };

template <typename Ar, typename T>
  requires HasFields<T>
void Archive(Ar& ar, T& t) { Fields(ar, t); }
template <typename Ar, typename T>
  requires(!HasFields<T>)
void Archive(Ar& ar, T& t) { ar(t); }

template <typename Ar, typename T>
void Archive(Ar& ar, std::vector<T>& v) {
  if constexpr (Ar::kReading) {
    v.clear();
    const size_t n = ar.Count();
    v.resize(n);
  } else {
    ar.U64(v.size());
  }
  for (T& item : v) Archive(ar, item);
}
template <typename Ar, typename T>
void Archive(Ar& ar, std::optional<T>& o) {
  bool has = o.has_value();
  ar(has);
  if constexpr (Ar::kReading) {
    if (!has) {
      o.reset();
      return;
    }
    o.emplace();
  }
  if (has) Archive(ar, *o);
}
template <typename Ar, typename K>
void Archive(Ar& ar, std::set<K>& s) {
  if constexpr (Ar::kReading) {
    s.clear();
    for (size_t i = 0, n = ar.Count(); i < n && ar.ok(); ++i) {
      K k{};
      Archive(ar, k);
      s.insert(s.end(), std::move(k));
    }
  } else {
    ar.U64(s.size());
    for (const K& k : s) Archive(ar, const_cast<K&>(k));
  }
}
// Maps, in iteration order or, with `sorted`, in key order.
template <typename Ar, typename M>
void ArchiveMap(Ar& ar, M& m, bool sorted) {
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  if constexpr (Ar::kReading) {
    m.clear();
    const size_t n = ar.Count();
    if constexpr (requires { m.reserve(n); }) m.reserve(n);
    for (size_t i = 0; i < n && ar.ok(); ++i) {
      K k{};
      Archive(ar, k);
      V& v = m[std::move(k)];
      Archive(ar, v);
    }
  } else {
    ar.U64(m.size());
    if (!sorted) {
      for (auto& [k, v] : m) {
        Archive(ar, const_cast<K&>(k));
        Archive(ar, v);
      }
      return;
    }
    std::vector<typename M::value_type*> items;
    items.reserve(m.size());
    for (auto& kv : m) items.push_back(&kv);
    std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (auto* kv : items) {
      Archive(ar, const_cast<K&>(kv->first));
      Archive(ar, kv->second);
    }
  }
}
template <typename Ar, typename K, typename V>
void Archive(Ar& ar, std::map<K, V>& m) { ArchiveMap(ar, m, false); }
template <typename Ar, typename K, typename V>
void Archive(Ar& ar, std::unordered_map<K, V>& m) {
  bool sorted = false;
  if constexpr (!Ar::kReading) sorted = ar.canonical;
  ArchiveMap(ar, m, sorted);
}

template <typename Ar, typename V>
void Archive(Ar& ar, IdMap<V>& m) {
  bool sorted = false;
  if constexpr (!Ar::kReading) sorted = ar.canonical;
  ArchiveMap(ar, m, sorted);
}

// A 64-bit checksum of `bytes` that catches torn and corrupted writes.
uint64_t Checksum64(std::string_view bytes);

// Checksum64 of bytes that come in pieces: Add them in order, then Finish
// gives what Checksum64 gives for them all at once.
class Checksum64Stream {
 public:
  void Add(std::string_view bytes);
  uint64_t Finish() const;

 private:
  void Block(const char* p);  // one 32-byte block into the lanes

  uint64_t lane_[4] = {1, 2, 3, 4};
  uint64_t size_ = 0;
  char pending_[32];  // a block not yet whole
  size_t pending_size_ = 0;
};

}  // namespace cocreate

#endif  // COCREATE_MODEL_BINARY_H_
