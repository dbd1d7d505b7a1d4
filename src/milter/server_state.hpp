#pragma once
// Private: what the server shares with its connections. Kept alive by shared_ptr from
// every connection, so a connection finishing after the server object is gone is safe.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailtriage/milter/server.hpp"

namespace mailtriage::milter {

class connection;

// What judges a message and what answers when it cannot: swapped together by
// set_handler(), loaded once per message.
struct verdict_source {
  std::shared_ptr<const message_handler> handler;
  fallback_fn fallback;
};

struct server::state {
  state(boost::asio::io_context& io_context, server_options opts, std::shared_ptr<const message_handler> h)
      : io(io_context), options(std::move(opts)), workers(options.worker_threads),
        current(std::make_shared<const verdict_source>(verdict_source{std::move(h), options.fallback})),
        acceptor(io_context) {}

  boost::asio::io_context& io;
  const server_options options;
  boost::asio::thread_pool workers;
  std::atomic<std::shared_ptr<const verdict_source>> current;
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
  // `source`'s fallback decision, counted and logged once with the message's ids.
  decision fallback(const verdict_source& source, fallback_reason reason, const std::vector<header_ref>& headers,
                    std::string_view session, std::string_view queue_id);
};

}  // namespace mailtriage::milter
