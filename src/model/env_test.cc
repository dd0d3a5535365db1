// Tests of the RFC 3339 reader: every field in its range, offsets applied,
// nothing normalised.
#include "model/env.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace cocreate {
namespace {

TEST(UnixMillisTest, ReadsUtcAndOffsets) {
  EXPECT_EQ(UnixMillis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(UnixMillis("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(UnixMillis("1970-01-01t00:00:00z"), 0);
  EXPECT_EQ(UnixMillis("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(UnixMillis("1969-12-31T23:30:00-00:30"), 0);
  EXPECT_EQ(UnixMillis("2024-02-29T00:00:00Z"), UnixMillis("2024-03-01T00:00:00Z").value() -
                                                     86'400'000);
  EXPECT_EQ(FormatUnixMillis(*UnixMillis("2026-12-01T10:00:00+01:00")),
            "2026-12-01T09:00:00.000Z");
}

TEST(UnixMillisTest, RefusesWhatIsNotATime) {
  for (const char* bad : {"2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T10:60:00Z", "2026-01-01T10:00:60Z",
                          "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T00:00:00",
                          "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+1:00",
                          "2026-01-01T00:00:00+24:00", "2026-01-01 00:00:00Z", "tomorrow", ""}) {
    EXPECT_FALSE(UnixMillis(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace cocreate

namespace cocreate {
namespace {

TEST(NameThisThreadTest, NamesTheCallingThreadKeepingFifteenCharacters) {
  std::string short_name, long_name;
  std::thread([&] {
    char buf[32] = {};
    NameThisThread("cc-commit");
    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    short_name = buf;
    NameThisThread("a-name-longer-than-fifteen");  // Linux refuses more than 15
    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    long_name = buf;
  }).join();
  EXPECT_EQ(short_name, "cc-commit");
  EXPECT_EQ(long_name, "a-name-longer-t");
}

// RFC 4231, test cases 1 and 2: how webhook deliveries are signed.
TEST(Sha256PrefixTest, IsTheFirstSixteenBytesOfTheHex) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad
  auto [hi, lo] = Sha256Prefix("abc");
  EXPECT_EQ(hi, 0xba7816bf8f01cfeaULL);
  EXPECT_EQ(lo, 0x414140de5dae2223ULL);
  EXPECT_EQ(Sha256Hex("abc").substr(0, 32), "ba7816bf8f01cfea414140de5dae2223");
}

TEST(HmacSha256HexTest, MatchesTheRfc4231Vectors) {
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace cocreate
