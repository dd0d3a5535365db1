#include "http/target.h"

#include <algorithm>

#include <simdjson.h>

namespace cocreate {

namespace {

int FromHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool EscapesAreWellFormed(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || FromHex(s[i + 1]) < 0 || FromHex(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

bool IsQueryText(std::string_view s) {
  const bool control = std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  // simdjson's check: no overlong forms, no surrogates, nothing above U+10FFFF.
  return !control && simdjson::validate_utf8(s.data(), s.size());
}

std::string_view Shown(std::string_view key) {
  if (key.size() <= 64) return key;
  size_t n = 64;
  // Not in the middle of a character: back off its continuation bytes.
  while (n > 0 && (static_cast<unsigned char>(key[n]) & 0xc0) == 0x80) --n;
  return key.substr(0, n);
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && FromHex(s[i + 1]) >= 0 &&
        FromHex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(FromHex(s[i + 1]) * 16 + FromHex(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(PercentDecode(path.substr(i, j - i), false));
    i = j;
  }
  return out;
}

StatusOr<QueryParams> ParseQuery(std::string_view q) {
  QueryParams out;
  size_t i = 0;
  while (i < q.size()) {
    size_t j = q.find('&', i);
    if (j == std::string_view::npos) j = q.size();
    std::string_view pair = q.substr(i, j - i);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view raw_key = pair.substr(0, eq);
      std::string_view raw_value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      std::string key = PercentDecode(raw_key, true);
      if (!EscapesAreWellFormed(raw_key) || !IsQueryText(key)) {
        return InvalidField("query",
                            "a query parameter's name is not percent-encoded UTF-8 text "
                            "('%' must be followed by two hex digits; no control characters)");
      }
      std::string value = PercentDecode(raw_value, true);
      if (!EscapesAreWellFormed(raw_value) || !IsQueryText(value)) {
        return InvalidField(key, "'" + std::string(Shown(key)) +
                                     "' is not percent-encoded UTF-8 text ('%' must be "
                                     "followed by two hex digits; no control characters)");
      }
      auto [it, inserted] = out.emplace(std::move(key), std::move(value));
      if (!inserted) {
        return InvalidField(it->first, "the query parameter '" + std::string(Shown(it->first)) +
                                           "' is given more than once");
      }
    }
    i = j + 1;
  }
  return out;
}

}  // namespace cocreate
