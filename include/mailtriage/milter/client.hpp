#pragma once
// A milter client that replays a raw message through a milter the way Postfix's
// milter8 does: negotiation, macros per stage, connect, HELO, MAIL, RCPT, DATA, each
// header, end of headers, 64 KiB body chunks with CRLF line endings, end of message,
// honouring every NO*/NR* flag and SKIP the filter negotiated. Used by the tests and
// by `mailtriage bench`. One client per connection; not thread-safe; the
// executor must outlive it.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mailtriage/milter/codec.hpp"
#include "mailtriage/milter/socket_spec.hpp"

namespace mailtriage::milter {

struct client_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct client_options {
  std::uint32_t version = kProtocolVersion;
  std::uint32_t actions = 0x1FF;          // what we let the filter do (Postfix offers all)
  std::uint32_t protocol = SMFI_CURR_PROT;  // what we can leave out (Postfix 3.x offers all)
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // per exchange, like milter_command_timeout
  // Postfix writes to a milter through a 4096-byte VSTREAM buffer: frames that need no
  // answer wait there and go out when it is full, before Postfix reads an answer, and
  // when smtpd hands the connection to cleanup after DATA. So a filter that asks for no
  // replies receives a message in a few large writes. 0: every frame written at once,
  // as Sendmail does.
  std::size_t write_buffer = 4096;
};

// The SMTP side of one message, as an MTA would describe it in commands and macros.
struct envelope {
  std::string client_name = "localhost";
  std::string client_address = "127.0.0.1";
  std::uint16_t client_port = 40000;
  std::string helo = "client.example";
  std::string sender = "<sender@example.org>";
  std::vector<std::string> recipients = {"<rcpt@example.net>"};
  std::string queue_id = "4ABCDEF123";
  // Extra macros sent with MAIL FROM, e.g. {"{auth_authen}", "alice"}.
  std::vector<std::pair<std::string, std::string>> mail_macros;
  std::vector<std::pair<std::string, std::string>> connect_macros;
};

struct message_result {
  reply final_reply = continue_{};       // what ended the exchange
  std::vector<reply> modifications;      // in the order the filter sent them
  bool body_skipped = false;             // the filter answered SKIP
  std::string stage = "eom";             // the stage that produced final_reply
};

class client {
 public:
  explicit client(boost::asio::any_io_executor executor, client_options options = {});

  boost::asio::awaitable<void> connect(const socket_spec& spec);
  // Sends our offer, reads the filter's answer. Throws client_error on refusal.
  boost::asio::awaitable<void> negotiate();
  // One message through the filter; several may follow on one connection.
  boost::asio::awaitable<message_result> send(const envelope& env, std::string_view raw_message);
  // Ends the connection politely (SMFIC_QUIT) and closes it.
  boost::asio::awaitable<void> quit();
  void close();

  [[nodiscard]] const option_negotiation& agreed() const { return agreed_; }
  // Writes put on the socket so far (see client_options::write_buffer).
  [[nodiscard]] std::size_t writes() const { return writes_; }

 private:
  // Queues a frame; writes out whole buffers (client_options::write_buffer).
  boost::asio::awaitable<void> write(const std::string& bytes);
  // Writes out whatever is queued.
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<void> write_out(std::string_view bytes);
  boost::asio::awaitable<reply> read_reply();
  // Sends a command; when the filter must answer it, reads the reply. Returns a final
  // reply other than continue (the filter ended the message early), or nothing.
  boost::asio::awaitable<std::optional<reply>> exchange(const command& c, std::uint32_t no_reply_flag);
  void arm_timer();

  boost::asio::generic::stream_protocol::socket socket_;
  boost::asio::steady_timer timer_;
  client_options options_;
  option_negotiation agreed_;
  frame_decoder decoder_;
  std::string pending_;  // frames queued for writing
  std::size_t writes_ = 0;
  bool smtp_session_started_ = false;
};

// The header fields and CRLF body of a raw message, split as an MTA would send them.
struct split_message {
  std::vector<header> headers;
  std::string body;  // CRLF line endings
};
[[nodiscard]] split_message split_raw_message(std::string_view raw, bool keep_leading_space);

}  // namespace mailtriage::milter
