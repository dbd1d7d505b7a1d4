#pragma once
// CPU time and resident memory of another process, from /proc (Linux).
#include <optional>
#include <sys/types.h>

namespace mailtriage::cli {

struct process_usage {
  double cpu_seconds = 0;  // user + system
  long rss_kib = 0;
};

[[nodiscard]] std::optional<process_usage> read_process_usage(pid_t pid);

}  // namespace mailtriage::cli
