#include "http/response_text.h"

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cocreate {
namespace {

namespace http = boost::beast::http;

using Fields = std::vector<std::pair<std::string, std::string>>;

// What Beast's serializer makes of the same answer, the way the server
// built it before: fields set in order, keep_alive, prepare_payload, and a
// HEAD's body cleared after it.
std::string ByBeast(int status, unsigned version, const Fields& fields, const std::string& body,
                    bool keep_alive, bool head_only) {
  http::response<http::string_body> res(static_cast<http::status>(status), version);
  for (const auto& [k, v] : fields) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = body;
  res.prepare_payload();
  if (head_only) res.body().clear();
  std::ostringstream out;
  out << res;
  return out.str();
}

std::string Ours(int status, unsigned version, const Fields& fields, const std::string& body,
                 bool keep_alive, bool head_only) {
  ResponseText text(status, version);
  for (const auto& [k, v] : fields) text.Set(k, v);
  return text.Finish(body, keep_alive, head_only);
}

const Fields kUsual = {{"Server", "cocreate"},
                       {"Content-Type", "application/json"},
                       {"Cache-Control", "no-store"},
                       {"Request-Id", "0123456789abcdef"}};

TEST(ResponseTextTest, MatchesBeastsSerializerByteForByte) {
  Fields replaced = kUsual;
  replaced.emplace_back("cache-control", "public, max-age=31536000, immutable");
  replaced.emplace_back("Location", "/api/v1/provisions/prov-1");
  Fields retry = kUsual;
  retry.emplace_back("Retry-After", "1");
  const std::string body = R"({"id":"prov-1","at":"2026-12-04T09:54:07.968Z"})";
  struct Case {
    int status;
    unsigned version;
    const Fields* fields;
    std::string body;
    bool keep_alive;
    bool head_only;
  };
  const std::vector<Case> cases = {
      {201, 11, &kUsual, body, true, false},     {200, 11, &kUsual, body, false, false},
      {200, 10, &kUsual, body, true, false},     {200, 10, &kUsual, body, false, false},
      {200, 11, &kUsual, body, true, true},      {204, 11, &kUsual, "", true, false},
      {304, 11, &kUsual, "", false, false},
      {200, 11, &kUsual, "", true, false},
      {200, 11, &replaced, body, true, false},   {503, 11, &retry, body, false, false},
      {404, 10, &replaced, body, true, true},    {413, 11, &kUsual, body, false, false},
      {422, 11, &kUsual, std::string(70000, 'x'), true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.status) + " HTTP/" + std::to_string(c.version) +
                 (c.keep_alive ? " keep-alive" : " close") + (c.head_only ? " HEAD" : ""));
    EXPECT_EQ(Ours(c.status, c.version, *c.fields, c.body, c.keep_alive, c.head_only),
              ByBeast(c.status, c.version, *c.fields, c.body, c.keep_alive, c.head_only));
  }
}

TEST(ResponseTextTest, AValueCannotStartAFieldOfItsOwn) {
  using namespace std::string_view_literals;
  ResponseText text(200, 11);
  text.Set("Location", "/x\r\nSet-Cookie: a=b\n\0y"sv);
  EXPECT_EQ(text.Finish("", true, false),
            "HTTP/1.1 200 OK\r\nLocation: /x  Set-Cookie: a=b  y\r\nContent-Length: 0\r\n\r\n");
}

// The framing fields are the serializer's alone: a handler that set one
// would otherwise send it twice.
TEST(ResponseTextTest, FramingFieldsCannotBeSetTwice) {
  ResponseText text(200, 11);
  text.Set("content-length", "5");
  text.Set("Connection", "keep-alive");
  text.Set("Transfer-Encoding", "chunked");
  text.Set("Allow", "GET");
  EXPECT_EQ(text.Finish("{}", false, false),
            "HTTP/1.1 200 OK\r\nAllow: GET\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(text.Head(2, false) + "{}", text.Finish("{}", false, false));
  EXPECT_TRUE(text.SendsBody(false));
  EXPECT_FALSE(text.SendsBody(true));
}

// Beast threw on a body with these; the body is dropped instead.
TEST(ResponseTextTest, ABodilessStatusSendsNoBody) {
  EXPECT_EQ(ResponseText(204, 11).Finish("ignored", false, false),
            "HTTP/1.1 204 No Content\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(ResponseText(101, 11).Finish("x", true, false),
            "HTTP/1.1 101 Switching Protocols\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace cocreate
