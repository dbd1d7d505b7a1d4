#pragma once
// The daemon's operations endpoint over HTTP/1.1 (Boost.Beast, C++20 coroutines on
// the daemon's io_context): GET|HEAD /metrics (Prometheus text), /healthz (200 while
// the process serves), /readyz (200 when ready, 503 with the reason otherwise).
//
// It is meant for loopback or a private network: no TLS, no authentication. Every
// connection is bounded: header size, no request body, a deadline per request, a
// request count per connection, and a cap on concurrent connections (more are closed
// at once). Ownership: the endpoint must outlive the io_context's run() calls; the
// registry and the readiness function must outlive the endpoint. start() and stop()
// are called from one thread (the daemon's main thread or an I/O handler).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "mailtriage/observability/metrics.hpp"

namespace mailtriage::observability {

struct http_options {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
  std::uint16_t port = 9895;          // 0: any free port (tests)
  std::size_t max_connections = 16;
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};  // reading + answering one request
  std::size_t max_requests_per_connection = 100;
  std::size_t max_header_bytes = 8 * 1024;
};

struct readiness {
  bool ready = false;
  std::string reason;  // why not, e.g. "draining"; shown in the 503 body
};

// One answer, independent of sockets (the routing is unit-tested through this).
struct http_answer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // for 405
};
[[nodiscard]] http_answer answer_request(std::string_view method, std::string_view target, const registry& metrics,
                                         const std::function<readiness()>& ready);

class http_endpoint {
 public:
  http_endpoint(boost::asio::io_context& io, http_options options, const registry& metrics,
                std::function<readiness()> ready);
  ~http_endpoint();
  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  // Binds and listens; throws std::runtime_error naming the address on failure.
  void start();
  // Stops accepting; connections in progress end at their next deadline or request.
  void stop();
  // The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace mailtriage::observability
