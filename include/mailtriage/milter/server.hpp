#pragma once
// The milter server: accepts MTA connections on one socket and runs one coroutine per
// connection on Boost.Asio (C++20 coroutines). Protocol work happens on the I/O
// threads; the verdict for each message is computed on a separate, bounded worker
// pool under a deadline, so a slow model never stalls other connections' I/O. Small
// messages (inline_verdict_bytes) may instead be judged on the I/O thread, which is
// cheaper but gives up both of those guarantees for them.
//
// Every failure to get a verdict (no handler, overload, deadline, exception) ends in
// the configured fallback decision: mail is never lost and never waits past the
// deadline. Ownership: the server must outlive the io_context's run() calls;
// connections keep the shared state alive until they finish. start(), drain(),
// set_handler() and stats() are thread-safe.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "mailtriage/observability/metrics.hpp"

#include "mailtriage/milter/session.hpp"
#include "mailtriage/milter/socket_spec.hpp"

namespace mailtriage::milter {

// Computes the verdict for one message. Called on worker threads, concurrently for
// different messages: implementations must be thread-safe (an immutable snapshot).
class message_handler {
 public:
  virtual ~message_handler() = default;
  [[nodiscard]] virtual decision judge(const transaction& message) const = 0;
};

// Why a message got the fallback decision instead of a verdict.
enum class fallback_reason { no_handler, overload, timeout, error };
[[nodiscard]] const char* describe(fallback_reason r);

// The decision used when no verdict can be had, given the message's headers (so forged
// verdict headers can still be removed); must not throw.
using fallback_fn = std::function<decision(fallback_reason, const std::vector<header_ref>&)>;

struct server_options {
  socket_spec listen;
  std::uint32_t socket_mode = 0660;  // unix sockets only
  // Owner and group given to a unix socket after bind (needs root, or membership of
  // the group); unset: left as created.
  std::optional<std::uint32_t> socket_uid;
  std::optional<std::uint32_t> socket_gid;
  std::size_t max_connections = 1000;
  // Threads that run the io_context (the caller's). With one, every handler of a
  // connection already runs on that thread, one at a time, so connections need no
  // strand: its per-handler locking, and the executor copies Asio boxes on the heap
  // because a strand does not fit in its small-object buffer (40 allocations per
  // message), are saved. With more, each connection gets a strand.
  std::size_t io_threads = 1;
  std::size_t worker_threads = 1;
  std::size_t max_pending_verdicts = 256;  // queued for workers; more is overload
  // Messages of at most this many scanned bytes are judged on the connection's I/O
  // thread instead of the worker pool: no hand-off (two thread wake-ups and context
  // switches per message), but while it runs the verdict holds up the other
  // connections on that thread and cannot be cut short by verdict_timeout. The size
  // bounds that time, since the engine's work grows with the bytes it scans. 0 = every
  // verdict on the worker pool.
  std::size_t inline_verdict_bytes = 0;
  // Waiting for the MTA's next command. Longer than Postfix's smtpd_timeout (300 s), so
  // a slow but live SMTP client never loses its milter connection mid-message.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(600)};
  // Completing a frame once its first byte arrived, however the bytes trickle in
  // (defeats slow-drip senders). Also how long a new connection may stay silent before
  // its negotiation: an MTA sends SMFIC_OPTNEG as soon as it connects.
  std::chrono::milliseconds frame_timeout{std::chrono::seconds(10)};
  // Writing one reply.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  // Getting a verdict at end of message; far below Postfix's milter_content_timeout
  // (300 s) and milter_command_timeout (30 s) so the MTA always hears from us first.
  std::chrono::milliseconds verdict_timeout{std::chrono::seconds(5)};
  session_limits limits;
  session_wants wants;
  // The fallback decision until set_handler() replaces it.
  fallback_fn fallback;
};

// Cumulative since start; the daemon exposes them as Prometheus metrics.
struct server_stats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  std::atomic<std::uint64_t> connections_active{0};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> timeouts{0};  // connections closed by a deadline
  std::atomic<std::uint64_t> fallbacks[4]{};  // indexed by fallback_reason
  std::atomic<std::uint64_t> dropped_modifications{0};
  std::atomic<std::uint64_t> truncated_messages{0};  // scanned up to the scan limit only
  // MAIL FROM to the final reply written: the MTA's whole exchange for one message.
  observability::histogram message_seconds{observability::latency_buckets()};
  // End of message to decision (worker queue + verdict, or the fallback).
  observability::histogram verdict_seconds{observability::latency_buckets()};
};

class server {
 public:
  // `io` runs the connections; verdicts run on the server's own worker pool.
  server(boost::asio::io_context& io, server_options options, std::shared_ptr<const message_handler> handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens. Throws std::runtime_error naming the socket on failure.
  void start();
  // Stops accepting, closes idle connections, lets messages in flight finish, then
  // calls `on_drained` (on an I/O thread). Safe to call twice.
  void drain(std::function<void()> on_drained);
  // Closes every connection now (after a drain deadline).
  void close_all();

  // The handler for messages that reach end-of-message from now on. With `fallback`,
  // the fallback decision is replaced in the same atomic step (both come from one
  // configuration); without, the current fallback stays. A message uses the pair it
  // loaded at end-of-message until its reply is sent.
  void set_handler(std::shared_ptr<const message_handler> handler, fallback_fn fallback = nullptr);

  // The bound TCP port (useful with port 0 in tests), or 0 for unix sockets.
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const server_stats& stats() const;
  // Messages waiting for or being judged by a worker now.
  [[nodiscard]] std::size_t pending_verdicts() const;

  struct state;  // shared with connections; defined in src/milter/server_state.hpp

 private:
  std::shared_ptr<state> state_;
};

}  // namespace mailtriage::milter
