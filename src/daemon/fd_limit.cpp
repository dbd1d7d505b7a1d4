#include "fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "mailtriage/util/log.hpp"

namespace mailtriage::daemon {

void raise_fd_limit(std::size_t max_connections) {
  constexpr rlim_t kMargin = 64;  // listener, model and config files, logs, eventfd, epoll
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kMargin;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= wanted) return;
  rlimit raised = rl;
  raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, rl.rlim_max);
  if (raised.rlim_cur > rl.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  if (rl.rlim_cur < wanted)
    log::warning("fd_limit_low", {{"soft_limit", static_cast<std::uint64_t>(rl.rlim_cur)},
                                  {"wanted", static_cast<std::uint64_t>(wanted)},
                                  {"detail", "raise LimitNOFILE / ulimit -n, or lower milter.max_connections"}});
}

}  // namespace mailtriage::daemon
