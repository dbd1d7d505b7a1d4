#include "connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "mailtriage/util/log.hpp"

namespace mailtriage::milter {
namespace asio = boost::asio;
using asio::use_awaitable;
using std::chrono::steady_clock;

namespace {

// Read in pieces small enough that 1,000 idle connections stay cheap; a 64 KiB body
// chunk takes a few reads.
constexpr std::size_t kReadBufferSize = 16 * 1024;
// What the frame buffer may keep between messages; larger (after a 256K/1M frame) is freed.
constexpr std::size_t kKeptBufferBytes = 128 * 1024;

std::string session_tag(std::uint64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "c%06llx", static_cast<unsigned long long>(id));
  return buf;
}

// The watchdog never sleeps longer than the shortest timeout while a connection is
// active: any deadline set later is then no earlier than the timer, so setting it needs
// no timer operation.
std::chrono::milliseconds check_interval(const server_options& o) {
  return std::min({o.idle_timeout, o.frame_timeout, o.write_timeout, o.verdict_timeout});
}

}  // namespace

connection::connection(std::shared_ptr<server::state> server, socket_type socket, std::uint64_t id)
    : server_(std::move(server)),
      socket_(std::move(socket)),
      watchdog_timer_(socket_.get_executor()),
      verdict_wake_(socket_.get_executor()),
      id_(id),
      tag_(session_tag(id)),
      session_(server_->options.limits, server_->options.wants) {
  // run() sets the negotiation deadline before its first read; this one only has to
  // hold the invariant (timer never later than the deadline) until then.
  deadline_ = steady_clock::now() + server_->options.frame_timeout;
  deadline_what_ = "negotiation";
  watchdog_timer_.expires_at(std::min(deadline_, steady_clock::now() + check_interval(server_->options)));
}

void connection::start() {
  auto self = shared_from_this();
  auto report = [self](std::exception_ptr e) {
    // No exception may escape a connection: log it once and close.
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("connection_failed", {{"session", self->tag_}, {"error", ex.what()}});
      }
      self->close();
    }
  };
  asio::co_spawn(socket_.get_executor(), run(), report);
  asio::co_spawn(socket_.get_executor(), watchdog(), report);
}

void connection::close_if_idle() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (!self->session_.in_message()) self->close();
  });
}

void connection::close_now() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
}

void connection::close() {
  if (closed_) return;
  closed_ = true;
  // close() alone sends the FIN (nothing else holds the descriptor): no shutdown() call.
  boost::system::error_code ignored;
  socket_.close(ignored);
  watchdog_timer_.cancel();
  verdict_wake_.cancel();
}

void connection::set_deadline(std::chrono::milliseconds after, const char* what) {
  set_deadline_at(steady_clock::now() + after, what);
}

void connection::set_deadline_at(std::chrono::steady_clock::time_point when, const char* what) {
  deadline_what_ = what;
  deadline_ = when;
  if (deadline_ < watchdog_timer_.expiry()) watchdog_timer_.expires_at(deadline_);  // wakes the watchdog
}

asio::awaitable<void> connection::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    boost::system::error_code ec;
    co_await watchdog_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    auto now = steady_clock::now();
    if (deadline_ > now) {
      // Early: the deadline moved later since the timer was armed (or an earlier one
      // re-armed it, which cancelled this wait). An idle connection sleeps until its
      // deadline, and its next frame re-arms the timer once; an active one wakes at
      // least every check interval, so its frames and replies never have to.
      if (watchdog_timer_.expiry() <= now)
        watchdog_timer_.expires_at(std::string_view(deadline_what_) == "command"
                                       ? deadline_
                                       : std::min(deadline_, now + check_interval(server_->options)));
      continue;
    }
    if (verdict_waiting_) {
      // The verdict deadline: judge() answers with the fallback; the worker's late
      // result is dropped (verdict_seq_). The connection itself stays open.
      verdict_waiting_ = false;
      verdict_wake_.cancel();
      set_deadline(server_->options.write_timeout, "write");
      continue;
    }
    server_->stats.timeouts.fetch_add(1, std::memory_order_relaxed);
    log::warning("connection_timeout", {{"session", tag_}, {"waiting_for", deadline_what_}});
    close();
  }
}

asio::awaitable<void> connection::run() {
  auto self = shared_from_this();
  const auto& opts = server_->options;
  // When the frame now partly buffered must be complete. Set once, when its first bytes
  // arrive, and not moved by later bytes: a sender dribbling a byte at a time is cut off
  // frame_timeout after it started the frame, however often it sends.
  steady_clock::time_point frame_due{};
  while (!closed_) {
    if (decoder_.mid_frame())
      set_deadline_at(frame_due, "frame");
    else if (!session_.negotiated())
      // An MTA sends SMFIC_OPTNEG as soon as it connects: a connection that says
      // nothing gets the short frame deadline, not the long idle one, so silent
      // connections cannot sit on the connection slots for idle_timeout.
      set_deadline_at(steady_clock::now() + opts.frame_timeout, "negotiation");
    else
      set_deadline_at(steady_clock::now() + opts.idle_timeout, "command");
    boost::system::error_code ec;
    // Received straight into the decoder's buffer, where frames are then decoded.
    const std::span<char> room = decoder_.prepare(kReadBufferSize);
    const auto into = asio::buffer(room.data(), room.size());
    std::size_t n = co_await socket_.async_read_some(into, asio::redirect_error(use_awaitable, ec));
    if (ec) break;  // the MTA closed, or the watchdog did
    const bool continues_frame = decoder_.mid_frame();
    bool frame_completed = false;
    decoder_.commit(n);

    for (;;) {
      auto next = decoder_.next_view();
      if (!next) {
        server_->stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        log::warning("protocol_error", {{"session", tag_}, {"error", describe(next.error())}});
        close();
        break;
      }
      if (!next.value()) break;  // need more bytes
      frame_completed = true;
      step s;
      if (!handle_frame(*next.value(), s)) {
        close();
        break;
      }
      if (!s.replies.empty() && !co_await write(s.replies)) break;
      if (s.acknowledge_now) acknowledge_now();
      if (s.message_ready) {
        transaction message = session_.take_transaction();
        if (message.truncated) server_->stats.truncated_messages.fetch_add(1, std::memory_order_relaxed);
        message.session = tag_;
        const auto eom = steady_clock::now();
        decision verdict = co_await judge(message);
        server_->stats.verdict_seconds.observe(std::chrono::duration<double>(steady_clock::now() - eom).count());
        auto done = session_.complete(std::move(verdict));
        server_->stats.messages.fetch_add(1, std::memory_order_relaxed);
        if (!done.dropped.empty()) {
          server_->stats.dropped_modifications.fetch_add(done.dropped.size(), std::memory_order_relaxed);
          log::warning("modification_not_granted",
                       {{"session", tag_}, {"action", done.dropped.front()},
                        {"count", done.dropped.size()}});
        }
        if (!co_await write(done.replies)) break;
        decoder_.release(kKeptBufferBytes);
        server_->stats.message_seconds.observe(
            std::chrono::duration<double>(steady_clock::now() - message_start_).count());
        bool draining;
        {
          std::lock_guard lock(server_->mutex);
          draining = server_->draining;
        }
        if (draining) close();
      }
      if (s.close) {
        close();
        break;
      }
      decoder_.set_max_payload(session_.max_payload());
    }
    if (decoder_.mid_frame() && (frame_completed || !continues_frame))
      frame_due = steady_clock::now() + opts.frame_timeout;  // a new frame began in these bytes
  }
  close();
  server_->forget(id_);
}

void connection::acknowledge_now() {
  if (server_->options.listen.type == socket_spec::kind::unix_path) return;  // no ACKs, no Nagle
  // Sends the ACK the kernel would otherwise delay (up to 40 ms) for the bytes read so
  // far; not sticky, so each DATA asks again. A failure only costs that delay.
  const int on = 1;
  (void)::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

bool connection::handle_frame(const frame_view& f, step& out) {
  const bool content = f.code == SMFIC_HEADER || f.code == SMFIC_BODY || f.code == SMFIC_BODYEOB;
  command& cmd = content ? content_command_ : other_command_;
  if (auto error = decode_command_into(f, cmd)) {
    server_->stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned char>(f.code));
    log::warning("protocol_error", {{"session", tag_}, {"command", code}, {"error", describe(*error)}});
    return false;
  }
  const char* what = name_of(cmd);
  const bool was_in_message = session_.in_message();
  // The session only reads header and body strings, so they keep their capacity for the
  // next frame of the same kind.
  out = session_.on_command(std::move(cmd));
  if (!was_in_message && session_.in_message()) message_start_ = steady_clock::now();
  if (out.error) {
    server_->stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    log::warning("protocol_error",
                 {{"session", tag_}, {"command", what}, {"error", describe(*out.error)}});
    return false;
  }
  return true;
}

asio::awaitable<bool> connection::write(const std::vector<reply>& replies) {
  // run() writes one batch at a time: one buffer serves them all.
  write_buffer_.clear();
  for (const auto& r : replies) append_encoded(write_buffer_, r);
  set_deadline(server_->options.write_timeout, "write");
  boost::system::error_code ec;
  const auto bytes = asio::buffer(write_buffer_);
  co_await asio::async_write(socket_, bytes, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    close();
    co_return false;
  }
  co_return true;
}

asio::awaitable<decision> connection::judge(transaction& message) {
  auto& srv = *server_;
  // One snapshot for this message: its handler, and the fallback of the same configuration.
  const std::shared_ptr<const verdict_source> source = srv.current.load();
  const std::shared_ptr<const message_handler>& handler = source->handler;
  if (!handler)
    co_return srv.fallback(*source, fallback_reason::no_handler, message.headers, tag_, message.queue_id());
  if (srv.options.inline_verdict_bytes != 0 && message.raw.size() <= srv.options.inline_verdict_bytes) {
    // Cheap enough to run here (see server_options::inline_verdict_bytes). run() times
    // and counts it like a worker's verdict.
    std::optional<decision> verdict;
    try {
      verdict = handler->judge(message);
    } catch (const std::exception& e) {
      log::error("verdict_failed", {{"session", tag_}, {"queue_id", message.queue_id()}, {"error", e.what()}});
    }
    if (verdict) co_return std::move(*verdict);
    co_return srv.fallback(*source, fallback_reason::error, message.headers, tag_, message.queue_id());
  }
  // Shared with the worker and read-only from here on: a fallback still needs to know
  // which inbound headers to remove, and its log line the queue id.
  const auto shared = std::make_shared<const transaction>(std::move(message));
  const std::vector<header_ref>& headers = shared->headers;
  const std::string_view queue_id = shared->queue_id();
  if (srv.pending_verdicts.fetch_add(1) >= srv.options.max_pending_verdicts) {
    srv.pending_verdicts.fetch_sub(1);
    co_return srv.fallback(*source, fallback_reason::overload, headers, tag_, queue_id);
  }
  const std::uint64_t seq = ++verdict_seq_;
  verdict_.reset();
  verdict_failed_ = false;
  verdict_waiting_ = true;
  // Never expires by itself (so it is never the reactor's earliest timer and costs no
  // timerfd update); the result or the watchdog at the verdict deadline cancels it.
  verdict_wake_.expires_at(steady_clock::time_point::max());
  // The MTA is waiting for us, not the other way round: no idle deadline meanwhile.
  const steady_clock::time_point verdict_due = steady_clock::now() + srv.options.verdict_timeout;
  set_deadline_at(verdict_due, "verdict");
  auto tag = tag_;
  asio::post(srv.workers, [self = shared_from_this(), seq, handler, tag, verdict_due, message = shared] {
    std::optional<decision> verdict;
    try {
      verdict = handler->judge(*message);
    } catch (const std::exception& e) {
      log::error("verdict_failed", {{"session", tag}, {"queue_id", message->queue_id()}, {"error", e.what()}});
    }
    // Lateness is decided by when the verdict was reached, not by whether this result
    // or the watchdog's wake reaches the busy I/O thread first.
    const bool late = steady_clock::now() > verdict_due;
    self->server_->pending_verdicts.fetch_sub(1);
    asio::post(self->socket_.get_executor(), [self, seq, late, verdict = std::move(verdict)]() mutable {
      if (seq != self->verdict_seq_ || !self->verdict_waiting_) return;  // the fallback already answered
      self->verdict_waiting_ = false;
      // The verdict deadline no longer applies: until the reply is written the write
      // deadline does, as on the watchdog's fallback path. Left at the verdict deadline,
      // a watchdog wake before judge() resumes would close a connection whose answer
      // is ready (seen with a 10 ms verdict timeout in e2e.postfix_security).
      self->set_deadline(self->server_->options.write_timeout, "write");
      // A late verdict is dropped: judge() then answers with the timeout fallback, as
      // when the watchdog fires first.
      if (!late) {
        if (verdict)
          self->verdict_ = std::move(verdict);
        else
          self->verdict_failed_ = true;
      }
      self->verdict_wake_.cancel();
    });
  });
  boost::system::error_code ec;
  co_await verdict_wake_.async_wait(asio::redirect_error(use_awaitable, ec));
  verdict_waiting_ = false;
  if (verdict_) {
    decision d = std::move(*verdict_);
    verdict_.reset();
    co_return d;
  }
  if (verdict_failed_) co_return srv.fallback(*source, fallback_reason::error, headers, tag_, queue_id);
  if (closed_) co_return decision{};  // the MTA went away; nothing will be written
  // fallback() logs the one line for this: event=fallback_action reason=timeout.
  co_return srv.fallback(*source, fallback_reason::timeout, headers, tag_, queue_id);
}

}  // namespace mailtriage::milter
