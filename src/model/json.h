// Json: a small immutable-by-convention JSON value for the parts of the model
// that are free-form (resource attributes, service-level objectives, event
// data) and for decoded request bodies.
//
// Objects keep insertion order (so answers read the way they were written)
// and compare order-insensitively (so "JSON-equal" means what a person
// expects). Parsing uses simdjson On-Demand; writing uses RapidJSON's Writer.
#ifndef COCREATE_MODEL_JSON_H_
#define COCREATE_MODEL_JSON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "model/status.h"

namespace cocreate {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

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
  Json(int64_t v) : type_(Type::kNumber), is_int_(true), int_(v), num_(double(v)) {}  // NOLINT
  Json(double v) : type_(Type::kNumber), num_(v) {}  // NOLINT
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
  double as_double() const { return num_; }
  int64_t as_int() const { return is_int_ ? int_ : static_cast<int64_t>(num_); }
  const std::string& as_string() const { return str_; }
  const Array& items() const { return *array_; }
  Array& items() {
    Detach();
    return *array_;
  }
  const Object& members() const { return *object_; }
  Object& members() {
    Detach();
    return *object_;
  }

  // Object access. Find returns nullptr when absent (or when not an object).
  const Json* Find(std::string_view key) const;
  // Sets `key`, replacing an existing member in place. REQUIRES: is_object().
  void Set(std::string key, Json value);
  void Erase(std::string_view key);
  // Appends to an array. REQUIRES: is_array().
  void Push(Json value) {
    Detach();
    array_->push_back(std::move(value));
  }

  // Structural equality; object member order does not matter.
  bool operator==(const Json& other) const;

  // Compact serialization.
  std::string Dump() const;
  void Write(JsonWriter& w) const;

  // Parses a UTF-8 document. Errors: invalid_json (400) naming the problem.
  static StatusOr<Json> Parse(std::string_view text);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool is_int_ = false;
  int64_t int_ = 0;
  double num_ = 0;
  std::string str_;
  // Arrays and objects are shared between copies and copied on write: a
  // copy costs a reference count, and every mutating accessor first makes
  // the value's own container unshared (Detach). Values are never mutated
  // through a const reference, so sharing is invisible to callers.
  std::shared_ptr<Array> array_;
  std::shared_ptr<Object> object_;
  void Detach();
};

// RFC 7396 JSON Merge Patch: returns `target` with `patch` applied.
Json MergePatch(const Json& target, const Json& patch);

// Writes `s` as a JSON string member value; a helper for codecs.
inline void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void WriteKey(JsonWriter& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace cocreate

#endif  // COCREATE_MODEL_JSON_H_
