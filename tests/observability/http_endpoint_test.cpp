// The operations endpoint: routing (pure) and the real Beast server over loopback
// (keep-alive, HEAD, oversized requests, request bodies).
#include "mailtriage/observability/http_endpoint.hpp"

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mailtriage::observability {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

readiness ready_now() { return {true, ""}; }

TEST(HttpEndpoint, Routes) {
  registry r;
  r.add_counter("x_total", "X.").inc();
  std::function<readiness()> ready = ready_now;
  auto m = answer_request("GET", "/metrics", r, ready);
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(m.body, r.render());
  EXPECT_EQ(answer_request("GET", "/metrics?x=1", r, ready).status, 200u);
  EXPECT_EQ(answer_request("HEAD", "/healthz", r, ready).status, 200u);
  EXPECT_EQ(answer_request("GET", "/readyz", r, ready).body, "ready\n");
  std::function<readiness()> draining = [] { return readiness{false, "draining"}; };
  auto d = answer_request("GET", "/readyz", r, draining);
  EXPECT_EQ(d.status, 503u);
  EXPECT_EQ(d.body, "not ready: draining\n");
  EXPECT_EQ(answer_request("GET", "/healthz", r, draining).status, 200u);  // alive while draining
  EXPECT_EQ(answer_request("GET", "/", r, ready).status, 404u);
  EXPECT_EQ(answer_request("GET", "/metricsx", r, ready).status, 404u);
  auto p = answer_request("POST", "/metrics", r, ready);
  EXPECT_EQ(p.status, 405u);
  EXPECT_EQ(p.allow, "GET, HEAD");
}

// Runs an endpoint on a free loopback port for the test's lifetime.
class live_endpoint {
 public:
  explicit live_endpoint(http_options o = {}) {
    o.port = 0;
    endpoint_.emplace(io_, o, registry_, [] { return readiness{true, ""}; });
    registry_.add_counter("live_total", "Live.").inc(2);
    endpoint_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~live_endpoint() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return endpoint_->port(); }

 private:
  asio::io_context io_;
  registry registry_;
  std::optional<http_endpoint> endpoint_;
  std::thread thread_;
};

// Sends `request` and reads until the server closes (or `until` appears).
std::string exchange(std::uint16_t port, const std::string& request, const std::string& until = "") {
  asio::io_context io;
  tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(s, asio::buffer(request));
  std::string got;
  char buf[4096];
  boost::system::error_code ec;
  for (;;) {
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
    if (ec) break;
    if (!until.empty() && got.find(until) != std::string::npos) break;
  }
  return got;
}

TEST(HttpEndpoint, ServesMetricsOverLoopback) {
  live_endpoint e;
  std::string got = exchange(e.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(got.find("\r\n\r\n# HELP live_total Live.\n# TYPE live_total counter\nlive_total 2\n"), std::string::npos);
}

TEST(HttpEndpoint, HeadHasLengthButNoBody) {
  live_endpoint e;
  std::string got = exchange(e.port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(got.find("Content-Length: 3\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "");
}

TEST(HttpEndpoint, KeepAliveServesSeveralRequestsThenTheBudgetCloses) {
  http_options o;
  o.max_requests_per_connection = 2;
  live_endpoint e(o);
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string got = exchange(e.port(), req + req + req);
  std::size_t answers = 0;
  for (std::size_t p = 0; (p = got.find("HTTP/1.1 200 OK", p)) != std::string::npos; ++p) ++answers;
  EXPECT_EQ(answers, 2u) << got;  // the third request is not served: the connection closes
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpEndpoint, OversizedHeadersAndBodiesCloseTheConnection) {
  live_endpoint e;
  std::string big = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  EXPECT_EQ(exchange(e.port(), big), "");
  EXPECT_EQ(exchange(e.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"), "");
  // Still serving afterwards.
  EXPECT_NE(exchange(e.port(), "GET /healthz HTTP/1.0\r\n\r\n").find("200 OK"), std::string::npos);
}

TEST(HttpEndpoint, IdleConnectionsTimeOut) {
  http_options o;
  o.request_timeout = std::chrono::milliseconds(200);
  live_endpoint e(o);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(exchange(e.port(), "GET /healthz HTTP/1.1\r\n"), "");  // never completes the request
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpEndpoint, ConnectionsOverTheCapAreClosed) {
  http_options o;
  o.max_connections = 1;
  o.request_timeout = std::chrono::seconds(5);
  live_endpoint e(o);
  asio::io_context io;
  tcp::socket holder(io);
  holder.connect({asio::ip::make_address("127.0.0.1"), e.port()});
  asio::write(holder, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
  char buf[512];
  holder.read_some(asio::buffer(buf));  // served: the connection is now counted
  EXPECT_EQ(exchange(e.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), "");
}

TEST(HttpEndpoint, BindFailureNamesTheAddress) {
  asio::io_context io;
  registry r;
  http_options o;
  o.address = "192.0.2.1";  // TEST-NET-1: not on this host
  o.port = 9;
  http_endpoint e(io, o, r, [] { return readiness{true, ""}; });
  try {
    e.start();
    FAIL() << "bound to a foreign address";
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("cannot listen for HTTP on 192.0.2.1:9"), std::string::npos);
  }
}

}  // namespace
}  // namespace mailtriage::observability
