// Fuzz target: the milter codec and session state machine driven exactly as
// milter::connection drives them (src/milter/connection.cpp), minus the sockets: bytes
// from the "MTA" go through frame_decoder, decode_command and session::on_command; at
// end of message the real engine (built-in model, a policy using every action kind,
// HMAC-signed verdict header) judges the transaction and session::complete() turns the
// decision into replies.
//
// Input layout: byte 0 picks the mode and how the stream is cut into reads.
//   bit 0 = 0: the rest is the raw byte stream (length prefixes and all).
//   bit 0 = 1: structure-aware: the rest is a list of records
//              [command byte][payload length, 1 byte, or 2 if the high bit is set][payload]
//              each framed with a correct 4-byte length, so mutations reach the session
//              instead of dying in the frame decoder.
//   bits 1-7:  read size (1-128 bytes), like a TCP stream arriving in pieces.
//
// Invariants (violations abort so libFuzzer records them): every reply the session
// produces encodes to a frame that decodes back to the same reply (a reply we could not
// round-trip is one the MTA could not parse); no reply carries a NUL inside a string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "mailtriage/config/config.hpp"
#include "mailtriage/engine/engine.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/milter/codec.hpp"
#include "mailtriage/milter/session.hpp"
#include "mailtriage/util/log.hpp"

namespace {

using namespace mailtriage;

// Every action kind, templates included, so complete() sees every modification type
// (and drops the ones the fuzzed negotiation did not grant).
constexpr std::string_view kPolicy = R"(
policy:
  rules:
    - name: tag
      match: {}
      actions:
        - add_header: {name: X-Triage-Rule, value: "{rule} {category} {score} {queue_id}"}
        - subject_prefix: "[{category}] "
        - add_recipient: review@example.org
    - name: spammy
      match: {category: [spam]}
      actions:
        - remove_recipients: true
        - quarantine: "held {score}"
    - name: big
      match: {min_size: 4000}
      actions:
        - reject: "550 5.7.1 too big for {rule}"
)";

// Never destroyed: XGBoost frees its per-booster thread-local state in its own exit
// handler, registered at the first prediction; a booster freed after it double-frees.
const engine::engine& fuzz_engine() {
  static const engine::engine* e = [] {
    log::set_level(log::level::error);  // one verdict line per message would drown the fuzzer
    config::daemon_config cfg = config::load_text(kPolicy, "milter_fuzz");
    auto active = engine::load_scorer("", mime::limits{}, 5);
    return new engine::engine(std::move(active), nullptr, cfg.policy, std::string("fuzz-hmac-key-0123456789"));
  }();
  return *e;
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

bool strings_clean(const milter::reply& r) {
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, milter::reply_code>) return !has_nul(v.text);
        else if constexpr (std::is_same_v<T, milter::add_header> || std::is_same_v<T, milter::insert_header> ||
                           std::is_same_v<T, milter::change_header>)
          return !has_nul(v.name) && !has_nul(v.value);
        else if constexpr (std::is_same_v<T, milter::add_recipient> || std::is_same_v<T, milter::change_from>)
          return true;  // checked by the round trip below
        else if constexpr (std::is_same_v<T, milter::delete_recipient>) return !has_nul(v.recipient);
        else if constexpr (std::is_same_v<T, milter::quarantine>) return !has_nul(v.reason);
        else return true;
      },
      r);
}

void check_replies(const std::vector<milter::reply>& replies) {
  for (const auto& r : replies) {
    if (!strings_clean(r)) std::abort();
    std::string bytes = milter::encode(r);
    milter::frame_decoder d(bytes.size());
    d.feed(bytes);
    auto f = d.next();
    if (!f || !f.value()) std::abort();
    auto back = milter::decode_reply(*f.value());
    if (!back || !(back.value() == r)) std::abort();
    if (d.mid_frame()) std::abort();
  }
}

// Structure-aware mode: records → correctly framed milter stream.
std::string frames_from_records(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    char code = in[i++];
    if (i >= in.size()) break;
    std::size_t len = static_cast<unsigned char>(in[i++]);
    if (len & 0x80) {
      if (i >= in.size()) break;
      len = ((len & 0x7f) << 8) | static_cast<unsigned char>(in[i++]);
    }
    std::string_view payload = in.substr(i, len);
    i += payload.size();
    std::uint32_t n = static_cast<std::uint32_t>(payload.size() + 1);
    out.push_back(static_cast<char>(n >> 24));
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out.push_back(code);
    out.append(payload);
  }
  return out;
}

// One frame through decode + session (+ engine at end of message), as
// connection::handle_frame and connection::run do. False: the connection closes.
bool handle_frame(milter::session& s, const milter::frame& f) {
  auto cmd = milter::decode_command(f);
  if (!cmd) return false;
  milter::step st = s.on_command(std::move(cmd.value()));
  check_replies(st.replies);
  if (st.error) return false;
  if (st.message_ready) {
    milter::transaction message = s.take_transaction();
    milter::decision verdict = fuzz_engine().judge(message);
    auto done = s.complete(std::move(verdict));
    if (done.replies.empty()) std::abort();  // a message always gets its final reply
    check_replies(done.replies);
  }
  return !st.close;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool structured = (data[0] & 1) != 0;
  const std::size_t read_size = static_cast<std::size_t>(data[0] >> 1) + 1;
  std::string stream = structured ? frames_from_records(in) : std::string(in);

  // Small limits so the fuzzer reaches them: scan cut-off, header cap, macro cap, and
  // the SMFIP_MDS_* frame size negotiation.
  milter::session_limits limits{.scan_bytes = 8192, .max_headers = 16, .max_macro_bytes = 1024,
                                .max_data_size = 262143};
  milter::session_wants wants;
  wants.macro_lists = {{0, "j {daemon_name}"}, {2, "i {auth_authen}"}};
  milter::session s(limits, wants);
  milter::frame_decoder decoder;

  for (std::size_t pos = 0; pos < stream.size(); pos += read_size) {
    decoder.feed(std::string_view(stream).substr(pos, read_size));
    for (;;) {
      auto next = decoder.next();
      if (!next) return 0;          // protocol error: the connection closes
      if (!next.value()) break;     // need more bytes
      if (!handle_frame(s, *next.value())) return 0;
      decoder.set_max_payload(s.max_payload());
    }
  }
  return 0;
}
