// The request target: path segments and the query string, percent-decoded.
// Every function is linear in its input. PercentDecode and SplitPath keep a
// stray '%' as it is (a path with one names nothing, and answers 404);
// ParseQuery refuses it.
#ifndef COCREATE_HTTP_TARGET_H_
#define COCREATE_HTTP_TARGET_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace cocreate {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`).
std::string PercentDecode(std::string_view s, bool plus_is_space);

// "/a/b%2Fc//d" → {"a", "b/c", "d"}: empty segments are dropped.
std::vector<std::string> SplitPath(std::string_view path);

using QueryParams = std::map<std::string, std::string>;

// "a=1&b=x+y&c" → {a: "1", b: "x y", c: ""}; empty pairs are skipped.
// Errors: invalid_field (400) naming a parameter given twice, which would
// otherwise be read one way here and another way by a proxy; or whose name
// or value has a '%' without two hex digits after it, or decodes to
// something other than UTF-8 text without control characters (a filter
// that could match nothing would answer an empty list instead).
StatusOr<QueryParams> ParseQuery(std::string_view query);

}  // namespace cocreate

#endif  // COCREATE_HTTP_TARGET_H_
