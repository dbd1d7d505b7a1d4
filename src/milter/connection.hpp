#pragma once
// Private: one MTA connection. Two coroutines on the connection's strand: run() reads
// frames, drives the session and writes replies; watchdog() closes the socket when the
// current deadline passes (Asio 1.18 has no per-operation cancellation, so a deadline
// is enforced by closing, as Asio's own timeouts example does).
#include <chrono>
#include <memory>
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
  // Thread-safe: posts to the connection's strand.
  void close_if_idle();
  void close_now();

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<decision> judge(transaction& message);  // moves from `message`
  boost::asio::awaitable<bool> write(const std::vector<reply>& replies);
  bool handle_frame(const frame& f, step& out);
  void set_deadline(std::chrono::milliseconds after, const char* what);
  void set_deadline_at(std::chrono::steady_clock::time_point when, const char* what);
  void close();

  std::shared_ptr<server::state> server_;
  socket_type socket_;
  boost::asio::steady_timer deadline_;
  const char* deadline_what_ = "idle";
  std::uint64_t id_;
  std::string tag_;  // id_ as written in logs
  std::chrono::steady_clock::time_point message_start_{};  // MAIL FROM of the current message
  frame_decoder decoder_;
  session session_;
  bool closed_ = false;
};

}  // namespace mailtriage::milter
