#include "mailtriage/observability/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace mailtriage::observability {

// ---------------------------------------------------------------- values

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::logic_error("histogram bounds must be finite and strictly increasing");
  }
}

void histogram::observe(double v) {
  // A dozen bounds: a linear scan beats a binary search and stays branch-predictable.
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

counter_family::counter_family(std::vector<std::string> label_names, std::size_t max_series)
    : names_(std::move(label_names)), capacity_(std::max<std::size_t>(max_series, 1) + 1),
      series_(std::make_unique<series[]>(capacity_)) {}

counter& counter_family::with(std::span<const std::string_view> values) {
  auto matches = [&](const series& s) {
    return std::equal(s.values.begin(), s.values.end(), values.begin(), values.end());
  };
  std::size_t n = size_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i)
    if (matches(series_[i])) return series_[i].value;
  std::lock_guard lock(mutex_);
  n = size_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i)
    if (matches(series_[i])) return series_[i].value;
  std::vector<std::string> wanted(values.begin(), values.end());
  wanted.resize(names_.size());
  if (n + 1 == capacity_) {
    // Full: the last slot is the overflow series, every value "other".
    std::fill(wanted.begin(), wanted.end(), "other");
    for (std::size_t i = 0; i < n; ++i)
      if (series_[i].values == wanted) return series_[i].value;
  }
  if (n == capacity_) return series_[n - 1].value;
  series_[n].values = std::move(wanted);
  size_.store(n + 1, std::memory_order_release);  // publishes the filled slot
  return series_[n].value;
}

std::span<const counter_family::series> counter_family::published() const {
  return {series_.get(), size_.load(std::memory_order_acquire)};
}

void info_set::replace(std::vector<labels> series) {
  std::lock_guard lock(mutex_);
  series_ = std::move(series);
}

std::vector<labels> info_set::snapshot() const {
  std::lock_guard lock(mutex_);
  return series_;
}

// ---------------------------------------------------------------- registry

namespace {

bool valid_name(std::string_view n, bool label) {
  if (n.empty()) return false;
  auto head = [&](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (!label && c == ':'); };
  if (!head(n[0])) return false;
  for (char c : n)
    if (!head(c) && !std::isdigit(static_cast<unsigned char>(c))) return false;
  return !(label && n.starts_with("__"));  // reserved for Prometheus itself
}

void check_labels(std::string_view metric, const labels& l) {
  for (const auto& [k, v] : l)
    if (!valid_name(k, true) || k == "le")
      throw std::logic_error("metric " + std::string(metric) + ": invalid label name '" + k + "'");
}

const char* type_name(metric_type t) {
  switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

struct counter_view {
  const std::atomic<std::uint64_t>* value;
};
struct gauge_fn {
  const std::function<double()>* value;  // owned by the family
};
using source = std::variant<const counter*, const gauge*, const histogram*, counter_view, gauge_fn,
                            const counter_family*, const info_set*>;

}  // namespace

struct registry::family {
  std::string name;
  std::string help;
  metric_type type;
  struct series {
    labels label_set;
    source value;
  };
  std::vector<series> members;
  // Owned metrics (deque: stable addresses).
  std::deque<counter> counters;
  std::deque<gauge> gauges;
  std::deque<histogram> histograms;
  std::deque<counter_family> counter_families;
  std::deque<info_set> infos;
  std::deque<std::function<double()>> functions;

  void add(labels l, source s) {
    check_labels(name, l);
    for (const auto& m : members)
      if (m.label_set == l && !std::holds_alternative<const counter_family*>(m.value))
        throw std::logic_error("metric " + name + " registered twice with the same labels");
    members.push_back({std::move(l), std::move(s)});
  }
};

registry::registry() = default;
registry::~registry() = default;

registry::family& registry::family_for(std::string_view name, std::string_view help, metric_type type) {
  for (auto& fp : families_) {
    auto& f = *fp;
    if (f.name != name) continue;
    if (f.type != type || f.help != help)
      throw std::logic_error("metric " + std::string(name) + " registered again with another type or help");
    return f;
  }
  if (!valid_name(name, false)) throw std::logic_error("invalid metric name '" + std::string(name) + "'");
  auto& f = *families_.emplace_back(std::make_unique<family>());
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

counter& registry::add_counter(std::string_view name, std::string_view help, labels l) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, metric_type::counter);
  auto& c = f.counters.emplace_back();
  f.add(std::move(l), &c);
  return c;
}

gauge& registry::add_gauge(std::string_view name, std::string_view help, labels l) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, metric_type::gauge);
  auto& g = f.gauges.emplace_back();
  f.add(std::move(l), &g);
  return g;
}

histogram& registry::add_histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                                   labels l) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, metric_type::histogram);
  auto& h = f.histograms.emplace_back(std::move(bounds));
  f.add(std::move(l), &h);
  return h;
}

counter_family& registry::add_counter_family(std::string_view name, std::string_view help,
                                             std::vector<std::string> label_names, std::size_t max_series) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, metric_type::counter);
  labels check;
  for (const auto& n : label_names) check.emplace_back(n, "");
  check_labels(name, check);
  auto& c = f.counter_families.emplace_back(std::move(label_names), max_series);
  f.members.push_back({{}, &c});
  return c;
}

info_set& registry::add_info(std::string_view name, std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, metric_type::gauge);
  auto& i = f.infos.emplace_back();
  f.members.push_back({{}, &i});
  return i;
}

void registry::add_counter_view(std::string_view name, std::string_view help, labels l,
                                const std::atomic<std::uint64_t>& value) {
  std::lock_guard lock(mutex_);
  family_for(name, help, metric_type::counter).add(std::move(l), counter_view{&value});
}

void registry::add_gauge_view(std::string_view name, std::string_view help, labels l,
                              const std::atomic<std::uint64_t>& value) {
  std::lock_guard lock(mutex_);
  const auto* v = &value;
  auto& f = family_for(name, help, metric_type::gauge);
  f.add(std::move(l), gauge_fn{&f.functions.emplace_back(
                          [v] { return static_cast<double>(v->load(std::memory_order_relaxed)); })});
}

void registry::add_histogram_view(std::string_view name, std::string_view help, labels l, const histogram& value) {
  std::lock_guard lock(mutex_);
  family_for(name, help, metric_type::histogram).add(std::move(l), &value);
}

void registry::add_gauge_fn(std::string_view name, std::string_view help, labels l, std::function<double()> value) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, metric_type::gauge);
  f.add(std::move(l), gauge_fn{&f.functions.emplace_back(std::move(value))});
}

// ---------------------------------------------------------------- exposition

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::to_chars_result r;
  double a = std::fabs(v);
  if (a == 0 || (a >= 1e-9 && a < 1e15))
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);  // shortest round-trip
  else
    r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

namespace {

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void append_labels(std::string& out, const labels& l, const std::pair<std::string, std::string>* extra = nullptr) {
  if (l.empty() && !extra) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::string& k, const std::string& v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  };
  for (const auto& [k, v] : l) one(k, v);
  if (extra) one(extra->first, extra->second);
  out += '}';
}

void write_sample(std::string& out, std::string_view name, std::string_view suffix, const labels& l, const std::string& value,
            const std::pair<std::string, std::string>* extra = nullptr) {
  out += name;
  out += suffix;
  append_labels(out, l, extra);
  out += ' ';
  out += value;
  out += '\n';
}

void render_histogram(std::string& out, std::string_view name, const labels& l, const histogram& h) {
  std::uint64_t cumulative = 0;
  auto bounds = h.bounds();
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.bucket(i);
    std::pair<std::string, std::string> le{"le", i < bounds.size() ? format_value(bounds[i]) : "+Inf"};
    write_sample(out, name, "_bucket", l, std::to_string(cumulative), &le);
  }
  write_sample(out, name, "_sum", l, format_value(h.sum()));
  // _count from the same bucket reads, so it always equals the +Inf bucket.
  write_sample(out, name, "_count", l, std::to_string(cumulative));
}

}  // namespace

std::string registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(8192);
  for (const auto& fp : families_) {
    const auto& f = *fp;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += escape_help(f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    for (const auto& m : f.members) {
      std::visit(
          [&](const auto& s) {
            using T = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<T, const counter*>) {
              write_sample(out, f.name, "", m.label_set, std::to_string(s->value()));
            } else if constexpr (std::is_same_v<T, const gauge*>) {
              write_sample(out, f.name, "", m.label_set, format_value(s->value()));
            } else if constexpr (std::is_same_v<T, const histogram*>) {
              render_histogram(out, f.name, m.label_set, *s);
            } else if constexpr (std::is_same_v<T, counter_view>) {
              write_sample(out, f.name, "", m.label_set, std::to_string(s.value->load(std::memory_order_relaxed)));
            } else if constexpr (std::is_same_v<T, gauge_fn>) {
              write_sample(out, f.name, "", m.label_set, format_value((*s.value)()));
            } else if constexpr (std::is_same_v<T, const counter_family*>) {
              for (const auto& series : s->published()) {
                labels l;
                for (std::size_t i = 0; i < series.values.size(); ++i)
                  l.emplace_back(s->label_names()[i], series.values[i]);
                write_sample(out, f.name, "", l, std::to_string(series.value.value()));
              }
            } else {
              for (const auto& l : s->snapshot()) write_sample(out, f.name, "", l, "1");
            }
          },
          m.value);
    }
  }
  return out;
}

}  // namespace mailtriage::observability
