// The bytes of an HTTP/1.x answer, made in one buffer: the status line, the
// header fields and the body. The server writes them with one send.
//
// Beast's serializer walks a chain of buffer views for every answer; under a
// write load that was about a sixth of the HTTP threads' own CPU. What this
// makes is what the serializer made for the same message (the test compares
// them byte for byte): fields in the order they were set, a field set again
// under the same name (in any case) replacing the earlier one at the end,
// `Connection` and `Content-Length` last.
#ifndef COCREATE_HTTP_RESPONSE_TEXT_H_
#define COCREATE_HTTP_RESPONSE_TEXT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cocreate {

class ResponseText {
 public:
  // `version` is the request's: 10 or 11.
  ResponseText(int status, unsigned version) : status_(status), version_(version) {
    fields_.reserve(8);  // one allocation for an answer's usual fields
  }

  // Sets a field, replacing any of the same name. The views must stay valid
  // until Head. A CR, LF or NUL in a value would end the field early and
  // start another: each is sent as a space. The framing fields
  // (Connection, Content-Length, Transfer-Encoding) are Head's alone: set
  // here, they are ignored, so an answer never carries two.
  void Set(std::string_view name, std::string_view value);

  // The status line and the fields, up to and with the empty line, for a
  // body of `body_size` bytes. `keep_alive` false asks the client to close
  // (HTTP/1.1), true keeps an HTTP/1.0 connection open. 1xx, 204 and 304
  // answers carry no body and `Content-Length: 0`, as Beast's did.
  std::string Head(size_t body_size, bool keep_alive) const;
  // Whether the body follows the head: not for those statuses, nor for the
  // answer to a HEAD (`head_only`), which keeps the body's Content-Length.
  bool SendsBody(bool head_only) const { return !head_only && !Bodiless(); }
  // The whole answer in one string: Head, then the body when it goes.
  std::string Finish(std::string_view body, bool keep_alive, bool head_only) const;

 private:
  bool Bodiless() const {
    return (status_ >= 100 && status_ < 200) || status_ == 204 || status_ == 304;
  }

  int status_;
  unsigned version_;
  std::vector<std::pair<std::string_view, std::string_view>> fields_;
};

}  // namespace cocreate

#endif  // COCREATE_HTTP_RESPONSE_TEXT_H_
