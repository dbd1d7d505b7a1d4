#pragma once
// Private: one MTA connection. Two coroutines on the connection's executor (a strand
// when several threads run the io_context, see server_options::io_threads): run() reads
// frames, drives the session and writes replies; watchdog() closes the socket when the
// current deadline passes (Asio 1.18 has no per-operation cancellation, so a deadline
// is enforced by closing, as Asio's own timeouts example does).
//
// A deadline is a time stamp, not a timer operation: set_deadline() stores it, and the
// watchdog's one timer is re-armed only when it fires (or when a deadline moves earlier
// than the timer), so the frames, replies and verdict of a message cost no timer
// system calls. The watchdog also ends a verdict wait at the verdict deadline.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mailtriage/milter/codec.hpp"
#include "mailtriage/milter/session.hpp"
#include "server_state.hpp"

namespace mailtriage::milter {

class connection : public std::enable_shared_from_this<connection> {
 public:
  using socket_type = boost::asio::generic::stream_protocol::socket;

  connection(std::shared_ptr<server::state> server, socket_type socket, std::uint64_t id);

  void start();
  // Thread-safe: posts to the connection's executor.
  void close_if_idle();
  void close_now();

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<decision> judge(transaction& message);  // moves from `message`
  boost::asio::awaitable<bool> write(const std::vector<reply>& replies);
  bool handle_frame(const frame_view& f, step& out);
  void acknowledge_now();  // step::acknowledge_now: ACK what was read, over TCP
  void set_deadline(std::chrono::milliseconds after, const char* what);
  void set_deadline_at(std::chrono::steady_clock::time_point when, const char* what);
  void close();

  std::shared_ptr<server::state> server_;
  socket_type socket_;
  // The watchdog sleeps on `watchdog_timer_`, whose expiry is never later than
  // `deadline_` (the invariant that makes re-arming on every set unnecessary).
  boost::asio::steady_timer watchdog_timer_;
  std::chrono::steady_clock::time_point deadline_;
  const char* deadline_what_ = "command";
  // A running verdict: the worker's result arrives here (on the connection's executor)
  // and cancels verdict_wake_, which never expires by itself; the watchdog cancels it at
  // the verdict deadline instead. verdict_seq_ tells a late result from the current one.
  boost::asio::steady_timer verdict_wake_;
  std::uint64_t verdict_seq_ = 0;
  bool verdict_waiting_ = false;
  bool verdict_failed_ = false;
  std::optional<decision> verdict_;
  std::uint64_t id_;
  std::string tag_;  // id_ as written in logs
  std::chrono::steady_clock::time_point message_start_{};  // MAIL FROM of the current message
  frame_decoder decoder_;
  // Frames are decoded into these in place (decode_command_into). Header and body frames
  // have one of their own, so that the macro frame Postfix sends before every header
  // does not free the header strings' capacity each time.
  command content_command_;
  command other_command_;
  std::string write_buffer_;  // encoded replies of the current write
  session session_;
  bool closed_ = false;
};

}  // namespace mailtriage::milter
