#include "model/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <cstdlib>
#include <functional>
#include <type_traits>

#include <rapidjson/internal/dtoa.h>
#include <simdjson.h>

#include "model/env.h"

namespace cocreate {

namespace {

// An open-addressing index of an object's member names: one flat table of
// member positions, no allocation per member. Used where a large object
// would otherwise be searched once per member.
class NameIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Indexes every member of `members`; `duplicate` receives the position of
  // the first member whose name came before (kNone when every name is unique).
  explicit NameIndex(const Json::Object& members) : members_(members) {
    size_t capacity = 16;
    while (capacity < members.size() * 2) capacity <<= 1;
    slots_.assign(capacity, Slot{kNone, 0});
    mask_ = capacity - 1;
    for (uint32_t i = 0; i < members.size(); ++i) {
      size_t hash = std::hash<std::string_view>{}(members[i].first);
      uint32_t tag = static_cast<uint32_t>(hash >> 32);
      size_t h = hash & mask_;
      while (slots_[h].member != kNone) {
        if (slots_[h].tag == tag && members_[slots_[h].member].first == members[i].first) {
          if (duplicate == kNone) duplicate = i;
          break;
        }
        h = (h + 1) & mask_;
      }
      if (slots_[h].member == kNone) slots_[h] = Slot{i, tag};
    }
  }

  // The position of the member named `name`, or kNone.
  uint32_t Find(std::string_view name) const {
    size_t hash = std::hash<std::string_view>{}(name);
    uint32_t tag = static_cast<uint32_t>(hash >> 32);
    for (size_t h = hash & mask_; slots_[h].member != kNone; h = (h + 1) & mask_) {
      if (slots_[h].tag == tag && members_[slots_[h].member].first == name) {
        return slots_[h].member;
      }
    }
    return kNone;
  }

  uint32_t duplicate = kNone;

 private:
  // A member's position and the high bits of its name's hash, so that most
  // probes that miss never read the member itself.
  struct Slot {
    uint32_t member;
    uint32_t tag;
  };
  const Json::Object& members_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace

bool IsJsonNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  if (i < n && s[i] == '-') ++i;
  if (!digit(i)) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == n;
}

std::string CanonicalNumber(std::string_view s) {
  assert(IsJsonNumber(s));
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  std::string_view exponent = e == std::string_view::npos ? "" : s.substr(e + 1);
  std::string digits;
  int64_t scale = 0;  // value = digits * 10^(scale + exponent)
  size_t dot = mantissa.find('.');
  digits.append(mantissa.substr(0, dot));
  if (dot != std::string_view::npos) {
    std::string_view fraction = mantissa.substr(dot + 1);
    digits.append(fraction);
    scale -= static_cast<int64_t>(fraction.size());
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";  // every zero, -0 included
  digits.erase(0, first);
  size_t last = digits.find_last_not_of('0');
  scale += static_cast<int64_t>(digits.size() - 1 - last);
  digits.resize(last + 1);
  bool exp_negative = !exponent.empty() && exponent[0] == '-';
  if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
  while (exponent.size() > 1 && exponent[0] == '0') exponent.remove_prefix(1);
  if (exponent.size() > 15) {
    // An exponent beyond 10^15: no value of that size is ever computed with;
    // such literals are equal when they are written alike.
    return std::string(negative ? "-" : "") + "x" + std::string(s);
  }
  int64_t exp = 0;
  if (!exponent.empty()) std::from_chars(exponent.data(), exponent.data() + exponent.size(), exp);
  if (exp_negative) exp = -exp;
  return (negative ? "-" : "") + digits + "e" + std::to_string(scale + exp);
}

Json Json::Number(std::string_view literal) {
  assert(IsJsonNumber(literal));
  Json j;
  j.type_ = Type::kNumber;
  j.str_ = std::string(literal);
  // strtod saturates to +-HUGE_VAL or 0 out of range, which is what a
  // double can say about such a number; the literal keeps it exact.
  j.num_ = std::strtod(j.str_.c_str(), nullptr);
  return j;
}

Json Json::MakeArray(Array items) {
  Json j;
  j.type_ = Type::kArray;
  j.node_ = std::make_shared<Array>(std::move(items));
  return j;
}

Json Json::MakeObject(Object members) {
  Json j;
  j.type_ = Type::kObject;
  j.node_ = std::make_shared<Object>(std::move(members));
  return j;
}

void Json::Detach() {
  if (node_ == nullptr || node_.use_count() == 1) return;
  if (type_ == Type::kArray) {
    node_ = std::make_shared<Array>(array());
  } else if (type_ == Type::kObject) {
    node_ = std::make_shared<Object>(object());
  }
}

const Json* Json::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& [k, v] : members()) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Json::Set(std::string key, Json value) {
  assert(is_object() && "Set on a non-object");
  Detach();
  for (auto& [k, v] : object()) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  object().emplace_back(std::move(key), std::move(value));
}

void Json::Erase(std::string_view key) {
  if (type_ != Type::kObject) return;
  Detach();
  std::erase_if(object(), [&](const Member& m) { return m.first == key; });
}

std::string Json::NumberText() const {
  if (is_int_) return std::to_string(int_);
  if (!str_.empty()) return str_;
  if (!std::isfinite(num_)) return "";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, num_);
  return std::string(buf, r.ptr);
}

int CompareNumbers(const Json& a, const Json& b) {
  assert(a.is_number() && b.is_number());
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
  std::string ta = a.NumberText(), tb = b.NumberText();
  std::string ca = ta.empty() ? "" : CanonicalNumber(ta);
  std::string cb = tb.empty() ? "" : CanonicalNumber(tb);
  auto by_double = [&] {
    return a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double();
  };
  if (ca.empty() || cb.empty() || ca.find('x') != std::string::npos ||
      cb.find('x') != std::string::npos) {
    return by_double();
  }
  // Canonical: "-"? digits "e" scale, or "0"; value = digits * 10^scale.
  struct Parts {
    int sign = 0;
    std::string digits;
    int64_t top = 0;  // the power of ten just above the leading digit
  };
  auto parts = [](const std::string& c) {
    Parts p;
    if (c == "0") return p;
    size_t at = 0;
    p.sign = 1;
    if (c[0] == '-') {
      p.sign = -1;
      at = 1;
    }
    size_t e = c.find('e');
    p.digits = c.substr(at, e - at);
    p.top = std::stoll(c.substr(e + 1)) + static_cast<int64_t>(p.digits.size());
    return p;
  };
  Parts x = parts(ca), y = parts(cb);
  if (x.sign != y.sign) return x.sign < y.sign ? -1 : 1;
  if (x.sign == 0) return 0;
  int magnitude = 0;
  if (x.top != y.top) {
    magnitude = x.top < y.top ? -1 : 1;
  } else {
    size_t n = std::max(x.digits.size(), y.digits.size());
    x.digits.resize(n, '0');
    y.digits.resize(n, '0');
    magnitude = x.digits < y.digits ? -1 : x.digits > y.digits;
  }
  return x.sign * magnitude;
}

bool Json::operator==(const Json& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::kNull: return true;
    case Type::kBool: return bool_ == other.bool_;
    case Type::kNumber: {
      if (is_int_ && other.is_int_) return int_ == other.int_;
      std::string a = NumberText(), b = other.NumberText();
      if (a.empty() || b.empty()) return as_double() == other.as_double();
      return a == b || CanonicalNumber(a) == CanonicalNumber(b);
    }
    case Type::kString: return str_ == other.str_;
    case Type::kArray: return node_ == other.node_ || items() == other.items();
    case Type::kObject: {
      if (node_ == other.node_) return true;
      const Object& mine = members();
      const Object& theirs = other.members();
      if (mine.size() != theirs.size()) return false;
      // The usual case (a retry of the same body) has the same order: walk
      // both while the names line up, then look the rest up by name.
      size_t i = 0;
      for (; i < mine.size() && mine[i].first == theirs[i].first; ++i) {
        if (!(mine[i].second == theirs[i].second)) return false;
      }
      if (i == mine.size()) return true;
      if (mine.size() <= 8) {
        for (; i < mine.size(); ++i) {
          const Json* o = other.Find(mine[i].first);
          if (o == nullptr || !(*o == mine[i].second)) return false;
        }
        return true;
      }
      NameIndex index(theirs);
      for (; i < mine.size(); ++i) {
        uint32_t at = index.Find(mine[i].first);
        if (at == NameIndex::kNone || !(theirs[at].second == mine[i].second)) return false;
      }
      return true;
    }
  }
  return false;
}

template <typename W>
void Json::Write(W& w) const {
  if constexpr (std::is_same_v<W, JsonBuilder>) {
    w.Value(*this);
  } else {
    WriteParts(w);
  }
}

template <typename W>
void Json::WriteParts(W& w) const {
  switch (type_) {
    case Type::kNull: w.Null(); break;
    case Type::kBool: w.Bool(bool_); break;
    case Type::kNumber:
      if (is_int_) {
        w.Int64(int_);
      } else if (!str_.empty()) {
        w.RawValue(str_.data(), str_.size(), rapidjson::kNumberType);
      } else if (std::isfinite(num_) && num_ == std::floor(num_) && std::fabs(num_) < 9e15) {
        w.Int64(static_cast<int64_t>(num_));
      } else {
        w.Double(num_);
      }
      break;
    case Type::kString: WriteString(w, str_); break;
    case Type::kArray:
      w.StartArray();
      for (const auto& v : items()) v.Write(w);
      w.EndArray();
      break;
    case Type::kObject:
      w.StartObject();
      for (const auto& [k, v] : members()) {
        WriteKey(w, k);
        v.Write(w);
      }
      w.EndObject();
      break;
  }
}

template void Json::Write<JsonWriter>(JsonWriter&) const;
template void Json::Write<JsonBuilder>(JsonBuilder&) const;

std::string Json::Dump() const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Write(w);
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {

void WriteCanonical(const Json& v, JsonWriter& w) {
  switch (v.type()) {
    case Json::Type::kNumber: {
      std::string text = v.NumberText();
      if (text.empty()) {
        w.Double(v.as_double());
      } else {
        // Written bare, as a number ("1e5" and "100000" alike become
        // "1e5"), so it never meets the string "1e5"; only ever hashed.
        std::string canonical = CanonicalNumber(text);
        w.RawValue(canonical.data(), canonical.size(), rapidjson::kNumberType);
      }
      break;
    }
    case Json::Type::kArray:
      w.StartArray();
      for (const Json& item : v.items()) WriteCanonical(item, w);
      w.EndArray();
      break;
    case Json::Type::kObject: {
      std::vector<const Json::Member*> members;
      members.reserve(v.members().size());
      for (const auto& m : v.members()) members.push_back(&m);
      std::stable_sort(members.begin(), members.end(),
                       [](const Json::Member* a, const Json::Member* b) {
                         return a->first < b->first;
                       });
      w.StartObject();
      for (const Json::Member* m : members) {
        WriteKey(w, m->first);
        WriteCanonical(m->second, w);
      }
      w.EndObject();
      break;
    }
    default: v.Write(w);
  }
}

}  // namespace

std::string Json::CanonicalText() const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteCanonical(*this, w);
  return std::string(buf.GetString(), buf.GetSize());
}

JsonDigest Json::Digest() const {
  auto [hi, lo] = Sha256Prefix(CanonicalText());
  return JsonDigest{hi, lo};
}

namespace {

Status BadJson(const std::string& what) {
  return Status(Code::kInvalidArgument, "invalid_json", "the body is not valid JSON: " + what);
}

// A number token as simdjson found it: int64 when it is one exactly,
// otherwise its literal (checked against the JSON grammar first).
StatusOr<Json> NumberFromToken(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' ||
                            token.back() == '\n' || token.back() == '\r')) {
    token.remove_suffix(1);
  }
  if (!IsJsonNumber(token)) {
    // Built by appending: gcc 12 at -O3 warns (-Wrestrict) on "'" + string.
    std::string what = "'";
    what.append(token.substr(0, 40));
    what.append("' is not a number");
    return BadJson(what);
  }
  if (token.find_first_of(".eE") == std::string_view::npos && token != "-0") {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec == std::errc() && ptr == token.data() + token.size()) return Json(v);
  }
  return Json::Number(token);
}

}  // namespace

StatusOr<Json> Json::FromNumberToken(std::string_view token) { return NumberFromToken(token); }

namespace {

// Refuses an object with two members of one name: which one would count
// differs between readers, so neither is taken.
Status CheckUniqueNames(const Json::Object& members) {
  auto duplicate = [](const std::string& k) {
    return BadJson("the member name \"" + k.substr(0, 64) + "\" appears twice in one object");
  };
  if (members.size() <= 16) {
    for (size_t i = 0; i < members.size(); ++i) {
      for (size_t j = i + 1; j < members.size(); ++j) {
        if (members[i].first == members[j].first) return duplicate(members[i].first);
      }
    }
    return Status::Ok();
  }
  NameIndex index(members);
  if (index.duplicate != NameIndex::kNone) return duplicate(members[index.duplicate].first);
  return Status::Ok();
}

// What a parse may hold: nesting, and how many values in all.
struct Budget {
  int max_depth;
  int64_t values_left;
};

// Room for the items and members being read, one of each per depth for
// the first few depths, kept between parses: each array and object is then
// made at its exact size, with one allocation, where growing it made one
// per doubling. A deque, so that going deeper never moves a shallower one.
// What it keeps is bounded: kDepths levels of at most kKeep slots, and no
// value once a parse is over (a failed one clears what it read, Release).
struct Scratch {
  static constexpr int kDepths = 8;     // deeper arrays and objects grow as they come
  static constexpr size_t kKeep = 64;  // slots a level keeps between parses
  std::deque<Json::Array> items;
  std::deque<Json::Object> members;
};
thread_local Scratch t_scratch;

// Empties a level, giving back its room when it grew past kKeep.
template <typename T>
void Empty(T& level) {
  if (level.capacity() > Scratch::kKeep) {
    T().swap(level);
  } else {
    level.clear();
  }
}

// The level for `depth`, empty; `local` (the caller's) below kDepths.
template <typename T>
T& ScratchAt(std::deque<T>& levels, int depth, T& local) {
  if (depth >= Scratch::kDepths) return local;
  while (levels.size() <= static_cast<size_t>(depth)) levels.emplace_back();
  T& level = levels[static_cast<size_t>(depth)];
  Empty(level);
  return level;
}

// Moves what `scratch` holds into a container of its exact size.
template <typename T>
T TakeExact(T& scratch) {
  T out;
  out.reserve(scratch.size());
  for (auto& x : scratch) out.push_back(std::move(x));
  Empty(scratch);
  return out;
}

// After a parse that failed part-way: the values it read go now, not when
// a later parse happens to reach the same depth (a body built to fail could
// otherwise leave a whole body's values held at each depth).
void Release() {
  for (auto& level : t_scratch.items) Empty(level);
  for (auto& level : t_scratch.members) Empty(level);
}

StatusOr<Json> Convert(simdjson::ondemand::value value, int depth, Budget& budget) {
  using simdjson::ondemand::json_type;
  if (depth > budget.max_depth) {
    return BadJson("nested deeper than " + std::to_string(budget.max_depth) + " levels");
  }
  if (--budget.values_left < 0) {
    return BadJson("more than " + std::to_string(Json::kMaxBodyValues) +
                   " values (objects, arrays, strings, numbers, literals) in one body");
  }
  json_type t;
  if (auto err = value.type().get(t); err) return BadJson(simdjson::error_message(err));
  switch (t) {
    case json_type::null: {
      bool is_null = false;
      if (value.is_null().get(is_null) || !is_null) return BadJson("bad literal");
      return Json();
    }
    case json_type::boolean: {
      bool b;
      if (auto err = value.get_bool().get(b); err) return BadJson(simdjson::error_message(err));
      return Json(b);
    }
    case json_type::number: {
      return NumberFromToken(value.raw_json_token());
    }
    case json_type::string: {
      std::string_view s;
      if (auto err = value.get_string().get(s); err) return BadJson(simdjson::error_message(err));
      return Json(std::string(s));
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto err = value.get_array().get(arr); err) return BadJson(simdjson::error_message(err));
      Json::Array deep;
      Json::Array& items = ScratchAt(t_scratch.items, depth, deep);
      for (auto element : arr) {
        simdjson::ondemand::value v;
        if (auto err = element.get(v); err) return BadJson(simdjson::error_message(err));
        CC_ASSIGN_OR_RETURN(Json item, Convert(v, depth + 1, budget));
        items.push_back(std::move(item));
      }
      return Json::MakeArray(depth < Scratch::kDepths ? TakeExact(items) : std::move(items));
    }
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto err = value.get_object().get(obj); err) return BadJson(simdjson::error_message(err));
      Json::Object deep;
      Json::Object& members = ScratchAt(t_scratch.members, depth, deep);
      for (auto field : obj) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key); err) {
          return BadJson(simdjson::error_message(err));
        }
        std::string k(key);
        simdjson::ondemand::value v;
        if (auto err = field.value().get(v); err) return BadJson(simdjson::error_message(err));
        CC_ASSIGN_OR_RETURN(Json item, Convert(v, depth + 1, budget));
        members.emplace_back(std::move(k), std::move(item));
      }
      CC_RETURN_IF_ERROR(CheckUniqueNames(members));
      return Json::MakeObject(depth < Scratch::kDepths ? TakeExact(members) : std::move(members));
    }
  }
  return BadJson("unexpected value");
}

}  // namespace

JsonScratchUse JsonScratchOnThisThread() {
  JsonScratchUse use;
  for (const auto& level : t_scratch.items) use.values += level.size(), use.slots += level.capacity();
  for (const auto& level : t_scratch.members) use.values += level.size(), use.slots += level.capacity();
  return use;
}

StatusOr<Json> Json::Parse(std::string_view text, int max_depth, int64_t max_values) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(text);
  simdjson::ondemand::document doc;
  if (auto err = parser.iterate(padded).get(doc); err) {
    return BadJson(simdjson::error_message(err));
  }
  // Scalars at the top level are read through the document itself.
  simdjson::ondemand::json_type t;
  if (auto err = doc.type().get(t); err) return BadJson(simdjson::error_message(err));
  Json out;
  if (t == simdjson::ondemand::json_type::object || t == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::value v;
    if (auto err = doc.get_value().get(v); err) return BadJson(simdjson::error_message(err));
    Budget budget{max_depth, max_values};
    StatusOr<Json> converted = Convert(v, 0, budget);
    if (!converted.ok()) {
      Release();
      return converted.status();
    }
    out = std::move(converted).value();
  } else if (t == simdjson::ondemand::json_type::string) {
    std::string_view s;
    if (auto err = doc.get_string().get(s); err) return BadJson(simdjson::error_message(err));
    out = Json(std::string(s));
  } else if (t == simdjson::ondemand::json_type::number) {
    // raw_json_token does not move the document on, so the end check below
    // would fail: a number alone is checked here against the whole text.
    std::string_view token;
    if (auto err = doc.raw_json_token().get(token); err) return BadJson(simdjson::error_message(err));
    auto trim = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\n' ||
                            v.front() == '\r')) {
        v.remove_prefix(1);
      }
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n' ||
                            v.back() == '\r')) {
        v.remove_suffix(1);
      }
      return v;
    };
    if (trim(token) != trim(text)) return BadJson("trailing content after the value");
    return NumberFromToken(trim(token));
  } else if (t == simdjson::ondemand::json_type::boolean) {
    bool b;
    if (auto err = doc.get_bool().get(b); err) return BadJson(simdjson::error_message(err));
    out = Json(b);
  } else {
    bool n = false;
    if (doc.is_null().get(n) || !n) return BadJson("bad literal");
  }
  // At the end of the document there is no current location; anything else
  // is trailing content.
  if (!doc.current_location().error()) return BadJson("trailing content after the value");
  return out;
}

Json MergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  // One pass over each side through a name index: linear in their sizes.
  Json::Object members = target.is_object() ? target.members() : Json::Object{};
  NameIndex index(members);
  std::vector<bool> erased(members.size(), false);
  std::vector<std::pair<const std::string*, const Json*>> added;
  for (const auto& [key, value] : patch.members()) {
    uint32_t at = index.Find(key);
    if (at != NameIndex::kNone) {
      if (value.is_null()) {
        erased[at] = true;
      } else {
        members[at].second = MergePatch(members[at].second, value);
        erased[at] = false;
      }
    } else if (!value.is_null()) {
      added.emplace_back(&key, &value);
    }
  }
  Json::Object out;
  out.reserve(members.size() + added.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (!erased[i]) out.push_back(std::move(members[i]));
  }
  for (const auto& [key, value] : added) out.emplace_back(*key, MergePatch(Json(), *value));
  return Json::MakeObject(std::move(out));
}

Json MergeDiff(const Json& from, const Json& to) {
  Json patch = Json::MakeObject();
  if (!from.is_object() || !to.is_object()) return patch;
  NameIndex old_names(from.members());
  NameIndex new_names(to.members());
  // The two loops name different keys, each once: append, never search.
  Json::Object& out = patch.members();
  for (const auto& [key, value] : from.members()) {
    if (new_names.Find(key) == NameIndex::kNone) out.emplace_back(key, Json());
  }
  for (const auto& [key, value] : to.members()) {
    uint32_t at = old_names.Find(key);
    const Json* old = at == NameIndex::kNone ? nullptr : &from.members()[at].second;
    if (old != nullptr && *old == value) continue;
    // A merge patch merges objects: one that was an object before is
    // turned into the new one member by member.
    out.emplace_back(key, old != nullptr && old->is_object() && value.is_object()
                              ? MergeDiff(*old, value)
                              : value);
  }
  return patch;
}

namespace {

// True when writing `v` as text and parsing it back gives `v` again as it
// is held: every number is an int64, or a literal the parse keeps as one.
bool SurvivesText(const Json& v) {
  switch (v.type()) {
    case Json::Type::kNumber: {
      if (v.is_int()) return true;
      const std::string& literal = v.literal();
      if (literal.empty()) return false;  // a computed double
      if (literal.find_first_of(".eE") != std::string::npos || literal == "-0") return true;
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), n);
      return !(ec == std::errc() && ptr == literal.data() + literal.size());  // else an int64
    }
    case Json::Type::kArray:
      for (const Json& item : v.items()) {
        if (!SurvivesText(item)) return false;
      }
      return true;
    case Json::Type::kObject:
      for (const auto& [k, item] : v.members()) {
        if (!SurvivesText(item)) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

bool JsonBuilder::Double(double v) {
  if (!std::isfinite(v)) return Add(Json());
  char buf[32];
  char* end = rapidjson::internal::dtoa(v, buf);
  return RawValue(buf, static_cast<size_t>(end - buf), rapidjson::kNumberType);
}

bool JsonBuilder::RawValue(const char* text, size_t length, rapidjson::Type type) {
  (void)type;
  StatusOr<Json> number = NumberFromToken(std::string_view(text, length));
  assert(number.ok() && "JsonBuilder::RawValue takes a number literal");
  return Add(number.ok() ? std::move(number).value() : Json());
}

bool JsonBuilder::StartObject() {
  stack_.push_back(Frame{true, std::move(key_), {}, {}});
  key_.clear();
  return true;
}

bool JsonBuilder::StartArray() {
  stack_.push_back(Frame{false, std::move(key_), {}, {}});
  key_.clear();
  return true;
}

bool JsonBuilder::EndObject(rapidjson::SizeType) {
  Frame frame = std::move(stack_.back());
  stack_.pop_back();
  key_ = std::move(frame.key);
  return Add(Json::MakeObject(std::move(frame.members)));
}

bool JsonBuilder::EndArray(rapidjson::SizeType) {
  Frame frame = std::move(stack_.back());
  stack_.pop_back();
  key_ = std::move(frame.key);
  return Add(Json::MakeArray(std::move(frame.items)));
}

void JsonBuilder::Value(const Json& value) {
  if (SurvivesText(value)) {
    Add(value);
  } else {
    value.WriteParts(*this);  // its members come back here, one by one
  }
}

bool JsonBuilder::Add(Json value) {
  if (stack_.empty()) {
    root_ = std::move(value);
  } else if (stack_.back().object) {
    stack_.back().members.emplace_back(std::move(key_), std::move(value));
    key_.clear();
  } else {
    stack_.back().items.push_back(std::move(value));
  }
  return true;
}

Json JsonText::value() const {
  StatusOr<Json> parsed = Json::Parse(text_);
  return parsed.ok() ? std::move(*parsed) : Json();
}

}  // namespace cocreate
