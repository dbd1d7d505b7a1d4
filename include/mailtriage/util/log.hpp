#pragma once
// One logging facade for the whole project: one line per event, key=value fields,
// written with a single write(2)-sized call so lines from different threads never
// interleave. Thread-safe. Callers must never pass message content, subjects or raw
// addresses as field values (see docs/PRIVACY in the README): this facade cannot tell.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace mailtriage::log {

enum class level { debug = 0, info = 1, warning = 2, error = 3 };

struct field {
  std::string_view key;
  std::string value;
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class Number>
    requires std::is_arithmetic_v<Number>
  field(std::string_view k, Number n) : key(k), value(std::to_string(n)) {}
};

// Parses "debug", "info", "warning", "error"; throws std::invalid_argument otherwise.
[[nodiscard]] level parse_level(std::string_view name);
void set_level(level minimum);
[[nodiscard]] bool enabled(level l);

// Writes `level=... event=<event> k=v ...` to stderr. Never blocks on or fails because
// of stderr: a line stderr refuses (full disk, closed pipe) is dropped and counted,
// and the next line that gets through is preceded by `event=log_lines_dropped count=N`.
void write(level l, std::string_view event, std::initializer_list<field> fields = {});

// Lines dropped since start-up because stderr refused them.
[[nodiscard]] std::uint64_t dropped_lines();

inline void debug(std::string_view e, std::initializer_list<field> f = {}) { write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { write(level::info, e, f); }
inline void warning(std::string_view e, std::initializer_list<field> f = {}) { write(level::warning, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

}  // namespace mailtriage::log
