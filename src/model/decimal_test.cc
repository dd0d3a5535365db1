#include "model/decimal.h"

#include <gtest/gtest.h>

namespace cocreate {
namespace {

Json N(const char* literal) { return Json::Parse(literal).value(); }

TEST(DecimalTest, SumsAreExactAndPlain) {
  Decimal sum;
  for (const char* a : {"0.1", "0.2", "8000", "26.09"}) {
    sum += Decimal::FromRequest(N(a), "amount").value();
  }
  EXPECT_EQ(sum.ToString(), "8026.39");
  Decimal tenths;
  for (int i = 0; i < 1000; ++i) tenths += Decimal::FromRequest(N("0.1"), "amount").value();
  EXPECT_EQ(tenths.ToString(), "100");
}

TEST(DecimalTest, LimitsAreCountedOnThePlainValue) {
  EXPECT_EQ(Decimal::FromRequest(N("999999999999999.9999"), "a")->ToString(),
            "999999999999999.9999");
  EXPECT_EQ(Decimal::FromRequest(N("1e14"), "a")->ToString(), "100000000000000");
  EXPECT_EQ(Decimal::FromRequest(N("1.5e-4"), "a").status().reason(), "invalid_field");
  EXPECT_EQ(Decimal::FromRequest(N("1e-4"), "a")->ToString(), "0.0001");
  EXPECT_EQ(Decimal::FromRequest(N("1.50000"), "a")->ToString(), "1.5");
  EXPECT_EQ(Decimal::FromRequest(N("-3"), "a")->ToString(), "-3");
  EXPECT_EQ(Decimal::FromRequest(N("0"), "a")->ToString(), "0");
  for (const char* bad : {"1e15", "1e19", "1e-05", "0.00001", "1234567890123456", "1e400",
                          "3.14159265358979323846"}) {
    auto d = Decimal::FromRequest(N(bad), "value.costs[0].amount");
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().reason(), "invalid_field");
    EXPECT_EQ(d.status().field(), "value.costs[0].amount");
  }
  EXPECT_EQ(Decimal::FromRequest(Json("12"), "a").status().reason(), "invalid_field");
}

TEST(DecimalTest, StoredAmountsOfOlderBuildsStillRead) {
  EXPECT_EQ(Decimal::FromStored(N("8026.389999999999"))->ToString(), "8026.39");
  EXPECT_EQ(Decimal::FromStored(N("1e19"))->ToString(), "10000000000000000000");
  EXPECT_EQ(Decimal::FromStored(Json(12.5))->ToString(), "12.5");
}

}  // namespace
}  // namespace cocreate
