#include "mailtriage/util/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <ctime>
#include <stdexcept>

namespace mailtriage::log {
namespace {

std::atomic<int> g_minimum{static_cast<int>(level::info)};
// Lines stderr refused (disk full, closed pipe) since the last line it took.
std::atomic<std::uint64_t> g_dropped_since{0};
std::atomic<std::uint64_t> g_dropped_total{0};

// Writes all of `bytes` to stderr, or gives up at the first failure: a full disk or a
// closed stderr must never stop (or block) mail flow.
bool write_all(std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

const char* name_of(level l) {
  switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warning: return "warning";
    case level::error: return "error";
  }
  return "info";
}

// Quotes a value when it would break key=value parsing; escapes control bytes so
// a hostile value cannot forge a second log line.
void append_value(std::string& out, std::string_view v) {
  bool needs_quotes = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

level parse_level(std::string_view name) {
  if (name == "debug") return level::debug;
  if (name == "info") return level::info;
  if (name == "warning") return level::warning;
  if (name == "error") return level::error;
  throw std::invalid_argument("unknown log level '" + std::string(name) +
                              "' (expected debug, info, warning or error)");
}

void set_level(level minimum) { g_minimum.store(static_cast<int>(minimum), std::memory_order_relaxed); }

bool enabled(level l) { return static_cast<int>(l) >= g_minimum.load(std::memory_order_relaxed); }

std::uint64_t dropped_lines() { return g_dropped_total.load(std::memory_order_relaxed); }

void write(level l, std::string_view event, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  std::string line;
  line.reserve(128);
  // Lines lost while stderr refused writes are reported once it takes them again, so
  // the gap in the log is visible and counted.
  if (std::uint64_t lost = g_dropped_since.exchange(0, std::memory_order_relaxed)) {
    line += "ts=";
    line += stamp;
    line += " level=warning event=log_lines_dropped count=";
    line += std::to_string(lost);
    line += '\n';
    if (!write_all(line)) {
      g_dropped_since.fetch_add(lost, std::memory_order_relaxed);
      g_dropped_since.fetch_add(1, std::memory_order_relaxed);
      g_dropped_total.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    line.clear();
  }
  line += "ts=";
  line += stamp;
  line += " level=";
  line += name_of(l);
  line += " event=";
  append_value(line, event);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  line += '\n';
  // One write per line: atomic for pipes up to PIPE_BUF and in practice for journald.
  if (!write_all(line)) {
    g_dropped_since.fetch_add(1, std::memory_order_relaxed);
    g_dropped_total.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace mailtriage::log
