#pragma once
// `mailtriage replay`: sends messages through a milter socket with the library's
// client, N connections at a time, and reports throughput, latency and the daemon's
// CPU time and memory. The seed of `mailtriage bench`.
#include <string>
#include <vector>

namespace mailtriage::cli {

int replay_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
