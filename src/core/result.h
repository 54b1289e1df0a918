#pragma once

// Result<T>: a value or an Error, shaped like std::expected<T, Error> so that a later move to
// C++23 is `template <class T> using Result = std::expected<T, Error>;`.
//
// Example:
//   Result<int> ParsePort(std::string_view s);
//   LINKHUB_ASSIGN_OR_RETURN(int port, ParsePort(text));
//   if (port == 0) return Unexpected(MakeError(ErrorCode::kInvalidArgument, "port is 0"));

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.h"

namespace linkhub {

class Unexpected {
 public:
  explicit Unexpected(Error error) : error_(std::move(error)) {}
  Error& error() & { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
};

// LINKHUB_CHECK(cond): an always-on invariant; aborts with file and line. Never use it on
// anything that comes from the network, the disk or Plaid.
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line);
#define LINKHUB_CHECK(cond)                              \
  do {                                                   \
    if (!(cond)) {                                       \
      ::linkhub::CheckFailed(#cond, __FILE__, __LINE__); \
    }                                                    \
  } while (false)

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Result(const T& value) : v_(std::in_place_index<0>, value) {}        // NOLINT: implicit by design
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Result> &&
           !std::is_same_v<std::decay_t<U>, Unexpected> && !std::is_same_v<std::decay_t<U>, T>)
      Result(U&& value)  // NOLINT: implicit by design; the requires-clause keeps copies out
      : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u).error()) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    LINKHUB_CHECK(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    LINKHUB_CHECK(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    LINKHUB_CHECK(has_value());
    return std::get<0>(std::move(v_));
  }
  const Error& error() const& {
    LINKHUB_CHECK(!has_value());
    return std::get<1>(v_);
  }
  Error&& error() && {
    LINKHUB_CHECK(!has_value());
    return std::get<1>(std::move(v_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Unexpected u) : error_(std::move(u).error()), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { LINKHUB_CHECK(ok_); }
  const Error& error() const& {
    LINKHUB_CHECK(!ok_);
    return error_;
  }
  Error&& error() && {
    LINKHUB_CHECK(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

// `lhs` is a declaration or an expression, so the macros cannot parenthesise their arguments.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define LINKHUB_CONCAT_INNER_(a, b) a##b
#define LINKHUB_CONCAT_(a, b) LINKHUB_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result) from the enclosing function if it has one.
#define LINKHUB_RETURN_IF_ERROR(expr)                                   \
  do {                                                                  \
    auto linkhub_status_ = (expr);                                      \
    if (!linkhub_status_.has_value()) {                                 \
      return ::linkhub::Unexpected(std::move(linkhub_status_).error()); \
    }                                                                   \
  } while (false)

// Evaluates `expr` (a Result<T>); on error returns it, else moves the value into `lhs`.
#define LINKHUB_ASSIGN_OR_RETURN(lhs, expr) \
  LINKHUB_ASSIGN_OR_RETURN_IMPL_(LINKHUB_CONCAT_(linkhub_result_, __LINE__), lhs, expr)
#define LINKHUB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)    \
  auto tmp = (expr);                                      \
  if (!tmp.has_value()) {                                 \
    return ::linkhub::Unexpected(std::move(tmp).error()); \
  }                                                       \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace linkhub
