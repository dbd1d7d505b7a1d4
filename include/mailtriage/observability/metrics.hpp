#pragma once
// Prometheus metrics: counters, gauges and fixed-bucket histograms, and the registry
// that names them and renders the text exposition format 0.0.4 for GET /metrics.
//
// Hot path: counter::inc, gauge::set/add and histogram::observe are relaxed atomics
// (no lock, no allocation). Registration takes the registry's lock and happens at
// start-up, or, for label values only known later (a model's categories), through a
// counter_family whose series count is capped at registration, so a label can never
// grow without bound.
//
// Ownership: the registry owns what add_* returns; references stay valid for the
// registry's lifetime. Views (add_*_view, add_gauge_fn) read values owned elsewhere:
// their owner must outlive every render() call. All members are thread-safe.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailtriage::observability {

// Label name/value pairs of one series, in the order they are rendered.
using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative on output, per-bucket inside: observe() touches one bucket and the sum.
class histogram {
 public:
  // Upper bounds, strictly increasing and finite; +Inf is implicit.
  explicit histogram(std::vector<double> bounds);
  void observe(double v);
  [[nodiscard]] std::span<const double> bounds() const { return bounds_; }
  // Observations in bucket i alone (i == bounds().size() is the +Inf overflow).
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 100 µs to 10 s: milter stages take from tens of
// microseconds (policy) to the verdict deadline (seconds).
[[nodiscard]] std::vector<double> latency_buckets();

// Counters sharing label names whose values are only known at run time. Lookups are
// lock-free (a scan of the series published so far); a new label set takes a lock.
// Once `max_series` label sets exist, further ones all count in one series whose
// label values are "other", so cardinality is bounded whatever the caller passes.
// Callers on a hot path with fixed label sets keep the returned reference.
class counter_family {
 public:
  counter_family(std::vector<std::string> label_names, std::size_t max_series);
  // `values` in the order of the label names given at registration.
  counter& with(std::span<const std::string_view> values);
  counter& with(std::initializer_list<std::string_view> values) { return with(std::span(values.begin(), values.size())); }

  struct series {
    std::vector<std::string> values;
    counter value;
  };
  // Series published so far (stable addresses).
  [[nodiscard]] std::span<const series> published() const;
  [[nodiscard]] const std::vector<std::string>& label_names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::size_t capacity_;
  std::unique_ptr<series[]> series_;
  std::atomic<std::size_t> size_{0};
  std::mutex mutex_;
};

// An "info" metric: series whose value is always 1 and whose labels carry the facts
// (model identity, build). replace() swaps the whole set atomically for readers.
class info_set {
 public:
  void replace(std::vector<labels> series);
  [[nodiscard]] std::vector<labels> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<labels> series_;
};

enum class metric_type { counter, gauge, histogram };

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Registers one series. The same name may be registered again with other label
  // values (same type and help); a repeated label set, a bad name or a type clash
  // throws std::logic_error (a programming error, found at start-up).
  counter& add_counter(std::string_view name, std::string_view help, labels l = {});
  gauge& add_gauge(std::string_view name, std::string_view help, labels l = {});
  histogram& add_histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                           labels l = {});
  counter_family& add_counter_family(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names, std::size_t max_series);
  info_set& add_info(std::string_view name, std::string_view help);

  // Values owned elsewhere (e.g. the milter server's statistics), read at render time.
  void add_counter_view(std::string_view name, std::string_view help, labels l,
                        const std::atomic<std::uint64_t>& value);
  void add_gauge_view(std::string_view name, std::string_view help, labels l,
                      const std::atomic<std::uint64_t>& value);
  void add_histogram_view(std::string_view name, std::string_view help, labels l, const histogram& value);
  void add_gauge_fn(std::string_view name, std::string_view help, labels l, std::function<double()> value);

  // Every family in registration order, text exposition format 0.0.4.
  [[nodiscard]] std::string render() const;

  struct family;  // defined in metrics.cpp

 private:
  family& family_for(std::string_view name, std::string_view help, metric_type type);
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<family>> families_;  // in registration order
};

// Exposition helpers, public for tests: a label value escaped (\\, \", \n) and a
// sample value ("+Inf", "-Inf", "NaN", integers without exponent).
[[nodiscard]] std::string escape_label_value(std::string_view v);
[[nodiscard]] std::string format_value(double v);

// Content-Type of render()'s output.
inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace mailtriage::observability
