#pragma once
// Typed milter commands (MTA → filter) and replies (filter → MTA). Plain values:
// no I/O, no ownership beyond their own strings. Safe to copy and move across threads.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mailtriage::milter {

// ---- shared by both directions -------------------------------------------------

// SMFIC_OPTNEG from the MTA, and the filter's SMFIC_OPTNEG reply. `macro_lists`
// (stage, space-separated macro names) appears only in a filter's v6 reply.
struct option_negotiation {
  std::uint32_t version = 0;
  std::uint32_t actions = 0;
  std::uint32_t protocol = 0;
  std::vector<std::pair<std::uint32_t, std::string>> macro_lists;
  bool operator==(const option_negotiation&) const = default;
};

// ---- commands ------------------------------------------------------------------

struct define_macros {  // SMFIC_MACRO: macros for the command whose code is `for_command`
  char for_command = 0;
  std::vector<std::pair<std::string, std::string>> macros;
  bool operator==(const define_macros&) const = default;
};
struct connect_info {  // SMFIC_CONNECT
  std::string hostname;
  char family = 'U';  // SMFIA_UNKNOWN, _UNIX 'L', _INET '4', _INET6 '6'
  std::uint16_t port = 0;
  std::string address;  // IP address or unix socket path; empty for 'U'
  bool operator==(const connect_info&) const = default;
};
struct helo {  // SMFIC_HELO
  std::string name;
  bool operator==(const helo&) const = default;
};
struct mail_from {  // SMFIC_MAIL: args[0] is the sender, the rest ESMTP parameters
  std::vector<std::string> args;
  bool operator==(const mail_from&) const = default;
};
struct rcpt_to {  // SMFIC_RCPT: args[0] is the recipient, the rest ESMTP parameters
  std::vector<std::string> args;
  bool operator==(const rcpt_to&) const = default;
};
struct data_command {  // SMFIC_DATA
  bool operator==(const data_command&) const = default;
};
struct header {  // SMFIC_HEADER; value lines are separated by LF
  std::string name;
  std::string value;
  bool operator==(const header&) const = default;
};
struct end_of_headers {  // SMFIC_EOH
  bool operator==(const end_of_headers&) const = default;
};
struct body_chunk {  // SMFIC_BODY; CRLF line endings
  std::string data;
  bool operator==(const body_chunk&) const = default;
};
struct end_of_message {  // SMFIC_BODYEOB; may carry a last body chunk
  std::string data;
  bool operator==(const end_of_message&) const = default;
};
struct abort_message {  // SMFIC_ABORT
  bool operator==(const abort_message&) const = default;
};
struct quit {  // SMFIC_QUIT
  bool operator==(const quit&) const = default;
};
struct quit_new_connection {  // SMFIC_QUIT_NC: the socket is reused for a new SMTP session
  bool operator==(const quit_new_connection&) const = default;
};
struct unknown_command {  // SMFIC_UNKNOWN: an SMTP command the MTA did not recognise
  std::string line;
  bool operator==(const unknown_command&) const = default;
};

using command = std::variant<option_negotiation, define_macros, connect_info, helo, mail_from, rcpt_to,
                             data_command, header, end_of_headers, body_chunk, end_of_message, abort_message,
                             quit, quit_new_connection, unknown_command>;

// ---- replies -------------------------------------------------------------------

struct accept {};      // SMFIR_ACCEPT
struct continue_ {};   // SMFIR_CONTINUE
struct discard {};     // SMFIR_DISCARD
struct reject {};      // SMFIR_REJECT
struct tempfail {};    // SMFIR_TEMPFAIL
struct skip {};        // SMFIR_SKIP: no more body chunks wanted
struct progress {};    // SMFIR_PROGRESS: still working, resets the MTA's timeout
struct connection_failure {};  // SMFIR_CONN_FAIL
struct shutdown {};    // SMFIR_SHUTDOWN (421)
struct reply_code {    // SMFIR_REPLYCODE: "550 5.7.1 text", lines joined by CRLF for multi-line
  std::string text;
  bool operator==(const reply_code&) const = default;
};
struct add_header {  // SMFIR_ADDHEADER
  std::string name, value;
  bool operator==(const add_header&) const = default;
};
struct insert_header {  // SMFIR_INSHEADER: index 0 inserts before the first header
  std::uint32_t index = 0;
  std::string name, value;
  bool operator==(const insert_header&) const = default;
};
struct change_header {  // SMFIR_CHGHEADER: index-th (1-based) header of that name; empty value deletes
  std::uint32_t index = 1;
  std::string name, value;
  bool operator==(const change_header&) const = default;
};
struct change_from {  // SMFIR_CHGFROM
  std::string sender;
  std::optional<std::string> esmtp_args;
  bool operator==(const change_from&) const = default;
};
struct add_recipient {  // SMFIR_ADDRCPT, or SMFIR_ADDRCPT_PAR when esmtp_args is set
  std::string recipient;
  std::optional<std::string> esmtp_args;
  bool operator==(const add_recipient&) const = default;
};
struct delete_recipient {  // SMFIR_DELRCPT
  std::string recipient;
  bool operator==(const delete_recipient&) const = default;
};
struct replace_body {  // SMFIR_REPLBODY (one chunk; larger bodies are split by the encoder's caller)
  std::string data;
  bool operator==(const replace_body&) const = default;
};
struct quarantine {  // SMFIR_QUARANTINE: Postfix puts the message on hold with this reason
  std::string reason;
  bool operator==(const quarantine&) const = default;
};

#define MAILTRIAGE_EMPTY_EQ(T) \
  inline bool operator==(const T&, const T&) { return true; }
MAILTRIAGE_EMPTY_EQ(accept)
MAILTRIAGE_EMPTY_EQ(continue_)
MAILTRIAGE_EMPTY_EQ(discard)
MAILTRIAGE_EMPTY_EQ(reject)
MAILTRIAGE_EMPTY_EQ(tempfail)
MAILTRIAGE_EMPTY_EQ(skip)
MAILTRIAGE_EMPTY_EQ(progress)
MAILTRIAGE_EMPTY_EQ(connection_failure)
MAILTRIAGE_EMPTY_EQ(shutdown)
#undef MAILTRIAGE_EMPTY_EQ

using reply = std::variant<option_negotiation, accept, continue_, discard, reject, tempfail, skip, progress,
                           connection_failure, shutdown, reply_code, add_header, insert_header, change_header,
                           change_from, add_recipient, delete_recipient, replace_body, quarantine>;

// True for the replies that end a command's exchange (everything but modifications
// and progress).
[[nodiscard]] bool is_final(const reply& r);
// True for the end-of-message modification replies.
[[nodiscard]] bool is_modification(const reply& r);
// The SMFIF_* action bit a modification needs (0 for non-modifications).
[[nodiscard]] std::uint32_t required_action(const reply& r);
// A short, content-free name for logs and metrics ("accept", "add_header", ...).
[[nodiscard]] const char* name_of(const reply& r);
[[nodiscard]] const char* name_of(const command& c);
// The outcome a final reply stands for, as logs and metrics name it: name_of(), except
// that a reply_code is "reject" (5xx) or "tempfail" (4xx).
[[nodiscard]] const char* outcome_name(const reply& r);

}  // namespace mailtriage::milter
