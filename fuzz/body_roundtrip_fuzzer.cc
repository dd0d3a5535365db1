// libFuzzer target for CONTRACT §7 "what was accepted can always be read
// back": every body the router accepts (Json::ParseBody) survives being
// written into an event, appended to a real store (SQLite in memory),
// scanned back and parsed again, byte for byte. Every decoder also runs on
// it. A difference aborts, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "model/json.h"
#include "rules/commands.h"
#include "store/store.h"

namespace {

using namespace cocreate;

// How far below an event's top an event may carry a body (data, then the
// object, then its field): half the margin that kMaxStoredDepth leaves.
constexpr int kEnvelope = (Json::kMaxStoredDepth - Json::kMaxBodyDepth) / 2;

[[noreturn]] void Fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "round trip broke (%s):\n  sent:  %.300s\n  read:  %.300s\n", what,
               a.c_str(), b.c_str());
  std::abort();
}

struct Store {
  std::unique_ptr<EventStore> store;
  int64_t seq = 0;
  void Reset() {
    StoreOptions options;
    options.spec = "sqlite::memory:";
    options.durable = false;
    store = EventStore::Open(options).value();
    seq = 0;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Store s;
  if (!s.store || s.seq >= 5000) s.Reset();  // keep memory flat over long runs
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = Json::ParseBody(text);
  if (!body.ok()) return 0;
  for (int n = 0; n < 7; ++n) (void)DecodeCreate(static_cast<Noun>(n), *body);
  (void)DecodeIssueToken(*body);
  (void)DecodeLifecycle("r", LifecycleVerb::kActivate, &*body);

  std::string once = body->Dump();
  auto again = Json::Parse(once);
  if (!again.ok()) Fail("parse of the dump", once, again.status().message());
  if (again->Dump() != once) Fail("dump of the dump", once, again->Dump());
  if (!(*again == *body)) Fail("equality", once, again->Dump());

  Event e;
  e.seq = ++s.seq;
  e.type = "fuzz.body";
  e.at = "2026-12-01T00:00:00Z";
  e.actor = "admin";
  e.subject = "x";
  Json wrapped = *body;
  for (int i = 0; i < kEnvelope; ++i) wrapped = Json::MakeObject({{"in", wrapped}});
  e.data = wrapped;
  e.private_data = Json::MakeObject({{"request", *body}});
  if (Status st = s.store->Append({e}); !st.ok()) Fail("append", once, st.ToString());
  bool seen = false;
  Status st = s.store->Scan(e.seq - 1, [&](Event got) {
    seen = true;
    if (got.data.Dump() != e.data.Dump()) Fail("stored data", e.data.Dump(), got.data.Dump());
    if (got.private_data.Dump() != e.private_data.Dump()) {
      Fail("stored private copy", e.private_data.Dump(), got.private_data.Dump());
    }
    return Status::Ok();
  });
  if (!st.ok()) Fail("scan", once, st.ToString());
  if (!seen) Fail("scan", once, "nothing");
  return 0;
}
