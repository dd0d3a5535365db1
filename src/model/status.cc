#include "model/status.h"

namespace cocreate {

int HttpStatusOf(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kPayloadTooLarge: return 413;
    case Code::kUnsupportedMediaType: return 415;
    case Code::kUnprocessable: return 422;
    case Code::kInternal: return 500;
    case Code::kUnavailable: return 503;
  }
  return 500;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = reason_ + ": " + message_;
  if (!field_.empty()) s += " (field " + field_ + ")";
  return s;
}

Status InvalidField(std::string field, std::string message) {
  return Status(Code::kInvalidArgument, "invalid_field", std::move(message), std::move(field));
}
Status NotFound(std::string message) {
  return Status(Code::kNotFound, "not_found", std::move(message));
}
Status Forbidden(std::string message) {
  return Status(Code::kPermissionDenied, "forbidden", std::move(message));
}
Status Conflict(std::string reason, std::string message) {
  return Status(Code::kConflict, std::move(reason), std::move(message));
}
Status Unprocessable(std::string reason, std::string message, std::string field) {
  return Status(Code::kUnprocessable, std::move(reason), std::move(message), std::move(field));
}
Status UnknownReference(std::string field, const std::string& id) {
  // Worded the same whether `id` is absent or only invisible to the caller.
  std::string message = "'" + id + "' does not name anything you can use here";
  return Status(Code::kUnprocessable, "unknown_reference", std::move(message), std::move(field));
}
Status Internal(std::string message) {
  return Status(Code::kInternal, "internal", std::move(message));
}
Status Unavailable(std::string message) {
  return Status(Code::kUnavailable, "unavailable", std::move(message));
}

}  // namespace cocreate
