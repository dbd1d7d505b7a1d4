#include "mailtriage/milter/server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "connection.hpp"
#include "mailtriage/util/log.hpp"
#include "server_state.hpp"

namespace mailtriage::milter {
namespace asio = boost::asio;
using generic_stream = asio::generic::stream_protocol;

const char* describe(fallback_reason r) {
  switch (r) {
    case fallback_reason::no_handler: return "no_model";
    case fallback_reason::overload: return "overload";
    case fallback_reason::timeout: return "timeout";
    case fallback_reason::error: return "error";
  }
  return "error";
}

void server::state::forget(std::uint64_t id) {
  std::function<void()> done;
  {
    std::lock_guard lock(mutex);
    connections.erase(id);
    stats.connections_active.fetch_sub(1, std::memory_order_relaxed);
    if (draining && connections.empty() && on_drained) done = std::exchange(on_drained, nullptr);
  }
  if (done) asio::post(io, std::move(done));
}

decision server::state::fallback(const verdict_source& source, fallback_reason reason,
                                 const std::vector<header_ref>& headers, std::string_view session,
                                 std::string_view queue_id) {
  stats.fallbacks[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  decision d = source.fallback ? source.fallback(reason, headers) : decision{};
  log::warning("fallback_action", {{"session", session},
                                   {"queue_id", queue_id},
                                   {"reason", describe(reason)},
                                   {"action", outcome_name(d.final_reply)}});
  return d;
}

namespace {

void remove_stale_unix_socket(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error("cannot listen on " + path + ": a file that is not a socket is in the way");
    ::unlink(path.c_str());  // left over from a previous run
  }
}

generic_stream::endpoint resolve(const socket_spec& spec) {
  if (spec.type == socket_spec::kind::unix_path) return asio::local::stream_protocol::endpoint(spec.path);
  boost::system::error_code ec;
  asio::ip::address address;
  if (spec.host.empty()) {
    address = spec.type == socket_spec::kind::inet6 ? asio::ip::address(asio::ip::address_v6::any())
                                                     : asio::ip::address(asio::ip::address_v4::any());
  } else {
    address = asio::ip::make_address(spec.host, ec);
    if (ec) {
      // A host name: resolve once at start-up (never per connection).
      asio::io_context tmp;
      asio::ip::tcp::resolver resolver(tmp);
      auto results = resolver.resolve(spec.type == socket_spec::kind::inet6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(),
                                      spec.host, std::to_string(spec.port), ec);
      if (ec || results.empty())
        throw std::runtime_error("cannot resolve listen host '" + spec.host + "': " + ec.message());
      return results.begin()->endpoint();
    }
  }
  return asio::ip::tcp::endpoint(address, spec.port);
}

asio::awaitable<void> accept_loop(std::shared_ptr<server::state> st) {
  const bool strands = st->options.io_threads > 1;  // see server_options::io_threads
  std::chrono::steady_clock::time_point last_refusal_log{};
  for (;;) {
    boost::system::error_code ec;
    const asio::any_io_executor executor =
        strands ? asio::any_io_executor(asio::make_strand(st->io)) : asio::any_io_executor(st->io.get_executor());
    auto socket = co_await st->acceptor.async_accept(executor, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) co_return;
      // Out of descriptors and the like: back off briefly rather than spin.
      log::warning("accept_failed", {{"error", ec.message()}});
      asio::steady_timer pause(st->io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    std::shared_ptr<connection> conn;
    {
      std::lock_guard lock(st->mutex);
      if (st->draining) co_return;
      if (st->connections.size() >= st->options.max_connections) {
        st->stats.connections_refused.fetch_add(1, std::memory_order_relaxed);
        auto now = std::chrono::steady_clock::now();
        if (now - last_refusal_log > std::chrono::seconds(10)) {
          last_refusal_log = now;
          log::warning("connection_refused",
                       {{"reason", "max_connections"}, {"max_connections", st->options.max_connections},
                        {"refused_total", st->stats.connections_refused.load()}});
        }
        socket.close(ec);  // the MTA applies its milter_default_action to this session
        continue;
      }
      std::uint64_t id = st->next_id++;
      conn = std::make_shared<connection>(st, std::move(socket), id);
      st->connections.emplace(id, conn);
      st->stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
      st->stats.connections_active.fetch_add(1, std::memory_order_relaxed);
    }
    conn->start();
  }
}

}  // namespace

server::server(asio::io_context& io, server_options options, std::shared_ptr<const message_handler> handler)
    : state_(std::make_shared<state>(io, std::move(options), std::move(handler))) {}

server::~server() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->workers.join();
  if (state_->options.listen.type == socket_spec::kind::unix_path) ::unlink(state_->options.listen.path.c_str());
}

void server::start() {
  const auto& spec = state_->options.listen;
  auto endpoint = resolve(spec);
  auto& acc = state_->acceptor;
  try {
    if (spec.type == socket_spec::kind::unix_path) remove_stale_unix_socket(spec.path);
    acc.open(endpoint.protocol());
    if (spec.type != socket_spec::kind::unix_path) {
      acc.set_option(asio::socket_base::reuse_address(true));
      // Small request/response frames. Set once here: Linux copies a listening socket's
      // TCP_NODELAY to every socket it accepts, which saves a system call per
      // connection, that is per message with Postfix.
      acc.set_option(asio::ip::tcp::no_delay(true));
    }
    acc.bind(endpoint);
    if (spec.type == socket_spec::kind::unix_path &&
        ::chmod(spec.path.c_str(), static_cast<mode_t>(state_->options.socket_mode)) != 0)
      throw std::runtime_error(std::string("chmod failed: ") + std::strerror(errno));
    const auto& o = state_->options;
    if (spec.type == socket_spec::kind::unix_path && (o.socket_uid || o.socket_gid) &&
        ::chown(spec.path.c_str(), o.socket_uid ? static_cast<uid_t>(*o.socket_uid) : static_cast<uid_t>(-1),
                o.socket_gid ? static_cast<gid_t>(*o.socket_gid) : static_cast<gid_t>(-1)) != 0)
      throw std::runtime_error(std::string("chown failed: ") + std::strerror(errno));
    acc.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + spec.to_string() + ": " + e.what());
  }
  if (spec.type != socket_spec::kind::unix_path) {
    // Read the port back from the bound socket (port 0 picks a free one).
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(acc.native_handle(), reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      if (addr.ss_family == AF_INET)
        state_->bound_port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
      else if (addr.ss_family == AF_INET6)
        state_->bound_port = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
  }
  asio::co_spawn(state_->io, accept_loop(state_), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("accept_loop_failed", {{"error", ex.what()}});
    }
  });
}

void server::drain(std::function<void()> on_drained) {
  std::vector<std::shared_ptr<connection>> live;
  bool done_now = false;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->draining) return;
    state_->draining = true;
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
    for (auto& [id, weak] : state_->connections)
      if (auto c = weak.lock()) live.push_back(std::move(c));
    if (state_->connections.empty())
      done_now = true;
    else
      state_->on_drained = std::move(on_drained);
  }
  for (auto& c : live) c->close_if_idle();
  if (done_now && on_drained) asio::post(state_->io, std::move(on_drained));
}

void server::close_all() {
  std::vector<std::shared_ptr<connection>> live;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& [id, weak] : state_->connections)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) c->close_now();
}

void server::set_handler(std::shared_ptr<const message_handler> handler, fallback_fn fallback) {
  std::lock_guard lock(state_->mutex);  // writers only: keeping the old fallback is read-modify-write
  if (!fallback) fallback = state_->current.load()->fallback;
  state_->current.store(std::make_shared<const verdict_source>(verdict_source{std::move(handler), std::move(fallback)}));
}

std::uint16_t server::port() const { return state_->bound_port; }

const server_stats& server::stats() const { return state_->stats; }

std::size_t server::pending_verdicts() const { return state_->pending_verdicts.load(std::memory_order_relaxed); }

}  // namespace mailtriage::milter
