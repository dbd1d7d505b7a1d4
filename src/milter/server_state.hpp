#pragma once
// Private: what the server shares with its connections. Kept alive by shared_ptr from
// every connection, so a connection finishing after the server object is gone is safe.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailtriage/milter/server.hpp"

namespace mailtriage::milter {

class connection;

struct server::state {
  state(boost::asio::io_context& io_context, server_options opts, std::shared_ptr<const message_handler> h)
      : io(io_context), options(std::move(opts)), workers(options.worker_threads), handler(std::move(h)),
        acceptor(io_context) {}

  boost::asio::io_context& io;
  const server_options options;
  boost::asio::thread_pool workers;
  std::atomic<std::shared_ptr<const message_handler>> handler;
  std::atomic<std::size_t> pending_verdicts{0};
  server_stats stats;
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor;
  std::uint16_t bound_port = 0;

  // Registry of live connections, for drain and close_all.
  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<connection>> connections;
  std::uint64_t next_id = 1;
  bool draining = false;
  std::function<void()> on_drained;

  // Called by a connection when it ends.
  void forget(std::uint64_t id);
  // The configured fallback decision, counted and logged once with the message's ids.
  decision fallback(fallback_reason reason, const std::vector<header_ref>& headers, std::string_view session,
                    std::string_view queue_id);
};

}  // namespace mailtriage::milter
