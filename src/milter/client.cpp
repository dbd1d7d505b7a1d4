#include "mailtriage/milter/client.hpp"

#include <array>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mailtriage::milter {
namespace asio = boost::asio;
using asio::use_awaitable;

split_message split_raw_message(std::string_view raw, bool keep_leading_space) {
  split_message out;
  std::size_t pos = 0;
  auto line_end = [&](std::size_t from) {
    auto nl = raw.find('\n', from);
    return nl == std::string_view::npos ? raw.size() : nl;
  };
  auto strip_cr = [](std::string_view l) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    return l;
  };
  // Header section: fields, each with its continuation lines (joined by LF, as milter
  // carries folded values). It ends at the blank line or at the first line that is
  // neither a field nor a continuation, which then starts the body (as Postfix does).
  while (pos < raw.size()) {
    std::size_t end = line_end(pos);
    std::string_view line = strip_cr(raw.substr(pos, end - pos));
    if (line.empty()) {
      pos = std::min(raw.size(), end + 1);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !out.headers.empty()) {
      out.headers.back().value += '\n';
      out.headers.back().value += line;
      pos = std::min(raw.size(), end + 1);
      continue;
    }
    auto colon = line.find(':');
    bool is_field = colon != std::string_view::npos && colon > 0 &&
                    line.substr(0, colon).find_first_of(" \t") == std::string_view::npos;
    if (!is_field) break;
    header h;
    h.name = std::string(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    if (!keep_leading_space) {
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    }
    h.value = std::string(value);
    out.headers.push_back(std::move(h));
    pos = std::min(raw.size(), end + 1);
  }
  std::string_view body = raw.substr(pos);
  out.body.reserve(body.size() + body.size() / 32);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) out.body += '\r';
    out.body += body[i];
  }
  return out;
}

namespace {

// Records a reply that ended the message early; false when the exchange goes on.
bool take_final(std::optional<reply>& r, message_result& result, std::string_view stage) {
  if (!r) return false;
  result.final_reply = std::move(*r);
  result.stage = std::string(stage);
  return true;
}

std::string encode_macros(char for_command, std::vector<std::pair<std::string, std::string>> list) {
  return encode(command{define_macros{for_command, std::move(list)}});
}

// GCC 12 cannot keep an initializer_list's array in a coroutine frame ("array used
// as initializer"), so the coroutines below build these lists through helpers.
std::vector<std::pair<std::string, std::string>> one_macro(std::string name, std::string value) {
  std::vector<std::pair<std::string, std::string>> list;
  list.emplace_back(std::move(name), std::move(value));
  return list;
}

command connect_command(const envelope& env) {
  connect_info ci;
  ci.hostname = env.client_name;
  ci.family = env.client_address.find(':') != std::string::npos ? '6' : '4';
  ci.port = env.client_port;
  ci.address = env.client_address;
  return command{std::move(ci)};
}

command helo_command(const std::string& name) { return command{helo{name}}; }

command sender_command(const std::string& sender) {
  mail_from m;
  m.args.push_back(sender);
  return command{std::move(m)};
}

command recipient_command(const std::string& recipient) {
  rcpt_to r;
  r.args.push_back(recipient);
  return command{std::move(r)};
}

}  // namespace

client::client(asio::any_io_executor executor, client_options options)
    : socket_(executor), timer_(executor), options_(options) {}

void client::arm_timer() {
  timer_.expires_after(options_.timeout);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) close();  // deadline passed: the pending operation fails
  });
}

void client::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<void> client::connect(const socket_spec& spec) {
  arm_timer();
  try {
    if (spec.type == socket_spec::kind::unix_path) {
      asio::local::stream_protocol::endpoint ep(spec.path);
      socket_.open(asio::generic::stream_protocol(ep.protocol()));
      co_await socket_.async_connect(ep, use_awaitable);
    } else {
      asio::ip::tcp::endpoint ep(asio::ip::make_address(spec.host.empty() ? "127.0.0.1" : spec.host), spec.port);
      socket_.open(asio::generic::stream_protocol(ep.protocol()));
      co_await socket_.async_connect(ep, use_awaitable);
      socket_.set_option(asio::ip::tcp::no_delay(true));
    }
  } catch (const boost::system::system_error& e) {
    timer_.cancel();
    throw client_error("cannot connect to " + spec.to_string() + ": " + e.code().message());
  }
  timer_.cancel();
}

asio::awaitable<void> client::write_out(std::string_view bytes) {
  ++writes_;
  arm_timer();
  try {
    co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), use_awaitable);
  } catch (const boost::system::system_error& e) {
    timer_.cancel();
    throw client_error(std::string("write to milter failed: ") + e.code().message());
  }
  timer_.cancel();
}

asio::awaitable<void> client::write(const std::string& bytes) {
  pending_ += bytes;
  const std::size_t size = options_.write_buffer;
  if (size == 0) {
    co_await flush();
    co_return;
  }
  // As VSTREAM does: each time the buffer fills, one write of the whole buffer.
  std::size_t written = 0;
  for (; pending_.size() - written >= size; written += size)
    co_await write_out(std::string_view(pending_).substr(written, size));
  pending_.erase(0, written);
}

asio::awaitable<void> client::flush() {
  if (pending_.empty()) co_return;
  co_await write_out(pending_);
  pending_.clear();
}

asio::awaitable<reply> client::read_reply() {
  // Like a VSTREAM read, reading an answer first writes out what is queued.
  co_await flush();
  std::array<char, 4096> buf;
  for (;;) {
    auto next = decoder_.next();
    if (!next) throw client_error(std::string("bad reply from milter: ") + describe(next.error()));
    if (next.value()) {
      auto r = decode_reply(*next.value());
      if (!r) throw client_error(std::string("bad reply from milter: ") + describe(r.error()));
      co_return std::move(r.value());
    }
    arm_timer();
    std::size_t n = 0;
    try {
      n = co_await socket_.async_read_some(asio::buffer(buf), use_awaitable);
    } catch (const boost::system::system_error& e) {
      timer_.cancel();
      throw client_error(std::string("milter closed the connection: ") + e.code().message());
    }
    timer_.cancel();
    decoder_.feed(std::string_view(buf.data(), n));
  }
}

asio::awaitable<void> client::negotiate() {
  const std::string offer =
      encode(command{option_negotiation{options_.version, options_.actions, options_.protocol, {}}});
  co_await write(offer);
  reply r = co_await read_reply();
  auto* o = std::get_if<option_negotiation>(&r);
  if (!o) throw client_error(std::string("milter answered negotiation with ") + name_of(r));
  if (o->version < kMinProtocolVersion || o->version > options_.version)
    throw client_error("milter chose unsupported protocol version " + std::to_string(o->version));
  if ((o->actions & ~options_.actions) || (o->protocol & ~options_.protocol))
    throw client_error("milter asked for actions or protocol steps we did not offer");
  agreed_ = *o;
  if (agreed_.protocol & SMFIP_MDS_1M)
    decoder_.set_max_payload(kMaxData1M);
  else if (agreed_.protocol & SMFIP_MDS_256K)
    decoder_.set_max_payload(kMaxData256K);
}

asio::awaitable<std::optional<reply>> client::exchange(const command& c, std::uint32_t no_reply_flag) {
  const std::string bytes = encode(c);
  co_await write(bytes);
  if (agreed_.protocol & no_reply_flag) co_return std::nullopt;
  reply r = co_await read_reply();
  if (std::holds_alternative<continue_>(r)) co_return std::nullopt;
  co_return r;
}

asio::awaitable<message_result> client::send(const envelope& env, std::string_view raw_message) {
  const std::uint32_t p = agreed_.protocol;
  message_result result;
  // GCC 12 destroys temporaries inside a co_await expression twice, so every frame and
  // command below is a named local before it is awaited on.
  // Connect and HELO belong to the SMTP session: once per connection, as Postfix does.
  const bool first_message = !smtp_session_started_;
  smtp_session_started_ = true;
  if (first_message && !(p & SMFIP_NOCONNECT)) {
    auto list = env.connect_macros;
    list.emplace_back(std::string("j"), "mx.example.test");
    list.emplace_back(std::string("{daemon_name}"), "mailtriage-client");
    list.emplace_back(std::string("{client_addr}"), env.client_address);
    list.emplace_back(std::string("{client_name}"), env.client_name);
    const std::string macro_frame = encode_macros(SMFIC_CONNECT, std::move(list));
    co_await write(macro_frame);
    const command c = connect_command(env);
    auto r = co_await exchange(c, SMFIP_NR_CONN);
    if (take_final(r, result, std::string_view("connect"))) co_return result;
  }
  if (first_message && !(p & SMFIP_NOHELO)) {
    const command c = helo_command(env.helo);
    auto r = co_await exchange(c, SMFIP_NR_HELO);
    if (take_final(r, result, std::string_view("helo"))) co_return result;
  }
  if (!(p & SMFIP_NOMAIL)) {
    auto list = env.mail_macros;
    list.emplace_back(std::string("i"), env.queue_id);
    list.emplace_back(std::string("{mail_addr}"), env.sender);
    const std::string macro_frame = encode_macros(SMFIC_MAIL, std::move(list));
    co_await write(macro_frame);
    const command c = sender_command(env.sender);
    auto r = co_await exchange(c, SMFIP_NR_MAIL);
    if (take_final(r, result, std::string_view("mail"))) co_return result;
  }
  if (!(p & SMFIP_NORCPT)) {
    for (const auto& rcpt : env.recipients) {
      const std::string macro_frame = encode_macros(SMFIC_RCPT, one_macro("{rcpt_addr}", rcpt));
      co_await write(macro_frame);
      const command c = recipient_command(rcpt);
      auto r = co_await exchange(c, SMFIP_NR_RCPT);
      if (take_final(r, result, std::string_view("rcpt"))) co_return result;
    }
  }
  if (!(p & SMFIP_NODATA)) {
    const command c = data_command{};
    auto r = co_await exchange(c, SMFIP_NR_DATA);
    if (take_final(r, result, std::string_view("data"))) co_return result;
  }
  // Postfix's smtpd hands the milter connection to cleanup here, flushing its buffer
  // first: the next read happens in another process.
  co_await flush();
  auto parts = split_raw_message(raw_message, (p & SMFIP_HDR_LEADSPC) != 0);
  if (!(p & SMFIP_NOHDRS)) {
    // Postfix's cleanup sends the end-of-header macros before every header (milter8_event
    // writes an SMFIC_MACRO frame for any event with a macro list, even an empty one, and
    // milter_end_of_header_macros is "i" by default), buffered with the header itself.
    const std::string header_macros = encode_macros(SMFIC_HEADER, one_macro("i", env.queue_id));
    for (auto& h : parts.headers) {
      co_await write(header_macros);
      const command c = std::move(h);
      auto r = co_await exchange(c, SMFIP_NR_HDR);
      if (take_final(r, result, std::string_view("header"))) co_return result;
    }
  }
  if (!(p & SMFIP_NOEOH)) {
    const command c = end_of_headers{};
    auto r = co_await exchange(c, SMFIP_NR_EOH);
    if (take_final(r, result, std::string_view("eoh"))) co_return result;
  }
  if (!(p & SMFIP_NOBODY)) {
    std::string_view body = parts.body;
    for (std::size_t off = 0; off < body.size(); off += kChunkSize) {
      const std::string chunk = encode(command{body_chunk{std::string(body.substr(off, kChunkSize))}});
      co_await write(chunk);
      if (p & SMFIP_NR_BODY) continue;
      reply r = co_await read_reply();
      if (std::holds_alternative<skip>(r)) {
        result.body_skipped = true;
        break;
      }
      if (!std::holds_alternative<continue_>(r)) {
        result.final_reply = std::move(r);
        result.stage = "body";
        co_return result;
      }
    }
  }
  const std::string eom_frames =
      encode_macros(SMFIC_BODYEOB, one_macro("i", env.queue_id)) + encode(command{end_of_message{}});
  co_await write(eom_frames);
  for (;;) {
    reply r = co_await read_reply();
    if (std::holds_alternative<progress>(r)) continue;
    if (is_modification(r)) {
      result.modifications.push_back(std::move(r));
      continue;
    }
    result.final_reply = std::move(r);
    co_return result;
  }
}

asio::awaitable<void> client::quit() {
  try {
    const std::string bytes = encode(command{milter::quit{}});
    co_await write(bytes);
    co_await flush();
  } catch (const client_error&) {
    // The filter may already have closed; quitting is best effort.
  }
  close();
}

}  // namespace mailtriage::milter
