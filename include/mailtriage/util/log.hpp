#pragma once
// One logging facade for the whole project: one line per event, key=value fields
// (text) or one JSON object per line (json), written with a single write(2) so lines
// from different threads never interleave. Thread-safe.
//
// Privacy (GDPR): callers must never pass message content, subjects or raw addresses
// as field values; this facade cannot tell. Addresses go through pseudonym(), a keyed
// hash, and a subject only when subjects_allowed() says the operator opted in
// (logging.log_subjects). See mailtriage.yaml(5), section LOGGING.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace mailtriage::log {

enum class level { debug = 0, info = 1, warning = 2, error = 3 };
enum class format { text, json };

struct field {
  std::string_view key;
  std::string value;
  bool number = false;  // written unquoted in JSON
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class Number>
    requires std::is_arithmetic_v<Number> && (!std::is_same_v<Number, bool>)
  field(std::string_view k, Number n) : key(k), value(std::to_string(n)), number(true) {}
};

// Parses "debug", "info", "warning", "error"; throws std::invalid_argument otherwise.
[[nodiscard]] level parse_level(std::string_view name);
// Parses "text", "json"; throws std::invalid_argument otherwise.
[[nodiscard]] format parse_format(std::string_view name);
void set_level(level minimum);
void set_format(format f);
[[nodiscard]] bool enabled(level l);

// Writes one line to stderr: `ts=... level=... event=<event> k=v ...` (text) or
// `{"ts":"...","level":"...","event":"...","k":"v",...}` (json).
// Never blocks on or fails because of stderr: a line stderr refuses (full disk,
// closed pipe) is dropped and counted, and the next line that gets through is
// preceded by a log_lines_dropped line with the count.
void write(level l, std::string_view event, std::initializer_list<field> fields = {});

// Lines dropped since start-up because stderr refused them.
[[nodiscard]] std::uint64_t dropped_lines();

inline void debug(std::string_view e, std::initializer_list<field> f = {}) { write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { write(level::info, e, f); }
inline void warning(std::string_view e, std::initializer_list<field> f = {}) { write(level::warning, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

// The line write() would emit, without the trailing newline (for tests).
[[nodiscard]] std::string format_line(format f, level l, std::string_view timestamp, std::string_view event,
                                      std::initializer_list<field> fields);

// ---------------------------------------------------------------- privacy

struct privacy_settings {
  bool log_domains = false;   // pseudonyms keep the address's domain: ps:<hash>@example.org
  bool log_subjects = false;  // verdict lines may carry the decoded Subject
};
void set_privacy(privacy_settings p);
[[nodiscard]] privacy_settings privacy();

// The key of pseudonym(); at least 16 bytes, else std::invalid_argument. Until it is
// set, pseudonym() uses a random key drawn once per process.
void set_pseudonym_key(std::string_view key);

// "ps:" + the first 16 hex digits of HMAC-SHA256(key, address), the address taken
// without angle brackets and in lower case (so <Alice@Example.org> and
// alice@example.org are one person); with log_domains, "@domain" follows. The null
// sender (<>) is "-". Stable for one key; unlinkable without it.
[[nodiscard]] std::string pseudonym(std::string_view address);
// The same with an explicit key (for tests and tools).
[[nodiscard]] std::string pseudonym(std::string_view key, std::string_view address, bool keep_domain);

}  // namespace mailtriage::log
