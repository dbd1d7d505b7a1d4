#include "mailtriage/observability/http_endpoint.hpp"

#include <atomic>
#include <stdexcept>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "mailtriage/util/log.hpp"

namespace mailtriage::observability {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

http_answer answer_request(std::string_view method, std::string_view target, const registry& metrics,
                           const std::function<readiness()>& ready) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  http_answer a;
  if (target != "/metrics" && target != "/healthz" && target != "/readyz") {
    a.status = 404;
    a.body = "not found: try /metrics, /healthz or /readyz\n";
    return a;
  }
  if (method != "GET" && method != "HEAD") {
    a.status = 405;
    a.allow = "GET, HEAD";
    a.body = "method not allowed\n";
    return a;
  }
  if (target == "/metrics") {
    a.content_type = exposition_content_type;
    a.body = metrics.render();
  } else if (target == "/healthz") {
    a.body = "ok\n";
  } else {
    readiness r = ready ? ready() : readiness{false, "starting"};
    a.status = r.ready ? 200 : 503;
    a.body = r.ready ? "ready\n" : "not ready: " + r.reason + "\n";
  }
  return a;
}

struct http_endpoint::state {
  state(asio::io_context& io_context, http_options opts, const registry& m, std::function<readiness()> r)
      : io(io_context), options(std::move(opts)), metrics(m), ready(std::move(r)), acceptor(io_context) {}
  asio::io_context& io;
  const http_options options;
  const registry& metrics;
  const std::function<readiness()> ready;
  tcp::acceptor acceptor;
  std::atomic<std::size_t> active{0};
  std::uint16_t bound_port = 0;
};

namespace {

void log_failure(const char* what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::error(what, {{"error", ex.what()}});
  }
}

// One connection: requests in turn until the client closes, a deadline passes, the
// request budget is spent or a request is malformed (then the connection just closes).
asio::awaitable<void> serve_connection(std::shared_ptr<http_endpoint::state> st, tcp::socket socket) {
  struct active_guard {
    std::atomic<std::size_t>& n;
    ~active_guard() { n.fetch_sub(1, std::memory_order_relaxed); }
  } guard{st->active};
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(st->options.max_header_bytes);
  for (std::size_t served = 0; served < st->options.max_requests_per_connection; ++served) {
    http::request_parser<http::empty_body> parser;  // a request body is an error
    parser.header_limit(static_cast<std::uint32_t>(st->options.max_header_bytes));
    stream.expires_after(st->options.request_timeout);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // closed, timed out, oversized or malformed
    const auto& req = parser.get();
    http_answer a = answer_request(std::string_view(req.method_string().data(), req.method_string().size()),
                                   std::string_view(req.target().data(), req.target().size()), st->metrics,
                                   st->ready);
    const bool keep = req.keep_alive() && served + 1 < st->options.max_requests_per_connection;
    const bool head = req.method() == http::verb::head;
    http::response<http::string_body> res{static_cast<http::status>(a.status), req.version()};
    res.set(http::field::server, "mailtriaged");
    res.set(http::field::content_type, a.content_type);
    res.set(http::field::cache_control, "no-store");
    if (!a.allow.empty()) res.set(http::field::allow, a.allow);
    res.content_length(a.body.size());  // HEAD: the length GET would send, no body
    if (!head) res.body() = std::move(a.body);
    res.keep_alive(keep);
    http::serializer<false, http::string_body> sr{res};
    stream.expires_after(st->options.request_timeout);
    if (head)
      co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    else
      co_await http::async_write(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<http_endpoint::state> st) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await st->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) co_return;
      log::warning("http_accept_failed", {{"error", ec.message()}});
      continue;
    }
    if (st->active.load(std::memory_order_relaxed) >= st->options.max_connections) {
      socket.close(ec);  // a scraper that opens too many connections gets none
      continue;
    }
    st->active.fetch_add(1, std::memory_order_relaxed);
    auto session = serve_connection(st, std::move(socket));
    asio::co_spawn(st->io, std::move(session), [](std::exception_ptr e) { log_failure("http_connection_failed", e); });
  }
}

}  // namespace

http_endpoint::http_endpoint(asio::io_context& io, http_options options, const registry& metrics,
                             std::function<readiness()> ready)
    : state_(std::make_shared<state>(io, std::move(options), metrics, std::move(ready))) {}

http_endpoint::~http_endpoint() { stop(); }

void http_endpoint::start() {
  const auto& o = state_->options;
  const std::string where = (o.address.find(':') != std::string::npos ? "[" + o.address + "]" : o.address) + ":" +
                            std::to_string(o.port);
  try {
    tcp::endpoint ep(asio::ip::make_address(o.address), o.port);
    auto& acc = state_->acceptor;
    acc.open(ep.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(ep);
    acc.listen(asio::socket_base::max_listen_connections);
    state_->bound_port = acc.local_endpoint().port();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen for HTTP on " + where + ": " + e.what());
  }
  asio::co_spawn(state_->io, accept_loop(state_), [](std::exception_ptr e) { log_failure("http_accept_loop_failed", e); });
}

void http_endpoint::stop() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t http_endpoint::port() const { return state_->bound_port; }

}  // namespace mailtriage::observability
