#include "mailtriage/util/log.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "mailtriage/util/json_writer.hpp"

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
std::atomic<int> g_format{static_cast<int>(format::text)};
std::atomic<bool> g_log_domains{false};
std::atomic<bool> g_log_subjects{false};

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

std::string format_line(format f, level l, std::string_view timestamp, std::string_view event,
                        std::initializer_list<field> fields) {
  std::string line;
  line.reserve(160);
  if (f == format::json) {
    line += "{\"ts\":\"";
    line += timestamp;
    line += "\",\"level\":\"";
    line += name_of(l);
    line += "\",\"event\":";
    json_writer::append_escaped(line, event);
    for (const auto& fl : fields) {
      line += ',';
      json_writer::append_escaped(line, fl.key);
      line += ':';
      if (fl.number && fl.value.find_first_not_of("0123456789+-.eE") == std::string::npos && !fl.value.empty())
        line += fl.value;
      else
        json_writer::append_escaped(line, fl.value);
    }
    line += '}';
    return line;
  }
  line += "ts=";
  line += timestamp;
  line += " level=";
  line += name_of(l);
  line += " event=";
  append_value(line, event);
  for (const auto& fl : fields) {
    line += ' ';
    line += fl.key;
    line += '=';
    append_value(line, fl.value);
  }
  return line;
}

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
  const auto fmt = static_cast<format>(g_format.load(std::memory_order_relaxed));
  // Lines lost while stderr refused writes are reported once it takes them again, so
  // the gap in the log is visible and counted.
  if (std::uint64_t lost = g_dropped_since.exchange(0, std::memory_order_relaxed)) {
    std::string note = format_line(fmt, level::warning, stamp, "log_lines_dropped", {{"count", lost}});
    note += '\n';
    if (!write_all(note)) {
      g_dropped_since.fetch_add(lost + 1, std::memory_order_relaxed);
      g_dropped_total.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::string line = format_line(fmt, l, stamp, event, fields);
  line += '\n';
  // One write per line: atomic for pipes up to PIPE_BUF and in practice for journald.
  if (!write_all(line)) {
    g_dropped_since.fetch_add(1, std::memory_order_relaxed);
    g_dropped_total.fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t dropped_lines() { return g_dropped_total.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------- privacy

namespace {

// HMAC-SHA256 with the key's inner and outer pads hashed once: each pseudonym then
// costs two digest-context copies and two short updates.
class hmac_state {
 public:
  explicit hmac_state(std::string_view key) {
    unsigned char block[64] = {};
    if (key.size() > sizeof block) {
      unsigned int n = 0;
      EVP_Digest(key.data(), key.size(), block, &n, EVP_sha256(), nullptr);
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[64];
    for (std::size_t i = 0; i < 64; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
    init(inner_.get(), pad);
    for (std::size_t i = 0; i < 64; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
    init(outer_.get(), pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
  }

  void mac(std::string_view data, unsigned char out[32]) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned int n = 0;
    unsigned char inner[32];
    if (!ctx || !EVP_MD_CTX_copy_ex(ctx.get(), inner_.get()) || !EVP_DigestUpdate(ctx.get(), data.data(), data.size()) ||
        !EVP_DigestFinal_ex(ctx.get(), inner, &n) || !EVP_MD_CTX_copy_ex(ctx.get(), outer_.get()) ||
        !EVP_DigestUpdate(ctx.get(), inner, sizeof inner) || !EVP_DigestFinal_ex(ctx.get(), out, &n))
      throw std::runtime_error("HMAC-SHA256 failed");
  }

 private:
  using ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  static void init(EVP_MD_CTX* ctx, const unsigned char* pad) {
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) || !EVP_DigestUpdate(ctx, pad, 64))
      throw std::runtime_error("SHA-256 unavailable");
  }
  ctx_ptr inner_{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  ctx_ptr outer_{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

std::atomic<std::shared_ptr<const hmac_state>> g_pseudonym_key;

std::shared_ptr<const hmac_state> current_key() {
  auto k = g_pseudonym_key.load();
  if (k) return k;
  static std::once_flag once;
  std::call_once(once, [] {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no randomness for the pseudonym key");
    auto fresh = std::make_shared<const hmac_state>(
        std::string_view(reinterpret_cast<const char*>(random), sizeof random));
    OPENSSL_cleanse(random, sizeof random);
    std::shared_ptr<const hmac_state> none;
    g_pseudonym_key.compare_exchange_strong(none, std::move(fresh));  // a key set meanwhile wins
  });
  return g_pseudonym_key.load();
}

std::string pseudonym_with(const hmac_state& key, std::string_view address, bool keep_domain) {
  while (!address.empty() && (address.front() == '<' || address.front() == ' ')) address.remove_prefix(1);
  while (!address.empty() && (address.back() == '>' || address.back() == ' ')) address.remove_suffix(1);
  if (address.empty()) return "-";  // the null sender of bounces: nobody to protect
  std::string lower(address);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  unsigned char mac[32];
  key.mac(lower, mac);
  static const char* hex = "0123456789abcdef";
  std::string out = "ps:";
  for (int i = 0; i < 8; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  if (keep_domain) {
    if (auto at = lower.rfind('@'); at != std::string::npos) {
      std::string_view domain = std::string_view(lower).substr(at);
      // The domain is the only clear text left: keep it to what a host name may hold.
      for (char c : domain)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '@') ? c : '?';
    }
  }
  return out;
}

}  // namespace

void set_format(format f) { g_format.store(static_cast<int>(f), std::memory_order_relaxed); }

format parse_format(std::string_view name) {
  if (name == "text") return format::text;
  if (name == "json") return format::json;
  throw std::invalid_argument("unknown log format '" + std::string(name) + "' (expected text or json)");
}

void set_privacy(privacy_settings p) {
  g_log_domains.store(p.log_domains, std::memory_order_relaxed);
  g_log_subjects.store(p.log_subjects, std::memory_order_relaxed);
}

privacy_settings privacy() {
  return {g_log_domains.load(std::memory_order_relaxed), g_log_subjects.load(std::memory_order_relaxed)};
}

void set_pseudonym_key(std::string_view key) {
  if (key.size() < 16) throw std::invalid_argument("pseudonym key shorter than 16 bytes");
  g_pseudonym_key.store(std::make_shared<const hmac_state>(key));
}

std::string pseudonym(std::string_view address) {
  return pseudonym_with(*current_key(), address, g_log_domains.load(std::memory_order_relaxed));
}

std::string pseudonym(std::string_view key, std::string_view address, bool keep_domain) {
  return pseudonym_with(hmac_state(key), address, keep_domain);
}

}  // namespace mailtriage::log
