// Golden transcripts: the exact bytes of every command and reply, written by hand from
// the protocol description (not produced by our encoder), checked both ways.
#include "mailtriage/milter/codec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mailtriage::milter {
namespace {

using namespace std::string_literals;

// Length prefix + code + payload, built independently of wire.hpp.
std::string frame_bytes(char code, const std::string& payload) {
  auto n = static_cast<std::uint32_t>(payload.size() + 1);
  std::string out;
  out += static_cast<char>(n >> 24);
  out += static_cast<char>((n >> 16) & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>(n & 0xff);
  out += code;
  return out + payload;
}

command decode_cmd(const std::string& bytes) {
  frame_decoder d;
  d.feed(bytes);
  auto f = d.next();
  EXPECT_TRUE(f.ok());
  EXPECT_TRUE(f.value().has_value());
  auto c = decode_command(*f.value());
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : describe(c.error()));
  return c.value();
}

reply decode_rep(const std::string& bytes) {
  frame_decoder d;
  d.feed(bytes);
  auto f = d.next();
  EXPECT_TRUE(f.ok());
  auto r = decode_reply(*f.value());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : describe(r.error()));
  return r.value();
}

struct command_case {
  const char* name;
  command value;
  std::string wire;
};

TEST(CodecGolden, EveryCommandBothWays) {
  const std::vector<command_case> cases = {
      {"optneg", option_negotiation{6, 0x1FF, 0x1FFFFF, {}},
       "\x00\x00\x00\x0d" "O" "\x00\x00\x00\x06" "\x00\x00\x01\xff" "\x00\x1f\xff\xff"s},
      {"macro", define_macros{'C', {{"j", "mx.example"}, {"{client_addr}", "192.0.2.1"}}},
       frame_bytes('D', "Cj\0mx.example\0{client_addr}\0" "192.0.2.1\0"s)},
      {"connect4", connect_info{"mail.example.org", '4', 25, "192.0.2.1"},
       frame_bytes('C', "mail.example.org\0" "4\x00\x19" "192.0.2.1\0"s)},
      {"connect6", connect_info{"[IPv6:2001:db8::1]", '6', 587, "2001:db8::1"},
       frame_bytes('C', "[IPv6:2001:db8::1]\0" "6\x02\x4b" "2001:db8::1\0"s)},
      {"connect_unix", connect_info{"localhost", 'L', 0, "/run/x.sock"},
       frame_bytes('C', "localhost\0L\x00\x00/run/x.sock\0"s)},
      {"connect_unknown", connect_info{"unknown", 'U', 0, ""}, frame_bytes('C', "unknown\0U"s)},
      {"helo", helo{"client.example"}, frame_bytes('H', "client.example\0"s)},
      {"mail", mail_from{{"<a@example.org>", "SIZE=1000", "BODY=8BITMIME"}},
       frame_bytes('M', "<a@example.org>\0SIZE=1000\0BODY=8BITMIME\0"s)},
      {"rcpt", rcpt_to{{"<b@example.net>"}}, frame_bytes('R', "<b@example.net>\0"s)},
      {"data", data_command{}, "\x00\x00\x00\x01T"s},
      {"header", header{"Subject", "hello\n\tworld"}, frame_bytes('L', "Subject\0hello\n\tworld\0"s)},
      {"eoh", end_of_headers{}, "\x00\x00\x00\x01N"s},
      {"body", body_chunk{"line\r\n\0binary"s}, frame_bytes('B', "line\r\n\0binary"s)},
      {"eom", end_of_message{""}, "\x00\x00\x00\x01" "E"s},
      {"abort", abort_message{}, "\x00\x00\x00\x01" "A"s},
      {"quit", quit{}, "\x00\x00\x00\x01Q"s},
      {"quit_nc", quit_new_connection{}, "\x00\x00\x00\x01K"s},
      {"unknown", unknown_command{"XFOO bar"}, frame_bytes('U', "XFOO bar\0"s)},
  };
  ASSERT_EQ(cases.size() - 3, std::variant_size_v<command>) << "every command type has a golden case";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(encode(c.value), c.wire);
    EXPECT_EQ(decode_cmd(c.wire), c.value);
  }
}

struct reply_case {
  const char* name;
  reply value;
  std::string wire;
};

TEST(CodecGolden, EveryReplyBothWays) {
  const std::vector<reply_case> cases = {
      {"optneg", option_negotiation{6, 0x1FF, 0x0003F000, {{0, "j {client_addr}"}, {5, "i"}}},
       frame_bytes('O', "\x00\x00\x00\x06\x00\x00\x01\xff\x00\x03\xf0\x00"
                        "\x00\x00\x00\x00j {client_addr}\0"
                        "\x00\x00\x00\x05i\0"s)},
      {"accept", accept{}, "\x00\x00\x00\x01" "a"s},
      {"continue", continue_{}, "\x00\x00\x00\x01" "c"s},
      {"discard", discard{}, "\x00\x00\x00\x01" "d"s},
      {"reject", reject{}, "\x00\x00\x00\x01r"s},
      {"tempfail", tempfail{}, "\x00\x00\x00\x01t"s},
      {"skip", skip{}, "\x00\x00\x00\x01s"s},
      {"progress", progress{}, "\x00\x00\x00\x01p"s},
      {"conn_fail", connection_failure{}, "\x00\x00\x00\x01" "f"s},
      {"shutdown", shutdown{}, "\x00\x00\x00\x01" "4"s},
      {"replycode", reply_code{"550 5.7.1 Rejected"}, frame_bytes('y', "550 5.7.1 Rejected\0"s)},
      {"replycode_multiline", reply_code{"550-5.7.1 first\r\n550 5.7.1 second"},
       frame_bytes('y', "550-5.7.1 first\r\n550 5.7.1 second\0"s)},
      {"addheader", add_header{"X-Triage-Category", "spam"}, frame_bytes('h', "X-Triage-Category\0spam\0"s)},
      {"insheader", insert_header{0, "X-First", "1"}, frame_bytes('i', "\x00\x00\x00\x00X-First\0" "1\0"s)},
      {"chgheader", change_header{2, "Subject", "[SPAM] hi"}, frame_bytes('m', "\x00\x00\x00\x02Subject\0[SPAM] hi\0"s)},
      {"delheader", change_header{1, "X-Triage-Category", ""}, frame_bytes('m', "\x00\x00\x00\x01X-Triage-Category\0\0"s)},
      {"chgfrom", change_from{"<new@example.org>", std::nullopt}, frame_bytes('e', "<new@example.org>\0"s)},
      {"chgfrom_args", change_from{"<new@example.org>", "SIZE=10"}, frame_bytes('e', "<new@example.org>\0SIZE=10\0"s)},
      {"addrcpt", add_recipient{"<review@example.org>", std::nullopt}, frame_bytes('+', "<review@example.org>\0"s)},
      {"addrcpt_par", add_recipient{"<review@example.org>", "NOTIFY=NEVER"},
       frame_bytes('2', "<review@example.org>\0NOTIFY=NEVER\0"s)},
      {"delrcpt", delete_recipient{"<b@example.net>"}, frame_bytes('-', "<b@example.net>\0"s)},
      {"replbody", replace_body{"new body\r\n"}, frame_bytes('b', "new body\r\n"s)},
      {"quarantine", quarantine{"phishing 0.99"}, frame_bytes('q', "phishing 0.99\0"s)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(encode(c.value), c.wire);
    EXPECT_EQ(decode_rep(c.wire), c.value);
  }
}

TEST(FrameDecoder, AssemblesFramesFedOneByteAtATime) {
  std::string stream = encode(command{helo{"a"}}) + encode(command{header{"To", "x"}}) + encode(command{quit{}});
  frame_decoder d;
  std::vector<char> codes;
  for (char byte : stream) {
    d.feed(std::string_view(&byte, 1));
    for (;;) {
      auto f = d.next();
      ASSERT_TRUE(f.ok());
      if (!f.value()) break;
      codes.push_back(f.value()->code);
    }
  }
  EXPECT_EQ(codes, (std::vector<char>{'H', 'L', 'Q'}));
  EXPECT_FALSE(d.mid_frame());
}

TEST(FrameDecoder, RefusesZeroLength) {
  frame_decoder d;
  d.feed("\x00\x00\x00\x00"s);
  auto f = d.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error(), codec_error::frame_too_short);
  // The decoder stays failed.
  d.feed(encode(command{quit{}}));
  EXPECT_FALSE(d.next().ok());
}

TEST(FrameDecoder, RefusesOverlongLengthBeforeBuffering) {
  frame_decoder d;
  d.feed("\x7f\xff\xff\xff" "B"s);  // claims 2 GiB: refused from the length alone
  auto f = d.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error(), codec_error::frame_too_long);
}

TEST(FrameDecoder, LimitFollowsNegotiatedSize) {
  std::string big = encode(command{body_chunk{std::string(100'000, 'x')}});
  frame_decoder small;
  small.feed(big);
  EXPECT_EQ(small.next().error(), codec_error::frame_too_long);
  frame_decoder large(kMaxData256K);
  large.feed(big);
  auto f = large.next();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value().has_value());
  EXPECT_EQ(f.value()->payload.size(), 100'000u);
}

TEST(FrameDecoder, AcceptsExactlyTheMaximum) {
  frame_decoder d;
  d.feed(encode(command{body_chunk{std::string(kDefaultMaxData, 'x')}}));
  auto f = d.next();
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value().has_value());
}

struct bad_case {
  const char* name;
  char code;
  std::string payload;
  codec_error expected;
};

TEST(CodecErrors, EachMalformedCommandHasItsOwnError) {
  const std::vector<bad_case> cases = {
      {"optneg short", 'O', "\x00\x00\x00\x06\x00\x00"s, codec_error::packet_too_short},
      {"optneg leftover", 'O', std::string(13, '\x01'), codec_error::leftover_data},
      {"helo no nul", 'H', "client"s, codec_error::missing_nul},
      {"helo leftover", 'H', "client\0junk"s, codec_error::leftover_data},
      {"connect bad family", 'C', "host\0X"s, codec_error::bad_family},
      {"connect no port", 'C', "host\0" "4\x00"s, codec_error::packet_too_short},
      {"connect no address nul", 'C', "host\0" "4\x00\x19" "1.2.3.4"s, codec_error::missing_nul},
      {"header one string", 'L', "Subject\0"s, codec_error::missing_nul},
      {"mail empty", 'M', ""s, codec_error::missing_argument},
      {"rcpt unterminated", 'R', "<a@b>"s, codec_error::missing_nul},
      {"data with payload", 'T', "x"s, codec_error::leftover_data},
      {"unknown code", 'Z', ""s, codec_error::unknown_code},
      {"control byte", '\x01', ""s, codec_error::unknown_code},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = decode_command(frame{c.code, c.payload});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.expected);
  }
}

TEST(CodecErrors, MalformedReplies) {
  EXPECT_EQ(decode_reply(frame{'h', "name\0"s}).error(), codec_error::missing_nul);
  EXPECT_EQ(decode_reply(frame{'m', "\x00\x00"s}).error(), codec_error::packet_too_short);
  EXPECT_EQ(decode_reply(frame{'a', "x"s}).error(), codec_error::leftover_data);
  EXPECT_EQ(decode_reply(frame{'Z', ""s}).error(), codec_error::unknown_code);
  EXPECT_STREQ(describe(codec_error::missing_nul), "missing string null terminator");
}

TEST(CodecErrors, MacroWithDanglingNameKeepsThePairs) {
  auto c = decode_command(frame{'D', "Mi\0" "ABC\0{auth_authen}\0"s});
  ASSERT_TRUE(c.ok());
  auto& m = std::get<define_macros>(c.value());
  ASSERT_EQ(m.macros.size(), 1u);
  EXPECT_EQ(m.macros[0].first, "i");
}

TEST(Messages, ClassifiesReplies) {
  EXPECT_TRUE(is_modification(reply{add_header{"a", "b"}}));
  EXPECT_TRUE(is_modification(reply{quarantine{"x"}}));
  EXPECT_FALSE(is_modification(reply{accept{}}));
  EXPECT_EQ(required_action(reply{add_recipient{"<a>", "X=1"}}), action::add_recipient_par);
  EXPECT_EQ(required_action(reply{add_recipient{"<a>", std::nullopt}}), action::add_recipient);
  EXPECT_STREQ(name_of(reply{reply_code{"550 x"}}), "reply_code");
  EXPECT_STREQ(name_of(command{quit_new_connection{}}), "quit_nc");
}

}  // namespace
}  // namespace mailtriage::milter
