#include "model/binary.h"

namespace cocreate {

namespace {
// Json values in a checkpoint: most are the empty object of a record's
// attributes, so that takes one byte; the rest are their JSON text.
enum JsonTag : uint64_t { kJsonNull = 0, kJsonEmptyObject = 1, kJsonText = 2 };
}  // namespace

void BinaryWriter::operator()(const Json& j) {
  if (j.is_null()) {
    U64(kJsonNull);
  } else if (j.is_object() && j.members().empty()) {
    U64(kJsonEmptyObject);
  } else {
    U64(kJsonText);
    Bytes(j.Dump());
  }
}

void BinaryReader::operator()(JsonText& j) {
  std::string_view text = Bytes();
  StatusOr<Json> parsed = Json::Parse(text, Json::kMaxStoredDepth + 1);
  if (!parsed.ok() || !parsed->is_object() || parsed->Dump() != text) {
    Fail();
    return;
  }
  j = JsonText::FromDump(std::string(text));
}

void BinaryReader::operator()(Json& j) {
  switch (U64()) {
    case kJsonNull:
      j = Json();
      return;
    case kJsonEmptyObject:
      j = Json::MakeObject();
      return;
    case kJsonText: {
      // Deeper than any stored value may be, so what was kept always reads.
      StatusOr<Json> parsed = Json::Parse(Bytes(), Json::kMaxStoredDepth + 1);
      if (!parsed.ok()) {
        Fail();
        return;
      }
      j = std::move(*parsed);
      return;
    }
    default:
      Fail();
  }
}

uint64_t Checksum64(std::string_view bytes) {
  // Four independent multiply-xor lanes over 8-byte words, then the tail:
  // fast enough to guard gigabytes at start-up, and any torn or flipped
  // write changes it. Not a defence against a forger.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t lane[4] = {1, 2, 3, 4};
  size_t i = 0;
  const char* p = bytes.data();
  for (; i + 32 <= bytes.size(); i += 32) {
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * k, 8);
      lane[k] = (lane[k] ^ w) * kMul;
      lane[k] ^= lane[k] >> 29;
    }
  }
  uint64_t h = bytes.size() * kMul;
  for (int k = 0; k < 4; ++k) h = (h ^ lane[k]) * kMul, h ^= h >> 31;
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<uint8_t>(p[i])) * kMul, h ^= h >> 31;
  return h;
}

}  // namespace cocreate
