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

// Four independent multiply-xor lanes over 8-byte words, then the tail:
// fast enough to guard gigabytes at start-up, and any torn or flipped write
// changes it. Not a defence against a forger.
constexpr uint64_t kChecksumMul = 0x9E3779B97F4A7C15ull;

void Checksum64Stream::Block(const char* p) {
  for (int k = 0; k < 4; ++k) {
    uint64_t w;
    std::memcpy(&w, p + 8 * k, 8);
    lane_[k] = (lane_[k] ^ w) * kChecksumMul;
    lane_[k] ^= lane_[k] >> 29;
  }
}

void Checksum64Stream::Add(std::string_view bytes) {
  size_ += bytes.size();
  const char* p = bytes.data();
  size_t n = bytes.size();
  if (pending_size_ > 0) {
    const size_t take = std::min(n, sizeof pending_ - pending_size_);
    std::memcpy(pending_ + pending_size_, p, take);
    pending_size_ += take;
    p += take;
    n -= take;
    if (pending_size_ < sizeof pending_) return;
    Block(pending_);
    pending_size_ = 0;
  }
  for (; n >= 32; p += 32, n -= 32) Block(p);
  std::memcpy(pending_, p, n);
  pending_size_ = n;
}

uint64_t Checksum64Stream::Finish() const {
  uint64_t h = size_ * kChecksumMul;
  for (int k = 0; k < 4; ++k) h = (h ^ lane_[k]) * kChecksumMul, h ^= h >> 31;
  for (size_t i = 0; i < pending_size_; ++i) {
    h = (h ^ static_cast<uint8_t>(pending_[i])) * kChecksumMul, h ^= h >> 31;
  }
  return h;
}

uint64_t Checksum64(std::string_view bytes) {
  Checksum64Stream stream;
  stream.Add(bytes);
  return stream.Finish();
}

}  // namespace cocreate
