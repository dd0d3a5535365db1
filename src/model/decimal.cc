#include "model/decimal.h"

#include <charconv>

namespace cocreate {

namespace {

constexpr int kScale = Decimal::kMaxFractionDigits;  // units are 10^-kScale

// The literal of a JSON number, whatever way it was built.
std::string LiteralOf(const Json& j) {
  if (j.is_int()) return std::to_string(j.as_int());
  if (!j.literal().empty()) return j.literal();
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, j.as_double());
  return std::string(buf, r.ptr);
}

struct Parsed {
  bool negative = false;
  std::string digits;   // significant digits, no leading or trailing zeros
  int64_t exponent = 0;  // value = digits * 10^exponent
};

// Splits CanonicalNumber's form; false for the absurd-exponent form.
bool Split(const std::string& canonical, Parsed& out) {
  if (canonical == "0") return true;
  std::string_view s = canonical;
  if (s[0] == '-') {
    out.negative = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s[0] == 'x') return false;
  size_t e = s.find('e');
  out.digits = std::string(s.substr(0, e));
  std::string_view exp = s.substr(e + 1);
  bool neg = !exp.empty() && exp[0] == '-';
  if (neg) exp.remove_prefix(1);
  std::from_chars(exp.data(), exp.data() + exp.size(), out.exponent);
  if (neg) out.exponent = -out.exponent;
  return true;
}

}  // namespace

StatusOr<Decimal> Decimal::FromRequest(const Json& value, const std::string& field) {
  auto refuse = [&] {
    return InvalidField(field, "'" + field + "' must be an amount with at most " +
                                   std::to_string(kMaxIntegerDigits) +
                                   " digits before the decimal point and " +
                                   std::to_string(kMaxFractionDigits) + " after it");
  };
  if (!value.is_number()) return InvalidField(field, "'" + field + "' must be a number");
  Parsed p;
  if (!Split(CanonicalNumber(LiteralOf(value)), p)) return refuse();
  Decimal d;
  if (p.digits.empty()) return d;
  int64_t integer_digits = static_cast<int64_t>(p.digits.size()) + p.exponent;
  if (integer_digits > kMaxIntegerDigits || -p.exponent > kMaxFractionDigits) return refuse();
  // At most 19 significant digits scaled by at most 10^(15+4-1): fits easily.
  __int128 units = 0;
  for (char c : p.digits) units = units * 10 + (c - '0');
  for (int64_t i = 0; i < p.exponent + kScale; ++i) units *= 10;
  d.units_ = p.negative ? -units : units;
  return d;
}

StatusOr<Decimal> Decimal::FromStored(const Json& value) {
  if (!value.is_number()) return Internal("a stored amount is not a number");
  Parsed p;
  Decimal d;
  if (!Split(CanonicalNumber(LiteralOf(value)), p) ||
      static_cast<int64_t>(p.digits.size()) + p.exponent > 30) {
    return Internal("a stored amount is out of range: " + LiteralOf(value));
  }
  if (p.digits.empty()) return d;
  int64_t shift = p.exponent + kScale;  // digits * 10^shift units
  __int128 units = 0;
  if (shift >= 0) {
    for (char c : p.digits) units = units * 10 + (c - '0');
    for (int64_t i = 0; i < shift; ++i) units *= 10;
  } else {
    int64_t keep = static_cast<int64_t>(p.digits.size()) + shift;  // digits kept
    for (int64_t i = 0; i < keep; ++i) units = units * 10 + (p.digits[i] - '0');
    if (keep >= 0 && keep < static_cast<int64_t>(p.digits.size()) && p.digits[keep] >= '5') {
      ++units;
    }
  }
  d.units_ = p.negative ? -units : units;
  return d;
}

std::string Decimal::ToString() const {
  __int128 v = units_ < 0 ? -units_ : units_;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  while (digits.size() <= static_cast<size_t>(kScale)) digits.insert(digits.begin(), '0');
  std::string integer = digits.substr(0, digits.size() - kScale);
  std::string fraction = digits.substr(digits.size() - kScale);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out = units_ < 0 ? "-" : "";
  out += integer;
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

}  // namespace cocreate
