#include "http/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cocreate {

namespace {

bool SafePath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find("..") != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos) return false;
  if (path.find('\0') != std::string_view::npos) return false;
  if (path.find("//") != std::string_view::npos) return false;
  return true;
}

std::optional<std::string> ReadFile(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return out.str();
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  auto dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

bool StaticFiles::HasIndex() const { return Find("/index.html").has_value(); }

std::optional<StaticFile> StaticFiles::Find(std::string_view path) const {
  if (path == "/") path = "/index.html";
  if (!SafePath(path)) return std::nullopt;
  std::optional<std::string> body;
  if (!dir_.empty()) {
    body = ReadFile(dir_ + std::string(path));
  } else {
    for (const EmbeddedFile& f : EmbeddedWebFiles()) {
      if (path == f.path) {
        body.emplace(f.begin, static_cast<size_t>(f.end - f.begin));
        break;
      }
    }
  }
  if (!body) return std::nullopt;
  StaticFile file;
  file.content_type = std::string(ContentTypeFor(path));
  file.body = std::move(*body);
  file.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // Vite names every asset by its content hash, so those never change;
  // index.html must always be asked for again.
  if (path.rfind("/assets/", 0) == 0) {
    file.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    file.headers.emplace_back("Cache-Control", "no-cache");
  }
  if (path == "/index.html") {
    file.headers.emplace_back("Referrer-Policy", "no-referrer");
    file.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
  }
  return file;
}

}  // namespace cocreate
