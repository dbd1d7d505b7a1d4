// The registry's text exposition (format 0.0.4), byte for byte, and the behaviour of
// each metric type under it.
#include "mailtriage/observability/metrics.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <thread>

namespace mailtriage::observability {
namespace {

TEST(Metrics, ExpositionIsExact) {
  registry r;
  r.add_counter("app_requests_total", "Requests served.", {{"path", "/a"}}).inc(3);
  r.add_counter("app_requests_total", "Requests served.", {{"path", "/b"}});
  r.add_gauge("app_temperature_celsius", "Current temperature.").set(-1.5);
  auto& h = r.add_histogram("app_latency_seconds", "Latency.", {0.001, 0.5, 2});
  h.observe(0.0005);
  h.observe(0.001);  // on a bound: counts in that bucket (le is "less or equal")
  h.observe(1);
  h.observe(30);
  EXPECT_EQ(r.render(),
            "# HELP app_requests_total Requests served.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{path=\"/a\"} 3\n"
            "app_requests_total{path=\"/b\"} 0\n"
            "# HELP app_temperature_celsius Current temperature.\n"
            "# TYPE app_temperature_celsius gauge\n"
            "app_temperature_celsius -1.5\n"
            "# HELP app_latency_seconds Latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{le=\"0.001\"} 2\n"
            "app_latency_seconds_bucket{le=\"0.5\"} 2\n"
            "app_latency_seconds_bucket{le=\"2\"} 3\n"
            "app_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "app_latency_seconds_sum 31.0015\n"
            "app_latency_seconds_count 4\n");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  registry r;
  r.add_gauge("x_info", "Help with \\ backslash\nand newline.", {{"v", "a\"b\\c\nd"}}).set(1);
  EXPECT_EQ(r.render(),
            "# HELP x_info Help with \\\\ backslash\\nand newline.\n"
            "# TYPE x_info gauge\n"
            "x_info{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, HistogramLabelsPrecedeLe) {
  registry r;
  r.add_histogram("h_seconds", "H.", {1}, {{"stage", "parse"}}).observe(0.5);
  EXPECT_EQ(r.render(),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{stage=\"parse\",le=\"1\"} 1\n"
            "h_seconds_bucket{stage=\"parse\",le=\"+Inf\"} 1\n"
            "h_seconds_sum{stage=\"parse\"} 0.5\n"
            "h_seconds_count{stage=\"parse\"} 1\n");
}

TEST(Metrics, ValuesFormat) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1795505340.5), "1795505340.5");
  EXPECT_EQ(format_value(1e300), "1e+300");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Metrics, ViewsReadTheOwnersValuesAtRenderTime) {
  registry r;
  std::atomic<std::uint64_t> accepted{0}, active{0};
  r.add_counter_view("srv_accepted_total", "Accepted.", {}, accepted);
  r.add_gauge_view("srv_active", "Active.", {}, active);
  r.add_gauge_fn("srv_ready", "Ready.", {}, [] { return 1.0; });
  histogram h({1});
  r.add_histogram_view("srv_seconds", "S.", {}, h);
  accepted = 7;
  active = 2;
  h.observe(3);
  EXPECT_EQ(r.render(),
            "# HELP srv_accepted_total Accepted.\n# TYPE srv_accepted_total counter\nsrv_accepted_total 7\n"
            "# HELP srv_active Active.\n# TYPE srv_active gauge\nsrv_active 2\n"
            "# HELP srv_ready Ready.\n# TYPE srv_ready gauge\nsrv_ready 1\n"
            "# HELP srv_seconds S.\n# TYPE srv_seconds histogram\n"
            "srv_seconds_bucket{le=\"1\"} 0\nsrv_seconds_bucket{le=\"+Inf\"} 1\nsrv_seconds_sum 3\nsrv_seconds_count 1\n");
}

TEST(Metrics, CounterFamilyIsBounded) {
  registry r;
  auto& f = r.add_counter_family("v_total", "Verdicts.", {"category", "action"}, 2);
  f.with({"ham", "accept"}).inc();
  f.with({"ham", "accept"}).inc();
  f.with({"spam", "reject"}).inc();
  f.with({"x1", "accept"}).inc();  // over the cap: counted as other/other
  f.with({"x2", "accept"}).inc(5);
  EXPECT_EQ(&f.with({"ham", "accept"}), &f.with({"ham", "accept"}));
  EXPECT_EQ(r.render(),
            "# HELP v_total Verdicts.\n# TYPE v_total counter\n"
            "v_total{category=\"ham\",action=\"accept\"} 2\n"
            "v_total{category=\"spam\",action=\"reject\"} 1\n"
            "v_total{category=\"other\",action=\"other\"} 6\n");
}

TEST(Metrics, CounterFamilyIsSafeUnderConcurrentFirstUse) {
  registry r;
  auto& f = r.add_counter_family("c_total", "C.", {"k"}, 64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&f] {
      for (int i = 0; i < 10000; ++i) f.with({std::to_string(i % 8)}).inc();
    });
  for (auto& t : threads) t.join();
  std::uint64_t total = 0;
  for (const auto& s : f.published()) total += s.value.value();
  EXPECT_EQ(f.published().size(), 8u);
  EXPECT_EQ(total, 40000u);
}

TEST(Metrics, InfoSetReplacesItsSeries) {
  registry r;
  auto& info = r.add_info("m_info", "Model.");
  info.replace({{{"role", "active"}, {"model_id", "a1"}}});
  info.replace({{{"role", "active"}, {"model_id", "b2"}}, {{"role", "shadow"}, {"model_id", "c3"}}});
  EXPECT_EQ(r.render(),
            "# HELP m_info Model.\n# TYPE m_info gauge\n"
            "m_info{role=\"active\",model_id=\"b2\"} 1\n"
            "m_info{role=\"shadow\",model_id=\"c3\"} 1\n");
}

TEST(Metrics, RegistrationMistakesAreRefused) {
  registry r;
  r.add_counter("ok_total", "Ok.", {{"a", "1"}});
  EXPECT_THROW(r.add_counter("ok_total", "Ok.", {{"a", "1"}}), std::logic_error);     // same series twice
  EXPECT_THROW(r.add_gauge("ok_total", "Ok."), std::logic_error);                     // another type
  EXPECT_THROW(r.add_counter("ok_total", "Other help."), std::logic_error);           // another help
  EXPECT_THROW(r.add_counter("1bad", "Bad."), std::logic_error);                      // bad metric name
  EXPECT_THROW(r.add_counter("bad-name", "Bad."), std::logic_error);
  EXPECT_THROW(r.add_counter("l_total", "L.", {{"__x", "1"}}), std::logic_error);     // reserved label
  EXPECT_THROW(r.add_histogram("h", "H.", {1}, {{"le", "1"}}), std::logic_error);     // le is the bucket's
  EXPECT_THROW(r.add_histogram("h2", "H.", {2, 1}), std::logic_error);                // bounds not increasing
}

}  // namespace
}  // namespace mailtriage::observability
