#include "model/timestamp.h"

#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <fmt/chrono.h>
#include <gtest/gtest.h>

#include "model/env.h"
#include "model/id.h"

namespace cocreate {
namespace {

TEST(TimestampTest, NowsFormIsMillisecondsAndReadsBackExactly) {
  const size_t ids = Id::Count();
  for (const char* text : {"1970-01-01T00:00:00.000Z", "2026-12-03T05:07:09.123Z",
                           "2024-02-29T23:59:59.999Z", "9999-12-31T23:59:59.999Z"}) {
    Timestamp t(text);
    ASSERT_TRUE(t.millis().has_value()) << text;
    EXPECT_EQ(*t.millis(), *UnixMillis(text)) << text;
    EXPECT_EQ(t.str(), text);
    EXPECT_EQ(FormatUnixMillis(*t.millis()), text);
  }
  EXPECT_EQ(Id::Count(), ids) << "a time in Now()'s form interns nothing";
}

TEST(TimestampTest, AnyOtherTextReadsBackAsGiven) {
  // Not in Now()'s form: no fraction, an offset, a fraction of another length, a
  // day that does not exist, a year before 1970, lower case, not a time at all.
  for (const char* text :
       {"2026-12-03T05:07:09Z", "2026-12-03T05:07:09.123+01:00", "2026-12-03T05:07:09.1234Z",
        "2026-02-30T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2026-12-03t05:07:09.123z",
        "2026-12-03T24:00:00.000Z", "yesterday", "2026-12-03T05:07:09.12xZ"}) {
    Timestamp t(text);
    EXPECT_FALSE(t.millis().has_value()) << text;
    EXPECT_EQ(t.str(), text);
    EXPECT_EQ(t, Timestamp(std::string(text))) << "the same text, the same timestamp";
    EXPECT_FALSE(t.empty());
  }
}

TEST(TimestampTest, EmptyIsTheDefault) {
  Timestamp none, empty("");
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none, empty);
  EXPECT_EQ(none.str(), "");
  Timestamp t("2026-12-03T05:07:09.123Z");
  t.clear();
  EXPECT_TRUE(t.empty());
}

TEST(TimestampTest, OrdersAndComparesAsTheTexts) {
  std::vector<std::string> texts = {
      "",
      "1969-07-20T20:17:40Z",
      "2026-12-03T05:07:09.123Z",
      "2026-12-03T05:07:09.124Z",
      "2026-12-03T05:07:09Z",
      "2027-01-01T00:00:00.000Z",
      "never"};
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    const std::string& a = texts[random() % texts.size()];
    const std::string& b = texts[random() % texts.size()];
    EXPECT_EQ(Timestamp(a) == Timestamp(b), a == b) << a << " " << b;
    EXPECT_EQ(Timestamp(a) < Timestamp(b), a < b) << a << " " << b;
    EXPECT_EQ(Timestamp(a) == b, a == b);
    EXPECT_EQ(Timestamp(a) < b, a < b);
  }
}

// Now()'s form written by gmtime and fmt, to check the formatter against
// (FormatUnixMillis itself calls FormatMillisExactly in its range).
std::string LibcFormat(int64_t millis) {
  const std::time_t secs = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, millis % 1000);
}

TEST(TimestampTest, EveryMillisecondOfNowsFormRoundTrips) {
  // Days across leap years and centuries, each at a random time of day.
  std::mt19937_64 random(11);
  for (int i = 0; i < 20000; ++i) {
    const int64_t millis = static_cast<int64_t>(random() % 253402300800000ULL);
    std::optional<std::string> text = FormatMillisExactly(millis);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(*text, LibcFormat(millis));
    Timestamp t(*text);
    ASSERT_TRUE(t.millis().has_value()) << *text;
    EXPECT_EQ(*t.millis(), millis) << *text;
  }
  EXPECT_FALSE(FormatMillisExactly(-1).has_value());
  EXPECT_FALSE(FormatMillisExactly(253402300800000).has_value());
}

TEST(TimestampTest, EightBytes) { static_assert(sizeof(Timestamp) == 8); }

}  // namespace
}  // namespace cocreate
