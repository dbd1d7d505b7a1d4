#include "bench.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <thread>
#include <variant>

#include <strings.h>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mailtriage/milter/client.hpp"
#include "mailtriage/util/json_writer.hpp"
#include "args.hpp"
#include "corpus.hpp"
#include "process_usage.hpp"

namespace mailtriage::cli {
namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* kUsage =
    "usage: mailtriage bench --socket SPEC [options] PATH...\n"
    "Sends the message files under PATH through the milter at SPEC the way Postfix does and\n"
    "reports messages/s, latency percentiles, final actions and the filter's CPU time.\n"
    "  --concurrency N      connections open at once (1)\n"
    "  --per-connection K   messages per connection (1, as Postfix: one SMTP session each)\n"
    "  --rate R             offered load, messages/s, open loop: message i is due at i/R s and\n"
    "                       its latency runs from then (no coordinated omission); default: as\n"
    "                       fast as the filter answers\n"
    "  --duration S         run for S seconds, cycling through the corpus\n"
    "  --limit N            use the first N messages of the corpus\n"
    "  --repeat R           send the corpus R times (without --duration; 1)\n"
    "  --threads T          client threads (1); connections are spread over them\n"
    "  --write-buffer B     frames that need no answer are queued and written B bytes at a\n"
    "                       time, and before each read of an answer, as Postfix does (4096,\n"
    "                       its VSTREAM buffer); 0 writes every frame at once, as Sendmail does\n"
    "  --count-header NAME  count the values the filter gave header NAME (added, inserted or\n"
    "                       changed; the last one per message, \"-\" when it set none)\n"
    "  --daemon-pid PID     the filter's processes (repeat, or comma-separated): CPU seconds of\n"
    "                       each and its descendants from /proc, and their resident memory\n"
    "  --json               one JSON object instead of the text report\n"
    "SIGINT or SIGTERM ends the run early: no message is started after it, those in flight\n"
    "finish, and the report covers what was sent.\n"
    "Exits 1 when a message failed (connection refused or lost, protocol error, timeout).\n";

struct bench_options {
  milter::socket_spec socket;
  std::size_t concurrency = 1;
  std::size_t per_connection = 1;
  std::size_t limit = SIZE_MAX;
  std::size_t repeat = 1;
  std::size_t threads = 1;
  std::size_t write_buffer = milter::client_options{}.write_buffer;
  double rate = 0;      // 0: closed loop
  double duration = 0;  // 0: a fixed number of messages
  std::string count_header;  // empty: not counted
  std::vector<pid_t> daemon_pids;
  bool json = false;
  std::vector<std::string> paths;
};

// Per client thread; merged at the end.
struct tally {
  std::vector<double> latencies_ms;
  std::map<std::string, std::size_t> finals;         // accept, reject, tempfail, ...
  std::map<std::string, std::size_t> modifications;  // add_header, quarantine, ...
  std::map<std::string, std::size_t> categories;     // "category=X" in an added header
  std::map<std::string, std::size_t> header_values;  // --count-header
  std::size_t failures = 0;
  std::string first_failure;

  void merge(tally&& o) {
    latencies_ms.insert(latencies_ms.end(), o.latencies_ms.begin(), o.latencies_ms.end());
    for (auto& [k, n] : o.finals) finals[k] += n;
    for (auto& [k, n] : o.modifications) modifications[k] += n;
    for (auto& [k, n] : o.categories) categories[k] += n;
    for (auto& [k, n] : o.header_values) header_values[k] += n;
    if (failures == 0 && o.failures) first_failure = std::move(o.first_failure);
    failures += o.failures;
  }
};

// Set by SIGINT/SIGTERM: start no more messages (a lock-free atomic store is
// async-signal-safe).
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);
extern "C" void request_stop(int) { g_stop_requested.store(true, std::memory_order_relaxed); }

// What every client thread shares: the messages and the next one to send.
struct run_state {
  const std::vector<labelled_message>* messages = nullptr;
  const bench_options* opt = nullptr;
  std::size_t total = SIZE_MAX;  // messages to send (SIZE_MAX: until the deadline)
  clock_type::time_point start, deadline;
  std::atomic<std::size_t> next{0};

  // The index of the next message to send, or nothing when the run is over.
  std::optional<std::size_t> take() {
    if (opt->duration > 0 && opt->rate == 0 && clock_type::now() >= deadline) return std::nullopt;
    if (g_stop_requested.load(std::memory_order_relaxed)) return std::nullopt;
    std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= total) return std::nullopt;
    return i;
  }
};

void record(tally& t, const milter::message_result& result, const std::string& count_header) {
  t.finals[milter::name_of(result.final_reply)]++;
  std::string counted = "-";  // --count-header: the last value given, "-" for none
  for (const auto& m : result.modifications) {
    t.modifications[milter::name_of(m)]++;
    if (!count_header.empty()) {
      auto given = [&](const std::string& name, const std::string& value) {
        if (strcasecmp(name.c_str(), count_header.c_str()) == 0) counted = value;
      };
      if (auto* a = std::get_if<milter::add_header>(&m)) given(a->name, a->value);
      if (auto* ins = std::get_if<milter::insert_header>(&m)) given(ins->name, ins->value);
      if (auto* c = std::get_if<milter::change_header>(&m)) given(c->name, c->value);
    }
    const std::string* value = nullptr;
    if (auto* a = std::get_if<milter::add_header>(&m)) value = &a->value;
    if (auto* ins = std::get_if<milter::insert_header>(&m)) value = &ins->value;
    if (!value) continue;
    auto at = value->find("category=");
    if (at == std::string::npos) continue;
    auto from = at + 9;
    auto end = value->find_first_of("; \t\r\n", from);
    t.categories[value->substr(from, end == std::string::npos ? std::string::npos : end - from)]++;
  }
  if (!count_header.empty()) t.header_values[counted]++;
}

asio::awaitable<void> worker(run_state& rs, tally& t) {
  auto ex = co_await asio::this_coro::executor;
  const auto& opt = *rs.opt;
  const auto& messages = *rs.messages;
  asio::steady_timer pacer(ex);
  for (bool more = true; more;) {
    std::optional<milter::client> conn;
    for (std::size_t k = 0; k < opt.per_connection; ++k) {
      auto i = rs.take();
      if (!i) {
        more = false;
        break;
      }
      const auto& msg = messages[*i % messages.size()];
      // Open loop: the message is due at its slot whether or not we are ready, and its
      // latency counts from then, so a slow filter cannot hide its queueing delay.
      auto due = clock_type::now();
      if (opt.rate > 0) {
        due = rs.start + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(static_cast<double>(*i) / opt.rate));
        if (due > clock_type::now()) {
          pacer.expires_at(due);
          co_await pacer.async_wait(asio::use_awaitable);
        }
      }
      try {
        if (!conn) {
          milter::client_options options;
          options.write_buffer = opt.write_buffer;
          conn.emplace(ex, options);
          co_await conn->connect(opt.socket);
          co_await conn->negotiate();
        }
        milter::envelope env;
        auto result = co_await conn->send(env, msg.bytes);
        t.latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - due).count());
        record(t, result, opt.count_header);
      } catch (const std::exception& e) {
        if (t.failures++ == 0) t.first_failure = msg.path + ": " + e.what();
        conn.reset();
      }
    }
    if (conn) co_await conn->quit();
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

std::optional<process_usage> filter_usage(const std::vector<pid_t>& pids) {
  if (pids.empty()) return std::nullopt;
  process_usage sum;
  for (pid_t p : pids) {
    auto u = read_process_tree_usage(p);
    if (!u) return std::nullopt;
    sum.cpu_seconds += u->cpu_seconds;
    sum.rss_kib += u->rss_kib;
  }
  return sum;
}

bench_options parse_options(arg_parser& a, int& status) {
  bench_options opt;
  status = -1;
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
  opt.threads = positive("--threads", 1);
  const std::int64_t write_buffer = a.integer({"--write-buffer"}, static_cast<std::int64_t>(opt.write_buffer));
  if (write_buffer < 0 || write_buffer > (1 << 24)) throw std::invalid_argument("--write-buffer must be in [0, 16777216]");
  opt.write_buffer = static_cast<std::size_t>(write_buffer);
  opt.rate = a.real({"--rate"}, 0);
  opt.duration = a.real({"--duration"}, 0);
  if (opt.rate < 0 || opt.duration < 0) throw std::invalid_argument("--rate and --duration cannot be negative");
  for (const auto& p : a.list({"--daemon-pid"})) {
    long n = std::strtol(p.c_str(), nullptr, 10);
    if (n <= 0) throw std::invalid_argument("--daemon-pid needs process ids");
    opt.daemon_pids.push_back(static_cast<pid_t>(n));
  }
  opt.count_header = a.text({"--count-header"}, "");
  opt.json = a.flag({"--json"});
  opt.paths = a.positional();
  if (a.help()) {
    status = 0;
    return opt;
  }
  if (socket.empty() || opt.paths.empty()) {
    status = a.usage_error("--socket and at least one PATH are required");
    return opt;
  }
  auto spec = milter::parse_socket_spec(socket);
  if (!spec) {
    status = a.usage_error(spec.error());
    return opt;
  }
  opt.socket = spec.value();
  opt.threads = std::min(opt.threads, opt.concurrency);
  return opt;
}

void print_text(const bench_options& opt, std::size_t sent, std::size_t done, double seconds, tally& t,
                const std::optional<process_usage>& cpu, const std::optional<process_usage>& after) {
  std::printf("messages      %zu sent, %zu answered, %zu failed\n", sent, done, t.failures);
  std::printf("elapsed       %.3f s\n", seconds);
  std::printf("throughput    %.1f messages/s (concurrency %zu, %zu per connection, write buffer %zu, %s)\n",
              static_cast<double>(done) / seconds, opt.concurrency, opt.per_connection, opt.write_buffer,
              opt.rate > 0 ? ("offered " + std::to_string(static_cast<long>(opt.rate)) + "/s").c_str()
                           : "closed loop");
  std::printf("latency ms    p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", percentile(t.latencies_ms, 0.50),
              percentile(t.latencies_ms, 0.95), percentile(t.latencies_ms, 0.99),
              t.latencies_ms.empty() ? 0.0 : *std::max_element(t.latencies_ms.begin(), t.latencies_ms.end()));
  auto print_map = [](const char* title, const std::map<std::string, std::size_t>& m) {
    if (m.empty()) return;
    std::printf("%-13s", title);
    for (const auto& [name, n] : m) std::printf(" %s=%zu", name.c_str(), n);
    std::printf("\n");
  };
  print_map("final replies", t.finals);
  print_map("modifications", t.modifications);
  print_map("categories", t.categories);
  if (!opt.count_header.empty()) print_map(("header " + opt.count_header).c_str(), t.header_values);
  if (cpu && after)
    std::printf("filter        %.2f CPU s, %.0f messages per CPU-second, RSS %ld KiB\n", cpu->cpu_seconds,
                cpu->cpu_seconds > 0 ? static_cast<double>(done) / cpu->cpu_seconds : 0.0, after->rss_kib);
  if (t.failures) std::printf("first failure %s\n", t.first_failure.c_str());
}

void print_json(const bench_options& opt, std::size_t sent, std::size_t done, double seconds, tally& t,
                const std::optional<process_usage>& cpu, const std::optional<process_usage>& after) {
  json_writer w(false);
  w.begin_object();
  w.field("socket", opt.socket.to_string());
  w.field("concurrency", static_cast<std::uint64_t>(opt.concurrency));
  w.field("per_connection", static_cast<std::uint64_t>(opt.per_connection));
  w.field("write_buffer", static_cast<std::uint64_t>(opt.write_buffer));
  w.field("offered_rate", opt.rate);
  w.field("sent", static_cast<std::uint64_t>(sent));
  w.field("answered", static_cast<std::uint64_t>(done));
  w.field("failed", static_cast<std::uint64_t>(t.failures));
  w.field("seconds", seconds);
  w.field("messages_per_second", static_cast<double>(done) / seconds);
  w.key("latency_ms").begin_object();
  w.field("p50", percentile(t.latencies_ms, 0.50));
  w.field("p95", percentile(t.latencies_ms, 0.95));
  w.field("p99", percentile(t.latencies_ms, 0.99));
  w.field("max", t.latencies_ms.empty() ? 0.0 : *std::max_element(t.latencies_ms.begin(), t.latencies_ms.end()));
  w.end_object();
  auto map = [&](const char* name, const std::map<std::string, std::size_t>& m) {
    w.key(name).begin_object();
    for (const auto& [k, n] : m) w.field(k, static_cast<std::uint64_t>(n));
    w.end_object();
  };
  map("final_replies", t.finals);
  map("modifications", t.modifications);
  map("categories", t.categories);
  if (!opt.count_header.empty()) {
    w.key("header").begin_object();
    w.field("name", opt.count_header);
    map("values", t.header_values);
    w.end_object();
  }
  if (cpu && after) {
    w.field("filter_cpu_seconds", cpu->cpu_seconds);
    w.field("messages_per_cpu_second", cpu->cpu_seconds > 0 ? static_cast<double>(done) / cpu->cpu_seconds : 0.0);
    w.field("filter_rss_kib", static_cast<std::int64_t>(after->rss_kib));
  }
  if (t.failures) w.field("first_failure", t.first_failure);
  w.end_object();
  std::printf("%s\n", w.str().c_str());
}

}  // namespace

int bench_main(const std::vector<std::string>& args) {
  arg_parser a(args, kUsage, {"--json"});
  int status = -1;
  const bench_options opt = parse_options(a, status);
  if (status >= 0) return status;
  auto messages = load_corpus(opt.paths);
  if (messages.size() > opt.limit) messages.resize(opt.limit);
  if (messages.empty()) {
    std::cerr << "mailtriage bench: no message files found\n";
    return 66;
  }
  run_state rs;
  rs.messages = &messages;
  rs.opt = &opt;
  if (opt.duration > 0)
    rs.total = opt.rate > 0 ? static_cast<std::size_t>(std::llround(opt.rate * opt.duration)) : SIZE_MAX;
  else
    rs.total = messages.size() * opt.repeat;

  std::vector<tally> tallies(opt.threads);
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (std::size_t i = 0; i < opt.threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  for (std::size_t c = 0; c < opt.concurrency; ++c) {
    std::size_t th = c % opt.threads;
    asio::co_spawn(*contexts[th], worker(rs, tallies[th]), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  auto before = filter_usage(opt.daemon_pids);
  rs.start = clock_type::now();
  rs.deadline = rs.start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.duration));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < opt.threads; ++i) threads.emplace_back([&, i] { contexts[i]->run(); });
  contexts[0]->run();
  for (auto& th : threads) th.join();
  double seconds = std::chrono::duration<double>(clock_type::now() - rs.start).count();
  auto after = filter_usage(opt.daemon_pids);

  tally t;
  for (auto& x : tallies) t.merge(std::move(x));
  std::optional<process_usage> cpu;
  if (before && after) cpu = process_usage{after->cpu_seconds - before->cpu_seconds, after->rss_kib};
  std::size_t done = t.latencies_ms.size();
  std::size_t sent = done + t.failures;
  if (opt.json)
    print_json(opt, sent, done, seconds, t, cpu, after);
  else
    print_text(opt, sent, done, seconds, t, cpu, after);
  return t.failures ? 1 : 0;
}

}  // namespace mailtriage::cli
