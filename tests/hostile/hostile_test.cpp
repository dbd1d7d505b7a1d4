// Hostile clients against the real mailtriaged binary (path in $MAILTRIAGED), started
// once with shortened timeouts (hostile.yaml beside this file). Each scenario runs a
// hostile load while a well-behaved client (an MTA offering a steady 300 messages/s on
// 4 connections, one small message per connection, the way Postfix uses a milter)
// keeps sending; the throughput it gets is compared with a baseline measured just
// before, in the same run, its p99 latency is reported, and the daemon's resident
// memory is sampled from /proc throughout. A steady offer, not a closed loop at full
// speed: on a 2-core machine running the attacker, the client and the daemon, a
// closed loop measures CPU sharing between processes, not whether the daemon keeps
// serving its MTA. Every scenario checks that the hostile connections are closed
// (or their messages bounded and answered), that the well-behaved client loses nothing,
// and prints one FIGURES line; the last test prints the table.
//
// The assertions are deliberately looser than the goal (throughput ratio >= 0.5 here,
// >= 0.9 wanted) because this runs on a shared 2-core machine; the real ratios are in
// the FIGURES lines. Bounded: about a minute in all.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mailtriage/milter/client.hpp"
#include "mailtriage/milter/codec.hpp"
#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::milter {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// What hostile.yaml sets (kept in step with it).
constexpr auto kFrameTimeout = 1000ms;
constexpr std::size_t kMaxMacroBytes = 64 * 1024;
// Peak resident memory allowed for the daemon in any scenario. The daemon idles at
// ~50 MiB (model, policy, allocator arenas); 1,000 open connections cost a 16 KiB read
// buffer and a partial frame each, a 100 MB body at most scan_bytes (1 MiB) plus a frame.
constexpr long kMaxRssKib = 256 * 1024;
constexpr double kMinThroughputRatio = 0.5;
constexpr auto kWindow = 3s;

constexpr const char* kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: quarterly report\r\n"
    "Date: Tue, 3 Mar 2026 10:00:00 +0000\r\n"
    "Message-ID: <q1@example.org>\r\n"
    "\r\n"
    "Hello Bob,\r\n\r\nthe numbers for the quarter are in the shared folder.\r\n\r\nAlice\r\n";

long proc_status_kib(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  std::string want = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.rfind(want, 0) == 0) return std::strtol(line.c_str() + want.size(), nullptr, 10);
  return -1;
}

// mailtriaged as a child process for the whole test program.
class daemon_process {
 public:
  daemon_process() {
    const char* bin = std::getenv("MAILTRIAGED");
    if (!bin || !*bin) throw std::runtime_error("set MAILTRIAGED to the mailtriaged binary");
    dir_ = std::filesystem::temp_directory_path() / ("mailtriage-hostile." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    std::string listen = "inet:" + std::to_string(port_) + "@127.0.0.1";
    std::string config = std::string(MAILTRIAGE_HOSTILE_DIR) + "/hostile.yaml";
    log_ = (dir_ / "mailtriaged.log").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<std::string> args = {bin, "--config", config, "--listen", listen, "--http-listen", "none"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, bin, &fa, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error(std::string("cannot start ") + bin);
    posix_spawn_file_actions_destroy(&fa);
    auto deadline = clock_type::now() + 15s;
    for (;;) {
      asio::io_context io;
      tcp::socket s(io);
      boost::system::error_code ec;
      s.connect(endpoint(), ec);
      if (!ec) break;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) throw std::runtime_error("mailtriaged exited; see " + log_);
      if (clock_type::now() > deadline) throw std::runtime_error("mailtriaged did not listen; see " + log_);
      std::this_thread::sleep_for(50ms);
    }
  }
  ~daemon_process() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    if (!std::getenv("HOSTILE_KEEP")) std::filesystem::remove_all(dir_);
  }
  [[nodiscard]] bool alive() const { return ::kill(pid_, 0) == 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), port_}; }
  [[nodiscard]] socket_spec spec() const {
    return parse_socket_spec("inet:" + std::to_string(port_) + "@127.0.0.1").value();
  }
  [[nodiscard]] std::size_t log_lines(const std::string& needle) const {
    std::ifstream in(log_);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line))
      if (line.find(needle) != std::string::npos) ++n;
    return n;
  }

 private:
  static std::uint16_t free_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
  }
  std::filesystem::path dir_;
  std::string log_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

daemon_process* g_daemon = nullptr;

void set_soft_fd_limit(rlim_t n) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rl.rlim_cur = std::min(n, rl.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

long soft_fd_limit_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Max open files", 0) == 0) return std::strtol(line.c_str() + 14, nullptr, 10);
  return -1;
}

class daemon_environment : public ::testing::Environment {
 public:
  void SetUp() override {
    // The daemon starts with the 1,024-ish soft limit common outside systemd (here 256)
    // and must raise it itself to hold max_connections; the test then needs ~2,000.
    set_soft_fd_limit(256);
    g_daemon = new daemon_process();
    set_soft_fd_limit(4096);
  }
  void TearDown() override {
    delete g_daemon;
    g_daemon = nullptr;
  }
};

// Samples the daemon's VmRSS every 20 ms while alive; keeps the peak.
class rss_sampler {
 public:
  explicit rss_sampler(pid_t pid) : pid_(pid), thread_([this] {
    while (!stop_) {
      peak_ = std::max(peak_.load(), proc_status_kib(pid_, "VmRSS"));
      std::this_thread::sleep_for(20ms);
    }
  }) {}
  ~rss_sampler() { finish(); }
  long finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

 private:
  pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<long> peak_{0};
  std::thread thread_;
};

// The well-behaved client: an MTA offering kSteadyRate messages/s on 4 connections,
// one message per connection as Postfix does, each connection on a fixed schedule (a
// late message is sent at once, so a daemon that cannot keep up shows as lower
// throughput, not as a slower offer). Throughput is what was answered in the window.
constexpr double kSteadyRate = 300;
constexpr int kSteadyConnections = 4;

struct steady_result {
  std::size_t messages = 0;
  std::size_t failures = 0;
  std::string first_failure;
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

asio::awaitable<void> steady_worker(socket_spec spec, clock_type::time_point start, clock_type::time_point until,
                                    clock_type::duration period, steady_result& r, std::vector<double>& latencies) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  for (auto due = start; due < until; due += period) {
    timer.expires_at(due);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto sent = clock_type::now();
    try {
      client c(ex);
      co_await c.connect(spec);
      co_await c.negotiate();
      envelope env;
      std::string_view raw = kMessage;
      auto result = co_await c.send(env, raw);
      co_await c.quit();
      if (std::holds_alternative<accept>(result.final_reply) || std::holds_alternative<continue_>(result.final_reply)) {
        ++r.messages;
        latencies.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
      } else if (r.failures++ == 0) {
        r.first_failure = std::string("final reply ") + name_of(result.final_reply);
      }
    } catch (const std::exception& e) {
      if (r.failures++ == 0) r.first_failure = e.what();
    }
  }
}

steady_result run_steady(const socket_spec& spec, std::chrono::milliseconds length) {
  asio::io_context io(1);
  steady_result r;
  std::vector<double> latencies;
  auto start = clock_type::now();
  auto until = start + length;
  auto period = std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(kSteadyConnections / kSteadyRate));
  for (int i = 0; i < kSteadyConnections; ++i)
    asio::co_spawn(io, steady_worker(spec, start + i * period / kSteadyConnections, until, period, r, latencies),
                   asio::detached);
  io.run();
  r.per_second = static_cast<double>(r.messages) / std::chrono::duration<double>(clock_type::now() - start).count();
  r.p50_ms = percentile(latencies, 0.50);
  r.p99_ms = percentile(latencies, 0.99);
  return r;
}

// What a hostile load reports.
struct hostile_result {
  std::atomic<std::size_t> connections{0};       // opened
  std::atomic<std::size_t> closed_by_daemon{0};  // the daemon ended them
  std::atomic<std::size_t> still_open{0};        // open when the load stopped (bad)
  std::atomic<std::size_t> answered{0};          // messages that got a final reply
  std::atomic<long> longest_hold_ms{0};          // longest life of a connection the daemon ended
  std::mutex mutex;
  std::string note;
  void held(clock_type::duration d) {
    long ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    long cur = longest_hold_ms.load();
    while (ms > cur && !longest_hold_ms.compare_exchange_weak(cur, ms)) {
    }
  }
  void set_note(const std::string& n) {
    std::lock_guard lock(mutex);
    if (note.empty()) note = n;
  }
};

using hostile_load = std::function<void(asio::io_context&, clock_type::time_point until, hostile_result&)>;

struct scenario_figures {
  std::string name;
  double baseline = 0, loaded = 0, ratio = 0;
  double base_p99_ms = 0, loaded_p50_ms = 0, loaded_p99_ms = 0;
  long rss_before = 0, rss_peak = 0;
  std::size_t hostile_connections = 0, closed = 0, answered = 0;
  long longest_hold_ms = 0;
};
std::vector<scenario_figures> g_figures;

// Baseline window, then the hostile load with the steady client running beside it.
scenario_figures run_scenario(const std::string& name, const hostile_load& load, hostile_result& hr,
                              std::chrono::milliseconds ramp = 300ms) {
  scenario_figures f;
  f.name = name;
  auto spec = g_daemon->spec();
  auto baseline = run_steady(spec, kWindow);
  EXPECT_EQ(baseline.failures, 0u) << baseline.first_failure;
  f.rss_before = proc_status_kib(g_daemon->pid(), "VmRSS");
  rss_sampler rss(g_daemon->pid());
  auto until = clock_type::now() + ramp + kWindow;
  std::thread hostile([&] {
    asio::io_context io(1);
    load(io, until, hr);
    io.run();
  });
  std::this_thread::sleep_for(ramp);
  auto loaded = run_steady(spec, kWindow);
  hostile.join();
  f.rss_peak = rss.finish();
  EXPECT_EQ(loaded.failures, 0u) << loaded.first_failure;
  f.baseline = baseline.per_second;
  f.loaded = loaded.per_second;
  f.base_p99_ms = baseline.p99_ms;
  f.loaded_p50_ms = loaded.p50_ms;
  f.loaded_p99_ms = loaded.p99_ms;
  f.ratio = baseline.per_second > 0 ? loaded.per_second / baseline.per_second : 0;
  f.hostile_connections = hr.connections;
  f.closed = hr.closed_by_daemon;
  f.answered = hr.answered;
  f.longest_hold_ms = hr.longest_hold_ms;
  std::printf("FIGURES hostile=%-16s baseline=%.0f/s loaded=%.0f/s ratio=%.2f p99_ms=%.1f->%.1f rss_before=%ldKiB "
              "rss_peak=%ldKiB hostile_connections=%zu closed_by_daemon=%zu answered=%zu longest_hold_ms=%ld%s%s\n",
              name.c_str(), f.baseline, f.loaded, f.ratio, f.base_p99_ms, f.loaded_p99_ms, f.rss_before, f.rss_peak,
              f.hostile_connections, f.closed, f.answered, f.longest_hold_ms, hr.note.empty() ? "" : " note=",
              hr.note.c_str());
  std::fflush(stdout);
  EXPECT_GE(f.ratio, kMinThroughputRatio) << "well-behaved throughput fell below half its baseline";
  EXPECT_LT(f.rss_peak, kMaxRssKib) << "daemon resident memory beyond the bound";
  EXPECT_EQ(hr.still_open.load(), 0u) << "hostile connections the daemon never closed";
  EXPECT_TRUE(g_daemon->alive());
  g_figures.push_back(f);
  return f;
}

// ---- raw hostile connections -----------------------------------------------------

struct raw_connection {
  explicit raw_connection(const asio::any_io_executor& ex) : socket(ex) {}
  tcp::socket socket;
  clock_type::time_point opened;
  bool closed = false;  // the daemon closed it (read saw EOF or a reset)
};

// Reads (and discards) until the daemon closes the connection.
asio::awaitable<void> watch_close(std::shared_ptr<raw_connection> c, hostile_result& hr) {
  char buf[512];
  for (;;) {
    boost::system::error_code ec;
    co_await c->socket.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) continue;
    if (ec != asio::error::operation_aborted && !c->closed) {
      c->closed = true;
      ++hr.closed_by_daemon;
      hr.held(clock_type::now() - c->opened);
    }
    co_return;
  }
}

asio::awaitable<void> pause_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Opens a connection and starts watching for the daemon closing it.
asio::awaitable<std::shared_ptr<raw_connection>> open_raw(tcp::endpoint ep, hostile_result& hr) {
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<raw_connection>(ex);
  boost::system::error_code ec;
  co_await c->socket.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    hr.set_note("connect failed: " + ec.message());
    co_return nullptr;
  }
  c->opened = clock_type::now();
  ++hr.connections;
  asio::co_spawn(ex, watch_close(c, hr), asio::detached);
  co_return c;
}

// Ends a connection we still hold when the load stops; counts it if the daemon had not.
void finish_raw(raw_connection& c, hostile_result& hr, bool should_be_closed) {
  if (!c.closed && should_be_closed) ++hr.still_open;
  boost::system::error_code ignored;
  c.socket.close(ignored);
}

// Writes `bytes`, then waits (at most `patience`) for the daemon to close.
asio::awaitable<void> send_expect_close(tcp::endpoint ep, std::string bytes, std::chrono::milliseconds patience,
                                        hostile_result& hr) {
  auto c = co_await open_raw(ep, hr);
  if (!c) co_return;
  boost::system::error_code ec;
  co_await asio::async_write(c->socket, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  auto give_up = clock_type::now() + patience;
  while (!c->closed && clock_type::now() < give_up) co_await pause_for(10ms);
  finish_raw(*c, hr, true);
}

std::string frame_bytes(char code, std::string_view payload) {
  std::string out;
  auto len = static_cast<std::uint32_t>(payload.size() + 1);
  out += static_cast<char>(len >> 24);
  out += static_cast<char>(len >> 16);
  out += static_cast<char>(len >> 8);
  out += static_cast<char>(len);
  out += code;
  out += payload;
  return out;
}

std::string optneg() { return encode(command{option_negotiation{6, 0x1FF, 0x1FFFFF, {}}}); }

// ---- the scenarios ----------------------------------------------------------------

// One drip-feeding connection after another until `until`.
asio::awaitable<void> dripper(tcp::endpoint ep, clock_type::time_point until, int spread_ms, hostile_result& r) {
  co_await pause_for(std::chrono::milliseconds(spread_ms));  // spread the drips
  while (clock_type::now() < until) {
    auto c = co_await open_raw(ep, r);
    if (!c) {
      co_await pause_for(50ms);
      continue;
    }
    std::string head = optneg() + std::string("\x00\x00\xea\x60" "D", 5);  // a 60,000-byte frame
    boost::system::error_code ec;
    co_await asio::async_write(c->socket, asio::buffer(head), asio::redirect_error(asio::use_awaitable, ec));
    while (!c->closed && !ec && clock_type::now() < until) {
      co_await pause_for(250ms);
      char drip = 'x';
      co_await asio::async_write(c->socket, asio::buffer(&drip, 1), asio::redirect_error(asio::use_awaitable, ec));
    }
    // Still open when the load stops is fine only if it opened less than a deadline ago.
    finish_raw(*c, r, clock_type::now() - c->opened > kFrameTimeout + 1500ms);
  }
}

// One silent connection after another until `until`.
asio::awaitable<void> sitter(tcp::endpoint ep, clock_type::time_point until, hostile_result& r) {
  while (clock_type::now() < until) {
    auto c = co_await open_raw(ep, r);
    if (!c) {
      co_await pause_for(50ms);
      continue;
    }
    while (!c->closed && clock_type::now() < until) co_await pause_for(50ms);
    finish_raw(*c, r, clock_type::now() - c->opened > kFrameTimeout + 1500ms);
  }
}

// Sends each of `sequences` in turn on a new connection until `until`, expecting the
// daemon to close every one of them.
asio::awaitable<void> offender(tcp::endpoint ep, clock_type::time_point until, std::vector<std::string> sequences,
                               std::size_t first, hostile_result& r) {
  for (std::size_t n = first; clock_type::now() < until; ++n) {
    std::string bytes = sequences[n % sequences.size()];
    co_await send_expect_close(ep, bytes, 2000ms, r);
  }
}

// Started with a soft limit of 256 descriptors, the daemon raised it to cover
// max_connections (1,100) itself; otherwise accept() fails long before the cap.
TEST(Hostile, DaemonRaisedItsDescriptorLimit) { EXPECT_GE(soft_fd_limit_of(g_daemon->pid()), 1100 + 64); }

// 1,000 connections, each starting a 60,000-byte frame and then sending one byte every
// 250 ms: every byte is on time, the frame never is. Each is cut frame_timeout after
// its frame began, and reconnects at once, so ~1,000 stay open throughout.
TEST(Hostile, SlowlorisDripFeedingFrames) {
  hostile_result hr;
  auto ep = g_daemon->endpoint();
  run_scenario("slowloris_drip", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    for (int i = 0; i < 1000; ++i) asio::co_spawn(io, dripper(ep, until, i % 250, r), asio::detached);
  }, hr);
  EXPECT_GE(hr.closed_by_daemon.load(), 1000u);
  EXPECT_LE(hr.longest_hold_ms.load(), std::chrono::milliseconds(kFrameTimeout + 1500ms).count());
}

// 1,000 connections that never say anything: an MTA negotiates at once, so these are
// cut at frame_timeout, not at the 600 s idle timeout.
TEST(Hostile, SlowlorisSilentConnections) {
  hostile_result hr;
  auto ep = g_daemon->endpoint();
  run_scenario("slowloris_silent", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    for (int i = 0; i < 1000; ++i) asio::co_spawn(io, sitter(ep, until, r), asio::detached);
  }, hr);
  EXPECT_GE(hr.closed_by_daemon.load(), 1000u);
  EXPECT_LE(hr.longest_hold_ms.load(), std::chrono::milliseconds(kFrameTimeout + 1500ms).count());
}

// Frame lengths of 4 GiB-1, 2 GiB, max+1 and 0, from 8 connections in a loop: refused
// from the length field alone, before anything is buffered.
TEST(Hostile, OversizeFrameLengths) {
  hostile_result hr;
  auto ep = g_daemon->endpoint();
  std::vector<std::string> lengths;
  for (const char* len : {"\xff\xff\xff\xff", "\x80\x00\x00\x00", "\x00\x01\x00\x01", "\x00\x00\x00\x00"})
    lengths.push_back(std::string(len, 4) + "O" + std::string(1000, 'z'));
  run_scenario("oversize_frames", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    for (std::size_t i = 0; i < 8; ++i) asio::co_spawn(io, offender(ep, until, lengths, i, r), asio::detached);
  }, hr);
  EXPECT_GT(hr.closed_by_daemon.load(), 100u);
  EXPECT_LT(hr.longest_hold_ms.load(), 1000);
}

// Commands out of order: a body before negotiation, end-of-message with no MAIL, a
// header before MAIL, RCPT before MAIL. Each is a protocol error that closes.
TEST(Hostile, InvalidCommandOrders) {
  hostile_result hr;
  auto ep = g_daemon->endpoint();
  std::vector<std::string> sequences = {
      encode(command{body_chunk{"early body"}}),
      optneg() + encode(command{end_of_message{}}),
      optneg() + encode(command{header{"Subject", "before MAIL"}}),
      optneg() + encode(command{connect_info{"h", '4', 25, "127.0.0.1"}}) +
          encode(command{rcpt_to{{"<a@example.net>"}}}),
  };
  run_scenario("invalid_order", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    for (std::size_t i = 0; i < 8; ++i) asio::co_spawn(io, offender(ep, until, sequences, i, r), asio::detached);
  }, hr);
  EXPECT_GT(hr.closed_by_daemon.load(), 100u);
  EXPECT_LT(hr.longest_hold_ms.load(), 1000);
}

// Macro frames of 60,000 bytes each, four per connection (240 KB against a 64 KiB
// budget), from 8 connections in a loop: closed at the second frame.
TEST(Hostile, MacroFloods) {
  hostile_result hr;
  auto ep = g_daemon->endpoint();
  std::string flood = optneg();
  for (int k = 0; k < 4; ++k) {
    std::string payload = "C{flood" + std::to_string(k) + "}";
    payload += '\0';
    payload += std::string(60000, 'm');
    payload += '\0';
    flood += frame_bytes('D', payload);
  }
  static_assert(4 * 60000 > kMaxMacroBytes);
  std::vector<std::string> sequences = {flood};
  run_scenario("macro_flood", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    for (std::size_t i = 0; i < 8; ++i) asio::co_spawn(io, offender(ep, until, sequences, i, r), asio::detached);
  }, hr);
  EXPECT_GT(hr.closed_by_daemon.load(), 20u);
}

// RCPT frames without end in one transaction: each kept recipient cost the daemon about
// 100 bytes, without bound, until milter.limits.max_envelope_bytes (1 MiB) closed it.
TEST(Hostile, RecipientFloods) {
  hostile_result hr;
  auto ep = g_daemon->endpoint();
  std::string flood = optneg() + frame_bytes('M', std::string("<a@example.org>") + '\0');
  for (int i = 0; i < 50000; ++i) flood += frame_bytes('R', "<user" + std::to_string(1000000 + i) + "@example.net>" + '\0');
  static_assert(50000 * 25 > 1 << 20);
  std::vector<std::string> sequences = {flood};
  run_scenario("rcpt_flood", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    for (std::size_t i = 0; i < 8; ++i) asio::co_spawn(io, offender(ep, until, sequences, i, r), asio::detached);
  }, hr);
  EXPECT_GT(hr.closed_by_daemon.load(), 8u);
}

// Messages sent through the library client, each checked for a final reply.
struct message_load {
  std::string raw;
  client_options options;
  bool want_verdict = false;  // a real verdict, not the on_failure fallback
  std::size_t connections = 1;
};

// Sends load->raw on one connection after another until `until`.
asio::awaitable<void> sender(socket_spec spec, clock_type::time_point until, std::shared_ptr<const message_load> load,
                             hostile_result& r) {
  auto ex = co_await asio::this_coro::executor;
  do {
    try {
      client c(ex, load->options);
      co_await c.connect(spec);
      ++r.connections;
      co_await c.negotiate();
      envelope env;
      std::string_view raw = load->raw;
      auto result = co_await c.send(env, raw);
      co_await c.quit();
      bool passed =
          std::holds_alternative<accept>(result.final_reply) || std::holds_alternative<continue_>(result.final_reply);
      bool fallback = false;
      for (const auto& m : result.modifications)
        if (auto* h = std::get_if<add_header>(&m); h && h->value.rfind("skipped", 0) == 0) fallback = true;
      if (!passed)
        r.set_note(std::string("final reply ") + name_of(result.final_reply));
      else if (load->want_verdict && fallback)
        r.set_note("fallback instead of a verdict");
      else
        ++r.answered;
    } catch (const std::exception& e) {
      r.set_note(e.what());
    }
  } while (clock_type::now() < until);
}

void run_messages(asio::io_context& io, clock_type::time_point until, hostile_result& r,
                  const std::shared_ptr<const message_load>& load, const socket_spec& spec) {
  for (std::size_t i = 0; i < load->connections; ++i) asio::co_spawn(io, sender(spec, until, load, r), asio::detached);
}

// A 100 MB body from an MTA that does not support SKIP, so every byte is sent: only
// scan_bytes are buffered, the message passes, memory stays flat.
TEST(Hostile, HundredMegabyteBody) {
  auto load = std::make_shared<message_load>();
  load->raw = "From: big@example.org\r\nTo: rcpt@example.net\r\nSubject: large\r\n\r\n";
  std::string line(98, 'b');
  line += "\r\n";
  load->raw.reserve(100'000'000 + 200);
  while (load->raw.size() < 100'000'000) load->raw += line;
  load->options.protocol = SMFI_CURR_PROT & ~SMFIP_SKIP;
  load->options.timeout = 60s;
  hostile_result hr;
  auto spec = g_daemon->spec();
  run_scenario("body_100MB", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    run_messages(io, until, r, load, spec);
  }, hr);
  EXPECT_GE(hr.answered.load(), 1u) << hr.note;
  EXPECT_TRUE(hr.note.empty()) << hr.note;
}

// 100,000 header fields of one name (max_headers is 2,000): counted, not remembered,
// not scanned past scan_bytes; the message passes with a verdict.
TEST(Hostile, HeaderBomb) {
  auto load = std::make_shared<message_load>();
  for (int i = 0; i < 100000; ++i) load->raw += "X-Bomb: " + std::to_string(i) + "\r\n";
  load->raw += "Subject: headers\r\n\r\nbody\r\n";
  load->want_verdict = true;
  load->connections = 2;
  hostile_result hr;
  auto spec = g_daemon->spec();
  run_scenario("header_bomb", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    run_messages(io, until, r, load, spec);
  }, hr);
  EXPECT_GE(hr.answered.load(), 2u) << hr.note;
  EXPECT_TRUE(hr.note.empty()) << hr.note;
}

// MIME bombs: multiparts nested 10,000 deep, and 50,000 parts side by side. The parser's
// depth and part limits keep the verdict far inside its deadline.
TEST(Hostile, MimeNestingBomb) {
  auto deep = std::make_shared<message_load>();
  deep->raw = "From: a@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n";
  for (int d = 0; d < 10000; ++d)
    deep->raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(d) + "\"\r\n\r\n--b" +
                 std::to_string(d) + "\r\n";
  deep->raw += "Content-Type: text/plain\r\n\r\ninnermost\r\n";
  deep->want_verdict = true;
  auto wide = std::make_shared<message_load>();
  wide->raw = "From: a@example.org\r\nSubject: wide\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n";
  for (int p = 0; p < 50000; ++p) wide->raw += "--w\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(p) + "\r\n";
  wide->raw += "--w--\r\n";
  wide->want_verdict = true;
  hostile_result hr;
  auto spec = g_daemon->spec();
  run_scenario("mime_bomb", [&](asio::io_context& io, clock_type::time_point until, hostile_result& r) {
    run_messages(io, until, r, deep, spec);
    run_messages(io, until, r, wide, spec);
  }, hr);
  EXPECT_GE(hr.answered.load(), 2u) << hr.note;
  EXPECT_TRUE(hr.note.empty()) << hr.note;
}

// The table of all scenarios, and the daemon's own account of what it refused.
TEST(Hostile, Summary) {
  ASSERT_TRUE(g_daemon->alive());
  std::printf("\nwell-behaved client offering %.0f msg/s on %d connections; p99 in ms without -> with the load\n",
              kSteadyRate, kSteadyConnections);
  std::printf("%-17s %9s %9s %6s %15s %10s %10s %7s %7s %8s %7s\n", "scenario", "base/s", "loaded/s", "ratio",
              "p99 ms", "rss KiB", "peak KiB", "conns", "closed", "answered", "hold ms");
  for (const auto& f : g_figures)
    std::printf("%-17s %9.0f %9.0f %6.2f %7.1f->%6.1f %10ld %10ld %7zu %7zu %8zu %7ld\n", f.name.c_str(), f.baseline,
                f.loaded, f.ratio, f.base_p99_ms, f.loaded_p99_ms, f.rss_before, f.rss_peak, f.hostile_connections,
                f.closed, f.answered, f.longest_hold_ms);
  long hwm = proc_status_kib(g_daemon->pid(), "VmHWM");
  std::printf("daemon VmHWM %ld KiB; log: %zu connection_timeout, %zu protocol_error\n", hwm,
              g_daemon->log_lines("event=connection_timeout"), g_daemon->log_lines("event=protocol_error"));
  EXPECT_LT(hwm, kMaxRssKib);
  EXPECT_GT(g_daemon->log_lines("event=connection_timeout"), 0u);
  EXPECT_GT(g_daemon->log_lines("error=\"macro limit"), 0u);
}

}  // namespace
}  // namespace mailtriage::milter

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new mailtriage::milter::daemon_environment);
  return RUN_ALL_TESTS();
}
