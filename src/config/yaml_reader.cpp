#include "yaml_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "mailtriage/config/config.hpp"

namespace mailtriage::config {
namespace {

// Splits "30s" / "64KiB" / "1024" into a number and its unit.
bool split_number(const std::string& s, std::uint64_t& number, std::string& unit) {
  auto begin = s.data();
  auto end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc{} || ptr == begin) return false;
  unit.assign(ptr, end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  return true;
}

bool checked_multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
  out = a * b;
  return true;
}

}  // namespace

yaml_section::yaml_section(YAML::Node node, std::string path, const std::string& source)
    : node_(std::move(node)), path_(std::move(path)), source_(source) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) fail("", "expected a mapping of keys to values");
}

std::string yaml_section::where(const YAML::Node& n) const {
  auto mark = n.Mark();
  if (mark.line < 0) return source_;
  return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void yaml_section::fail(const std::string& key, const std::string& what) const {
  const YAML::Node& self = node_;
  YAML::Node at = self;
  if (!key.empty() && has(key)) at = self[key];
  std::string name = path_.empty() ? key : (key.empty() ? path_ : path_ + "." + key);
  throw config_error(where(at) + ": " + (name.empty() ? "" : "'" + name + "': ") + what);
}

bool yaml_section::has(const std::string& key) const {
  const YAML::Node& self = node_;  // const lookup: never inserts the key
  return self.IsDefined() && self.IsMap() && self[key].IsDefined();
}

std::optional<YAML::Node> yaml_section::value_of(const std::string& key) {
  used_.insert(key);
  if (!has(key)) return std::nullopt;
  const YAML::Node& self = node_;
  YAML::Node v = self[key];
  if (v.IsNull()) return std::nullopt;  // "key:" with no value means the default
  if (!v.IsScalar()) fail(key, "expected a single value");
  return v;
}

std::string yaml_section::text(const std::string& key, const std::string& fallback) {
  auto v = value_of(key);
  return v ? v->Scalar() : fallback;
}

std::uint64_t yaml_section::integer(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                                    std::uint64_t max) {
  auto v = value_of(key);
  if (!v) return fallback;
  std::uint64_t n = 0;
  std::string unit;
  if (!split_number(v->Scalar(), n, unit) || !unit.empty()) fail(key, "expected a whole number");
  if (n < min || n > max)
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return n;
}

std::chrono::milliseconds yaml_section::duration(const std::string& key, std::chrono::milliseconds fallback,
                                                 std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto v = value_of(key);
  if (!v) return fallback;
  std::uint64_t n = 0;
  std::string unit;
  if (!split_number(v->Scalar(), n, unit)) fail(key, "expected a duration such as 500ms, 30s, 5m or 1h");
  std::uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else fail(key, "expected a duration with a unit (ms, s, m, h), got '" + v->Scalar() + "'");
  std::uint64_t ms = 0;
  if (!checked_multiply(n, scale, ms)) fail(key, "duration too large");
  std::chrono::milliseconds d(static_cast<std::int64_t>(ms));
  if (d < min || d > max)
    fail(key, "must be between " + std::to_string(min.count()) + "ms and " + std::to_string(max.count()) + "ms");
  return d;
}

std::uint64_t yaml_section::bytes(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                                  std::uint64_t max) {
  auto v = value_of(key);
  if (!v) return fallback;
  std::uint64_t n = 0;
  std::string unit;
  if (!split_number(v->Scalar(), n, unit)) fail(key, "expected a size such as 65535B, 64KiB or 1MiB");
  std::uint64_t scale = 0;
  if (unit == "B" || unit.empty()) scale = 1;
  else if (unit == "KiB") scale = 1ull << 10;
  else if (unit == "MiB") scale = 1ull << 20;
  else if (unit == "GiB") scale = 1ull << 30;
  else fail(key, "expected a size unit B, KiB, MiB or GiB, got '" + v->Scalar() + "'");
  std::uint64_t total = 0;
  if (!checked_multiply(n, scale, total)) fail(key, "size too large");
  if (total < min || total > max)
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + " bytes");
  return total;
}

std::vector<std::string> yaml_section::strings(const std::string& key) {
  used_.insert(key);
  std::vector<std::string> out;
  if (!has(key)) return out;
  const YAML::Node& self = node_;
  YAML::Node v = self[key];
  if (v.IsNull()) return out;
  if (v.IsScalar()) {
    out.push_back(v.Scalar());
  } else if (v.IsSequence()) {
    for (const auto& e : v) {
      if (!e.IsScalar()) fail(key, "expected a list of single values");
      out.push_back(e.Scalar());
    }
  } else {
    fail(key, "expected a value or a list of values");
  }
  return out;
}

std::optional<double> yaml_section::real(const std::string& key, double min, double max) {
  auto v = value_of(key);
  if (!v) return std::nullopt;
  char* end = nullptr;
  const std::string& text = v->Scalar();
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d)) fail(key, "expected a number");
  if (d < min || d > max) fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return d;
}

std::optional<bool> yaml_section::boolean(const std::string& key) {
  auto v = value_of(key);
  if (!v) return std::nullopt;
  const std::string& t = v->Scalar();
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  fail(key, "expected true or false");
}

std::vector<yaml_section> yaml_section::items(const std::string& key) {
  used_.insert(key);
  std::vector<yaml_section> out;
  if (!has(key)) return out;
  const YAML::Node& self = node_;
  YAML::Node v = self[key];
  if (v.IsNull()) return out;
  if (!v.IsSequence()) fail(key, "expected a list");
  std::size_t i = 0;
  for (const auto& e : v) {
    std::string path = (path_.empty() ? key : path_ + "." + key) + "[" + std::to_string(i++) + "]";
    if (!e.IsMap()) throw config_error(where(e) + ": '" + path + "': expected a mapping");
    out.emplace_back(e, path, source_);
  }
  return out;
}

std::string yaml_section::key_name(const YAML::Node& key) const {
  // YAML allows any node as a key ("? [a, b]: c"); ours are all plain names.
  if (!key.IsScalar())
    throw config_error(where(key) + ": " + (path_.empty() ? "" : "'" + path_ + "': ") +
                       "expected a plain key name, not a list or mapping");
  return key.Scalar();
}

std::vector<std::string> yaml_section::keys() const {
  std::vector<std::string> out;
  if (!node_.IsDefined() || !node_.IsMap()) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) out.push_back(key_name(it->first));
  return out;
}

yaml_section yaml_section::section(const std::string& key) {
  used_.insert(key);
  std::string path = path_.empty() ? key : path_ + "." + key;
  if (!has(key)) return yaml_section(YAML::Node(YAML::NodeType::Undefined), std::move(path), source_);
  const YAML::Node& self = node_;
  return yaml_section(self[key], std::move(path), source_);
}

void yaml_section::finish() const {
  if (!node_.IsDefined() || !node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = key_name(it->first);
    if (!used_.contains(key)) {
      std::string name = path_.empty() ? key : path_ + "." + key;
      throw config_error(where(it->first) + ": unknown key '" + name + "'");
    }
  }
}

}  // namespace mailtriage::config
