// The real engine (built-in model + policy from YAML) behind the Asio milter server,
// driven by the library's client over loopback, in one process: each policy action
// must reach the MTA as the exact milter modification replies, in order — inbound
// X-Triage-* headers deleted first (highest index first), then our verdict headers,
// then the rules' actions, the Subject edit last — and a verdict past
// milter.timeouts.verdict must end in the daemon's fallback decision.
//
// The model's opinion (ham or spam, the score, the reasons) is not fixed by the test:
// the verdict headers are validated (format, HMAC recomputed independently) and then
// used to build the expected sequence; everything the rules add is asserted exactly.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <utility>  // before Boost.Asio's awaitable.hpp, which uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "fallback.hpp"
#include "server_options.hpp"  // src/daemon: the daemon's own fallback decision
#include "mailtriage/config/config.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/milter/client.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/observability/metrics.hpp"
#include "mailtriage/util/log.hpp"

namespace mailtriage {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using milter::reply;

constexpr const char* kKey = "0123456789abcdef0123456789abcdef-engine-milter-test";
constexpr const char* kQueueId = "4ABCDEF123";

// Rules keyed on the envelope sender's domain: deterministic whatever the model says.
constexpr const char* kRules = R"yaml(
  rules:
    - name: shadow-reject
      match:
        sender_domain: shadow.example
      actions:
        - reject: "550 5.7.1 Shadow rule must not reject"
      shadow: true
    - name: tag-rule
      match:
        sender_domain: tag.example
      actions:
        - add_header: {name: X-Triage-Route, value: "{rule}"}
        - subject_prefix: "[TAGGED] "
    - name: route-review
      match:
        sender_domain: route.example
      actions:
        - remove_recipients: true
        - add_recipient: review@review.example
    - name: archive-copy
      match:
        sender_domain: archive.example
      actions:
        - add_recipient: archive@archive.example
    - name: hold
      match:
        sender_domain: hold.example
      actions:
        - quarantine: "held {category}"
    - name: refuse
      match:
        sender_domain: reject.example
      actions:
        - reject: "550 5.7.1 Refused by policy"
    - name: later
      match:
        sender_domain: tempfail.example
      actions:
        - tempfail: "451 4.7.1 Try later"
)yaml";

constexpr const char* kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: quarterly report\r\n"
    "Date: Tue, 01 Apr 2025 10:00:00 +0000\r\n"
    "Message-ID: <engine-milter-test@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "\r\n"
    "the numbers for the quarter are attached, see you at the meeting on Monday.\r\n"
    "\r\n"
    "Alice\r\n";

// ---------------------------------------------------------------- printing

std::string show(const reply& r) {
  std::ostringstream o;
  std::visit(
      [&o](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, milter::add_header>)
          o << "add_header{" << v.name << ", \"" << v.value << "\"}";
        else if constexpr (std::is_same_v<T, milter::insert_header>)
          o << "insert_header{" << v.index << ", " << v.name << ", \"" << v.value << "\"}";
        else if constexpr (std::is_same_v<T, milter::change_header>)
          o << "change_header{" << v.index << ", " << v.name << ", \"" << v.value << "\"}";
        else if constexpr (std::is_same_v<T, milter::add_recipient>)
          o << "add_recipient{" << v.recipient << (v.esmtp_args ? ", " + *v.esmtp_args : std::string()) << "}";
        else if constexpr (std::is_same_v<T, milter::delete_recipient>)
          o << "delete_recipient{" << v.recipient << "}";
        else if constexpr (std::is_same_v<T, milter::change_from>)
          o << "change_from{" << v.sender << "}";
        else if constexpr (std::is_same_v<T, milter::quarantine>)
          o << "quarantine{\"" << v.reason << "\"}";
        else if constexpr (std::is_same_v<T, milter::reply_code>)
          o << "reply_code{\"" << v.text << "\"}";
        else if constexpr (std::is_same_v<T, milter::replace_body>)
          o << "replace_body{" << v.data.size() << " bytes}";
        else
          o << milter::name_of(reply{v});
      },
      r);
  return o.str();
}

std::string show(const std::vector<reply>& rs) {
  std::string out;
  for (const auto& r : rs) out += "  " + show(r) + "\n";
  return out.empty() ? "  (none)\n" : out;
}

// ---------------------------------------------------------------- the server

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

std::filesystem::path key_file() {
  static const std::filesystem::path path = [] {
    auto p = std::filesystem::temp_directory_path() / ("mt-engine-test-" + std::to_string(::getpid()) + ".key");
    std::ofstream(p) << kKey << "\n";
    std::atexit([] { std::filesystem::remove(std::filesystem::temp_directory_path() /
                                             ("mt-engine-test-" + std::to_string(::getpid()) + ".key")); });
    return p;
  }();
  return path;
}

// The test configuration; MAILTRIAGE_TEST_MODEL (a bundle directory) replaces the
// built-in model when set.
std::string config_yaml(const std::string& milter_section) {
  std::string y = "milter:\n  listen: inet:0@127.0.0.1\n  worker_threads: 2\n" + milter_section;
  if (const char* m = std::getenv("MAILTRIAGE_TEST_MODEL"); m && *m) y += std::string("model:\n  path: ") + m + "\n";
  y += "policy:\n  hmac_key_file: " + key_file().string() + "\n" + kRules;
  return y;
}

// Delegates to the engine after a delay: a verdict slower than the deadline.
class slow_handler : public milter::message_handler {
 public:
  slow_handler(std::shared_ptr<const milter::message_handler> inner, std::chrono::milliseconds delay)
      : inner_(std::move(inner)), delay_(delay) {}
  milter::decision judge(const milter::transaction& t) const override {
    std::this_thread::sleep_for(delay_);
    return inner_->judge(t);
  }

 private:
  std::shared_ptr<const milter::message_handler> inner_;
  std::chrono::milliseconds delay_;
};

// Server options as mailtriaged derives them from the configuration (src/daemon/main.cpp).
// The daemon's own mapping from configuration to server options.
milter::server_options options_from(const config::daemon_config& cfg) { return daemon::to_server_options(cfg); }

// The server on its own I/O thread for the duration of a test.
class running_server {
 public:
  running_server(milter::server_options opts, std::shared_ptr<const milter::message_handler> h)
      : srv_(io_, std::move(opts), std::move(h)) {
    srv_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_server() {
    srv_.close_all();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  milter::socket_spec spec() const {
    auto s = milter::parse_socket_spec("inet:0@127.0.0.1").value();
    s.port = srv_.port();
    return s;
  }
  milter::server& get() { return srv_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  milter::server srv_;
  std::thread thread_;
};

struct outgoing {
  milter::envelope env;
  std::string raw = kMessage;
};

outgoing from(const std::string& sender, std::vector<std::string> rcpts = {"<rcpt@dest.example>"}) {
  outgoing m;
  m.env.sender = sender;
  m.env.recipients = std::move(rcpts);
  m.env.queue_id = kQueueId;
  return m;
}

// Sends the messages over one connection, in order.
std::vector<milter::message_result> send_all(const milter::socket_spec& spec, const std::vector<outgoing>& msgs) {
  asio::io_context io;
  std::promise<std::vector<milter::message_result>> p;
  auto f = p.get_future();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<std::vector<milter::message_result>> {
        milter::client c(io.get_executor());
        co_await c.connect(spec);
        co_await c.negotiate();
        std::vector<milter::message_result> out;
        for (const auto& m : msgs) out.push_back(co_await c.send(m.env, m.raw));
        co_await c.quit();
        co_return out;
      },
      [&p](std::exception_ptr e, std::vector<milter::message_result> r) {
        if (e)
          p.set_exception(e);
        else
          p.set_value(std::move(r));
      });
  io.run();
  return f.get();
}

// ---------------------------------------------------------------- the fixture

class EngineMilter : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      cfg_ = config::load_text(config_yaml(""), "test.yaml");
      engine_ = engine::build_engine(cfg_);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() { engine_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(engine_) << "engine::build_engine(config::load_text(...)) failed, so mailtriaged cannot start "
                            "with this configuration either: "
                         << error_;
  }

  // The verdict headers at `at` in `mods`: checked (names, order, format, signature)
  // and returned so the test can build the exact expected sequence.
  struct ours {
    std::string category, score, verdict;
    std::vector<reply> replies;  // the add_header replies, in order
  };
  static ours verdict_headers(const std::vector<reply>& mods, std::size_t at) {
    ours o;
    auto header_at = [&](std::size_t i) -> const milter::add_header* {
      return i < mods.size() ? std::get_if<milter::add_header>(&mods[i]) : nullptr;
    };
    const auto* cat = header_at(at);
    const auto* score = header_at(at + 1);
    EXPECT_TRUE(cat && cat->name == "X-Triage-Category")
        << "want add_header X-Triage-Category at position " << at << " of\n" << show(mods);
    EXPECT_TRUE(score && score->name == "X-Triage-Score")
        << "want add_header X-Triage-Score at position " << at + 1 << " of\n" << show(mods);
    if (!cat || !score) return o;
    std::size_t next = at + 2;
    const auto* reasons = header_at(next);
    if (reasons && reasons->name == "X-Triage-Reasons") ++next;
    else reasons = nullptr;
    const auto* verdict = header_at(next);
    EXPECT_TRUE(verdict && verdict->name == "X-Triage-Verdict")
        << "want add_header X-Triage-Verdict at position " << next << " of\n" << show(mods);
    if (!verdict) return o;
    o.category = cat->value;
    o.score = score->value;
    o.verdict = verdict->value;
    EXPECT_TRUE(o.category == "ham" || o.category == "spam") << o.category;
    EXPECT_TRUE(std::regex_match(o.score, std::regex(R"([01]\.[0-9]{3})"))) << o.score;
    if (reasons) {
      EXPECT_TRUE(std::regex_match(reasons->value, std::regex(R"([^,]+ [+-][0-9]+\.[0-9]{2}(, [^,]+ [+-][0-9]+\.[0-9]{2})*)")))
          << reasons->value;
    }
    const std::string sig = hmac_sha256_hex(kKey, std::string(kQueueId) + "|" + o.category + "|" + o.score);
    EXPECT_TRUE(std::regex_match(o.verdict, std::regex("category=" + o.category + "; score=" +
                                                       std::regex_replace(o.score, std::regex(R"(\.)"), R"(\.)") +
                                                       "; model=[^;]+; queue=" + kQueueId + "; sig=" + sig)))
        << "verdict header '" << o.verdict << "', want category, score, model, queue=" << kQueueId
        << " and sig=" << sig << " (HMAC-SHA256 over queue|category|score)";
    o.replies.assign(mods.begin() + static_cast<std::ptrdiff_t>(at),
                     mods.begin() + static_cast<std::ptrdiff_t>(next + 1));
    return o;
  }

  static std::vector<reply> concat(std::initializer_list<std::vector<reply>> parts) {
    std::vector<reply> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  }

  static void expect_mods(const milter::message_result& r, const std::vector<reply>& want) {
    EXPECT_EQ(show(r.modifications), show(want)) << "modification replies differ (got left, want right)";
    if (show(r.modifications) == show(want)) {
      EXPECT_TRUE(r.modifications == want) << "modification replies differ in a field show() leaves out";
    }
  }
  static void expect_final(const milter::message_result& r, const reply& want) {
    EXPECT_EQ(show(r.final_reply), show(want)) << "at stage " << r.stage;
    EXPECT_EQ(r.stage, "eom");
  }

  milter::message_result send(const outgoing& m) {
    running_server srv(options_from(cfg_), engine_);
    auto r = send_all(srv.spec(), {m});
    EXPECT_EQ(srv.get().stats().fallbacks[static_cast<int>(milter::fallback_reason::timeout)].load() +
                  srv.get().stats().fallbacks[static_cast<int>(milter::fallback_reason::error)].load(),
              0u)
        << "the engine's verdict ended in the fallback";
    return r.front();
  }

  static inline config::daemon_config cfg_;
  static inline std::shared_ptr<const engine::engine> engine_;
  static inline std::string error_;
};

// ---------------------------------------------------------------- actions

TEST_F(EngineMilter, NoRuleGivesOnlyTheVerdictHeaders) {
  auto r = send(from("<sender@plain.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, o.replies);
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, AddHeaderAndSubjectPrefixAsChangeHeader) {
  auto r = send(from("<sender@tag.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies,
                         {milter::add_header{"X-Triage-Route", "tag-rule"},
                          milter::change_header{1, "Subject", "[TAGGED] quarterly report"}}}));
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, SenderDomainMatchesSubdomainsAndAnyCase) {
  for (const char* sender : {"<a@mail.tag.example>", "<A@TAG.Example>", "a@tag.example"}) {
    SCOPED_TRACE(sender);
    auto r = send(from(sender));
    auto o = verdict_headers(r.modifications, 0);
    expect_mods(r, concat({o.replies,
                           {milter::add_header{"X-Triage-Route", "tag-rule"},
                            milter::change_header{1, "Subject", "[TAGGED] quarterly report"}}}));
  }
}

TEST_F(EngineMilter, SubjectAlreadyPrefixedIsLeftAlone) {
  auto m = from("<sender@tag.example>");
  m.raw = std::regex_replace(m.raw, std::regex("Subject: quarterly"), "Subject: [TAGGED] quarterly");
  auto r = send(m);
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies, {milter::add_header{"X-Triage-Route", "tag-rule"}}}));
}

TEST_F(EngineMilter, NoSubjectGetsOneWithThePrefix) {
  auto m = from("<sender@tag.example>");
  m.raw = std::regex_replace(m.raw, std::regex("Subject: quarterly report\r\n"), "");
  auto r = send(m);
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies,
                         {milter::add_header{"X-Triage-Route", "tag-rule"}, milter::add_header{"Subject", "[TAGGED] "}}}));
}

TEST_F(EngineMilter, FoldedSubjectIsUnfoldedBeforeThePrefix) {
  // RFC 5322 2.2.3: unfolding removes the CRLF, the white space after it stays, so the
  // new Subject is "[TAGGED] quarterly report"; turning CR and LF into spaces as well
  // ("quarterly   report") alters the subject the sender wrote.
  auto m = from("<sender@tag.example>");
  m.raw = std::regex_replace(m.raw, std::regex("Subject: quarterly report"), "Subject: quarterly\r\n report");
  auto r = send(m);
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies,
                         {milter::add_header{"X-Triage-Route", "tag-rule"},
                          milter::change_header{1, "Subject", "[TAGGED] quarterly report"}}}));
}

TEST_F(EngineMilter, RouteDeletesEveryRecipientThenAddsTheReviewMailbox) {
  auto r = send(from("<sender@route.example>", {"<rcpt@dest.example>", "<other@dest.example>"}));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies,
                         {milter::delete_recipient{"<rcpt@dest.example>"},
                          milter::delete_recipient{"<other@dest.example>"},
                          milter::add_recipient{"<review@review.example>", std::nullopt}}}));
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, ArchiveAddsARecipient) {
  auto r = send(from("<sender@archive.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies, {milter::add_recipient{"<archive@archive.example>", std::nullopt}}}));
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, HoldQuarantinesWithTheExpandedReason) {
  auto r = send(from("<sender@hold.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, concat({o.replies, {milter::quarantine{"held " + o.category}}}));
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, RejectIsAReplyCode) {
  auto r = send(from("<sender@reject.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, o.replies);
  expect_final(r, milter::reply_code{"550 5.7.1 Refused by policy"});
}

TEST_F(EngineMilter, TempfailIsAReplyCode) {
  auto r = send(from("<sender@tempfail.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, o.replies);
  expect_final(r, milter::reply_code{"451 4.7.1 Try later"});
}

TEST_F(EngineMilter, ShadowRuleIsNotApplied) {
  auto r = send(from("<sender@shadow.example>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, o.replies);
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, NullSenderMatchesNoSenderDomainRule) {
  auto r = send(from("<>"));
  auto o = verdict_headers(r.modifications, 0);
  expect_mods(r, o.replies);
  expect_final(r, milter::accept{});
}

// ---------------------------------------------------------------- anti-forgery

constexpr const char* kForgedHeaders =
    "X-Triage-Category: ham\r\n"
    "X-Triage-Verdict: category=ham; score=0.001; model=forged; queue=FORGED; sig=deadbeef\r\n"
    "x-triage-score: 0.001\r\n"
    "X-Triage-Category: ham\r\n"
    "X-Triage-Route: forged-route\r\n";

TEST_F(EngineMilter, ForgedHeadersAreDeletedHighestIndexFirstBeforeOurs) {
  auto m = from("<sender@tag.example>");
  m.raw = std::string("Received: from a by b; Tue, 01 Apr 2025 10:00:00 +0000\r\n") + kForgedHeaders + m.raw;
  auto r = send(m);
  const std::vector<reply> deletions = {
      milter::change_header{2, "X-Triage-Category", ""},  // highest index first
      milter::change_header{1, "X-Triage-Category", ""},
      milter::change_header{1, "X-Triage-Verdict", ""},
      milter::change_header{1, "x-triage-score", ""},
      milter::change_header{1, "X-Triage-Route", ""},
  };
  auto o = verdict_headers(r.modifications, deletions.size());
  expect_mods(r, concat({deletions, o.replies,
                         {milter::add_header{"X-Triage-Route", "tag-rule"},
                          milter::change_header{1, "Subject", "[TAGGED] quarterly report"}}}));
  expect_final(r, milter::accept{});
}

TEST_F(EngineMilter, ForgedHeadersAreDeletedOnARejectedMessageToo) {
  auto m = from("<sender@reject.example>");
  m.raw = std::string("X-Triage-Verdict: category=ham; score=0.001; model=forged\r\n") + m.raw;
  auto r = send(m);
  auto o = verdict_headers(r.modifications, 1);
  expect_mods(r, concat({{milter::change_header{1, "X-Triage-Verdict", ""}}, o.replies}));
  expect_final(r, milter::reply_code{"550 5.7.1 Refused by policy"});
}

// ---------------------------------------------------------------- one connection

TEST_F(EngineMilter, SeveralMessagesOnOneConnectionEachGetTheirOwnRules) {
  running_server srv(options_from(cfg_), engine_);
  auto rs = send_all(srv.spec(), {from("<s@tag.example>"), from("<s@reject.example>"), from("<s@plain.example>"),
                                  from("<s@route.example>"), from("<s@hold.example>")});
  ASSERT_EQ(rs.size(), 5u);
  auto o0 = verdict_headers(rs[0].modifications, 0);
  expect_mods(rs[0], concat({o0.replies,
                             {milter::add_header{"X-Triage-Route", "tag-rule"},
                              milter::change_header{1, "Subject", "[TAGGED] quarterly report"}}}));
  expect_final(rs[0], milter::accept{});
  auto o1 = verdict_headers(rs[1].modifications, 0);
  expect_mods(rs[1], o1.replies);
  expect_final(rs[1], milter::reply_code{"550 5.7.1 Refused by policy"});
  auto o2 = verdict_headers(rs[2].modifications, 0);
  expect_mods(rs[2], o2.replies);
  expect_final(rs[2], milter::accept{});
  auto o3 = verdict_headers(rs[3].modifications, 0);
  expect_mods(rs[3], concat({o3.replies,
                             {milter::delete_recipient{"<rcpt@dest.example>"},
                              milter::add_recipient{"<review@review.example>", std::nullopt}}}));
  auto o4 = verdict_headers(rs[4].modifications, 0);
  expect_mods(rs[4], concat({o4.replies, {milter::quarantine{"held " + o4.category}}}));
  EXPECT_EQ(srv.get().stats().messages.load(), 5u);
}

// ---------------------------------------------------------------- deadline

// A verdict slower than milter.timeouts.verdict: the daemon's fallback (on_failure)
// decides, and forged headers are still removed.
class EngineMilterDeadline : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineMilterDeadline, SlowVerdictGetsTheFallback) {
  config::daemon_config cfg;
  std::shared_ptr<const engine::engine> eng;
  try {
    cfg = config::load_text(config_yaml("  timeouts:\n    verdict: 100ms\n  on_failure: " + GetParam() + "\n"),
                            "test.yaml");
    eng = engine::build_engine(cfg);
  } catch (const std::exception& e) {
    FAIL() << "engine::build_engine failed: " << e.what();
  }
  ASSERT_EQ(cfg.milter.verdict_timeout, 100ms);
  running_server srv(options_from(cfg), std::make_shared<slow_handler>(eng, 600ms));
  auto m = from("<sender@tag.example>");
  m.raw = std::string(kForgedHeaders) + m.raw;
  auto start = std::chrono::steady_clock::now();
  auto r = send_all(srv.spec(), {m}).front();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, 500ms) << "the fallback must come at the deadline, not after the slow verdict";
  std::vector<reply> want = {
      milter::change_header{2, "X-Triage-Category", ""}, milter::change_header{1, "X-Triage-Category", ""},
      milter::change_header{1, "X-Triage-Verdict", ""},  milter::change_header{1, "x-triage-score", ""},
      milter::change_header{1, "X-Triage-Route", ""},
  };
  if (GetParam() == "accept") {
    want.push_back(milter::add_header{"X-Triage-Status", "skipped; reason=timeout"});
  }
  EXPECT_EQ(show(r.modifications), show(want));
  EXPECT_TRUE(r.modifications == want);
  reply final = milter::accept{};
  if (GetParam() == "tempfail") final = milter::reply_code{"451 4.7.1 Message could not be scanned, please try again later"};
  if (GetParam() == "reject") final = milter::reply_code{"550 5.7.1 Message could not be scanned"};
  EXPECT_EQ(show(r.final_reply), show(final));
  EXPECT_EQ(srv.get().stats().fallbacks[static_cast<int>(milter::fallback_reason::timeout)].load(), 1u);
}

INSTANTIATE_TEST_SUITE_P(OnFailure, EngineMilterDeadline, ::testing::Values("accept", "tempfail", "reject"));

TEST_F(EngineMilter, RealVerdictIsWellWithinTheDefaultDeadline) {
  ASSERT_EQ(cfg_.milter.verdict_timeout, 5000ms);
  running_server srv(options_from(cfg_), engine_);
  auto start = std::chrono::steady_clock::now();
  auto rs = send_all(srv.spec(), {from("<a@plain.example>"), from("<b@plain.example>"), from("<c@plain.example>")});
  auto per_message = (std::chrono::steady_clock::now() - start) / 3;
  EXPECT_LT(per_message, 1000ms);
  for (const auto& r : rs) EXPECT_FALSE(verdict_headers(r.modifications, 0).verdict.empty());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(srv.get().stats().fallbacks[i].load(), 0u) << "fallback reason " << i;
}

// milter.skip_unscanned_body, from the configuration to the negotiation: taken, the
// MTA is told to skip a body beyond scan_bytes; by default the body is sent whole.
TEST_F(EngineMilter, SkipUnscannedBodyComesFromTheConfiguration) {
  for (bool skip : {false, true}) {
    auto cfg = config::load_text(config_yaml(std::string("  skip_unscanned_body: ") + (skip ? "true" : "false") +
                                             "\n  limits:\n    scan_bytes: 1KiB\n"),
                                 "test.yaml");
    EXPECT_EQ(cfg.milter.skip_unscanned_body, skip);
    running_server srv(options_from(cfg), engine_);
    auto m = from("<big@plain.example>");
    m.raw += std::string(200'000, 'x') + "\r\n";
    auto r = send_all(srv.spec(), {m}).front();
    EXPECT_EQ(r.body_skipped, skip);
    EXPECT_FALSE(verdict_headers(r.modifications, 0).verdict.empty());  // judged on its first KiB
  }
}

// ---------------------------------------------------------------- metrics and logs

// Counts lines of `text` containing every one of `parts`.
std::size_t lines_with(const std::string& text, std::initializer_list<std::string> parts) {
  std::size_t n = 0, start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string_view::npos;
    n += all ? 1 : 0;
    start = end + 1;
  }
  return n;
}

TEST_F(EngineMilter, VerdictsAreCountedAcrossEnginesAndLoggedWithPseudonymsOnly) {
  observability::registry registry;
  auto metrics = std::make_shared<const engine::engine_metrics>(registry);
  auto first = engine::build_engine(cfg_, metrics);
  auto second = engine::build_engine(cfg_, metrics);  // a reload: same metrics object
  testing::internal::CaptureStderr();
  std::vector<milter::message_result> rs;
  {
    running_server srv(options_from(cfg_), first);
    rs = send_all(srv.spec(), {from("<Person.One@reject.example>"), from("<person.two@plain.example>")});
    srv.get().set_handler(second);
    auto more = send_all(srv.spec(), {from("<person.three@reject.example>")});
    rs.push_back(more.front());
  }
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_EQ(rs.size(), 3u);
  std::map<std::string, int> want;  // "category/action" -> count, from what the MTA saw
  for (const auto& r : rs) {
    std::string cat = verdict_headers(r.modifications, 0).category;
    want[cat + "/" + milter::outcome_name(r.final_reply)]++;
  }
  const std::string text = registry.render();
  for (const auto& [key, n] : want) {
    auto slash = key.find('/');
    std::string series = "mailtriage_verdicts_total{category=\"" + key.substr(0, slash) + "\",action=\"" +
                         key.substr(slash + 1) + "\"} " + std::to_string(n) + "\n";
    EXPECT_NE(text.find(series), std::string::npos) << "want " << series << "in\n" << text;
  }
  EXPECT_NE(text.find("mailtriage_engine_stage_seconds_count{stage=\"verdict\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mailtriage_engine_stage_seconds_count{stage=\"mime_parse\"} 3\n"), std::string::npos);

  // One verdict line per message, with session, queue id and pseudonyms; no address.
  EXPECT_EQ(lines_with(log, {"event=verdict", "session=c", std::string("queue_id=") + kQueueId, "sender=ps:",
                             "rcpts=ps:", "rcpt_count=1", "subject=-"}),
            3u)
      << log;
  EXPECT_EQ(lines_with(log, {"event=verdict", "sender=" + log::pseudonym("person.one@reject.example")}), 1u);
  for (const char* raw : {"person", "Person", "reject.example", "plain.example", "dest.example", "quarterly"})
    EXPECT_EQ(log.find(raw), std::string::npos) << "'" << raw << "' in the log:\n" << log;
}

TEST_F(EngineMilter, SubjectsAreLoggedOnlyWhenTheOperatorOptsIn) {
  auto run = [&] {
    testing::internal::CaptureStderr();
    {
      running_server srv(options_from(cfg_), engine_);
      (void)send_all(srv.spec(), {from("<s@plain.example>")});
    }
    return testing::internal::GetCapturedStderr();
  };
  std::string off = run();
  log::set_privacy({false, true});
  std::string on = run();
  log::set_privacy({});
  EXPECT_EQ(off.find("quarterly report"), std::string::npos) << off;
  EXPECT_EQ(lines_with(on, {"event=verdict", "subject=\"quarterly report\""}), 1u) << on;
}

}  // namespace
}  // namespace mailtriage
