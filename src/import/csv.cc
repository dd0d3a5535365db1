#include "import/csv.h"

#include <csv.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace cocreate {

namespace {

struct Row {
  int64_t line = 0;  // where the row starts
  std::vector<std::string> cells;
};

// What libcsv's callbacks fill while the text is fed to it line by line.
struct Rows {
  std::vector<Row> rows;
  std::vector<std::string> cells;
  int64_t line = 1;       // the line being fed
  int64_t row_start = 0;  // 0: no cell of the current row yet
  int64_t next_row = 1;   // where the row after the last one ended starts
};

void OnCell(void* data, size_t size, void* user) {
  Rows& r = *static_cast<Rows*>(user);
  std::string cell = data == nullptr ? std::string() : std::string(static_cast<char*>(data), size);
  if (r.row_start == 0) {
    // The first cell ends on this line; it started as many lines earlier as
    // it holds newlines.
    r.row_start = r.line - static_cast<int64_t>(std::count(cell.begin(), cell.end(), '\n'));
  }
  r.cells.push_back(std::move(cell));
}

void OnRow(int, void* user) {
  Rows& r = *static_cast<Rows*>(user);
  r.rows.push_back({r.row_start == 0 ? r.line : r.row_start, std::move(r.cells)});
  r.cells.clear();
  r.row_start = 0;
  r.next_row = r.line + 1;  // a row ends with its line
}

// Parses `text` into rows; on malformed CSV, the line where it broke.
bool Parse(std::string_view text, Rows& out, int64_t& bad_line, std::string& why) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    why = "cannot start the CSV parser";
    return false;
  }
  bool ok = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    if (csv_parse(&parser, text.data() + pos, end - pos, OnCell, OnRow, &out) != end - pos) {
      ok = false;
      break;
    }
    pos = end;
    if (nl != std::string_view::npos) ++out.line;
  }
  if (ok && csv_fini(&parser, OnCell, OnRow, &out) != 0) ok = false;
  if (!ok) {
    why = csv_strerror(csv_error(&parser));
    // A row broken before its first cell ended (an unterminated quote)
    // started where the last row ended, not where the text ran out.
    bad_line = out.row_start != 0 ? out.row_start : out.next_row;
  }
  csv_free(&parser);
  return ok;
}

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (in >> item) out.push_back(item);
  return out;
}

struct Columns {
  std::vector<std::string> required, optional;
  bool attributes = false;  // attributes.KEY columns allowed
};

Columns ColumnsOf(CsvKind kind) {
  switch (kind) {
    case CsvKind::kOrganizations:
      return {{"external_id", "name"}, {"description", "created_at", "updated_at"}, true};
    case CsvKind::kResources:
      return {{"external_id", "owner", "kind", "name"}, {"created_at", "updated_at"}, true};
    case CsvKind::kServices:
      return {{"external_id", "provider", "name"}, {"description", "built_on", "depends_on"}, false};
  }
  return {};
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::optional<CsvKind> CsvKindFromName(std::string_view name) {
  if (name == "organizations") return CsvKind::kOrganizations;
  if (name == "resources") return CsvKind::kResources;
  if (name == "services") return CsvKind::kServices;
  return std::nullopt;
}

Catalog ReadCsv(std::string_view text, CsvKind kind, const std::string& source) {
  Catalog out;
  out.ids_allowed = true;
  auto refuse_file = [&](int64_t line, std::string code, std::string message) {
    out.refused.push_back({source, line, std::move(code), message + "; nothing in " + source +
                                                              " was imported"});
    return out;
  };
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  Rows rows;
  int64_t bad_line = 0;
  std::string why;
  if (!Parse(text, rows, bad_line, why)) return refuse_file(bad_line, "invalid_csv", "not CSV: " + why);
  if (rows.rows.empty()) return refuse_file(1, "invalid_header", "no header row");

  // The header: every required column, known ones only, each once.
  const Columns columns = ColumnsOf(kind);
  const std::vector<std::string>& header = rows.rows.front().cells;
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    bool known = std::find(columns.required.begin(), columns.required.end(), name) !=
                     columns.required.end() ||
                 std::find(columns.optional.begin(), columns.optional.end(), name) !=
                     columns.optional.end() ||
                 (columns.attributes && name.rfind("attributes.", 0) == 0 && name.size() > 11);
    if (!known) {
      return refuse_file(1, "invalid_header",
                         "unknown column '" + name + "'; the columns are " +
                             Join(columns.required) + (columns.optional.empty() ? "" : ", then optionally ") +
                             Join(columns.optional) +
                             (columns.attributes ? " and attributes.KEY columns" : ""));
    }
    if (!at.emplace(name, i).second) {
      return refuse_file(1, "invalid_header", "column '" + name + "' appears twice");
    }
  }
  for (const auto& name : columns.required) {
    if (!at.count(name)) {
      return refuse_file(1, "invalid_header", "the header lacks column '" + name +
                                                  "'; it needs " + Join(columns.required));
    }
  }

  std::map<std::string, int64_t> seen;  // external_id -> line
  for (size_t r = 1; r < rows.rows.size(); ++r) {
    const Row& row = rows.rows[r];
    auto cell = [&](const std::string& name) -> std::string {
      auto it = at.find(name);
      return it == at.end() ? std::string() : row.cells[it->second];
    };
    // A row of one empty cell is a blank line.
    if (row.cells.size() == 1 && row.cells[0].empty()) continue;
    Origin origin{source + " line " + std::to_string(row.line), row.line};
    if (row.cells.size() != header.size()) {
      out.refused.push_back({origin.entity, row.line, "invalid_row",
                             "the row has " + std::to_string(row.cells.size()) +
                                 " cells, the header " + std::to_string(header.size())});
      continue;
    }
    std::string external_id = cell("external_id");
    if (!external_id.empty()) origin.entity = external_id;
    std::string missing;
    for (const auto& name : columns.required) {
      if (cell(name).empty()) {
        missing = name;
        break;
      }
    }
    if (!missing.empty()) {
      out.refused.push_back({origin.entity, row.line, "missing_field",
                             "'" + missing + "' is empty; it is required"});
      continue;
    }
    auto [first, fresh] = seen.emplace(external_id, row.line);
    if (!fresh) {
      out.refused.push_back({source + " line " + std::to_string(row.line), row.line,
                             "duplicate_external_id",
                             "external_id '" + external_id + "' is used again; first on line " +
                                 std::to_string(first->second)});
      continue;
    }
    Json attributes = Json::MakeObject();
    Json src = Json::MakeObject({{"format", Json("csv")}});
    for (const char* date : {"created_at", "updated_at"}) {
      if (!cell(date).empty()) src.Set(date, Json(cell(date)));
    }
    attributes.Set("source", std::move(src));
    for (const auto& [name, index] : at) {
      if (name.rfind("attributes.", 0) == 0 && !row.cells[index].empty()) {
        attributes.Set(name.substr(11), Json(row.cells[index]));
      }
    }
    switch (kind) {
      case CsvKind::kOrganizations: {
        PlannedOrganization o{origin, external_id, cell("name"), std::nullopt, attributes};
        if (at.count("description")) o.description = cell("description");
        out.organizations.push_back(std::move(o));
        break;
      }
      case CsvKind::kResources:
        out.resources.push_back(
            {origin, external_id, cell("owner"), cell("kind"), cell("name"), attributes});
        break;
      case CsvKind::kServices: {
        PlannedService s;
        s.origin = origin;
        s.external_id = external_id;
        s.provider = cell("provider");
        s.name = cell("name");
        if (at.count("description")) s.description = cell("description");
        s.built_on = SplitSpaces(cell("built_on"));
        s.depends_on = SplitSpaces(cell("depends_on"));
        out.services.push_back(std::move(s));
        break;
      }
    }
  }
  return out;
}

}  // namespace cocreate
