// Per-message cost of the observability added to the verdict path, measured on the
// exact calls the daemon makes (not a ctest test):
//   build/release/tests/mailtriage_metrics_bench [ITERATIONS]
// Prints nanoseconds per message for: the metrics (engine stage clock + histograms,
// verdict counter lookup, defect counters, the server's two histograms), the address
// pseudonyms of one verdict line (sender + one recipient), and a full JSON verdict
// line formatted (not written).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mailtriage/engine/engine_metrics.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/observability/metrics.hpp"
#include "mailtriage/util/log.hpp"

using namespace mailtriage;
using clock_type = std::chrono::steady_clock;

namespace {

template <class F>
double ns_per(std::size_t n, F&& f) {
  auto start = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) f(i);
  return std::chrono::duration<double, std::nano>(clock_type::now() - start).count() / static_cast<double>(n);
}

volatile std::size_t sink;

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  observability::registry r;
  engine::engine_metrics em(r);
  milter::server_stats stats;
  const char* categories[] = {"ham", "spam"};
  mime::defect_set defects;
  defects.set(mime::defect::missing_headers);

  double metrics_ns = ns_per(n, [&](std::size_t i) {
    // engine::judge: five laps and the total, each a steady_clock read and a histogram.
    auto t0 = clock_type::now();
    auto last = t0;
    for (auto s : {engine::stage::mime_parse, engine::stage::features, engine::stage::model, engine::stage::policy}) {
      auto now = clock_type::now();
      em.observe(s, std::chrono::duration<double>(now - last).count());
      last = now;
    }
    em.observe(engine::stage::verdict, std::chrono::duration<double>(clock_type::now() - t0).count());
    em.count_verdict(categories[i & 1], "accept");
    em.count_defects(defects);
    // connection: end-of-message and whole-message histograms, two clock reads.
    auto eom = clock_type::now();
    stats.verdict_seconds.observe(std::chrono::duration<double>(clock_type::now() - eom).count());
    stats.message_seconds.observe(std::chrono::duration<double>(clock_type::now() - t0).count());
  });

  log::set_pseudonym_key("bench-key-0123456789abcdef");
  double pseudonym_ns = ns_per(n / 10, [&](std::size_t) {
    sink = log::pseudonym("<sender@example.org>").size() + log::pseudonym("<rcpt@example.net>").size();
  });

  double line_ns = ns_per(n / 10, [&](std::size_t) {
    std::string line = log::format_line(log::format::json, log::level::info, "2025-01-01T00:00:00.000Z", "verdict",
                                        {{"session", "c00002a"}, {"queue_id", "4ABCDEF123"},
                                         {"sender", "ps:0123456789abcdef"}, {"rcpts", "ps:0123456789abcdef"},
                                         {"rcpt_count", 1}, {"category", "spam"}, {"score", "0.993"},
                                         {"model", "c7cedb594a90"}, {"rules", "-"}, {"action", "accept"}});
    sink = line.size();
  });

  std::string exposition = r.render();
  double render_us = ns_per(1000, [&](std::size_t) { sink = r.render().size(); }) / 1000.0;

  std::printf("iterations            %zu\n", n);
  std::printf("metrics per message   %.1f ns (9 steady_clock reads, 7 histograms, verdict + defect counters)\n", metrics_ns);
  std::printf("pseudonyms per line   %.1f ns (sender + 1 recipient, HMAC-SHA256)\n", pseudonym_ns);
  std::printf("JSON verdict line     %.1f ns (formatting only)\n", line_ns);
  std::printf("GET /metrics render   %.1f us (%zu bytes)\n", render_us, exposition.size());
  return 0;
}
