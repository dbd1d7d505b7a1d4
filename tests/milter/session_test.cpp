// The session state machine, driven command by command with no sockets at all.
#include "mailtriage/milter/session.hpp"

#include <gtest/gtest.h>

#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::milter {
namespace {

// What Postfix 3.x offers in SMFIC_OPTNEG.
constexpr std::uint32_t kPostfixActions = 0x1FF;
constexpr std::uint32_t kPostfixProtocol = SMFI_CURR_PROT;

session_wants test_wants() {
  session_wants w;
  w.macro_lists = {{stage::connect, "j {client_addr}"}, {stage::eom, "i"}};
  return w;
}

class SessionTest : public ::testing::Test {
 protected:
  session s{session_limits{}, test_wants()};

  step send(command c) { return s.on_command(std::move(c)); }

  void negotiate(std::uint32_t version = 6, std::uint32_t protocol = kPostfixProtocol) {
    auto st = send(option_negotiation{version, kPostfixActions, protocol, {}});
    ASSERT_FALSE(st.error);
    ASSERT_EQ(st.replies.size(), 1u);
  }

  // A session with other limits (and wants), negotiated as with Postfix.
  static session negotiated(const session_limits& lim, session_wants wants = test_wants()) {
    session small{lim, std::move(wants)};
    small.on_command(option_negotiation{6, kPostfixActions, kPostfixProtocol, {}});
    return small;
  }

  // A whole message up to end-of-message; returns the final step.
  step message(const std::string& subject, const std::string& body) {
    EXPECT_TRUE(send(mail_from{{"<a@example.org>"}}).replies.empty());
    EXPECT_TRUE(send(rcpt_to{{"<b@example.net>"}}).replies.empty());
    EXPECT_TRUE(send(data_command{}).replies.empty());
    EXPECT_TRUE(send(header{"Subject", subject}).replies.empty());
    EXPECT_TRUE(send(header{"From", "a@example.org"}).replies.empty());
    EXPECT_TRUE(send(end_of_headers{}).replies.empty());
    send(body_chunk{body});
    return send(end_of_message{});
  }
};

TEST_F(SessionTest, NegotiatesWithPostfixOffer) {
  auto st = send(option_negotiation{6, kPostfixActions, kPostfixProtocol, {}});
  ASSERT_EQ(st.replies.size(), 1u);
  auto& o = std::get<option_negotiation>(st.replies[0]);
  EXPECT_EQ(o.version, 6u);
  EXPECT_EQ(o.actions, kPostfixActions);
  // No replies wanted before end of message, body chunks included (SKIP, offered, is
  // not taken unless asked for: session_wants::skip_unscanned_body); nothing unknown.
  for (auto flag : {SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL, SMFIP_NR_RCPT, SMFIP_NR_DATA, SMFIP_NR_HDR,
                    SMFIP_NR_EOH, SMFIP_NR_BODY, SMFIP_NOUNKNOWN})
    EXPECT_TRUE(o.protocol & flag) << std::hex << flag;
  EXPECT_FALSE(o.protocol & SMFIP_SKIP);
  EXPECT_FALSE(o.protocol & SMFIP_NOHDRS);
  EXPECT_FALSE(o.protocol & SMFIP_NOBODY);
  EXPECT_EQ(o.macro_lists, test_wants().macro_lists);
}

// DATA is not answered but acknowledged at once: Postfix's Nagle would otherwise hold
// its first header frame for our delayed ACK (40 ms per message over TCP, e2e's
// latency probe). An MTA that does not offer NR_DATA gets its reply, and nothing else.
TEST(Session, UnansweredDataIsAcknowledgedAtOnce) {
  for (std::uint32_t offered : {kPostfixProtocol, kPostfixProtocol & ~std::uint32_t{SMFIP_NR_DATA}}) {
    session s(session_limits{}, session_wants{});
    s.on_command(option_negotiation{6, kPostfixActions, offered, {}});
    s.on_command(mail_from{{"<a@example.org>"}});
    s.on_command(rcpt_to{{"<b@example.net>"}});
    auto data = s.on_command(data_command{});
    const bool unanswered = offered & SMFIP_NR_DATA;
    EXPECT_EQ(data.replies.empty(), unanswered);
    EXPECT_EQ(data.acknowledge_now, unanswered);
    EXPECT_FALSE(s.on_command(header{"Subject", "x"}).acknowledge_now);
  }
}

TEST_F(SessionTest, NeverAsksForWhatTheMtaDidNotOffer) {
  const std::uint32_t offer = SMFIP_NR_HDR | SMFIP_NOUNKNOWN;
  auto st = send(option_negotiation{6, action::add_headers, offer, {}});
  auto& o = std::get<option_negotiation>(st.replies[0]);
  EXPECT_EQ(o.protocol & ~offer, 0u);
  EXPECT_EQ(o.actions, action::add_headers);
  // Without SETSYMLIST the MTA cannot take macro lists.
  EXPECT_TRUE(o.macro_lists.empty());
}

TEST_F(SessionTest, OldMtaVersion2GetsContinueForEveryCommand) {
  auto st = send(option_negotiation{2, 0x3F, SMFI_V2_PROT, {}});
  auto& o = std::get<option_negotiation>(st.replies[0]);
  EXPECT_EQ(o.version, 2u);
  EXPECT_TRUE(o.macro_lists.empty());
  EXPECT_EQ(send(connect_info{"h", '4', 25, "192.0.2.1"}).replies.size(), 1u);
  EXPECT_EQ(send(helo{"x"}).replies.size(), 1u);
  EXPECT_EQ(send(mail_from{{"<a@b>"}}).replies.size(), 1u);
  EXPECT_EQ(send(rcpt_to{{"<c@d>"}}).replies.size(), 1u);
  auto h = send(header{"Subject", "x"});
  ASSERT_EQ(h.replies.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<continue_>(h.replies[0]));
  EXPECT_EQ(send(end_of_headers{}).replies.size(), 1u);
  EXPECT_EQ(send(body_chunk{"b"}).replies.size(), 1u);
  EXPECT_TRUE(send(end_of_message{}).message_ready);
}

TEST_F(SessionTest, RefusesProtocolVersion1) {
  auto st = send(option_negotiation{1, 0xF, 0, {}});
  EXPECT_TRUE(st.close);
  EXPECT_EQ(st.error, session_error::unsupported_version);
}

TEST_F(SessionTest, NewerMtaGetsOurVersion) {
  auto st = send(option_negotiation{7, kPostfixActions, kPostfixProtocol, {}});
  EXPECT_EQ(std::get<option_negotiation>(st.replies[0]).version, 6u);
}

TEST_F(SessionTest, RebuildsTheMessageAndEnvelope) {
  negotiate();
  send(define_macros{'C', {{"j", "mx"}, {"{client_addr}", "192.0.2.7"}}});
  send(connect_info{"client.example", '4', 4000, "192.0.2.7"});
  send(helo{"client.example"});
  send(define_macros{'M', {{"i", "QID123"}, {"{auth_authen}", "alice"}}});
  auto st = message("hello\n\tfolded", "Body line\r\n");
  ASSERT_TRUE(st.message_ready);
  transaction t = s.take_transaction();
  EXPECT_EQ(t.raw, "Subject: hello\r\n\tfolded\r\nFrom: a@example.org\r\n\r\nBody line\r\n");
  EXPECT_EQ(t.connection.client_address, "192.0.2.7");
  EXPECT_EQ(t.connection.helo, "client.example");
  EXPECT_EQ(t.sender, (std::vector<std::string>{"<a@example.org>"}));
  ASSERT_EQ(t.recipients.size(), 1u);
  EXPECT_EQ(t.queue_id(), "QID123");
  EXPECT_EQ(t.macro("{auth_authen}"), "alice");
  EXPECT_EQ(t.macro("auth_authen"), "alice");
  EXPECT_EQ(t.macro("client_addr"), "192.0.2.7");
  EXPECT_EQ(t.header_count, 2u);
  EXPECT_FALSE(t.truncated);
}

TEST_F(SessionTest, FoldedHeaderLinesGetCrlfOnlyWhereTheLfIsBare) {
  negotiate();
  auto st = message("\n\ta\r\n\tb\n\n\tc", "x\r\n");
  ASSERT_TRUE(st.message_ready);
  EXPECT_EQ(s.take_transaction().raw,
            "Subject: \r\n\ta\r\n\tb\r\n\r\n\tc\r\nFrom: a@example.org\r\n\r\nx\r\n");
}

TEST_F(SessionTest, NothingLeaksIntoTheNextMessage) {
  negotiate();
  send(connect_info{"h", '4', 25, "192.0.2.1"});
  send(define_macros{'M', {{"i", "FIRST"}}});
  ASSERT_TRUE(message("one", "first body\r\n").message_ready);
  (void)s.take_transaction();
  auto done = s.complete(decision{});
  EXPECT_TRUE(std::holds_alternative<accept>(done.replies.back()));
  EXPECT_FALSE(s.in_message());

  ASSERT_TRUE(message("two", "second\r\n").message_ready);
  transaction t = s.take_transaction();
  EXPECT_EQ(t.raw.find("first body"), std::string::npos);
  EXPECT_EQ(t.queue_id(), "-");  // message macros were reset
  EXPECT_EQ(t.recipients.size(), 1u);
  EXPECT_EQ(t.connection.client_address, "192.0.2.1");  // connection facts persist
  EXPECT_EQ(s.messages_completed(), 1u);
}

TEST_F(SessionTest, AbortDropsTheMessage) {
  negotiate();
  send(mail_from{{"<a@b>"}});
  send(rcpt_to{{"<c@d>"}});
  send(header{"Subject", "aborted"});
  EXPECT_TRUE(s.in_message());
  EXPECT_TRUE(send(abort_message{}).replies.empty());
  EXPECT_FALSE(s.in_message());
  ASSERT_TRUE(message("next", "x\r\n").message_ready);
  auto t = s.take_transaction();
  EXPECT_EQ(t.raw.find("aborted"), std::string::npos);
  EXPECT_EQ(t.recipients.size(), 1u);
}

TEST_F(SessionTest, QuitNewConnectionStartsAFreshSmtpSession) {
  negotiate();
  send(define_macros{'C', {{"{client_addr}", "192.0.2.1"}}});
  send(connect_info{"a", '4', 25, "192.0.2.1"});
  EXPECT_TRUE(send(quit_new_connection{}).replies.empty());
  send(connect_info{"b", '4', 25, "198.51.100.2"});
  ASSERT_TRUE(message("x", "y\r\n").message_ready);
  auto t = s.take_transaction();
  EXPECT_EQ(t.connection.client_address, "198.51.100.2");
  EXPECT_EQ(t.macro("client_addr"), "");
}

TEST_F(SessionTest, QuitCloses) {
  negotiate();
  auto st = send(quit{});
  EXPECT_TRUE(st.close);
  EXPECT_FALSE(st.error);
}

TEST_F(SessionTest, OutOfOrderCommandsAreProtocolErrors) {
  EXPECT_EQ(send(helo{"x"}).error, session_error::out_of_order);  // before negotiation
  session fresh{session_limits{}, test_wants()};
  fresh.on_command(option_negotiation{6, kPostfixActions, kPostfixProtocol, {}});
  EXPECT_EQ(fresh.on_command(rcpt_to{{"<a@b>"}}).error, session_error::out_of_order);  // RCPT before MAIL

  session twice{session_limits{}, test_wants()};
  twice.on_command(option_negotiation{6, kPostfixActions, kPostfixProtocol, {}});
  EXPECT_EQ(twice.on_command(option_negotiation{6, kPostfixActions, kPostfixProtocol, {}}).error,
            session_error::out_of_order);

  session backwards{session_limits{}, test_wants()};
  backwards.on_command(option_negotiation{6, kPostfixActions, kPostfixProtocol, {}});
  backwards.on_command(mail_from{{"<a@b>"}});
  backwards.on_command(rcpt_to{{"<c@d>"}});
  backwards.on_command(end_of_headers{});
  EXPECT_EQ(backwards.on_command(header{"Late", "x"}).error, session_error::out_of_order);
}

TEST_F(SessionTest, RepeatedHeloAndUnknownCommandsAreFine) {
  negotiate();
  send(helo{"one"});
  send(helo{"two"});  // EHLO again after STARTTLS
  EXPECT_FALSE(send(unknown_command{"XFOO"}).error);
  ASSERT_TRUE(message("x", "y\r\n").message_ready);
  EXPECT_EQ(s.take_transaction().connection.helo, "two");
}

TEST_F(SessionTest, MacroFloodIsBounded) {
  session_limits lim;
  lim.max_macro_bytes = 1024;
  session small = negotiated(lim);
  step st;
  for (int i = 0; i < 100 && !st.error; ++i)
    st = small.on_command(define_macros{'M', {{"{m" + std::to_string(i) + "}", std::string(50, 'v')}}});
  EXPECT_EQ(st.error, session_error::macro_limit);
  EXPECT_TRUE(st.close);
}

// A client that sends RCPT frames without end is cut off at max_envelope_bytes; each
// message has the whole budget.
TEST_F(SessionTest, EnvelopeBeyondItsLimitClosesTheConnection) {
  session_limits lim;
  lim.max_envelope_bytes = 1024;
  session small = negotiated(lim);
  auto recipients = [&](int n) {
    step st;
    for (int i = 0; i < n && !st.error; ++i)
      st = small.on_command(rcpt_to{{"<user" + std::to_string(100 + i) + "@example.net>"}});
    return st;
  };
  for (int m = 0; m < 3; ++m) {  // 30 recipients of 24 bytes each, message after message
    ASSERT_FALSE(small.on_command(mail_from{{"<a@example.org>"}}).error);
    ASSERT_FALSE(recipients(30).error) << "message " << m;
    small.on_command(data_command{});
    small.on_command(end_of_headers{});
    ASSERT_TRUE(small.on_command(end_of_message{}).message_ready);
    EXPECT_EQ(small.take_transaction().recipients.size(), 30u);
    (void)small.complete(decision{});
  }
  ASSERT_FALSE(small.on_command(mail_from{{"<a@example.org>"}}).error);
  step st = recipients(100);
  EXPECT_EQ(st.error, session_error::envelope_limit);
  EXPECT_TRUE(st.close);
}

// Postfix sends the end-of-header macros before every header: the limit bounds what the
// session holds, so the same macro defined again and again costs nothing more.
TEST_F(SessionTest, RedefinedMacroCountsOnce) {
  session_limits lim;
  lim.max_macro_bytes = 1024;
  session small = negotiated(lim);
  small.on_command(mail_from{{"<a@example.org>"}});
  for (int i = 0; i < 10000; ++i) {
    step st = small.on_command(define_macros{SMFIC_HEADER, {{"i", "4Xy2Kq1" + std::to_string(i % 10)}}});
    ASSERT_FALSE(st.error) << "header " << i;
    ASSERT_FALSE(small.on_command(header{"X-Many", std::to_string(i)}).error);
  }
  // A bigger value still counts in full.
  EXPECT_EQ(small.on_command(define_macros{SMFIC_HEADER, {{"i", std::string(2000, 'v')}}}).error,
            session_error::macro_limit);
}

TEST_F(SessionTest, ScanLimitTruncatesAndSkipsTheRestOfTheBody) {
  session_limits lim;
  lim.scan_bytes = 1024;
  session_wants wants = test_wants();
  wants.skip_unscanned_body = true;
  session small = negotiated(lim, wants);
  small.on_command(mail_from{{"<a@b>"}});
  small.on_command(rcpt_to{{"<c@d>"}});
  small.on_command(header{"Subject", "big"});
  small.on_command(end_of_headers{});
  auto first = small.on_command(body_chunk{std::string(800, 'a')});
  ASSERT_EQ(first.replies.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<continue_>(first.replies[0]));
  auto second = small.on_command(body_chunk{std::string(800, 'b')});
  ASSERT_EQ(second.replies.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<skip>(second.replies[0]));
  ASSERT_TRUE(small.on_command(end_of_message{}).message_ready);
  auto t = small.take_transaction();
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.raw.size(), 1024u);
  EXPECT_GT(t.message_bytes, 1600u);
}

TEST_F(SessionTest, WithoutSkipTheBodyIsCountedNotBuffered) {
  session_limits lim;
  lim.scan_bytes = 1024;
  // An MTA that offers no SKIP to a session that would take it, and Postfix's offer
  // (SKIP included) to a session that does not want it: both send the whole body.
  session_wants would_skip = test_wants();
  would_skip.skip_unscanned_body = true;
  const std::pair<std::uint32_t, session_wants> cases[] = {{kPostfixProtocol & ~SMFIP_SKIP, would_skip},
                                                           {kPostfixProtocol, test_wants()}};
  for (const auto& [offered, wants] : cases) {
    session small{lim, wants};
    auto neg = small.on_command(option_negotiation{6, kPostfixActions, offered, {}});
    EXPECT_TRUE(std::get<option_negotiation>(neg.replies[0]).protocol & SMFIP_NR_BODY);
    EXPECT_FALSE(std::get<option_negotiation>(neg.replies[0]).protocol & SMFIP_SKIP);
    small.on_command(mail_from{{"<a@b>"}});
    for (int i = 0; i < 100; ++i)
      EXPECT_TRUE(small.on_command(body_chunk{std::string(65535, 'x')}).replies.empty());
    ASSERT_TRUE(small.on_command(end_of_message{}).message_ready);
    auto t = small.take_transaction();
    EXPECT_EQ(t.raw.size(), 1024u);
    EXPECT_EQ(t.message_bytes, 100u * 65535u);
  }
}

TEST_F(SessionTest, HeaderIndexesCountPerNameAndStopAtTheLimit) {
  session_limits lim;
  lim.max_headers = 3;
  session small = negotiated(lim);
  small.on_command(mail_from{{"<a@b>"}});
  small.on_command(header{"Received", "1"});
  small.on_command(header{"X-Triage-Category", "forged"});
  small.on_command(header{"received", "2"});
  small.on_command(header{"Received", "3"});
  ASSERT_TRUE(small.on_command(end_of_message{}).message_ready);
  auto t = small.take_transaction();
  ASSERT_EQ(t.headers.size(), 3u);
  EXPECT_EQ(t.headers[2].index, 2u);  // second "Received", case-insensitive
  EXPECT_EQ(t.header_count, 4u);
}

TEST_F(SessionTest, ModificationsTheMtaDidNotGrantAreDropped) {
  session limited{session_limits{}, test_wants()};
  limited.on_command(option_negotiation{6, action::add_headers, kPostfixProtocol, {}});
  limited.on_command(mail_from{{"<a@b>"}});
  ASSERT_TRUE(limited.on_command(end_of_message{}).message_ready);
  (void)limited.take_transaction();
  decision d;
  d.modifications = {add_header{"X-A", "1"}, quarantine{"held"}, add_recipient{"<r@x>", std::nullopt}};
  d.final_reply = reject{};
  auto done = limited.complete(std::move(d));
  ASSERT_EQ(done.replies.size(), 2u);
  EXPECT_EQ(std::get<add_header>(done.replies[0]).name, "X-A");
  EXPECT_TRUE(std::holds_alternative<reject>(done.replies[1]));
  EXPECT_EQ(done.dropped.size(), 2u);
}

TEST_F(SessionTest, ANonFinalVerdictBecomesAccept) {
  negotiate();
  ASSERT_TRUE(message("x", "y\r\n").message_ready);
  (void)s.take_transaction();
  decision d;
  d.final_reply = skip{};
  auto done = s.complete(std::move(d));
  EXPECT_TRUE(std::holds_alternative<accept>(done.replies.back()));
  EXPECT_EQ(done.dropped.size(), 1u);
}

TEST_F(SessionTest, LargerFramesOnlyWhenOfferedAndAllowed) {
  negotiate(6, kPostfixProtocol | SMFIP_MDS_1M);
  EXPECT_EQ(s.max_payload(), kDefaultMaxData);  // default limits keep 64 KiB
  session_limits lim;
  lim.max_data_size = kMaxData1M;
  session big{lim, test_wants()};
  auto st = big.on_command(option_negotiation{6, kPostfixActions, kPostfixProtocol | SMFIP_MDS_1M, {}});
  EXPECT_TRUE(std::get<option_negotiation>(st.replies[0]).protocol & SMFIP_MDS_1M);
  EXPECT_EQ(big.max_payload(), kMaxData1M);
}

TEST(HeaderCounts, CountsPerNameCaseInsensitively) {
  header_counts c;
  EXPECT_EQ(c.add("Received"), 1u);
  EXPECT_EQ(c.add("From"), 1u);
  EXPECT_EQ(c.add("RECEIVED"), 2u);
  EXPECT_EQ(c.add("received"), 3u);
  EXPECT_EQ(c.add("Receive"), 1u);  // a prefix is another name
  EXPECT_EQ(c.distinct_names(), 3u);
  c.clear();
  EXPECT_EQ(c.distinct_names(), 0u);
  EXPECT_EQ(c.add("received"), 1u);
}

TEST(HeaderCounts, GrowsPastItsFirstTableWithoutLosingCounts) {
  header_counts c;
  for (int round = 1; round <= 3; ++round)
    for (int i = 0; i < 500; ++i) EXPECT_EQ(c.add("X-Field-" + std::to_string(i)), static_cast<std::uint32_t>(round));
  EXPECT_EQ(c.distinct_names(), 500u);
  EXPECT_EQ(c.add("x-field-499"), 4u);
}

}  // namespace
}  // namespace mailtriage::milter
