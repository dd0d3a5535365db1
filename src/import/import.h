// The two ways in to a catalog import (CONTRACT §8 "Import.", §9.23):
// `cocreate import --format backstage|csv [--kind K] PATH` and
// `POST /imports {format, kind?, content}`. Both read the source with the
// format's reader (backstage.h, csv.h) and apply it with ApplyCatalog.
#ifndef COCREATE_IMPORT_IMPORT_H_
#define COCREATE_IMPORT_IMPORT_H_

#include <string>
#include <string_view>

#include "engine/engine.h"
#include "import/catalog.h"
#include "model/json.h"
#include "model/status.h"

namespace cocreate {

// Imports `content` of `format` ("backstage": multi-document YAML; "csv":
// CSV of `kind`, one of organizations, resources, services). Errors:
// invalid_field (400) naming `format` or `kind` when unknown, missing, or
// (kind) given for backstage.
StatusOr<ImportReport> ImportText(Engine& engine, std::string_view format, std::string_view kind,
                                  std::string_view content, const std::string& source);

// POST /imports {format, kind?, content}.
struct ImportRequest {
  std::string format, kind, content;
};
// Decodes and checks the body. Errors: invalid_field (400) naming the member
// at fault (missing, not a string, unknown format or kind, an unknown member).
StatusOr<ImportRequest> DecodeImport(const Json& body);

// The CLI: `path` is a file, or a folder whose catalog-info.yaml /
// catalog-info.yml files (backstage) or *.csv files (csv) are read, in path
// order, recursively. Errors: invalid_field as ImportText; not_found for a
// path that does not exist, or a folder without such files.
StatusOr<ImportReport> ImportPath(Engine& engine, std::string_view format, std::string_view kind,
                                  const std::string& path);

}  // namespace cocreate

#endif  // COCREATE_IMPORT_IMPORT_H_
