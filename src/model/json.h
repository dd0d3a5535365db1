// Json: a small immutable-by-convention JSON value for the parts of the model
// that are free-form (resource attributes, service-level objectives, event
// data) and for decoded request bodies.
//
// Objects keep insertion order (so answers read the way they were written)
// and compare order-insensitively (so "JSON-equal" means what a person
// expects). Parsing uses simdjson On-Demand; writing uses RapidJSON's Writer.
//
// Exactness (CONTRACT §7): a parsed number that is not an int64 keeps the
// digits it was written with and is written back with the same digits, so
// 3.14159265358979323846, 1e19 and 2^64-1 survive any number of round trips.
// Numbers compare by value, exactly (1.0 == 1 == 1e0; 0.1 != 0.1000000001).
//
// Limits: parsing is linear in the text; a document nests at most
// kMaxStoredDepth levels, and request bodies (ParseBody) at most
// kMaxBodyDepth, so that everything the API accepts can be stored inside an
// event and read back. A request body holds at most kMaxBodyValues values,
// which bounds the work every later step does per value. Objects with
// duplicate member names are refused.
#ifndef COCREATE_MODEL_JSON_H_
#define COCREATE_MODEL_JSON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "model/status.h"

namespace cocreate {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A fingerprint of a JSON value (Json::Digest): 128 bits of the SHA-256 of
// its canonical text.
struct JsonDigest {
  uint64_t hi = 0, lo = 0;
  bool operator==(const JsonDigest&) const = default;
};

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Member = std::pair<std::string, Json>;
  using Object = std::vector<Member>;

  Json() = default;
  Json(std::nullptr_t) {}  // NOLINT
  Json(bool b) : type_(Type::kBool), bool_(b) {}  // NOLINT
  Json(int v) : Json(static_cast<int64_t>(v)) {}  // NOLINT
  Json(int64_t v) : type_(Type::kNumber), is_int_(true), int_(v) {}  // NOLINT
  Json(double v) : type_(Type::kNumber), num_(v) {}  // NOLINT
  // A number written with exactly `literal`'s digits; `literal` must be a
  // valid JSON number (REQUIRES; see IsJsonNumber).
  static Json Number(std::string_view literal);
  // The number a JSON parse makes of `token` (trailing whitespace ignored):
  // an int64 when it is one, else Number. Error (invalid_json) when it is
  // not a JSON number.
  static StatusOr<Json> FromNumberToken(std::string_view token);
  Json(const char* s) : type_(Type::kString), str_(s) {}  // NOLINT
  Json(std::string s) : type_(Type::kString), str_(std::move(s)) {}  // NOLINT
  Json(std::string_view s) : type_(Type::kString), str_(s) {}  // NOLINT
  static Json MakeArray(Array items = {});
  static Json MakeObject(Object members = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_int() const { return type_ == Type::kNumber && is_int_; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  double as_double() const { return is_int_ ? static_cast<double>(int_) : num_; }
  int64_t as_int() const { return is_int_ ? int_ : static_cast<int64_t>(num_); }
  const std::string& as_string() const { return str_; }
  const Array& items() const { return *static_cast<const Array*>(node_.get()); }
  Array& items() {
    Detach();
    return array();
  }
  const Object& members() const { return *static_cast<const Object*>(node_.get()); }
  Object& members() {
    Detach();
    return object();
  }

  // Object access. Find returns nullptr when absent (or when not an object).
  const Json* Find(std::string_view key) const;
  // Sets `key`, replacing an existing member in place. REQUIRES: is_object().
  void Set(std::string key, Json value);
  void Erase(std::string_view key);
  // Appends to an array. REQUIRES: is_array().
  void Push(Json value) {
    Detach();
    array().push_back(std::move(value));
  }

  // Structural equality; object member order does not matter.
  bool operator==(const Json& other) const;

  // Compact serialization.
  std::string Dump() const;
  // The value written canonically: object members sorted by name, numbers
  // in their canonical form, so that a == b exactly when
  // a.CanonicalText() == b.CanonicalText().
  std::string CanonicalText() const;
  // A fingerprint of CanonicalText(): equal values have equal digests.
  JsonDigest Digest() const;
  // Writes the value to a JsonWriter, or gives it to a JsonBuilder (below),
  // which shares it when it can.
  template <typename W>
  void Write(W& w) const;

  // How deep a request body may nest (the top-level value is depth 0).
  static constexpr int kMaxBodyDepth = 64;
  // How deep a stored document may nest: a body inside an event envelope.
  static constexpr int kMaxStoredDepth = kMaxBodyDepth + 16;
  // How many values (of any type, containers included) a request body may
  // hold. Every value costs a little in each step a write takes (decide,
  // event, store, answer): this keeps the slowest body well under a second.
  static constexpr int64_t kMaxBodyValues = 250000;

  // Parses a UTF-8 document nested at most `max_depth` levels.
  // Errors: invalid_json (400) naming the problem.
  static StatusOr<Json> Parse(std::string_view text, int max_depth = kMaxStoredDepth,
                              int64_t max_values = INT64_MAX);
  // Parses a request body: Parse with kMaxBodyDepth and kMaxBodyValues.
  static StatusOr<Json> ParseBody(std::string_view text) {
    return Parse(text, kMaxBodyDepth, kMaxBodyValues);
  }

  // The number's literal when it was parsed from one that is not an int64
  // ("" otherwise). REQUIRES: is_number().
  const std::string& literal() const { return str_; }
  // The number's digits as a JSON literal ("" for a non-finite double).
  // REQUIRES: is_number().
  std::string NumberText() const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool is_int_ = false;
  union {
    int64_t int_ = 0;  // when is_int_
    double num_;       // otherwise
  };
  std::string str_;  // a string's text, or a non-int64 number's literal
  // Arrays and objects are shared between copies and copied on write: a
  // copy costs a reference count, and every mutating accessor first makes
  // the value's own container unshared (Detach). Values are never mutated
  // through a const reference, so sharing is invisible to callers.
  // node_ holds an Array or an Object, as type_ says: one pointer, not one
  // of each, so a Json is 64 bytes (every object member holds one).
  std::shared_ptr<void> node_;
  Array& array() { return *static_cast<Array*>(node_.get()); }
  Object& object() { return *static_cast<Object*>(node_.get()); }
  void Detach();
  // Write, call by call.
  template <typename W>
  void WriteParts(W& w) const;
  friend class JsonBuilder;
};

// What Json::Parse keeps on this thread between parses to build arrays and
// objects at their exact size (json.cc): values held (none once a parse is
// over, whether it failed or not) and slots of room (bounded).
struct JsonScratchUse {
  size_t values = 0;
  size_t slots = 0;
};
JsonScratchUse JsonScratchOnThisThread();

// True when `s` is a number as RFC 8259 §6 writes it.
bool IsJsonNumber(std::string_view s);

// The exact value of a JSON number literal as a canonical string
// ("-", significant digits without leading or trailing zeros, "e", the
// exponent of the last digit): equal values give equal strings.
// REQUIRES: IsJsonNumber(s).
std::string CanonicalNumber(std::string_view s);

// -1, 0 or 1 as number `a` is below, equal to or above number `b`, exactly
// (by their digits, whatever their notation). REQUIRES: both are numbers.
int CompareNumbers(const Json& a, const Json& b);

// RFC 7396 JSON Merge Patch: returns `target` with `patch` applied.
Json MergePatch(const Json& target, const Json& patch);
// The merge patch that turns object `from` into object `to` (an empty
// object when they are equal): MergePatch(from, MergeDiff(from, to)) == to
// when `to` holds no null. Linear in the sizes of both.
Json MergeDiff(const Json& from, const Json& to);

// Builds a Json from the calls a JsonWriter takes, so that one encoder
// (model/codec.h) makes both an answer's text and an event's value. The
// value built equals what writing the same calls as text and parsing that
// back would give, numbers included, without the text or the parse.
//
// A value given whole (Value) is shared, not copied, unless it holds a
// number that text would change (a computed double, say): that one is
// rebuilt as the round trip would.
class JsonBuilder {
 public:
  bool Null() { return Add(Json()); }
  bool Bool(bool b) { return Add(Json(b)); }
  bool Int64(int64_t v) { return Add(Json(v)); }
  // As RapidJSON writes it; a non-finite double (which it refuses) is null.
  bool Double(double v);
  // A number literal. REQUIRES: IsJsonNumber(text).
  bool RawValue(const char* text, size_t length, rapidjson::Type type);
  bool String(const char* s, rapidjson::SizeType length, bool copy = false) {
    (void)copy;
    return Add(Json(std::string(s, length)));
  }
  bool Key(const char* s, rapidjson::SizeType length, bool copy = false) {
    (void)copy;
    key_.assign(s, length);
    return true;
  }
  bool StartObject();
  bool EndObject(rapidjson::SizeType count = 0);
  bool StartArray();
  bool EndArray(rapidjson::SizeType count = 0);
  void Value(const Json& value);
  // The value built. REQUIRES: every container started was ended.
  Json Take() { return std::move(root_); }

 private:
  struct Frame {
    bool object;
    std::string key;  // the member name it goes under in its parent
    Json::Array items;
    Json::Object members;
  };
  bool Add(Json value);
  std::vector<Frame> stack_;
  std::string key_;
  Json root_;
};

// A JSON value a record keeps and seldom reads as a value (attributes): its
// compact text, in one std::string. {"size":42} costs the 32 bytes of the
// string, where a Json object costs 64 plus its node and members (over 200).
// Written as it is kept; read as a Json by parsing the text again.
class JsonText {
 public:
  JsonText() : text_("null") {}
  JsonText(const Json& value) : text_(value.Dump()) {}  // NOLINT: as the Json it replaces

  // The value. Text that does not parse reads as null (none is kept: a
  // checkpoint's texts are checked as they load, BinaryReader).
  Json value() const;
  // The compact text (what Json::Dump of the value gives).
  const std::string& Dump() const { return text_; }
  // Takes `text` as the kept form. REQUIRES: it is the Dump() of a value.
  static JsonText FromDump(std::string text) {
    JsonText t;
    t.text_ = std::move(text);
    return t;
  }

  template <typename W>
  void Write(W& w) const {
    if constexpr (std::is_same_v<W, JsonBuilder>) {
      w.Value(value());
    } else {
      w.RawValue(text_.data(), text_.size(), rapidjson::kObjectType);
    }
  }

  // Equal values (member order aside), as Json's ==.
  friend bool operator==(const JsonText& a, const JsonText& b) {
    return a.text_ == b.text_ || a.value() == b.value();
  }
  friend bool operator==(const JsonText& a, const Json& b) { return a.value() == b; }

 private:
  std::string text_;
};

// Writes `s` as a JSON string member value; a helper for codecs.
template <typename W>
void WriteString(W& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
template <typename W>
void WriteKey(W& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace cocreate

#endif  // COCREATE_MODEL_JSON_H_
