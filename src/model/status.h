// Status and StatusOr: the error values every core layer returns.
//
// A Status carries a canonical Code (one per HTTP status of the contract), a
// machine-readable `reason` (the `error.code` string clients see, e.g.
// "invalid_field"), a message a person can act on, and optionally the one
// request field at fault. Success is cheap: an ok Status holds empty strings.
#ifndef COCREATE_MODEL_STATUS_H_
#define COCREATE_MODEL_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace cocreate {

// Canonical codes; each maps to exactly one HTTP status (see HttpStatusOf).
enum class Code {
  kOk,
  kInvalidArgument,       // 400
  kUnauthenticated,       // 401
  kPermissionDenied,      // 403
  kNotFound,              // 404
  kConflict,              // 409
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kUnprocessable,         // 422
  kInternal,              // 500
  kUnavailable,           // 503
};

// The HTTP status a code answers with.
int HttpStatusOf(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string reason, std::string message, std::string field = "")
      : code_(code), reason_(std::move(reason)), message_(std::move(message)),
        field_(std::move(field)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
  std::string field_;
};

// Shorthands for the errors the rules produce.
Status InvalidField(std::string field, std::string message);
Status NotFound(std::string message);
Status Forbidden(std::string message);
Status Conflict(std::string reason, std::string message);
Status Unprocessable(std::string reason, std::string message, std::string field = "");
Status UnknownReference(std::string field, const std::string& id);
Status Internal(std::string message);
Status Unavailable(std::string message);

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr needs a value or an error");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace cocreate

#define CC_CONCAT_INNER(a, b) a##b
#define CC_CONCAT(a, b) CC_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is an error.
#define CC_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::cocreate::Status cc_status_ = (expr);       \
    if (!cc_status_.ok()) return cc_status_;      \
  } while (0)

// Evaluates a StatusOr expression; returns its error or assigns its value to `lhs`.
#define CC_ASSIGN_OR_RETURN(lhs, expr) \
  CC_ASSIGN_OR_RETURN_IMPL(CC_CONCAT(cc_statusor_, __LINE__), lhs, expr)
#define CC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#endif  // COCREATE_MODEL_STATUS_H_
