// Decimal: an exact amount of money (CONTRACT §6 "Money is exact").
//
// An amount is kept as a whole number of ten-thousandths in 128 bits, so
// sums of any realistic number of amounts are exact and are written in plain
// decimal ("8026.39", never "8026.389999999999"). A request's amount has at
// most 15 digits before the point and 4 after it, counted on its value in
// plain decimal whatever notation the body uses ("1e-05" has 5 after it).
#ifndef COCREATE_MODEL_DECIMAL_H_
#define COCREATE_MODEL_DECIMAL_H_

#include <string>

#include "model/json.h"
#include "model/status.h"

namespace cocreate {

class Decimal {
 public:
  static constexpr int kMaxIntegerDigits = 15;
  static constexpr int kMaxFractionDigits = 4;

  Decimal() = default;

  // The amount a request states in `value` (a JSON number).
  // Errors: invalid_field (400) naming `field` when it is not a number or has
  // more digits than kMaxIntegerDigits / kMaxFractionDigits.
  static StatusOr<Decimal> FromRequest(const Json& value, const std::string& field);
  // The amount a stored event holds: as FromRequest, but it never refuses a
  // number an older build stored (up to 30 digits before the point; digits
  // past the fourth after it are rounded half away from zero).
  static StatusOr<Decimal> FromStored(const Json& value);

  Decimal& operator+=(const Decimal& other) {
    units_ += other.units_;
    return *this;
  }
  bool operator==(const Decimal& other) const { return units_ == other.units_; }

  // Plain decimal without trailing zeros: "12.5", "-3", "0.0001".
  std::string ToString() const;
  // Writes the amount as a JSON number in plain decimal.
  template <typename W>  // JsonWriter or JsonBuilder
  void Write(W& w) const {
    std::string s = ToString();
    w.RawValue(s.data(), s.size(), rapidjson::kNumberType);
  }
  Json ToJson() const { return Json::Number(ToString()); }

  // The amount in ten-thousandths, and back (checkpoints).
  __int128 units() const { return units_; }
  static Decimal FromUnits(__int128 units) {
    Decimal d;
    d.units_ = units;
    return d;
  }

 private:
  __int128 units_ = 0;  // ten-thousandths
};

}  // namespace cocreate

#endif  // COCREATE_MODEL_DECIMAL_H_
