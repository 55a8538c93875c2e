// Result<T>: the one way DSS code reports failure across a module boundary.
// Untrusted input yields an error value; a broken internal invariant aborts via DSS_CHECK.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <tl/expected.hpp>
#include <utility>

#include "core/error.h"

namespace dss {

// A value or an Error. [[nodiscard]]: a dropped Result is a compile warning (an error in CI).
template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using Base = tl::expected<T, Error>;
  using Base::Base;
  Result(Base b) : Base(std::move(b)) {}  // NOLINT(google-explicit-constructor)
};

using Status = Result<void>;

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline Status ok() { return {}; }

// Explicitly discard a result whose failure does not matter here; say why at the call site.
template <typename R>
void ignore_error(R&& /*result*/) {}

[[noreturn]] void check_failed(const char* expr, const char* file, int line) noexcept;

}  // namespace dss

// Broken internal invariant: crash loudly. Never use on anything the environment controls.
#define DSS_CHECK(cond)                                          \
  do {                                                           \
    if (!(cond)) ::dss::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)

// Propagate an error: `DSS_TRY(x, expr);` declares x from a Result<T>, or returns its error.
#define DSS_CONCAT_INNER(a, b) a##b
#define DSS_CONCAT(a, b) DSS_CONCAT_INNER(a, b)
#define DSS_TRY(var, expr) DSS_TRY_IMPL(DSS_CONCAT(dss_try_tmp_, __LINE__), var, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): `var` is a declaration (`const T& x`) and `tmp` a
// name made by DSS_CONCAT; neither can be parenthesised.
#define DSS_TRY_IMPL(tmp, var, expr)                         \
  auto tmp = (expr);                                         \
  if (!tmp) return ::tl::unexpected(std::move(tmp).error()); \
  var = std::move(*tmp)

// Propagate the error of a Status (or ignore the value of a Result). Its temporary is named after
// the line too, so a DSS_TRY_STATUS inside a lambda passed to another does not shadow the outer.
#define DSS_TRY_STATUS(expr) DSS_TRY_STATUS_IMPL(DSS_CONCAT(dss_try_status_, __LINE__), expr)
#define DSS_TRY_STATUS_IMPL(tmp, expr)                         \
  do {                                                         \
    auto tmp = (expr);                                         \
    if (!tmp) return ::tl::unexpected(std::move(tmp).error()); \
  } while (0)
// NOLINTEND(bugprone-macro-parentheses)
