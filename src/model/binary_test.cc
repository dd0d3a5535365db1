#include "model/binary.h"

#include <gtest/gtest.h>

#include <limits>

namespace cocreate {
namespace {

struct Pair {
  std::string name;
  std::vector<int64_t> numbers;
};
template <typename Ar>
void Fields(Ar& ar, Pair& p) {
  Archive(ar, p.name);
  Archive(ar, p.numbers);
}

TEST(BinaryTest, EveryValueReadsBackAsWritten) {
  const std::vector<int64_t> ints = {0, 1, -1, 63, -64, 64, 127, 128, -129, 1 << 20,
                                     std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min()};
  std::map<int64_t, std::string> ordered = {{-5, "a"}, {7, ""}, {1LL << 40, "\0x"}};
  std::unordered_map<std::string, Pair> keyed = {{"k", {"n", {1, -2}}}, {"", {"", {}}}};
  std::set<std::string> names = {"b", "a", std::string("\0\xff", 2)};
  std::optional<Pair> some = Pair{"s", {3}}, none;
  Json json = Json::Parse(R"({"a":[1,2.50,"x",null,true],"b":{}})").value();
  Json empty = Json::MakeObject(), null;

  std::string bytes;
  BinaryWriter w(bytes);
  std::vector<int64_t> ints_copy = ints;
  Archive(w, ints_copy);
  Archive(w, ordered);
  Archive(w, keyed);
  Archive(w, names);
  Archive(w, some);
  Archive(w, none);
  w(json);
  w(empty);
  w(null);
  w.U64(std::numeric_limits<uint64_t>::max());

  BinaryReader r(bytes);
  std::vector<int64_t> ints2;
  std::map<int64_t, std::string> ordered2;
  std::unordered_map<std::string, Pair> keyed2;
  std::set<std::string> names2;
  std::optional<Pair> some2, none2 = Pair{};
  Json json2, empty2, null2 = Json(1);
  Archive(r, ints2);
  Archive(r, ordered2);
  Archive(r, keyed2);
  Archive(r, names2);
  Archive(r, some2);
  Archive(r, none2);
  r(json2);
  r(empty2);
  r(null2);
  EXPECT_EQ(r.U64(), std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(ints2, ints);
  EXPECT_EQ(ordered2, ordered);
  ASSERT_EQ(keyed2.size(), 2u);
  EXPECT_EQ(keyed2["k"].numbers, (std::vector<int64_t>{1, -2}));
  EXPECT_EQ(names2, names);
  ASSERT_TRUE(some2.has_value());
  EXPECT_EQ(some2->name, "s");
  EXPECT_FALSE(none2.has_value());
  EXPECT_EQ(json2.Dump(), json.Dump());
  EXPECT_TRUE(empty2.is_object() && empty2.members().empty());
  EXPECT_TRUE(null2.is_null());
}

TEST(BinaryTest, EveryCutOfTheInputFailsAndNeverReadsPastIt) {
  std::string bytes;
  BinaryWriter w(bytes);
  std::vector<std::string> items = {"alpha", std::string(300, 'x'), ""};
  Archive(w, items);
  w(Json::Parse(R"({"k":"v"})").value());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    BinaryReader r(std::string_view(bytes).substr(0, cut));
    std::vector<std::string> got;
    Json j;
    Archive(r, got);
    r(j);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
  }
}

TEST(BinaryTest, ALengthLargerThanTheInputFailsWithoutAllocatingIt) {
  std::string bytes;
  BinaryWriter w(bytes);
  w.U64(uint64_t{1} << 62);  // a count of items no input of this size holds
  BinaryReader r(bytes);
  std::vector<std::string> got;
  Archive(r, got);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(got.empty());
  // An over-long varint (11 bytes of continuation) fails too.
  const std::string too_long(11, '\x80');  // the reader keeps a view: it must outlive it
  BinaryReader r2(too_long);
  r2.U64();
  EXPECT_FALSE(r2.ok());
  // So does JSON text that does not parse, and an unknown tag.
  std::string bad;
  BinaryWriter wb(bad);
  wb.U64(2);
  wb.Bytes("{\"a\":");
  BinaryReader r3(bad);
  Json j;
  r3(j);
  EXPECT_FALSE(r3.ok());
  const std::string unknown_tag(1, '\x07');
  BinaryReader r4(unknown_tag);
  r4(j);
  EXPECT_FALSE(r4.ok());
}

TEST(BinaryTest, CanonicalWritesEqualMapsAsEqualBytes) {
  std::unordered_map<std::string, int64_t> a, b;
  for (int i = 0; i < 1000; ++i) a["k" + std::to_string(i)] = i;
  for (int i = 999; i >= 0; --i) b["k" + std::to_string(i)] = i;
  b.rehash(4096);
  std::string bytes_a, bytes_b;
  BinaryWriter wa(bytes_a), wb(bytes_b);
  wa.canonical = wb.canonical = true;
  Archive(wa, a);
  Archive(wb, b);
  EXPECT_EQ(bytes_a, bytes_b);
}

TEST(BinaryTest, TheChecksumSeesEveryFlippedBitAndLength) {
  std::string bytes(1000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31);
  const uint64_t sum = Checksum64(bytes);
  for (size_t i = 0; i < bytes.size(); i += 7) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] ^= static_cast<char>(1 << bit);
      EXPECT_NE(Checksum64(flipped), sum) << i << ":" << bit;
    }
  }
  EXPECT_NE(Checksum64(bytes.substr(0, 999)), sum);
  EXPECT_NE(Checksum64(bytes + std::string(1, '\0')), sum);
  EXPECT_NE(Checksum64(""), Checksum64(std::string(1, '\0')));
}

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

TEST(BinaryTest, IdsReadBackByTextOrByNumber) {
  Id a("binary-test-a"), b("binary-test-b");
  std::string bytes;
  BinaryWriter w(bytes);
  w(a);
  BinaryWriter::IdNumbers numbers;
  w.handles = &numbers;
  w(b);
  w(a);
  w(Id());
  w.handles = nullptr;
  // Numbered densely in the order first written, whatever the handles.
  ASSERT_EQ(numbers.ids.size(), 2u);
  EXPECT_EQ(numbers.ids[0], b);
  EXPECT_EQ(numbers.ids[1], a);

  BinaryReader r(bytes);
  Id x, y, z, e("binary-test-not-empty");
  r(x);
  const std::vector<Id> table = {Id(), b, a};
  r.handles = &table;
  r(y);
  r(z);
  r(e);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(x, a);
  EXPECT_EQ(y, b);
  EXPECT_EQ(z, a);
  EXPECT_TRUE(e.empty());

  // A number past the table is malformed input, not a read out of bounds.
  std::string bad;
  BinaryWriter wb(bad);
  wb.U64(table.size());
  BinaryReader rb(bad);
  rb.handles = &table;
  Id out;
  rb(out);
  EXPECT_FALSE(rb.ok());
}

TEST(BinaryTest, TimestampsAndKeptTextsReadBackAsWritten) {
  std::string out;
  BinaryWriter w(out);
  Timestamp now("2026-12-03T05:07:09.123Z"), other("2026-12-03T05:07:09Z"), none;
  JsonText attributes(Json::Parse(R"({"size":42,"tags":["a"]})").value());
  w(now);
  w(other);
  w(none);
  w(attributes);
  BinaryReader r(out);
  Timestamp a, b, c("x");
  JsonText j;
  r(a);
  r(b);
  r(c);
  r(j);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(a, now);
  EXPECT_EQ(b, other);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(j.Dump(), attributes.Dump());
}

TEST(BinaryTest, AKeptTextThatIsNotAnObjectsCompactTextFails) {
  // Answers carry a kept text as is: one that would add members to them, or
  // is not JSON, or not written as the server writes it, is refused.
  for (const char* bad : {R"({"a":1},"status":"x")", "", "[1]", R"({ "a": 1 })", "{\"a\":\xff}",
                          R"("text")", "{"}) {
    std::string out;
    BinaryWriter(out).Bytes(bad);
    BinaryReader r(out);
    JsonText j;
    r(j);
    EXPECT_FALSE(r.ok()) << bad;
  }
  // A millisecond count past 9999 is not a time.
  std::string out;
  BinaryWriter(out).U64((uint64_t{253402300800000} << 1) | 1);
  BinaryReader r(out);
  Timestamp t;
  r(t);
  EXPECT_FALSE(r.ok());
}

TEST(BinaryTest, AFixedWidthValueReadsBack) {
  std::string bytes;
  BinaryWriter w(bytes);
  w.Fixed64(0x0102030405060708ull);
  w.U64(7);
  BinaryReader r(bytes);
  EXPECT_EQ(r.Fixed64(), 0x0102030405060708ull);
  EXPECT_EQ(r.U64(), 7u);
  EXPECT_TRUE(r.done());
  BinaryReader cut(std::string_view(bytes).substr(0, 7));
  cut.Fixed64();
  EXPECT_FALSE(cut.ok());
}

// Collects what a writer hands over, and how it came.
class CollectingSink : public BinaryWriter::Sink {
 public:
  void Put(std::string_view bytes) override {
    all.append(bytes);
    pieces++;
  }
  std::string all;
  int pieces = 0;
};

// A writer with a sink writes the same bytes as one without, in pieces of
// about a megabyte, however the values come (small ones, large raw blocks);
// its buffer never holds much more than a piece.
TEST(BinaryTest, AWriterWithASinkWritesTheSameBytesInPieces) {
  std::vector<uint32_t> big(700'000);  // 2.8 MB, straight to the sink
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint32_t>(i * 2654435761u);
  std::vector<uint64_t> small = {1, 2, 3};
  auto write = [&](BinaryWriter& w, const std::string& buffer, size_t& largest) {
    for (int i = 0; i < 200'000; ++i) {
      w.U64(static_cast<uint64_t>(i) * 977);
      w.Bytes("text " + std::to_string(i));
      largest = std::max(largest, buffer.size());
    }
    w.Pod(big);
    w.Pod(small);
    w.Fixed64(42);
    w.Flush();
  };
  std::string whole;
  size_t unused = 0;
  BinaryWriter plain(whole);
  write(plain, whole, unused);

  CollectingSink sink;
  std::string buffer;
  size_t largest = 0;
  BinaryWriter streamed(buffer, &sink);
  write(streamed, buffer, largest);
  EXPECT_EQ(sink.all, whole);
  EXPECT_EQ(streamed.size(), whole.size());
  EXPECT_TRUE(buffer.empty());
  EXPECT_GT(sink.pieces, 4);
  EXPECT_LT(largest, (size_t{1} << 20) + 64);
}

// The checksum of bytes in pieces, cut anywhere (inside a 32-byte block,
// on its edge, empty pieces), is the checksum of the whole.
TEST(BinaryTest, AChecksumInPiecesIsTheChecksumOfTheWhole) {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>((i * 131) ^ (i >> 3)));
  for (size_t n : {size_t{0}, size_t{1}, size_t{31}, size_t{32}, size_t{33}, size_t{1000}}) {
    const std::string_view whole = std::string_view(bytes).substr(0, n);
    for (size_t step : {1, 5, 31, 32, 64, 999}) {
      Checksum64Stream stream;
      for (size_t at = 0; at < whole.size(); at += step) stream.Add(whole.substr(at, step));
      stream.Add("");
      EXPECT_EQ(stream.Finish(), Checksum64(whole)) << n << " in steps of " << step;
    }
  }
  // And it sees a flipped bit and a missing byte.
  std::string flipped = bytes;
  flipped[500] ^= 4;
  EXPECT_NE(Checksum64(flipped), Checksum64(bytes));
  EXPECT_NE(Checksum64(std::string_view(bytes).substr(1)), Checksum64(bytes));
}

}  // namespace
}  // namespace cocreate
