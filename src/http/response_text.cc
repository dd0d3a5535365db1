#include "http/response_text.h"

#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <cctype>
#include <ostream>

namespace cocreate {

namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void AppendValue(std::string& out, std::string_view value) {
  for (char c : value) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

}  // namespace

void ResponseText::Set(std::string_view name, std::string_view value) {
  if (SameName(name, "Connection") || SameName(name, "Content-Length") ||
      SameName(name, "Transfer-Encoding")) {
    return;
  }
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [name](const auto& f) { return SameName(f.first, name); }),
                fields_.end());
  fields_.emplace_back(name, value);
}

std::string ResponseText::Head(size_t body_size, bool keep_alive) const {
  namespace http = boost::beast::http;
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status_)));
  std::string out;
  size_t size = 64 + reason.size();
  for (const auto& [name, value] : fields_) size += name.size() + value.size() + 4;
  out.reserve(size);
  out += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status_);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [name, value] : fields_) {
    out += name;
    out += ": ";
    AppendValue(out, value);
    out += "\r\n";
  }
  if (version_ >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version_ < 11 && keep_alive) out += "Connection: keep-alive\r\n";
  out += "Content-Length: ";
  out += Bodiless() ? "0" : std::to_string(body_size);
  out += "\r\n\r\n";
  return out;
}

std::string ResponseText::Finish(std::string_view body, bool keep_alive, bool head_only) const {
  std::string out = Head(body.size(), keep_alive);
  if (SendsBody(head_only)) out += body;
  return out;
}

}  // namespace cocreate
