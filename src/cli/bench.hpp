#pragma once
// `mailtriage bench`: replays a corpus through a milter socket with the library's
// client (as Postfix does), N connections at a time over T client threads, closed loop
// or at a fixed offered rate, and reports throughput, latency percentiles, final actions,
// and the filter's CPU seconds and memory read from /proc. Works against any milter
// (packaging/bench/side-by-side.sh runs it against rspamd and spamass-milter too).
#include <string>
#include <vector>

namespace mailtriage::cli {

int bench_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
