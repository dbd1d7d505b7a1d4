#pragma once
// The filter side of one milter connection as a pure state machine: feed it decoded
// commands, it answers with the replies to send and says when a complete message is
// ready for a verdict. No sockets, no clocks, no threads: one session per connection,
// owned by that connection, not thread-safe.
//
// State that lives for the connection (negotiated options, connect/HELO data and
// their macros) is kept apart from state that lives for one message (envelope, headers,
// body, message macros), which is reset after end-of-message, abort and QUIT_NC so one
// message's data never leaks into the next.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mailtriage/milter/header_counts.hpp"
#include "mailtriage/milter/messages.hpp"
#include "mailtriage/milter/transaction.hpp"

namespace mailtriage::milter {

struct session_limits {
  // Bytes of the message (headers + body) buffered for scanning; the rest passes unscanned.
  std::size_t scan_bytes = 1024 * 1024;
  // Headers remembered by name and index (for later header edits); the rest are counted.
  std::size_t max_headers = 2000;
  // Total bytes of macro names and values kept for a connection and its message.
  std::size_t max_macro_bytes = 64 * 1024;
  // Bytes of MAIL FROM and RCPT TO arguments kept for one message. Without it a client
  // sending RCPT frames without end grew the daemon by 100 bytes per frame.
  std::size_t max_envelope_bytes = 1024 * 1024;
  // Largest frame payload we agree to when the MTA offers SMFIP_MDS_256K / _1M.
  std::size_t max_data_size = 65535;
};

// What a session wants from the MTA in negotiation.
struct session_wants {
  std::uint32_t actions = 0x1FF;  // every SMFIF_* action; the MTA may grant fewer
  // Macro lists per stage (SMFIM_*), requested in a v6 negotiation reply.
  std::vector<std::pair<std::uint32_t, std::string>> macro_lists;
  // Take SMFIP_SKIP when the MTA offers it: answer every body chunk, so that once
  // scan_bytes are held the MTA can be told to stop sending the body (SMFIR_SKIP).
  // Without it the session asks for SMFIP_NR_BODY: the MTA sends the whole body
  // without waiting, one round trip less per message, and bytes beyond scan_bytes
  // are counted and dropped (milter.skip_unscanned_body, docs/PERFORMANCE.md).
  bool skip_unscanned_body = false;
};

enum class session_error {
  unsupported_version,  // MTA's protocol version below 2
  out_of_order,         // a command not allowed in the current state
  macro_limit,          // macros beyond max_macro_bytes
  envelope_limit,       // MAIL FROM and RCPT TO arguments beyond max_envelope_bytes
};
[[nodiscard]] const char* describe(session_error e);

// What the connection must do after a command.
struct step {
  std::vector<reply> replies;          // write these, in order
  bool message_ready = false;          // end of message: get a verdict, then call complete()
  bool close = false;                  // QUIT, or an error: close after writing replies
  // An unanswered command after which the MTA writes again before it reads: have the
  // transport acknowledge the bytes received at once (TCP_QUICKACK). Postfix leaves
  // Nagle's algorithm on for its milter sockets, so after an unanswered DATA its first
  // header frame would wait for our delayed ACK: 40 ms per message over TCP.
  bool acknowledge_now = false;
  std::optional<session_error> error;  // set when the MTA broke the protocol
};

// The verdict for one message: modifications first, then one final reply
// (accept, continue, reject, tempfail, discard or reply_code).
struct decision {
  std::vector<reply> modifications;
  reply final_reply = accept{};
};

class session {
 public:
  session(session_limits limits, session_wants wants);

  [[nodiscard]] step on_command(command&& c);

  // After step::message_ready: the message to judge. Moves it out; valid once.
  [[nodiscard]] transaction take_transaction();

  // Turns the verdict into the replies to write and readies the session for the
  // next message. Modifications the MTA did not grant are left out and counted in
  // `dropped` (the caller logs them): the MTA would otherwise fail the whole message.
  struct completion {
    std::vector<reply> replies;
    std::vector<const char*> dropped;
  };
  [[nodiscard]] completion complete(decision d);

  // The negotiated limit on frame payloads (the decoder follows it).
  [[nodiscard]] std::size_t max_payload() const { return max_payload_; }
  // True between MAIL FROM and the end of that message (drain waits for these).
  [[nodiscard]] bool in_message() const { return phase_ >= phase::mail; }
  [[nodiscard]] bool negotiated() const { return phase_ != phase::start; }
  [[nodiscard]] std::uint32_t granted_actions() const { return actions_; }
  [[nodiscard]] std::uint32_t agreed_protocol() const { return protocol_; }
  [[nodiscard]] std::uint32_t version() const { return version_; }
  [[nodiscard]] std::uint64_t messages_completed() const { return messages_completed_; }

 private:
  // Ordered: a message's commands never move the phase backwards.
  enum class phase { start, negotiated, connected, helo, mail, rcpt, data, headers, eoh, body, eom };

  step negotiate(const option_negotiation& mta);
  step on_macros(define_macros&& m);
  step on_header(header&& h);
  step on_body(std::string_view data);
  step reply_unless(std::uint32_t no_reply_flag);
  step protocol_error(session_error e);
  bool enter(phase lowest_allowed, phase highest_allowed, phase next);
  void append_scanned(std::string_view bytes);
  // Adds MAIL FROM / RCPT TO arguments to the message's envelope bytes; false beyond
  // max_envelope_bytes.
  [[nodiscard]] bool count_envelope(const std::vector<std::string>& args);
  void reset_message();
  void reset_connection();
  std::string_view header_value_prefix() const;

  session_limits limits_;
  session_wants wants_;

  // Per connection.
  phase phase_ = phase::start;
  phase connection_phase_ = phase::negotiated;  // where a new message starts from
  std::uint32_t version_ = 0;
  std::uint32_t actions_ = 0;
  std::uint32_t protocol_ = 0;
  std::size_t max_payload_;
  connection_facts connection_;
  std::size_t macro_bytes_connection_ = 0;
  std::uint64_t messages_completed_ = 0;

  // Per message.
  transaction txn_;
  header_counts header_name_counts_;  // per name: fields seen so far
  std::size_t macro_bytes_message_ = 0;
  std::size_t envelope_bytes_ = 0;
  bool skip_sent_ = false;
  std::string header_line_;  // reused: one header line rebuilt at a time
};

}  // namespace mailtriage::milter
