// The Asio server and the library's client together over real loopback and unix
// sockets, in one process: modifications arrive exactly, deadlines and limits hold,
// and every failure ends in the fallback decision.
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "mailtriage/milter/client.hpp"
#include "mailtriage/milter/server.hpp"

namespace mailtriage::milter {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: quarterly report\r\n"
    "\r\n"
    "Numbers attached.\r\n";

class fixed_handler : public message_handler {
 public:
  explicit fixed_handler(decision d, std::chrono::milliseconds delay = 0ms, bool throws = false)
      : d_(std::move(d)), delay_(delay), throws_(throws) {}
  decision judge(const transaction& t) const override {
    seen_bytes = t.raw.size();
    judged_on = std::this_thread::get_id();
    if (delay_.count()) std::this_thread::sleep_for(delay_);
    if (throws_) throw std::runtime_error("model exploded");
    return d_;
  }
  mutable std::atomic<std::size_t> seen_bytes{0};
  mutable std::atomic<std::thread::id> judged_on{};

 private:
  decision d_;
  std::chrono::milliseconds delay_;
  bool throws_;
};

decision status_decision(const std::string& why) {
  decision d;
  d.modifications.push_back(add_header{"X-Triage-Status", why});
  return d;
}

// A server on its own I/O thread (options.io_threads of them) for the duration of a test.
class running_server {
 public:
  running_server(server_options opts, std::shared_ptr<const message_handler> h)
      : spec_(opts.listen), io_threads_(opts.io_threads), srv_(io_, with_fallback(std::move(opts)), std::move(h)) {
    srv_.start();
    thread_ = std::thread([this] { io_.run(); });
    for (std::size_t i = 1; i < io_threads_; ++i) extra_.emplace_back([this] { io_.run(); });
  }
  ~running_server() {
    srv_.close_all();
    work_.reset();
    io_.stop();
    thread_.join();
    for (auto& t : extra_) t.join();
  }
  socket_spec spec() const {
    socket_spec s = spec_;
    if (s.type != socket_spec::kind::unix_path) s.port = srv_.port();
    return s;
  }
  server& get() { return srv_; }
  std::thread::id io_thread() const { return thread_.get_id(); }

  static server_options with_fallback(server_options o) {
    o.fallback = [](fallback_reason r, const std::vector<header_ref>&) {
      return status_decision(std::string("skipped; reason=") + describe(r));
    };
    return o;
  }

 private:
  socket_spec spec_;
  std::size_t io_threads_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  server srv_;
  std::thread thread_;
  std::vector<std::thread> extra_;
};

server_options loopback_options() {
  server_options o;
  o.listen = parse_socket_spec("inet:0@127.0.0.1").value();
  o.worker_threads = 2;
  return o;
}

// Runs one client coroutine to completion on the calling thread.
template <class F>
auto run_client(F body) {
  asio::io_context io;
  using result_type = typename decltype(body(std::declval<asio::io_context&>()))::value_type;
  std::promise<result_type> p;
  auto f = p.get_future();
  asio::co_spawn(io, body(io), [&p](std::exception_ptr e, result_type r) {
    if (e)
      p.set_exception(e);
    else
      p.set_value(std::move(r));
  });
  io.run();
  return f.get();
}

std::uint64_t observations(const observability::histogram& h) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= h.bounds().size(); ++i) n += h.bucket(i);
  return n;
}

message_result send_one(const socket_spec& spec, std::string_view raw = kMessage) {
  return run_client([&](asio::io_context& io) -> asio::awaitable<message_result> {
    client c(io.get_executor());
    co_await c.connect(spec);
    co_await c.negotiate();
    envelope env;
    auto r = co_await c.send(env, raw);
    co_await c.quit();
    co_return r;
  });
}

TEST(Server, EveryModificationArrivesExactly) {
  decision d;
  d.modifications = {
      add_header{"X-Triage-Category", "spam"},
      insert_header{0, "X-Triage-First", "1"},
      change_header{1, "Subject", "[SPAM] quarterly report"},
      change_header{1, "X-Old", ""},
      change_from{"<bounce@example.org>", std::nullopt},
      add_recipient{"<review@example.org>", std::nullopt},
      add_recipient{"<archive@example.org>", "NOTIFY=NEVER"},
      delete_recipient{"<bob@example.net>"},
      replace_body{"replaced\r\n"},
      quarantine{"held for review"},
  };
  d.final_reply = reply_code{"550-5.7.1 first line\r\n550 5.7.1 second line"};
  auto expected = d.modifications;
  running_server srv(loopback_options(), std::make_shared<fixed_handler>(d));
  auto r = send_one(srv.spec());
  EXPECT_EQ(r.modifications, expected);
  EXPECT_EQ(std::get<reply_code>(r.final_reply).text, "550-5.7.1 first line\r\n550 5.7.1 second line");
  EXPECT_EQ(srv.get().stats().messages.load(), 1u);
}

TEST(Server, FinalActions) {
  for (reply final : {reply{accept{}}, reply{reject{}}, reply{tempfail{}}, reply{discard{}}, reply{continue_{}}}) {
    decision d;
    d.final_reply = final;
    running_server srv(loopback_options(), std::make_shared<fixed_handler>(d));
    auto r = send_one(srv.spec());
    EXPECT_EQ(r.final_reply.index(), final.index()) << name_of(final);
  }
}

TEST(Server, SeveralMessagesOnOneConnection) {
  auto handler = std::make_shared<fixed_handler>(status_decision("seen"));
  running_server srv(loopback_options(), handler);
  auto spec = srv.spec();
  auto count = run_client([&](asio::io_context& io) -> asio::awaitable<int> {
    client c(io.get_executor());
    co_await c.connect(spec);
    co_await c.negotiate();
    int ok = 0;
    for (int i = 0; i < 5; ++i) {
      envelope env;
      auto r = co_await c.send(env, kMessage);
      if (r.modifications.size() == 1 && std::holds_alternative<accept>(r.final_reply)) ++ok;
    }
    co_await c.quit();
    co_return ok;
  });
  EXPECT_EQ(count, 5);
  EXPECT_EQ(srv.get().stats().messages.load(), 5u);
}

// With several I/O threads each connection runs on its own strand; with inline verdicts
// the handlers of different connections then run at the same time on both threads.
TEST(Server, SeveralIoThreadsServeConcurrentConnections) {
  auto opts = loopback_options();
  opts.io_threads = 2;
  opts.inline_verdict_bytes = 64 * 1024;
  auto handler = std::make_shared<fixed_handler>(status_decision("seen"));
  running_server srv(opts, handler);
  const auto spec = srv.spec();
  constexpr int kConnections = 16, kMessages = 10;
  auto ok = run_client([&](asio::io_context& io) -> asio::awaitable<int> {
    auto total = std::make_shared<int>(0);
    auto done = std::make_shared<int>(0);
    asio::steady_timer all_done(io, std::chrono::steady_clock::time_point::max());
    for (int k = 0; k < kConnections; ++k)
      asio::co_spawn(io, [&, total, done]() -> asio::awaitable<void> {
        client c(io.get_executor());
        co_await c.connect(spec);
        co_await c.negotiate();
        for (int i = 0; i < kMessages; ++i) {
          envelope env;
          auto r = co_await c.send(env, kMessage);
          if (r.modifications.size() == 1 && std::holds_alternative<accept>(r.final_reply)) ++*total;
        }
        co_await c.quit();
        if (++*done == kConnections) all_done.cancel();
      }, asio::detached);
    boost::system::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return *total;
  });
  EXPECT_EQ(ok, kConnections * kMessages);
  EXPECT_EQ(srv.get().stats().messages.load(), static_cast<std::uint64_t>(kConnections * kMessages));
}

// The client writes as Postfix does (its milter8 writes through a 4096-byte VSTREAM
// buffer, flushed before it reads an answer): over TCP a small message is four writes
// (negotiation; connect to DATA; headers, body and end of message; QUIT). With SKIP
// taken (milter.skip_unscanned_body) the body is answered, so end of message is a
// write of its own: five, as tcpdump showed Postfix 3.7 sending to a filter that took
// SKIP. Per frame, as Sendmail writes, it is one write per frame; the filter sees the
// same message.
TEST(Server, ClientWritesAsPostfixDoes) {
  for (bool skip_unscanned_body : {false, true}) {
    server_options o = loopback_options();
    o.wants.skip_unscanned_body = skip_unscanned_body;
    running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
    auto spec = srv.spec();
    auto send_with = [&](std::size_t write_buffer) {
      return run_client([&](asio::io_context& io) -> asio::awaitable<std::pair<message_result, std::size_t>> {
        client_options options;
        options.write_buffer = write_buffer;
        client c(io.get_executor(), options);
        co_await c.connect(spec);
        co_await c.negotiate();
        envelope env;
        auto r = co_await c.send(env, kMessage);
        co_await c.quit();
        co_return std::make_pair(std::move(r), c.writes());
      });
    };
    auto [buffered, buffered_writes] = send_with(4096);
    auto [per_frame, per_frame_writes] = send_with(0);
    EXPECT_EQ(buffered_writes, skip_unscanned_body ? 5u : 4u);
    const std::size_t headers = split_raw_message(kMessage, false).headers.size();
    // negotiation, 2 x connect, HELO, 2 x MAIL, 2 x RCPT, DATA, 2 x each header (its
    // macros, as Postfix sends them, and the header), EOH, one body chunk, end of message
    // (its macros and the command in one write), QUIT
    EXPECT_EQ(per_frame_writes, 9 + 2 * headers + 4);
    EXPECT_EQ(buffered.modifications, per_frame.modifications);
    EXPECT_EQ(buffered.final_reply.index(), per_frame.final_reply.index());
    EXPECT_EQ(srv.get().stats().messages.load(), 2u);
  }
}

// server::start sets TCP_NODELAY on the listening socket only and relies on the kernel
// to copy it to every accepted socket (Linux does): checked here on the same kind of
// acceptor, so a platform that does not would fail this test.
TEST(Server, AcceptedTcpSocketsInheritNoDelayFromTheListener) {
  namespace gen = asio::generic;
  asio::io_context io;
  const asio::ip::tcp::endpoint any(asio::ip::make_address("127.0.0.1"), 0);
  asio::basic_socket_acceptor<gen::stream_protocol> acceptor(io);
  acceptor.open(gen::stream_protocol(any.protocol().family(), IPPROTO_TCP));
  acceptor.set_option(asio::ip::tcp::no_delay(true));
  acceptor.bind(gen::stream_protocol::endpoint(any));
  acceptor.listen();
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const auto port = ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  asio::ip::tcp::socket client(io);
  client.connect({asio::ip::make_address("127.0.0.1"), port});
  gen::stream_protocol::socket accepted = acceptor.accept();
  asio::ip::tcp::no_delay option;
  accepted.get_option(option);
  EXPECT_TRUE(option.value());
}

TEST(Server, UnixSocketWithConfiguredMode) {
  auto dir = std::filesystem::temp_directory_path() / ("mt-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  server_options o = loopback_options();
  o.listen = parse_socket_spec("unix:" + (dir / "m.sock").string()).value();
  o.socket_mode = 0600;
  {
    running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
    struct stat st{};
    ASSERT_EQ(::stat((dir / "m.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto r = send_one(srv.spec());
    EXPECT_TRUE(std::holds_alternative<accept>(r.final_reply));
  }
  std::filesystem::remove_all(dir);
}

TEST(Server, SlowVerdictGetsTheFallbackBeforeTheDeadline) {
  server_options o = loopback_options();
  o.verdict_timeout = 100ms;
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("late"), 600ms));
  auto start = std::chrono::steady_clock::now();
  auto r = send_one(srv.spec());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  ASSERT_EQ(r.modifications.size(), 1u);
  EXPECT_EQ(std::get<add_header>(r.modifications[0]).value, "skipped; reason=timeout");
  EXPECT_EQ(srv.get().stats().fallbacks[static_cast<int>(fallback_reason::timeout)].load(), 1u);
}

TEST(Server, SmallMessagesAreJudgedInlineBigOnesByTheWorkers) {
  server_options o = loopback_options();
  o.inline_verdict_bytes = 1024;
  auto handler = std::make_shared<fixed_handler>(status_decision("seen"));
  running_server srv(o, handler);
  auto small = send_one(srv.spec());
  EXPECT_EQ(std::get<add_header>(small.modifications.at(0)).value, "seen");
  EXPECT_EQ(handler->judged_on.load(), srv.io_thread());
  auto big = send_one(srv.spec(), std::string(kMessage) + std::string(2000, 'x') + "\r\n");
  EXPECT_EQ(std::get<add_header>(big.modifications.at(0)).value, "seen");
  EXPECT_NE(handler->judged_on.load(), srv.io_thread());
  // Both paths are counted and timed alike.
  EXPECT_EQ(srv.get().stats().messages.load(), 2u);
  EXPECT_EQ(observations(srv.get().stats().verdict_seconds), 2u);
}

// Zero turns inline verdicts off, even for a message with no bytes scanned.
TEST(Server, InlineVerdictBytesZeroKeepsEveryVerdictOnTheWorkers) {
  server_options o = loopback_options();
  o.limits.scan_bytes = 0;
  auto handler = std::make_shared<fixed_handler>(status_decision("seen"));
  running_server srv(o, handler);
  send_one(srv.spec());
  EXPECT_NE(handler->judged_on.load(), srv.io_thread());
}

TEST(Server, ThrowingInlineHandlerGetsTheFallback) {
  server_options o = loopback_options();
  o.inline_verdict_bytes = 1 << 20;
  running_server srv(o, std::make_shared<fixed_handler>(decision{}, 0ms, true));
  auto r = send_one(srv.spec());
  ASSERT_EQ(r.modifications.size(), 1u);
  EXPECT_EQ(std::get<add_header>(r.modifications[0]).value, "skipped; reason=error");
  EXPECT_TRUE(std::holds_alternative<accept>(send_one(srv.spec()).final_reply));  // still serving
  EXPECT_EQ(srv.get().stats().fallbacks[static_cast<int>(fallback_reason::error)].load(), 2u);
  EXPECT_EQ(observations(srv.get().stats().verdict_seconds), 2u);
  // The inline path answers with the fallback of the configuration it judged with.
  srv.get().set_handler(std::make_shared<fixed_handler>(decision{}, 0ms, true),
                        [](fallback_reason, const std::vector<header_ref>&) { return status_decision("new fallback"); });
  auto after = send_one(srv.spec());
  ASSERT_EQ(after.modifications.size(), 1u);
  EXPECT_EQ(std::get<add_header>(after.modifications[0]).value, "new fallback");
}

TEST(Server, ThrowingHandlerGetsTheFallback) {
  running_server srv(loopback_options(), std::make_shared<fixed_handler>(decision{}, 0ms, true));
  auto r = send_one(srv.spec());
  ASSERT_EQ(r.modifications.size(), 1u);
  EXPECT_EQ(std::get<add_header>(r.modifications[0]).value, "skipped; reason=error");
}

// A reload swaps the handler and the fallback of the same configuration together;
// set_handler without a fallback keeps the current one.
TEST(Server, SetHandlerSwapsTheFallbackWithTheHandler) {
  running_server srv(loopback_options(), std::make_shared<fixed_handler>(decision{}, 0ms, true));
  auto value_of = [&] {
    auto r = send_one(srv.spec());
    return r.modifications.size() == 1 ? std::get<add_header>(r.modifications[0]).value : std::string("?");
  };
  EXPECT_EQ(value_of(), "skipped; reason=error");
  srv.get().set_handler(std::make_shared<fixed_handler>(decision{}, 0ms, true),
                        [](fallback_reason, const std::vector<header_ref>&) { return status_decision("new fallback"); });
  EXPECT_EQ(value_of(), "new fallback");
  srv.get().set_handler(std::make_shared<fixed_handler>(decision{}, 0ms, true));
  EXPECT_EQ(value_of(), "new fallback");
  srv.get().set_handler(std::make_shared<fixed_handler>(status_decision("judged")));
  EXPECT_EQ(value_of(), "judged");
}

TEST(Server, NoHandlerGetsTheFallback) {
  running_server srv(loopback_options(), nullptr);
  auto r = send_one(srv.spec());
  ASSERT_EQ(r.modifications.size(), 1u);
  EXPECT_EQ(std::get<add_header>(r.modifications[0]).value, "skipped; reason=no_model");
}

TEST(Server, OverloadGetsTheFallbackImmediately) {
  server_options o = loopback_options();
  o.worker_threads = 1;
  o.max_pending_verdicts = 1;
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen"), 400ms));
  auto spec = srv.spec();
  auto first = std::async(std::launch::async, [&] { return send_one(spec); });
  std::this_thread::sleep_for(100ms);  // the first message now occupies the only slot
  auto second = send_one(spec);
  EXPECT_EQ(std::get<add_header>(second.modifications.at(0)).value, "skipped; reason=overload");
  EXPECT_EQ(std::get<add_header>(first.get().modifications.at(0)).value, "seen");
}

// With SKIP taken the MTA is told to stop sending the body; without it the rest is
// sent and dropped. Either way the handler sees scan_bytes and the message passes.
TEST(Server, ScanLimitBoundsWhatTheHandlerSees) {
  for (bool skip_unscanned_body : {true, false}) {
    server_options o = loopback_options();
    o.limits.scan_bytes = 4096;
    o.wants.skip_unscanned_body = skip_unscanned_body;
    auto handler = std::make_shared<fixed_handler>(status_decision("seen"));
    running_server srv(o, handler);
    std::string big = std::string(kMessage) + std::string(300'000, 'x') + "\r\n";
    auto r = send_one(srv.spec(), big);
    EXPECT_EQ(r.body_skipped, skip_unscanned_body);
    EXPECT_TRUE(std::holds_alternative<accept>(r.final_reply));  // the message still passes
    EXPECT_EQ(handler->seen_bytes.load(), 4096u);
  }
}

TEST(Server, RefusesConnectionsBeyondTheLimit) {
  server_options o = loopback_options();
  o.max_connections = 1;
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
  auto spec = srv.spec();
  asio::io_context io;
  client holder(io.get_executor());
  bool held = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await holder.connect(spec);
    co_await holder.negotiate();
    held = true;
  }, asio::detached);
  io.run();
  ASSERT_TRUE(held);
  EXPECT_THROW(send_one(spec), client_error);
  EXPECT_GE(srv.get().stats().connections_refused.load(), 1u);
  holder.close();
}

// Raw socket helpers for hostile clients.
std::string read_until_closed(asio::ip::tcp::socket& s, std::chrono::milliseconds limit) {
  s.non_blocking(false);
  timeval tv{static_cast<time_t>(limit.count() / 1000), static_cast<suseconds_t>((limit.count() % 1000) * 1000)};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[256];
  boost::system::error_code ec;
  for (;;) {
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  out += ec == asio::error::eof ? "<EOF>" : "<" + ec.message() + ">";
  return out;
}

TEST(Server, OversizeFrameClosesTheConnection) {
  running_server srv(loopback_options(), std::make_shared<fixed_handler>(status_decision("seen")));
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.spec().port});
  asio::write(s, asio::buffer(std::string("\x10\x00\x00\x00" "B", 5)));  // 256 MiB frame
  EXPECT_EQ(read_until_closed(s, 2000ms), "<EOF>");
  EXPECT_EQ(srv.get().stats().protocol_errors.load(), 1u);
}

TEST(Server, SlowDripSenderIsCutOffByTheFrameDeadline) {
  server_options o = loopback_options();
  o.frame_timeout = 200ms;
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.spec().port});
  asio::write(s, asio::buffer(std::string("\x00\x00", 2)));  // half a length, then nothing
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_until_closed(s, 3000ms), "<EOF>");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
  EXPECT_EQ(srv.get().stats().timeouts.load(), 1u);
}

TEST(Server, DrippingSenderIsCutAtTheFrameDeadlineCountedFromItsFirstByte) {
  server_options o = loopback_options();
  o.frame_timeout = 300ms;
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.spec().port});
  // Negotiate, so only the frame deadline (not the negotiation one) can apply.
  asio::write(s, asio::buffer(encode(command{option_negotiation{6, 0x1FF, 0x1FFFFF, {}}})));
  char reply[4];
  asio::read(s, asio::buffer(reply));
  // A 1,000-byte macro frame, one byte every 50 ms: each byte arrives well within the
  // frame deadline, the frame as a whole never does.
  auto start = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::thread dripper([&] {
    std::string head("\x00\x00\x03\xe8" "D", 5);
    boost::system::error_code ec;
    asio::write(s, asio::buffer(head), ec);
    while (!stop && !ec) {
      std::this_thread::sleep_for(50ms);
      asio::write(s, asio::buffer("x", 1), ec);
    }
  });
  std::string rest = read_until_closed(s, 5000ms);
  auto held = std::chrono::steady_clock::now() - start;
  stop = true;
  dripper.join();
  EXPECT_TRUE(rest.ends_with("<EOF>") || rest.ends_with("<Connection reset by peer>")) << rest;
  EXPECT_LT(held, 1500ms);
  EXPECT_EQ(srv.get().stats().timeouts.load(), 1u);
}

TEST(Server, SilentConnectionIsClosedAtTheFrameDeadline) {
  server_options o = loopback_options();
  o.frame_timeout = 200ms;  // idle_timeout stays at 600 s
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.spec().port});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_until_closed(s, 3000ms), "<EOF>");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(srv.get().stats().timeouts.load(), 1u);
}

TEST(Server, NegotiatedConnectionMayWaitLongerThanTheFrameDeadline) {
  server_options o = loopback_options();
  o.frame_timeout = 200ms;
  running_server srv(o, std::make_shared<fixed_handler>(status_decision("seen")));
  auto spec = srv.spec();
  auto r = run_client([&](asio::io_context& io) -> asio::awaitable<message_result> {
    client c(io.get_executor());
    co_await c.connect(spec);
    co_await c.negotiate();
    asio::steady_timer pause(io, 600ms);  // an SMTP client thinking: the idle deadline applies
    co_await pause.async_wait(asio::use_awaitable);
    envelope env;
    auto result = co_await c.send(env, kMessage);
    co_await c.quit();
    co_return result;
  });
  EXPECT_TRUE(std::holds_alternative<accept>(r.final_reply) || std::holds_alternative<continue_>(r.final_reply));
  EXPECT_EQ(srv.get().stats().timeouts.load(), 0u);
}

TEST(Server, GarbageIsAProtocolErrorNotACrash) {
  running_server srv(loopback_options(), std::make_shared<fixed_handler>(status_decision("seen")));
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.spec().port});
  asio::write(s, asio::buffer(std::string("\x00\x00\x00\x03Zab", 7)));
  EXPECT_EQ(read_until_closed(s, 2000ms), "<EOF>");
  // The server still serves others.
  EXPECT_TRUE(std::holds_alternative<accept>(send_one(srv.spec()).final_reply));
}

TEST(Server, DrainLetsTheMessageInFlightFinish) {
  auto handler = std::make_shared<fixed_handler>(status_decision("seen"), 300ms);
  running_server srv(loopback_options(), handler);
  auto spec = srv.spec();
  auto in_flight = std::async(std::launch::async, [&] { return send_one(spec); });
  std::this_thread::sleep_for(100ms);
  std::promise<void> drained;
  srv.get().drain([&] { drained.set_value(); });
  auto r = in_flight.get();
  EXPECT_EQ(std::get<add_header>(r.modifications.at(0)).value, "seen");
  EXPECT_EQ(drained.get_future().wait_for(2s), std::future_status::ready);
  EXPECT_THROW(send_one(spec), client_error);  // no longer accepting
}

TEST(Server, DrainClosesIdleConnectionsAtOnce) {
  running_server srv(loopback_options(), std::make_shared<fixed_handler>(status_decision("seen")));
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.spec().port});
  std::this_thread::sleep_for(50ms);
  std::promise<void> drained;
  srv.get().drain([&] { drained.set_value(); });
  EXPECT_EQ(read_until_closed(s, 2000ms), "<EOF>");
  EXPECT_EQ(drained.get_future().wait_for(2s), std::future_status::ready);
}

TEST(SplitRawMessage, HeadersFoldedValuesAndCrlfBody) {
  auto parts = split_raw_message("Subject: a\n  b\nX-Empty:\nFrom:x@y\n\nline1\nline2\r\n", false);
  ASSERT_EQ(parts.headers.size(), 3u);
  EXPECT_EQ(parts.headers[0].value, "a\n  b");
  EXPECT_EQ(parts.headers[1].value, "");
  EXPECT_EQ(parts.headers[2].value, "x@y");
  EXPECT_EQ(parts.body, "line1\r\nline2\r\n");
  auto no_blank = split_raw_message("Subject: a\nnot a header line\nmore\n", false);
  EXPECT_EQ(no_blank.headers.size(), 1u);
  EXPECT_EQ(no_blank.body, "not a header line\r\nmore\r\n");
}

TEST(SocketSpec, OpendkimForms) {
  auto a = parse_socket_spec("inet:8895@127.0.0.1").value();
  EXPECT_EQ(a.type, socket_spec::kind::inet);
  EXPECT_EQ(a.port, 8895);
  EXPECT_EQ(a.host, "127.0.0.1");
  auto b = parse_socket_spec("inet6:8895@[::1]").value();
  EXPECT_EQ(b.type, socket_spec::kind::inet6);
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.to_string(), "inet6:8895@[::1]");
  EXPECT_EQ(parse_socket_spec("unix:/run/m.sock").value().path, "/run/m.sock");
  EXPECT_EQ(parse_socket_spec("local:/run/m.sock").value().type, socket_spec::kind::unix_path);
  EXPECT_EQ(parse_socket_spec("/run/m.sock").value().path, "/run/m.sock");
  EXPECT_EQ(parse_socket_spec("inet:25").value().host, "");
  EXPECT_FALSE(parse_socket_spec("inet:99999@127.0.0.1").ok());
  EXPECT_FALSE(parse_socket_spec("inet:x@127.0.0.1").ok());
  EXPECT_FALSE(parse_socket_spec("unix:relative").ok());
  EXPECT_FALSE(parse_socket_spec("tcp:25").ok());
  EXPECT_NE(parse_socket_spec("inet:@").error().find("inet:@"), std::string::npos);
}

}  // namespace
}  // namespace mailtriage::milter
