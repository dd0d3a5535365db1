// libFuzzer target for the request target: SplitPath and ParseQuery take
// any bytes, and a parsed query encoded again parses to the same parameters.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/target.h"

namespace {

std::string Encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cocreate;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)SplitPath(text);
  auto q = ParseQuery(text);
  if (!q.ok()) return 0;
  std::string again;
  for (const auto& [k, v] : *q) {
    if (!again.empty()) again += '&';
    again += Encode(k) + "=" + Encode(v);
  }
  auto q2 = ParseQuery(again);
  if (!q2.ok() || *q2 != *q) {
    std::fprintf(stderr, "query round trip broke: %s\n", again.c_str());
    std::abort();
  }
  return 0;
}
