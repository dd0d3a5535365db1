// StaticFiles: the web UI's files, served at / beside the API. They are
// embedded into the binary at build time (cmake/EmbedAssets.cmake), or read
// from a folder given with `cocreate serve --web-dir` (for UI development).
#ifndef COCREATE_HTTP_STATIC_FILES_H_
#define COCREATE_HTTP_STATIC_FILES_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cocreate {

// One embedded file: its URL path ("/index.html", "/assets/app-1a2b.js") and
// bytes [begin, end).
struct EmbeddedFile {
  const char* path;
  const char* begin;
  const char* end;
};

// The files the build embedded; empty when the UI was not built.
std::span<const EmbeddedFile> EmbeddedWebFiles();

struct StaticFile {
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class StaticFiles {
 public:
  // Serves `dir` when it is not empty, else the embedded files.
  explicit StaticFiles(std::string dir = "");

  // The file for a GET of `path` ("/" is "/index.html"), or nullopt when
  // there is none. Paths with "..", backslashes or NULs are never files.
  std::optional<StaticFile> Find(std::string_view path) const;

  // Whether there is a UI to serve at all.
  bool HasIndex() const;

 private:
  std::string dir_;
};

// The media type for a file name, from its extension.
std::string_view ContentTypeFor(std::string_view path);

}  // namespace cocreate

#endif  // COCREATE_HTTP_STATIC_FILES_H_
