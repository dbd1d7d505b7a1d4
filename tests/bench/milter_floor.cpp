// The milter I/O path with the engine taken out: mailtriaged's own server, with the
// server options of a configuration (the built-in one by default), answering every
// message with a fixed decision shaped like the engine's usual one (four added headers
// of typical sizes, then accept). Its CPU per message is the floor under mailtriaged's:
// the protocol exchange, the kernel's socket path, the coroutines, the session and the
// hand-off to a worker (or none, with milter.inline_verdict_bytes); everything but
// parse, extract, score and policy. docs/PERFORMANCE.md, "The floor", measures both
// side by side with io-path.sh:
//   DAEMON=build/release/tests/mailtriage_milter_floor packaging/bench/io-path.sh ...
// It is also a phase of postfix-ratio.sh (DAEMONS="floor=BUILD/tests/mailtriage_milter_floor
// ..."): Postfix with a milter that does no work, what an engine that cost nothing would reach.
// Usage: mailtriage_milter_floor [--config FILE] [--listen SPEC] [--log-level LEVEL]
//                                [--http-listen ADDR]
// --http-listen is accepted and ignored (the floor has no HTTP endpoint) so that scripts
// can start it with mailtriaged's arguments.
#include <csignal>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/util/log.hpp"

#include "../../src/daemon/server_options.hpp"

namespace {
using namespace mailtriage;

class fixed_verdict : public milter::message_handler {
 public:
  fixed_verdict() {
    // The sizes of a typical verdict's headers (README, "Hooking it into Postfix").
    d_.modifications = {
        milter::add_header{"X-Triage-Category", "spam"},
        milter::add_header{"X-Triage-Score", "0.993"},
        milter::add_header{"X-Triage-Reasons",
                           "token_evidence:spam +3.12, body:\"remove\" +0.84, st_html_only +0.51, "
                           "hdr_from_display_has_address +0.40, url_count_log +0.33"},
        milter::add_header{"X-Triage-Verdict",
                           "category=spam; score=0.993; model=c7cedb594a90; queue=4Xy2Kq1; "
                           "sig=9b4c2f0e6a1d8c3b5e7f9a0b1c2d3e4f"},
    };
  }
  milter::decision judge(const milter::transaction&) const override { return d_; }

 private:
  milter::decision d_;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string config_file, listen, level = "warning";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--config" && has_value) config_file = argv[++i];
    else if (a == "--listen" && has_value) listen = argv[++i];
    else if (a == "--log-level" && has_value) level = argv[++i];
    else if (a == "--http-listen" && has_value) ++i;
    else {
      std::cerr << "usage: mailtriage_milter_floor [--config FILE] [--listen SPEC] [--log-level LEVEL]"
                   " [--http-listen ADDR]\n";
      return 64;
    }
  }
  try {
    log::set_level(log::parse_level(level));
    config::daemon_config cfg = config_file.empty() ? config::load_text(config::builtin_yaml(), "built-in")
                                                    : config::load_file(config_file);
    if (!listen.empty()) {
      auto spec = milter::parse_socket_spec(listen);
      if (!spec) throw std::runtime_error("--listen " + listen + ": " + spec.error());
      cfg.milter.listen = *spec;
    }
    boost::asio::io_context io(static_cast<int>(cfg.milter.io_threads));
    milter::server srv(io, daemon::to_server_options(cfg), std::make_shared<const fixed_verdict>());
    srv.start();
    boost::asio::signal_set stop(io, SIGTERM, SIGINT);
    stop.async_wait([&](boost::system::error_code, int) {
      srv.drain([&io] { io.stop(); });
    });
    std::vector<std::thread> extra;
    for (std::size_t i = 1; i < cfg.milter.io_threads; ++i) extra.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : extra) t.join();
  } catch (const std::exception& e) {
    std::cerr << "mailtriage_milter_floor: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
