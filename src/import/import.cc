#include "import/import.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "import/backstage.h"
#include "import/csv.h"

namespace cocreate {

namespace {

Status CheckFormat(std::string_view format, std::string_view kind) {
  if (format == "backstage") {
    if (!kind.empty()) {
      return InvalidField("kind", "'kind' is for csv only; a Backstage catalog says each entity's kind");
    }
    return Status::Ok();
  }
  if (format == "csv") {
    if (kind.empty()) {
      return InvalidField("kind", "'kind' is required for csv: organizations, resources or services");
    }
    if (!CsvKindFromName(kind)) {
      return InvalidField("kind", "'kind' must be organizations, resources or services, not '" +
                                      std::string(kind) + "'");
    }
    return Status::Ok();
  }
  return InvalidField("format", "'format' must be backstage or csv, not '" + std::string(format) + "'");
}

StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

StatusOr<ImportReport> ImportText(Engine& engine, std::string_view format, std::string_view kind,
                                  std::string_view content, const std::string& source) {
  CC_RETURN_IF_ERROR(CheckFormat(format, kind));
  if (format == "backstage") {
    BackstageReader reader;
    reader.Add(content, source);
    return ApplyCatalog(engine, reader.Build());
  }
  return ApplyCatalog(engine, ReadCsv(content, *CsvKindFromName(kind), source));
}

StatusOr<ImportRequest> DecodeImport(const Json& body) {
  if (!body.is_object()) return InvalidField("", "the body must be a JSON object");
  for (const auto& [key, value] : body.members()) {
    if (key != "format" && key != "kind" && key != "content") {
      return InvalidField(key, "'" + key + "' is not part of an import; it takes format, kind, content");
    }
  }
  std::string text[3];
  const char* names[3] = {"format", "kind", "content"};
  for (int i = 0; i < 3; ++i) {
    const Json* v = body.Find(names[i]);
    if (v == nullptr || v->is_null()) {
      if (i != 1) return InvalidField(names[i], std::string("'") + names[i] + "' is required");
      continue;
    }
    if (!v->is_string()) {
      return InvalidField(names[i], std::string("'") + names[i] + "' must be a string");
    }
    text[i] = v->as_string();
  }
  CC_RETURN_IF_ERROR(CheckFormat(text[0], text[1]));
  return ImportRequest{std::move(text[0]), std::move(text[1]), std::move(text[2])};
}

StatusOr<ImportReport> ImportPath(Engine& engine, std::string_view format, std::string_view kind,
                                  const std::string& path) {
  CC_RETURN_IF_ERROR(CheckFormat(format, kind));
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string name = it->path().filename().string();
      bool wanted = format == "backstage"
                        ? (name == "catalog-info.yaml" || name == "catalog-info.yml")
                        : it->path().extension() == ".csv";
      if (wanted) files.push_back(it->path());
    }
    if (ec) return NotFound("cannot read folder " + path + ": " + ec.message());
    if (files.empty()) {
      return NotFound("folder " + path + " holds no " +
                      (format == "backstage" ? "catalog-info.yaml file" : ".csv file"));
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return NotFound("no file or folder " + path);
  }
  if (format == "backstage") {
    BackstageReader reader;
    for (const auto& f : files) {
      CC_ASSIGN_OR_RETURN(std::string text, ReadFile(f));
      reader.Add(text, f.string());
    }
    return ApplyCatalog(engine, reader.Build());
  }
  // CSV files of one kind are read one after the other into one report.
  ImportReport total;
  for (const auto& f : files) {
    CC_ASSIGN_OR_RETURN(std::string text, ReadFile(f));
    ImportReport r = ApplyCatalog(engine, ReadCsv(text, *CsvKindFromName(kind), f.string()));
    total.created += r.created;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
    for (auto& x : r.refused) total.refused.push_back(std::move(x));
  }
  return total;
}

}  // namespace cocreate
