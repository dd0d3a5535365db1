// Id: an object id interned once per process. A 4-byte handle that reads as
// the std::string it stands for, so a service built on 32 resources keeps
// 32 handles (128 bytes) instead of 32 strings (1 KiB), and the reverse
// indexes of the state keep handles too.
//
// The table only grows: an id, once interned, stays for the life of the
// process. Only ids the rules accepted are interned (State::Apply and the
// event decoding under it, checkpoint loading, and Decide once a request's
// lists are checked), so a client cannot grow it with refused requests;
// a checkpoint carries only the ids its state holds.
//
// Thread safety: interning is serialized inside; reading an Id's text never
// locks and never moves, so a reader may hold the reference while another
// thread interns.
#ifndef COCREATE_MODEL_ID_H_
#define COCREATE_MODEL_ID_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cocreate {

class Id {
 public:
  // The empty id "".
  Id() = default;
  // Interns `text`.
  explicit Id(std::string_view text);

  const std::string& str() const;
  // Reads as its text wherever a `const std::string&` is taken.
  operator const std::string&() const { return str(); }  // NOLINT
  operator std::string_view() const { return str(); }     // NOLINT
  bool empty() const { return index_ == 0; }
  size_t size() const { return str().size(); }
  uint32_t index() const { return index_; }

  friend bool operator==(Id a, Id b) { return a.index_ == b.index_; }
  friend bool operator==(Id a, const std::string& b) { return a.str() == b; }
  friend bool operator==(Id a, std::string_view b) { return a.str() == b; }
  friend bool operator==(Id a, const char* b) { return a.str() == b; }
  friend std::string operator+(std::string a, Id b) { return a.append(b.str()); }
  friend std::string operator+(const char* a, Id b) { return a + b.str(); }
  friend std::string operator+(Id a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(Id a, const char* b) { return a.str() + b; }
  // Ordered by text, as the strings were.
  friend bool operator<(Id a, Id b) { return a.index_ != b.index_ && a.str() < b.str(); }

  // The id of `text` when it was interned, without interning it (nullopt
  // otherwise): how a lookup by text finds an id's handle. Takes the lock
  // interning takes.
  static std::optional<Id> Find(std::string_view text);

  // Ids interned so far, the empty one included; their handles are
  // 0..Count()-1, and AtIndex gives each (checkpoints write the table).
  // REQUIRES (AtIndex): index < Count().
  static size_t Count();
  static Id AtIndex(uint32_t index) {
    Id id;
    id.index_ = index;
    return id;
  }

 private:
  uint32_t index_ = 0;
};

using IdList = std::vector<Id>;

// Equal when the texts are, in order (C++20 also gives the reversed form).
bool operator==(const IdList& ids, const std::vector<std::string>& texts);

// The ids of `texts`, interned.
IdList Intern(const std::vector<std::string>& texts);
// The texts of `ids`.
std::vector<std::string> Texts(const IdList& ids);

inline std::ostream& operator<<(std::ostream& os, Id id) { return os << id.str(); }

}  // namespace cocreate

template <>
struct std::hash<cocreate::Id> {
  size_t operator()(cocreate::Id id) const noexcept { return id.index(); }
};

#endif  // COCREATE_MODEL_ID_H_
