#pragma once
// The descriptor limit the daemon needs: one per MTA connection plus a margin for the
// listener, model files and logs. Without it, connections past the soft limit (often
// 1,024 outside systemd) fail in accept() and wait in the backlog, legitimate MTAs
// included, long before milter.max_connections is reached.
#include <cstddef>

namespace mailtriage::daemon {

// Raises the soft RLIMIT_NOFILE to cover `max_connections` plus a margin, up to the
// hard limit; logs one warning when the hard limit is too low. Never throws.
void raise_fd_limit(std::size_t max_connections);

}  // namespace mailtriage::daemon
