// Result<T>: a value or an Error, the subset of std::expected that famfs uses.
// (Clang 14 cannot compile libstdc++ 12's <expected>, so we carry our own.)
#pragma once

#include "log/error.hpp"

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace famfs {

// Wraps an Error so that it converts into any Result<T>.
struct Unexpected {
  Error error;
};

inline Unexpected fail(Error e) {
  return Unexpected{std::move(e)};
}

template <typename... Args>
Unexpected fail(Errc code, fmt::format_string<Args...> f, Args&&... args) {
  return Unexpected{make_error(code, f, std::forward<Args>(args)...)};
}

[[noreturn]] void result_access_failure(const Error& e);

// Holds either a T or an Error. Accessing the wrong alternative aborts with a message.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
  Result(Unexpected u) : m_v(std::in_place_index<1>, std::move(u.error)) {}
  Result(Error e) : m_v(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(m_v);
  }
  const T& value() const& {
    check();
    return std::get<0>(m_v);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(m_v));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    if (has_value()) {
      result_access_failure(Error{Errc::internal, 0, "error() on a value", {}});
    }
    return std::get<1>(m_v);
  }
  Error&& error() && {
    if (has_value()) {
      result_access_failure(Error{Errc::internal, 0, "error() on a value", {}});
    }
    return std::get<1>(std::move(m_v));
  }

private:
  void check() const {
    if (!has_value()) {
      result_access_failure(std::get<1>(m_v));
    }
  }
  std::variant<T, Error> m_v;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Unexpected u) : m_err(std::move(u.error)), m_ok(false) {}
  Result(Error e) : m_err(std::move(e)), m_ok(false) {}

  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  void value() const {
    if (!m_ok) {
      result_access_failure(m_err);
    }
  }
  const Error& error() const& { return m_err; }
  Error&& error() && { return std::move(m_err); }

private:
  Error m_err;
  bool m_ok = true;
};

// Adds context to the error of a failed Result, leaving a value untouched.
template <typename T> Result<T> with_context(Result<T> r, std::string_view context) {
  if (r) {
    return r;
  }
  return with_context(std::move(r).error(), context);
}

} // namespace famfs

// Evaluates `expr` (a Result); on error returns that error from the enclosing function.
#define FAMFS_TRY(expr)                                                                            \
  do {                                                                                             \
    auto famfs_try_r_ = (expr);                                                                    \
    if (!famfs_try_r_) {                                                                           \
      return ::famfs::Unexpected{std::move(famfs_try_r_).error()};                                 \
    }                                                                                              \
  } while (false)

#define FAMFS_CONCAT_INNER_(a, b) a##b
#define FAMFS_CONCAT_(a, b) FAMFS_CONCAT_INNER_(a, b)

// Declares `lhs` from the value of `expr` (a Result), or returns its error.
#define FAMFS_TRY_ASSIGN(lhs, expr)                                                                \
  FAMFS_TRY_ASSIGN_IMPL_(FAMFS_CONCAT_(famfs_r_, __LINE__), lhs, expr)
#define FAMFS_TRY_ASSIGN_IMPL_(tmp, lhs, expr)                                                     \
  auto tmp = (expr);                                                                               \
  if (!tmp) {                                                                                      \
    return ::famfs::Unexpected{std::move(tmp).error()};                                            \
  }                                                                                                \
  lhs = std::move(tmp).value()

// An always-on check of an internal invariant. A failure is a bug in famfs.
#define FAMFS_ASSERT(cond)                                                                         \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ::famfs::assert_failure(#cond, __FILE__, __LINE__);                                          \
    }                                                                                              \
  } while (false)

namespace famfs {
[[noreturn]] void assert_failure(const char* cond, const char* file, int line);
}
