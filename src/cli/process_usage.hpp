#pragma once
// CPU time and resident memory of other processes, from /proc (Linux).
#include <optional>
#include <sys/types.h>

namespace mailtriage::cli {

struct process_usage {
  double cpu_seconds = 0;  // user + system
  long rss_kib = 0;
};

// A process and everything under it (pre-forked workers such as rspamd's or spamd's):
// the user + system time of the process and of every live descendant, plus the time of
// the children each of them has reaped (cutime + cstime), so workers that exit between two readings
// are still counted; VmRSS summed over the live ones. Nothing when `pid` is gone.
[[nodiscard]] std::optional<process_usage> read_process_tree_usage(pid_t pid);

}  // namespace mailtriage::cli
