// libFuzzer target for every parser of outside input: a request body goes
// through Json::Parse and then every decoder. Build with clang:
//   CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCOCREATE_FUZZ=ON -DCOCREATE_SANITIZE=ON
//   ninja -C build/fuzz request_fuzzer && build/fuzz/fuzz/request_fuzzer -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/json.h"
#include "rules/commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cocreate;
  auto parsed = Json::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return 0;
  (void)Json::Parse(parsed->Dump());
  for (int n = 0; n < 7; ++n) (void)DecodeCreate(static_cast<Noun>(n), *parsed);
  (void)DecodeIssueToken(*parsed);
  (void)DecodeLifecycle("r", LifecycleVerb::kActivate, &*parsed);
  return 0;
}
