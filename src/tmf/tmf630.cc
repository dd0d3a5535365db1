// The generic part of the TMF Open APIs (TMF630 design guidelines): list
// parameters, attribute filters and field selection, over a resource's JSON.

#include <algorithm>
#include <charconv>

#include "tmf/tmf.h"

namespace cocreate::tmf {

namespace {

StatusOr<int64_t> Number(const std::map<std::string, std::string>& q, const std::string& key,
                         int64_t fallback, int64_t lo, int64_t hi) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return fallback;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < lo || v > hi) {
    return InvalidField(key, "'" + key + "' must be a whole number from " + std::to_string(lo) +
                                 " to " + std::to_string(hi));
  }
  return v;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    std::string_view part = s.substr(start, end == std::string_view::npos ? end : end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// The text a scalar compares by: a string's own text, a number's or a
// boolean's JSON literal; nullopt for null and containers.
std::optional<std::string> ScalarText(const Json& v) {
  switch (v.type()) {
    case Json::Type::kString: return v.as_string();
    case Json::Type::kNumber: return v.NumberText();
    case Json::Type::kBool: return std::string(v.as_bool() ? "true" : "false");
    default: return std::nullopt;
  }
}

// True when some value at `path[i..]` below `v` is one of `wanted`. Arrays
// on the way match when any element does. Linear in the size of `v`.
bool AnyAt(const Json& v, const std::vector<std::string>& path, size_t i,
           const std::string& whole, const std::vector<std::string>& parts) {
  if (v.is_array()) {
    return std::any_of(v.items().begin(), v.items().end(),
                       [&](const Json& item) { return AnyAt(item, path, i, whole, parts); });
  }
  if (i == path.size()) {
    auto text = ScalarText(v);
    if (!text) return false;
    return *text == whole || std::find(parts.begin(), parts.end(), *text) != parts.end();
  }
  if (!v.is_object()) return false;
  const Json* next = v.Find(path[i]);
  return next != nullptr && AnyAt(*next, path, i + 1, whole, parts);
}

}  // namespace

StatusOr<ListParams> ParseListParams(const std::map<std::string, std::string>& query,
                                     const std::vector<std::string>& filterable) {
  ListParams out;
  CC_ASSIGN_OR_RETURN(out.offset, Number(query, "offset", 0, 0, INT64_MAX / 2));
  CC_ASSIGN_OR_RETURN(out.limit, Number(query, "limit", 100, 1, 1000));
  if (auto it = query.find("fields"); it != query.end()) {
    out.fields = Split(it->second, ',');
    for (const auto& f : out.fields) {
      if (f.size() > 256) return InvalidField("fields", "a name in 'fields' is too long");
    }
  }
  for (const auto& [key, value] : query) {
    if (key == "fields" || key == "offset" || key == "limit") continue;
    std::string first = key.substr(0, key.find('.'));
    if (std::find(filterable.begin(), filterable.end(), first) == filterable.end()) continue;
    out.filters.emplace_back(key, value);
  }
  return out;
}

bool Matches(const Json& doc, const std::vector<std::pair<std::string, std::string>>& filters) {
  for (const auto& [key, value] : filters) {
    std::vector<std::string> path = Split(key, '.');
    if (!AnyAt(doc, path, 0, value, Split(value, ','))) return false;
  }
  return true;
}

Json SelectFields(const Json& doc, const std::vector<std::string>& fields) {
  if (fields.empty() || !doc.is_object()) return doc;
  Json out = Json::MakeObject();
  for (const auto& [key, value] : doc.members()) {
    bool keep = key == "id" || key == "href" || key == "@type";
    for (const auto& f : fields) {
      if (keep) break;
      keep = f == key || (f.size() > key.size() && f.compare(0, key.size(), key) == 0 &&
                          f[key.size()] == '.');
    }
    if (keep) out.Set(key, value);
  }
  return out;
}

}  // namespace cocreate::tmf
