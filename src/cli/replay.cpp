#include "replay.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <limits>
#include <optional>
#include <variant>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mailtriage/milter/client.hpp"
#include "args.hpp"
#include "corpus.hpp"
#include "process_usage.hpp"

namespace mailtriage::cli {
namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* kUsage =
    "usage: mailtriage replay --socket SPEC [--concurrency N] [--per-connection K] [--limit N]\n"
    "                         [--repeat R | --duration SECONDS] [--count-header NAME]\n"
    "                         [--daemon-pid PID] PATH...\n"
    "Sends each message file under PATH through the milter at SPEC the way Postfix does\n"
    "(one message per connection unless --per-connection), N connections at a time, and\n"
    "prints messages/s, latency percentiles, final actions and, with --daemon-pid, the\n"
    "daemon's CPU seconds and resident memory. --duration keeps sending, round the\n"
    "messages, until that many seconds have passed; --count-header counts the values the\n"
    "milter gave header NAME (\"-\" when it set none). Exits 1 when a message failed\n"
    "(connection refused or lost, protocol error, timeout).\n";

struct replay_options {
  milter::socket_spec socket;
  std::size_t concurrency = 1;
  std::size_t per_connection = 1;
  std::size_t limit = SIZE_MAX;
  std::size_t repeat = 1;
  std::optional<clock_type::time_point> until;  // --duration
  std::string count_header;
  std::optional<pid_t> daemon_pid;
  std::vector<std::string> paths;
};

struct tally {
  std::vector<double> latencies_ms;
  std::map<std::string, std::size_t> finals;
  std::map<std::string, std::size_t> header_values;  // --count-header
  std::size_t failures = 0;
  std::string first_failure;
};

std::string header_value(const milter::message_result& r, const std::string& name);

asio::awaitable<void> worker(const std::vector<labelled_message>& messages, std::size_t total, std::size_t& next,
                             const replay_options& opt, tally& t) {
  auto ex = co_await asio::this_coro::executor;
  auto more = [&] { return next < total && (!opt.until || clock_type::now() < *opt.until); };
  while (more()) {
    std::optional<milter::client> conn;
    for (std::size_t k = 0; k < opt.per_connection && more(); ++k) {
      const auto& msg = messages[next++ % messages.size()];
      auto start = clock_type::now();
      try {
        if (!conn) {
          conn.emplace(ex);
          co_await conn->connect(opt.socket);
          co_await conn->negotiate();
        }
        milter::envelope env;
        auto result = co_await conn->send(env, msg.bytes);
        t.latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
        t.finals[milter::name_of(result.final_reply)]++;
        if (!opt.count_header.empty()) t.header_values[header_value(result, opt.count_header)]++;
      } catch (const std::exception& e) {
        if (t.failures++ == 0) t.first_failure = msg.path + ": " + e.what();
        conn.reset();
      }
    }
    if (conn) co_await conn->quit();
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The last value the filter gave header `name` (added, inserted or changed), or "-".
std::string header_value(const milter::message_result& r, const std::string& name) {
  std::string value = "-";
  for (const auto& m : r.modifications) {
    if (const auto* a = std::get_if<milter::add_header>(&m); a && iequals(a->name, name)) value = a->value;
    if (const auto* i = std::get_if<milter::insert_header>(&m); i && iequals(i->name, name)) value = i->value;
    if (const auto* c = std::get_if<milter::change_header>(&m); c && iequals(c->name, name)) value = c->value;
  }
  return value;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

}  // namespace

int replay_main(const std::vector<std::string>& args) {
  arg_parser a(args, kUsage);
  replay_options opt;
  std::string socket = a.text({"--socket"}, "");
  auto positive = [&](const char* name, std::int64_t fallback) {
    std::int64_t n = a.integer({name}, fallback);
    if (n <= 0) throw std::invalid_argument(std::string(name) + " needs a positive number");
    return static_cast<std::size_t>(n);
  };
  opt.concurrency = positive("--concurrency", 1);
  opt.per_connection = positive("--per-connection", 1);
  opt.limit = positive("--limit", std::numeric_limits<std::int64_t>::max());
  opt.repeat = positive("--repeat", 1);
  const double duration = a.real({"--duration"}, 0);
  if (duration < 0) throw std::invalid_argument("--duration needs a positive number of seconds");
  opt.count_header = a.text({"--count-header"}, "");
  if (std::int64_t pid = a.integer({"--daemon-pid"}, 0); pid > 0) opt.daemon_pid = static_cast<pid_t>(pid);
  opt.paths = a.positional();
  if (a.help()) return 0;
  if (socket.empty() || opt.paths.empty()) return a.usage_error("--socket and at least one PATH are required");
  auto spec = milter::parse_socket_spec(socket);
  if (!spec) return a.usage_error(spec.error());
  opt.socket = spec.value();
  auto messages = load_corpus(opt.paths);
  if (messages.size() > opt.limit) messages.resize(opt.limit);
  if (messages.empty()) {
    std::cerr << "mailtriage replay: no message files found\n";
    return 66;
  }
  // --duration: round the messages until the time is up.
  const std::size_t total = duration > 0 ? SIZE_MAX : messages.size() * opt.repeat;
  std::size_t next = 0;
  tally t;
  t.latencies_ms.reserve(duration > 0 ? messages.size() : total);
  asio::io_context io(1);
  auto before = opt.daemon_pid ? read_process_usage(*opt.daemon_pid) : std::nullopt;
  auto start = clock_type::now();
  if (duration > 0)
    opt.until = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(duration));
  for (std::size_t i = 0; i < opt.concurrency; ++i)
    asio::co_spawn(io, worker(messages, total, next, opt, t), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  io.run();
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  auto after = opt.daemon_pid ? read_process_usage(*opt.daemon_pid) : std::nullopt;

  std::size_t done = t.latencies_ms.size();
  std::printf("messages      %zu sent, %zu answered, %zu failed\n", std::min(total, next), done, t.failures);
  std::printf("elapsed       %.3f s\n", seconds);
  std::printf("throughput    %.1f messages/s (concurrency %zu, %zu per connection)\n",
              static_cast<double>(done) / seconds, opt.concurrency, opt.per_connection);
  std::printf("latency ms    p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", percentile(t.latencies_ms, 0.50),
              percentile(t.latencies_ms, 0.95), percentile(t.latencies_ms, 0.99),
              t.latencies_ms.empty() ? 0.0 : *std::max_element(t.latencies_ms.begin(), t.latencies_ms.end()));
  std::printf("final replies");
  for (const auto& [name, n] : t.finals) std::printf("  %s=%zu", name.c_str(), n);
  std::printf("\n");
  if (!opt.count_header.empty()) {
    std::printf("header %s", opt.count_header.c_str());
    for (const auto& [value, n] : t.header_values) std::printf("  %s=%zu", value.c_str(), n);
    std::printf("\n");
  }
  if (before && after) {
    double cpu = after->cpu_seconds - before->cpu_seconds;
    std::printf("daemon        %.2f CPU s, %.0f messages per CPU-second, RSS %ld KiB\n", cpu,
                cpu > 0 ? static_cast<double>(done) / cpu : 0.0, after->rss_kib);
  }
  if (t.failures) std::printf("first failure %s\n", t.first_failure.c_str());
  return t.failures ? 1 : 0;
}

}  // namespace mailtriage::cli
