#include "mailtriage/milter/session.hpp"

#include <algorithm>
#include <type_traits>

#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::milter {
namespace {

// What we ask the MTA to leave out: we judge at end of message only, so no reply is
// needed before it (saves a round trip per stage and per header), and unknown SMTP
// commands are of no interest. An unanswered DATA is acknowledged at once instead
// (step::acknowledge_now).
constexpr std::uint32_t kNoReplyFlags = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
                                        SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_HDR;

std::string strip_braces(std::string_view name) {
  if (name.size() >= 2 && name.front() == '{' && name.back() == '}') name = name.substr(1, name.size() - 2);
  return std::string(name);
}

// First sizes of a message's buffers, so that most messages fill them without regrowing
// (the corpus averages 13 KB and 20-30 header fields).
constexpr std::size_t kInitialRawBytes = 16 * 1024;
constexpr std::size_t kInitialHeaders = 32;

bool is_final_verdict(const reply& r) {
  return std::holds_alternative<accept>(r) || std::holds_alternative<continue_>(r) ||
         std::holds_alternative<reject>(r) || std::holds_alternative<tempfail>(r) ||
         std::holds_alternative<discard>(r) || std::holds_alternative<reply_code>(r);
}

}  // namespace

const char* describe(session_error e) {
  switch (e) {
    case session_error::unsupported_version: return "unsupported protocol version";
    case session_error::out_of_order: return "command out of order";
    case session_error::macro_limit: return "macro limit exceeded";
    case session_error::envelope_limit: return "envelope limit exceeded";
  }
  return "session error";
}

std::string_view transaction::macro(std::string_view name) const {
  if (name.size() >= 2 && name.front() == '{' && name.back() == '}') name = name.substr(1, name.size() - 2);
  if (auto it = macros.find(name); it != macros.end()) return it->second;
  if (auto it = connection.macros.find(name); it != connection.macros.end()) return it->second;
  return {};
}

std::string_view transaction::queue_id() const {
  auto id = macro("i");
  return id.empty() ? std::string_view("-") : id;
}

session::session(session_limits limits, session_wants wants)
    : limits_(limits), wants_(std::move(wants)), max_payload_(kDefaultMaxData) {}

step session::on_command(command&& c) {
  return std::visit(
      [this](auto&& v) -> step {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, option_negotiation>) {
          if (phase_ != phase::start) return protocol_error(session_error::out_of_order);
          return negotiate(v);
        } else {
          if (phase_ == phase::start) return protocol_error(session_error::out_of_order);
          if constexpr (std::is_same_v<T, define_macros>) {
            return on_macros(std::move(v));
          } else if constexpr (std::is_same_v<T, connect_info>) {
            if (!enter(phase::negotiated, phase::negotiated, phase::connected))
              return protocol_error(session_error::out_of_order);
            connection_phase_ = phase::connected;
            connection_.client_hostname = std::move(v.hostname);
            connection_.family = v.family;
            connection_.port = v.port;
            connection_.client_address = std::move(v.address);
            return reply_unless(SMFIP_NR_CONN);
          } else if constexpr (std::is_same_v<T, helo>) {
            if (!enter(phase::negotiated, phase::helo, phase::helo))
              return protocol_error(session_error::out_of_order);
            connection_phase_ = phase::helo;
            connection_.helo = std::move(v.name);
            return reply_unless(SMFIP_NR_HELO);
          } else if constexpr (std::is_same_v<T, mail_from>) {
            if (!enter(phase::negotiated, phase::helo, phase::mail))
              return protocol_error(session_error::out_of_order);
            if (!count_envelope(v.args)) return protocol_error(session_error::envelope_limit);
            txn_.sender = std::move(v.args);
            return reply_unless(SMFIP_NR_MAIL);
          } else if constexpr (std::is_same_v<T, rcpt_to>) {
            if (!enter(phase::mail, phase::rcpt, phase::rcpt)) return protocol_error(session_error::out_of_order);
            if (!count_envelope(v.args)) return protocol_error(session_error::envelope_limit);
            txn_.recipients.push_back(std::move(v.args));
            return reply_unless(SMFIP_NR_RCPT);
          } else if constexpr (std::is_same_v<T, data_command>) {
            if (!enter(phase::mail, phase::rcpt, phase::data)) return protocol_error(session_error::out_of_order);
            // Postfix's smtpd hands the connection to cleanup, whose first write (the
            // headers) follows without waiting for anything from us.
            if (protocol_ & SMFIP_NR_DATA) return step{.acknowledge_now = true};
            return reply_unless(SMFIP_NR_DATA);
          } else if constexpr (std::is_same_v<T, header>) {
            if (!enter(phase::mail, phase::headers, phase::headers))
              return protocol_error(session_error::out_of_order);
            return on_header(std::move(v));
          } else if constexpr (std::is_same_v<T, end_of_headers>) {
            if (!enter(phase::mail, phase::headers, phase::eoh)) return protocol_error(session_error::out_of_order);
            append_scanned("\r\n");
            return reply_unless(SMFIP_NR_EOH);
          } else if constexpr (std::is_same_v<T, body_chunk>) {
            if (!enter(phase::mail, phase::body, phase::body)) return protocol_error(session_error::out_of_order);
            return on_body(v.data);
          } else if constexpr (std::is_same_v<T, end_of_message>) {
            if (!enter(phase::mail, phase::body, phase::eom)) return protocol_error(session_error::out_of_order);
            // A message without SMFIC_EOH (SMFIP_NOEOH, or no headers) still needs the
            // blank line that separates headers from body for the parser.
            txn_.message_bytes += v.data.size();
            append_scanned(v.data);
            return step{.message_ready = true};
          } else if constexpr (std::is_same_v<T, abort_message>) {
            if (phase_ == phase::eom) return protocol_error(session_error::out_of_order);
            reset_message();
            return {};
          } else if constexpr (std::is_same_v<T, quit>) {
            return step{.close = true};
          } else if constexpr (std::is_same_v<T, quit_new_connection>) {
            reset_connection();
            return {};
          } else if constexpr (std::is_same_v<T, unknown_command>) {
            return reply_unless(SMFIP_NR_UNKN);
          } else {
            static_assert(sizeof(T) == 0, "every command must be handled");
          }
        }
      },
      std::move(c));
}

step session::negotiate(const option_negotiation& mta) {
  if (mta.version < kMinProtocolVersion) return protocol_error(session_error::unsupported_version);
  version_ = std::min(mta.version, kProtocolVersion);
  actions_ = mta.actions & wants_.actions;

  // SMFIP_HDR_LEADSPC is not requested: the MTA then adds and strips the space after
  // the colon itself, which every MTA and test client handles the same way.
  std::uint32_t wanted = kNoReplyFlags | SMFIP_NOUNKNOWN;
  // SKIP means answering each body chunk, a round trip per chunk of every message, to
  // be able to stop the MTA sending what will not be scanned (session_wants).
  wanted |= (wants_.skip_unscanned_body && (mta.protocol & SMFIP_SKIP)) ? SMFIP_SKIP : SMFIP_NR_BODY;
  max_payload_ = kDefaultMaxData;
  if ((mta.protocol & SMFIP_MDS_1M) && limits_.max_data_size >= kMaxData1M) {
    wanted |= SMFIP_MDS_1M;
    max_payload_ = kMaxData1M;
  } else if ((mta.protocol & SMFIP_MDS_256K) && limits_.max_data_size >= kMaxData256K) {
    wanted |= SMFIP_MDS_256K;
    max_payload_ = kMaxData256K;
  }
  protocol_ = mta.protocol & wanted;

  option_negotiation ours{version_, actions_, protocol_, {}};
  if (version_ >= 6 && (mta.actions & action::set_symbol_list)) ours.macro_lists = wants_.macro_lists;
  phase_ = phase::negotiated;
  connection_phase_ = phase::negotiated;
  return step{.replies = {std::move(ours)}};
}

step session::on_macros(define_macros&& m) {
  const bool connection_stage = m.for_command == SMFIC_CONNECT || m.for_command == SMFIC_HELO;
  auto& target = connection_stage ? connection_.macros : txn_.macros;
  auto& used = connection_stage ? macro_bytes_connection_ : macro_bytes_message_;
  for (auto& [name, value] : m.macros) {
    std::string key = strip_braces(name);
    // What is held, not what was sent: Postfix's cleanup sends the end-of-header macros
    // again before every header, so counting each definition would refuse a message
    // for its number of headers (about 5,000 with a 64 KiB limit).
    auto held = target.find(key);
    if (held != target.end()) used -= key.size() + held->second.size();
    used += key.size() + value.size();
    if (macro_bytes_connection_ + macro_bytes_message_ > limits_.max_macro_bytes)
      return protocol_error(session_error::macro_limit);
    if (held != target.end())
      held->second = std::move(value);
    else
      target.emplace(std::move(key), std::move(value));
  }
  return {};
}

step session::on_header(header&& h) {
  ++txn_.header_count;
  if (txn_.headers.size() < limits_.max_headers) {
    // A count per name, not a scan of the headers seen so far: a header bomb of
    // max_headers same-named fields would otherwise cost max_headers^2 comparisons on
    // the I/O thread, stalling every other connection.
    std::uint32_t index = header_name_counts_.add(h.name);
    if (txn_.headers.empty()) txn_.headers.reserve(std::min(limits_.max_headers, kInitialHeaders));
    txn_.headers.push_back(header_ref{h.name, index});
  }
  // Rebuild the header line as it stood in the message. Without SMFIP_HDR_LEADSPC the
  // MTA dropped the space after the colon; folded lines arrive separated by bare LF.
  if (!txn_.truncated) {
    std::string& line = header_line_;
    line.assign(h.name);
    line += ':';
    if (!(protocol_ & SMFIP_HDR_LEADSPC)) line += ' ';
    std::string_view value = h.value;
    std::size_t copied = 0;
    for (auto lf = value.find('\n'); lf != std::string_view::npos; lf = value.find('\n', lf + 1)) {
      if (lf > 0 && value[lf - 1] == '\r') continue;
      line.append(value, copied, lf - copied);
      line += '\r';
      copied = lf;
    }
    line.append(value, copied);
    line += "\r\n";
    append_scanned(line);
  } else {
    txn_.message_bytes += h.name.size() + h.value.size() + 4;
  }
  return reply_unless(SMFIP_NR_HDR);
}

step session::on_body(std::string_view data) {
  append_scanned(data);
  if (txn_.truncated && (protocol_ & SMFIP_SKIP) && !skip_sent_) {
    skip_sent_ = true;
    return step{.replies = {skip{}}};
  }
  return reply_unless(SMFIP_NR_BODY);
}

session::completion session::complete(decision d) {
  completion out;
  for (auto& m : d.modifications) {
    std::uint32_t needed = required_action(m);
    if (needed == 0 || (actions_ & needed) != needed) {
      out.dropped.push_back(name_of(m));
      continue;
    }
    out.replies.push_back(std::move(m));
  }
  if (!is_final_verdict(d.final_reply)) {
    out.dropped.push_back(name_of(d.final_reply));
    d.final_reply = accept{};
  }
  out.replies.push_back(std::move(d.final_reply));
  reset_message();
  ++messages_completed_;
  return out;
}

transaction session::take_transaction() {
  transaction t = std::move(txn_);
  t.connection = connection_;
  txn_ = transaction{};
  return t;
}

step session::reply_unless(std::uint32_t no_reply_flag) {
  if (protocol_ & no_reply_flag) return {};
  return step{.replies = {continue_{}}};
}

step session::protocol_error(session_error e) { return step{.close = true, .error = e}; }

bool session::enter(phase lowest_allowed, phase highest_allowed, phase next) {
  if (phase_ < lowest_allowed || phase_ > highest_allowed) return false;
  phase_ = std::max(phase_, next);
  return true;
}

bool session::count_envelope(const std::vector<std::string>& args) {
  for (const auto& a : args) envelope_bytes_ += a.size() + 1;
  return envelope_bytes_ <= limits_.max_envelope_bytes;
}

void session::append_scanned(std::string_view bytes) {
  txn_.message_bytes += bytes.size();
  if (txn_.truncated) return;
  std::size_t room = limits_.scan_bytes - std::min(limits_.scan_bytes, txn_.raw.size());
  if (bytes.size() > room) {
    bytes = bytes.substr(0, room);
    txn_.truncated = true;
  }
  if (txn_.raw.capacity() < kInitialRawBytes) txn_.raw.reserve(std::min(limits_.scan_bytes, kInitialRawBytes));
  txn_.raw.append(bytes);
}

void session::reset_message() {
  txn_ = transaction{};
  header_name_counts_.clear();
  macro_bytes_message_ = 0;
  envelope_bytes_ = 0;
  skip_sent_ = false;
  phase_ = connection_phase_;
}

void session::reset_connection() {
  reset_message();
  connection_ = connection_facts{};
  macro_bytes_connection_ = 0;
  connection_phase_ = phase::negotiated;
  phase_ = phase::negotiated;
}

}  // namespace mailtriage::milter
