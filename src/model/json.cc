#include "model/json.h"

#include <cmath>

#include <simdjson.h>

namespace cocreate {

Json Json::MakeArray(Array items) {
  Json j;
  j.type_ = Type::kArray;
  j.array_ = std::make_shared<Array>(std::move(items));
  return j;
}

Json Json::MakeObject(Object members) {
  Json j;
  j.type_ = Type::kObject;
  j.object_ = std::make_shared<Object>(std::move(members));
  return j;
}

void Json::Detach() {
  if (array_ && array_.use_count() > 1) array_ = std::make_shared<Array>(*array_);
  if (object_ && object_.use_count() > 1) object_ = std::make_shared<Object>(*object_);
}

const Json* Json::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& [k, v] : *object_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Json::Set(std::string key, Json value) {
  assert(is_object() && "Set on a non-object");
  Detach();
  for (auto& [k, v] : *object_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  object_->emplace_back(std::move(key), std::move(value));
}

void Json::Erase(std::string_view key) {
  if (type_ != Type::kObject) return;
  Detach();
  std::erase_if(*object_, [&](const Member& m) { return m.first == key; });
}

bool Json::operator==(const Json& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::kNull: return true;
    case Type::kBool: return bool_ == other.bool_;
    case Type::kNumber:
      if (is_int_ && other.is_int_) return int_ == other.int_;
      return num_ == other.num_;
    case Type::kString: return str_ == other.str_;
    case Type::kArray: return *array_ == *other.array_;
    case Type::kObject: {
      if (object_->size() != other.object_->size()) return false;
      for (const auto& [k, v] : *object_) {
        const Json* o = other.Find(k);
        if (o == nullptr || !(*o == v)) return false;
      }
      return true;
    }
  }
  return false;
}

void Json::Write(JsonWriter& w) const {
  switch (type_) {
    case Type::kNull: w.Null(); break;
    case Type::kBool: w.Bool(bool_); break;
    case Type::kNumber:
      if (is_int_) {
        w.Int64(int_);
      } else if (std::isfinite(num_) && num_ == std::floor(num_) && std::fabs(num_) < 9e15) {
        w.Int64(static_cast<int64_t>(num_));
      } else {
        w.Double(num_);
      }
      break;
    case Type::kString: WriteString(w, str_); break;
    case Type::kArray:
      w.StartArray();
      for (const auto& v : *array_) v.Write(w);
      w.EndArray();
      break;
    case Type::kObject:
      w.StartObject();
      for (const auto& [k, v] : *object_) {
        WriteKey(w, k);
        v.Write(w);
      }
      w.EndObject();
      break;
  }
}

std::string Json::Dump() const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Write(w);
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {

constexpr int kMaxDepth = 64;

Status BadJson(const std::string& what) {
  return Status(Code::kInvalidArgument, "invalid_json", "the body is not valid JSON: " + what);
}

StatusOr<Json> Convert(simdjson::ondemand::value value, int depth) {
  using simdjson::ondemand::json_type;
  if (depth > kMaxDepth) return BadJson("nested deeper than 64 levels");
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
      simdjson::ondemand::number n;
      if (auto err = value.get_number().get(n); err) return BadJson(simdjson::error_message(err));
      if (n.is_int64()) return Json(n.get_int64());
      return Json(n.as_double());
    }
    case json_type::string: {
      std::string_view s;
      if (auto err = value.get_string().get(s); err) return BadJson(simdjson::error_message(err));
      return Json(std::string(s));
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto err = value.get_array().get(arr); err) return BadJson(simdjson::error_message(err));
      Json out = Json::MakeArray();
      for (auto element : arr) {
        simdjson::ondemand::value v;
        if (auto err = element.get(v); err) return BadJson(simdjson::error_message(err));
        CC_ASSIGN_OR_RETURN(Json item, Convert(v, depth + 1));
        out.Push(std::move(item));
      }
      return out;
    }
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto err = value.get_object().get(obj); err) return BadJson(simdjson::error_message(err));
      Json out = Json::MakeObject();
      for (auto field : obj) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key); err) {
          return BadJson(simdjson::error_message(err));
        }
        std::string k(key);
        simdjson::ondemand::value v;
        if (auto err = field.value().get(v); err) return BadJson(simdjson::error_message(err));
        CC_ASSIGN_OR_RETURN(Json item, Convert(v, depth + 1));
        out.Set(std::move(k), std::move(item));
      }
      return out;
    }
  }
  return BadJson("unexpected value");
}

}  // namespace

StatusOr<Json> Json::Parse(std::string_view text) {
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
    CC_ASSIGN_OR_RETURN(out, Convert(v, 0));
  } else if (t == simdjson::ondemand::json_type::string) {
    std::string_view s;
    if (auto err = doc.get_string().get(s); err) return BadJson(simdjson::error_message(err));
    out = Json(std::string(s));
  } else if (t == simdjson::ondemand::json_type::number) {
    double d;
    if (auto err = doc.get_double().get(d); err) return BadJson(simdjson::error_message(err));
    out = Json(d);
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
  Json result = target.is_object() ? target : Json::MakeObject();
  for (const auto& [key, value] : patch.members()) {
    if (value.is_null()) {
      result.Erase(key);
    } else {
      const Json* current = result.Find(key);
      result.Set(key, MergePatch(current ? *current : Json(), value));
    }
  }
  return result;
}

}  // namespace cocreate
