// CSV with a header row read into a Catalog (catalog.h), with libcsv (RFC
// 4180 quoting: quoted commas, quotes and newlines). One file holds one kind:
//
//   organizations  external_id,name[,description][,attributes.KEY...]
//   resources      external_id,owner,kind,name[,attributes.KEY...]
//   services       external_id,provider,name[,description][,built_on][,depends_on]
//
// Columns may come in any order; `created_at` and `updated_at` columns (the
// source's own dates) are kept in attributes.source for organizations and
// resources. References (owner, provider, the space-separated lists built_on
// and depends_on) name an external_id or an id. A UTF-8 byte order mark is
// skipped; empty cells are absent values.
#ifndef COCREATE_IMPORT_CSV_H_
#define COCREATE_IMPORT_CSV_H_

#include <optional>
#include <string>
#include <string_view>

#include "import/catalog.h"

namespace cocreate {

enum class CsvKind { kOrganizations, kResources, kServices };
std::optional<CsvKind> CsvKindFromName(std::string_view name);

// Reads `text`; `source` names it in refusals. A header that lacks a
// required column or has an unknown one (`invalid_header`), or text that is
// not CSV (`invalid_csv`, with the line), refuses the whole file; a row
// with a missing value or the wrong number of cells (`missing_field`,
// `invalid_row`) or an external_id used twice (`duplicate_external_id`)
// refuses that row only. Every refusal names its line.
Catalog ReadCsv(std::string_view text, CsvKind kind, const std::string& source);

}  // namespace cocreate

#endif  // COCREATE_IMPORT_CSV_H_
